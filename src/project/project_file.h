// The project file: `.gantry.yaml` (the course's `.kluctl.yaml` is read the same way).
//
//   targets:                      # where a deployment can go
//     - name: staging
//       context: my-kube-context  # optional: pins the kube context
//       args: {environment: staging}
//       discriminator: ...        # optional: overrides the project's
//   args:                         # arguments every target may or must set
//     - name: environment
//       default: dev              # optional; without it the argument is required
//   discriminator: gantry-{{ target.name }}   # templated; labels every object
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "doc/value.h"

namespace gantry::tmpl {
class Engine;
}

namespace gantry::project {

struct ArgSpec {
  std::string name;
  std::optional<doc::Value> default_value;  // nullopt: required
  Location where;
};

struct Target {
  std::string name;
  std::string context;        // empty: not pinned
  doc::Value args;            // map
  std::string discriminator;  // raw template; empty: use the project's
  Location where;
};

struct ProjectFile {
  std::filesystem::path root;  // absolute project directory
  std::string file;            // the file read, or empty when the project has none
  std::vector<Target> targets;
  std::vector<ArgSpec> args;
  std::string discriminator;  // raw template; may be empty
};

// Reads `.gantry.yaml` or, failing that, `.kluctl.yaml` from `root` (it is
// not an error to have neither: a project without targets). Unknown keys and
// malformed entries are Errors with file:line.
ProjectFile load_project_file(const std::filesystem::path& root);

// An argument given on the command line (`-a name=value`); the value is read
// as a YAML scalar, so `-a replicas=3` is an int.
using CliArg = std::pair<std::string, doc::Value>;
CliArg parse_cli_arg(std::string_view text);

// The target a run works on, with everything templates see of it.
struct ResolvedTarget {
  std::string name;           // empty when the project has no targets
  std::string context;        // pinned kube context, or empty
  doc::Value args;            // defaults <- target args <- command line
  std::string discriminator;  // rendered; empty when none is configured
  // The template context before any vars: {"args": ..., "target": {...}}.
  doc::Value base_context() const;
};

// Picks `target_name` (Error kNotFound listing the known targets when it does
// not exist; a project without targets accepts an empty name), merges the
// arguments and checks that every required argument is set. The
// discriminator is rendered with `engine`.
ResolvedTarget resolve_target(const ProjectFile& project, std::string_view target_name,
                              const std::vector<CliArg>& cli_args, const tmpl::Engine& engine);

}  // namespace gantry::project
