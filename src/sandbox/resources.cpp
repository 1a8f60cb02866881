#include "sandbox/resources.h"

#include <algorithm>
#include <tuple>

namespace gantry::sandbox {

namespace {

ResourceType make(std::string group, std::string version, std::string resource, std::string kind,
                  bool namespaced, std::vector<std::string> short_names, bool status,
                  bool generation, std::vector<std::string> categories = {}) {
  ResourceType t;
  t.group = std::move(group);
  t.version = std::move(version);
  t.resource = std::move(resource);
  t.kind = std::move(kind);
  t.singular.reserve(t.kind.size());
  for (char c : t.kind)
    t.singular += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  t.namespaced = namespaced;
  t.short_names = std::move(short_names);
  t.status_subresource = status;
  t.has_generation = generation;
  t.categories = std::move(categories);
  return t;
}

}  // namespace

const std::vector<ResourceType>& builtin_types() {
  // Kubernetes 1.31, default feature gates: the resources of every GA API
  // group-version (alpha and beta versions are off by default), with their
  // scope, short names and categories as kube-apiserver registers them
  // (pkg/registry/*/rest, staging/src/k8s.io/api), and the create-only
  // review types (authentication.k8s.io, authorization.k8s.io, bindings).
  static const std::vector<ResourceType> types = [] {
    std::vector<ResourceType> v;
    const std::vector<std::string> all{"all"};
    const std::vector<std::string> ext{"api-extensions"};
    const std::vector<std::string> create_only{"create"};
    auto add = [&](std::string group, std::string version, std::string resource, std::string kind,
                   bool namespaced, std::vector<std::string> short_names, bool status,
                   bool generation, std::vector<std::string> categories = {},
                   std::vector<std::string> verbs = {}, bool review = false) {
      ResourceType t =
          make(std::move(group), std::move(version), std::move(resource), std::move(kind),
               namespaced, std::move(short_names), status, generation, std::move(categories));
      t.verbs = std::move(verbs);
      t.review = review;
      v.push_back(std::move(t));
    };
    const std::string rbac = "rbac.authorization.k8s.io", adm = "admissionregistration.k8s.io",
                      net = "networking.k8s.io", storage = "storage.k8s.io";
    // core/v1
    add("", "v1", "namespaces", "Namespace", false, {"ns"}, true, false, {},
        {"create", "delete", "get", "list", "patch", "update", "watch"});
    add("", "v1", "bindings", "Binding", true, {}, false, false, {}, create_only, true);
    add("", "v1", "componentstatuses", "ComponentStatus", false, {"cs"}, false, false, {},
        {"get", "list"});
    add("", "v1", "configmaps", "ConfigMap", true, {"cm"}, false, false);
    add("", "v1", "endpoints", "Endpoints", true, {"ep"}, false, false);
    add("", "v1", "events", "Event", true, {"ev"}, false, false);
    add("", "v1", "limitranges", "LimitRange", true, {"limits"}, false, false);
    add("", "v1", "nodes", "Node", false, {"no"}, true, false);
    add("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, {"pvc"}, true, false);
    add("", "v1", "persistentvolumes", "PersistentVolume", false, {"pv"}, true, false);
    add("", "v1", "pods", "Pod", true, {"po"}, true, false, all);
    add("", "v1", "podtemplates", "PodTemplate", true, {}, false, false);
    add("", "v1", "replicationcontrollers", "ReplicationController", true, {"rc"}, true, true, all);
    add("", "v1", "resourcequotas", "ResourceQuota", true, {"quota"}, true, false);
    add("", "v1", "secrets", "Secret", true, {}, false, false);
    add("", "v1", "serviceaccounts", "ServiceAccount", true, {"sa"}, false, false);
    add("", "v1", "services", "Service", true, {"svc"}, true, false, all);
    // admissionregistration.k8s.io/v1
    add(adm, "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, {},
        false, true, ext);
    add(adm, "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", false, {}, true,
        true, ext);
    add(adm, "v1", "validatingadmissionpolicybindings", "ValidatingAdmissionPolicyBinding", false,
        {}, false, true, ext);
    add(adm, "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, {},
        false, true, ext);
    add("apiregistration.k8s.io", "v1", "apiservices", "APIService", false, {}, true, false, ext);
    // apps/v1
    add("apps", "v1", "controllerrevisions", "ControllerRevision", true, {}, false, false);
    add("apps", "v1", "daemonsets", "DaemonSet", true, {"ds"}, true, true, all);
    add("apps", "v1", "deployments", "Deployment", true, {"deploy"}, true, true, all);
    add("apps", "v1", "replicasets", "ReplicaSet", true, {"rs"}, true, true, all);
    add("apps", "v1", "statefulsets", "StatefulSet", true, {"sts"}, true, true, all);
    // authentication.k8s.io/v1, authorization.k8s.io/v1: answered, never stored
    add("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, {}, false,
        false, {}, create_only, true);
    add("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false, {}, false, false, {},
        create_only, true);
    for (auto [res, kind, ns] : std::vector<std::tuple<const char*, const char*, bool>>{
             {"localsubjectaccessreviews", "LocalSubjectAccessReview", true},
             {"selfsubjectaccessreviews", "SelfSubjectAccessReview", false},
             {"selfsubjectrulesreviews", "SelfSubjectRulesReview", false},
             {"subjectaccessreviews", "SubjectAccessReview", false}})
      add("authorization.k8s.io", "v1", res, kind, ns, {}, false, false, {}, create_only, true);
    // autoscaling: v2 (preferred, stored) and v1, one storage, converted.
    add("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, {"hpa"},
        true, true, all);
    add("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, {"hpa"},
        true, true, all);
    v.back().storage_version = "v2";
    add("batch", "v1", "cronjobs", "CronJob", true, {"cj"}, true, true, all);
    add("batch", "v1", "jobs", "Job", true, {}, true, true, all);
    add("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest",
        false, {"csr"}, true, false);
    add("coordination.k8s.io", "v1", "leases", "Lease", true, {}, false, false);
    add("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, {}, false, false);
    add("events.k8s.io", "v1", "events", "Event", true, {"ev"}, false, false);
    add("flowcontrol.apiserver.k8s.io", "v1", "flowschemas", "FlowSchema", false, {}, true, true);
    add("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations",
        "PriorityLevelConfiguration", false, {}, true, true);
    add(net, "v1", "ingressclasses", "IngressClass", false, {}, false, false);
    add(net, "v1", "ingresses", "Ingress", true, {"ing"}, true, true);
    add(net, "v1", "networkpolicies", "NetworkPolicy", true, {"netpol"}, false, true);
    add("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, {}, false, false);
    add("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, {"pdb"}, true, true);
    add(rbac, "v1", "clusterrolebindings", "ClusterRoleBinding", false, {}, false, false);
    add(rbac, "v1", "clusterroles", "ClusterRole", false, {}, false, false);
    add(rbac, "v1", "rolebindings", "RoleBinding", true, {}, false, false);
    add(rbac, "v1", "roles", "Role", true, {}, false, false);
    add("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, {"pc"}, false, false);
    add(storage, "v1", "csidrivers", "CSIDriver", false, {}, false, false);
    add(storage, "v1", "csinodes", "CSINode", false, {}, false, false);
    add(storage, "v1", "csistoragecapacities", "CSIStorageCapacity", true, {}, false, false);
    add(storage, "v1", "storageclasses", "StorageClass", false, {"sc"}, false, false);
    add(storage, "v1", "volumeattachments", "VolumeAttachment", false, {}, true, false);
    // Last: the sandbox finds it at back().
    add("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
        false, {"crd", "crds"}, true, true, ext);
    return v;
  }();
  return types;
}

bool allows(const ResourceType& t, const std::string& verb) {
  return t.verbs.empty() || std::find(t.verbs.begin(), t.verbs.end(), verb) != t.verbs.end();
}

std::vector<ResourceType> types_from_crd(const doc::Value& crd) {
  std::vector<ResourceType> out;
  const doc::Value* spec = crd.find("spec");
  if (!spec || !spec->is_map()) return out;
  const doc::Value* names = spec->find("names");
  const doc::Value* versions = spec->find("versions");
  if (!names || !names->is_map() || !versions || !versions->is_list()) return out;
  std::string group = spec->get_string("group");
  std::string plural = names->get_string("plural");
  std::string kind = names->get_string("kind");
  if (group.empty() || plural.empty() || kind.empty()) return out;
  std::string singular = names->get_string("singular");
  if (singular.empty()) {
    for (char c : kind)
      singular += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const auto& ver : versions->as_list()) {
    if (!ver.is_map()) continue;
    const doc::Value* served = ver.find("served");
    if (served && served->is_bool() && !served->as_bool()) continue;
    ResourceType t;
    t.group = group;
    t.version = ver.get_string("name");
    if (t.version.empty()) continue;
    t.resource = plural;
    t.kind = kind;
    t.singular = singular;
    t.namespaced = spec->get_string("scope", "Namespaced") != "Cluster";
    if (const doc::Value* sn = names->find("shortNames"); sn && sn->is_list())
      for (const auto& s : sn->as_list())
        if (s.is_string()) t.short_names.push_back(s.as_string());
    if (const doc::Value* cat = names->find("categories"); cat && cat->is_list())
      for (const auto& s : cat->as_list())
        if (s.is_string()) t.categories.push_back(s.as_string());
    const doc::Value* sub = ver.find_path({"subresources", "status"});
    t.status_subresource = sub != nullptr;
    t.has_generation = true;
    t.custom = true;
    if (const doc::Value* schema = ver.find_path({"schema", "openAPIV3Schema"}))
      t.schema = std::make_shared<const doc::Value>(*schema);
    if (const doc::Value* cols = ver.find("additionalPrinterColumns");
        cols && cols->is_list() && cols->size())
      t.printer_columns = std::make_shared<const doc::Value>(*cols);
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace gantry::sandbox
