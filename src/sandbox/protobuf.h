// Kubernetes' protobuf request bodies (Content-Type
// application/vnd.kubernetes.protobuf), as kubectl's imperative commands
// (create configmap|secret|deployment|…, run, expose, autoscale, auth can-i)
// send them: the magic bytes "k8s\0", then a runtime.Unknown message
// {typeMeta {apiVersion, kind} = 1, raw = 2, contentEncoding = 3,
// contentType = 4} whose `raw` is the object's own message.
//
// The object is decoded into its JSON form with the generated schema
// (sandbox/proto_schema.h): JSON names, RFC 3339 times, int-or-strings,
// quantities and base64 bytes as the API's JSON has them; zero values of
// non-pointer Go fields (which protobuf writers always send) are left out as
// the JSON encoder's omitempty leaves them out. Unknown field numbers are
// skipped, as protobuf readers do.
#pragma once

#include <string>
#include <string_view>

#include "doc/value.h"

namespace gantry::sandbox {

struct ProtobufObject {
  bool supported = false;  // false: the apiVersion/kind is not in the schema
  std::string type;        // "apps/v1 Deployment"
  doc::Value object;       // with apiVersion and kind set (when supported)
};

// Decodes one body. Throws Error (kInvalidInput) for bytes that are not a
// well-formed envelope or message (truncated, bad wire types, nesting over
// 64 levels; strings are kept as sent).
ProtobufObject decode_protobuf(std::string_view body);

}  // namespace gantry::sandbox
