#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "core/file.h"
#include "template/runtime.h"
#include "template/text.h"

namespace gantry::tmpl {

namespace fs = std::filesystem;

namespace {

// Bounds on run-time recursion (eval/exec calls, macro calls), so that no
// template can overflow the C++ stack.
constexpr size_t kMaxEvalDepth = 1000;
constexpr size_t kMaxMacroDepth = 100;
// Deepest value a variable may hold: values are copied, printed and freed
// recursively, and a variable can be re-nested once per {% set %}. (The YAML
// reader allows the same depth.)
constexpr size_t kMaxValueDepth = 512;

std::string describe_expr(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kName:
      return e.name;
    case ExprKind::kAttr:
      return describe_expr(*e.args[0]) + "." + e.name;
    case ExprKind::kIndex: {
      std::string s = describe_expr(*e.args[0]) + "[";
      if (e.args[1]->kind == ExprKind::kLiteral && e.args[1]->literal.is_scalar()) {
        append_py_repr(s, e.args[1]->literal);
      } else {
        s += describe_expr(*e.args[1]);
      }
      return s + "]";
    }
    case ExprKind::kCall:
      return describe_expr(*e.args[0]) + "(...)";
    case ExprKind::kFilter:
      return describe_expr(*e.args[0]) + "|" + e.name;
    case ExprKind::kLiteral: {
      std::string s;
      append_py_repr(s, e.literal);
      return s.size() > 40 ? s.substr(0, 37) + "..." : s;
    }
    default:
      return "expression";
  }
}

std::string_view op_name(Op op) {
  return op_text(op);
}

std::string_view cmp_text(Cmp c) {
  switch (c) {
    case Cmp::kEq:
      return "==";
    case Cmp::kNe:
      return "!=";
    case Cmp::kLt:
      return "<";
    case Cmp::kLe:
      return "<=";
    case Cmp::kGt:
      return ">";
    case Cmp::kGe:
      return ">=";
    case Cmp::kIn:
      return "in";
    case Cmp::kNotIn:
      return "not in";
  }
  return "?";
}

}  // namespace

