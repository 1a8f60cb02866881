// The image-automation resources the controller reconciles, read into one spec:
//   - GantryImageUpdate (gantry.dev/v1alpha1), gantry's own;
//   - Flux's ImageUpdateAutomation (image.toolkit.fluxcd.io/v1beta2 or v1),
//     read unchanged for the fields gantry supports, with the ImagePolicy and
//     ImageRepository objects of its namespace and its sourceRef (a Flux
//     GitRepository, source.toolkit.fluxcd.io/v1, or a GantryDeployment).
// Fields present but not supported are listed (the status reports them).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "doc/value.h"
#include "kube/discovery.h"

namespace gantry::gitops {

inline constexpr std::string_view kImageUpdateKind = "GantryImageUpdate";
inline constexpr std::string_view kFluxImageGroup = "image.toolkit.fluxcd.io";
inline constexpr std::string_view kFluxAutomationKind = "ImageUpdateAutomation";

struct ImageUpdateSpec {
  std::string api_version, kind, ns, name;
  int64_t generation = 0;
  std::string requested_at;  // gantry's or Flux's manual-request annotation
  // Git: the repository and branch checked out (from spec.git, or resolved
  // from source_kind/source_name by the reconciler).
  std::string url, branch, secret;
  std::string source_kind, source_name, source_ns;  // a sourceRef; empty: url is given
  std::string push_branch;                          // empty: push to `branch`
  std::vector<std::string> paths;                   // in the repository; default "."
  // Policies: inline gantry-spelling items (spec.policies) and Flux
  // ImagePolicy names of the namespace (spec.policyRefs); Flux's automation
  // uses every ImagePolicy of its namespace.
  doc::Value inline_policies = doc::Value::list();
  std::vector<std::string> policy_refs;
  bool all_namespace_policies = false;
  // Course-style markers (GantryImageUpdate spec.markers): a scalar whose
  // line ends in `# NAME` gets what policy `policy` ("NAME" of this
  // namespace or "NS:NAME") picked: its tag, its whole image or its digest.
  struct Marker {
    std::string name, policy, field = "tag";  // field: tag, image or digest
  };
  std::vector<Marker> markers;
  // spec.updateImages: every `image:` field and kustomization `images:` entry
  // naming a policy's image gets the picked tag too.
  bool update_images = false;
  // Registry access for the inline policies (Flux: per ImageRepository).
  std::string registry_secret;  // a kubernetes.io/dockerconfigjson Secret
  bool registry_insecure = false;
  // The commit.
  std::string message_template;  // gantry's placeholders; empty: the default
  std::string author_name = "gantry", author_email = "gantry@localhost";
  std::chrono::milliseconds interval{std::chrono::minutes(5)};
  bool suspend = false;
  std::vector<std::string> unsupported;

  std::string key() const { return kind + "/" + ns + "/" + name; }
  bool is_flux() const { return kind == kFluxAutomationKind; }
};

// Reads a GantryImageUpdate or ImageUpdateAutomation. Throws Error naming
// the field when a supported field is invalid.
ImageUpdateSpec parse_image_update(const doc::Value& object);

kube::ResourceType image_update_type();
// Flux's kinds at `version` ("v1beta2" or "v1").
kube::ResourceType flux_type(const std::string& kind, const std::string& version);
kube::ResourceType flux_git_repository_type();

// The CRD of GantryImageUpdate; with `flux`, also CRDs of Flux's
// ImageRepository, ImagePolicy, ImageUpdateAutomation (v1beta2) and
// GitRepository (v1) for clusters without Flux (their schemas keep unknown fields).
std::string image_update_crds_yaml(bool flux);

}  // namespace gantry::gitops
