// Field checks shared by the project file and deployment.yaml readers
// (private to project/).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "doc/value.h"

namespace gantry::project {

// Throws an Error at the first key of `map` that is neither in `known` nor in
// `ignored` (fields accepted only so that kluctl projects load unchanged),
// naming the key, `what` it is in, and the known fields.
void check_fields(const doc::Value& map, std::initializer_list<std::string_view> known,
                  std::string_view what, std::initializer_list<std::string_view> ignored = {});

// The string at `key`; empty when missing or null; an Error when not a string.
std::string string_field(const doc::Value& map, std::string_view key);

}  // namespace gantry::project