class Renderer::DepthGuard {
 public:
  DepthGuard(Renderer& r, uint32_t line, uint32_t column) : r_(r) {
    if (r_.depth_ >= kMaxEvalDepth)
      r_.fail_at(line, column, "template evaluation is nested too deeply (recursion limit)");
    ++r_.depth_;
  }
  ~DepthGuard() { --r_.depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Renderer& r_;
};

Renderer::Renderer(const EngineCore& core, const doc::Value& context, std::string* out)
    : core_(core), context_(context), out_(out) {
  bindings_.reserve(32);
  frames_.push_back(Frame{0, kNoParent});
}

// ---------------------------------------------------------------- errors

void Renderer::fail_at(uint32_t line, uint32_t column, std::string why) const {
  throw Error(Location{tmpl_ ? tmpl_->name : std::string(), line, column}, std::move(why));
}

void Renderer::fail(const Expr& at, std::string why) const {
  fail_at(at.line, at.column, std::move(why));
}

std::string Renderer::undefined_message(const Val& v) const {
  const Expr* o = v.origin();
  std::string path = o ? describe_expr(*o) : std::string("value");
  std::string key;
  if (o && o->kind == ExprKind::kAttr) {
    key = o->name;
  } else if (o && o->kind == ExprKind::kIndex && o->args[1]->kind == ExprKind::kLiteral) {
    append_py_str(key, o->args[1]->literal);
  }
  switch (v.reason()) {
    case UndefReason::kName:
      return "undefined variable '" + path + "'";
    case UndefReason::kKey:
      return "undefined variable '" + path + "': the map has no key '" + key + "'";
    case UndefReason::kAttribute:
      return "undefined variable '" + path + "': a " +
             std::string(v.container() == doc::Type::kNull ? "none"
                                                           : doc::type_name(v.container())) +
             " has no attribute '" + key + "'";
    case UndefReason::kIndex:
      return "undefined variable '" + path + "': index out of range (the " +
             std::string(doc::type_name(v.container())) + " has " + std::to_string(v.aux()) +
             (v.container() == doc::Type::kString ? " characters)" : " items)");
    case UndefReason::kParam:
      return "undefined variable '" + path + "': the macro was called without this argument";
    case UndefReason::kNoElse:
      return "undefined value: the inline if-expression was false and has no else branch";
    case UndefReason::kLoopEdge:
      return "undefined variable '" + path + "': there is no " + (v.aux() ? "next" : "previous") +
             " item";
  }
  return "undefined value";
}

void Renderer::raise_undefined(const Val& v) const {
  const Expr* o = v.origin();
  const Template* t = v.origin_template() ? v.origin_template() : tmpl_;
  throw Error(Location{t ? t->name : std::string(), o ? o->line : 0u, o ? o->column : 0u},
              undefined_message(v));
}

void Renderer::check_string_size(size_t n, const Expr& at) const {
  if (n > core_.limits.max_output_bytes)
    fail(at, "string of " + std::to_string(n) + " bytes exceeds the output limit of " +
                 std::to_string(core_.limits.max_output_bytes) + " bytes");
}

void Renderer::check_list_size(size_t n, const Expr& at) const {
  if (n > core_.limits.max_loop_iterations)
    fail(at, "list of " + std::to_string(n) + " items exceeds the limit of " +
                 std::to_string(core_.limits.max_loop_iterations) + " items");
}

void Renderer::count_iterations(size_t n, const Expr& at) {
  iterations_ += n;
  if (iterations_ > core_.limits.max_loop_iterations)
    fail(at, "loop iteration limit of " + std::to_string(core_.limits.max_loop_iterations) +
                 " exceeded");
}

// ---------------------------------------------------------------- values

bool Renderer::truthy(const Val& v) const {
  switch (v.kind()) {
    case Val::Kind::kUndefined:
      return false;
    case Val::Kind::kLoop:
    case Val::Kind::kMacro:
      return true;
    default:
      return py_truthy(v.get());
  }
}

const doc::Value& Renderer::value(const Val& v, const Expr& at) {
  switch (v.kind()) {
    case Val::Kind::kUndefined:
      raise_undefined(v);
    case Val::Kind::kLoop:
      fail(at, "expected a value, found the loop object");
    case Val::Kind::kMacro:
      fail(at, "expected a value, found a macro");
    default:
      return v.get();
  }
}

void Renderer::append_str(std::string& out, const Val& v, const Expr& at) {
  (void)at;
  switch (v.kind()) {
    case Val::Kind::kUndefined:
      if (v.reason() == UndefReason::kNoElse) return;  // Jinja prints such a value as ""
      raise_undefined(v);
    case Val::Kind::kLoop: {
      const LoopState* l = v.loop_state();
      out +=
          "<LoopContext " + std::to_string(l->index0 + 1) + "/" + std::to_string(l->length) + ">";
      return;
    }
    case Val::Kind::kMacro:
      out += "<Macro '" + v.macro_stmt()->text + "'>";
      return;
    default:
      append_py_str(out, v.get());
  }
}

std::string Renderer::to_str(const Val& v, const Expr& at) {
  if (v.is_value() && v.get().is_string()) return v.get().as_string();
  std::string s;
  append_str(s, v, at);
  return s;
}

// ---------------------------------------------------------------- scopes

void Renderer::push_frame(size_t parent) {
  frames_.push_back(Frame{bindings_.size(), parent});
}

void Renderer::pop_frame() {
  bindings_.erase(bindings_.begin() + static_cast<ptrdiff_t>(frames_.back().start),
                  bindings_.end());
  frames_.pop_back();
}

Renderer::Binding& Renderer::bind(std::string_view name) {
  for (size_t i = bindings_.size(); i > frames_.back().start; --i) {
    if (bindings_[i - 1].name == name) {
      bindings_[i - 1] = Binding{};
      bindings_[i - 1].name = name;
      return bindings_[i - 1];
    }
  }
  bindings_.emplace_back();
  bindings_.back().name = name;
  return bindings_.back();
}

void Renderer::bind_val(std::string_view name, Val v) {
  // Materialise first: v may point into the binding that is about to be replaced.
  std::unique_ptr<doc::Value> owned;
  if (v.kind() == Val::Kind::kOwned || (v.kind() == Val::Kind::kRef && !v.stable()))
    owned = std::make_unique<doc::Value>(v.take());
  if (owned && value_depth(*owned, kMaxValueDepth) > kMaxValueDepth)
    throw Error(Location{tmpl_ ? tmpl_->name : std::string()},
                "the value of '" + std::string(name) + "' is nested too deeply (more than " +
                    std::to_string(kMaxValueDepth) + " levels)");
  Binding& b = bind(name);
  switch (v.kind()) {
    case Val::Kind::kUndefined:
      b.undefined = std::make_unique<Val>(std::move(v));
      break;
    case Val::Kind::kLoop:
      b.loop = v.loop_state();
      break;
    case Val::Kind::kMacro:
      b.macro = v.macro_stmt();
      b.macro_frame = v.macro_frame();
      break;
    case Val::Kind::kRef:
    case Val::Kind::kOwned:
      if (owned) {
        b.owned = std::move(owned);
        b.ns = v.ns();
      } else {
        b.ref = &v.get();
        b.stable = true;
      }
      break;
  }
}

Renderer::Binding* Renderer::find_binding(std::string_view name, size_t* frame_out) {
  size_t k = frames_.size();
  while (k > 0) {
    --k;
    size_t end = k + 1 < frames_.size() ? frames_[k + 1].start : bindings_.size();
    for (size_t i = end; i > frames_[k].start; --i) {
      if (bindings_[i - 1].name == name) {
        *frame_out = k;
        return &bindings_[i - 1];
      }
    }
    if (frames_[k].parent != kNoParent) k = frames_[k].parent + 1;
  }
  return nullptr;
}

Val Renderer::binding_val(const Binding& b, size_t frame) const {
  (void)frame;
  if (b.loop) return Val::loop(b.loop);
  if (b.macro) return Val::macro(b.macro, b.macro_frame);
  if (b.ref) return Val::ref(*b.ref, b.stable);
  if (b.owned) {
    Val v = Val::ref(*b.owned, false);
    v.set_ns(b.ns);
    return v;
  }
  if (b.undefined) return *b.undefined;
  return Val::own(doc::Value());
}

Val Renderer::lookup(const Expr& e) {
  size_t frame = 0;
  if (const Binding* b = find_binding(e.name, &frame)) {
    if (b->undefined && !b->undefined->origin())
      return Val::undefined(&e, tmpl_, UndefReason::kParam);
    return binding_val(*b, frame);
  }
  if (const doc::Value* v = context_.find(e.name)) return Val::ref(*v, true);
  return Val::undefined(&e, tmpl_, UndefReason::kName);
}

Val Renderer::lookup_path(std::string_view path) {
  size_t dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  Val cur;
  size_t frame = 0;
  if (const Binding* b = find_binding(head, &frame)) {
    cur = binding_val(*b, frame);
  } else if (const doc::Value* v = context_.find(head)) {
    cur = Val::ref(*v, true);
  } else {
    return Val();
  }
  while (dot != std::string_view::npos) {
    path = path.substr(dot + 1);
    dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    if (!cur.is_value() || !cur.get().is_map()) return Val();
    const doc::Value* v = cur.get().find(key);
    if (!v) return Val();
    cur = cur.kind() == Val::Kind::kOwned ? Val::own(*v) : Val::ref(*v, cur.stable());
  }
  return cur;
}

// ---------------------------------------------------------------- statements

void Renderer::render(const Template& t) {
  tmpl_ = &t;
  include_stack_.push_back(&t);
  exec_body(t.body);
  include_stack_.pop_back();
}

Val Renderer::eval_root_expression(const Template& t) {
  tmpl_ = &t;
  return eval(*t.body.front()->expr);
}

void Renderer::emit(std::string_view text) {
  if (out_->size() + text.size() > core_.limits.max_output_bytes)
    throw Error(Location{tmpl_->name}, "template output exceeds the limit of " +
                                           std::to_string(core_.limits.max_output_bytes) +
                                           " bytes");
  out_->append(text);
}

void Renderer::emit_value(const Val& v, const Expr& at) {
  if (v.is_value() && v.get().is_string()) {
    const std::string& s = v.get().as_string();
    if (out_->size() + s.size() > core_.limits.max_output_bytes)
      fail(at, "template output exceeds the limit of " +
                   std::to_string(core_.limits.max_output_bytes) + " bytes");
    out_->append(s);
    return;
  }
  append_str(*out_, v, at);
  if (out_->size() > core_.limits.max_output_bytes)
    fail(at, "template output exceeds the limit of " +
                 std::to_string(core_.limits.max_output_bytes) + " bytes");
}

void Renderer::exec_body(const Body& body) {
  for (const auto& s : body)
    exec(*s);
}

void Renderer::exec(const Stmt& s) {
  DepthGuard guard(*this, s.line, s.column);
  switch (s.kind) {
    case StmtKind::kText:
      emit(s.text);
      return;
    case StmtKind::kOutput:
      emit_value(eval(*s.expr), *s.expr);
      return;
    case StmtKind::kIf:
      exec_if(s);
      return;
    case StmtKind::kFor:
      exec_for(s);
      return;
    case StmtKind::kSet:
      exec_set(s);
      return;
    case StmtKind::kSetBlock: {
      std::string buf;
      std::string* saved = out_;
      out_ = &buf;
      exec_body(s.body);
      out_ = saved;
      bind_val(s.targets[0], Val::own(doc::Value(std::move(buf))));
      return;
    }
    case StmtKind::kInclude:
      exec_include(s);
      return;
    case StmtKind::kMacro: {
      Binding& b = bind(s.text);
      b.macro = &s;
      b.macro_frame = frames_.size() - 1;
      return;
    }
    case StmtKind::kWith:
      exec_with(s);
      return;
  }
}

void Renderer::exec_if(const Stmt& s) {
  for (const auto& br : s.branches) {
    if (!br.cond || truthy(eval(*br.cond))) {
      exec_body(br.body);
      return;
    }
  }
}

void Renderer::exec_with(const Stmt& s) {
  std::vector<Val> vals;
  vals.reserve(s.assigns.size());
  for (const auto& [name, e] : s.assigns)
    vals.push_back(eval(*e));
  push_frame();
  for (size_t i = 0; i < vals.size(); ++i)
    bind_val(s.assigns[i].first, std::move(vals[i]));
  exec_body(s.body);
  pop_frame();
}

void Renderer::exec_set(const Stmt& s) {
  Val v = eval(*s.expr);
  if (!s.attr.empty()) {
    size_t frame = 0;
    Binding* b = find_binding(s.targets[0], &frame);
    if (!b || !b->owned || !b->ns)
      fail(*s.expr, "cannot set attribute '" + s.attr + "' of '" + s.targets[0] +
                        "': it is not a namespace() object");
    value(v, *s.expr);
    doc::Value nv = v.take();
    if (value_depth(nv, kMaxValueDepth) > kMaxValueDepth)
      fail(*s.expr,
           "value is nested too deeply (more than " + std::to_string(kMaxValueDepth) + " levels)");
    b->owned->set(s.attr, std::move(nv));
    return;
  }
  if (s.targets.size() == 1) {
    bind_val(s.targets[0], std::move(v));
    return;
  }
  const doc::Value& list = value(v, *s.expr);
  if (!list.is_list() || list.size() != s.targets.size())
    fail(*s.expr, "cannot unpack a " + std::string(type_label(list)) +
                      (list.is_list() ? " of " + std::to_string(list.size()) + " items" : "") +
                      " into " + std::to_string(s.targets.size()) + " variables");
  for (size_t i = 0; i < s.targets.size(); ++i)
    bind_val(s.targets[i], Val::ref(list.as_list()[i], v.stable()));
}

void Renderer::exec_for(const Stmt& s) {
  const Expr& it = *s.expr;
  Val iterable;
  bool pairs = false;
  // `for k, v in m.items()` walks the map directly instead of building pairs.
  if (s.targets.size() == 2 && it.kind == ExprKind::kCall && it.args.size() == 1 &&
      it.kwargs.empty() && it.args[0]->kind == ExprKind::kAttr && it.args[0]->name == "items") {
    Val obj = eval(*it.args[0]->args[0]);
    if (obj.is_value() && obj.get().is_map()) {
      pairs = true;
      iterable = std::move(obj);
    } else {
      if (!obj.defined()) raise_undefined(obj);
      CallArgs none;
      iterable = call_method(*this, *it.args[0], obj, "items", none);
    }
  } else {
    iterable = eval(it);
  }
  const doc::Value& coll = value(iterable, it);
  // A borrowed value that is not part of the context is copied, so nothing
  // the loop body does can invalidate it.
  if (iterable.kind() == Val::Kind::kRef && !iterable.stable()) iterable = Val::own(coll);
  const doc::Value& c = iterable.get();
  const bool stable = iterable.stable();

  std::vector<const doc::Value*> items;
  std::vector<const doc::Value*> values;  // pairs: the map values
  std::vector<doc::Value> holders;        // keys / characters
  bool items_stable = stable;
  switch (c.type()) {
    case doc::Type::kList:
      items.reserve(c.as_list().size());
      for (const auto& e : c.as_list())
        items.push_back(&e);
      break;
    case doc::Type::kMap:
      holders.reserve(c.as_map().size());
      for (const auto& m : c.as_map()) {
        holders.emplace_back(m.key);
        if (pairs) values.push_back(&m.value);
      }
      for (const auto& h : holders)
        items.push_back(&h);
      items_stable = false;
      break;
    case doc::Type::kString: {
      const std::string& str = c.as_string();
      holders.reserve(utf8_length(str));
      for (size_t i = 0; i < str.size();) {
        size_t start = i;
        next_code_point(str, i);
        holders.emplace_back(str.substr(start, i - start));
      }
      for (const auto& h : holders)
        items.push_back(&h);
      items_stable = false;
      break;
    }
    default:
      fail(it, "cannot iterate over a " + std::string(type_label(c)) + " ('" + describe_expr(it) +
                   "')");
  }

  push_frame();
  const size_t base = bindings_.size();
  auto bind_targets = [&](size_t i) {
    bindings_.erase(bindings_.begin() + static_cast<ptrdiff_t>(base), bindings_.end());
    if (pairs) {
      bindings_.emplace_back();
      bindings_.back().name = s.targets[0];
      bindings_.back().ref = items[i];
      bindings_.emplace_back();
      bindings_.back().name = s.targets[1];
      bindings_.back().ref = values[i];
      bindings_.back().stable = stable;
      return;
    }
    if (s.targets.size() == 1) {
      bindings_.emplace_back();
      bindings_.back().name = s.targets[0];
      bindings_.back().ref = items[i];
      bindings_.back().stable = items_stable;
      return;
    }
    const doc::Value& item = *items[i];
    if (!item.is_list() || item.size() != s.targets.size())
      fail(it, "cannot unpack a " + std::string(type_label(item)) +
                   (item.is_list() ? " of " + std::to_string(item.size()) + " items" : "") +
                   " into " + std::to_string(s.targets.size()) + " loop variables");
    for (size_t j = 0; j < s.targets.size(); ++j) {
      bindings_.emplace_back();
      bindings_.back().name = s.targets[j];
      bindings_.back().ref = &item.as_list()[j];
      bindings_.back().stable = items_stable;
    }
  };

  if (s.filter) {
    std::vector<const doc::Value*> kept_items, kept_values;
    for (size_t i = 0; i < items.size(); ++i) {
      count_iterations(1, it);
      bind_targets(i);
      if (truthy(eval(*s.filter))) {
        kept_items.push_back(items[i]);
        if (pairs) kept_values.push_back(values[i]);
      }
    }
    items = std::move(kept_items);
    values = std::move(kept_values);
  }

  if (items.empty()) {
    pop_frame();
    exec_body(s.else_body);
    return;
  }

  LoopState ls;
  ls.length = items.size();
  ls.items = &items;
  for (size_t i = 0; i < items.size(); ++i) {
    count_iterations(1, it);
    bind_targets(i);
    bindings_.emplace_back();
    bindings_.back().name = "loop";
    bindings_.back().loop = &ls;
    ls.index0 = i;
    exec_body(s.body);
  }
  pop_frame();
}

// Resolves an include name against the including template's directory and
// the search path. Returns the canonical file path and a display name.
namespace {

struct Resolved {
  fs::path canonical;
  std::string display;
};

}  // namespace

void Renderer::exec_include(const Stmt& s) {
  Val v = eval(*s.expr);
  const doc::Value& nv = value(v, *s.expr);
  std::vector<std::string> names;
  if (nv.is_string()) {
    names.push_back(nv.as_string());
  } else if (nv.is_list()) {
    for (const auto& e : nv.as_list()) {
      if (!e.is_string()) fail(*s.expr, "include names must be strings");
      names.push_back(e.as_string());
    }
  } else {
    fail(*s.expr, "include name must be a string, found a " + std::string(type_label(nv)));
  }

  const Template& from = *tmpl_;
  const fs::path from_dir =
      from.paths_canonical || from.dir.empty() ? from.dir : canonical_or_normal(from.dir);
  std::optional<Resolved> found;
  bool escaped = false;
  for (const auto& name : names) {
    if (name.empty()) continue;
    fs::path rel(name);
    struct Candidate {
      fs::path path;
      std::vector<const fs::path*> roots;
      std::string display;
    };
    std::vector<Candidate> cands;
    if (!from_dir.empty()) {
      Candidate c;
      c.path = (from_dir / rel).lexically_normal();
      c.roots.push_back(&from_dir);
      for (const auto& r : core_.search_path)
        c.roots.push_back(&r);
      c.display = (fs::path(from.name).parent_path() / rel).lexically_normal().string();
      cands.push_back(std::move(c));
    }
    for (const auto& r : core_.search_path) {
      Candidate c;
      c.path = (r / rel).lexically_normal();
      c.roots.push_back(&r);
      c.display = c.path.string();
      cands.push_back(std::move(c));
    }
    for (const auto& c : cands) {
      const fs::path* root = nullptr;
      for (const auto* r : c.roots) {
        if (is_within(*r, c.path)) {
          root = r;
          break;
        }
      }
      if (!root) {
        escaped = true;
        continue;
      }
      std::error_code ec;
      if (!fs::is_regular_file(c.path, ec)) continue;
      fs::path canon = fs::weakly_canonical(c.path, ec);
      if (ec) continue;
      bool inside = false;
      for (const auto* r : c.roots)
        inside = inside || is_within(*r, canon);
      if (!inside) {  // a symlink that leads out of the roots
        escaped = true;
        continue;
      }
      found = Resolved{canon, c.display};
      break;
    }
    if (found) break;
  }
  std::string shown = names.size() == 1 ? names[0] : describe_expr(*s.expr);
  if (!found) {
    if (escaped)
      fail(*s.expr, "include path '" + shown +
                        "' leaves the template directories (\"../\" may not escape the "
                        "including template's directory or the search path)");
    if (s.ignore_missing) return;
    std::string where;
    if (!from_dir.empty()) where = from_dir.string();
    for (const auto& r : core_.search_path)
      where += (where.empty() ? "" : ", ") + r.string();
    fail(*s.expr,
         "included template '" + shown + "' not found" +
             (where.empty() ? std::string(" (no search path)") : " (searched " + where + ")"));
  }

  auto chain = [&](const std::string& last) {
    std::string c;
    for (const auto* t : include_stack_)
      c += t->name + " -> ";
    return c + last;
  };
  for (const auto* t : include_stack_) {
    if (t->key.empty()) continue;
    std::string key = t->paths_canonical ? t->key : canonical_or_normal(t->key).string();
    if (key == found->canonical.string()) fail(*s.expr, "include cycle: " + chain(found->display));
  }
  if (include_stack_.size() >= core_.limits.max_include_depth)
    fail(*s.expr, "includes are nested more than " +
                      std::to_string(core_.limits.max_include_depth) +
                      " deep: " + chain(found->display));

  std::string from_loc = Location{from.name, s.line, s.column}.str();
  std::shared_ptr<const Template> t;
  try {
    t = core_.load(found->canonical, found->display);
  } catch (Error& e) {
    e.add_context("included from " + from_loc);
    throw;
  }
  push_frame();
  include_stack_.push_back(t.get());
  tmpl_ = t.get();
  try {
    exec_body(t->body);
  } catch (Error& e) {
    e.add_context("included from " + from_loc);
    throw;
  }
  tmpl_ = &from;
  include_stack_.pop_back();
  pop_frame();
}

std::string Renderer::render_string(const Expr& at, std::string_view source) {
  // Rendering a string is like an include: bounded by the include depth.
  if (include_stack_.size() + render_depth_ >= core_.limits.max_include_depth)
    fail(at, "the render filter is nested more than " +
                 std::to_string(core_.limits.max_include_depth) + " deep");
  auto t = parse_template(source, tmpl_->name + " (render)", tmpl_->dir, std::string());
  t->paths_canonical = tmpl_->paths_canonical;
  std::string buf;
  std::string* saved_out = out_;
  const Template* saved_tmpl = tmpl_;
  out_ = &buf;
  tmpl_ = t.get();
  ++render_depth_;
  push_frame();
  exec_body(t->body);
  pop_frame();
  --render_depth_;
  tmpl_ = saved_tmpl;
  out_ = saved_out;
  return buf;
}

// ---------------------------------------------------------------- expressions

Val Renderer::eval(const Expr& e) {
  DepthGuard guard(*this, e.line, e.column);
  switch (e.kind) {
    case ExprKind::kLiteral:
      return Val::ref(e.literal, false);
    case ExprKind::kName:
      return lookup(e);
    case ExprKind::kAttr:
      return eval_attr(e);
    case ExprKind::kIndex:
      return eval_index(e);
    case ExprKind::kSlice:
      return eval_slice(e);
    case ExprKind::kList: {
      doc::List items;
      items.reserve(e.args.size());
      for (const auto& a : e.args) {
        Val v = eval(*a);
        value(v, *a);
        items.push_back(v.take());
      }
      return Val::own(doc::Value(std::move(items)));
    }
    case ExprKind::kDict: {
      doc::Value m = doc::Value::map();
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Val k = eval(*e.args[i]);
        std::string key = to_str(k, *e.args[i]);
        Val v = eval(*e.args[i + 1]);
        value(v, *e.args[i + 1]);
        m.set(key, v.take());
      }
      return Val::own(std::move(m));
    }
    case ExprKind::kNeg:
    case ExprKind::kPos: {
      Val v = eval(*e.args[0]);
      const doc::Value& x = value(v, *e.args[0]);
      if (!is_numeric(x))
        fail(e, std::string("bad operand type for unary ") +
                    (e.kind == ExprKind::kNeg ? "-" : "+") + ": '" + std::string(type_label(x)) +
                    "'");
      if (x.is_float()) return Val::own(e.kind == ExprKind::kNeg ? -x.as_float() : x.as_float());
      int64_t i = intlike(x);
      if (e.kind == ExprKind::kPos) return Val::own(i);
      if (i == std::numeric_limits<int64_t>::min()) fail(e, "integer overflow");
      return Val::own(-i);
    }
    case ExprKind::kNot:
      return Val::own(!truthy(eval(*e.args[0])));
    case ExprKind::kBinary:
      return eval_binary(e);
    case ExprKind::kAnd: {
      Val a = eval(*e.args[0]);
      if (!truthy(a)) return a;
      return eval(*e.args[1]);
    }
    case ExprKind::kOr: {
      Val a = eval(*e.args[0]);
      if (truthy(a)) return a;
      return eval(*e.args[1]);
    }
    case ExprKind::kCompare:
      return eval_compare(e);
    case ExprKind::kCond:
      if (truthy(eval(*e.args[0]))) return eval(*e.args[1]);
      if (e.args[2]) return eval(*e.args[2]);
      return Val::undefined(&e, tmpl_, UndefReason::kNoElse);
    case ExprKind::kFilter:
      return eval_filter(e);
    case ExprKind::kTest:
      return eval_test(e);
    case ExprKind::kCall:
      return eval_call(e);
  }
  fail(e, "internal error: unknown expression");
}

