// libFuzzer target for the template engine: parses and renders arbitrary
// input with an empty context. Any gantry::Error is an expected outcome;
// crashes, sanitizer reports, hangs and other exceptions are bugs.
//
// The limits are small so that a single input cannot run for long or
// allocate much; includes cannot reach files (no search path and a
// non-file template name).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "doc/value.h"
#include "template/engine.h"

namespace {

const gantry::tmpl::Engine& engine() {
  static const gantry::tmpl::Engine e({}, [] {
    gantry::tmpl::Limits l;
    l.max_output_bytes = 1u << 20;
    l.max_include_depth = 4;
    l.max_loop_iterations = 100'000;
    return l;
  }());
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const gantry::doc::Value context = gantry::doc::Value::map();
  try {
    engine().render(input, "<fuzz>", context);
  } catch (const gantry::Error&) {
  }
  try {
    engine().evaluate_condition(input, "<fuzz>", context);
  } catch (const gantry::Error&) {
  }
  return 0;
}
