// Template evaluation (private to src/template).
//
// A Renderer walks a parsed Template and appends to an output string. Values
// flow as `Val`: a borrowed pointer into the context or into a variable (no
// copy), an owned doc::Value (results of operations), an undefined marker
// (remembering which expression produced it, for the error message), or one
// of the non-data objects `loop` and macros.
//
// Variables live in a scope chain (a vector of bindings split into frames);
// lookups walk it from the innermost frame outwards and end at the context
// map. `for` bodies, includes, macros and `with` get their own frame, so a
// `set` there does not leak out (like Jinja); `if` does not.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "doc/value.h"
#include "template/ast.h"
#include "template/builtins.h"
#include "template/engine.h"

namespace gantry::tmpl {

// Python's view of numbers: bools are the ints 0 and 1.
inline bool is_intlike(const doc::Value& v) {
  return v.is_int() || v.is_bool();
}
inline int64_t intlike(const doc::Value& v) {
  return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int();
}
inline bool is_numeric(const doc::Value& v) {
  return v.is_number() || v.is_bool();
}
inline double numeric(const doc::Value& v) {
  return v.is_float() ? v.as_float() : static_cast<double>(intlike(v));
}

// Why a value is undefined (for the error message).
enum class UndefReason : uint8_t {
  kName,       // no such variable
  kKey,        // map has no such key
  kAttribute,  // value of this type has no such attribute
  kIndex,      // list/string index out of range
  kParam,      // macro parameter not passed
  kNoElse,     // "a if b" without else, b false (prints as "")
  kLoopEdge,   // loop.previtem on the first / nextitem on the last iteration
};

struct LoopState {
  size_t index0 = 0;
  size_t length = 0;
  const std::vector<const doc::Value*>* items = nullptr;  // for previtem/nextitem
};

class Val {
 public:
  enum class Kind : uint8_t { kUndefined, kRef, kOwned, kLoop, kMacro };

  Val() = default;  // undefined
  static Val ref(const doc::Value& v, bool stable) {
    Val r;
    r.kind_ = Kind::kRef;
    r.ptr_ = &v;
    r.stable_ = stable;
    return r;
  }
  static Val own(doc::Value v) {
    Val r;
    r.kind_ = Kind::kOwned;
    r.own_ = std::move(v);
    return r;
  }
  static Val undefined(const Expr* origin, const Template* tmpl, UndefReason why,
                       doc::Type container = doc::Type::kNull, int64_t aux = 0) {
    Val r;
    r.ptr_ = origin;
    r.tmpl_ = tmpl;
    r.reason_ = why;
    r.container_ = container;
    r.aux_ = aux;
    return r;
  }
  static Val loop(const LoopState* l) {
    Val r;
    r.kind_ = Kind::kLoop;
    r.ptr_ = l;
    return r;
  }
  static Val macro(const Stmt* m, size_t frame) {
    Val r;
    r.kind_ = Kind::kMacro;
    r.ptr_ = m;
    r.aux_ = static_cast<int64_t>(frame);
    return r;
  }

  Kind kind() const { return kind_; }
  bool defined() const { return kind_ != Kind::kUndefined; }
  bool is_value() const { return kind_ == Kind::kRef || kind_ == Kind::kOwned; }
  // The value (precondition: is_value()).
  const doc::Value& get() const {
    return kind_ == Kind::kRef ? *static_cast<const doc::Value*>(ptr_) : own_;
  }
  // Moves an owned value out, copies a borrowed one.
  doc::Value take() {
    if (kind_ == Kind::kOwned) return std::move(own_);
    return get();
  }
  // A borrowed value that points into the render context (which outlives
  // the render), so it may be kept by reference in a variable.
  bool stable() const { return kind_ == Kind::kRef && stable_; }
  // A value held by a namespace() object: attribute reads copy it, because
  // `set ns.x = ...` may change it while a reference is held.
  bool ns() const { return ns_; }
  void set_ns(bool v) { ns_ = v; }

  const Expr* origin() const { return static_cast<const Expr*>(ptr_); }
  const Template* origin_template() const { return tmpl_; }
  UndefReason reason() const { return reason_; }
  doc::Type container() const { return container_; }
  int64_t aux() const { return aux_; }
  const LoopState* loop_state() const { return static_cast<const LoopState*>(ptr_); }
  const Stmt* macro_stmt() const { return static_cast<const Stmt*>(ptr_); }
  size_t macro_frame() const { return static_cast<size_t>(aux_); }

 private:
  doc::Value own_;
  const void* ptr_ = nullptr;
  const Template* tmpl_ = nullptr;
  int64_t aux_ = 0;
  Kind kind_ = Kind::kUndefined;
  bool stable_ = false;
  bool ns_ = false;
  UndefReason reason_ = UndefReason::kName;
  doc::Type container_ = doc::Type::kNull;
};

// Shared engine state: configuration and the parsed-template cache. The
// cache is guarded by a mutex, so one Engine may render from several threads.
struct EngineCore {
  std::vector<std::filesystem::path> search_path;
  Limits limits;

  // Loads and parses a template file (cached by path; an entry is reused
  // while the file's size and modification time are unchanged).
  std::shared_ptr<const Template> load(const std::filesystem::path& path,
                                       const std::string& display_name) const;

 private:
  struct CacheEntry {
    std::filesystem::file_time_type mtime;
    uintmax_t size = 0;
    std::shared_ptr<const Template> tmpl;
  };
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, CacheEntry> cache_;
};

class Renderer {
 public:
  Renderer(const EngineCore& core, const doc::Value& context, std::string* out);

