// kustomize's replacements: copy a field of one resource (the source) into
// fields of others (the targets), as the `replacements:` field and the
// builtin ReplacementTransformer do (kustomize v5.5's replacement filter).
//
// Field paths are dotted; "[k=v]" selects list elements (by regular
// expression in targets, exactly in the source), "[a.b/c]" is one key, a
// number is a list index, "*" every element (targets only).
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <optional>

#include "doc/yaml.h"
#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

// yaml.v3's implicit resolution of a plain scalar's text.
doc::Value resolve_plain_scalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return doc::Value();
  if (s == "true" || s == "True" || s == "TRUE") return doc::Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return doc::Value(false);
  if (std::string_view("+-.0123456789").find(s[0]) == std::string_view::npos) return doc::Value(s);
  std::string plain;
  for (char c : s)
    if (c != '_') plain += c;
  static const RE2 kInt("[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)");
  if (RE2::FullMatch(plain, kInt)) {
    size_t i = plain[0] == '-' || plain[0] == '+' ? 1 : 0;
    int base = 10;
    std::string digits = plain.substr(i);
    if (digits.size() > 2 && digits[0] == '0' &&
        std::string("xXoObB").find(digits[1]) != std::string::npos) {
      base = digits[1] == 'x' || digits[1] == 'X'   ? 16
             : digits[1] == 'b' || digits[1] == 'B' ? 2
                                                    : 8;
      digits = digits.substr(2);
    } else if (digits.size() > 1 && digits[0] == '0') {
      base = 8;
    }
    errno = 0;
    char* end = nullptr;
    long long n = std::strtoll(digits.c_str(), &end, base);
    if (errno == 0 && end && *end == '\0') return doc::Value(int64_t(plain[0] == '-' ? -n : n));
  }
  static const RE2 kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (RE2::FullMatch(plain, kFloat)) return doc::Value(std::strtod(plain.c_str(), nullptr));
  static const RE2 kInf("[-+]?\\.(inf|Inf|INF)");
  if (RE2::FullMatch(s, kInf)) return doc::Value(s[0] == '-' ? -HUGE_VAL : HUGE_VAL);
  static const RE2 kNan("\\.(nan|NaN|NAN)");
  if (RE2::FullMatch(s, kNan)) return doc::Value(std::nan(""));
  return doc::Value(s);
}

namespace {

Location where_in(const doc::Value& v, const std::string& file) {
  return v.span().known() ? v.span().location() : Location{file};
}

// kyaml's SmarterPathSplitter: '.'-separated, "\." escapes a dot, a
// bracketed part keeps its dots; "[key]" without '=' is the key itself.
std::vector<std::string> split_field_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts.size() > 1 && parts[0].empty()) parts.erase(parts.begin());
  std::vector<std::string> unescaped;
  for (auto& p : parts) {
    if (!unescaped.empty() && unescaped.back().ends_with("\\")) {
      unescaped.back().pop_back();
      unescaped.back() += "." + p;
    } else {
      unescaped.push_back(std::move(p));
    }
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < unescaped.size(); ++i) {
    const std::string& e = unescaped[i];
    if (!e.starts_with("[") || e.ends_with("]")) {
      out.push_back(e);
      continue;
    }
    std::string joined = e;
    while (i + 1 < unescaped.size()) {
      joined += "." + unescaped[++i];
      if (joined.ends_with("]")) break;
    }
    if (joined.find('=') != std::string::npos) {
      out.push_back(joined);
    } else {
      size_t b = joined.find_first_not_of("[]"), e2 = joined.find_last_not_of("[]");
      out.push_back(b == std::string::npos ? std::string() : joined.substr(b, e2 - b + 1));
    }
  }
  return out;
}

bool is_list_part(const std::string& p) {
  return p.starts_with("[") && p.ends_with("]");
}

std::optional<long long> index_part(const std::string& p) {
  if (p.empty() || p.size() > 18) return std::nullopt;
  for (char c : p)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoll(p);
}

// "[name=value]" -> (name, value).
std::pair<std::string, std::string> split_name_value(const std::string& part) {
  std::string inner = part.substr(1, part.size() - 2);
  size_t eq = inner.find('=');
  if (eq == std::string::npos)
    throw Error("list path element must contain fieldName=fieldValue for element to match");
  return {inner.substr(0, eq), inner.substr(eq + 1)};
}