Val Renderer::eval_attr(const Expr& e) {
  return get_attr(eval(*e.args[0]), e.name, e);
}

Val Renderer::get_attr(const Val& base, std::string_view name, const Expr& at) {
  switch (base.kind()) {
    case Val::Kind::kUndefined:
      raise_undefined(base);
    case Val::Kind::kLoop: {
      const LoopState& l = *base.loop_state();
      if (name == "index") return Val::own(static_cast<int64_t>(l.index0 + 1));
      if (name == "index0") return Val::own(static_cast<int64_t>(l.index0));
      if (name == "revindex") return Val::own(static_cast<int64_t>(l.length - l.index0));
      if (name == "revindex0") return Val::own(static_cast<int64_t>(l.length - l.index0 - 1));
      if (name == "first") return Val::own(l.index0 == 0);
      if (name == "last") return Val::own(l.index0 + 1 == l.length);
      if (name == "length") return Val::own(static_cast<int64_t>(l.length));
      if (name == "depth") return Val::own(static_cast<int64_t>(1));
      if (name == "depth0") return Val::own(static_cast<int64_t>(0));
      if (name == "previtem") {
        if (l.index0 == 0) return Val::undefined(&at, tmpl_, UndefReason::kLoopEdge, {}, 0);
        return Val::own(*(*l.items)[l.index0 - 1]);
      }
      if (name == "nextitem") {
        if (l.index0 + 1 >= l.length)
          return Val::undefined(&at, tmpl_, UndefReason::kLoopEdge, {}, 1);
        return Val::own(*(*l.items)[l.index0 + 1]);
      }
      return Val::undefined(&at, tmpl_, UndefReason::kAttribute, doc::Type::kMap);
    }
    case Val::Kind::kMacro:
      if (name == "name") return Val::own(doc::Value(base.macro_stmt()->text));
      return Val::undefined(&at, tmpl_, UndefReason::kAttribute, doc::Type::kMap);
    default:
      break;
  }
  const doc::Value& v = base.get();
  if (!v.is_map()) return Val::undefined(&at, tmpl_, UndefReason::kAttribute, v.type());
  const doc::Value* f = v.find(name);
  if (!f) return Val::undefined(&at, tmpl_, UndefReason::kKey, doc::Type::kMap);
  if (base.kind() == Val::Kind::kOwned || base.ns()) return Val::own(*f);
  return Val::ref(*f, base.stable());
}

