// kustomize's Helm chart inflation (`helmCharts:` / `helmGlobals:`, the
// deprecated `helmChartInflationGenerator:` and the builtin
// HelmChartInflationGenerator plugin): the chart is found in the chart home
// (or pulled there with `helm pull`), the values file is assembled as
// kustomize assembles it, and `helm template` runs with kustomize's
// arguments and environment. The caller parses helm's output into objects.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "doc/value.h"

namespace gantry::kustomize::detail {

struct HelmGlobals {
  std::string chart_home;   // "" : "charts"; relative to the kustomization directory
  std::string config_home;  // "" : a temporary directory (HELM_CONFIG_HOME)
};

struct HelmChartSpec {
  std::string name, version, repo, release_name, ns, name_template, values_file, values_merge;
  std::vector<std::string> additional_values_files, api_versions;
  std::string kube_version;
  doc::Value values_inline;  // a mapping or null
  bool include_crds = false, skip_hooks = false, skip_tests = false, debug = false;
  HelmGlobals globals;
  Location where;  // the entry (or plugin config) naming the chart
};

// A `helmCharts` entry, or a HelmChartInflationGenerator plugin config (with
// `plugin`: its chartHome/configHome, apiVersion, kind and metadata are read
// too). Unknown keys are Errors naming `file`.
HelmChartSpec parse_helm_chart(const doc::Value& entry, const std::string& file, bool plugin);

// `helmGlobals` of a kustomization (null: defaults).
HelmGlobals parse_helm_globals(const doc::Value* v, const std::string& file);

// The deprecated `helmChartInflationGenerator` list, converted like
// kustomize's FixKustomization: the charts, and the globals it sets into
// `globals` when `globals_given` is false (the last non-empty value wins).
std::vector<HelmChartSpec> parse_legacy_helm_charts(const doc::Value& list, const std::string& file,
                                                    HelmGlobals& globals, bool globals_given);

struct HelmRunner {
  std::string command;                    // the helm binary ("" : helm is not enabled)
  std::string kube_version;               // for charts that set no kubeVersion
  std::vector<std::string> api_versions;  // for charts that set no apiVersions
  // The kustomization's directory: relative chart homes and values files are below it.
  std::filesystem::path dir;
  // Reads a values file (absolute path) after checking kustomize's load
  // restrictions; errors name `where`.
  std::function<std::string(const std::filesystem::path&, const Location&)> load;
  // Parses a YAML stream the way kustomize reads resources (kyaml).
  std::function<std::vector<doc::Value>(const std::string&, const std::string&)> parse;
  // Checks that the chart directory helm reads lies within the build's root.
  std::function<void(const std::filesystem::path&, const Location&)> check_dir;
};

// The error kustomize gives a helm chart when --enable-helm is not given.
[[noreturn]] void throw_helm_not_enabled(const HelmChartSpec& chart);

// Pulls the chart when it is not in the chart home, then runs `helm
// template` and returns what it printed.
std::string inflate_helm_chart(HelmChartSpec chart, const HelmRunner& runner);

}  // namespace gantry::kustomize::detail
