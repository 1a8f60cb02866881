// configMapGenerator / secretGenerator entries and how they become objects.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

struct GeneratorOptions {
  doc::Value labels;
  doc::Value annotations;
  bool disable_hash = false;
  bool immutable = false;
};

struct GeneratorArgs {
  std::string kind;  // "ConfigMap" or "Secret"
  std::string name, ns, behavior, type;
  std::vector<std::string> literals, files, envs;
  doc::Value labels, annotations;  // per-generator options
  std::optional<bool> disable_hash, immutable;
  Location where;  // the entry in the kustomization file
};

// Reads a file named relative to the kustomization (checked against the
// load restrictions).
using FileReader = std::function<std::string(const std::string& relative)>;

// Builds the object of one generator entry (no hash suffix yet).
Res generate(const GeneratorArgs& g, const GeneratorOptions& global, const FileReader& read);

}  // namespace gantry::kustomize::detail
