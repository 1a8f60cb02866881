// gantry update: set image tags and marked scalars in the YAML files of a directory,
// changing only the bytes of those scalars.
#include <CLI/CLI.hpp>

#include <iostream>

#include "automation/update.h"
#include "cli/command.h"
#include "cli/update_git.h"
#include "core/error.h"

namespace gantry::cli {

namespace {

std::pair<std::string, std::string> split_assignment(const std::string& flag,
                                                     const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw Error(flag + " expects NAME=VALUE, got '" + text + "'", ExitCode::kUsage);
  std::string value = text.substr(eq + 1);
  if (value.find_first_of("\r\n") != std::string::npos)
    throw Error(flag + " value must be a single line", ExitCode::kUsage);
  return {text.substr(0, eq), value};
}

struct UpdateFlags {
  std::string dir = ".";
  std::vector<std::string> markers;
  std::vector<std::string> images;
  bool dry_run = false;
  UpdateGitFlags git;  // --commit, --push ...
};

int run_update(const UpdateFlags& f) {
  automation::UpdateOptions opts;
  for (const auto& m : f.markers)
    opts.markers.push_back(split_assignment("--marker", m));
  for (const auto& i : f.images)
    opts.images.push_back(split_assignment("--image", i));
  if (opts.markers.empty() && opts.images.empty())
    throw Error("nothing to update: give --marker NAME=VALUE or --image NAME=TAG",
                ExitCode::kUsage);
  // Every file is read and checked before any is written.
  automation::UpdatePlan plan = automation::plan_update(f.dir, opts);
  for (const auto& n : plan.notes)
    std::cerr << "gantry: note: " << n << "\n";
  if (plan.files.empty()) {
    std::cout << "no changes\n";
    return 0;
  }
  if (f.dry_run) {
    for (const auto& file : plan.files)
      std::cout << automation::unified_diff(file);
    return 0;
  }
  // With --commit: the repository is checked before any file is written.
  std::unique_ptr<UpdatePublisher> publisher = prepare_publisher(f.git, f.dir, plan);
  automation::apply_update(plan);
  for (const auto& file : plan.files)
    for (const auto& c : file.changes)
      std::cout << c.str() << "\n";
  if (publisher) publisher->publish(plan);
  return 0;
}

}  // namespace

void add_update_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<UpdateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "update", "Set image tags and marked values in YAML manifests, changing only those bytes");
  cmd->add_option("dir", f->dir, "Directory searched recursively for *.yaml/*.yml (default: .)");
  cmd->add_option("--marker", f->markers,
                  "NAME=VALUE: set every scalar whose line ends in the comment # NAME");
  cmd->add_option("--image", f->images,
                  "NAME=TAG: set the tag of image NAME in image: fields and kustomization images:");
  cmd->add_flag("--dry-run", f->dry_run, "Print a unified diff instead of writing");
  add_update_git_flags(cmd, f->git);
  cmd->callback([f, &action] { action = [f] { return run_update(*f); }; });
}

}  // namespace gantry::cli