Val Renderer::eval_index(const Expr& e) {
  Val base = eval(*e.args[0]);
  if (!base.defined()) raise_undefined(base);
  Val key = eval(*e.args[1]);
  return get_item(base, key, e);
}

Val Renderer::get_item(const Val& base, const Val& key, const Expr& at) {
  if (!base.defined()) raise_undefined(base);
  const doc::Value& k = value(key, at);
  if (!base.is_value()) {
    if (k.is_string()) return get_attr(base, k.as_string(), at);
    fail(at, "the loop object / macro cannot be indexed");
  }
  const doc::Value& v = base.get();
  auto wrap = [&](const doc::Value& elem) {
    if (base.kind() == Val::Kind::kOwned || base.ns()) return Val::own(elem);
    return Val::ref(elem, base.stable());
  };
  switch (v.type()) {
    case doc::Type::kMap: {
      const doc::Value* f = nullptr;
      if (k.is_string()) {
        f = v.find(k.as_string());
      } else if (k.is_scalar() && !k.is_null()) {
        std::string ks;
        append_py_str(ks, k);  // YAML keys like 1 or true are strings in the model
        f = v.find(ks);
      }
      if (!f) return Val::undefined(&at, tmpl_, UndefReason::kKey, doc::Type::kMap);
      return wrap(*f);
    }
    case doc::Type::kList: {
      if (!is_intlike(k)) {
        if (k.is_string()) return Val::undefined(&at, tmpl_, UndefReason::kAttribute, v.type());
        fail(at, "list indices must be integers, not " + std::string(type_label(k)));
      }
      int64_t i = intlike(k);
      int64_t n = static_cast<int64_t>(v.as_list().size());
      if (i < 0) i += n;
      if (i < 0 || i >= n)
        return Val::undefined(&at, tmpl_, UndefReason::kIndex, doc::Type::kList, n);
      return wrap(v.as_list()[static_cast<size_t>(i)]);
    }
    case doc::Type::kString: {
      if (!is_intlike(k)) {
        if (k.is_string()) return Val::undefined(&at, tmpl_, UndefReason::kAttribute, v.type());
        fail(at, "string indices must be integers, not " + std::string(type_label(k)));
      }
      auto offs = utf8_offsets(v.as_string());
      int64_t n = static_cast<int64_t>(offs.size()) - 1;
      int64_t i = intlike(k);
      if (i < 0) i += n;
      if (i < 0 || i >= n)
        return Val::undefined(&at, tmpl_, UndefReason::kIndex, doc::Type::kString, n);
      auto b = offs[static_cast<size_t>(i)], end = offs[static_cast<size_t>(i) + 1];
      return Val::own(doc::Value(v.as_string().substr(b, end - b)));
    }
    default:
      return Val::undefined(&at, tmpl_, UndefReason::kAttribute, v.type());
  }
}

