// A deployment resource's Git source, fetched and rendered: the first two
// steps of every reconcile, shared by the controller (controller.h) and by
// what shows a deployment's pending changes (preview.h), so both see the same
// objects.
#pragma once

#include <filesystem>
#include <string>

#include "git/source.h"
#include "gitops/resource.h"
#include "kube/client.h"
#include "render/render.h"

namespace gantry::gitops {

// A failed step with the condition reason the controller reports
// ("FetchFailed", "SourceInvalid", "RenderFailed") and a message that names
// no cache paths.
struct SourceError {
  std::string reason;
  std::string message;
};

// The fetch options of d's source (credentials from spec.source.git.secretRef;
// key files below cache_dir/keys). Throws SourceError (FetchFailed) when the
// Secret named does not exist.
git::FetchOptions source_fetch_options(const kube::Client& client, const DeploymentSpec& d,
                                       const std::filesystem::path& cache_dir);

git::SourceRef source_ref(const GitSource& s);

// "BRANCH@sha1:COMMIT" (or the tag, or HEAD), as status.lastAppliedRevision.
std::string revision_text(const GitSource& s, const std::string& commit);

// Fetches d's source through `sources` (the resolved commit into `commit`
// when given; the fetch's seconds into `fetch_seconds` when given) and renders
// d's target with its args and selection. git: items and on-demand charts use
// caches below cache_dir. Throws SourceError.
render::RenderResult render_deployment_source(const kube::Client& client, git::SourceCache& sources,
                                              const DeploymentSpec& d,
                                              const std::filesystem::path& cache_dir,
                                              std::string* commit, double* fetch_seconds = nullptr);

}  // namespace gantry::gitops
