// Filters: Jinja2's built-ins that deployment templates use, kluctl's
// additions (b64encode, b64decode, to_yaml, to_json, from_yaml, render,
// sha256, slugify) and a few Ansible-style ones (regex_replace,
// regex_search, regex_findall, bool, quote, from_json, basename, dirname).
//
// Semantics follow Python Jinja2 3.x; see engine.h for the differences.
// Every user-supplied regular expression runs on RE2 (linear time).
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_set>

#include "core/base64.h"
#include "core/digest.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "template/builtin_util.h"
#include "template/text.h"

namespace gantry::tmpl {

const doc::Value* attr_path(const doc::Value& v, std::string_view path) {
  const doc::Value* cur = &v;
  while (cur) {
    size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    if (cur->is_map()) {
      cur = cur->find(part);
    } else if (cur->is_list()) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), i);
      if (ec != std::errc() || p != part.data() + part.size() || i < 0 ||
          static_cast<size_t>(i) >= cur->as_list().size())
        return nullptr;
      cur = &cur->as_list()[static_cast<size_t>(i)];
    } else {
      return nullptr;
    }
    if (dot == std::string_view::npos) break;
    path = path.substr(dot + 1);
  }
  return cur;
}

namespace {

using R = Renderer;

Val str_val(std::string s) {
  return Val::own(doc::Value(std::move(s)));
}

void no_args(R& r, const Expr& at, CallArgs& args, std::string_view name) {
  Params p(r, at, args, "filter '" + std::string(name) + "'", {});
  (void)p;
}

std::string fname(std::string_view n) {
  return "filter '" + std::string(n) + "'";
}

// The elements a filter iterates over: list items, map keys, string characters.
std::vector<doc::Value> elements_copy(R& r, const Expr& at, const doc::Value& v) {
  std::vector<doc::Value> out;
  switch (v.type()) {
    case doc::Type::kList:
      return v.as_list();
    case doc::Type::kMap:
      for (const auto& m : v.as_map())
        out.emplace_back(m.key);
      return out;
    case doc::Type::kString: {
      const std::string& s = v.as_string();
      for (size_t i = 0; i < s.size();) {
        size_t b = i;
        next_code_point(s, i);
        out.emplace_back(s.substr(b, i - b));
      }
      return out;
    }
    default:
      r.fail(at, "filter '" + at.name + "' expects a list, map or string, not a " +
                     std::string(type_label(v)));
  }
}

// Like elements_copy but without copying list items.
struct Elements {
  std::vector<doc::Value> owned;
  std::vector<const doc::Value*> items;
};
Elements elements(R& r, const Expr& at, const doc::Value& v) {
  Elements e;
  r.count_iterations(v.size(), at);
  if (v.is_list()) {
    e.items.reserve(v.as_list().size());
    for (const auto& x : v.as_list())
      e.items.push_back(&x);
    return e;
  }
  e.owned = elements_copy(r, at, v);
  for (const auto& x : e.owned)
    e.items.push_back(&x);
  return e;
}

doc::Value lowered(const doc::Value& v) {
  if (v.is_string()) return doc::Value(ascii_lower(v.as_string()));
  return v;
}

// Sort/compare key of one item (attribute lookup, optional case folding).
doc::Value item_key(R& r, const Expr& at, const doc::Value& item, const std::string* attribute,
                    bool case_sensitive) {
  const doc::Value* k = &item;
  if (attribute) {
    k = attr_path(item, *attribute);
    if (!k) r.fail(at, "filter '" + at.name + "': an item has no attribute '" + *attribute + "'");
  }
  return case_sensitive ? *k : lowered(*k);
}

// Stable sort with Python ordering; mixing unorderable types is an error.
void sort_by_keys(R& r, const Expr& at, std::vector<size_t>& order,
                  const std::vector<doc::Value>& keys, bool reverse) {
  bool bad = false;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    bool ok = true;
    int c = reverse ? py_compare(keys[b], keys[a], &ok) : py_compare(keys[a], keys[b], &ok);
    if (!ok) bad = true;
    return ok && c == -1;
  });
  if (bad) {
    std::string types;
    for (const auto& k : keys) {
      std::string t(type_label(k));
      if (types.find("'" + t + "'") == std::string::npos)
        types += (types.empty() ? "'" : " and '") + t + "'";
    }
    r.fail(at, "filter '" + at.name + "': cannot order values of types " + types);
  }
}

// ------------------------------------------------------------------ strings

Val f_lower(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "lower");
  return str_val(ascii_lower(r.to_str(in, at)));
}

Val f_upper(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "upper");
  return str_val(ascii_upper(r.to_str(in, at)));
}

Val f_capitalize(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "capitalize");
  return str_val(py_capitalize(r.to_str(in, at)));
}

Val f_title(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "title");
  return str_val(jinja_title(r.to_str(in, at)));
}

Val f_trim(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("trim"), {"chars"});
  std::string chars;
  bool has = p.optional_string(0, &chars);
  std::string s = r.to_str(in, at);
  return str_val(std::string(py_strip(s, has ? &chars : nullptr, true, true)));
}

Val f_replace(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("replace"), {"old", "new", "count"});
  if (!p.has(0) || !p.has(1)) r.fail(at, "filter 'replace' needs the old and new strings");
  std::string s = r.to_str(in, at);
  std::string from = p.string(0, "");
  std::string to = p.string(1, "");
  int64_t count = p.integer(2, -1);
  size_t worst = from.empty() ? s.size() + 1 : s.size() / from.size();
  if (to.size() > from.size() && worst > 0)
    r.check_string_size(s.size() + worst * (to.size() - from.size()), at);
  return str_val(py_replace(s, from, to, count));
}

Val f_string(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "string");
  if (in.is_value() && in.get().is_string()) return std::move(in);
  return str_val(r.to_str(in, at));
}

Val f_safe(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "safe");
  return std::move(in);
}

Val f_escape(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "escape");
  std::string s = r.to_str(in, at);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  r.check_string_size(out.size(), at);
  return str_val(std::move(out));
}

