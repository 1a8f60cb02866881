// The schema of the Kubernetes protobuf messages the sandbox decodes: for
// each message its fields (number, JSON name, type), generated from
// kubernetes/api and kubernetes/apimachinery by scripts/gen-proto-schema.py
// (proto_schema.cpp is its output). Facts of the wire format only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gantry::sandbox::proto {

enum class FieldKind : uint8_t {
  kString,
  kBytes,  // base64 in JSON
  kBool,
  kInt32,
  kInt64,
  kUint32,
  kUint64,
  kDouble,
  kFloat,
  kMessage,      // Field::message is its index in messages()
  kTime,         // meta/v1 Time {seconds, nanos}: RFC 3339, seconds precision
  kMicroTime,    // meta/v1 MicroTime: RFC 3339 with microseconds
  kDuration,     // meta/v1 Duration {duration ns}: Go's "1h2m3s"
  kIntOrString,  // {type, intVal, strVal}: a number or a string
  kQuantity,     // resource.Quantity {string}: the string
  kRawJson,      // RawExtension, FieldsV1 {raw}: embedded JSON
};

constexpr uint8_t kRepeated = 1;  // a list
constexpr uint8_t kMap = 2;       // map<string, kind>: repeated {key = 1, value = 2}
constexpr uint8_t kPointer = 4;   // a Go pointer: a zero value sent is kept

struct Field {
  uint16_t number;
  const char* name;
  FieldKind kind;
  int16_t message;  // kMessage (also as a map's value): index into messages(); else -1
  uint8_t flags;
};

struct Message {
  const char* name;  // "k8s.io.api.core.v1.Secret"
  uint16_t first;    // index of its first field in fields()
  uint16_t count;
};

// A top-level object: which message an apiVersion and kind are.
struct Root {
  const char* api_version;
  const char* kind;
  uint16_t message;
};

const Field* fields();
const Message* messages();
size_t message_count();
const Root* roots();
size_t root_count();

}  // namespace gantry::sandbox::proto
