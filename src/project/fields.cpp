#include "project/fields.h"

#include <algorithm>

namespace gantry::project {

void check_fields(const doc::Value& map, std::initializer_list<std::string_view> known,
                  std::string_view what, std::initializer_list<std::string_view> ignored) {
  auto listed = [](std::initializer_list<std::string_view> l, const std::string& key) {
    return std::find(l.begin(), l.end(), key) != l.end();
  };
  for (const auto& m : map.as_map()) {
    if (listed(known, m.key) || listed(ignored, m.key)) continue;
    std::string list;
    for (auto k : known)
      list += (list.empty() ? "" : ", ") + std::string(k);
    throw Error(m.key_span.location(), "unknown field \"" + m.key + "\" in " + std::string(what) +
                                           " (known: " + list + ")");
  }
}

std::string string_field(const doc::Value& map, std::string_view key) {
  const doc::Value* v = map.find(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) v->fail("field \"" + std::string(key) + "\" must be a string");
  return v->as_string();
}

}  // namespace gantry::project
