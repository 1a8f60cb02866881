// JSON patch (RFC 6902): add, remove, replace, move, copy and test, with
// RFC 6901 pointers ("~1" is '/', "~0" is '~', "-" appends to a list).
#include <charconv>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

struct Patcher {
  const Location& where;
  size_t op_index = 0;
  std::string op_name;

  [[noreturn]] void fail(const std::string& why) const {
    throw Error(where, "JSON 6902 patch operation " + std::to_string(op_index + 1) + " (" +
                           op_name + "): " + why);
  }

  std::vector<std::string> parse_pointer(const std::string& ptr) const {
    std::vector<std::string> out;
    if (ptr.empty()) return out;
    if (ptr[0] != '/') fail("invalid path \"" + ptr + "\": a JSON pointer starts with '/'");
    std::string cur;
    for (size_t i = 1; i <= ptr.size(); ++i) {
      if (i == ptr.size() || ptr[i] == '/') {
        out.push_back(cur);
        cur.clear();
      } else if (ptr[i] == '~') {
        if (i + 1 < ptr.size() && ptr[i + 1] == '0')
          cur += '~';
        else if (i + 1 < ptr.size() && ptr[i + 1] == '1')
          cur += '/';
        else
          fail("invalid path \"" + ptr + "\": bad escape");
        ++i;
      } else {
        cur += ptr[i];
      }
    }
    return out;
  }

  static bool parse_index(const std::string& s, size_t& out) {
    if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }

  doc::Value* resolve(doc::Value& root, const std::vector<std::string>& toks, size_t n,
                      const std::string& ptr) const {
    doc::Value* v = &root;
    for (size_t i = 0; i < n; ++i) {
      const std::string& t = toks[i];
      if (v->is_map()) {
        v = v->find(t);
      } else if (v->is_list()) {
        size_t idx = 0;
        if (!parse_index(t, idx) || idx >= v->as_list().size())
          v = nullptr;
        else
          v = &v->as_list()[idx];
      } else {
        v = nullptr;
      }
      if (!v) fail("path \"" + ptr + "\" does not exist in the object");
    }
    return v;
  }

  doc::Value take(doc::Value& root, const std::string& ptr) const {
    auto toks = parse_pointer(ptr);
    if (toks.empty()) fail("cannot remove the whole object");
    doc::Value* parent = resolve(root, toks, toks.size() - 1, ptr);
    const std::string& last = toks.back();
    if (parent->is_map()) {
      doc::Value* v = parent->find(last);
      if (!v) fail("path \"" + ptr + "\" does not exist in the object");
      doc::Value out = *v;
      parent->erase(last);
      return out;
    }
    if (parent->is_list()) {
      size_t idx = 0;
      auto& l = parent->as_list();
      if (!parse_index(last, idx) || idx >= l.size())
        fail("path \"" + ptr + "\" does not exist in the object");
      doc::Value out = l[idx];
      l.erase(l.begin() + static_cast<long>(idx));
      return out;
    }
    fail("path \"" + ptr + "\" does not exist in the object");
  }

  void add(doc::Value& root, const std::string& ptr, doc::Value value) const {
    auto toks = parse_pointer(ptr);
    if (toks.empty()) {
      root = std::move(value);
      return;
    }
    doc::Value* parent = resolve(root, toks, toks.size() - 1, ptr);
    const std::string& last = toks.back();
    if (parent->is_map()) {
      parent->set(last, std::move(value));
      return;
    }
    if (parent->is_list()) {
      auto& l = parent->as_list();
      if (last == "-") {
        l.push_back(std::move(value));
        return;
      }
      size_t idx = 0;
      if (!parse_index(last, idx) || idx > l.size())
        fail("path \"" + ptr + "\": index out of range");
      l.insert(l.begin() + static_cast<long>(idx), std::move(value));
      return;
    }
    fail("path \"" + ptr + "\" does not exist in the object");
  }

  void replace(doc::Value& root, const std::string& ptr, doc::Value value) const {
    auto toks = parse_pointer(ptr);
    if (toks.empty()) {
      root = std::move(value);
      return;
    }
    doc::Value* v = resolve(root, toks, toks.size(), ptr);
    *v = std::move(value);
  }
};

const doc::Value& field(const doc::Value& op, std::string_view key, const Patcher& p) {
  const doc::Value* v = op.find(key);
  if (!v) p.fail("missing \"" + std::string(key) + "\"");
  return *v;
}

std::string string_field(const doc::Value& op, std::string_view key, const Patcher& p) {
  const doc::Value& v = field(op, key, p);
  if (!v.is_string()) p.fail("\"" + std::string(key) + "\" must be a string");
  return v.as_string();
}

}  // namespace

void apply_json6902(doc::Value& target, const doc::Value& ops, const Location& where) {
  if (!ops.is_list()) throw Error(where, "a JSON 6902 patch must be a list of operations");
  Patcher p{where, 0, {}};
  for (const auto& op : ops.as_list()) {
    p.op_name = op.get_string("op", "?");
    if (!op.is_map()) p.fail("an operation must be a mapping");
    std::string name = string_field(op, "op", p);
    std::string path = string_field(op, "path", p);
    if (name == "add") {
      p.add(target, path, field(op, "value", p));
    } else if (name == "remove") {
      p.take(target, path);
    } else if (name == "replace") {
      p.replace(target, path, field(op, "value", p));
    } else if (name == "move") {
      std::string from = string_field(op, "from", p);
      doc::Value v = p.take(target, from);
      p.add(target, path, std::move(v));
    } else if (name == "copy") {
      std::string from = string_field(op, "from", p);
      auto toks = p.parse_pointer(from);
      doc::Value v = *p.resolve(target, toks, toks.size(), from);
      p.add(target, path, std::move(v));
    } else if (name == "test") {
      auto toks = p.parse_pointer(path);
      const doc::Value* v = p.resolve(target, toks, toks.size(), path);
      if (!v->equals(field(op, "value", p)))
        p.fail("test failed: the value at \"" + path + "\" differs");
    } else {
      p.fail("unknown operation \"" + name + "\"");
    }
    ++p.op_index;
  }
}

}  // namespace gantry::kustomize::detail
