// libFuzzer target: Helm chart archives (downloaded from chart repositories
// and registries) and chart repository indexes, both untrusted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "render/chart_archive.h"
#include "render/chart_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  gantry::render::ArchiveLimits limits;
  limits.max_total_bytes = 4u << 20;  // keep runs fast; the checks are the same
  limits.max_file_bytes = 1u << 20;
  try {
    gantry::render::ChartArchive a = gantry::render::read_chart_archive(bytes, limits);
    // What is accepted is confined: relative, no "..", under one top folder.
    for (const auto& f : a.files) {
      if (f.path.empty() || f.path.front() == '/') __builtin_trap();
      if (f.path == ".." || f.path.rfind("../", 0) == 0 ||
          f.path.find("/../") != std::string::npos ||
          (f.path.size() >= 3 && f.path.compare(f.path.size() - 3, 3, "/..") == 0))
        __builtin_trap();
    }
  } catch (const gantry::Error&) {
  }
  try {
    gantry::render::ChartIndex idx = gantry::render::ChartIndex::parse(bytes, "fuzz");
    idx.versions("demo");
  } catch (const gantry::Error&) {
  }
  return 0;
}
