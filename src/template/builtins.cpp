// Tests (`x is defined`), methods (`s.startswith('a')`, `m.items()`) and
// global functions (range, dict, namespace, and kluctl's raise, get_var,
// merge_dict).
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "template/builtin_util.h"
#include "template/text.h"

namespace gantry::tmpl {

namespace {

using R = Renderer;

bool is_data(const Val& v, doc::Type t) {
  return v.is_value() && v.get().type() == t;
}

void no_args(R& r, const Expr& at, CallArgs& args, std::string_view what) {
  Params p(r, at, args, std::string(what), {});
  (void)p;
}

std::string tname(std::string_view n) {
  return "test '" + std::string(n) + "'";
}

// ------------------------------------------------------------------ tests

bool t_defined(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("defined"));
  return v.defined();
}
bool t_undefined(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("undefined"));
  return !v.defined();
}
bool t_none(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("none"));
  return is_data(v, doc::Type::kNull);
}
bool t_boolean(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("boolean"));
  return is_data(v, doc::Type::kBool);
}
bool t_true(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("true"));
  return is_data(v, doc::Type::kBool) && v.get().as_bool();
}
bool t_false(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("false"));
  return is_data(v, doc::Type::kBool) && !v.get().as_bool();
}
bool t_integer(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("integer"));
  return is_data(v, doc::Type::kInt);
}
bool t_float(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("float"));
  return is_data(v, doc::Type::kFloat);
}
bool t_number(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("number"));
  return v.is_value() && is_numeric(v.get());
}
bool t_string(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("string"));
  return is_data(v, doc::Type::kString);
}
bool t_mapping(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("mapping"));
  return is_data(v, doc::Type::kMap);
}
bool t_sequence(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname(at.name));
  return is_data(v, doc::Type::kList) || is_data(v, doc::Type::kMap) ||
         is_data(v, doc::Type::kString);
}
bool t_callable(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("callable"));
  return v.kind() == Val::Kind::kMacro;
}

bool t_lower(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("lower"));
  std::string s = r.to_str(v, at);
  bool cased = false;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return false;
    if (c >= 'a' && c <= 'z') cased = true;
  }
  return cased;
}
bool t_upper(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("upper"));
  std::string s = r.to_str(v, at);
  bool cased = false;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') cased = true;
  }
  return cased;
}

double num(R& r, const Expr& at, const doc::Value& v) {
  if (!is_numeric(v))
    r.fail(at, "test '" + at.name + "' expects a number, not a " + std::string(type_label(v)));
  return v.is_float() ? v.as_float() : static_cast<double>(intlike(v));
}

bool divisible(R& r, const Expr& at, const doc::Value& v, int64_t n) {
  if (is_intlike(v)) {
    int64_t x = intlike(v);
    if (n == -1) return true;
    return x % n == 0;
  }
  double m = std::fmod(num(r, at, v), static_cast<double>(n));
  return m == 0;
}

bool t_odd(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("odd"));
  return !divisible(r, at, r.value(v, at), 2);
}
bool t_even(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("even"));
  return divisible(r, at, r.value(v, at), 2);
}
bool t_divisibleby(R& r, const Expr& at, const Val& v, CallArgs& a) {
  Params p(r, at, a, tname("divisibleby"), {"num"});
  if (!p.has(0)) r.fail(at, "test 'divisibleby' needs a number");
  const doc::Value& n = p.value(0);
  if (is_intlike(n)) {
    if (intlike(n) == 0) r.fail(at, "test 'divisibleby': division by zero");
    return divisible(r, at, r.value(v, at), intlike(n));
  }
  double d = num(r, at, n);
  if (d == 0) r.fail(at, "test 'divisibleby': division by zero");
  return std::fmod(num(r, at, r.value(v, at)), d) == 0;
}

const doc::Value& other(R& r, const Expr& at, CallArgs& a, std::string_view name) {
  Params p(r, at, a, tname(name), {"other"});
  if (!p.has(0)) r.fail(at, "test '" + std::string(name) + "' needs a value to compare with");
  return p.value(0);
}