Val Renderer::eval_slice(const Expr& e) {
  Val base = eval(*e.args[0]);
  const doc::Value& v = value(base, *e.args[0]);
  auto part = [&](size_t i, std::optional<int64_t>* out) {
    if (!e.args[i]) return;
    Val p = eval(*e.args[i]);
    const doc::Value& x = value(p, *e.args[i]);
    if (x.is_null()) return;
    if (!is_intlike(x)) fail(*e.args[i], "slice indices must be integers or none");
    *out = intlike(x);
  };
  std::optional<int64_t> start, stop, step_opt;
  part(1, &start);
  part(2, &stop);
  part(3, &step_opt);
  int64_t step = step_opt.value_or(1);
  if (step == 0) fail(e, "slice step cannot be zero");

  std::vector<size_t> offs;
  int64_t len;
  if (v.is_list()) {
    len = static_cast<int64_t>(v.as_list().size());
  } else if (v.is_string()) {
    offs = utf8_offsets(v.as_string());
    len = static_cast<int64_t>(offs.size()) - 1;
  } else {
    fail(e, "cannot slice a " + std::string(type_label(v)));
  }
  const int64_t lower = step < 0 ? -1 : 0;
  const int64_t upper = step < 0 ? len - 1 : len;
  auto adjust = [&](std::optional<int64_t> x, int64_t dflt) {
    if (!x) return dflt;
    int64_t i = *x;
    if (i < 0) {
      i = i < std::numeric_limits<int64_t>::min() + len ? lower : i + len;
      if (i < lower) i = lower;
    } else if (i > upper) {
      i = upper;
    }
    return i;
  };
  int64_t b = adjust(start, step < 0 ? upper : lower);
  int64_t en = adjust(stop, step < 0 ? lower : upper);
  std::vector<int64_t> idx;
  for (int64_t i = b; step > 0 ? i < en : i > en;) {
    idx.push_back(i);
    if ((step > 0 && i > std::numeric_limits<int64_t>::max() - step) ||
        (step < 0 && i < std::numeric_limits<int64_t>::min() - step))
      break;
    i += step;
  }
  if (v.is_list()) {
    doc::List out;
    out.reserve(idx.size());
    for (int64_t i : idx)
      out.push_back(v.as_list()[static_cast<size_t>(i)]);
    return Val::own(doc::Value(std::move(out)));
  }
  std::string out;
  const std::string& s = v.as_string();
  for (int64_t i : idx) {
    auto u = static_cast<size_t>(i);
    out.append(s, offs[u], offs[u + 1] - offs[u]);
  }
  return Val::own(doc::Value(std::move(out)));
}

