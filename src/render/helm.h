// Helm chart items (`helm-chart.yaml`), rendered with an installed `helm`.
#pragma once

#include <filesystem>
#include <string>

#include "doc/value.h"

namespace gantry::render {

struct HelmChart {
  std::string repo;  // https://... or oci://...
  std::string chart_name;
  std::string chart_version;
  std::string release_name;
  std::string namespace_;
  std::string output;  // file name the kustomization refers to
  bool skip_crds = false;
};

// Reads helm-chart.yaml (already templated) into a HelmChart.
HelmChart parse_helm_chart(const doc::Value& file);

// Directory of the pre-pulled chart: <project>/.helm-charts/<repo with
// "://" as "_">/<chart>/<version> (the layout `kluctl helm-pull` writes).
std::filesystem::path pulled_chart_dir(const std::filesystem::path& project_root,
                                       const HelmChart& chart);

// Runs `helm template` for the chart with helm-values.yaml from `item_dir`
// (when present) and returns the rendered YAML. Errors name the item and say
// what is missing (helm binary, pre-pulled chart) or what helm said.
std::string helm_template(const std::string& helm_binary, const std::filesystem::path& project_root,
                          const std::filesystem::path& item_dir, const std::string& item_name,
                          const HelmChart& chart);

}  // namespace gantry::render
