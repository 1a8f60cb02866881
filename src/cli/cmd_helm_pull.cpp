// gantry helm-pull: pre-pull every Helm chart a project refers to into its
// .helm-charts folder, natively (no helm binary), like `kluctl helm-pull`.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/command.h"
#include "cli/helm_flags.h"
#include "project/project_file.h"
#include "render/chart_pull.h"

namespace gantry::cli {

namespace {

struct HelmPullFlags {
  std::string project = ".";
  bool force = false;
  HelmFlags helm;
};

int run_helm_pull(const HelmPullFlags& f) {
  project::ProjectFile pf = project::load_project_file(f.project);
  render::ChartPuller puller(f.helm.options());
  render::PullReport r = render::pull_project_charts(pf.root, puller, f.force);
  for (const auto& s : r.pulled)
    std::cout << "pulled " << s << "\n";
  for (const auto& s : r.present)
    std::cout << "present " << s << "\n";
  for (const auto& s : r.skipped)
    std::cout << "skipped " << s << " (skipPrePull)\n";
  for (const auto& s : r.removed)
    std::cout << "removed .helm-charts/" << s << " (no item uses it)\n";
  return 0;
}

}  // namespace

void add_helm_pull_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<HelmPullFlags>();
  CLI::App* cmd = app.add_subcommand(
      "helm-pull", "Pull the project's Helm charts into .helm-charts (without helm)");
  cmd->add_option("--project", flags->project, "Project directory (default: .)");
  cmd->add_flag("--force", flags->force, "Pull again charts that are already pre-pulled");
  add_helm_flags(cmd, flags->helm);
  cmd->callback([flags, &action] { action = [flags] { return run_helm_pull(*flags); }; });
}

}  // namespace gantry::cli
