// Engine: the public face of the template engine (see engine.h).
//
// Design:
//   lexer.cpp    source -> tokens (Jinja2's lexing rules and whitespace control)
//   parser.cpp   tokens -> AST (ast.h), filters/tests resolved at parse time
//   evaluator.cpp AST -> output; values are borrowed from the context, never
//                copied per lookup (runtime.h)
//   filters.cpp, builtins.cpp  filters, tests, methods, global functions
//   pyvalue.cpp, text.cpp      Python semantics: printing, comparison, strings
//
// Decisions (matching kluctl, which renders with Python Jinja2's default
// Environment and StrictUndefined):
//   - trim_blocks=False, lstrip_blocks=False, and keep_trailing_newline=False:
//     one trailing newline of every template (also included ones) is dropped,
//     exactly like Python Jinja2. YAML does not care; text that needs the
//     final newline can add it with {{ "\n" }}.
//   - Values print like Python: True/False, None, 1.0, ['a', 1], {'k': 'v'}.
//   - Undefined values are strict, except that `if x`, `not x`, `x or y`,
//     `default` and `is defined` treat them as false / missing.
//
// Thread safety: all methods are const and may be called concurrently. The
// only shared state is the parsed-template cache (included and rendered
// files, keyed by canonical path, reused while size and mtime are unchanged),
// which is guarded by a mutex. Each render has its own evaluation state.
#include "template/engine.h"

#include "core/file.h"
#include "template/ast.h"
#include "template/runtime.h"

namespace gantry::tmpl {

namespace fs = std::filesystem;

std::shared_ptr<const Template> EngineCore::load(const fs::path& path,
                                                 const std::string& display_name) const {
  std::error_code ec_time, ec_size;
  auto mtime = fs::last_write_time(path, ec_time);
  auto size = fs::file_size(path, ec_size);
  const bool stat_ok = !ec_time && !ec_size;
  const std::string key = path.string();
  if (stat_ok) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.mtime == mtime && it->second.size == size)
      return it->second.tmpl;
  }
  std::string source = read_file(path);
  std::shared_ptr<const Template> t = parse_template(source, display_name, path.parent_path(), key);
  if (stat_ok) {
    std::lock_guard<std::mutex> lock(mu_);
    cache_[key] = CacheEntry{mtime, size, t};
  }
  return t;
}

struct Engine::Impl {
  EngineCore core;
};

fs::path canonical_or_normal(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) return p.lexically_normal();
  fs::path c = fs::weakly_canonical(abs, ec);
  return ec ? abs.lexically_normal() : c;
}

namespace {

// Names like "<string>" (or empty) are not files: such templates have no
// directory for relative includes and no identity for cycle detection.
bool is_file_name(std::string_view name) {
  return !name.empty() && name.front() != '<';
}

}  // namespace

Engine::Engine(std::vector<fs::path> search_path, Limits limits) : impl_(std::make_unique<Impl>()) {
  for (const auto& p : search_path)
    impl_->core.search_path.push_back(canonical_or_normal(p));
  impl_->core.limits = limits;
}

Engine::~Engine() = default;

std::string Engine::render(std::string_view source, std::string_view name,
                           const doc::Value& context) const {
  fs::path dir;
  std::string key;
  if (is_file_name(name)) {
    fs::path file(name);
    dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    key = file.string();
  }
  auto t = parse_template(source, std::string(name), dir, key);
  t->paths_canonical = false;
  std::string out;
  Renderer r(impl_->core, context, &out);
  r.render(*t);
  return out;
}

std::string Engine::render_file(const fs::path& path, const doc::Value& context) const {
  auto t = impl_->core.load(canonical_or_normal(path), path.string());
  std::string out;
  Renderer r(impl_->core, context, &out);
  r.render(*t);
  return out;
}

doc::Value Engine::evaluate(std::string_view expression, std::string_view name,
                            const doc::Value& context) const {
  auto t = parse_expression(expression, std::string(name));
  std::string unused;
  Renderer r(impl_->core, context, &unused);
  Val v = r.eval_root_expression(*t);
  r.value(v, *t->body.front()->expr);
  return v.take();
}

bool Engine::evaluate_condition(std::string_view expression, std::string_view name,
                                const doc::Value& context) const {
  auto t = parse_expression(expression, std::string(name));
  std::string unused;
  Renderer r(impl_->core, context, &unused);
  return r.truthy(r.eval_root_expression(*t));
}

}  // namespace gantry::tmpl
