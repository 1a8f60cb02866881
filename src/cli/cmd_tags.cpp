// gantry tags: list the tags of a repository (following pagination).
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/command.h"
#include "cli/oci_common.h"
#include "doc/json.h"

namespace gantry::cli {

namespace {

int run_tags(const std::string& repo_text, const RegistryFlags& f) {
  std::string text = repo_text;
  if (text.rfind("docker://", 0) == 0) text = text.substr(9);
  oci::Reference repo = oci::parse_repository(text);
  oci::Session session = make_session(f);
  oci::Registry& reg = session.registry(repo.api_host(), flag_credential(f, f.creds));
  std::vector<std::string> tags = reg.list_tags(repo.repository);
  if (json_output(f)) {
    doc::Value list = doc::Value::list();
    for (const auto& t : tags)
      list.push_back(t);
    doc::Value v = doc::Value::object({{"repository", repo.name()}, {"tags", list}});
    std::cout << doc::to_json_pretty(v, 2) << "\n";
  } else {
    for (const auto& t : tags)
      std::cout << t << "\n";
  }
  return 0;
}

}  // namespace

void add_tags_command(CLI::App& app, Action& action) {
  struct Flags {
    std::string repo;
    RegistryFlags reg;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("tags", "List the tags of a repository");
  cmd->add_option("repository", f->repo, "Repository (registry/name, without tag)")->required();
  add_registry_flags(cmd, f->reg, false);
  cmd->add_option("--page-size", f->reg.page_size, "Tags per request (n=); default: the registry's")
      ->check(CLI::Range(1, 100000));
  cmd->callback([f, &action] { action = [f] { return run_tags(f->repo, f->reg); }; });
}

}  // namespace gantry::cli