// str.splitlines() for the line breaks YAML templates meet.
std::vector<std::string> splitlines(std::string_view s) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < s.size();) {
    size_t brk = 0;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      brk = (i + 1 < s.size() && s[i + 1] == '\n') ? 2 : 1;
    } else if (c == '\n' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e) {
      brk = 1;
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) {
      brk = 2;
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      brk = 3;
    }
    if (brk) {
      lines.emplace_back(s.substr(start, i - start));
      i += brk;
      start = i;
    } else {
      ++i;
    }
  }
  if (start < s.size()) lines.emplace_back(s.substr(start));
  return lines;
}

Val f_indent(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("indent"), {"width", "first", "blank"});
  std::string indention;
  if (p.has(0) && p.value(0).is_string()) {
    indention = p.value(0).as_string();
  } else {
    int64_t w = p.integer(0, 4);
    if (w > 0) {
      r.check_string_size(static_cast<size_t>(w), at);
      indention.assign(static_cast<size_t>(w), ' ');
    }
  }
  bool first = p.boolean(1, false);
  bool blank = p.boolean(2, false);
  std::string s = r.to_str(in, at);
  s += '\n';  // Jinja's quirk, so that a trailing newline survives splitlines()
  auto lines = splitlines(s);
  r.check_string_size(s.size() + lines.size() * (indention.size() + 1), at);
  std::string out;
  out.reserve(s.size() + lines.size() * indention.size());
  if (blank) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) {
        out += '\n';
        out += indention;
      }
      out += lines[i];
    }
  } else if (!lines.empty()) {
    out += lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      out += '\n';
      if (!lines[i].empty()) out += indention;
      out += lines[i];
    }
  }
  if (first) out.insert(0, indention);
  return str_val(std::move(out));
}

Val f_center(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("center"), {"width"});
  int64_t width = p.integer(0, 80);
  std::string s = r.to_str(in, at);
  int64_t len = static_cast<int64_t>(utf8_length(s));
  if (width <= len) return str_val(std::move(s));
  r.check_string_size(static_cast<size_t>(width - len) + s.size(), at);
  int64_t marg = width - len;
  int64_t left = marg / 2 + (marg & width & 1);
  return str_val(std::string(static_cast<size_t>(left), ' ') + s +
                 std::string(static_cast<size_t>(marg - left), ' '));
}

Val f_truncate(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("truncate"), {"length", "killwords", "end", "leeway"});
  int64_t length = p.integer(0, 255);
  bool killwords = p.boolean(1, false);
  std::string end = p.string(2, "...");
  int64_t leeway = p.integer(3, 5);
  int64_t end_len = static_cast<int64_t>(utf8_length(end));
  if (length < end_len)
    r.fail(at, "filter 'truncate': expected length >= " + std::to_string(end_len) + ", got " +
                   std::to_string(length));
  if (leeway < 0) r.fail(at, "filter 'truncate': expected leeway >= 0");
  std::string s = r.to_str(in, at);
  auto offs = utf8_offsets(s);
  int64_t n = static_cast<int64_t>(offs.size()) - 1;
  if (n <= length + leeway) return str_val(std::move(s));
  std::string head = s.substr(0, offs[static_cast<size_t>(length - end_len)]);
  if (!killwords) {
    size_t sp = head.rfind(' ');
    if (sp != std::string::npos) head.resize(sp);
  }
  return str_val(head + end);
}

Val f_wordcount(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "wordcount");
  std::string s = r.to_str(in, at);
  int64_t n = 0;
  bool in_word = false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool w = std::isalnum(u) || c == '_' || u >= 0x80;
    if (w && !in_word) ++n;
    in_word = w;
  }
  return Val::own(n);
}

// printf-style formatting of Python's "%s" % args: flags "-+ #0", width and
// precision (each at most 256), conversions s r d i x X o f F e E g G and %%.
Val f_format(R& r, const Expr& at, Val& in, CallArgs& args) {
  if (!args.kw.empty()) r.fail(at, "filter 'format': keyword arguments are not supported");
  std::string fmt = r.to_str(in, at);
  std::string out;
  size_t argi = 0;
  auto number = [&](size_t& j) {
    int n = 0;
    while (j < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[j]))) {
      n = n * 10 + (fmt[j++] - '0');
      if (n > 256) r.fail(at, "filter 'format': width or precision larger than 256");
    }
    return n;
  };
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    std::string flags;
    while (j < fmt.size() && std::strchr("-+ #0", fmt[j]))
      flags += fmt[j++];
    int width = number(j);
    int precision = -1;
    if (j < fmt.size() && fmt[j] == '.') {
      ++j;
      precision = number(j);
    }
    if (j >= fmt.size()) r.fail(at, "filter 'format': incomplete format");
    char conv = fmt[j];
    i = j;
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (argi >= args.pos.size())
      r.fail(at, "filter 'format': not enough arguments for format string");
    const Val& a = args.pos[argi++];
    std::string spec = "%" + flags + (width ? std::to_string(width) : std::string()) +
                       (precision >= 0 ? "." + std::to_string(precision) : std::string());
    char buf[1024];
    switch (conv) {
      case 's':
      case 'r': {
        std::string s;
        if (conv == 'r') {
          append_py_repr(s, r.value(a, at));
        } else {
          s = r.to_str(a, at);
        }
        if (precision >= 0) {
          auto offs = utf8_offsets(s);
          if (static_cast<size_t>(precision) + 1 < offs.size())
            s.resize(offs[static_cast<size_t>(precision)]);
        }
        size_t len = utf8_length(s);
        std::string pad(static_cast<size_t>(width) > len ? static_cast<size_t>(width) - len : 0,
                        ' ');
        out += flags.find('-') != std::string::npos ? s + pad : pad + s;
        break;
      }
      case 'd':
      case 'i':
      case 'x':
      case 'X':
      case 'o': {
        const doc::Value& v = r.value(a, at);
        if (!is_numeric(v))
          r.fail(at, std::string("filter 'format': %") + conv +
                         " format: a number is required, not " + std::string(type_label(v)));
        if (v.is_float() && !(std::fabs(v.as_float()) < 9.2e18))
          r.fail(at, "filter 'format': the number is too large for %" + std::string(1, conv));
        long long n = v.is_float() ? static_cast<long long>(std::trunc(v.as_float()))
                                   : static_cast<long long>(intlike(v));
        std::string f = spec + "ll" + (conv == 'i' ? 'd' : conv);
        std::snprintf(buf, sizeof buf, f.c_str(), n);
        out += buf;
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        const doc::Value& v = r.value(a, at);
        if (!is_numeric(v))
          r.fail(at, std::string("filter 'format': %") + conv +
                         " format: a number is required, not " + std::string(type_label(v)));
        double d = v.is_float() ? v.as_float() : static_cast<double>(intlike(v));
        std::snprintf(buf, sizeof buf, (spec + conv).c_str(), d);
        out += buf;
        break;
      }
      default:
        r.fail(at, std::string("filter 'format': unsupported format character '") + conv + "'");
    }
    r.check_string_size(out.size(), at);
  }
  if (argi < args.pos.size())
    r.fail(at, "filter 'format': not all arguments converted during string formatting");
  return str_val(std::move(out));
}

