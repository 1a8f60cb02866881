// The resources the GitOps controller reconciles, read into one spec:
//   - GantryDeployment (gantry.dev/v1alpha1), gantry's own;
//   - KluctlDeployment (gitops.kluctl.io/v1beta1), read unchanged for the
//     fields gantry supports, so a kluctl user can switch without rewriting.
// Fields present but not supported are listed (the controller reports them in
// the status), never silently ignored.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "doc/value.h"
#include "kube/discovery.h"

namespace gantry::gitops {

inline constexpr std::string_view kGroup = "gantry.dev";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kKind = "GantryDeployment";
inline constexpr std::string_view kKluctlGroup = "gitops.kluctl.io";
inline constexpr std::string_view kKluctlVersion = "v1beta1";
inline constexpr std::string_view kKluctlKind = "KluctlDeployment";
// Set to any new value (a timestamp) to ask for a reconcile now.
inline constexpr std::string_view kRequestAnnotation = "gantry.dev/reconcile-requested-at";
inline constexpr std::string_view kKluctlRequestAnnotation = "kluctl.io/request-reconcile";
// Who asked for that reconcile, set with it: "<request value> <who>", so that
// it counts only for the request it came with (gitops/history.h).
inline constexpr std::string_view kRequestedByAnnotation = "gantry.dev/reconcile-requested-by";
// The finalizer that deletes the target's objects when the resource goes (spec.delete).
inline constexpr std::string_view kFinalizer = "gantry.dev/delete-target";

struct GitSource {
  std::string url;
  std::string branch, tag, commit;  // at most one; none: the default branch
  std::string path;                 // the project's folder in the repository
  std::string secret;               // a Secret in the resource's namespace (credentials)
  std::string ref_text() const;     // "branch main", "tag v1", "commit abc", "default branch"
};

struct DeploymentSpec {
  // Which resource.
  std::string api_version, kind, ns, name, uid;
  int64_t generation = 0;
  bool deleting = false;       // metadata.deletionTimestamp is set
  bool has_finalizer = false;  // kFinalizer is in metadata.finalizers
  std::string requested_at;    // the manual-request annotation, "" when absent
  std::string requested_by;    // kRequestedByAnnotation's value, "" when absent
  // What to deploy.
  GitSource source;
  std::string target;
  doc::Value args = doc::Value::map();  // name -> value
  // Where: the controller's own cluster, or the one of a kubeconfig in a
  // Secret of the resource's namespace (spec.kubeConfig.secretRef; key
  // "value" or "value.yaml" unless named); `context` picks a context of that
  // kubeconfig ("" its current-context). Without a kubeconfig, `context`
  // must be "" or "default".
  std::string context;
  std::string kubeconfig_secret, kubeconfig_key;
  // As whom: a ServiceAccount of the resource's namespace to impersonate
  // (spec.serviceAccountName), so the sync can do only what it may.
  std::string service_account;
  std::vector<std::string> include_tags, exclude_tags, include_dirs, exclude_dirs;
  // How.
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
  std::chrono::milliseconds retry_interval{0};  // 0: same as interval, with backoff
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  bool suspend = false, prune = false, delete_on_removal = false, dry_run = false;
  bool force_conflicts = false;
  // Fields set in the resource that gantry does not support ("spec.images").
  std::vector<std::string> unsupported;

  std::string key() const;  // "KluctlDeployment/ns/name" or "GantryDeployment/ns/name"
  bool is_kluctl() const { return kind == kKluctlKind; }
};

// Reads a GantryDeployment or KluctlDeployment object. Throws Error naming
// the field ("spec.interval: ...") when a supported field is invalid.
DeploymentSpec parse_deployment(const doc::Value& object);

// The types of both resources, as the controller lists and watches them.
kube::ResourceType gantry_deployment_type();
kube::ResourceType kluctl_deployment_type();

// The CustomResourceDefinition of GantryDeployment (YAML), with an OpenAPI
// schema that validates every field above, the status subresource and
// printer columns; with `kluctl`, also a KluctlDeployment CRD for clusters
// without kluctl's own (its schema keeps unknown fields). Always also the
// GantryImageUpdate CRD; with `flux`, Flux's image and GitRepository CRDs
// (gitops/image_resource.h).
std::string crds_yaml(bool kluctl, bool flux = false);

}  // namespace gantry::gitops
