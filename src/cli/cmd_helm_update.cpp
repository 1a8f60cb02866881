// gantry helm-update: report newer chart versions allowed by each Helm
// item's updateConstraints; --upgrade writes them into helm-chart.yaml and
// pulls; --commit commits each upgraded chart, like `kluctl helm-update`.
#include <CLI/CLI.hpp>

#include <iostream>

#include "automation/helm_update.h"
#include "cli/command.h"
#include "cli/helm_flags.h"
#include "core/error.h"
#include "git/repository.h"
#include "project/project_file.h"
#include "render/chart_pull.h"

namespace gantry::cli {

namespace fs = std::filesystem;

namespace {

struct HelmUpdateFlags {
  std::string project = ".";
  bool upgrade = false;
  bool commit = false;
  std::string author;
  HelmFlags helm;
};

int run_helm_update(const HelmUpdateFlags& f) {
  project::ProjectFile pf = project::load_project_file(f.project);
  render::ChartPuller puller(f.helm.options());
  automation::HelmUpdatePlan plan = automation::plan_helm_update(pf.root, puller);
  for (const auto& c : plan.charts) {
    const auto& ch = c.chart.chart;
    std::cout << c.chart.item << ": " << ch.chart_name << " " << ch.chart_version;
    if (c.skipped)
      std::cout << " (skipUpdate)\n";
    else if (c.newest.empty())
      std::cout << " is the newest allowed"
                << (ch.update_constraints.empty() ? "" : " by " + ch.update_constraints) << "\n";
    else
      std::cout << " -> " << c.newest << " available"
                << (ch.update_constraints.empty() ? "" : " (" + ch.update_constraints + ")")
                << "\n";
  }
  if (!f.upgrade || plan.edits.files.empty()) return 0;

  std::optional<git::Repository> repo;
  git::Signature author;
  if (f.commit) {
    repo.emplace(git::Repository::open(pf.root));
    std::vector<fs::path> files;
    for (const auto& file : plan.edits.files)
      files.emplace_back(file.path);
    repo->check_can_commit(files, "");
    author = f.author.empty() ? repo->default_signature() : git::parse_signature(f.author);
  }
  automation::apply_update(plan.edits);
  for (const auto& file : plan.edits.files)
    for (const auto& change : file.changes)
      std::cout << "updated " << change.str() << "\n";
  render::PullReport r = render::pull_project_charts(pf.root, puller);
  for (const auto& s : r.pulled)
    std::cout << "pulled " << s << "\n";
  for (const auto& s : r.removed)
    std::cout << "removed .helm-charts/" << s << "\n";
  if (!repo) return 0;
  // One commit per upgraded chart: its helm-chart.yaml, the new pulled
  // chart and the old one's removal.
  for (const auto& c : plan.charts) {
    if (c.newest.empty()) continue;
    render::HelmChart upgraded = c.chart.chart;
    upgraded.chart_version = c.newest;
    std::vector<fs::path> paths{c.chart.file, render::pulled_chart_dir(pf.root, c.chart.chart),
                                render::pulled_chart_dir(pf.root, upgraded)};
    std::string message = "gantry: upgrade helm chart " + c.chart.chart.chart_name + " from " +
                          c.chart.chart.chart_version + " to " + c.newest + " in " + c.chart.item +
                          "\n";
    git::CommitResult cr = repo->commit_paths(paths, message, author);
    if (cr.created)
      std::cout << "committed " << cr.id.substr(0, 12) << " on " << cr.branch << ": " << message;
  }
  return 0;
}

}  // namespace

void add_helm_update_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<HelmUpdateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "helm-update", "Report newer Helm chart versions allowed by each item's updateConstraints");
  cmd->add_option("--project", flags->project, "Project directory (default: .)");
  CLI::Option* upgrade = cmd->add_flag("--upgrade", flags->upgrade,
                                       "Write the new versions into helm-chart.yaml and pull them");
  CLI::Option* commit =
      cmd->add_flag("--commit", flags->commit, "Commit every upgraded chart (one commit each)")
          ->needs(upgrade);
  cmd->add_option("--author", flags->author,
                  "\"Name <email>\" of the commits (default: git config user.name/user.email)")
      ->needs(commit);
  add_helm_flags(cmd, flags->helm);
  cmd->callback([flags, &action] { action = [flags] { return run_helm_update(*flags); }; });
}

}  // namespace gantry::cli