Val f_slugify(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "slugify");
  return str_val(slugify(r.to_str(in, at)));
}

Val f_quote(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "quote");
  return str_val(shell_quote(r.to_str(in, at)));
}

Val f_basename(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "basename");
  std::string s = r.to_str(in, at);
  size_t slash = s.rfind('/');
  return str_val(slash == std::string::npos ? s : s.substr(slash + 1));
}

Val f_dirname(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "dirname");
  std::string s = r.to_str(in, at);
  size_t slash = s.rfind('/');
  if (slash == std::string::npos) return str_val("");
  std::string head = s.substr(0, slash + 1);
  // Python's os.path.dirname strips trailing slashes unless the head is all slashes.
  size_t e = head.size();
  while (e > 1 && head[e - 1] == '/')
    --e;
  bool all_slashes = head.find_first_not_of('/') == std::string::npos;
  return str_val(all_slashes ? head : head.substr(0, e));
}

// ------------------------------------------------------------------ encodings

Val f_b64encode(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "b64encode");
  std::string s = r.to_str(in, at);
  r.check_string_size(s.size() / 3 * 4 + 4, at);
  return str_val(base64_encode(s));
}

Val f_b64decode(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "b64decode");
  auto d = base64_decode(r.to_str(in, at));
  if (!d) r.fail(at, "filter 'b64decode': the input is not valid base64");
  return str_val(std::move(*d));
}

Val f_sha256(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("sha256"), {"digest_len"});
  std::string h = sha256_hex(r.to_str(in, at));
  if (p.has(0) && !p.value(0).is_null()) {
    int64_t n = p.integer(0, 64);
    if (n < 0) r.fail(at, "filter 'sha256': digest_len must not be negative");
    if (static_cast<size_t>(n) < h.size()) h.resize(static_cast<size_t>(n));
  }
  return str_val(std::move(h));
}

void append_json_indented(std::string& out, const doc::Value& v, bool sort_keys, int indent,
                          int level) {
  auto newline = [&](int lvl) {
    out += '\n';
    out.append(static_cast<size_t>(indent * lvl), ' ');
  };
  if (v.is_list() && !v.as_list().empty()) {
    out += '[';
    bool first = true;
    for (const auto& e : v.as_list()) {
      if (!first) out += ',';
      first = false;
      newline(level + 1);
      append_json_indented(out, e, sort_keys, indent, level + 1);
    }
    newline(level);
    out += ']';
    return;
  }
  if (v.is_map() && !v.as_map().empty()) {
    std::vector<const doc::Member*> members;
    for (const auto& m : v.as_map())
      members.push_back(&m);
    if (sort_keys)
      std::stable_sort(members.begin(), members.end(),
                       [](const doc::Member* a, const doc::Member* b) { return a->key < b->key; });
    out += '{';
    bool first = true;
    for (const auto* m : members) {
      if (!first) out += ',';
      first = false;
      newline(level + 1);
      append_json_string(out, m->key);
      out += ": ";
      append_json_indented(out, m->value, sort_keys, indent, level + 1);
    }
    newline(level);
    out += '}';
    return;
  }
  append_py_json(out, v, sort_keys);
}

std::string json_dumps(R& r, const Expr& at, const doc::Value& v, bool sort_keys, const Params& p,
                       size_t indent_slot) {
  std::string out;
  if (p.has(indent_slot) && !p.value(indent_slot).is_null()) {
    int64_t indent = p.integer(indent_slot, 0);
    if (indent < 0 || indent > 64) r.fail(at, "filter '" + at.name + "': indent must be 0..64");
    append_json_indented(out, v, sort_keys, static_cast<int>(indent), 0);
  } else {
    append_py_json(out, v, sort_keys);
  }
  r.check_string_size(out.size(), at);
  return out;
}

// to_json writes JSON the way gantry writes it everywhere (doc/json.h):
// compact, keys in map order, like kubectl. (kluctl's to_json is Python's
// json.dumps, which puts a space after ',' and ':'; the parsed data is the
// same.) `indent` pretty-prints.
Val f_to_json(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("to_json"), {"indent"});
  const doc::Value& v = r.value(in, at);
  std::string out;
  try {
    if (p.has(0) && !p.value(0).is_null()) {
      int64_t indent = p.integer(0, 0);
      if (indent < 0 || indent > 64) r.fail(at, "filter 'to_json': indent must be 0..64");
      out = doc::to_json_pretty(v, static_cast<int>(indent));
      if (!out.empty() && out.back() == '\n') out.pop_back();
    } else {
      out = doc::to_json(v);
    }
  } catch (Error& e) {
    r.fail(at, "filter 'to_json': " + e.why());
  }
  r.check_string_size(out.size(), at);
  return str_val(std::move(out));
}

