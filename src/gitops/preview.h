// What the controller's next sync of a deployment would change, without
// changing anything: its source rendered at the newest commit of its ref
// (source_render.h, as the controller does) and planned against the cluster
// (kube/plan.h, as sync.h plans, listing orphans when the resource prunes),
// with every object dry-run and diffed like `gantry diff`. Diffs never
// contain Secret values (kube/diff.h redacts them).
#pragma once

#include <filesystem>
#include <string>

#include "git/source.h"
#include "gitops/resource.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/plan.h"

namespace gantry::gitops {

struct Preview {
  std::string commit;    // the commit rendered
  std::string revision;  // "main@sha1:..." as the status would say
  kube::Plan plan;       // with diffs; orphans listed when d.prune
};

// Throws SourceError when the source cannot be fetched or rendered, and
// Error when the cluster cannot be read. `field_manager` is the controller's
// (a dry run's outcome depends on who owns which fields).
Preview preview(const kube::Client& client, kube::RestMapper& mapper, git::SourceCache& sources,
                const DeploymentSpec& d, const std::filesystem::path& cache_dir,
                const std::string& field_manager, size_t jobs = 16);

}  // namespace gantry::gitops