bool compare(R& r, const Expr& at, const Val& v, CallArgs& a, int want_lo, int want_hi) {
  const doc::Value& x = r.value(v, at);
  const doc::Value& y = other(r, at, a, at.name);
  bool ok = true;
  int c = py_compare(x, y, &ok);
  if (!ok)
    r.fail(at, "test '" + at.name + "': cannot compare a " + std::string(type_label(x)) +
                   " with a " + std::string(type_label(y)));
  return c != 2 && c >= want_lo && c <= want_hi;
}

bool t_eq(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return py_equal(r.value(v, at), other(r, at, a, at.name));
}
bool t_ne(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return !py_equal(r.value(v, at), other(r, at, a, at.name));
}
bool t_lt(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return compare(r, at, v, a, -1, -1);
}
bool t_le(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return compare(r, at, v, a, -1, 0);
}
bool t_gt(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return compare(r, at, v, a, 1, 1);
}
bool t_ge(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return compare(r, at, v, a, 0, 1);
}

bool t_sameas(R& r, const Expr& at, const Val& v, CallArgs& a) {
  const doc::Value& x = r.value(v, at);
  const doc::Value& y = other(r, at, a, "sameas");
  if (x.is_list() || x.is_map()) return &x == &y;
  return x.type() == y.type() && py_equal(x, y);
}

bool t_in(R& r, const Expr& at, const Val& v, CallArgs& a) {
  const doc::Value& x = r.value(v, at);
  const doc::Value& seq = other(r, at, a, "in");
  switch (seq.type()) {
    case doc::Type::kString:
      return x.is_string() && seq.as_string().find(x.as_string()) != std::string::npos;
    case doc::Type::kList:
      return std::any_of(seq.as_list().begin(), seq.as_list().end(),
                         [&](const doc::Value& e) { return py_equal(e, x); });
    case doc::Type::kMap:
      return x.is_string() && seq.find(x.as_string()) != nullptr;
    default:
      r.fail(at, "test 'in' expects a list, map or string, not a " + std::string(type_label(seq)));
  }
}

bool regex_test(R& r, const Expr& at, const Val& v, CallArgs& a, bool anchored) {
  Params p(r, at, a, tname(at.name), {"pattern", "ignorecase", "multiline"});
  std::string s = r.to_str(v, at);
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_case_sensitive(!p.boolean(1, false));
  std::string pattern = p.string(0, "");
  RE2 re(p.boolean(2, false) ? "(?m)" + pattern : pattern, opts);
  if (!re.ok())
    r.fail(at,
           "test '" + at.name + "': invalid regular expression '" + pattern + "': " + re.error());
  return re.Match(s, 0, s.size(), anchored ? RE2::ANCHOR_START : RE2::UNANCHORED, nullptr, 0);
}
bool t_match(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return regex_test(r, at, v, a, true);
}
bool t_search(R& r, const Expr& at, const Val& v, CallArgs& a) {
  return regex_test(r, at, v, a, false);
}

bool t_filter(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("filter"));
  return find_filter(r.to_str(v, at)) != nullptr;
}
bool t_test(R& r, const Expr& at, const Val& v, CallArgs& a) {
  no_args(r, at, a, tname("test"));
  return find_test(r.to_str(v, at)) != nullptr;
}

constexpr TestDef kTests[] = {
    {"boolean", t_boolean, true},
    {"callable", t_callable, true},
    {"defined", t_defined, true},
    {"divisibleby", t_divisibleby, false},
    {"eq", t_eq, false},
    {"equalto", t_eq, false},
    {"even", t_even, false},
    {"false", t_false, true},
    {"filter", t_filter, false},
    {"float", t_float, true},
    {"ge", t_ge, false},
    {"greaterthan", t_gt, false},
    {"gt", t_gt, false},
    {"in", t_in, false},
    {"integer", t_integer, true},
    {"iterable", t_sequence, true},
    {"le", t_le, false},
    {"lessthan", t_lt, false},
    {"lower", t_lower, false},
    {"lt", t_lt, false},
    {"mapping", t_mapping, true},
    {"match", t_match, false},
    {"ne", t_ne, false},
    {"none", t_none, true},
    {"number", t_number, true},
    {"odd", t_odd, false},
    {"sameas", t_sameas, false},
    {"search", t_search, false},
    {"sequence", t_sequence, true},
    {"string", t_string, true},
    {"test", t_test, false},
    {"true", t_true, true},
    {"undefined", t_undefined, true},
    {"upper", t_upper, false},
};