// Jinja's tojson, exactly: Python's json.dumps with sorted keys (", " and
// ": " separators, non-ASCII as \uXXXX), and <, >, &, ' escaped so the
// result is safe inside HTML.
Val f_tojson(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("tojson"), {"indent"});
  std::string s = json_dumps(r, at, r.value(in, at), true, p, 0);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '\'':
        out += "\\u0027";
        break;
      default:
        out += c;
    }
  }
  return str_val(std::move(out));
}

// Block-style YAML from the document model's writer (see doc/yaml.h).
Val f_to_yaml(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, at.name);
  std::string s = doc::to_yaml(r.value(in, at));
  r.check_string_size(s.size(), at);
  return str_val(std::move(s));
}

Val f_from_yaml(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "from_yaml");
  std::string s = r.to_str(in, at);
  try {
    return Val::own(doc::parse_yaml(s, "<from_yaml>"));
  } catch (Error& e) {
    r.fail(at, "filter 'from_yaml': " + e.str());
  }
}

Val f_from_json(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "from_json");
  std::string s = r.to_str(in, at);
  try {
    return Val::own(doc::parse_json(s, "<from_json>"));
  } catch (Error& e) {
    r.fail(at, "filter 'from_json': " + e.str());
  }
}

Val f_render(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "render");
  std::string s = r.to_str(in, at);
  return str_val(r.render_string(at, s));
}

// ------------------------------------------------------------------ regexes

std::unique_ptr<RE2> compile_regex(R& r, const Expr& at, const std::string& pattern,
                                   bool ignorecase, bool multiline) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_case_sensitive(!ignorecase);
  std::string pat = multiline ? "(?m)" + pattern : pattern;
  auto re = std::make_unique<RE2>(pat, opts);
  if (!re->ok())
    r.fail(at, "filter '" + at.name + "': invalid regular expression '" + pattern +
                   "': " + re->error());
  return re;
}

// Python's re.sub replacement syntax (\1, \g<1>, \g<name>, \n, \\) -> RE2's (\1, \\).
std::string rewrite_string(R& r, const Expr& at, const RE2& re, std::string_view repl) {
  std::string out;
  for (size_t i = 0; i < repl.size(); ++i) {
    char c = repl[i];
    if (c != '\\' || i + 1 >= repl.size()) {
      out += c;
      continue;
    }
    char e = repl[++i];
    if (e >= '0' && e <= '9') {
      out += '\\';
      out += e;
    } else if (e == 'g' && i + 1 < repl.size() && repl[i + 1] == '<') {
      size_t close = repl.find('>', i);
      if (close == std::string_view::npos) r.fail(at, "regex_replace: missing '>' in \\g<...>");
      std::string name(repl.substr(i + 2, close - i - 2));
      int group = -1;
      if (!name.empty() &&
          std::all_of(name.begin(), name.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
        group = std::atoi(name.c_str());
      } else {
        auto it = re.NamedCapturingGroups().find(name);
        if (it == re.NamedCapturingGroups().end())
          r.fail(at, "regex_replace: unknown group name '" + name + "'");
        group = it->second;
      }
      if (group > 9) r.fail(at, "regex_replace: only groups 0-9 can be referenced");
      out += '\\';
      out += static_cast<char>('0' + group);
      i = close;
    } else if (e == 'n') {
      out += '\n';
    } else if (e == 't') {
      out += '\t';
    } else if (e == 'r') {
      out += '\r';
    } else if (e == '\\') {
      out += "\\\\";
    } else {
      out += "\\\\";
      out += e;
    }
  }
  return out;
}

// Finds the next match at or after `pos`; advances `pos` past it (by one
// character for empty matches). False when there is none.
bool next_match(const RE2& re, std::string_view s, size_t& pos, std::vector<re2::StringPiece>& g) {
  if (pos > s.size()) return false;
  if (!re.Match(re2::StringPiece(s.data(), s.size()), pos, s.size(), RE2::UNANCHORED, g.data(),
                static_cast<int>(g.size())))
    return false;
  size_t b = static_cast<size_t>(g[0].data() - s.data());
  size_t e = b + g[0].size();
  if (e == b) {
    size_t i = e;
    if (i < s.size()) {
      next_code_point(s, i);
    } else {
      i = s.size() + 1;
    }
    pos = i;
  } else {
    pos = e;
  }
  return true;
}

Val f_regex_replace(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("regex_replace"),
           {"pattern", "replacement", "ignorecase", "multiline", "count"});
  std::string s = r.to_str(in, at);
  std::string pattern = p.string(0, "");
  std::string repl = p.string(1, "");
  auto re = compile_regex(r, at, pattern, p.boolean(2, false), p.boolean(3, false));
  std::string rewrite = rewrite_string(r, at, *re, repl);
  std::string err;
  if (!re->CheckRewriteString(rewrite, &err))
    r.fail(at, "filter 'regex_replace': invalid replacement '" + repl + "': " + err);
  int64_t count = p.integer(4, 0);
  std::vector<re2::StringPiece> g(static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
  std::string out;
  size_t pos = 0, copied = 0;
  int64_t done = 0;
  while ((count <= 0 || done < count) && next_match(*re, s, pos, g)) {
    size_t b = static_cast<size_t>(g[0].data() - s.data());
    out.append(s, copied, b - copied);
    re->Rewrite(&out, rewrite, g.data(), static_cast<int>(g.size()));
    copied = b + g[0].size();
    ++done;
    r.check_string_size(out.size(), at);
  }
  if (copied < s.size()) out.append(s, copied);
  r.check_string_size(out.size(), at);
  return str_val(std::move(out));
}

Val f_regex_search(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("regex_search"), {"pattern", "ignorecase", "multiline"});
  std::string s = r.to_str(in, at);
  auto re = compile_regex(r, at, p.string(0, ""), p.boolean(1, false), p.boolean(2, false));
  std::vector<re2::StringPiece> g(1);
  size_t pos = 0;
  if (!next_match(*re, s, pos, g)) return Val::own(doc::Value());
  return str_val(std::string(g[0].data(), g[0].size()));
}

