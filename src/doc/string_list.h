// Lists of strings as values: the shape of Kubernetes' string arrays
// (groups, audiences, verbs), built and read back.
#pragma once

#include <string>
#include <vector>

#include "doc/value.h"

namespace gantry::doc {

// `items` as a list Value.
Value string_list(const std::vector<std::string>& items);
// The strings of a list (other items skipped; nullptr or a non-list gives none).
std::vector<std::string> strings_of(const Value* list);

}  // namespace gantry::doc
