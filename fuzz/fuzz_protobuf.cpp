// libFuzzer target: Kubernetes protobuf request bodies, which the sandbox
// decodes from any client (sandbox/protobuf.h), and the version conversion
// the decoded HorizontalPodAutoscalers go through (sandbox/convert.h: their
// annotations carry JSON).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "doc/json.h"
#include "sandbox/convert.h"
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
      if (!o.supported) continue;
      (void)gantry::doc::to_json(o.object);
      for (const auto& t : gantry::sandbox::builtin_types())
        if (gantry::sandbox::converts(t) && o.object.get_string("kind") == t.kind)
          (void)gantry::doc::to_json(gantry::sandbox::to_served_version(
              t, gantry::sandbox::to_storage_version(t, o.object)));
    } catch (const gantry::Error&) {
    }
  }
  return 0;
}