Val f_regex_findall(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("regex_findall"), {"pattern", "ignorecase", "multiline"});
  std::string s = r.to_str(in, at);
  auto re = compile_regex(r, at, p.string(0, ""), p.boolean(1, false), p.boolean(2, false));
  int groups = re->NumberOfCapturingGroups();
  std::vector<re2::StringPiece> g(static_cast<size_t>(groups) + 1);
  doc::List out;
  size_t pos = 0;
  auto piece = [](const re2::StringPiece& sp) {
    return doc::Value(sp.data() ? std::string(sp.data(), sp.size()) : std::string());
  };
  while (next_match(*re, s, pos, g)) {
    r.check_list_size(out.size() + 1, at);
    if (groups == 0) {
      out.push_back(piece(g[0]));
    } else if (groups == 1) {
      out.push_back(piece(g[1]));
    } else {
      doc::List t;
      for (int i = 1; i <= groups; ++i)
        t.push_back(piece(g[static_cast<size_t>(i)]));
      out.emplace_back(std::move(t));
    }
  }
  return Val::own(doc::Value(std::move(out)));
}

// ------------------------------------------------------------------ numbers

// Python's int(str, base): optional sign, underscores between digits, base
// prefixes for base 0/2/8/16, surrounding whitespace.
std::optional<int64_t> parse_int(std::string_view s, int base) {
  s = py_strip(s, nullptr, true, true);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  auto prefix = [&](char p) {
    return s.size() > 2 && s[0] == '0' && (s[1] == p || s[1] == p - 32);
  };
  if (base == 0) {
    base = prefix('x') ? 16 : prefix('o') ? 8 : prefix('b') ? 2 : 10;
    if (base != 10) s.remove_prefix(2);
  } else if ((base == 16 && prefix('x')) || (base == 8 && prefix('o')) ||
             (base == 2 && prefix('b'))) {
    s.remove_prefix(2);
    if (!s.empty() && s[0] == '_') s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  std::string digits;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (s[i + 1] == '_') return std::nullopt;
      continue;
    }
    digits += s[i];
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  if (neg) {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(v);
}

// Python's float(str).
std::optional<double> parse_float(std::string_view s) {
  s = py_strip(s, nullptr, true, true);
  if (s.empty()) return std::nullopt;
  std::string t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i - 1])) ||
          !std::isdigit(static_cast<unsigned char>(s[i + 1])))
        return std::nullopt;
      continue;
    }
    t += s[i];
  }
  std::string low = ascii_lower(t);
  std::string_view body = low;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "inf" || body == "infinity")
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (body == "nan") return std::numeric_limits<double>::quiet_NaN();
  for (char c : body)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' ||
          c == '-'))
      return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return d;
}

Val f_int(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("int"), {"default", "base"});
  int64_t base = p.integer(1, 10);
  if (base != 0 && (base < 2 || base > 36)) r.fail(at, "filter 'int': base must be 0 or 2..36");
  const doc::Value& v = r.value(in, at);
  auto fallback = [&]() -> Val {
    if (p.has(0)) return std::move(*p[0]);
    return Val::own(static_cast<int64_t>(0));
  };
  if (v.is_int()) return Val::own(v.as_int());
  if (v.is_bool()) return Val::own(static_cast<int64_t>(v.as_bool() ? 1 : 0));
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return fallback();
    return Val::own(static_cast<int64_t>(std::trunc(d)));
  }
  if (v.is_string()) {
    if (auto i = parse_int(v.as_string(), static_cast<int>(base))) return Val::own(*i);
    if (auto d = parse_float(v.as_string())) {
      if (std::isfinite(*d) && std::fabs(*d) < 9.2e18)
        return Val::own(static_cast<int64_t>(std::trunc(*d)));
    }
  }
  return fallback();
}

Val f_float(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("float"), {"default"});
  const doc::Value& v = r.value(in, at);
  if (v.is_float()) return Val::own(v.as_float());
  if (is_intlike(v)) return Val::own(static_cast<double>(intlike(v)));
  if (v.is_string())
    if (auto d = parse_float(v.as_string())) return Val::own(*d);
  if (p.has(0)) return std::move(*p[0]);
  return Val::own(0.0);
}

Val f_bool(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "bool");
  const doc::Value& v = r.value(in, at);
  if (v.is_bool()) return Val::own(v.as_bool());
  if (v.is_null()) return Val::own(false);
  if (v.is_string()) {
    std::string s = ascii_lower(py_strip(v.as_string(), nullptr, true, true));
    return Val::own(s == "yes" || s == "on" || s == "1" || s == "true" || s == "y");
  }
  if (is_numeric(v)) return Val::own(v.is_float() ? v.as_float() == 1.0 : intlike(v) == 1);
  return Val::own(false);
}

Val f_abs(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "abs");
  const doc::Value& v = r.value(in, at);
  if (v.is_float()) return Val::own(std::fabs(v.as_float()));
  if (is_intlike(v)) {
    int64_t i = intlike(v);
    if (i == std::numeric_limits<int64_t>::min()) r.fail(at, "integer overflow");
    return Val::own(i < 0 ? -i : i);
  }
  r.fail(at, "filter 'abs' expects a number, not a " + std::string(type_label(v)));
}

Val f_round(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("round"), {"precision", "method"});
  int64_t precision = p.integer(0, 0);
  std::string method = p.string(1, "common");
  if (method != "common" && method != "ceil" && method != "floor")
    r.fail(at, "filter 'round': method must be common, ceil or floor");
  const doc::Value& v = r.value(in, at);
  if (!is_numeric(v))
    r.fail(at, "filter 'round' expects a number, not a " + std::string(type_label(v)));
  if (precision > 300) precision = 300;
  if (precision < -300) precision = -300;
  double scale = std::pow(10.0, static_cast<double>(precision));
  if (method == "common") {
    if (is_intlike(v) && precision >= 0) return Val::own(intlike(v));
    double d = v.is_float() ? v.as_float() : static_cast<double>(intlike(v));
    if (!std::isfinite(d)) return Val::own(d);
    double res = std::nearbyint(d * scale) / scale;  // round-half-even, like Python's round()
    if (is_intlike(v)) {
      if (!(std::fabs(res) < 9.2e18)) r.fail(at, "integer overflow (integers are 64-bit)");
      return Val::own(static_cast<int64_t>(res));
    }
    return Val::own(res);
  }
  double d = v.is_float() ? v.as_float() : static_cast<double>(intlike(v));
  double res = (method == "ceil" ? std::ceil(d * scale) : std::floor(d * scale)) / scale;
  return Val::own(res);
}

