// What the dashboard's JSON API sends, shaped from Kubernetes objects. Pure
// functions (no I/O), so every rule here is unit-tested:
//   - a deployment's summary row (target, source, Ready, last result, drift
//     repairs, suspended) from a GantryDeployment or KluctlDeployment;
//   - a managed object's health (ready, progressing, degraded, missing) and,
//     for workloads, its replica counts;
//   - an object prepared for display: managedFields taken out (folded into a
//     summary) and every Secret value masked, so that no secret value is
//     ever sent to the browser.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "doc/value.h"

namespace gantry::dashboard {

// {kind, namespace, name, target, sourceUrl, sourceRef, sourcePath, revision,
//  ready ("True"/"False"/"Unknown"), readyReason, readyMessage, reconciling,
//  lastResult {applied, unchanged, pruned, hooks, failed, durationMs, time},
//  lastDeployTime, driftRepairs, recentRepairs [{object, change, time}],
//  managedObjects, suspended, invalid (the spec's error, "" when valid)}.
doc::Value deployment_summary(const doc::Value& resource);

// One entry of status.inventory ("Kind ns/name" or "Kind name"), with the
// deployment item it was rendered from (status.inventoryItems; "" when the
// status does not say).
struct InventoryEntry {
  std::string kind, ns, name;
  std::string item;
};
// Entries that do not parse are skipped.
std::vector<InventoryEntry> inventory_of(const doc::Value& resource);

// {health: "ready"|"progressing"|"degraded", reason, replicas {desired, ready,
//  updated, available} for Deployments, StatefulSets, ReplicaSets and
//  DaemonSets}.
doc::Value object_health(const doc::Value& live);
// The same shape for an inventory entry that is not in the cluster.
doc::Value missing_health();

// `health` turned "drifted" when status.recentRepairs has a repair of
// `object` ("Kind ns/name") newer than `window` before `now` (RFC 3339 times):
// reason "repaired: <change>" (Secret values hidden). Missing and degraded
// objects stay so; replicas are kept.
doc::Value with_recent_repair(doc::Value health, const doc::Value& resource,
                              const std::string& object, std::chrono::system_clock::time_point now,
                              std::chrono::seconds window);

// status.history for the browser, newest first: the controller's entries
// (gitops/history.h) with only known fields kept, hook and failure messages
// with Secret values hidden.
doc::Value deploy_history(const doc::Value& resource);

// The object without metadata.managedFields, with Secret values masked:
// data and stringData values become "(N bytes, hidden)", and annotations
// that can carry a copy of them (kubectl's last-applied-configuration) are
// replaced. Kinds other than Secret keep their values.
doc::Value masked_object(const doc::Value& live);

// [{manager, operation, time, subresource}] from metadata.managedFields.
doc::Value managed_fields_summary(const doc::Value& live);

// Core/v1 Events about one object, newest first: [{type, reason, message,
// count, time}].
doc::Value events_about(const doc::Value& event_list, const std::string& kind,
                        const std::string& name);

}  // namespace gantry::dashboard
