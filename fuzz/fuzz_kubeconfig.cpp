// libFuzzer target: kubeconfig files.
//
// Reads the input as a kubeconfig and resolves the context "ctx" (the seeds
// name it): a malformed file must end in gantry::Error, never in another
// exception, a crash or a leak. Paths the input names resolve below a
// directory that does not exist, so reading them fails cleanly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "kube/kubeconfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    gantry::kube::ClusterAccess a =
        gantry::kube::parse_cluster_access(text, "/nonexistent-gantry-fuzz/kubeconfig", "ctx");
    (void)a;
  } catch (const gantry::Error&) {
  }
  return 0;
}
