// Rendering a deployment project for one target: the `render` stage of
// source -> project -> render -> plan -> apply -> status.
//
// Every manifest of a selected `path` item is rendered as a template with the
// item's vars (which hold `args` and `target`), parsed as a YAML stream and
// checked to be a Kubernetes object; then commonLabels, commonAnnotations,
// overrideNamespace and the discriminator label are applied. Items holding a
// `helm-chart.yaml` are rendered with the `helm` binary; items holding a
// kustomization are built by the native kustomize engine (its files rendered
// as templates first, the helm output provided as the chart's `output` file).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "doc/value.h"
#include "project/deployment.h"
#include "project/project_file.h"
#include "render/chart_pull.h"

namespace gantry::render {

// The label every rendered object carries when the target has a discriminator.
inline constexpr std::string_view kDiscriminatorLabel = "gantry.dev/discriminator";

struct Object {
  doc::Value body;  // the object as it will be applied
  Location source;  // manifest file and line of the document
};

struct RenderedItem {
  project::Item item;  // a copy of the item (kind, dirs, tags, ...)
  std::vector<Object> objects;
};

struct RenderResult {
  project::ResolvedTarget target;
  std::vector<RenderedItem> items;  // selected items in project order (barriers included)
  // The commit each git: item's url and ref resolved to, and each remote base of a
  // kustomization (for --git-lock).
  std::vector<project::GitLockEntry> git_sources;
  size_t object_count() const;
};

struct RenderRequest {
  std::filesystem::path project_dir = ".";
  std::string target;                 // may be empty for projects without targets
  std::vector<project::CliArg> args;  // -a name=value
  project::Selection selection;
  std::string helm_binary = "helm";  // looked up in PATH
  project::GitOptions git;           // how git: items are fetched (cache, credentials, rewrites)
  // Helm charts missing from .helm-charts are pulled (natively) instead of
  // refused. Charts of the project itself land in its .helm-charts; charts
  // of git: items (a read-only tree) and skipPrePull charts (always pulled
  // on demand, as kluctl does) land in `chart_cache_dir`.
  bool pull = false;
  ChartPullOptions charts;
  std::filesystem::path chart_cache_dir;  // e.g. $GANTRY_CACHE_DIR/helm-charts
};

// Loads the project, resolves the target, loads the deployment and renders
// every selected item. Errors carry the file:line of what is wrong and the
// item being rendered. Duplicate objects (same group, kind, namespace and
// name) are an Error naming both sources.
RenderResult render_project(const RenderRequest& request);

// Helpers exposed for other stages and tests.
// "group/kind/namespace/name" identity of an object ("" group for core).
std::string object_key(const doc::Value& object);

}  // namespace gantry::render
