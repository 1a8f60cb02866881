// .dockerignore (or <Dockerfile>.dockerignore) patterns, matched the way
// Docker's patternmatcher does: each line trimmed, `#` lines and blank lines
// skipped, `!` marks an exception, patterns cleaned like Go's filepath.Clean
// with a leading `/` dropped; `*` and `?` stop at `/`, `[...]` classes (`^`
// negates), `\` escapes, `**` spans directories. A pattern matches a path or
// any of its parent directories; the last matching line decides.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gantry::build {

class IgnoreRules {
 public:
  // Throws gantry::Error (naming `file:line`) for a bare `!` or a bad class.
  static IgnoreRules parse(std::string_view text, const std::string& file = ".dockerignore");

  // `path` is relative to the context root, `/`-separated.
  bool excludes(std::string_view path) const;
  bool has_exceptions() const;
  bool empty() const { return rules_.empty(); }

 private:
  struct Rule {
    std::string pattern;
    bool exception = false;
  };
  std::vector<Rule> rules_;
};

// Go's path.Clean for `/`-separated paths, with a leading `/` removed
// ("" and "/" become ".").
std::string clean_relative(std::string_view path);

// Glob match with the rules above, on the whole of `path`; false for a
// malformed pattern.
bool glob_match(std::string_view pattern, std::string_view path);

}  // namespace gantry::build
