#include "render/kind_scope.h"

#include "kustomize/kustomize.h"

namespace gantry::render {

namespace {

std::string group_kind(std::string_view api_version, std::string_view kind) {
  auto slash = api_version.find('/');
  std::string_view group = slash == std::string_view::npos ? "" : api_version.substr(0, slash);
  return std::string(group) + "/" + std::string(kind);
}

}  // namespace

void KindScopes::learn(const doc::Value& object) {
  if (object.get_string("kind") != "CustomResourceDefinition" ||
      group_kind(object.get_string("apiVersion"), "") != "apiextensions.k8s.io/")
    return;
  const doc::Value* spec = object.find("spec");
  if (!spec || !spec->is_map()) return;
  const doc::Value* names = spec->find("names");
  std::string kind = names && names->is_map() ? names->get_string("kind") : "";
  std::string group = spec->get_string("group");
  if (kind.empty() || group.empty()) return;
  crds_[group + "/" + kind] = spec->get_string("scope", "Namespaced") != "Cluster";
}

bool KindScopes::namespaced(std::string_view api_version, std::string_view kind) const {
  if (auto it = crds_.find(group_kind(api_version, kind)); it != crds_.end()) return it->second;
  return !kustomize::is_cluster_scoped_kind(api_version, kind);
}

void KindScopes::default_namespace(doc::Value& object, const std::string& ns) const {
  if (ns.empty() || !namespaced(object.get_string("apiVersion"), object.get_string("kind"))) return;
  doc::Value& meta = object["metadata"];
  if (!meta.is_map()) return;
  const doc::Value* cur = meta.find("namespace");
  if (!cur || cur->is_null() || (cur->is_string() && cur->as_string().empty()))
    meta.set("namespace", ns);
}

}  // namespace gantry::render
