// JSON reading and writing for the document model.
#pragma once

#include <string>
#include <string_view>

#include "doc/value.h"

namespace gantry::doc {

struct JsonLimits {
  size_t max_input_bytes = 64u << 20;
  size_t max_depth = 512;
};

// Parses one JSON text (RFC 8259; integers that fit in int64 become ints,
// others floats). Errors carry filename:line:column.
Value parse_json(std::string_view text, std::string_view filename = "<json>",
                 const JsonLimits& limits = {});

// Compact JSON (no spaces), keys in map order. Floats use the shortest
// representation that round-trips; non-finite floats are an Error.
std::string to_json(const Value& v);

// Indented JSON (`indent` spaces per level), as `kubectl -o json` prints it.
std::string to_json_pretty(const Value& v, int indent = 4);

}  // namespace gantry::doc
