// A native kustomize engine: builds a kustomization directory into a list of
// objects the way `kubectl kustomize` (kustomize v5) does, with no kustomize
// binary at run time.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "doc/value.h"
#include "kustomize/remote.h"

namespace gantry::kustomize {

// kustomize's --load-restrictor: whether a file a kustomization names
// (resource, patch, generator file, ...) must be in or below its directory.
enum class LoadRestrictor { kRootOnly, kNone };

struct Options {
  // No file or directory outside this root may be read (resources, patches,
  // generator files); "../" past it is an Error. Defaults to the built directory.
  std::filesystem::path root;
  // kRootOnly (kustomize's default, LoadRestrictionsRootOnly) or kNone. A
  // remote base is always built with kRootOnly and its repository as root,
  // as kustomize does.
  LoadRestrictor load_restrictor = LoadRestrictor::kRootOnly;
  // Fetches remote resources (Git URLs, http(s) files). Null: a remote
  // resource is an Error.
  RemoteLoader* remote = nullptr;
  // Reads a file's content. gantry render passes a reader that renders every
  // file as a template first (as kluctl does); the default reads the file as is.
  std::function<std::string(const std::filesystem::path&)> read_file;
  // Files that exist only in memory (e.g. the output of `helm template` that a
  // kustomization lists as a resource), by path; relative paths are taken
  // relative to the built directory. They take precedence over the disk.
  std::map<std::filesystem::path, std::string> overlay_files;
  // kustomize's --enable-helm: the helm binary (3.x or 4.x) that inflates
  // `helmCharts` and builtin HelmChartInflationGenerator configs, pulling
  // missing charts into the chart home with `helm pull`. Empty: a chart is an
  // Error ("must specify --enable-helm"), as with kubectl.
  std::string helm_command;
  // --helm-kube-version / --helm-api-versions: for charts that set no
  // kubeVersion / apiVersions of their own (as kustomize applies them).
  std::string helm_kube_version;
  std::vector<std::string> helm_api_versions;
};

struct Resource {
  doc::Value object;
  Location source;  // file:line the object came from (its resource file, or the kustomization for
                    // generated ones)
};

// Builds the kustomization in `dir` (kustomization.yaml, kustomization.yml or
// Kustomization). Output order and content follow `kubectl kustomize`
// (legacy kind ordering). Unsupported fields and bad input are Errors naming
// the field and the file.
std::vector<Resource> build(const std::filesystem::path& dir, const Options& options = {});

// True when `dir` holds a kustomization file.
bool is_kustomization_dir(const std::filesystem::path& dir);

// True for the kinds kustomize knows to be cluster-scoped (Namespace, CRDs,
// ClusterRoles, webhook configurations, ...); every other kind counts as
// namespaced. `api_version` is "group/version" or "v1".
bool is_cluster_scoped_kind(std::string_view api_version, std::string_view kind);

}  // namespace gantry::kustomize
