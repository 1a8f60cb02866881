// libFuzzer target: Dockerfiles (parser, ONBUILD triggers, word expansion and
// the stage graph) and .dockerignore files, all read from untrusted build contexts.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "build/expand.h"
#include "build/stages.h"
#include "core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gantry::build::Lookup lookup = [](std::string_view name) -> std::optional<std::string> {
    if (name == "A") return std::string("a b");
    return std::nullopt;
  };
  try {
    gantry::build::expand_words(text, lookup);
  } catch (const gantry::Error&) {
  }
  try {
    gantry::build::expand_key_values("ENV", text, lookup);
  } catch (const gantry::Error&) {
  }
  try {
    gantry::build::Dockerfile df = gantry::build::parse_dockerfile(text);
    for (const auto& ins : df.instructions) {
      if (ins.line == 0) __builtin_trap();
      if (ins.keyword == "ONBUILD") gantry::build::parse_onbuild_trigger(ins, df);
    }
    gantry::build::StageGraph g = gantry::build::plan_stages(df, {{"A", "1"}});
    g.needed_for("");
  } catch (const gantry::Error&) {
  }
  try {
    gantry::build::IgnoreRules rules = gantry::build::IgnoreRules::parse(text);
    rules.excludes("a/b/c.md");
    gantry::build::glob_match(text, "a/b/c");
  } catch (const gantry::Error&) {
  }
  return 0;
}
