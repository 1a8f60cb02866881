// gantry version-tag: the version of HEAD from Git tags, like git describe --tags --always.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/command.h"
#include "git/repository.h"

namespace gantry::cli {

void add_version_tag_command(CLI::App& app, Action& action) {
  struct Flags {
    std::string dir = ".";
    git::DescribeOptions describe;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "version-tag", "Print the version of HEAD from Git tags (git describe --tags --always)");
  cmd->add_option("dir", f->dir, "A directory inside the repository (default: .)");
  cmd->add_option("--match", f->describe.match,
                  "Only tags matching this glob, e.g. \"[0-9]*.[0-9]*.[0-9]*\"");
  cmd->add_flag("--first-parent", f->describe.first_parent,
                "Follow only the first parent of merge commits");
  cmd->callback([f, &action] {
    action = [f] {
      std::cout << git::Repository::open(f->dir).describe(f->describe) << "\n";
      return 0;
    };
  });
}

}  // namespace gantry::cli
