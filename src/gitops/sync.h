// The one sync routine: plan -> apply -> prune -> report, for a rendered
// target. `gantry deploy` runs it once; the GitOps controller runs it on every
// reconcile. Callers render first (the source and render stages) and turn the
// report into output or status.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "kube/client.h"
#include "kube/deploy.h"
#include "kube/discovery.h"
#include "kube/ownership.h"
#include "kube/plan.h"
#include "render/render.h"

namespace gantry::gitops {

struct SyncOptions {
  size_t jobs = 16;
  bool prune = false;        // delete the target's objects the render no longer has
  bool allow_empty = false;  // allow pruning when the render is empty
  bool wait = false;         // wait for the readiness of every item
  bool dry_run = false;      // plan only
  bool force_conflicts = false;
  bool reclaim_owned_fields = false;                           // see kube::DeployOptions
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // per readiness wait
  std::string field_manager = std::string(kube::kCliFieldManager);
  kube::OwnershipRule ownership;
  kube::EventSink on_event;
  // Called with every plan, right after planning (to show it).
  std::function<void(const kube::Plan&)> on_plan;
  // Called with the plan before anything is changed, when there is work and
  // it is not a dry run; false stops the sync there (a person said no).
  std::function<bool(const kube::Plan&)> approve;
};

struct SyncReport {
  kube::Plan plan;
  bool changed_anything = false;  // the apply stage ran (there was work)
  kube::DeployReport deploy;
  kube::DeleteReport pruned;
  std::chrono::milliseconds duration{0};
  // Rejected objects, failed hooks, conflicts and failed deletions.
  std::vector<kube::ObjectProblem> failures() const;
  bool ok() const { return failures().empty() && deploy.not_ready.empty(); }
  // Creates, updates or orphans, or objects the plan could not handle.
  bool had_work() const;
};

// Plans `render` against the cluster, asks `approve`, applies, prunes when
// asked. An empty render with `prune` and without `allow_empty` is refused
// (Error, kRefused) before anything is read. Failures of single objects are
// in the report; failures to reach the cluster throw Error.
SyncReport sync(const kube::Client& client, kube::RestMapper& mapper,
                const render::RenderResult& render, const SyncOptions& options);

}  // namespace gantry::gitops
