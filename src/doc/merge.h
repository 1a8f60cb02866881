// Merge helpers for the document model.
#pragma once

#include "doc/value.h"

namespace gantry::doc {

// Deep-merges `src` into `dst`: maps merge key by key (recursively), any other
// value in src replaces the one in dst. Keys new to dst are appended in src order.
void deep_merge(Value& dst, const Value& src);

}  // namespace gantry::doc
