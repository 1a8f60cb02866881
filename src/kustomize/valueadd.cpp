// The builtin ValueAddTransformer: writes one string (by default the name of
// the kustomization's directory) into a field of the selected objects, whole
// or as one part of a file path held there (kustomize v5.5's valueadd filter).
#include <filesystem>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

// kyaml's PathSplit: "/a/b" -> {"", "a", "b"}, "a/b" -> {"a", "b"}.
std::vector<std::string> path_split(const std::string& p) {
  if (p.empty()) return {};
  size_t slash = p.rfind('/');
  std::string dir = slash == std::string::npos ? std::string() : p.substr(0, slash + 1);
  std::string last = slash == std::string::npos ? p : p.substr(slash + 1);
  if (dir == "/")
    return last.empty() ? std::vector<std::string>{""} : std::vector<std::string>{"", last};
  if (!dir.empty()) dir.pop_back();
  if (dir.empty()) return {last};
  auto out = path_split(dir);
  out.push_back(last);
  return out;
}

// Go's filepath.Join of `parts` (empty parts skipped, the result cleaned).
std::string join_clean(const std::vector<std::string>& parts, size_t from) {
  std::string joined;
  for (size_t i = from; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    if (!joined.empty()) joined += "/";
    joined += parts[i];
  }
  if (joined.empty()) return {};
  std::string s = std::filesystem::path(joined).lexically_normal().generic_string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

// kyaml's InsertPathPart: `part` becomes the element at `pos` of the path.
std::string insert_path_part(const std::string& path, long long pos, const std::string& part) {
  if (part.empty()) return path;
  auto parts = path_split(path);
  if (pos < 0) pos = 0;
  if (pos > static_cast<long long>(parts.size())) pos = static_cast<long long>(parts.size());
  if (!parts.empty() && parts[0].empty() && pos < static_cast<long long>(parts.size())) ++pos;
  parts.insert(parts.begin() + pos, part);
  if (parts[0].empty()) return "/" + join_clean(parts, 1);
  return join_clean(parts, 0);
}

// kyaml's LookupCreate(ScalarNode, fields...): the field at `path`, with
// maps (and "[k=v]" list elements) made on the way; nullptr when an index
// is missing.
doc::Value* lookup_create(doc::Value& obj, const std::vector<std::string>& path) {
  doc::Value* cur = &obj;
  for (size_t i = 0; i < path.size(); ++i) {
    const std::string& part = path[i];
    if (part.empty()) continue;
    bool last = i + 1 == path.size();
    std::string next = last ? std::string() : path[i + 1];
    bool next_is_list =
        next.starts_with("[") ||
        (!next.empty() && next.find_first_not_of("0123456789") == std::string::npos);
    auto fresh = [&] {
      return last ? doc::Value() : next_is_list ? doc::Value::list() : doc::Value::map();
    };
    if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos) {
      if (!cur->is_list()) {
        if (!cur->is_null()) throw Error("wrong node kind: expected SequenceNode");
        return nullptr;
      }
      size_t idx = std::stoul(part);
      if (idx >= cur->as_list().size()) return nullptr;
      cur = &cur->as_list()[idx];
    } else if (part.starts_with("[") && part.ends_with("]")) {
      std::string inner = part.substr(1, part.size() - 2);
      size_t eq = inner.find('=');
      if (eq == std::string::npos)
        throw Error("list path element must contain fieldName=fieldValue for element to match");
      std::string k = inner.substr(0, eq), v = inner.substr(eq + 1);
      if (cur->is_null()) *cur = doc::Value::list();
      if (!cur->is_list()) throw Error("wrong node kind: expected SequenceNode");
      doc::Value* found = nullptr;
      for (auto& e : cur->as_list()) {
        const doc::Value* f = k.empty() ? &e : (e.is_map() ? e.find(k) : nullptr);
        if (f && f->is_scalar() && scalar_string(*f) == v) {
          found = &e;
          break;
        }
      }
      if (!found) {
        if (k.empty()) {
          found = &cur->push_back(doc::Value(v));
        } else {
          doc::Value elem = doc::Value::map();
          elem.set(k, doc::Value(v));
          found = &cur->push_back(std::move(elem));
        }
      }
      cur = found;
    } else {
      if (cur->is_null()) *cur = doc::Value::map();
      if (!cur->is_map()) throw Error("wrong node kind: expected MappingNode");
      doc::Value* f = cur->find(part);
      cur = f ? f : &cur->set(part, fresh());
    }
  }
  return cur;
}

bool quoted(const doc::Value& v) {
  auto s = v.style();
  return v.is_string() && s != doc::ScalarStyle::kPlain && s != doc::ScalarStyle::kAny;
}

}  // namespace

void apply_value_add(ResList& list, const ValueAddArgs& args) {
  for (const auto& t : args.targets) {
    std::vector<size_t> chosen;
    if (t.selector) {
      chosen = select(list, *t.selector, args.where);
    } else {
      for (size_t i = 0; i < list.size(); ++i)
        chosen.push_back(i);
    }
    for (size_t i : chosen) {
      Res& r = list[i];
      if (t.field_path == "metadata/namespace") {
        set_namespace(r, args.value, false);
        continue;
      }
      std::vector<std::string> fields;
      for (auto& f : split_path(t.field_path))
        fields.push_back(f);
      try {
        doc::Value* n = lookup_create(r.obj, fields);
        if (!n) continue;
        if (!n->is_scalar())
          throw Error(std::string("wrong node kind: expected ScalarNode but got ") +
                      (n->is_map() ? "MappingNode" : "SequenceNode"));
        std::string value = args.value;
        if (t.file_path_position > 0)
          value = insert_path_part(n->is_null() ? std::string() : scalar_string(*n),
                                   t.file_path_position - 1, value);
        // The new scalar takes the old one's style: quoted stays a string,
        // plain is resolved like any plain scalar.
        *n = quoted(*n) ? doc::Value(value) : resolve_plain_scalar(value);
      } catch (Error& e) {
        throw Error(args.where, e.why() + " (ValueAddTransformer, " + r.cur_id().str() +
                                    ", fieldPath " + t.field_path + ")");
      }
    }
  }
}

}  // namespace gantry::kustomize::detail