const char* kind_name(const doc::Value& v) {
  return v.is_map() ? "MappingNode" : v.is_list() ? "SequenceNode" : "ScalarNode";
}

void expect_kind(const doc::Value& v, bool map) {
  if (v.is_null() || (map ? v.is_map() : v.is_list())) return;
  throw Error(std::string("wrong node kind: expected ") + (map ? "MappingNode" : "SequenceNode") +
              " but got " + kind_name(v));
}

// yaml.v3's string form of a node (what kyaml compares list keys with).
std::string node_string(const doc::Value& v) {
  std::string s = doc::to_yaml(v);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

// --- the scalar model: a value's text and its tag ---

enum class Tag { kNone, kNull, kBool, kInt, kFloat, kStr };

const char* tag_name(Tag t) {
  switch (t) {
    case Tag::kNull:
      return "!!null";
    case Tag::kBool:
      return "!!bool";
    case Tag::kInt:
      return "!!int";
    case Tag::kFloat:
      return "!!float";
    case Tag::kStr:
      return "!!str";
    case Tag::kNone:
      break;
  }
  return "";
}

Tag tag_of(const doc::Value& v) {
  switch (v.type()) {
    case doc::Type::kNull:
      return Tag::kNull;
    case doc::Type::kBool:
      return Tag::kBool;
    case doc::Type::kInt:
      return Tag::kInt;
    case doc::Type::kFloat:
      return Tag::kFloat;
    default:
      return Tag::kStr;
  }
}

std::string text_of(const doc::Value& v) {
  return v.is_scalar() ? scalar_string(v) : std::string();
}

// Decodes `text` as a scalar tagged `tag` (yaml.v3: a text resolving to
// another type is an error, except an int for a float).
doc::Value decode_as(const std::string& text, Tag tag) {
  if (tag == Tag::kStr) return doc::Value(text);
  doc::Value v = resolve_plain_scalar(text);
  if (tag == Tag::kNone) return v;
  Tag got = tag_of(v);
  if (got == tag) return v;
  if (tag == Tag::kFloat && got == Tag::kInt) return doc::Value(static_cast<double>(v.as_int()));
  throw Error(std::string("cannot decode ") + tag_name(got) + " `" + text + "` as a " +
              tag_name(tag));
}

std::vector<std::string> split(const std::string& s, const std::string& delim) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(delim, start);
    if (p == std::string::npos) break;
    out.push_back(s.substr(start, p - start));
    start = p + delim.size();
  }
  out.push_back(s.substr(start));
  return out;
}

// --- source lookup (kyaml's PathGetter) ---

const doc::Value* lookup(const doc::Value& obj, const std::vector<std::string>& raw) {
  const doc::Value* cur = &obj;
  for (const auto& untrimmed : raw) {
    // kyaml's cleanPath: parts are trimmed, empty ones skipped.
    size_t b = untrimmed.find_first_not_of(" \t\n\r"), e = untrimmed.find_last_not_of(" \t\n\r");
    if (b == std::string::npos) continue;
    const std::string part = untrimmed.substr(b, e - b + 1);
    if (auto idx = index_part(part); idx || part == "-") {
      expect_kind(*cur, false);
      if (!cur->is_list() || cur->as_list().empty()) return nullptr;
      const auto& l = cur->as_list();
      if (part == "-") {
        cur = &l.back();
      } else {
        if (*idx >= static_cast<long long>(l.size())) return nullptr;
        cur = &l[static_cast<size_t>(*idx)];
      }
    } else if (part == "*") {
      throw Error("wildcard is not supported in PathGetter");
    } else if (is_list_part(part)) {
      auto [name, value] = split_name_value(part);
      expect_kind(*cur, false);
      const doc::Value* found = nullptr;
      if (cur->is_list())
        for (const auto& e : cur->as_list()) {
          const doc::Value* f = name.empty() ? &e : (e.is_map() ? e.find(name) : nullptr);
          if (f && f->is_scalar() && text_of(*f) == value) {
            found = &e;
            break;
          }
        }
      if (!found) return nullptr;
      cur = found;
    } else {
      expect_kind(*cur, true);
      if (!cur->is_map()) return nullptr;
      cur = cur->find(part);
      if (!cur) return nullptr;
    }
  }
  return cur;
}

