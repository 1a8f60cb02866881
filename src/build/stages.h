// The stage graph of a parsed Dockerfile: global ARGs, stages with their base
// (an image or an earlier stage), dependencies through FROM <stage>,
// COPY --from and RUN --mount=…,from=, and which stages a --target needs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "build/dockerfile.h"

namespace gantry::build {

struct Stage {
  size_t index = 0;
  std::string name;                // lower case; empty when unnamed
  std::string base;                // image reference after ARG expansion
  int base_stage = -1;             // index of the stage used as base, or -1
  std::string platform;            // --platform after expansion, may be empty
  std::vector<Instruction> steps;  // instructions after FROM
  std::vector<size_t> depends_on;  // stage indexes (base, --from, mount from=), sorted, unique
  uint32_t line = 0;
};

struct StageGraph {
  std::map<std::string, std::string>
      global_args;  // ARGs before the first FROM, with build args applied
  std::vector<Stage> stages;

  // Index of the stage named `name` (case-insensitive) or given as a number; -1 if none.
  int find(const std::string& name) const;
  // The stages needed to build `target` (empty: the last stage), in build order.
  // Throws for an unknown target or a cycle.
  std::vector<size_t> needed_for(const std::string& target,
                                 const std::string& file = "Dockerfile") const;
};

// Builds the graph. `build_args` override the defaults of global ARGs.
// `predefined`: the platform ARGs (TARGETPLATFORM, BUILDPLATFORM, ...) that
// FROM lines may use without declaring them (BuildKit's global scope).
StageGraph plan_stages(const Dockerfile& df, const std::map<std::string, std::string>& build_args,
                       const std::map<std::string, std::string>& predefined = {});

}  // namespace gantry::build
