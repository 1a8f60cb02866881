// Variable substitution and quote removal in Dockerfile arguments, as
// BuildKit's shell lexer does for ADD, COPY, ENV, EXPOSE, FROM, LABEL,
// STOPSIGNAL, USER, VOLUME, WORKDIR and ARG: $VAR, ${VAR}, ${VAR:-word},
// ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?message}, '…' literal,
// "…" with expansion, and the escape character.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace gantry::build {

// Returns the value of a variable, or nullopt when it is not set.
using Lookup = std::function<std::optional<std::string>(std::string_view)>;

// One word: quotes removed, variables expanded, whitespace kept.
std::string expand_word(std::string_view text, const Lookup& lookup, char escape = '\\',
                        const Location& where = {});

// Splits on unquoted whitespace, then expands each word.
std::vector<std::string> expand_words(std::string_view text, const Lookup& lookup,
                                      char escape = '\\', const Location& where = {});

// The pairs of ENV, LABEL or ARG arguments, expanded: `KEY=VALUE …`, or the
// legacy `KEY VALUE WITH SPACES` form of ENV and LABEL (one pair). ARG names
// without `=` come back with has_value false. A word without `=` in the
// `KEY=VALUE` form is an error at `where`.
struct KeyValue {
  std::string key;
  std::string value;
  bool has_value = true;
};
std::vector<KeyValue> expand_key_values(std::string_view keyword, std::string_view args,
                                        const Lookup& lookup, char escape = '\\',
                                        const Location& where = {});

}  // namespace gantry::build
