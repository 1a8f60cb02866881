// Which live objects are gantry's to prune or delete, and in which order.
//
// A label query alone cannot tell: the cluster's own controllers copy labels.
// The endpoints controller gives a Service's Endpoints the Service's labels,
// the EndpointSlice controller does the same for its slices, and workload
// controllers give ReplicaSets, Pods and ControllerRevisions the labels of the
// pod template. So a live object carrying the target's discriminator is
// gantry's only when all of these hold:
//   - it has no metadata.ownerReferences (another object owns it);
//   - its metadata.managedFields hold an entry of one of gantry's field
//     managers ("gantry" for the CLI, "gantry-controller" for the GitOps
//     controller, plus managers the user adopts explicitly, e.g. "kluctl");
//   - it is not annotated gantry.dev/skip-delete or kluctl.io/skip-delete
//     "true", nor helm.sh/resource-policy "keep".
// gantry.dev/force-managed (or kluctl.io/force-managed) "true" opts an object
// in regardless of owners and managers; skip-delete still wins over it.
//
// diff, deploy --prune, prune, delete and the controller all use this one rule.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "doc/value.h"
#include "kube/discovery.h"

namespace gantry::kube {

// The field manager of `gantry deploy` and of the GitOps controller.
inline constexpr std::string_view kCliFieldManager = "gantry";
inline constexpr std::string_view kControllerFieldManager = "gantry-controller";

struct OwnershipRule {
  // Field managers whose objects are gantry's. Both of gantry's own are always
  // there; adopt more (kluctl's "kluctl") when taking over another tool's objects.
  std::vector<std::string> managers{std::string(kCliFieldManager),
                                    std::string(kControllerFieldManager)};
};

enum class Ownership {
  kOurs,           // gantry's to prune or delete
  kKeep,           // skip-delete or helm.sh/resource-policy: keep
  kOwnedByObject,  // has ownerReferences: its owner's controller (or the GC) handles it
  kForeign,        // carries the label, but no gantry field manager applied it
};

struct OwnershipVerdict {
  Ownership kind = Ownership::kForeign;
  std::string why;  // for kKeep and kForeign: what a person reads ("created by kubectl-create")
};

OwnershipVerdict ownership(const doc::Value& live, const OwnershipRule& rule);

// Types whose objects the system creates and owns (Events, Endpoints,
// EndpointSlices, node Leases' namespace aside, review types, ComponentStatus,
// Nodes): never listed for pruning, which also saves their LIST calls.
// Endpoints and EndpointSlices are listed only when `rendered_kinds` has them
// (a selector-less Service's Endpoints that the project applies itself).
bool never_listed_for_prune(const ResourceType& type,
                            const std::vector<std::string>& rendered_kinds);
// Objects of a listed type that are the system's all the same (Leases in kube-node-lease).
bool system_object(const ResourceType& type, const doc::Value& live);

// The round in which an object is deleted, like kluctl orders deletes but
// with Namespaces and CRDs last: 0 custom resources (so operators still run
// while their finalizers are processed), 1 workloads, Services and Ingresses,
// 2 everything else, 3 Namespaces, 4 CustomResourceDefinitions.
int deletion_round(const ResourceType& type);
inline constexpr int kDeletionRounds = 5;

// True for the API groups Kubernetes itself serves (core, apps, batch,
// autoscaling, policy and the built-in *.k8s.io groups); false for groups
// served by CRDs or aggregated API servers.
bool builtin_group(std::string_view group);

}  // namespace gantry::kube
