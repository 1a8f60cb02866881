// Pulling Helm charts without a helm binary, like `kluctl helm-pull`:
// classic chart repositories (index.yaml, the archive's sha256 checked
// against the index's digest, basic auth, custom CAs) and OCI registries
// (`oci://HOST/PATH/NAME`, Helm's media types, the layer's digest checked by
// the OCI client), unpacked as untrusted archives (chart_archive.h) into the
// `.helm-charts` layout kluctl writes and the renderer reads.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "oci/registry.h"
#include "render/chart_archive.h"
#include "render/helm.h"

namespace gantry::render {

// Media types of a chart stored in an OCI registry (`helm push`).
inline constexpr std::string_view kHelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json";
inline constexpr std::string_view kHelmChartLayerMediaType =
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip";

// Access to one classic chart repository, chosen by URL prefix: `match` is
// HOST[:PORT][/PATH] and applies to repositories on that host whose path
// starts with PATH (the longest match wins).
struct HelmRepoCredential {
  std::string match;
  std::string username;
  std::string password;   // a secret: never in messages
  std::string ca_file;    // PEM bundle trusted in addition to the system's
  bool insecure = false;  // skip TLS verification
};

struct ChartPullOptions {
  std::vector<HelmRepoCredential> repos;
  oci::Session::Options oci;  // registries: auth file, insecure registries, CA
  ArchiveLimits limits;
};

class ChartPuller {
 public:
  explicit ChartPuller(ChartPullOptions options = {});
  ~ChartPuller();
  ChartPuller(const ChartPuller&) = delete;
  ChartPuller& operator=(const ChartPuller&) = delete;

  // Every version the chart's repository offers (index entries, or OCI tags
  // with Helm's '_' for '+').
  std::vector<std::string> versions(const HelmChart& chart);

  // Downloads chart.chart_version, verifies its digest, checks that its
  // Chart.yaml names this chart and version, and puts it at `dir` (replacing
  // what was there only once everything succeeded). Errors say what failed:
  // an unknown version, a digest mismatch, a corrupt archive, HTTP statuses.
  void pull(const HelmChart& chart, const std::filesystem::path& dir);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A helm-chart.yaml of a project, read without templating (as kluctl's
// helm-pull reads it).
struct ProjectChart {
  std::filesystem::path file;  // the helm-chart.yaml
  std::string item;            // its folder relative to the project root
  HelmChart chart;
};

// Every helm-chart.yaml / helm-chart.yml below `root` (skipping .git and
// .helm-charts), sorted by path.
std::vector<ProjectChart> find_project_charts(const std::filesystem::path& root);

struct PullReport {
  std::vector<std::string> pulled;   // "ITEM: CHART VERSION"
  std::vector<std::string> present;  // already pre-pulled at that version
  std::vector<std::string> skipped;  // skipPrePull
  std::vector<std::string> removed;  // stale folders of .helm-charts, relative to it
};

// kluctl's helm-pull: pulls every chart of the project that is not yet in
// .helm-charts at its version (all of them with `force`), skips skipPrePull
// charts, and removes the pulled charts no helm-chart.yaml refers to.
// Errors name the item.
PullReport pull_project_charts(const std::filesystem::path& root, ChartPuller& puller,
                               bool force = false);

}  // namespace gantry::render
