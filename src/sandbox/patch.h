// The patch formats of the Kubernetes API: JSON merge patch (RFC 7386), JSON
// patch (RFC 6902) and strategic merge patch (merge keys and $patch
// directives). Errors are gantry::Error with a message fit for a Status.
#pragma once

#include "doc/value.h"
#include "sandbox/resources.h"

namespace gantry::sandbox {

// RFC 7386: maps merge, null deletes, everything else replaces.
void json_merge_patch(doc::Value& target, const doc::Value& patch);

// RFC 6902: `ops` is a list of {op, path, value, from}.
void json_patch(doc::Value& target, const doc::Value& ops);

// Strategic merge patch: like a merge patch, but lists with merge keys merge
// by key (items with "$patch: delete" are removed), set lists take the union,
// "$patch: replace" replaces a map or list, "$retainKeys" keeps only listed
// keys, "$deleteFromPrimitiveList/<field>" removes values,
// "$setElementOrder/<field>" is accepted and ignored.
void strategic_merge_patch(doc::Value& target, const doc::Value& patch, const ResourceType& t);

}  // namespace gantry::sandbox
