// Helpers shared by the filter, test and method implementations (private).
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "template/runtime.h"

namespace gantry::tmpl {

// Binds call arguments to named parameters like Python: positional first,
// then keywords; too many, unknown or repeated arguments are errors.
class Params {
 public:
  static constexpr size_t kMax = 8;

  Params(Renderer& r, const Expr& at, CallArgs& args, std::string what,
         std::initializer_list<std::string_view> names)
      : r_(r), at_(at), what_(std::move(what)) {
    size_t n = names.size();
    if (args.pos.size() > n)
      r.fail(at, what_ + " takes at most " + std::to_string(n) + " argument(s), " +
                     std::to_string(args.pos.size()) + " given");
    for (size_t i = 0; i < args.pos.size(); ++i)
      slots_[i] = &args.pos[i];
    for (auto& [k, v] : args.kw) {
      size_t i = 0;
      for (auto name : names) {
        if (name == k) break;
        ++i;
      }
      if (i == n) r.fail(at, what_ + " has no parameter '" + std::string(k) + "'");
      if (slots_[i]) r.fail(at, what_ + " got more than one value for '" + std::string(k) + "'");
      slots_[i] = &v;
    }
    size_t i = 0;
    for (auto name : names)
      names_[i++] = name;
  }

  // The argument for parameter i, or nullptr when not given.
  Val* operator[](size_t i) const { return slots_[i]; }
  bool has(size_t i) const { return slots_[i] != nullptr; }

  const doc::Value& value(size_t i) const { return r_.value(*slots_[i], at_); }

  int64_t integer(size_t i, int64_t fallback) const {
    if (!slots_[i]) return fallback;
    const doc::Value& v = value(i);
    if (v.is_bool()) return v.as_bool() ? 1 : 0;
    if (v.is_int()) return v.as_int();
    if (v.is_null()) return fallback;
    r_.fail(at_, what_ + ": argument '" + std::string(names_[i]) + "' must be an integer, not " +
                     std::string(type_label(v)));
  }
  bool boolean(size_t i, bool fallback) const {
    if (!slots_[i]) return fallback;
    return r_.truthy(*slots_[i]);
  }
  std::string string(size_t i, std::string_view fallback) const {
    if (!slots_[i]) return std::string(fallback);
    return r_.to_str(*slots_[i], at_);
  }
  // A string argument that may be given as none (then `fallback`).
  bool optional_string(size_t i, std::string* out) const {
    if (!slots_[i]) return false;
    const doc::Value& v = value(i);
    if (v.is_null()) return false;
    *out = r_.to_str(*slots_[i], at_);
    return true;
  }

 private:
  Renderer& r_;
  const Expr& at_;
  std::string what_;  // "filter 'indent'", for messages
  std::array<Val*, kMax> slots_{};
  std::array<std::string_view, kMax> names_{};
};

// Jinja's attribute getter: "a.b.0" walks maps by key and lists by index.
// nullptr when a step is missing.
const doc::Value* attr_path(const doc::Value& v, std::string_view path);

}  // namespace gantry::tmpl
