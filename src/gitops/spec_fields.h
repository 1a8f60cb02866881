// Reading the fields of a resource's spec, with errors that name the field
// ("spec.interval: ..."). Shared by the resources of this folder.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "doc/value.h"

namespace gantry::gitops {

// Throws Error "spec.FIELD: WHY".
[[noreturn]] void bad(const std::string& field, const std::string& why);
// A string field ("" when absent or null).
std::string text_at(const doc::Value& m, std::string_view key, const std::string& field);
// A bool field (false when absent or null).
bool bool_at(const doc::Value& m, std::string_view key, const std::string& field);
// A duration field ("30s", "5m"), `dflt` when absent; must be longer than 0.
std::chrono::milliseconds duration_at(const doc::Value& m, std::string_view key,
                                      const std::string& field, std::chrono::milliseconds dflt);
// A list of strings (empty when absent).
std::vector<std::string> strings_at(const doc::Value& m, std::string_view key,
                                    const std::string& field);

}  // namespace gantry::gitops
