#include "gitops/sync.h"

namespace gantry::gitops {

std::vector<kube::ObjectProblem> SyncReport::failures() const {
  std::vector<kube::ObjectProblem> out = deploy.failures;
  out.insert(out.end(), pruned.failures.begin(), pruned.failures.end());
  return out;
}

bool SyncReport::had_work() const {
  return plan.has_changes() || !plan.orphans.empty() || plan.count(kube::Change::kFailed) > 0;
}

SyncReport sync(const kube::Client& client, kube::RestMapper& mapper,
                const render::RenderResult& render, const SyncOptions& options) {
  auto start = std::chrono::steady_clock::now();
  if (options.prune && render.object_count() == 0 && !options.allow_empty)
    throw Error("the render of target \"" + render.target.name +
                    "\" is empty; refusing to prune everything (give --allow-empty if you mean it)",
                ExitCode::kRefused);
  SyncReport report;
  kube::PlanOptions po;
  po.jobs = options.jobs;
  po.list_orphans = options.prune;
  po.dry_run_new = false;
  po.with_diffs = false;
  po.field_manager = options.field_manager;
  po.ownership = options.ownership;
  report.plan = kube::make_plan(client, mapper, render, po);
  if (options.on_plan) options.on_plan(report.plan);
  auto finish = [&] {
    report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    return std::move(report);
  };
  if (options.dry_run || (!report.had_work() && !options.wait)) {
    report.deploy.unchanged = report.plan.count(kube::Change::kUnchanged);
    return finish();
  }
  if (report.had_work() && options.approve && !options.approve(report.plan))
    throw Error("deploy cancelled", ExitCode::kRefused);

  kube::DeployOptions opt;
  opt.jobs = options.jobs;
  opt.force_conflicts = options.force_conflicts;
  opt.reclaim_owned_fields = options.reclaim_owned_fields;
  opt.wait = options.wait;
  opt.timeout = options.timeout;
  opt.field_manager = options.field_manager;
  opt.on_event = options.on_event;
  report.changed_anything = true;
  report.deploy = kube::deploy(client, render, report.plan, opt);
  if (options.prune && !report.plan.orphans.empty()) {
    kube::DeleteOptions del;
    del.jobs = options.jobs;
    del.finalizer_timeout = options.timeout;
    del.on_event = options.on_event;
    report.pruned = kube::delete_objects(client, report.plan.orphans, del);
  }
  return finish();
}

}  // namespace gantry::gitops