// --- target matching (kyaml's PathMatcher) ---

enum class Create { kNo, kScalar, kMap, kList };

struct Match {
  doc::Value* node;
  bool untagged;  // created here: its text is resolved like a plain scalar
};

doc::Value new_node(const std::string& next, Create create) {
  if (is_list_part(next) || index_part(next)) return doc::Value::list();
  if (next.empty()) {
    if (create == Create::kMap) return doc::Value::map();
    if (create == Create::kList) return doc::Value::list();
    return doc::Value();
  }
  return doc::Value::map();
}

class Matcher {
 public:
  explicit Matcher(Create create) : create_(create) {}

  void match(doc::Value& node, const std::vector<std::string>& path, size_t i, bool untagged,
             std::vector<Match>& out) {
    if (i == path.size()) {
      out.push_back({&node, untagged});
      return;
    }
    const std::string& part = path[i];
    std::string next = i + 1 < path.size() ? path[i + 1] : std::string();
    if (node.is_null() && part != "*") {
      // kyaml adds what it creates below a null node to that node's
      // content, where it can be matched but is never printed: the field
      // is found (or made) in a scratch value that the output never sees.
      bool list_part = index_part(part) || is_list_part(part);
      if (create_ != Create::kNo) {
        scratch_.push_back(list_part ? doc::Value::list() : doc::Value::map());
        match(scratch_.back(), path, i, untagged, out);
        return;
      }
      if (index_part(part)) throw Error("index " + part + " specified but only 0 elements found");
      return;
    }
    if (auto idx = index_part(part)) {
      expect_kind(node, false);
      auto& l = node.as_list();
      bool created = false;
      if (static_cast<long long>(l.size()) == *idx && create_ != Create::kNo) {
        l.push_back(new_node(next, create_));
        created = true;
      }
      if (static_cast<long long>(l.size()) < *idx + 1)
        throw Error("index " + std::to_string(*idx) + " specified but only " +
                    std::to_string(l.size()) + " elements found");
      match(l[static_cast<size_t>(*idx)], path, i + 1, created, out);
    } else if (is_list_part(part)) {
      match_list(node, path, i, out);
    } else if (part == "*") {
      expect_kind(node, false);
      if (node.is_list())
        for (auto& e : node.as_list())
          match(e, path, i + 1, false, out);
    } else {
      expect_kind(node, true);
      doc::Value* field = node.is_map() ? node.find(part) : nullptr;
      bool created = false;
      if (!field) {
        if (create_ == Create::kNo) return;
        if (!node.is_map()) node = doc::Value::map();
        field = &node.set(part, new_node(next, create_));
        created = true;
      }
      match(*field, path, i + 1, created, out);
    }
  }

 private:
  void match_list(doc::Value& node, const std::vector<std::string>& path, size_t i,
                  std::vector<Match>& out) {
    auto [name, value] = split_name_value(path[i]);
    RE2::Options o;
    o.set_log_errors(false);
    RE2 re(value, o);
    if (!re.ok()) throw Error("error parsing regexp: " + re.error() + ": `" + value + "`");
    expect_kind(node, false);
    size_t before = out.size();
    bool primitive = name.empty();
    if (node.is_list())
      for (auto& e : node.as_list()) {
        if (primitive) {
          if (RE2::PartialMatch(node_string(e), re)) out.push_back({&e, false});
          continue;
        }
        const doc::Value* f = e.is_map() ? e.find(name) : nullptr;
        if (!f || f->is_null() || !RE2::PartialMatch(node_string(*f), re)) continue;
        match(e, path, i + 1, false, out);
      }
    if (out.size() > before || create_ == Create::kNo) return;
    if (node.is_null()) node = doc::Value::list();
    if (primitive) {
      node.push_back(resolve_plain_scalar(value));
    } else {
      doc::Value elem = doc::Value::map();
      elem.set(name, resolve_plain_scalar(value));
      node.push_back(std::move(elem));
    }
    match_list(node, path, i, out);
  }

  Create create_;
  std::deque<doc::Value> scratch_;  // stable addresses for the matches in it
};

// --- parsing ---

