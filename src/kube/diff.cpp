#include "kube/diff.h"

#include <algorithm>

#include "core/text_diff.h"
#include "doc/yaml.h"

namespace gantry::kube {

using doc::Value;

Value strip_server_fields(const Value& object) {
  Value v = object;
  if (!v.is_map()) return v;
  v.erase("status");
  if (Value* md = v.find("metadata"); md && md->is_map()) {
    for (const char* k :
         {"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"})
      md->erase(k);
    if (Value* ann = md->find("annotations"); ann && ann->is_map()) {
      ann->erase("kubectl.kubernetes.io/last-applied-configuration");
      if (ann->size() == 0) md->erase("annotations");
    }
  }
  return v;
}

void redact_secrets(Value& before, Value& after) {
  auto is_secret = [](const Value& v) {
    return v.is_map() && v.get_string("kind") == "Secret" && v.get_string("apiVersion") == "v1";
  };
  if (!is_secret(before) && !is_secret(after)) return;
  for (const char* field : {"data", "stringData"}) {
    Value* b = before.is_map() ? before.find(field) : nullptr;
    Value* a = after.is_map() ? after.find(field) : nullptr;
    auto other_value = [](Value* m, const std::string& key) -> const Value* {
      return m && m->is_map() ? m->find(key) : nullptr;
    };
    // Decide every key's mask before writing any.
    std::vector<std::pair<std::string, bool>> same;  // key, equal in both
    for (Value* m : {b, a})
      if (m && m->is_map())
        for (const auto& mem : m->as_map()) {
          const Value* x = other_value(b, mem.key);
          const Value* y = other_value(a, mem.key);
          bool eq = x && y && *x == *y;
          if (std::none_of(same.begin(), same.end(), [&](auto& s) { return s.first == mem.key; }))
            same.emplace_back(mem.key, eq);
        }
    for (const auto& [key, eq] : same) {
      if (b && b->is_map() && b->find(key)) b->set(key, eq ? "***" : "*** (before)");
      if (a && a->is_map() && a->find(key)) a->set(key, eq ? "***" : "*** (after)");
    }
    if (b && !b->is_map()) *b = Value("***");
    if (a && !a->is_map()) *a = Value("***");
  }
}

std::string object_diff(const Value& before, const Value& after, const std::string& name) {
  Value b = before.is_null() ? before : strip_server_fields(before);
  Value a = after.is_null() ? after : strip_server_fields(after);
  redact_secrets(b, a);
  std::string bt = b.is_null() ? "" : doc::to_yaml(doc::sorted_keys(b));
  std::string at = a.is_null() ? "" : doc::to_yaml(doc::sorted_keys(a));
  return unified_diff(bt, at, b.is_null() ? "/dev/null" : "live/" + name,
                      a.is_null() ? "/dev/null" : "rendered/" + name);
}

}  // namespace gantry::kube
