// The JSON shapes of a deployment's pending changes (gitops/preview.h): the
// diff between Git and the cluster, per object, and one object's desired
// version. Pure functions; Secret values never appear (diffs are redacted by
// kube/diff.h, desired objects masked by views.h).
#pragma once

#include <string>

#include "doc/value.h"
#include "gitops/preview.h"

namespace gantry::dashboard {

// {revision, commit, counts {create, update, unchanged, pending, hook,
//  failed, delete}, pending (bool: anything would change), objects [{kind,
//  namespace, name, change, diff, error}] (render order, unchanged objects
//  without diff), deletions [{kind, namespace, name}] (orphans pruned)}.
doc::Value changes_view(const gitops::Preview& preview);

// {revision, change, desiredYaml, diff, error} of the object kind ns/name in
// the preview; null when the render does not have it.
doc::Value desired_view(const gitops::Preview& preview, const std::string& kind,
                        const std::string& ns, const std::string& name);

}  // namespace gantry::dashboard
