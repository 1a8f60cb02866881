// gantry helm-update: newer chart versions for a project's Helm items, like
// `kluctl helm-update`. Each helm-chart.yaml (read without templating) that
// does not say skipUpdate is checked against its repository's versions: the
// newest version that is a semantic version, satisfies the item's
// `updateConstraints` range (none: any release, no pre-releases) and is
// newer than `chartVersion` is reported; upgrading rewrites exactly the
// bytes of `chartVersion` (comments, quotes and layout kept).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "automation/update.h"
#include "render/chart_pull.h"

namespace gantry::automation {

struct ChartVersionCheck {
  render::ProjectChart chart;
  std::string newest;    // the version to upgrade to; "" when chartVersion is the newest allowed
  bool skipped = false;  // skipUpdate: true
};

struct HelmUpdatePlan {
  std::vector<ChartVersionCheck> charts;
  UpdatePlan edits;  // the helm-chart.yaml files that change
};

// Asks each chart's repository for its versions through `puller`. Errors
// (an invalid range, an unreachable repository) name the item.
HelmUpdatePlan plan_helm_update(const std::filesystem::path& root, render::ChartPuller& puller);

// The newest of `versions` allowed by `constraint` (a SemverRange; empty:
// releases only) and newer than `current`; "" when there is none.
std::string newest_allowed(const std::vector<std::string>& versions, const std::string& current,
                           const std::string& constraint);

}  // namespace gantry::automation
