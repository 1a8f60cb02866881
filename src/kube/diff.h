// What a person should see of a change to one object.
#pragma once

#include <string>

#include "doc/value.h"

namespace gantry::kube {

// A copy of a live or dry-run object without what the server maintains:
// status, metadata.managedFields, resourceVersion, uid, generation,
// creationTimestamp, selfLink and kubectl's last-applied annotation.
doc::Value strip_server_fields(const doc::Value& object);

// Replaces the values of a Secret's data and stringData in both versions by
// "***" (equal in both), or "*** (before)" / "*** (after)" when they differ,
// so a diff shows which keys change but never a secret. Either may be null
// (absent). Objects that are not Secrets are left alone.
void redact_secrets(doc::Value& before, doc::Value& after);

// A unified diff of two versions of one object as YAML with sorted keys
// (either may be null: created or deleted), Secret values redacted and
// server fields stripped. "" when they are equal.
std::string object_diff(const doc::Value& before, const doc::Value& after, const std::string& name);

}  // namespace gantry::kube
