#include "kube/noop.h"

#include "core/error.h"
#include "doc/json.h"

namespace gantry::kube {

using doc::Value;

namespace {

// Every field of `want` is in `have` with an equal value.
bool contained(const Value& want, const Value& have) {
  if (want.is_map()) {
    if (!have.is_map()) return false;
    for (const auto& m : want.as_map()) {
      const Value* h = have.find(m.key);
      if (!h || !contained(m.value, *h)) return false;
    }
    return true;
  }
  if (want.is_list()) {
    if (!have.is_list() || have.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i)
      if (!contained(want.as_list()[i], have.as_list()[i])) return false;
    return true;
  }
  if (want.is_null()) return false;  // an applied null removes the field
  return want == have;
}

// The item of `list` whose fields equal every key of `keys`. Kubernetes
// defaults `protocol` (TCP) in the merge keys of ports, so an item without it
// matches TCP.
const Value* keyed_item(const Value& list, const Value& keys) {
  for (const Value& item : list.as_list()) {
    if (!item.is_map()) continue;
    bool all = true;
    for (const auto& k : keys.as_map()) {
      const Value* v = item.find(k.key);
      if (v ? !(*v == k.value)
            : !(k.key == "protocol" && k.value.is_string() && k.value.as_string() == "TCP")) {
        all = false;
        break;
      }
    }
    if (all) return &item;
  }
  return nullptr;
}

// Every field of the FieldsV1 set `owned` exists in `desired`.
bool covered(const Value& owned, const Value& desired) {
  if (!owned.is_map()) return false;
  for (const auto& m : owned.as_map()) {
    const std::string& k = m.key;
    if (k == ".") continue;
    if (k.size() < 2 || k[1] != ':') return false;
    std::string_view rest = std::string_view(k).substr(2);
    const Value* child = nullptr;
    try {
      switch (k[0]) {
        case 'f':
          if (!desired.is_map()) return false;
          child = desired.find(rest);
          break;
        case 'k': {
          if (!desired.is_list()) return false;
          Value keys = doc::parse_json(rest, "<fieldsV1>");
          if (!keys.is_map()) return false;
          child = keyed_item(desired, keys);
          break;
        }
        case 'v': {
          if (!desired.is_list()) return false;
          Value v = doc::parse_json(rest, "<fieldsV1>");
          for (const Value& item : desired.as_list())
            if (item == v) child = &item;
          if (!child) return false;
          continue;  // a set item owns no sub-fields
        }
        case 'i': {
          if (!desired.is_list()) return false;
          size_t idx = std::stoul(std::string(rest));
          if (idx >= desired.size()) return false;
          child = &desired.as_list()[idx];
          break;
        }
        default:
          return false;
      }
    } catch (const std::exception&) {
      return false;  // a key we cannot read: let the server decide
    }
    if (!child || !covered(m.value, *child)) return false;
  }
  return true;
}

}  // namespace

bool apply_is_noop(const Value& desired, const Value& live, std::string_view manager) {
  const Value* mf = live.find_path({"metadata", "managedFields"});
  if (!mf || !mf->is_list()) return false;
  const Value* ours = nullptr;
  for (const Value& e : mf->as_list())
    if (e.is_map() && e.get_string("manager") == manager && e.get_string("operation") == "Apply" &&
        e.get_string("subresource").empty())
      ours = &e;
  if (!ours || ours->get_string("apiVersion") != desired.get_string("apiVersion")) return false;
  const Value* fields = ours->find("fieldsV1");
  if (!fields || !covered(*fields, desired)) return false;
  return contained(desired, live);
}

}  // namespace gantry::kube
