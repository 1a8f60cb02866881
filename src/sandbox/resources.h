// The resource types the sandbox serves: the built-in kinds deploy tooling
// meets and the custom resources of Established CRDs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "doc/value.h"

namespace gantry::sandbox {

struct ResourceType {
  std::string group;     // "" for the core group
  std::string version;   // v1
  std::string resource;  // plural, lower case: deployments
  std::string kind;      // Deployment
  std::string singular;  // deployment
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;  // writes to the main resource keep status
  bool has_generation = false;      // metadata.generation is maintained
  bool custom = false;              // served from a CRD
  // The version objects are stored in when it differs from `version`
  // (autoscaling/v1 HorizontalPodAutoscalers are stored as v2; see
  // sandbox/convert.h); empty otherwise.
  std::string storage_version;
  // The verbs discovery lists and the server allows; empty: all of create,
  // delete, deletecollection, get, list, patch, update, watch.
  std::vector<std::string> verbs;
  // A create-only type that is answered, never stored (TokenReview,
  // SubjectAccessReview and the like, Binding).
  bool review = false;
  // The CRD version's openAPIV3Schema (custom resources), null otherwise.
  std::shared_ptr<const doc::Value> schema;
  // The CRD version's additionalPrinterColumns (custom resources), null otherwise.
  std::shared_ptr<const doc::Value> printer_columns;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "deployments.apps", "configmaps": how kube-apiserver names it in messages.
  std::string group_resource() const { return group.empty() ? resource : resource + "." + group; }
  // Storage key: the same for every version of a resource.
  std::string storage_key() const { return group + "/" + resource; }
};

// The built-in resource types of Kubernetes 1.31 (the GA versions a default
// cluster serves: what `kubectl api-resources` lists there), Namespace first
// and CustomResourceDefinition last.
const std::vector<ResourceType>& builtin_types();

// Whether `t` allows `verb` (get, list, watch, create, update, patch, delete, deletecollection).
bool allows(const ResourceType& t, const std::string& verb);

// The types a CustomResourceDefinition object defines (one per served version).
// Empty when the CRD is malformed.
std::vector<ResourceType> types_from_crd(const doc::Value& crd);

}  // namespace gantry::sandbox