// ------------------------------------------------------------------ sequences

Val f_length(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, at.name);
  const doc::Value& v = r.value(in, at);
  switch (v.type()) {
    case doc::Type::kString:
      return Val::own(static_cast<int64_t>(utf8_length(v.as_string())));
    case doc::Type::kList:
    case doc::Type::kMap:
      return Val::own(static_cast<int64_t>(v.size()));
    default:
      r.fail(at, "filter '" + at.name + "': a " + std::string(type_label(v)) + " has no length");
  }
}

Val f_list(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "list");
  const doc::Value& v = r.value(in, at);
  if (v.is_list()) return std::move(in);
  return Val::own(doc::Value(elements_copy(r, at, v)));
}

Val f_first(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "first");
  const doc::Value& v = r.value(in, at);
  if (v.is_list()) {
    if (v.as_list().empty())
      return Val::undefined(&at, nullptr, UndefReason::kIndex, doc::Type::kList, 0);
    if (in.kind() == Val::Kind::kOwned) return Val::own(v.as_list().front());
    return Val::ref(v.as_list().front(), in.stable());
  }
  auto e = elements_copy(r, at, v);
  if (e.empty()) return Val::undefined(&at, nullptr, UndefReason::kIndex, v.type(), 0);
  return Val::own(std::move(e.front()));
}

Val f_last(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "last");
  const doc::Value& v = r.value(in, at);
  if (v.is_list()) {
    if (v.as_list().empty())
      return Val::undefined(&at, nullptr, UndefReason::kIndex, doc::Type::kList, 0);
    if (in.kind() == Val::Kind::kOwned) return Val::own(v.as_list().back());
    return Val::ref(v.as_list().back(), in.stable());
  }
  auto e = elements_copy(r, at, v);
  if (e.empty()) return Val::undefined(&at, nullptr, UndefReason::kIndex, v.type(), 0);
  return Val::own(std::move(e.back()));
}

Val f_reverse(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "reverse");
  const doc::Value& v = r.value(in, at);
  if (v.is_string()) {
    auto offs = utf8_offsets(v.as_string());
    std::string out;
    out.reserve(v.as_string().size());
    for (size_t i = offs.size() - 1; i > 0; --i)
      out.append(v.as_string(), offs[i - 1], offs[i] - offs[i - 1]);
    return str_val(std::move(out));
  }
  auto e = elements_copy(r, at, v);
  std::reverse(e.begin(), e.end());
  return Val::own(doc::Value(std::move(e)));
}

Val f_join(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("join"), {"d", "attribute"});
  std::string sep = p.string(0, "");
  std::string attribute;
  bool has_attr = p.optional_string(1, &attribute);
  Elements el = elements(r, at, r.value(in, at));
  std::string out;
  bool first = true;
  for (const doc::Value* item : el.items) {
    if (!first) out += sep;
    first = false;
    const doc::Value* x = item;
    if (has_attr) {
      x = attr_path(*item, attribute);
      if (!x) r.fail(at, "filter 'join': an item has no attribute '" + attribute + "'");
    }
    append_py_str(out, *x);
    r.check_string_size(out.size(), at);
  }
  return str_val(std::move(out));
}

Val f_sort(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("sort"), {"reverse", "case_sensitive", "attribute"});
  bool reverse = p.boolean(0, false);
  bool cs = p.boolean(1, false);
  std::string attribute;
  bool has_attr = p.optional_string(2, &attribute);
  Elements el = elements(r, at, r.value(in, at));
  std::vector<doc::Value> keys;
  keys.reserve(el.items.size());
  for (const auto* x : el.items)
    keys.push_back(item_key(r, at, *x, has_attr ? &attribute : nullptr, cs));
  std::vector<size_t> order(el.items.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  sort_by_keys(r, at, order, keys, reverse);
  doc::List out;
  out.reserve(order.size());
  for (size_t i : order)
    out.push_back(*el.items[i]);
  return Val::own(doc::Value(std::move(out)));
}

Val f_unique(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("unique"), {"case_sensitive", "attribute"});
  bool cs = p.boolean(0, false);
  std::string attribute;
  bool has_attr = p.optional_string(1, &attribute);
  Elements el = elements(r, at, r.value(in, at));
  std::unordered_set<std::string> seen_strings;
  std::vector<doc::Value> seen_other;
  doc::List out;
  for (const auto* x : el.items) {
    doc::Value k = item_key(r, at, *x, has_attr ? &attribute : nullptr, cs);
    if (k.is_string()) {
      if (!seen_strings.insert(k.as_string()).second) continue;
    } else {
      bool dup = false;
      for (const auto& s : seen_other)
        dup = dup || py_equal(s, k);
      if (dup) continue;
      seen_other.push_back(std::move(k));
    }
    out.push_back(*x);
  }
  return Val::own(doc::Value(std::move(out)));
}