FieldOptions parse_options(const doc::Value* v, const std::string& file) {
  FieldOptions o;
  if (!v || v->is_null()) return o;
  if (!v->is_map()) throw Error(where_in(*v, file), "replacement options must be a mapping");
  for (const auto& m : v->as_map()) {
    if (m.value.is_null()) continue;
    if (m.key == "delimiter" || m.key == "encoding") {
      if (!m.value.is_string())
        throw Error(where_in(m.value, file), "options." + m.key + " must be a string");
      if (m.key == "delimiter") o.delimiter = m.value.as_string();
    } else if (m.key == "index") {
      if (!m.value.is_int())
        throw Error(where_in(m.value, file), "options.index must be an integer");
      o.index = m.value.as_int();
    } else if (m.key == "create") {
      if (!m.value.is_bool())
        throw Error(where_in(m.value, file), "options.create must be true or false");
      o.create = m.value.as_bool();
    } else {
      throw Error(where_in(m.value, file),
                  "unknown field \"" + m.key + "\" in replacement options");
    }
  }
  return o;
}

// kubectl decodes replacements with encoding/json, which takes a key in any
// case ("fieldpath" is fieldPath): keys are given their one spelling first.
void canonical_keys(doc::Value& v) {
  static const char* kNames[] = {"source",
                                 "targets",
                                 "path",
                                 "group",
                                 "version",
                                 "kind",
                                 "name",
                                 "namespace",
                                 "fieldPath",
                                 "options",
                                 "delimiter",
                                 "index",
                                 "encoding",
                                 "create",
                                 "select",
                                 "reject",
                                 "fieldPaths",
                                 "labelSelector",
                                 "annotationSelector"};
  if (v.is_list()) {
    for (auto& e : v.as_list())
      canonical_keys(e);
    return;
  }
  if (!v.is_map()) return;
  for (auto& m : v.as_map()) {
    for (const char* n : kNames) {
      std::string_view name(n);
      if (m.key.size() == name.size() &&
          std::equal(m.key.begin(), m.key.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        m.key = n;
        break;
      }
    }
    canonical_keys(m.value);
  }
}

// A selector (patch target syntax), errors saying where it stands.
Selector selector_in(const doc::Value& v, const std::string& file, const char* what) {
  try {
    return parse_selector(v, file);
  } catch (Error& e) {
    e.add_context(what);
    throw;
  }
}

Replacement parse_one(const doc::Value& e, const std::string& file) {
  if (!e.is_map()) throw Error(where_in(e, file), "a replacement must be a mapping");
  Replacement r;
  r.where = where_in(e, file);
  for (const auto& m : e.as_map()) {
    if (m.key == "source") {
      if (m.value.is_null()) continue;
      if (!m.value.is_map())
        throw Error(where_in(m.value, file), "replacement source must be a mapping");
      ReplacementSource s;
      // The object's id: the keys of a patch target, less its selectors.
      doc::Value id = doc::Value::map();
      for (const auto& f : m.value.as_map()) {
        if (f.key == "options")
          s.options = parse_options(&f.value, file);
        else if (f.key == "fieldPath")
          s.field_path = f.value.is_null() ? std::string() : scalar_string(f.value);
        else if (f.key == "group" || f.key == "version" || f.key == "kind" || f.key == "name" ||
                 f.key == "namespace")
          id.set(f.key, f.value);
        else
          throw Error(f.key_span.known() ? f.key_span.location() : where_in(f.value, file),
                      "unknown field \"" + f.key + "\" in replacement source");
      }
      Selector sel = selector_in(id, file, "replacement source");
      s.id = ResId{sel.gvk, sel.name, sel.ns};
      r.source = std::move(s);
    } else if (m.key == "targets") {
      if (m.value.is_null()) continue;
      if (!m.value.is_list())
        throw Error(where_in(m.value, file), "replacement targets must be a list");
      r.has_targets = true;
      for (const auto& t : m.value.as_list()) {
        if (!t.is_map()) throw Error(where_in(t, file), "replacement targets must be mappings");
        ReplacementTarget target;
        for (const auto& f : t.as_map()) {
          if (f.key == "select") {
            if (!f.value.is_null())
              target.select = selector_in(f.value, file, "replacement target select");
          } else if (f.key == "reject") {
            if (f.value.is_null()) continue;
            if (!f.value.is_list()) throw Error(where_in(f.value, file), "reject must be a list");
            for (const auto& s : f.value.as_list())
              target.reject.push_back(selector_in(s, file, "replacement target reject"));
          } else if (f.key == "fieldPaths") {
            if (f.value.is_null()) continue;
            if (!f.value.is_list())
              throw Error(where_in(f.value, file), "fieldPaths must be a list");
            for (const auto& p : f.value.as_list())
              target.field_paths.push_back(scalar_string(p));
          } else if (f.key == "options") {
            target.options = parse_options(&f.value, file);
          } else {
            throw Error(where_in(f.value, file),
                        "unknown field \"" + f.key + "\" in replacement target");
          }
        }
        r.targets.push_back(std::move(target));
      }
    } else if (m.key != "path") {
      throw Error(where_in(m.value, file), "unknown field \"" + m.key + "\" in replacement");
    }
  }
  return r;
}

std::string selector_str(const ResId& id) {
  return id.gvk.str() + "/" + (id.name.empty() ? std::string("[noName]") : id.name) + "." +
         (id.ns.empty() ? std::string("[noNs]") : id.ns);
}

std::string source_str(const ReplacementSource& s) {
  std::string out = selector_str(s.id);
  if (!s.field_path.empty()) out += ":" + s.field_path;
  if (!s.options.delimiter.empty() || s.options.create)
    out += ":" + s.options.delimiter + "(" + std::to_string(s.options.index) +
           "), create=" + (s.options.create ? "true" : "false");
  return out;
}

// kustomize's ResId.IsSelectedBy against the resource's current and earlier ids.
bool selected_by_id(const Res& r, const ResId& sel) {
  auto one = [&](const ResId& id) {
    return (sel.name.empty() || sel.name == id.name) &&
           (sel.ns.empty() || sel.effective_ns() == id.effective_ns()) &&
           id.gvk.selected_by(sel.gvk);
  };
  if (one(r.cur_id())) return true;
  for (const auto& p : r.prev)
    if (one(p)) return true;
  return false;
}

ResId id_of(const Selector& s) {
  return ResId{s.gvk, s.name, s.ns};
}

bool labels_match(const Res& r, const Selector& s, const Location& where) {
  const doc::Value* meta = r.obj.find("metadata");
  return match_label_selector(meta ? meta->find("annotations") : nullptr, s.annotation_selector,
                              where) &&
         match_label_selector(meta ? meta->find("labels") : nullptr, s.label_selector, where);
}

doc::Value source_value(const ResList& list, const Replacement& r) {
  const ReplacementSource& s = *r.source;
  const Res* found = nullptr;
  for (const auto& res : list) {
    if (!selected_by_id(res, s.id)) continue;
    if (found) throw Error(r.where, "multiple matches for selector " + source_str(s));
    found = &res;
  }
  if (!found) throw Error(r.where, "nothing selected by " + source_str(s));
  std::string path = s.field_path.empty() ? "metadata.name" : s.field_path;
  const doc::Value* v = nullptr;
  try {
    v = lookup(found->obj, split_field_path(path));
  } catch (Error& e) {
    throw Error(r.where, "error looking up replacement source: " + e.why());
  }
  if (!v || v->is_null() || (v->is_map() && v->as_map().empty()) ||
      (v->is_list() && v->as_list().empty()))
    throw Error(r.where,
                "fieldPath `" + path + "` is missing for replacement source " + selector_str(s.id));
  if (s.options.delimiter.empty()) return *v;
  if (!v->is_scalar()) throw Error(r.where, "delimiter option can only be used with scalar nodes");
  std::string text = text_of(*v);
  auto parts = split(text, s.options.delimiter);
  if (s.options.index < 0 || s.options.index >= static_cast<int64_t>(parts.size()))
    throw Error(r.where, "options.index " + std::to_string(s.options.index) +
                             " is out of bounds for value " + text);
  return decode_as(parts[static_cast<size_t>(s.options.index)], tag_of(*v));
}

void set_field(const Match& m, const doc::Value& value, const FieldOptions& o) {
  doc::Value& t = *m.node;
  bool scalar_target = m.untagged ? value.is_scalar() : t.is_scalar();
  std::string text = text_of(value);
  if (!o.delimiter.empty()) {
    if (!scalar_target) throw Error("delimiter option can only be used with scalar nodes");
    auto tv = split(text_of(t), o.delimiter);
    if (o.index < 0)
      tv.insert(tv.begin(), text);
    else if (o.index >= static_cast<int64_t>(tv.size()))
      tv.push_back(text);
    else
      tv[static_cast<size_t>(o.index)] = text;
    text.clear();
    for (size_t i = 0; i < tv.size(); ++i)
      text += (i ? o.delimiter : "") + tv[i];
  }
  if (scalar_target) {
    // Only the text is copied: the target keeps its type.
    t = decode_as(text, m.untagged ? Tag::kNone : tag_of(t));
  } else if (!o.delimiter.empty()) {
    t = decode_as(text, tag_of(value));
  } else {
    t = value;
  }
}

void apply_target(ResList& list, const doc::Value& value, const ReplacementTarget& target,
                  const Location& where) {
  if (!target.select) throw Error(where, "target must specify resources to select");
  std::vector<std::string> paths = target.field_paths;
  if (paths.empty()) paths.push_back("metadata.name");
  Create create = Create::kNo;
  if (target.options.create)
    create = value.is_map() ? Create::kMap : value.is_list() ? Create::kList : Create::kScalar;
  for (auto& r : list) {
    if (!labels_match(r, *target.select, where)) continue;
    bool rejected = false;
    for (const auto& rej : target.reject) {
      bool by_labels = !rej.annotation_selector.empty() || !rej.label_selector.empty();
      ResId rid = id_of(rej);
      bool by_id = !(rid.gvk == Gvk{} && rid.name.empty() && rid.ns.empty());
      if ((by_labels && labels_match(r, rej, where)) || (by_id && selected_by_id(r, rid))) {
        rejected = true;
        break;
      }
    }
    if (rejected || !selected_by_id(r, id_of(*target.select))) continue;
    for (const auto& fp : paths) {
      std::string what = std::string("unable to find ") +
                         (create != Create::kNo ? "or create " : "") + "field \"" + fp +
                         "\" in replacement target";
      std::vector<Match> fields;
      Matcher matcher(create);
      try {
        matcher.match(r.obj, split_field_path(fp), 0, false, fields);
      } catch (Error& e) {
        throw Error(where, what + ": " + e.why());
      }
      if (fields.empty()) throw Error(where, what);
      for (const auto& f : fields) {
        try {
          set_field(f, value, target.options);
        } catch (Error& e) {
          throw Error(where,
                      e.why() + " (replacement target " + r.cur_id().str() + ", field " + fp + ")");
        }
      }
    }
  }
}

}  // namespace

