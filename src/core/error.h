// The one error type of gantry: what failed, where, and why.
//
// Library code throws gantry::Error; the CLI catches it at the top, prints
// `where: what: why` and exits with the error's exit code. Nothing else
// escapes to users. Add context as an error travels up with
// Error::add_context() (or GANTRY_CONTEXT-style try/catch at a boundary):
// "rendering services/api/Deployment.yaml: ..." rather than swallowing it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gantry {

// Exit codes of the gantry binary (documented in docs/exit-codes.md).
enum class ExitCode : int {
  kOk = 0,
  kChanges = 1,       // diff-like commands: differences found
  kUsage = 2,         // bad command line
  kInvalidInput = 3,  // bad project, YAML, template, reference ...
  kExternal = 4,      // an external system or tool failed (helm, registry, cluster, git)
  kNotFound = 5,      // a named thing does not exist (target, file, object)
  kPartial = 6,       // the command ran, but some objects failed or are not ready
  kRefused = 7,       // refused for safety (wrong context, empty render, no --yes)
  kInternal = 70,     // a bug in gantry
};

// A position in a source file. line and column are 1-based; 0 means unknown.
struct Location {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;

  bool known() const { return !file.empty(); }
  // "file:line:column", "file:line" or "file" depending on what is known.
  std::string str() const;
};

class Error : public std::exception {
 public:
  // `why` explains the failure in words a user understands.
  explicit Error(std::string why, ExitCode code = ExitCode::kInvalidInput);
  Error(Location where, std::string why, ExitCode code = ExitCode::kInvalidInput);

  // Prepends a step ("rendering item services/api"); outermost first in str().
  Error& add_context(std::string what);
  // Sets the location if none is known yet.
  Error& set_location_if_unknown(const Location& where);

  const Location& where() const { return where_; }
  const std::string& why() const { return why_; }
  const std::vector<std::string>& context() const { return context_; }
  ExitCode code() const { return code_; }

  // "file:line:col: context1: context2: why"
  std::string str() const;
  const char* what() const noexcept override;

 private:
  Location where_;
  std::string why_;
  std::vector<std::string> context_;  // outermost first
  ExitCode code_;
  mutable std::string what_cache_;
};

}  // namespace gantry
