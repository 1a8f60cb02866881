#include "kube/ownership.h"

#include <algorithm>
#include <array>
#include <set>

#include "kube/objects.h"

namespace gantry::kube {

using doc::Value;

namespace {

bool annotation_is(const Value& obj, const std::string& key, std::string_view want) {
  const Value* ann = obj.find_path({"metadata", "annotations"});
  if (!ann || !ann->is_map()) return false;
  const Value* v = ann->find(key);
  return v && v->is_string() && v->as_string() == want;
}

// The managers of managedFields, in order, without repeats.
std::vector<std::string> managers_of(const Value& live) {
  std::vector<std::string> out;
  const Value* mf = live.find_path({"metadata", "managedFields"});
  if (!mf || !mf->is_list()) return out;
  for (const auto& e : mf->as_list()) {
    std::string m = e.get_string("manager");
    if (!m.empty() && std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

OwnershipVerdict ownership(const Value& live, const OwnershipRule& rule) {
  if (gantry_annotation_text(live, "skip-delete") == "true")
    return {Ownership::kKeep,
            gantry_annotation(live, "skip-delete") ==
                    live.find_path({"metadata", "annotations", "gantry.dev/skip-delete"})
                ? "annotated gantry.dev/skip-delete"
                : "annotated kluctl.io/skip-delete"};
  if (annotation_is(live, "helm.sh/resource-policy", "keep"))
    return {Ownership::kKeep, "annotated helm.sh/resource-policy: keep"};
  if (gantry_annotation_text(live, "force-managed") == "true") return {Ownership::kOurs, ""};
  const Value* owners = live.find_path({"metadata", "ownerReferences"});
  if (owners && owners->is_list() && owners->size() > 0) {
    const Value& first = owners->as_list().front();
    return {Ownership::kOwnedByObject,
            "owned by " + first.get_string("kind") + " " + first.get_string("name")};
  }
  std::vector<std::string> managers = managers_of(live);
  for (const auto& m : managers)
    if (std::find(rule.managers.begin(), rule.managers.end(), m) != rule.managers.end())
      return {Ownership::kOurs, ""};
  return {Ownership::kForeign,
          managers.empty() ? "no field manager is recorded, so gantry cannot tell who made it"
                           : "not applied by gantry (field managers: " + join(managers) + ")"};
}

bool never_listed_for_prune(const ResourceType& t, const std::vector<std::string>& rendered_kinds) {
  auto rendered = [&](std::string_view kind) {
    return std::find(rendered_kinds.begin(), rendered_kinds.end(), kind) != rendered_kinds.end();
  };
  // Written by kube-apiserver, the kubelet and kube-controller-manager, never by
  // deploy tools: events, node heartbeats, the review "verbs" (create-only).
  if (t.resource == "events" && (t.group.empty() || t.group == "events.k8s.io")) return true;
  if (t.group.empty() &&
      (t.resource == "componentstatuses" || t.resource == "nodes" || t.resource == "bindings"))
    return true;
  if (t.group == "authentication.k8s.io" || t.group == "authorization.k8s.io") return true;
  // The endpoints and EndpointSlice controllers create these for every Service
  // with a selector and copy the Service's labels onto them. A project may
  // apply its own for a Service without a selector; only then are they listed.
  if (t.group.empty() && t.resource == "endpoints") return !rendered("Endpoints");
  if (t.group == "discovery.k8s.io" && t.resource == "endpointslices")
    return !rendered("EndpointSlice");
  return false;
}

bool system_object(const ResourceType& t, const Value& live) {
  // The kubelet's heartbeat Leases (one per node).
  return t.group == "coordination.k8s.io" && t.resource == "leases" &&
         namespace_of(live) == "kube-node-lease";
}

bool builtin_group(std::string_view group) {
  static const std::set<std::string_view> groups = {
      "",
      "apps",
      "batch",
      "autoscaling",
      "policy",
      "extensions",
      "admissionregistration.k8s.io",
      "apiextensions.k8s.io",
      "apiregistration.k8s.io",
      "authentication.k8s.io",
      "authorization.k8s.io",
      "certificates.k8s.io",
      "coordination.k8s.io",
      "discovery.k8s.io",
      "events.k8s.io",
      "flowcontrol.apiserver.k8s.io",
      "internal.apiserver.k8s.io",
      "networking.k8s.io",
      "node.k8s.io",
      "rbac.authorization.k8s.io",
      "resource.k8s.io",
      "scheduling.k8s.io",
      "storage.k8s.io",
      "storagemigration.k8s.io",
  };
  return groups.count(group) > 0;
}

int deletion_round(const ResourceType& t) {
  if (t.group == "apiextensions.k8s.io" && t.kind == "CustomResourceDefinition") return 4;
  if (t.group.empty() && t.kind == "Namespace") return 3;
  if (!builtin_group(t.group)) return 0;
  static const std::array<std::string_view, 10> workloads = {
      "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
      "Job",        "CronJob",     "Pod",       "Service",    "Ingress"};
  if (std::find(workloads.begin(), workloads.end(), t.kind) != workloads.end()) return 1;
  return 2;
}

}  // namespace gantry::kube
