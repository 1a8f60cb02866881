// `gantry prune` for a deployment resource, done at once: the objects its
// source no longer has are deleted, whatever spec.prune says (a deployment
// that does not prune on every reconcile can be pruned by hand). The source is
// rendered at the newest commit of its ref (source_render.h) and the orphans
// are found with the controller's ownership rule (kube/ownership.h), so the
// same objects go as the controller's own prune would delete, through the same
// DELETE requests as `gantry prune` (kube::delete_objects).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "git/source.h"
#include "gitops/resource.h"
#include "kube/client.h"
#include "kube/deploy.h"
#include "kube/discovery.h"
#include "kube/plan.h"

namespace gantry::gitops {

struct PruneNowResult {
  std::string revision;              // "main@sha1:..." rendered
  std::vector<std::string> victims;  // "Kind ns/name" asked to go
  std::vector<kube::Kept> kept;      // labelled but not gantry's, with the reason
  kube::DeleteReport report;
};

// `before_delete`, when set, sees the orphans before the first DELETE and
// may throw to stop (nothing is deleted then).
// Throws SourceError when the source cannot be fetched or rendered,
// Error(kRefused) when the render is empty (as `gantry prune` without
// --allow-empty: a broken source must not delete everything), and Error when
// the cluster cannot be read.
PruneNowResult prune_now(
    const kube::Client& client, kube::RestMapper& mapper, git::SourceCache& sources,
    const DeploymentSpec& d, const std::filesystem::path& cache_dir, size_t jobs = 16,
    const std::function<void(const std::vector<kube::Orphan>&)>& before_delete = {});

}  // namespace gantry::gitops