// ------------------------------------------------------------------ methods

Val str_val(std::string s) {
  return Val::own(doc::Value(std::move(s)));
}

std::string mname(std::string_view type, std::string_view n) {
  return std::string(type) + "." + std::string(n) + "()";
}

doc::Value string_list(std::vector<std::string> parts) {
  doc::List l;
  l.reserve(parts.size());
  for (auto& p : parts)
    l.emplace_back(std::move(p));
  return doc::Value(std::move(l));
}

// Python's str.title(): a letter is upper-cased after a non-letter.
std::string py_title(std::string_view s) {
  std::string out(s);
  bool prev_cased = false;
  for (char& c : out) {
    bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
    if (lower && !prev_cased) c = static_cast<char>(c - 32);
    if (upper && prev_cased) c = static_cast<char>(c + 32);
    prev_cased = lower || upper;
  }
  return out;
}

// Python's str.format with "{}", "{0}", "{name}", "{!r}" and "{{"/"}}";
// format specs are not supported.
std::string py_format(R& r, const Expr& at, std::string_view fmt, CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      r.fail(at, "str.format(): single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string_view::npos) r.fail(at, "str.format(): unmatched '{'");
    std::string_view field = fmt.substr(i + 1, close - i - 1);
    i = close;
    bool repr = false;
    if (field.size() >= 2 && field[field.size() - 2] == '!') {
      repr = field.back() == 'r';
      field.remove_suffix(2);
    }
    if (field.find(':') != std::string_view::npos || field.find('.') != std::string_view::npos ||
        field.find('[') != std::string_view::npos)
      r.fail(at, "str.format(): format specs and attribute access are not supported");
    const Val* arg = nullptr;
    if (field.empty()) {
      if (auto_index >= args.pos.size()) r.fail(at, "str.format(): not enough arguments");
      arg = &args.pos[auto_index++];
    } else if (std::all_of(field.begin(), field.end(),
                           [](char d) { return d >= '0' && d <= '9'; })) {
      size_t idx = static_cast<size_t>(std::atoi(std::string(field).c_str()));
      if (idx >= args.pos.size()) r.fail(at, "str.format(): argument index out of range");
      arg = &args.pos[idx];
    } else {
      for (const auto& [k, v] : args.kw)
        if (k == field) arg = &v;
      if (!arg) r.fail(at, "str.format(): no argument named '" + std::string(field) + "'");
    }
    if (repr) {
      append_py_repr(out, r.value(*arg, at));
    } else {
      r.append_str(out, *arg, at);
    }
    r.check_string_size(out.size(), at);
  }
  return out;
}

