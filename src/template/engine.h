// A Jinja2-style template engine (our own; no library fits).
//
// Supports `{{ expr }}` output, `{% if/elif/else %}`, `{% for x in xs %}` with
// `loop` (index, index0, first, last, length) and `{% else %}`, `{% set %}`,
// `{% include "file" %}`, `{% raw %}`, comments `{# #}`, whitespace control
// (`{%-`, `-%}`, `{{-`, `-}}`), expressions with attribute/index access,
// arithmetic, comparisons, `and`/`or`/`not`, `in`, `~`, literals (strings,
// numbers, lists, dicts), filters and tests (`is defined`, `is none`, ...).
//
// Undefined names are strict: using one in output, arithmetic or attribute
// access is an Error naming the name and file:line:column. `default`, `is
// defined` and `if x` (falsy) accept undefined values.
//
// Values in the context are doc::Value; template output is text.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "doc/value.h"

namespace gantry::tmpl {

struct Limits {
  size_t max_output_bytes = 64u << 20;  // per render
  size_t max_include_depth = 32;        // include chains (cycles fail here or earlier)
  size_t max_loop_iterations = 10'000'000;
};

class Engine {
 public:
  // `search_path`: directories where `{% include "name" %}` looks, in order,
  // after the directory of the including template. Includes cannot leave
  // these directories (or the including template's root) with "../".
  explicit Engine(std::vector<std::filesystem::path> search_path = {}, Limits limits = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Renders template text. `name` is the file name used in errors and to
  // resolve relative includes (its parent directory is searched first).
  std::string render(std::string_view source, std::string_view name,
                     const doc::Value& context) const;

  // Reads and renders a file.
  std::string render_file(const std::filesystem::path& path, const doc::Value& context) const;

  // Evaluates a single expression (no braces), e.g. a `when:` condition, and
  // returns its value (undefined names are an Error unless tested with
  // `is defined` or passed to `default`).
  doc::Value evaluate(std::string_view expression, std::string_view name,
                      const doc::Value& context) const;

  // Jinja truthiness of evaluate(): false, none, 0, "", [] and {} are false.
  bool evaluate_condition(std::string_view expression, std::string_view name,
                          const doc::Value& context) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::tmpl