Val min_max(R& r, const Expr& at, Val& in, CallArgs& args, bool want_max) {
  Params p(r, at, args, fname(at.name), {"case_sensitive", "attribute"});
  bool cs = p.boolean(0, false);
  std::string attribute;
  bool has_attr = p.optional_string(1, &attribute);
  const doc::Value& v = r.value(in, at);
  Elements el = elements(r, at, v);
  if (el.items.empty()) return Val::undefined(&at, nullptr, UndefReason::kIndex, v.type(), 0);
  size_t best = 0;
  doc::Value best_key = item_key(r, at, *el.items[0], has_attr ? &attribute : nullptr, cs);
  for (size_t i = 1; i < el.items.size(); ++i) {
    doc::Value k = item_key(r, at, *el.items[i], has_attr ? &attribute : nullptr, cs);
    bool ok = true;
    int c = py_compare(k, best_key, &ok);
    if (!ok)
      r.fail(at, "filter '" + at.name + "': cannot compare a " + std::string(type_label(k)) +
                     " with a " + std::string(type_label(best_key)));
    if ((want_max && c == 1) || (!want_max && c == -1)) {
      best = i;
      best_key = std::move(k);
    }
  }
  if (v.is_list() && in.kind() != Val::Kind::kOwned) return Val::ref(*el.items[best], in.stable());
  return Val::own(*el.items[best]);
}

Val f_min(R& r, const Expr& at, Val& in, CallArgs& args) {
  return min_max(r, at, in, args, false);
}
Val f_max(R& r, const Expr& at, Val& in, CallArgs& args) {
  return min_max(r, at, in, args, true);
}

Val f_sum(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("sum"), {"attribute", "start"});
  std::string attribute;
  bool has_attr = p.optional_string(0, &attribute);
  Elements el = elements(r, at, r.value(in, at));
  doc::Value total = p.has(1) ? p.value(1) : doc::Value(static_cast<int64_t>(0));
  for (const auto* item : el.items) {
    const doc::Value* x = item;
    if (has_attr) {
      x = attr_path(*item, attribute);
      if (!x) r.fail(at, "filter 'sum': an item has no attribute '" + attribute + "'");
    }
    if (is_numeric(total) && is_numeric(*x)) {
      if (is_intlike(total) && is_intlike(*x)) {
        int64_t s = 0;
        if (__builtin_add_overflow(intlike(total), intlike(*x), &s)) r.fail(at, "integer overflow");
        total = doc::Value(s);
      } else {
        double a = total.is_float() ? total.as_float() : static_cast<double>(intlike(total));
        double b = x->is_float() ? x->as_float() : static_cast<double>(intlike(*x));
        total = doc::Value(a + b);
      }
    } else if (total.is_list() && x->is_list()) {
      r.check_list_size(total.size() + x->size(), at);
      for (const auto& e : x->as_list())
        total.push_back(e);
    } else {
      r.fail(at, "filter 'sum': cannot add a " + std::string(type_label(*x)) + " to a " +
                     std::string(type_label(total)));
    }
  }
  return Val::own(std::move(total));
}

Val f_batch(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("batch"), {"linecount", "fill_with"});
  int64_t n = p.integer(0, 0);
  if (n <= 0) r.fail(at, "filter 'batch': linecount must be positive");
  r.check_list_size(static_cast<size_t>(n), at);
  Elements el = elements(r, at, r.value(in, at));
  doc::List out;
  doc::List cur;
  for (const auto* x : el.items) {
    cur.push_back(*x);
    if (static_cast<int64_t>(cur.size()) == n) {
      out.emplace_back(std::move(cur));
      cur = doc::List();
    }
  }
  if (!cur.empty()) {
    if (p.has(1) && !p.value(1).is_null())
      while (static_cast<int64_t>(cur.size()) < n)
        cur.push_back(p.value(1));
    out.emplace_back(std::move(cur));
  }
  return Val::own(doc::Value(std::move(out)));
}

// ------------------------------------------------------------------ maps

doc::Value pair(std::string_view k, const doc::Value& v) {
  doc::List l;
  l.reserve(2);
  l.emplace_back(k);
  l.push_back(v);
  return doc::Value(std::move(l));
}

Val f_items(R& r, const Expr& at, Val& in, CallArgs& args) {
  no_args(r, at, args, "items");
  if (!in.defined()) return Val::own(doc::Value::list());
  const doc::Value& v = r.value(in, at);
  if (!v.is_map()) r.fail(at, "filter 'items' expects a map, not a " + std::string(type_label(v)));
  doc::List out;
  out.reserve(v.as_map().size());
  for (const auto& m : v.as_map())
    out.push_back(pair(m.key, m.value));
  return Val::own(doc::Value(std::move(out)));
}

Val f_dictsort(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("dictsort"), {"case_sensitive", "by", "reverse"});
  bool cs = p.boolean(0, false);
  std::string by = p.string(1, "key");
  bool reverse = p.boolean(2, false);
  if (by != "key" && by != "value") r.fail(at, "filter 'dictsort': 'by' must be key or value");
  const doc::Value& v = r.value(in, at);
  if (!v.is_map())
    r.fail(at, "filter 'dictsort' expects a map, not a " + std::string(type_label(v)));
  const auto& m = v.as_map();
  std::vector<doc::Value> keys;
  for (const auto& mem : m) {
    const doc::Value k = by == "key" ? doc::Value(mem.key) : mem.value;
    keys.push_back(cs ? k : lowered(k));
  }
  std::vector<size_t> order(m.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  sort_by_keys(r, at, order, keys, reverse);
  doc::List out;
  for (size_t i : order)
    out.push_back(pair(m[i].key, m[i].value));
  return Val::own(doc::Value(std::move(out)));
}

Val f_attr(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname("attr"), {"name"});
  std::string name = p.string(0, "");
  const doc::Value& v = r.value(in, at);
  const doc::Value* f = v.find(name);
  if (!f) return Val::undefined(&at, nullptr, UndefReason::kKey, v.type());
  if (in.kind() == Val::Kind::kOwned) return Val::own(*f);
  return Val::ref(*f, in.stable());
}

// ------------------------------------------------------------------ higher order

// Splits "name, arg..." call arguments: the first positional is a filter or
// test name, the rest are passed on.
CallArgs rest_args(CallArgs& args, size_t skip) {
  CallArgs rest;
  for (size_t i = skip; i < args.pos.size(); ++i)
    rest.pos.push_back(args.pos[i]);
  rest.kw = args.kw;
  return rest;
}