bool prefix_match(R& r, const Expr& at, const std::string& s, const doc::Value& what, bool start) {
  auto one = [&](const doc::Value& p) {
    if (!p.is_string())
      r.fail(at, std::string(start ? "startswith" : "endswith") +
                     "() expects a string or a list of strings");
    const std::string& x = p.as_string();
    if (x.size() > s.size()) return false;
    return start ? s.compare(0, x.size(), x) == 0
                 : s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (what.is_list()) {
    for (const auto& p : what.as_list())
      if (one(p)) return true;
    return false;
  }
  return one(what);
}

Val string_method(R& r, const Expr& at, const std::string& s, std::string_view name,
                  CallArgs& args) {
  std::string what = mname("str", name);
  if (name == "lower" || name == "upper" || name == "title" || name == "capitalize" ||
      name == "isdigit" || name == "isalpha" || name == "isalnum" || name == "isspace" ||
      name == "islower" || name == "isupper" || name == "splitlines") {
    no_args(r, at, args, what);
    if (name == "lower") return str_val(ascii_lower(s));
    if (name == "upper") return str_val(ascii_upper(s));
    if (name == "title") return str_val(py_title(s));
    if (name == "capitalize") return str_val(py_capitalize(s));
    if (name == "splitlines") {
      std::vector<std::string> lines;
      size_t start = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
          lines.push_back(s.substr(start, i - start));
          if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
          start = i + 1;
        }
      }
      if (start < s.size()) lines.push_back(s.substr(start));
      return Val::own(string_list(std::move(lines)));
    }
    auto all = [&](auto pred) {
      return !s.empty() && std::all_of(s.begin(), s.end(),
                                       [&](char c) { return pred(static_cast<unsigned char>(c)); });
    };
    if (name == "isdigit")
      return Val::own(all([](unsigned char c) { return c >= '0' && c <= '9'; }));
    if (name == "isalpha")
      return Val::own(all([](unsigned char c) { return std::isalpha(c) != 0; }));
    if (name == "isalnum")
      return Val::own(all([](unsigned char c) { return std::isalnum(c) != 0; }));
    if (name == "isspace")
      return Val::own(all([](unsigned char c) { return is_py_space(static_cast<char>(c)); }));
    bool cased = false, lower_ok = true, upper_ok = true;
    for (char c : s) {
      if (c >= 'a' && c <= 'z') {
        cased = true;
        upper_ok = false;
      } else if (c >= 'A' && c <= 'Z') {
        cased = true;
        lower_ok = false;
      }
    }
    return Val::own(cased && (name == "islower" ? lower_ok : upper_ok));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    Params p(r, at, args, what, {"chars"});
    std::string chars;
    bool has = p.optional_string(0, &chars);
    return str_val(
        std::string(py_strip(s, has ? &chars : nullptr, name != "rstrip", name != "lstrip")));
  }
  if (name == "split" || name == "rsplit") {
    Params p(r, at, args, what, {"sep", "maxsplit"});
    std::string sep;
    bool has = p.optional_string(0, &sep);
    if (has && sep.empty()) r.fail(at, what + ": empty separator");
    int64_t maxsplit = p.integer(1, -1);
    auto parts = name == "split" ? py_split(s, has ? &sep : nullptr, maxsplit)
                                 : py_rsplit(s, has ? &sep : nullptr, maxsplit);
    r.check_list_size(parts.size(), at);
    return Val::own(string_list(std::move(parts)));
  }
  if (name == "startswith" || name == "endswith") {
    Params p(r, at, args, what, {"prefix"});
    if (!p.has(0)) r.fail(at, what + " needs an argument");
    return Val::own(prefix_match(r, at, s, p.value(0), name == "startswith"));
  }
  if (name == "replace") {
    Params p(r, at, args, what, {"old", "new", "count"});
    if (!p.has(0) || !p.has(1)) r.fail(at, what + " needs the old and new strings");
    std::string from = p.string(0, ""), to = p.string(1, "");
    size_t worst = from.empty() ? s.size() + 1 : s.size() / from.size();
    if (to.size() > from.size() && worst > 0)
      r.check_string_size(s.size() + worst * (to.size() - from.size()), at);
    return str_val(py_replace(s, from, to, p.integer(2, -1)));
  }
  if (name == "find" || name == "rfind" || name == "count" || name == "index") {
    Params p(r, at, args, what, {"sub"});
    std::string sub = p.string(0, "");
    if (name == "count") {
      if (sub.empty()) return Val::own(static_cast<int64_t>(utf8_length(s) + 1));
      int64_t n = 0;
      for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size()))
        ++n;
      return Val::own(n);
    }
    size_t pos = name == "rfind" ? s.rfind(sub) : s.find(sub);
    if (pos == std::string::npos) {
      if (name == "index") r.fail(at, what + ": substring not found");
      return Val::own(static_cast<int64_t>(-1));
    }
    return Val::own(static_cast<int64_t>(utf8_length(std::string_view(s).substr(0, pos))));
  }
  if (name == "join") {
    Params p(r, at, args, what, {"iterable"});
    if (!p.has(0)) r.fail(at, what + " needs a list");
    const doc::Value& l = p.value(0);
    if (!l.is_list()) r.fail(at, what + " expects a list, not a " + std::string(type_label(l)));
    std::string out;
    bool first = true;
    for (const auto& e : l.as_list()) {
      if (!e.is_string())
        r.fail(at, what + ": expected a list of strings, found a " + std::string(type_label(e)));
      if (!first) out += s;
      first = false;
      out += e.as_string();
      r.check_string_size(out.size(), at);
    }
    return str_val(std::move(out));
  }
  if (name == "zfill" || name == "ljust" || name == "rjust" || name == "center") {
    Params p(r, at, args, what, {"width", "fillchar"});
    int64_t width = p.integer(0, 0);
    std::string fill = p.string(1, " ");
    if (name != "zfill" && utf8_length(fill) != 1)
      r.fail(at, what + ": the fill character must be exactly one character long");
    int64_t len = static_cast<int64_t>(utf8_length(s));
    if (width <= len) return str_val(s);
    r.check_string_size(static_cast<size_t>(width - len) * fill.size() + s.size(), at);
    auto pad = [&](int64_t n, const std::string& f) {
      std::string out;
      for (int64_t i = 0; i < n; ++i)
        out += f;
      return out;
    };
    int64_t marg = width - len;
    if (name == "zfill") {
      if (!s.empty() && (s[0] == '-' || s[0] == '+'))
        return str_val(s.substr(0, 1) + pad(marg, "0") + s.substr(1));
      return str_val(pad(marg, "0") + s);
    }
    if (name == "ljust") return str_val(s + pad(marg, fill));
    if (name == "rjust") return str_val(pad(marg, fill) + s);
    int64_t left = marg / 2 + (marg & width & 1);
    return str_val(pad(left, fill) + s + pad(marg - left, fill));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    Params p(r, at, args, what, {"affix"});
    std::string a = p.string(0, "");
    if (a.size() <= s.size()) {
      if (name == "removeprefix" && s.compare(0, a.size(), a) == 0)
        return str_val(s.substr(a.size()));
      if (name == "removesuffix" && s.compare(s.size() - a.size(), a.size(), a) == 0)
        return str_val(s.substr(0, s.size() - a.size()));
    }
    return str_val(s);
  }
  if (name == "format") return str_val(py_format(r, at, s, args));
  r.fail(at, "a string has no method '" + std::string(name) + "'");
}

