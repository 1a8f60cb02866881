// gantry deploy: apply a target to its cluster (server-side apply), with
// hooks, readiness waits and optional pruning. The work is gitops::sync, the
// routine the controller runs too; this file holds flags and output.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

#include "cli/cluster_output.h"
#include "cli/command.h"
#include "cli/project_flags.h"
#include "core/duration.h"
#include "doc/json.h"
#include "gitops/sync.h"

namespace gantry::cli {

namespace {

struct DeployFlags {
  ProjectFlags project;
  ClusterFlags cluster;
  bool yes = false;
  bool dry_run = false;
  bool prune = false;
  bool wait = false;
  bool force_conflicts = false;
  bool allow_empty = false;
  std::string timeout = "5m";
};

int run_deploy(const DeployFlags& f) {
  render::RenderResult rendered = render::render_project(f.project.request());
  gitops::SyncOptions so;
  so.jobs = f.cluster.jobs;
  so.prune = f.prune;
  so.allow_empty = f.allow_empty;
  so.wait = f.wait;
  so.dry_run = f.dry_run;
  so.force_conflicts = f.force_conflicts;
  so.timeout = parse_duration(f.timeout);
  so.ownership = f.cluster.ownership();
  Cluster c = connect(f.cluster, rendered.target);
  const auto& access = c.client->access();
  bool json = f.cluster.json();
  so.on_event = progress_sink(json);
  so.on_plan = [&](const kube::Plan& plan) {
    if (json) return;
    std::cout << plan_summary_lines(plan, f.prune);
    std::cout << plan_counts(plan, f.prune) << " (context " << access.context << ", "
              << access.server << ")\n";
  };
  so.approve = [&](const kube::Plan&) {
    return f.yes || confirm("Deploy target \"" + rendered.target.name + "\" to context \"" +
                                access.context + "\" (" + access.server + ")?",
                            "give --yes to deploy without asking");
  };
  gitops::SyncReport report = gitops::sync(*c.client, *c.mapper, rendered, so);
  if (f.dry_run) return 0;
  if (!report.changed_anything) {
    if (json)
      std::cout << doc::to_json_pretty(
                       doc::Value::object(
                           {{"applied", 0},
                            {"unchanged", static_cast<int64_t>(report.deploy.unchanged)},
                            {"pruned", 0},
                            {"hooks", 0},
                            {"failures", doc::Value::list()},
                            {"notReady", doc::Value::list()}}),
                       2)
                << "\n";
    else
      std::cout << "nothing to do\n";
    return 0;
  }
  auto failures = report.failures();
  auto ms = report.duration.count();
  if (json) {
    std::cout << doc::to_json_pretty(
                     doc::Value::object(
                         {{"target", rendered.target.name},
                          {"context", access.context},
                          {"applied", static_cast<int64_t>(report.deploy.applied)},
                          {"unchanged", static_cast<int64_t>(report.deploy.unchanged)},
                          {"pruned", static_cast<int64_t>(report.pruned.deleted)},
                          {"hooks", static_cast<int64_t>(report.deploy.hooks_run)},
                          {"failures", problems_json(failures)},
                          {"notReady", problems_json(report.deploy.not_ready)},
                          {"durationMs", static_cast<int64_t>(ms)}}),
                     2)
              << "\n";
  } else {
    for (const auto& p : failures)
      std::cerr << "gantry: failed: " << problem_line(p) << "\n";
    for (const auto& p : report.deploy.not_ready)
      std::cerr << "gantry: not ready: " << problem_line(p) << "\n";
    std::cout << "applied " << report.deploy.applied << ", unchanged " << report.deploy.unchanged
              << ", pruned " << report.pruned.deleted << ", hooks " << report.deploy.hooks_run
              << ", failed " << failures.size() + report.deploy.not_ready.size() << " in "
              << ms / 1000 << "." << (ms % 1000) / 100 << "s\n";
  }
  return report.ok() ? 0 : static_cast<int>(ExitCode::kPartial);
}

}  // namespace

void add_deploy_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<DeployFlags>();
  CLI::App* cmd = app.add_subcommand(
      "deploy", "Apply a target to its cluster (server-side apply, hooks, readiness, prune)");
  add_project_flags(cmd, f->project, "Deploy");
  add_cluster_flags(cmd, f->cluster);
  add_ownership_flags(cmd, f->cluster);
  cmd->add_flag("-y,--yes", f->yes, "Do not ask for confirmation");
  cmd->add_flag("--dry-run", f->dry_run, "Show what would change and stop");
  cmd->add_flag("--prune", f->prune, "Also delete the target's objects the render no longer has");
  cmd->add_flag("--wait", f->wait, "Wait for every item's readiness, not only waitReadiness items");
  cmd->add_option("--timeout", f->timeout, "Longest wait for readiness and hooks (default 5m)");
  cmd->add_flag("--force-conflicts", f->force_conflicts,
                "Take over fields that other field managers own");
  cmd->add_flag("--allow-empty", f->allow_empty, "Allow pruning when the render is empty");
  cmd->callback([f, &action] { action = [f] { return run_deploy(*f); }; });
}

}  // namespace gantry::cli
