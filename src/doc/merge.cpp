#include "doc/merge.h"

namespace gantry::doc {

void deep_merge(Value& dst, const Value& src) {
  if (!src.is_map() || !dst.is_map()) {
    dst = src;
    return;
  }
  for (const auto& m : src.as_map()) {
    Value* existing = dst.find(m.key);
    if (existing) {
      deep_merge(*existing, m.value);
    } else {
      dst.as_map().push_back(m);
    }
  }
}

}  // namespace gantry::doc
