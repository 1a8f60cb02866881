// libFuzzer target: kustomizations with replacements and ValueAddTransformer
// configs (field paths, selectors, options are untrusted input from a
// repository), and custom `openapi:` schemas driving strategic merges.
//
// The input is a kustomization, a line "---8<---", then the resources it
// builds (resources.yaml), optionally another "---8<---" line and a schema
// file (schema.yaml, for `openapi: {path: schema.yaml}`). All exist only in memory, below a fresh
// empty directory that is also the root, so no other file can be read. Any input must end in
// objects or a gantry::Error, never in another exception, a crash, a hang or a leak.
#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"
#include "kustomize/kustomize.h"

namespace {

const std::filesystem::path& work_dir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "gantry-fuzz-kustomize-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    return std::filesystem::path(tmpl);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kCut = "\n---8<---\n";
  size_t cut = text.find(kCut);
  std::string kustomization(text.substr(0, cut));
  std::string_view rest =
      cut == std::string_view::npos ? std::string_view() : text.substr(cut + kCut.size());
  size_t cut2 = rest.find(kCut);
  std::string resources(rest.substr(0, cut2));
  std::string schema(cut2 == std::string_view::npos ? std::string_view()
                                                    : rest.substr(cut2 + kCut.size()));
  gantry::kustomize::Options opts;
  opts.root = work_dir();
  opts.overlay_files[work_dir() / "kustomization.yaml"] = kustomization;
  opts.overlay_files[work_dir() / "resources.yaml"] = resources;
  opts.overlay_files[work_dir() / "schema.yaml"] = schema;
  try {
    auto out = gantry::kustomize::build(work_dir(), opts);
    (void)out;
  } catch (const gantry::Error&) {
  }
  return 0;
}
