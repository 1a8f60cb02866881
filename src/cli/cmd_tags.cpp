// gantry tags: list the tags of a repository (following pagination), or with
// --policy print the one tag a tag policy picks.
#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

#include "automation/policy.h"
#include "cli/command.h"
#include "cli/oci_common.h"
#include "doc/json.h"

namespace gantry::cli {

namespace {

struct PolicyFlags {
  std::string policy;
  std::string filter;
  std::string extract;
};

int run_tags(const std::string& repo_text, const RegistryFlags& f, const PolicyFlags& pf) {
  std::string text = repo_text;
  if (text.rfind("docker://", 0) == 0) text = text.substr(9);
  oci::Reference repo = oci::parse_repository(text);
  // The policy is checked before the registry is asked anything.
  std::optional<automation::TagPolicy> policy;
  if (!pf.policy.empty())
    policy = automation::TagPolicy::parse(pf.policy, {pf.filter, pf.extract});
  else if (!pf.filter.empty() || !pf.extract.empty())
    throw Error("--filter and --extract need --policy", ExitCode::kUsage);
  oci::Session session = make_session(f);
  oci::Registry& reg = session.registry(repo.api_host(), flag_credential(f, f.creds));
  std::vector<std::string> tags = reg.list_tags(repo.repository);
  if (policy) {
    std::string tag = policy->select_or_throw(tags, repo.name());
    if (json_output(f))
      std::cout << doc::to_json_pretty(doc::Value::object({{"repository", repo.name()},
                                                           {"policy", policy->describe()},
                                                           {"tag", tag},
                                                           {"image", repo.name() + ":" + tag}}),
                                       2)
                << "\n";
    else
      std::cout << tag << "\n";
    return 0;
  }
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
    PolicyFlags policy;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("tags", "List the tags of a repository");
  cmd->add_option("repository", f->repo, "Repository (registry/name, without tag)")->required();
  add_registry_flags(cmd, f->reg, false);
  cmd->add_option("--page-size", f->reg.page_size, "Tags per request (n=); default: the registry's")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--policy", f->policy.policy,
                  "Print only the tag this policy picks: semver:RANGE, numerical[:asc|desc] or "
                  "alphabetical[:asc|desc] (asc picks the highest)");
  cmd->add_option("--filter", f->policy.filter,
                  "With --policy: only tags this RE2 regex matches take part");
  cmd->add_option("--extract", f->policy.extract,
                  "With --filter: compare this template ($1, $name, ${name}) instead of the tag");
  cmd->callback([f, &action] { action = [f] { return run_tags(f->repo, f->reg, f->policy); }; });
}

}  // namespace gantry::cli
