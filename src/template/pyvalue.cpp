// Python semantics of doc::Value: truthiness, str()/repr(), ==, ordering and
// json.dumps, so that templates print what Python Jinja2 prints.
#include <algorithm>
#include <cmath>
#include <string>

#include "template/runtime.h"
#include "template/text.h"

namespace gantry::tmpl {

namespace {}  // namespace

std::string_view type_label(const doc::Value& v) {
  if (v.is_null()) return "none";
  return doc::type_name(v.type());
}

bool py_truthy(const doc::Value& v) {
  switch (v.type()) {
    case doc::Type::kNull:
      return false;
    case doc::Type::kBool:
      return v.as_bool();
    case doc::Type::kInt:
      return v.as_int() != 0;
    case doc::Type::kFloat:
      return v.as_float() != 0.0;
    case doc::Type::kString:
      return !v.as_string().empty();
    case doc::Type::kList:
      return !v.as_list().empty();
    case doc::Type::kMap:
      return !v.as_map().empty();
  }
  return false;
}

void append_py_repr(std::string& out, const doc::Value& v) {
  switch (v.type()) {
    case doc::Type::kString:
      append_py_repr_string(out, v.as_string());
      return;
    case doc::Type::kList: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        append_py_repr(out, e);
      }
      out += ']';
      return;
    }
    case doc::Type::kMap: {
      out += '{';
      bool first = true;
      for (const auto& m : v.as_map()) {
        if (!first) out += ", ";
        first = false;
        append_py_repr_string(out, m.key);
        out += ": ";
        append_py_repr(out, m.value);
      }
      out += '}';
      return;
    }
    default:
      append_py_str(out, v);
  }
}

void append_py_str(std::string& out, const doc::Value& v) {
  switch (v.type()) {
    case doc::Type::kNull:
      out += "None";
      return;
    case doc::Type::kBool:
      out += v.as_bool() ? "True" : "False";
      return;
    case doc::Type::kInt:
      out += std::to_string(v.as_int());
      return;
    case doc::Type::kFloat:
      out += py_float_repr(v.as_float());
      return;
    case doc::Type::kString:
      out += v.as_string();
      return;
    default:
      append_py_repr(out, v);
  }
}

bool py_equal(const doc::Value& a, const doc::Value& b) {
  if (is_numeric(a) && is_numeric(b)) {
    if (is_intlike(a) && is_intlike(b)) return intlike(a) == intlike(b);
    return numeric(a) == numeric(b);
  }
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case doc::Type::kNull:
      return true;
    case doc::Type::kString:
      return a.as_string() == b.as_string();
    case doc::Type::kList: {
      const auto& x = a.as_list();
      const auto& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!py_equal(x[i], y[i])) return false;
      return true;
    }
    case doc::Type::kMap: {
      const auto& x = a.as_map();
      const auto& y = b.as_map();
      if (x.size() != y.size()) return false;
      for (const auto& m : x) {
        const doc::Value* other = b.find(m.key);
        if (!other || !py_equal(m.value, *other)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

int py_compare(const doc::Value& a, const doc::Value& b, bool* ok) {
  *ok = true;
  if (is_numeric(a) && is_numeric(b)) {
    if (is_intlike(a) && is_intlike(b)) {
      int64_t x = intlike(a), y = intlike(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    double x = numeric(a), y = numeric(b);
    if (std::isnan(x) || std::isnan(y)) return 2;  // unordered: every comparison is false
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.is_list() && b.is_list()) {
    const auto& x = a.as_list();
    const auto& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!py_equal(x[i], y[i])) return py_compare(x[i], y[i], ok);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  *ok = false;
  return 0;
}

void append_py_json(std::string& out, const doc::Value& v, bool sort_keys) {
  switch (v.type()) {
    case doc::Type::kNull:
      out += "null";
      return;
    case doc::Type::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case doc::Type::kInt:
      out += std::to_string(v.as_int());
      return;
    case doc::Type::kFloat: {
      double d = v.as_float();
      if (std::isnan(d)) {
        out += "NaN";
      } else if (std::isinf(d)) {
        out += d < 0 ? "-Infinity" : "Infinity";
      } else {
        out += py_float_repr(d);
      }
      return;
    }
    case doc::Type::kString:
      append_json_string(out, v.as_string());
      return;
    case doc::Type::kList: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        append_py_json(out, e, sort_keys);
      }
      out += ']';
      return;
    }
    case doc::Type::kMap: {
      std::vector<const doc::Member*> members;
      members.reserve(v.as_map().size());
      for (const auto& m : v.as_map())
        members.push_back(&m);
      if (sort_keys)
        std::stable_sort(
            members.begin(), members.end(),
            [](const doc::Member* x, const doc::Member* y) { return x->key < y->key; });
      out += '{';
      bool first = true;
      for (const auto* m : members) {
        if (!first) out += ", ";
        first = false;
        append_json_string(out, m->key);
        out += ": ";
        append_py_json(out, m->value, sort_keys);
      }
      out += '}';
      return;
    }
  }
}

size_t value_depth(const doc::Value& v, size_t limit) {
  if (limit == 0) return 1;
  size_t d = 0;
  if (v.is_list()) {
    for (const auto& e : v.as_list()) {
      d = std::max(d, value_depth(e, limit - 1));
      if (d >= limit) break;
    }
  } else if (v.is_map()) {
    for (const auto& m : v.as_map()) {
      d = std::max(d, value_depth(m.value, limit - 1));
      if (d >= limit) break;
    }
  }
  return d + 1;
}

}  // namespace gantry::tmpl