Val map_method(R& r, const Expr& at, Val& obj, std::string_view name, CallArgs& args) {
  const doc::Value& m = obj.get();
  std::string what = mname("dict", name);
  if (name == "items" || name == "keys" || name == "values") {
    no_args(r, at, args, what);
    doc::List out;
    out.reserve(m.as_map().size());
    for (const auto& mem : m.as_map()) {
      if (name == "keys") {
        out.emplace_back(mem.key);
      } else if (name == "values") {
        out.push_back(mem.value);
      } else {
        doc::List p;
        p.emplace_back(mem.key);
        p.push_back(mem.value);
        out.emplace_back(std::move(p));
      }
    }
    return Val::own(doc::Value(std::move(out)));
  }
  if (name == "get") {
    Params p(r, at, args, what, {"key", "default"});
    if (!p.has(0)) r.fail(at, what + " needs a key");
    const doc::Value& k = p.value(0);
    const doc::Value* f = nullptr;
    if (k.is_string()) {
      f = m.find(k.as_string());
    } else if (k.is_scalar() && !k.is_null()) {
      std::string ks;
      append_py_str(ks, k);
      f = m.find(ks);
    }
    if (f) {
      if (obj.kind() == Val::Kind::kOwned || obj.ns()) return Val::own(*f);
      return Val::ref(*f, obj.stable());
    }
    if (p.has(1)) return std::move(*p[1]);
    return Val::own(doc::Value());
  }
  if (name == "copy") {
    no_args(r, at, args, what);
    return Val::own(m);
  }
  r.fail(at, "a map has no method '" + std::string(name) + "'");
}

