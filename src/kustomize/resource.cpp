// The resource model: ids, id history, field spec paths and kustomize's
// default field spec tables.
#include <algorithm>

#include <cctype>

#include "kustomize/internal.h"
#include "kustomize/kustomize.h"

namespace gantry::kustomize::detail {

Gvk Gvk::of(const doc::Value& obj) {
  Gvk g;
  std::string api = obj.get_string("apiVersion");
  auto slash = api.find('/');
  if (slash == std::string::npos) {
    g.version = api;
  } else {
    g.group = api.substr(0, slash);
    g.version = api.substr(slash + 1);
  }
  g.kind = obj.get_string("kind");
  return g;
}

std::string Gvk::str() const {
  std::string s = kind.empty() ? "[noKind]" : kind;
  s += "." + (version.empty() ? std::string("[noVer]") : version);
  s += "." + (group.empty() ? std::string("[noGrp]") : group);
  return s;
}

bool Gvk::selected_by(const Gvk& sel) const {
  if (!sel.group.empty() && sel.group != group) return false;
  if (!sel.version.empty() && sel.version != version) return false;
  if (!sel.kind.empty() && sel.kind != kind) return false;
  return true;
}

bool is_cluster_scoped(const Gvk& gvk) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kinds = {
      {"", "Namespace"},
      {"", "Node"},
      {"", "PersistentVolume"},
      {"", "ComponentStatus"},
      {"apiextensions.k8s.io", "CustomResourceDefinition"},
      {"rbac.authorization.k8s.io", "ClusterRole"},
      {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
      {"storage.k8s.io", "StorageClass"},
      {"storage.k8s.io", "CSIDriver"},
      {"storage.k8s.io", "CSINode"},
      {"storage.k8s.io", "VolumeAttachment"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
      {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
      {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"},
      {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"},
      {"apiregistration.k8s.io", "APIService"},
      {"networking.k8s.io", "IngressClass"},
      {"node.k8s.io", "RuntimeClass"},
      {"policy", "PodSecurityPolicy"},
      {"certificates.k8s.io", "CertificateSigningRequest"},
      {"flowcontrol.apiserver.k8s.io", "FlowSchema"},
      {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
  };
  for (const auto& [g, k] : kinds)
    if (g == gvk.group && k == gvk.kind) return true;
  // kustomize knows the scope of the built-in types before any schema; a
  // custom `openapi:` schema decides for the others.
  if (const OpenApiSchema* s = active_openapi_schema(); s && !is_builtin_group(gvk.group))
    if (std::optional<bool> namespaced = s->namespaced(gvk)) return !*namespaced;
  return false;
}

}  // namespace gantry::kustomize::detail

namespace gantry::kustomize {

bool is_cluster_scoped_kind(std::string_view api_version, std::string_view kind) {
  auto slash = api_version.find('/');
  detail::Gvk gvk;
  gvk.group = slash == std::string_view::npos ? "" : std::string(api_version.substr(0, slash));
  gvk.kind = std::string(kind);
  return detail::is_cluster_scoped(gvk);
}

}  // namespace gantry::kustomize

namespace gantry::kustomize::detail {

bool ResId::cluster_scoped() const {
  return is_cluster_scoped(gvk);
}

std::string ResId::effective_ns() const {
  if (cluster_scoped()) return "_non_namespaceable_";
  return ns.empty() ? "default" : ns;
}

bool ResId::equals(const ResId& o) const {
  return gvk == o.gvk && name == o.name && ns_equals(o);
}

std::string ResId::str() const {
  return gvk.str() + "/" + name + "." + (ns.empty() ? std::string("[noNs]") : ns);
}

ResId Res::cur_id() const {
  return ResId{Gvk::of(obj), name(), ns()};
}

bool Res::matches_any_id(const ResId& id) const {
  if (cur_id().equals(id)) return true;
  return std::any_of(prev.begin(), prev.end(), [&](const ResId& p) { return p.equals(id); });
}

std::string Res::name() const {
  const doc::Value* m = obj.find("metadata");
  return m ? m->get_string("name") : std::string();
}

std::string Res::ns() const {
  const doc::Value* m = obj.find("metadata");
  return m ? m->get_string("namespace") : std::string();
}

void Res::set_name(const std::string& name) {
  obj["metadata"].set("name", name);
}

void Res::set_ns(const std::string& ns) {
  obj["metadata"].set("namespace", ns);
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '\\' && i + 1 < path.size() && path[i + 1] == '/') {
      cur += '/';
      ++i;
    } else if (path[i] == '/') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += path[i];
    }
  }
  out.push_back(cur);
  return out;
}

namespace {

void visit_at(doc::Value& node, const std::vector<std::string>& path, size_t i, bool create,
              const std::function<void(doc::Value&)>& fn) {
  if (i == path.size()) {
    fn(node);
    return;
  }
  if (node.is_list()) {
    for (auto& e : node.as_list())
      visit_at(e, path, i, create, fn);
    return;
  }
  if (!node.is_map()) return;
  std::string key = path[i];
  bool explicit_list = key.size() > 2 && key.compare(key.size() - 2, 2, "[]") == 0;
  if (explicit_list) key.resize(key.size() - 2);
  doc::Value* child = node.find(key);
  if (!child) {
    if (!create || explicit_list) return;
    child = &node[key];
    if (i + 1 < path.size()) *child = doc::Value::map();
  }
  if (child->is_null() && i + 1 < path.size()) {
    if (!create) return;
    *child = doc::Value::map();
  }
  visit_at(*child, path, i + 1, create, fn);
}

}  // namespace

void visit_path(doc::Value& obj, const std::vector<std::string>& path, bool create,
                const std::function<void(doc::Value&)>& fn) {
  visit_at(obj, path, 0, create, fn);
}

void visit_fieldspecs(doc::Value& obj, const Gvk& gvk, const std::vector<FieldSpec>& specs,
                      const std::function<void(doc::Value&)>& fn) {
  for (const auto& fs : specs) {
    if (!gvk.selected_by(fs.gvk)) continue;
    visit_path(obj, split_path(fs.path), fs.create, fn);
  }
}

namespace {

FieldSpec fs(std::string_view group, std::string_view version, std::string_view kind,
             std::string_view path, bool create) {
  return FieldSpec{Gvk{std::string(group), std::string(version), std::string(kind)},
                   std::string(path), create};
}

}  // namespace

const std::vector<FieldSpec>& common_label_specs() {
  static const std::vector<FieldSpec> specs = [] {
    std::vector<FieldSpec> v;
    v.push_back(fs("", "", "", "metadata/labels", true));
    v.push_back(fs("", "v1", "Service", "spec/selector", true));
    v.push_back(fs("", "v1", "ReplicationController", "spec/selector", true));
    v.push_back(fs("", "v1", "ReplicationController", "spec/template/metadata/labels", true));
    const char* affinity[] = {
        "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/"
        "podAffinityTerm/labelSelector/matchLabels",
        "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/"
        "labelSelector/matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/"
        "preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/"
        "matchLabels",
        "spec/template/spec/affinity/podAntiAffinity/"
        "requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
        "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
    };
    v.push_back(fs("", "", "Deployment", "spec/selector/matchLabels", true));
    v.push_back(fs("", "", "Deployment", "spec/template/metadata/labels", true));
    for (const char* p : affinity)
      v.push_back(fs("apps", "", "Deployment", p, false));
    v.push_back(fs("", "", "ReplicaSet", "spec/selector/matchLabels", true));
    v.push_back(fs("", "", "ReplicaSet", "spec/template/metadata/labels", true));
    v.push_back(fs("", "", "DaemonSet", "spec/selector/matchLabels", true));
    v.push_back(fs("", "", "DaemonSet", "spec/template/metadata/labels", true));
    v.push_back(fs("apps", "", "StatefulSet", "spec/selector/matchLabels", true));
    v.push_back(fs("apps", "", "StatefulSet", "spec/template/metadata/labels", true));
    for (const char* p : affinity)
      v.push_back(fs("apps", "", "StatefulSet", p, false));
    v.push_back(fs("apps", "", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true));
    v.push_back(fs("batch", "", "Job", "spec/selector/matchLabels", false));
    v.push_back(fs("batch", "", "Job", "spec/template/metadata/labels", true));
    v.push_back(fs("batch", "", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false));
    v.push_back(fs("batch", "", "CronJob", "spec/jobTemplate/metadata/labels", true));
    v.push_back(fs("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true));
    v.push_back(fs("policy", "", "PodDisruptionBudget", "spec/selector/matchLabels", false));
    v.push_back(
        fs("networking.k8s.io", "", "NetworkPolicy", "spec/podSelector/matchLabels", false));
    v.push_back(fs("networking.k8s.io", "", "NetworkPolicy",
                   "spec/ingress/from/podSelector/matchLabels", false));
    v.push_back(fs("networking.k8s.io", "", "NetworkPolicy",
                   "spec/egress/to/podSelector/matchLabels", false));
    return v;
  }();
  return specs;
}

const std::vector<FieldSpec>& template_label_specs() {
  static const std::vector<FieldSpec> specs = {
      fs("", "", "", "metadata/labels", true),
      fs("", "v1", "ReplicationController", "spec/template/metadata/labels", true),
      fs("", "", "Deployment", "spec/template/metadata/labels", true),
      fs("", "", "ReplicaSet", "spec/template/metadata/labels", true),
      fs("", "", "DaemonSet", "spec/template/metadata/labels", true),
      fs("apps", "", "StatefulSet", "spec/template/metadata/labels", true),
      fs("apps", "", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
      fs("batch", "", "Job", "spec/template/metadata/labels", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/metadata/labels", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true),
  };
  return specs;
}

const std::vector<FieldSpec>& common_annotation_specs() {
  static const std::vector<FieldSpec> specs = {
      fs("", "", "", "metadata/annotations", true),
      fs("", "v1", "ReplicationController", "spec/template/metadata/annotations", true),
      fs("", "", "Deployment", "spec/template/metadata/annotations", true),
      fs("", "", "ReplicaSet", "spec/template/metadata/annotations", true),
      fs("", "", "DaemonSet", "spec/template/metadata/annotations", true),
      fs("", "", "StatefulSet", "spec/template/metadata/annotations", true),
      fs("batch", "", "Job", "spec/template/metadata/annotations", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/metadata/annotations", true),
      fs("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
  };
  return specs;
}

const std::vector<FieldSpec>& replica_specs() {
  static const std::vector<FieldSpec> specs = {
      fs("", "", "Deployment", "spec/replicas", true),
      fs("", "", "ReplicationController", "spec/replicas", true),
      fs("", "", "ReplicaSet", "spec/replicas", true),
      fs("", "", "StatefulSet", "spec/replicas", true),
  };
  return specs;
}

Location where_of(const doc::Value& v, const std::string& file) {
  return v.span().known() ? v.span().location() : Location{file};
}

std::string optional_string(const doc::Value& m, std::string_view key, const std::string& what,
                            const std::string& file) {
  const doc::Value* v = m.find(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string())
    throw Error(where_of(*v, file),
                what + std::string(key) + " must be a string (in " + file + ")");
  return v->as_string();
}

const doc::Value* find_key_any_case(const doc::Value& m, std::string_view key) {
  if (!m.is_map()) return nullptr;
  if (const doc::Value* v = m.find(key)) return v;
  for (const auto& e : m.as_map())
    if (e.key.size() == key.size() &&
        std::equal(e.key.begin(), e.key.end(), key.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return &e.value;
  return nullptr;
}

std::string scalar_string(const doc::Value& v) {
  switch (v.type()) {
    case doc::Type::kString:
      return v.as_string();
    case doc::Type::kBool:
      return v.as_bool() ? "true" : "false";
    case doc::Type::kInt:
      return std::to_string(v.as_int());
    case doc::Type::kNull:
      return "";
    case doc::Type::kFloat: {
      std::string s = std::to_string(v.as_float());
      while (s.size() > 1 && s.back() == '0')
        s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    }
    default:
      v.fail("expected a string, found a " + std::string(doc::type_name(v.type())));
  }
}

}  // namespace gantry::kustomize::detail
