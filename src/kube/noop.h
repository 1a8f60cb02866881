// Deciding without a request that a server-side apply would change nothing.
//
// A no-op re-deploy should not send one dry run per object. When the live
// object (read with the labelled LIST the plan makes anyway) already holds
// what we would apply, and our field manager owns nothing we stopped
// applying, the apply cannot change anything, so the plan marks the object
// unchanged without asking the server. Whenever this cannot be decided for
// sure (a field the server normalises, a list whose order differs, a field
// manager entry from another apiVersion), the answer is false and the plan
// falls back to a dry run — so a false "no-op" would need the server to
// change a value it already stores, which server-side apply does not do.
#pragma once

#include <string_view>

#include "doc/value.h"

namespace gantry::kube {

// True when:
//  - every field of `desired` is in `live` with an equal value (maps in live
//    may hold more fields — defaults, other managers' fields — while lists
//    must have the same items in the same order), and `desired` holds no null;
//  - `live.metadata.managedFields` has an Apply entry of `manager` for the same
//    apiVersion, and every field that entry owns is still in `desired`
//    (otherwise the apply would remove it).
bool apply_is_noop(const doc::Value& desired, const doc::Value& live, std::string_view manager);

}  // namespace gantry::kube