Val list_method(R& r, const Expr& at, const doc::Value& l, std::string_view name, CallArgs& args) {
  std::string what = mname("list", name);
  if (name == "index" || name == "count") {
    Params p(r, at, args, what, {"value"});
    if (!p.has(0)) r.fail(at, what + " needs a value");
    const doc::Value& x = p.value(0);
    int64_t n = 0;
    for (size_t i = 0; i < l.as_list().size(); ++i) {
      if (py_equal(l.as_list()[i], x)) {
        if (name == "index") return Val::own(static_cast<int64_t>(i));
        ++n;
      }
    }
    if (name == "index") r.fail(at, what + ": the value is not in the list");
    return Val::own(n);
  }
  if (name == "copy") {
    no_args(r, at, args, what);
    return Val::own(l);
  }
  if (name == "append" || name == "extend" || name == "insert" || name == "pop" ||
      name == "remove" || name == "update")
    r.fail(at, "list." + std::string(name) +
                   "() is not supported: values in templates cannot be changed in place "
                   "(build a new list, e.g. with '+', or use namespace())");
  r.fail(at, "a list has no method '" + std::string(name) + "'");
}

// ------------------------------------------------------------------ globals

Val g_range(R& r, const Expr& at, CallArgs& args) {
  Params p(r, at, args, "range()", {"start", "stop", "step"});
  int64_t start = 0, stop = 0, step = 1;
  if (!p.has(0)) r.fail(at, "range() needs at least one argument");
  if (p.has(1)) {
    start = p.integer(0, 0);
    stop = p.integer(1, 0);
    step = p.integer(2, 1);
  } else {
    stop = p.integer(0, 0);
  }
  if (step == 0) r.fail(at, "range(): step must not be zero");
  // Number of elements, computed without overflow.
  uint64_t n = 0;
  if (step > 0 && start < stop) {
    n = (static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) - 1) /
            static_cast<uint64_t>(step) +
        1;
  } else if (step < 0 && start > stop) {
    n = (static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) - 1) /
            (0 - static_cast<uint64_t>(step)) +
        1;
  }
  if (n > r.limits().max_loop_iterations)
    r.fail(at, "range() of " + std::to_string(n) + " items exceeds the limit of " +
                   std::to_string(r.limits().max_loop_iterations));
  r.count_iterations(static_cast<size_t>(n), at);
  doc::List out;
  out.reserve(static_cast<size_t>(n));
  int64_t v = start;
  for (uint64_t i = 0; i < n; ++i) {
    out.emplace_back(v);
    v = static_cast<int64_t>(static_cast<uint64_t>(v) + static_cast<uint64_t>(step));
  }
  return Val::own(doc::Value(std::move(out)));
}

doc::Value kwargs_map(R& r, const Expr& at, CallArgs& args, std::string_view what) {
  doc::Value m = doc::Value::map();
  if (args.pos.size() > 1) r.fail(at, std::string(what) + " takes at most one positional argument");
  if (args.pos.size() == 1) {
    const doc::Value& init = r.value(args.pos[0], at);
    if (!init.is_map()) r.fail(at, std::string(what) + " expects a map as its positional argument");
    m = init;
  }
  for (auto& [k, v] : args.kw)
    m.set(k, r.value(v, at));
  return m;
}

Val g_dict(R& r, const Expr& at, CallArgs& args) {
  return Val::own(kwargs_map(r, at, args, "dict()"));
}

Val g_namespace(R& r, const Expr& at, CallArgs& args) {
  Val v = Val::own(kwargs_map(r, at, args, "namespace()"));
  v.set_ns(true);
  return v;
}