std::vector<Replacement> parse_replacements(const doc::Value& list, const std::string& file,
                                            const PathReader& read_path) {
  std::vector<Replacement> out;
  if (list.is_null()) return out;
  if (!list.is_list()) throw Error(where_in(list, file), "replacements must be a list");
  for (doc::Value e : list.as_list()) {
    canonical_keys(e);
    const doc::Value* path = e.is_map() ? e.find("path") : nullptr;
    if (!path || path->is_null() || scalar_string(*path).empty()) {
      out.push_back(parse_one(e, file));
      continue;
    }
    if (e.find("source") || e.find("targets"))
      throw Error(where_in(e, file), "cannot specify both path and inline replacement");
    auto [text, name] = read_path(scalar_string(*path), where_in(*path, file));
    doc::Value content = doc::parse_yaml(text, name);
    canonical_keys(content);
    if (content.is_list()) {
      for (const auto& r : content.as_list())
        out.push_back(parse_one(r, name));
    } else if (content.is_map()) {
      out.push_back(parse_one(content, name));
    } else {
      throw Error(
          Location{name},
          std::string("unsupported replacement type encountered within replacement path: ") +
              (content.is_null()     ? "invalid"
               : content.is_string() ? "string"
                                     : "scalar"));
    }
  }
  return out;
}

void apply_replacements(ResList& list, const std::vector<Replacement>& replacements) {
  for (const auto& r : replacements) {
    if (!r.source || !r.has_targets)
      throw Error(r.where, "replacements must specify a source and at least one target");
    doc::Value value = source_value(list, r);
    for (const auto& t : r.targets)
      apply_target(list, value, t, r.where);
  }
}

}  // namespace gantry::kustomize::detail
