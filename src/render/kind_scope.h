// Which kinds of object are namespaced, as far as a render can know without a
// cluster: the built-in cluster-scoped kinds (kustomize's table), plus the
// CustomResourceDefinitions the render has seen. Used to set a default
// namespace (overrideNamespace, a Helm release's namespace) only where
// Kubernetes has one.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "doc/value.h"

namespace gantry::render {

class KindScopes {
 public:
  // Records the scope of the kind a CustomResourceDefinition declares
  // (spec.group, spec.names.kind, spec.scope); any other object is ignored.
  void learn(const doc::Value& object);

  // False for built-in cluster-scoped kinds and for kinds a learned CRD
  // declares `scope: Cluster`; true for everything else (built-in namespaced
  // kinds, CRDs with `scope: Namespaced`, and kinds nobody declared, as
  // kustomize assumes).
  bool namespaced(std::string_view api_version, std::string_view kind) const;

  // Sets metadata.namespace of `object` to `ns` when its kind is namespaced
  // and it has none (absent, null or ""). Cluster-scoped objects are left
  // as they are.
  void default_namespace(doc::Value& object, const std::string& ns) const;

 private:
  std::map<std::string, bool, std::less<>> crds_;  // "group/Kind" -> namespaced
};

}  // namespace gantry::render
