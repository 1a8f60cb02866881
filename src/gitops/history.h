// The deploy history a GantryDeployment's status keeps (status.history):
// the last kHistoryLength deploys, newest first, each with its revision, start
// and finish time, counts, result, what triggered it and the hooks it ran —
// what Flux and kluctl keep as lastDeployResult / history, for people and
// the dashboard. Pure functions; the controller builds the entries.
#pragma once

#include <string>
#include <vector>

#include "doc/value.h"
#include "kube/deploy.h"

namespace gantry::gitops {

inline constexpr size_t kHistoryLength = 10;

// Why a deploy ran, first match wins:
//   "request"  the manual-request annotation changed (gantry reconcile, the
//              dashboard, kubectl annotate); `by` says who when recorded
//   "webhook"  the same, asked for by a Git push webhook (`by`: the push)
//   "created"  the resource has no deploy before this one
//   "spec"     its spec changed (metadata.generation)
//   "git"      a new commit of its source, found at the interval
//   "retry"    the previous attempt failed
//   "resync"   nothing changed, but the controller had not yet deployed it
//              since it started (or its drift watches were not listed)
struct Trigger {
  std::string reason;
  std::string by;
};

// What the controller knows before a deploy, to name its trigger.
struct TriggerInput {
  std::string requested_at, requested_by;  // the annotations now
  std::string handled_request;             // the last request answered ("" none)
  bool deployed_before = false;            // a previous deploy is known (state or status)
  bool generation_changed = false;
  bool commit_changed = false;
  bool last_failed = false;
};
Trigger trigger_of(const TriggerInput& in);

// "who" of a kRequestedByAnnotation (gitops/resource.h) value when it belongs to `requested_at`,
// else "".
std::string requested_by(const std::string& annotation, const std::string& requested_at);

struct DeployRecord {
  std::string revision;
  std::string started, finished;  // RFC 3339
  int64_t applied = 0, unchanged = 0, pruned = 0, failed = 0;
  std::string result;   // "succeeded", "failed", "dry run"
  std::string message;  // the first failure, "" when none
  Trigger trigger;
  std::vector<kube::HookRun> hooks;
};

// One history entry: {revision, startedAt, finishedAt, applied, unchanged,
// pruned, failed, result, message, trigger {reason, by}, attempts,
// hooks [{object, item, phase, weight, result, message, durationMs}]}.
doc::Value history_entry(const DeployRecord& r);

// `history` (a list, newest first) with `entry` added in front and cut to
// kHistoryLength. A retry that fails again at the same revision replaces
// the newest entry instead and counts it in "attempts", so a backoff loop
// does not push every earlier deploy out.
doc::Value add_to_history(const doc::Value& history, doc::Value entry);

// status.history of a resource's current status (null: none), entries that
// are not objects dropped.
doc::Value history_of(const doc::Value* status);

}  // namespace gantry::gitops