namespace {

[[noreturn]] void operand_error(Renderer& r, const Expr& e, Op op, const doc::Value& a,
                                const doc::Value& b) {
  r.fail(e, "unsupported operand types for " + std::string(op_name(op)) + ": '" +
                std::string(type_label(a)) + "' and '" + std::string(type_label(b)) + "'");
}

void check_overflow(Renderer& r, const Expr& e, bool overflow) {
  if (overflow) r.fail(e, "integer overflow (integers are 64-bit)");
}

}  // namespace

Val Renderer::eval_binary(const Expr& e) {
  Val av = eval(*e.args[0]);
  Val bv = eval(*e.args[1]);
  if (e.op == Op::kTilde) {
    std::string s = to_str(av, *e.args[0]);
    check_string_size(s.size() + (bv.is_value() && bv.get().is_string() ? bv.get().size() : 0), e);
    append_str(s, bv, *e.args[1]);
    check_string_size(s.size(), e);
    return Val::own(doc::Value(std::move(s)));
  }
  const doc::Value& a = value(av, *e.args[0]);
  const doc::Value& b = value(bv, *e.args[1]);
  const Op op = e.op;
  if (is_numeric(a) && is_numeric(b)) {
    const bool ints = is_intlike(a) && is_intlike(b);
    if (ints) {
      int64_t x = intlike(a), y = intlike(b), r = 0;
      switch (op) {
        case Op::kAdd:
          check_overflow(*this, e, __builtin_add_overflow(x, y, &r));
          return Val::own(r);
        case Op::kSub:
          check_overflow(*this, e, __builtin_sub_overflow(x, y, &r));
          return Val::own(r);
        case Op::kMul:
          check_overflow(*this, e, __builtin_mul_overflow(x, y, &r));
          return Val::own(r);
        case Op::kDiv:
          if (y == 0) fail(e, "division by zero");
          return Val::own(static_cast<double>(x) / static_cast<double>(y));
        case Op::kFloorDiv:
        case Op::kMod: {
          if (y == 0) fail(e, op == Op::kMod ? "modulo by zero" : "division by zero");
          if (x == std::numeric_limits<int64_t>::min() && y == -1) {
            if (op == Op::kMod) return Val::own(static_cast<int64_t>(0));
            fail(e, "integer overflow (integers are 64-bit)");
          }
          int64_t q = x / y, m = x % y;
          if (m != 0 && ((m < 0) != (y < 0))) {
            --q;
            m += y;
          }
          return Val::own(op == Op::kMod ? m : q);
        }
        case Op::kPow: {
          if (y < 0) {
            if (x == 0) fail(e, "zero cannot be raised to a negative power");
            return Val::own(std::pow(static_cast<double>(x), static_cast<double>(y)));
          }
          int64_t result = 1, base = x;
          int64_t exp = y;
          while (exp > 0) {
            if (exp & 1) check_overflow(*this, e, __builtin_mul_overflow(result, base, &result));
            exp >>= 1;
            if (exp > 0) check_overflow(*this, e, __builtin_mul_overflow(base, base, &base));
          }
          return Val::own(result);
        }
        default:
          break;
      }
    } else {
      double x = numeric(a), y = numeric(b);
      switch (op) {
        case Op::kAdd:
          return Val::own(x + y);
        case Op::kSub:
          return Val::own(x - y);
        case Op::kMul:
          return Val::own(x * y);
        case Op::kDiv:
          if (y == 0) fail(e, "division by zero");
          return Val::own(x / y);
        case Op::kFloorDiv:
        case Op::kMod: {
          if (y == 0) fail(e, op == Op::kMod ? "modulo by zero" : "division by zero");
          // Python's float_divmod.
          double mod = std::fmod(x, y);
          double div = (x - mod) / y;
          if (mod != 0) {
            if ((y < 0) != (mod < 0)) {
              mod += y;
              div -= 1.0;
            }
          } else {
            mod = std::copysign(0.0, y);
          }
          double floordiv;
          if (div != 0) {
            floordiv = std::floor(div);
            if (div - floordiv > 0.5) floordiv += 1.0;
          } else {
            floordiv = std::copysign(0.0, x / y);
          }
          return Val::own(op == Op::kMod ? mod : floordiv);
        }
        case Op::kPow:
          if (x == 0 && y < 0) fail(e, "zero cannot be raised to a negative power");
          return Val::own(std::pow(x, y));
        default:
          break;
      }
    }
    operand_error(*this, e, op, a, b);
  }
  if (op == Op::kAdd) {
    if (a.is_string() && b.is_string()) {
      check_string_size(a.as_string().size() + b.as_string().size(), e);
      std::string s;
      s.reserve(a.as_string().size() + b.as_string().size());
      s += a.as_string();
      s += b.as_string();
      return Val::own(doc::Value(std::move(s)));
    }
    if (a.is_list() && b.is_list()) {
      check_list_size(a.as_list().size() + b.as_list().size(), e);
      count_iterations(a.as_list().size() + b.as_list().size(), e);
      doc::List l;
      l.reserve(a.as_list().size() + b.as_list().size());
      if (av.kind() == Val::Kind::kOwned) {
        l = std::move(av.take().as_list());
      } else {
        l = a.as_list();
      }
      for (const auto& x : b.as_list())
        l.push_back(x);
      return Val::own(doc::Value(std::move(l)));
    }
  }
  if (op == Op::kMul) {
    const doc::Value* seq = nullptr;
    const doc::Value* count = nullptr;
    if ((a.is_string() || a.is_list()) && is_intlike(b)) {
      seq = &a;
      count = &b;
    } else if ((b.is_string() || b.is_list()) && is_intlike(a)) {
      seq = &b;
      count = &a;
    }
    if (seq) {
      int64_t n = std::max<int64_t>(0, intlike(*count));
      if (seq->is_string()) {
        const std::string& s = seq->as_string();
        if (!s.empty() && static_cast<uint64_t>(n) > core_.limits.max_output_bytes / s.size())
          check_string_size(core_.limits.max_output_bytes + 1, e);
        count_iterations(s.size() * static_cast<size_t>(n) / 1024, e);
        std::string out;
        out.reserve(s.size() * static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i)
          out += s;
        return Val::own(doc::Value(std::move(out)));
      }
      const auto& l = seq->as_list();
      if (!l.empty() && static_cast<uint64_t>(n) > core_.limits.max_loop_iterations / l.size())
        check_list_size(core_.limits.max_loop_iterations + 1, e);
      count_iterations(l.size() * static_cast<size_t>(n), e);
      doc::List out;
      out.reserve(l.size() * static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        for (const auto& x : l)
          out.push_back(x);
      return Val::own(doc::Value(std::move(out)));
    }
  }
  if (op == Op::kMod && a.is_string())
    fail(e, "'%' string formatting is not supported; use the format filter or '~'");
  operand_error(*this, e, op, a, b);
}

namespace {

bool contains(Renderer& r, const Expr& at, const doc::Value& container, const doc::Value& item) {
  switch (container.type()) {
    case doc::Type::kString:
      if (!item.is_string())
        r.fail(at, "'in <string>' requires a string as left operand, not " +
                       std::string(type_label(item)));
      return container.as_string().find(item.as_string()) != std::string::npos;
    case doc::Type::kList:
      for (const auto& e : container.as_list())
        if (py_equal(e, item)) return true;
      return false;
    case doc::Type::kMap:
      if (item.is_string()) return container.find(item.as_string()) != nullptr;
      return false;
    default:
      r.fail(at, "argument of type '" + std::string(type_label(container)) +
                     "' is not iterable (right of 'in')");
  }
}

}  // namespace

Val Renderer::eval_compare(const Expr& e) {
  Val left = eval(*e.args[0]);
  for (size_t i = 0; i < e.cmps.size(); ++i) {
    Val right = eval(*e.args[i + 1]);
    const doc::Value& a = value(left, *e.args[i]);
    const doc::Value& b = value(right, *e.args[i + 1]);
    bool result = false;
    switch (e.cmps[i]) {
      case Cmp::kEq:
        result = py_equal(a, b);
        break;
      case Cmp::kNe:
        result = !py_equal(a, b);
        break;
      case Cmp::kIn:
        result = contains(*this, e, b, a);
        break;
      case Cmp::kNotIn:
        result = !contains(*this, e, b, a);
        break;
      default: {
        bool ok = true;
        int c = py_compare(a, b, &ok);
        if (!ok)
          fail(e, "'" + std::string(cmp_text(e.cmps[i])) + "' is not supported between '" +
                      std::string(type_label(a)) + "' and '" + std::string(type_label(b)) + "'");
        if (c == 2) {
          result = false;
        } else if (e.cmps[i] == Cmp::kLt) {
          result = c < 0;
        } else if (e.cmps[i] == Cmp::kLe) {
          result = c <= 0;
        } else if (e.cmps[i] == Cmp::kGt) {
          result = c > 0;
        } else {
          result = c >= 0;
        }
      }
    }
    if (!result) return Val::own(false);
    left = std::move(right);
  }
  return Val::own(true);
}

void Renderer::eval_args(const Expr& e, size_t first, CallArgs& args) {
  args.pos.reserve(e.args.size() - first);
  for (size_t i = first; i < e.args.size(); ++i)
    args.pos.push_back(eval(*e.args[i]));
  for (const auto& [k, v] : e.kwargs)
    args.kw.emplace_back(k, eval(*v));
}

Val Renderer::eval_filter(const Expr& e) {
  Val input = eval(*e.args[0]);
  if (!input.defined() && !e.filter->accepts_undefined) raise_undefined(input);
  CallArgs args;
  eval_args(e, 1, args);
  return e.filter->fn(*this, e, input, args);
}

Val Renderer::eval_test(const Expr& e) {
  Val input = eval(*e.args[0]);
  if (!input.defined() && !e.test->accepts_undefined) raise_undefined(input);
  CallArgs args;
  eval_args(e, 1, args);
  bool r = e.test->fn(*this, e, input, args);
  return Val::own(r != e.negated);
}

Val Renderer::call_filter(const Expr& at, std::string_view name, Val input, CallArgs& args) {
  const FilterDef* f = find_filter(name);
  if (!f) fail(at, "unknown filter '" + std::string(name) + "'");
  if (!input.defined() && !f->accepts_undefined) raise_undefined(input);
  return f->fn(*this, at, input, args);
}

bool Renderer::call_test(const Expr& at, std::string_view name, const Val& v, CallArgs& args) {
  const TestDef* t = find_test(name);
  if (!t) fail(at, "unknown test '" + std::string(name) + "'");
  if (!v.defined() && !t->accepts_undefined) raise_undefined(v);
  return t->fn(*this, at, v, args);
}

Val Renderer::eval_call(const Expr& e) {
  const Expr& callee = *e.args[0];
  CallArgs args;
  if (callee.kind == ExprKind::kAttr) {
    Val obj = eval(*callee.args[0]);
    if (!obj.defined()) raise_undefined(obj);
    eval_args(e, 1, args);
    return call_method(*this, callee, obj, callee.name, args);
  }
  if (callee.kind == ExprKind::kName) {
    size_t frame = 0;
    if (const Binding* b = find_binding(callee.name, &frame)) {
      Val v = binding_val(*b, frame);
      if (v.kind() != Val::Kind::kMacro) fail(callee, "'" + callee.name + "' is not callable");
      eval_args(e, 1, args);
      return call_macro(v, args, e);
    }
    if (context_.find(callee.name)) fail(callee, "'" + callee.name + "' is not callable");
    GlobalFn g = find_global(callee.name);
    if (!g) fail(callee, "undefined function '" + callee.name + "'");
    eval_args(e, 1, args);
    return g(*this, e, args);
  }
  Val v = eval(callee);
  if (v.kind() != Val::Kind::kMacro) fail(e, "'" + describe_expr(callee) + "' is not callable");
  eval_args(e, 1, args);
  return call_macro(v, args, e);
}

Val Renderer::call_macro(const Val& m, CallArgs& args, const Expr& at) {
  const Stmt& s = *m.macro_stmt();
  if (args.pos.size() > s.params.size())
    fail(at, "macro '" + s.text + "' takes at most " + std::to_string(s.params.size()) +
                 " argument(s), " + std::to_string(args.pos.size()) + " given");
  for (const auto& kv : args.kw) {
    const std::string_view k = kv.first;
    auto it = std::find_if(s.params.begin(), s.params.end(),
                           [&](const MacroParam& p) { return p.name == k; });
    if (it == s.params.end())
      fail(at, "macro '" + s.text + "' has no parameter '" + std::string(k) + "'");
    if (static_cast<size_t>(it - s.params.begin()) < args.pos.size())
      fail(at, "macro '" + s.text + "' got multiple values for argument '" + std::string(k) + "'");
  }
  if (macro_depth_ >= kMaxMacroDepth)
    fail(at, "macro calls are nested more than " + std::to_string(kMaxMacroDepth) + " deep");
  ++macro_depth_;
  std::string buf;
  std::string* saved_out = out_;
  const Template* saved_tmpl = tmpl_;
  push_frame(m.macro_frame());
  tmpl_ = s.owner ? s.owner : tmpl_;
  for (size_t i = 0; i < s.params.size(); ++i) {
    const MacroParam& p = s.params[i];
    if (i < args.pos.size()) {
      bind_val(p.name, std::move(args.pos[i]));
      continue;
    }
    auto it = std::find_if(args.kw.begin(), args.kw.end(),
                           [&](const auto& kv) { return kv.first == p.name; });
    if (it != args.kw.end()) {
      bind_val(p.name, std::move(it->second));
    } else if (p.default_value) {
      bind_val(p.name, eval(*p.default_value));
    } else {
      bind(p.name).undefined = std::make_unique<Val>();
    }
  }
  out_ = &buf;
  exec_body(s.body);
  out_ = saved_out;
  tmpl_ = saved_tmpl;
  pop_frame();
  --macro_depth_;
  return Val::own(doc::Value(std::move(buf)));
}

}  // namespace gantry::tmpl