  // Renders a whole template into the output.
  void render(const Template& t);
  // Evaluates the single expression of a parse_expression() template.
  Val eval_root_expression(const Template& t);

  Val eval(const Expr& e);
  bool truthy(const Val& v) const;

  // Python str() of a defined value (an undefined one is an error).
  void append_str(std::string& out, const Val& v, const Expr& at);
  std::string to_str(const Val& v, const Expr& at);
  // The value of a defined data value; undefined values, loops and macros are errors.
  const doc::Value& value(const Val& v, const Expr& at);

  [[noreturn]] void fail(const Expr& at, std::string why) const;
  [[noreturn]] void fail_at(uint32_t line, uint32_t column, std::string why) const;
  [[noreturn]] void raise_undefined(const Val& v) const;

  const Limits& limits() const { return core_.limits; }
  // Errors when a string/list being built would exceed the limits.
  void check_string_size(size_t n, const Expr& at) const;
  void check_list_size(size_t n, const Expr& at) const;
  // Counts loop iterations and other per-element work (list filters, range)
  // against Limits::max_loop_iterations.
  void count_iterations(size_t n, const Expr& at);

  // Calls a filter / test by name at run time (map('upper'), select('odd')).
  Val call_filter(const Expr& at, std::string_view name, Val input, CallArgs& args);
  bool call_test(const Expr& at, std::string_view name, const Val& v, CallArgs& args);

  // Renders a template string with the current variables (kluctl's `render` filter).
  std::string render_string(const Expr& at, std::string_view source);

  // Looks up a variable the way kluctl's get_var does ("a.b.c").
  Val lookup_path(std::string_view path);

 private:
  struct Binding {
    std::string_view name;
    const doc::Value* ref = nullptr;    // borrowed
    std::unique_ptr<doc::Value> owned;  // or owned (stable address)
    const LoopState* loop = nullptr;    // or the loop object
    const Stmt* macro = nullptr;        // or a macro
    size_t macro_frame = 0;             //   and the frame it was defined in
    bool stable = false;                // ref points into the context
    bool ns = false;                    // owned value is a namespace()
    std::unique_ptr<Val> undefined;     // or an undefined value (no origin: missing macro argument)
  };
  struct Frame {
    size_t start;   // first binding
    size_t parent;  // frame to continue lookups in; kNoParent: the one below
  };
  static constexpr size_t kNoParent = static_cast<size_t>(-1);

  class DepthGuard;

  void exec_body(const Body& body);
  void exec(const Stmt& s);
  void exec_if(const Stmt& s);
  void exec_for(const Stmt& s);
  void exec_set(const Stmt& s);
  void exec_include(const Stmt& s);
  void exec_with(const Stmt& s);

  void emit(std::string_view text);
  void emit_value(const Val& v, const Expr& at);

  void push_frame(size_t parent = kNoParent);
  void pop_frame();
  Binding& bind(std::string_view name);  // in the innermost frame (replacing)
  void bind_val(std::string_view name, Val v);
  Binding* find_binding(std::string_view name, size_t* frame_out);
  Val binding_val(const Binding& b, size_t frame) const;
  Val lookup(const Expr& name_expr);

  Val eval_attr(const Expr& e);
  Val eval_index(const Expr& e);
  Val eval_slice(const Expr& e);
  Val eval_binary(const Expr& e);
  Val eval_compare(const Expr& e);
  Val eval_call(const Expr& e);
  Val eval_filter(const Expr& e);
  Val eval_test(const Expr& e);
  void eval_args(const Expr& e, size_t first, CallArgs& args);
  Val get_attr(const Val& base, std::string_view name, const Expr& at);
  Val get_item(const Val& base, const Val& key, const Expr& at);
  Val call_macro(const Val& m, CallArgs& args, const Expr& at);

  std::string undefined_message(const Val& v) const;

  const EngineCore& core_;
  const doc::Value& context_;
  std::string* out_;
  std::vector<Binding> bindings_;
  std::vector<Frame> frames_;
  const Template* tmpl_ = nullptr;              // current template (error locations)
  std::vector<const Template*> include_stack_;  // for cycle detection and messages
  size_t iterations_ = 0;
  size_t depth_ = 0;
  size_t macro_depth_ = 0;
  size_t render_depth_ = 0;  // nested `render` filter calls
};

// An absolute path with symlinks resolved as far as the path exists
// (lexically normalised when that fails).
std::filesystem::path canonical_or_normal(const std::filesystem::path& p);

// Python semantics on doc::Value (pyvalue.cpp).
bool py_truthy(const doc::Value& v);
void append_py_str(std::string& out, const doc::Value& v);
void append_py_repr(std::string& out, const doc::Value& v);
bool py_equal(const doc::Value& a, const doc::Value& b);
// -1/0/1; *ok=false when the two cannot be ordered (e.g. int and string).
int py_compare(const doc::Value& a, const doc::Value& b, bool* ok);
// Python's json.dumps(v) (", " and ": " separators, ensure_ascii); sort_keys
// orders map keys. Errors (gantry::Error without location) on non-finite
// floats only when `strict`; otherwise writes NaN/Infinity like Python.
void append_py_json(std::string& out, const doc::Value& v, bool sort_keys);
std::string_view type_label(const doc::Value& v);
// Nesting depth, stopping early once it exceeds `limit`.
size_t value_depth(const doc::Value& v, size_t limit);

}  // namespace gantry::tmpl
