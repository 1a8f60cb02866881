#include "doc/string_list.h"

namespace gantry::doc {

Value string_list(const std::vector<std::string>& items) {
  Value out = Value::list();
  for (const auto& s : items)
    out.push_back(s);
  return out;
}

std::vector<std::string> strings_of(const Value* list) {
  std::vector<std::string> out;
  if (list && list->is_list())
    for (const auto& x : list->as_list())
      if (x.is_string()) out.push_back(x.as_string());
  return out;
}

}  // namespace gantry::doc
