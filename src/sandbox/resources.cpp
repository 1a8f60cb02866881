#include "sandbox/resources.h"

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
  static const std::vector<ResourceType> types = [] {
    std::vector<ResourceType> v;
    std::vector<std::string> all{"all"};
    v.push_back(make("", "v1", "namespaces", "Namespace", false, {"ns"}, true, false));
    v.push_back(make("", "v1", "configmaps", "ConfigMap", true, {"cm"}, false, false));
    v.push_back(make("", "v1", "secrets", "Secret", true, {}, false, false));
    v.push_back(make("", "v1", "services", "Service", true, {"svc"}, true, false, all));
    v.push_back(make("", "v1", "serviceaccounts", "ServiceAccount", true, {"sa"}, false, false));
    v.push_back(make("", "v1", "pods", "Pod", true, {"po"}, true, false, all));
    v.push_back(make("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, {"pvc"},
                     true, false));
    v.push_back(make("", "v1", "events", "Event", true, {"ev"}, false, false));
    v.push_back(make("apps", "v1", "deployments", "Deployment", true, {"deploy"}, true, true, all));
    v.push_back(make("apps", "v1", "replicasets", "ReplicaSet", true, {"rs"}, true, true, all));
    v.push_back(make("apps", "v1", "statefulsets", "StatefulSet", true, {"sts"}, true, true, all));
    v.push_back(make("apps", "v1", "daemonsets", "DaemonSet", true, {"ds"}, true, true, all));
    v.push_back(make("batch", "v1", "jobs", "Job", true, {}, true, true, all));
    v.push_back(make("batch", "v1", "cronjobs", "CronJob", true, {"cj"}, true, true, all));
    v.push_back(make("networking.k8s.io", "v1", "ingresses", "Ingress", true, {"ing"}, true, true));
    v.push_back(make("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true,
                     {"netpol"}, false, true));
    v.push_back(make("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler",
                     true, {"hpa"}, true, true, all));
    v.push_back(make("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, {"pdb"},
                     true, true));
    v.push_back(make("rbac.authorization.k8s.io", "v1", "roles", "Role", true, {}, false, false));
    v.push_back(make("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, {},
                     false, false));
    v.push_back(make("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, {},
                     false, false));
    v.push_back(make("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
                     false, {}, false, false));
    v.push_back(make("", "v1", "endpoints", "Endpoints", true, {"ep"}, false, false));
    v.push_back(
        make("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true, {}, false, false));
    v.push_back(
        make("apps", "v1", "controllerrevisions", "ControllerRevision", true, {}, false, false));
    v.push_back(make("coordination.k8s.io", "v1", "leases", "Lease", true, {}, false, false));
    v.push_back(make("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                     "CustomResourceDefinition", false, {"crd", "crds"}, true, true));
    return v;
  }();
  return types;
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
