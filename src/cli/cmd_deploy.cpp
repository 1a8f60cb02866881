// gantry deploy: apply a target to its cluster (server-side apply), with
// hooks, readiness waits and optional pruning.
#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

#include "cli/cluster_output.h"
#include "cli/command.h"
#include "cli/project_flags.h"
#include "core/duration.h"
#include "doc/json.h"

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
  auto start = std::chrono::steady_clock::now();
  auto timeout = parse_duration(f.timeout);
  render::RenderResult rendered = render::render_project(f.project.request());
  if (f.prune && rendered.object_count() == 0 && !f.allow_empty)
    throw Error("the render of target \"" + rendered.target.name +
                    "\" is empty; refusing to prune everything (give --allow-empty if you mean it)",
                ExitCode::kRefused);
  Cluster c = connect(f.cluster, rendered.target);
  const auto& access = c.client->access();
  kube::PlanOptions po;
  po.jobs = f.cluster.jobs;
  po.list_orphans = f.prune;
  po.dry_run_new = false;
  po.with_diffs = false;
  po.ownership = f.cluster.ownership();
  kube::Plan plan = kube::make_plan(*c.client, *c.mapper, rendered, po);
  bool json = f.cluster.json();
  bool work = plan.has_changes() || !plan.orphans.empty() || plan.count(kube::Change::kFailed);
  if (!json) {
    std::cout << plan_summary_lines(plan, f.prune);
    std::cout << plan_counts(plan, f.prune) << " (context " << access.context << ", "
              << access.server << ")\n";
  }
  if (f.dry_run) return 0;
  if (!work && !f.wait) {
    if (json)
      std::cout << doc::to_json_pretty(
                       doc::Value::object({{"applied", 0},
                                           {"unchanged", static_cast<int64_t>(
                                                             plan.count(kube::Change::kUnchanged))},
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
  if (work && !f.yes &&
      !confirm("Deploy target \"" + rendered.target.name + "\" to context \"" + access.context +
                   "\" (" + access.server + ")?",
               "give --yes to deploy without asking"))
    throw Error("deploy cancelled", ExitCode::kRefused);

  kube::DeployOptions opt;
  opt.jobs = f.cluster.jobs;
  opt.force_conflicts = f.force_conflicts;
  opt.wait = f.wait;
  opt.timeout = timeout;
  opt.on_event = progress_sink(json);
  kube::DeployReport report = kube::deploy(*c.client, rendered, plan, opt);
  kube::DeleteReport pruned;
  if (f.prune && !plan.orphans.empty()) {
    kube::DeleteOptions del;
    del.jobs = f.cluster.jobs;
    del.finalizer_timeout = timeout;
    del.on_event = opt.on_event;
    pruned = kube::delete_objects(*c.client, plan.orphans, del);
  }
  auto failures = report.failures;
  failures.insert(failures.end(), pruned.failures.begin(), pruned.failures.end());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (json) {
    std::cout << doc::to_json_pretty(
                     doc::Value::object({{"target", rendered.target.name},
                                         {"context", access.context},
                                         {"applied", static_cast<int64_t>(report.applied)},
                                         {"unchanged", static_cast<int64_t>(report.unchanged)},
                                         {"pruned", static_cast<int64_t>(pruned.deleted)},
                                         {"hooks", static_cast<int64_t>(report.hooks_run)},
                                         {"failures", problems_json(failures)},
                                         {"notReady", problems_json(report.not_ready)},
                                         {"durationMs", static_cast<int64_t>(ms)}}),
                     2)
              << "\n";
  } else {
    for (const auto& p : failures)
      std::cerr << "gantry: failed: " << problem_line(p) << "\n";
    for (const auto& p : report.not_ready)
      std::cerr << "gantry: not ready: " << problem_line(p) << "\n";
    std::cout << "applied " << report.applied << ", unchanged " << report.unchanged << ", pruned "
              << pruned.deleted << ", hooks " << report.hooks_run << ", failed "
              << failures.size() + report.not_ready.size() << " in " << ms / 1000 << "."
              << (ms % 1000) / 100 << "s\n";
  }
  return failures.empty() && report.not_ready.empty() ? 0 : static_cast<int>(ExitCode::kPartial);
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
