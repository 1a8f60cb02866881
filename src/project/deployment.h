// Deployment projects: `deployment.yaml` files and the flat, ordered list of
// deployment items they describe.
//
//   vars:                          # merged in order into the template context
//     - file: config/{{ args.environment }}.yaml
//     - values: {replicas: 2}
//   deployments:                   # items, in order
//     - path: manifests            # a directory of (templated) manifests
//     - include: services          # a directory with its own deployment.yaml
//     - git:                       # a project in a Git repository (git_sources.h)
//         url: https://github.com/example/infra.git
//         ref: {tag: v1.2.0}
//         subDir: monitoring
//     - barrier: true              # everything above is applied before what follows
//   commonLabels: {team: shop}
//   commonAnnotations: {}
//   overrideNamespace: demo
//   tags: [shop]
//
// Loading renders each deployment.yaml and vars file as a template, follows
// `include`s (cycles are an Error), evaluates `when:` conditions and flattens
// the tree: every resulting Item carries its effective vars, labels,
// annotations, namespace override and tags.
//
// A `git:` item is included like `include:`, from the commit its ref
// resolves to (fetched through GitSources): the parent's vars, labels,
// annotations, namespace override and tags pass down, but its templates and
// paths stay inside its own repository (they cannot reach the parent's
// files). It gets no default tag (kluctl's rule); the items inside it do.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "doc/value.h"
#include "project/git_sources.h"
#include "project/project_file.h"

namespace gantry::tmpl {
class Engine;
}

namespace gantry::project {

struct Item {
  enum class Kind { kPath, kBarrier };
  Kind kind = Kind::kPath;
  std::filesystem::path dir;  // absolute directory of a path item
  std::string rel_dir;        // relative to its source root ("services/api/manifests")
  // The root of the project the item belongs to: the project's root, or for
  // items of a git: include the fetched commit's tree (templates and
  // kustomizations of the item cannot reach outside it).
  std::filesystem::path source_root;
  // Empty for the project's own items; for items of a git: include where
  // they come from: "https://github.com/x/y.git (tag v1, commit 1a2b3c4)".
  std::string source;
  std::vector<std::string> tags;
  bool wait_readiness = false;
  std::string barrier_message;  // for barriers
  doc::Value vars;              // the full template context of this item
  doc::Value common_labels;     // map (maybe empty)
  doc::Value common_annotations;
  std::string override_namespace;
  Location where;  // the item's entry in its deployment.yaml
};

struct Deployment {
  std::filesystem::path root;
  std::vector<Item> items;  // in project order
};

struct LoadLimits {
  size_t max_include_depth = 64;
};

// Loads `root`/deployment.yaml (or .yml) and everything it includes, with
// `base_context` (see ResolvedTarget::base_context) as the starting vars.
// `engine` renders the project's own files; git: items are fetched through
// `git` (which records their commits), and are an Error at the item when
// `git` is null.
Deployment load_deployment(const std::filesystem::path& root, const doc::Value& base_context,
                           const tmpl::Engine& engine, const LoadLimits& limits = {},
                           GitSources* git = nullptr);

// Which items a command works on (`--include-tag`, `--exclude-tag`,
// `--include-deployment-dir`, `--exclude-deployment-dir`). An item is selected
// when it matches an include (or no includes are given) and no exclude.
// Directories match the item's rel_dir or any parent of it. Barriers are
// always selected.
struct Selection {
  std::vector<std::string> include_tags;
  std::vector<std::string> exclude_tags;
  std::vector<std::string> include_dirs;
  std::vector<std::string> exclude_dirs;

  bool selects(const Item& item) const;
};

}  // namespace gantry::project
