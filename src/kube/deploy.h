// The apply stage: carrying out a plan, waiting for readiness, and deleting.
//
// Order of a deploy:
//  1. Namespaces and CustomResourceDefinitions that change, from every item,
//     in parallel; then the CRDs are waited for until Established.
//  2. The deployment items in project order, in groups: a barrier (and an
//     item with waitReadiness) ends a group; the items of one group run side
//     by side. Per group: the pre-deploy hooks of each item that changes (by
//     weight, one after the other, each waited for), then every changed
//     object of the group in parallel, then the post-deploy hooks, then the
//     readiness of items marked waitReadiness (or of all with `wait`).
// An item whose pre-deploy hook fails is not applied; the other items go on
// and report their own state.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/plan.h"
#include "render/render.h"

namespace gantry::kube {

// Something that happened during a deploy, for progress output.
struct DeployEvent {
  enum class Kind { kGroup, kApplied, kFailed, kHook, kWaiting, kReady, kNotReady, kDeleted };
  Kind kind;
  std::string subject;  // an object ("Deployment demo-app/api") or an item ("services/api")
  std::string text;     // details
};
using EventSink = std::function<void(const DeployEvent&)>;

struct ObjectProblem {
  std::string object;  // "Deployment demo-app/api"
  Location source;     // where it was rendered from (unknown for live-only objects)
  std::string message;
};

struct DeployOptions {
  size_t jobs = 16;
  bool force_conflicts = false;
  // Take back, on a conflict, the fields of objects gantry has applied
  // before (this field manager's entry, or the other of gantry's two
  // managers', is in their managedFields): someone edited what we own, and
  // undoing that is drift repair; a target deployed with `gantry deploy` and
  // then handed to the controller is taken over the same way. Objects gantry
  // never applied still conflict unless force_conflicts.
  bool reclaim_owned_fields = false;
  bool wait = false;  // wait for the readiness of every item
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // per wait
  std::string field_manager = "gantry";
  EventSink on_event;  // called one event at a time
};

// One hook object of this deploy, in the order they ran.
struct HookRun {
  std::string object;  // "Job demo/migrate"
  std::string item;    // its deployment item's directory ("services/api")
  std::string phase;   // "pre-deploy" or "post-deploy"
  int64_t weight = 0;
  std::string result;   // "succeeded", "applied" (not waited for) or "failed"
  std::string message;  // why it failed
  std::chrono::milliseconds duration{0};
};

struct DeployReport {
  size_t applied = 0, unchanged = 0, hooks_run = 0;
  std::vector<HookRun> hooks;
  std::vector<ObjectProblem> failures;   // rejected objects, conflicts, failed hooks
  std::vector<ObjectProblem> not_ready;  // objects that failed or timed out while waited for
  bool ok() const { return failures.empty() && not_ready.empty(); }
};

DeployReport deploy(const Client& client, const render::RenderResult& render, const Plan& plan,
                    const DeployOptions& options);

struct DeleteReport {
  size_t deleted = 0;
  std::vector<ObjectProblem> failures;
};

struct DeleteOptions {
  size_t jobs = 16;
  // How long custom resources may take to go (their operators' finalizers)
  // before the workloads are deleted all the same; the stragglers are failures.
  std::chrono::milliseconds finalizer_timeout{std::chrono::minutes(2)};
  EventSink on_event;
};

// Deletes the objects (background propagation) in the rounds of
// deletion_round() (kube/ownership.h): custom resources first, waited for
// until they are gone so that their operators can still run their
// finalizers; then workloads and Services; then everything else; then
// Namespaces; then CustomResourceDefinitions. The objects must already be
// gantry's (list_target_objects, Plan::orphans): nothing is filtered here.
DeleteReport delete_objects(const Client& client, const std::vector<Orphan>& objects,
                            const DeleteOptions& options);

// Waits until every object is ready (readiness()), one fails, or the
// timeout passes; returns the objects that are not ready and why.
struct WaitTarget {
  ResourceType type;
  std::string ns, name;
  Location source;
};
std::vector<ObjectProblem> wait_ready(const Client& client, const std::vector<WaitTarget>& targets,
                                      std::chrono::milliseconds timeout, size_t jobs,
                                      const EventSink& on_event = {});

}  // namespace gantry::kube
