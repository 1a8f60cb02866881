// Line diffs of two texts, printed as a unified diff (`diff -u`).
#pragma once

#include <string>
#include <string_view>

namespace gantry {

// A unified diff of `before` and `after` with `context` lines around each
// change and `--- before_name` / `+++ after_name` headers; "" when the texts
// are equal. Lines are compared whole (Myers' O(ND) algorithm, so the result
// is a shortest edit script); a missing final newline is marked as diff does
// ("\ No newline at end of file").
std::string unified_diff(std::string_view before, std::string_view after,
                         std::string_view before_name, std::string_view after_name,
                         size_t context = 3);

}  // namespace gantry
