// libFuzzer target: Kubernetes protobuf request bodies, which the sandbox
// decodes from any client (sandbox/protobuf.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "doc/json.h"
#include "sandbox/protobuf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  // Most inputs lack the magic bytes; give the decoder a chance at the rest too.
  for (std::string_view b : {body, std::string_view()}) {
    std::string with_magic;
    if (b.empty()) {
      with_magic = std::string("k8s\0", 4) + std::string(body);
      b = with_magic;
    }
    try {
      gantry::sandbox::ProtobufObject o = gantry::sandbox::decode_protobuf(b);
      if (o.supported) (void)gantry::doc::to_json(o.object);
    } catch (const gantry::Error&) {
    }
  }
  return 0;
}