Val f_map(R& r, const Expr& at, Val& in, CallArgs& args) {
  const doc::Value& v = r.value(in, at);
  Elements el = elements(r, at, v);
  doc::List out;
  out.reserve(el.items.size());
  auto attr_it = std::find_if(args.kw.begin(), args.kw.end(),
                              [](const auto& kv) { return kv.first == "attribute"; });
  if (attr_it != args.kw.end()) {
    Params p(r, at, args, fname("map"), {"attribute", "default"});
    std::string attribute = p.string(0, "");
    for (const auto* x : el.items) {
      const doc::Value* f = attr_path(*x, attribute);
      if (f) {
        out.push_back(*f);
      } else if (p.has(1)) {
        out.push_back(p.value(1));
      } else {
        r.fail(at, "filter 'map': an item has no attribute '" + attribute + "'");
      }
    }
    return Val::own(doc::Value(std::move(out)));
  }
  if (args.pos.empty()) r.fail(at, "filter 'map' needs a filter name or attribute=");
  std::string filter = r.to_str(args.pos[0], at);
  for (const auto* x : el.items) {
    CallArgs rest = rest_args(args, 1);
    Val res = r.call_filter(at, filter, Val::ref(*x, false), rest);
    out.push_back(r.value(res, at));
  }
  return Val::own(doc::Value(std::move(out)));
}

Val select_impl(R& r, const Expr& at, Val& in, CallArgs& args, bool by_attr, bool keep) {
  const doc::Value& v = r.value(in, at);
  Elements el = elements(r, at, v);
  size_t skip = 0;
  std::string attribute;
  if (by_attr) {
    if (args.pos.empty()) r.fail(at, "filter '" + at.name + "' needs an attribute name");
    attribute = r.to_str(args.pos[0], at);
    skip = 1;
  }
  std::string test;
  bool has_test = args.pos.size() > skip;
  if (has_test) test = r.to_str(args.pos[skip], at);
  doc::List out;
  for (const auto* x : el.items) {
    Val subject;
    if (by_attr) {
      const doc::Value* f = attr_path(*x, attribute);
      subject = f ? Val::ref(*f, false) : Val::undefined(&at, nullptr, UndefReason::kKey);
    } else {
      subject = Val::ref(*x, false);
    }
    bool ok;
    if (has_test) {
      CallArgs rest = rest_args(args, skip + 1);
      ok = r.call_test(at, test, subject, rest);
    } else {
      ok = r.truthy(subject);
    }
    if (ok == keep) out.push_back(*x);
  }
  return Val::own(doc::Value(std::move(out)));
}

Val f_select(R& r, const Expr& at, Val& in, CallArgs& args) {
  return select_impl(r, at, in, args, false, true);
}
Val f_reject(R& r, const Expr& at, Val& in, CallArgs& args) {
  return select_impl(r, at, in, args, false, false);
}
Val f_selectattr(R& r, const Expr& at, Val& in, CallArgs& args) {
  return select_impl(r, at, in, args, true, true);
}
Val f_rejectattr(R& r, const Expr& at, Val& in, CallArgs& args) {
  return select_impl(r, at, in, args, true, false);
}

Val f_default(R& r, const Expr& at, Val& in, CallArgs& args) {
  Params p(r, at, args, fname(at.name), {"default_value", "boolean"});
  bool use_default = !in.defined() || (p.boolean(1, false) && !r.truthy(in));
  if (!use_default) return std::move(in);
  if (p.has(0)) return std::move(*p[0]);
  return str_val("");
}

constexpr FilterDef kFilters[] = {
    {"abs", f_abs, false},
    {"attr", f_attr, false},
    {"b64decode", f_b64decode, false},
    {"b64encode", f_b64encode, false},
    {"basename", f_basename, false},
    {"batch", f_batch, false},
    {"bool", f_bool, false},
    {"capitalize", f_capitalize, false},
    {"center", f_center, false},
    {"count", f_length, false},
    {"d", f_default, true},
    {"default", f_default, true},
    {"dictsort", f_dictsort, false},
    {"dirname", f_dirname, false},
    {"e", f_escape, false},
    {"escape", f_escape, false},
    {"first", f_first, false},
    {"float", f_float, false},
    {"format", f_format, false},
    {"from_json", f_from_json, false},
    {"from_yaml", f_from_yaml, false},
    {"indent", f_indent, false},
    {"int", f_int, false},
    {"items", f_items, true},
    {"join", f_join, false},
    {"last", f_last, false},
    {"length", f_length, false},
    {"list", f_list, false},
    {"lower", f_lower, false},
    {"map", f_map, false},
    {"max", f_max, false},
    {"min", f_min, false},
    {"quote", f_quote, false},
    {"regex_findall", f_regex_findall, false},
    {"regex_replace", f_regex_replace, false},
    {"regex_search", f_regex_search, false},
    {"reject", f_reject, false},
    {"rejectattr", f_rejectattr, false},
    {"render", f_render, false},
    {"replace", f_replace, false},
    {"reverse", f_reverse, false},
    {"round", f_round, false},
    {"safe", f_safe, false},
    {"select", f_select, false},
    {"selectattr", f_selectattr, false},
    {"sha256", f_sha256, false},
    {"slugify", f_slugify, false},
    {"sort", f_sort, false},
    {"string", f_string, false},
    {"sum", f_sum, false},
    {"title", f_title, false},
    {"to_json", f_to_json, false},
    {"to_yaml", f_to_yaml, false},
    {"tojson", f_tojson, false},
    {"trim", f_trim, false},
    {"truncate", f_truncate, false},
    {"unique", f_unique, false},
    {"upper", f_upper, false},
    {"wordcount", f_wordcount, false},
};

}  // namespace

const FilterDef* find_filter(std::string_view name) {
  for (const auto& f : kFilters)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string_view> filter_names() {
  std::vector<std::string_view> out;
  for (const auto& f : kFilters)
    out.push_back(f.name);
  return out;
}

}  // namespace gantry::tmpl
