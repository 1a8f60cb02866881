// The plan stage: what applying a render would change in the cluster.
//
// Every rendered object is mapped to its resource (CRDs in the render are
// registered first), defaulted into the context's namespace when it is
// namespaced and has none, and compared with the cluster: the live objects
// are read with one labelled LIST per resource and namespace (the target's
// discriminator label) plus a GET for any object not found that way, and every
// object is applied as a server-side dry run. The dry-run result against the
// live object, both stripped of server fields, decides whether the object is
// created, updated or unchanged — unless the live object already holds
// everything applied and our manager owns nothing more (kube/noop.h), which
// needs no dry run. Objects whose namespace or CRD the same run
// creates cannot be dry-run yet and are `kPending` (shown whole). Hooks are
// not dry-run (they are re-created when they run).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "doc/value.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/hooks.h"
#include "kube/ownership.h"
#include "render/render.h"

namespace gantry::kube {

enum class Change { kCreate, kUpdate, kUnchanged, kPending, kHook, kFailed };
std::string_view change_name(Change c);

struct PlannedObject {
  doc::Value desired;  // as rendered, namespace filled in
  Location source;     // manifest file:line
  size_t item = 0;     // index into RenderResult::items
  std::optional<ResourceType> type;
  HookSpec hook;
  std::optional<doc::Value> live;
  doc::Value result;  // the dry-run result (null unless dry-run succeeded)
  Change change = Change::kPending;
  std::string error;         // why mapping or the dry run failed (kFailed)
  std::string diff;          // unified diff, live -> result (or -> desired when pending)
  std::string name() const;  // "Deployment demo-app/api-golang"
};

// A live object of the target that the render no longer contains.
struct Orphan {
  ResourceType type;
  doc::Value live;
  std::string name() const;
};

// A live object carrying the target's discriminator that is not gantry's to
// delete (kube/ownership.h): created by someone else, or kept by annotation.
struct Kept {
  Orphan object;
  std::string why;
};

// What carries a target's discriminator in the cluster, sorted by ownership.
struct TargetObjects {
  std::vector<Orphan> ours;  // gantry's: pruned or deleted
  std::vector<Kept> kept;    // labelled, but others' (or annotated to stay)
  size_t owned = 0;          // labelled copies owned by another object (Pods, ReplicaSets...)
  // Types the caller may not list (403), e.g. a GitOps controller limited to
  // what it deploys on a cluster with other operators' CRDs: skipped, since
  // it cannot have created objects of them either ("group/resource").
  std::vector<std::string> unlistable;
};

struct Plan {
  std::string discriminator;
  std::vector<PlannedObject> objects;  // render order
  std::vector<Orphan> orphans;         // filled when PlanOptions::list_orphans
  std::vector<Kept> kept;              // labelled objects left alone (not gantry's), likewise
  bool orphans_listed = false;
  size_t count(Change c) const;
  // Creates, updates or pending objects (orphans not counted).
  bool has_changes() const;
};

struct PlanOptions {
  size_t jobs = 16;
  bool list_orphans = false;  // needs a discriminator
  // Read the live objects and dry-run every object; false only maps the
  // objects (enough to tell which live objects are orphans).
  bool compare = true;
  // Dry-run objects the labelled lists did not find (true for `diff`, which
  // should show the server's view of new objects and reject invalid ones
  // before anything happens). False takes them as new without a request;
  // `deploy` then learns the server's answer from the apply itself.
  bool dry_run_new = true;
  // Fill PlannedObject::diff (diff wants it; deploy does not print diffs).
  bool with_diffs = true;
  std::string field_manager = "gantry";
  // Which labelled live objects are gantry's (for orphans).
  OwnershipRule ownership;
};

// Builds the plan. Problems with single objects (unknown kinds, a dry run the
// server rejects) are recorded on the object (kFailed) so that every object
// reports its own state; failures to reach the cluster throw Error.
Plan make_plan(const Client& client, RestMapper& mapper, const render::RenderResult& render,
               const PlanOptions& options);

// Every live object carrying `discriminator` in every listable resource type
// (both scopes) but those the system owns (never_listed_for_prune), sorted by
// `rule`. Objects already being deleted are left out. `rendered_kinds` are the
// kinds of the render (it decides whether Endpoints and EndpointSlices are
// looked at).
TargetObjects list_target_objects(const Client& client, RestMapper& mapper,
                                  const std::string& discriminator, const OwnershipRule& rule,
                                  const std::vector<std::string>& rendered_kinds, size_t jobs);

// The kinds of a render's objects, without repeats.
std::vector<std::string> rendered_kinds(const render::RenderResult& render);

}  // namespace gantry::kube