Val g_raise(R& r, const Expr& at, CallArgs& args) {
  Params p(r, at, args, "raise()", {"message"});
  r.fail(at, p.string(0, "raise() called"));
}

// kluctl's get_var(path_or_paths, default): the first of the dotted paths that exists.
Val g_get_var(R& r, const Expr& at, CallArgs& args) {
  Params p(r, at, args, "get_var()", {"field_path", "default"});
  if (!p.has(0)) r.fail(at, "get_var() needs a path");
  const doc::Value& paths = p.value(0);
  std::vector<std::string> list;
  if (paths.is_string()) {
    list.push_back(paths.as_string());
  } else if (paths.is_list()) {
    for (const auto& e : paths.as_list()) {
      if (!e.is_string()) r.fail(at, "get_var(): paths must be strings");
      list.push_back(e.as_string());
    }
  } else {
    r.fail(at, "get_var(): the path must be a string or a list of strings");
  }
  for (const auto& path : list) {
    Val v = r.lookup_path(path);
    if (v.is_value()) return v.kind() == Val::Kind::kOwned ? Val::own(v.take()) : v;
  }
  if (p.has(1)) return std::move(*p[1]);
  return Val::own(doc::Value());
}

void deep_merge(doc::Value& into, const doc::Value& from) {
  for (const auto& m : from.as_map()) {
    doc::Value* cur = into.find(m.key);
    if (cur && cur->is_map() && m.value.is_map()) {
      deep_merge(*cur, m.value);
    } else {
      into.set(m.key, m.value);
    }
  }
}

// kluctl's merge_dict(a, b): a deep copy of a with b merged in (b wins).
Val g_merge_dict(R& r, const Expr& at, CallArgs& args) {
  Params p(r, at, args, "merge_dict()", {"d1", "d2"});
  if (!p.has(0) || !p.has(1)) r.fail(at, "merge_dict() needs two maps");
  const doc::Value& a = p.value(0);
  const doc::Value& b = p.value(1);
  if (!a.is_map() || !b.is_map()) r.fail(at, "merge_dict() expects two maps");
  doc::Value out = a;
  deep_merge(out, b);
  return Val::own(std::move(out));
}

struct GlobalDef {
  std::string_view name;
  GlobalFn fn;
};

constexpr GlobalDef kGlobals[] = {
    {"dict", g_dict},           {"get_var", g_get_var}, {"merge_dict", g_merge_dict},
    {"namespace", g_namespace}, {"raise", g_raise},     {"range", g_range},
};

}  // namespace

const TestDef* find_test(std::string_view name) {
  for (const auto& t : kTests)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<std::string_view> test_names() {
  std::vector<std::string_view> out;
  for (const auto& t : kTests)
    out.push_back(t.name);
  return out;
}

GlobalFn find_global(std::string_view name) {
  for (const auto& g : kGlobals)
    if (g.name == name) return g.fn;
  return nullptr;
}

Val call_method(Renderer& r, const Expr& at, Val& obj, std::string_view name, CallArgs& args) {
  if (obj.kind() == Val::Kind::kLoop) {
    if (name == "cycle") {
      if (args.pos.empty()) r.fail(at, "loop.cycle() needs at least one value");
      if (!args.kw.empty()) r.fail(at, "loop.cycle() takes no keyword arguments");
      const LoopState* l = obj.loop_state();
      return std::move(args.pos[l->index0 % args.pos.size()]);
    }
    r.fail(at, "the loop object has no method '" + std::string(name) + "'");
  }
  const doc::Value& v = r.value(obj, at);
  switch (v.type()) {
    case doc::Type::kString:
      return string_method(r, at, v.as_string(), name, args);
    case doc::Type::kMap:
      return map_method(r, at, obj, name, args);
    case doc::Type::kList:
      return list_method(r, at, v, name, args);
    default:
      r.fail(at, "a " + std::string(type_label(v)) + " has no method '" + std::string(name) + "'");
  }
}

}  // namespace gantry::tmpl
