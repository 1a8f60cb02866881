// Shared helpers for the template engine tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/error.h"
#include "doc/value.h"
#include "template/engine.h"

namespace gantry::tmpl::test {

inline std::string render(std::string_view source, const doc::Value& ctx = doc::Value::map()) {
  Engine engine;
  return engine.render(source, "test.j2", ctx);
}

// Renders `source` expecting a gantry::Error; returns it (fails the test otherwise).
inline Error render_error(std::string_view source, const doc::Value& ctx = doc::Value::map(),
                          const Engine* engine = nullptr, std::string_view name = "test.j2") {
  Engine fallback;
  const Engine& e = engine ? *engine : fallback;
  try {
    std::string out = e.render(source, name, ctx);
    ADD_FAILURE() << "expected an error for template:\n" << source << "\nbut got output:\n" << out;
  } catch (const Error& err) {
    return err;
  }
  return Error("no error");
}

}  // namespace gantry::tmpl::test
