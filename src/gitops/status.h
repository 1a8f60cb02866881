// What the controller writes back: the resource's status (Kubernetes
// conditions Ready, Reconciling and Stalled following the API conventions,
// revisions, the last result, the inventory, drift repairs) and Events.
#pragma once

#include <string>
#include <vector>

#include "doc/value.h"
#include "gitops/resource.h"
#include "kube/client.h"
#include "kube/deploy.h"

namespace gantry::gitops {

// One condition; lastTransitionTime is kept from the previous status when
// the condition's status did not change.
struct Condition {
  std::string type, status, reason, message;
};

// A repaired drift, for the status's recent list.
struct Repair {
  std::string object;  // "Deployment shop/web"
  std::string change;  // "spec.replicas 1 -> 5", "deleted", "labels changed"
  std::string time;    // RFC 3339
};

struct StatusUpdate {
  int64_t observed_generation = 0;
  std::vector<Condition> conditions;  // Ready first
  std::string last_attempted_revision, last_applied_revision;
  std::string handled_request;  // the manual-request annotation value answered
  doc::Value
      last_result;  // {applied, unchanged, pruned, hooks, failed, failures, durationMs, time}
  std::vector<std::string> inventory;  // "Kind ns/name", sorted
  // The deployment item (its directory) of each inventory entry, same order.
  std::vector<std::string> inventory_items;
  doc::Value history;  // gitops/history.h: newest first; null leaves it out
  int64_t drift_repairs = 0;
  std::vector<Repair> recent_repairs;  // newest last, at most 10
  std::vector<std::string> unsupported;
};

// `{observedGeneration, conditions}`: the part of a status every gantry
// resource has, carrying over transition times from `old` (the resource's
// current status, or null).
doc::Value conditions_status(const std::vector<Condition>& conditions, int64_t observed_generation,
                             const doc::Value* old);

// The status object for `update` (inventory items as status.inventoryItems
// [{path, objects: [indices into status.inventory]}], in first-seen order), carrying over
// transition times from `old` (the resource's current status, or null).
doc::Value status_value(const StatusUpdate& update, const doc::Value* old);

// Writes `status` of any resource through its status subresource (a JSON
// merge patch: no resourceVersion, so no conflict with other writers). A
// resource that is gone (404) is not an error; throws Error when the server
// refuses.
void patch_status(const kube::Client& client, const kube::ResourceType& type, const std::string& ns,
                  const std::string& name, const doc::Value& status);

// patch_status of a GantryDeployment or KluctlDeployment.
void write_status(const kube::Client& client, const DeploymentSpec& d, const doc::Value& status);

// Records a core/v1 Event on the resource ("Normal" or "Warning"); failures
// to record are ignored (events are best effort, as in client-go).
void record_event(const kube::Client& client, const DeploymentSpec& d, const std::string& type,
                  const std::string& reason, const std::string& message);

}  // namespace gantry::gitops
