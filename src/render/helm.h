// Helm chart items (`helm-chart.yaml`), rendered with an installed `helm`
// (any 3.x or 4.x) the way kluctl renders them: `helm template` of the
// pre-pulled chart with the release namespace, CRDs included, test hooks
// dropped and the release namespace set on namespaced objects that have none.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "doc/value.h"
#include "render/kind_scope.h"

namespace gantry::render {

struct HelmChart {
  std::string repo;                // https://... or oci://HOST/PATH/NAME
  std::string chart_name;          // for oci:// the repo's last segment when not given
  std::string update_constraints;  // semver range for helm-update ("" : no pre-releases)
  bool skip_update = false;
  std::string chart_version;
  std::string release_name;
  std::string namespace_;     // the release namespace; "" renders as "default", like kluctl
  std::string output;         // file name the kustomization refers to
  bool skip_crds = false;     // skipCRDs: true (or includeCRDs: false): no crds/ objects
  bool skip_prepull = false;  // skipPrePull: true (the chart may be missing from .helm-charts)
  doc::Value values;          // inline `values:` (a mapping, or null)
};

// Reads helm-chart.yaml (already templated) into a HelmChart. Errors point
// at the offending field.
HelmChart parse_helm_chart(const doc::Value& file);

bool is_oci(const HelmChart& chart);

// Where a chart lives below `.helm-charts`, in the layout `kluctl helm-pull`
// writes: SCHEME[_PORT]_HOST/PATH/CHART/VERSION for http(s) repositories
// (default ports left out, host and path lower-cased) and
// oci[_PORT]_HOST/PATH/VERSION for OCI (PATH ends in the chart's name).
// Throws Error for an unsupported scheme or a path that climbs with "..".
std::filesystem::path chart_layout(const HelmChart& chart);

// Directory of the pre-pulled chart: <project>/.helm-charts/<chart_layout>.
std::filesystem::path pulled_chart_dir(const std::filesystem::path& project_root,
                                       const HelmChart& chart);

// The values helm renders with: the chart's inline `values`, then
// `file_values` (helm-values.yaml, already templated; null when absent)
// merged on top, maps key by key.
doc::Value chart_values(const HelmChart& chart, const doc::Value& file_values);

// Runs `helm template RELEASE CHART_DIR --namespace NS` for the pulled chart
// in `chart_dir` with `values` (given to helm on stdin; null for none) and
// --include-crds or --skip-crds, and returns the rendered YAML. Errors name
// the item and say what is missing (helm binary) or what helm said (a
// corrupt chart, bad values).
std::string helm_template(const std::string& helm_binary, const std::filesystem::path& chart_dir,
                          const std::filesystem::path& item_dir, const std::string& item_name,
                          const HelmChart& chart, const doc::Value& values);

// kluctl's treatment of helm's output: the objects of the YAML stream
// `rendered` (read as `file`) without helm test hooks (`helm.sh/hook: test`),
// CRDs recorded in `scopes`, and the release namespace set on namespaced
// objects without one. Other helm hooks are kept; the deploy maps them to
// gantry hooks (see kube/hooks.h).
std::vector<doc::Value> helm_objects(const std::string& rendered, const std::string& file,
                                     const HelmChart& chart, KindScopes& scopes);

}  // namespace gantry::render
