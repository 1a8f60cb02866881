// Strategic merge patches, as kustomize (kyaml merge2) applies them: maps
// merge key by key, null deletes, lists of built-in Kubernetes types merge
// element by element on their merge key (containers by name, ports by
// containerPort, ...) with the patch's elements first and the target's other
// elements after them; other lists are replaced. `$patch: delete|replace`
// directives are honoured (a replaced list element keeps the target's, as
// kyaml does); `$setElementOrder`, `$retainKeys` and
// `$deleteFromPrimitiveList` directives are ignored. With a custom `openapi:`
// schema, the schema's patch strategies and merge keys decide instead.
#include <algorithm>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

// Kinds whose schema kustomize knows (built-in API groups).
bool is_builtin_group(const std::string& group) {
  static const char* groups[] = {"",
                                 "apps",
                                 "batch",
                                 "autoscaling",
                                 "policy",
                                 "extensions",
                                 "networking.k8s.io",
                                 "rbac.authorization.k8s.io",
                                 "storage.k8s.io",
                                 "scheduling.k8s.io",
                                 "admissionregistration.k8s.io",
                                 "apiextensions.k8s.io",
                                 "apiregistration.k8s.io",
                                 "coordination.k8s.io",
                                 "discovery.k8s.io",
                                 "node.k8s.io",
                                 "certificates.k8s.io",
                                 "events.k8s.io",
                                 "flowcontrol.apiserver.k8s.io"};
  return std::any_of(std::begin(groups), std::end(groups),
                     [&](const char* g) { return group == g; });
}

namespace {

struct Ctx {
  bool builtin = false;
  std::string kind;
  // A custom `openapi:` schema replaces the built-in one; `type` is its
  // definition of the target's kind (null: every list is replaced).
  const OpenApiSchema* custom = nullptr;
  const doc::Value* type = nullptr;
};

// The merge key of the list at `path` (map keys from the object's root), or
// "" when the list is replaced as a whole.
std::string merge_key(const Ctx& ctx, const std::vector<std::string>& path) {
  if (!ctx.builtin || path.empty()) return {};
  const std::string& f = path.back();
  auto in_container = [&] {
    if (path.size() < 2) return false;
    const std::string& p = path[path.size() - 2];
    return p == "containers" || p == "initContainers" || p == "ephemeralContainers";
  };
  if (f == "containers" || f == "initContainers" || f == "ephemeralContainers") return "name";
  if (f == "volumes" || f == "imagePullSecrets" || f == "resourceClaims" || f == "schedulingGates")
    return "name";
  if (f == "env" && in_container()) return "name";
  if (f == "volumeMounts") return "mountPath";
  if (f == "volumeDevices") return "devicePath";
  if (f == "hostAliases") return "ip";
  if (f == "topologySpreadConstraints") return "topologyKey";
  if (f == "ownerReferences") return "uid";
  if (f == "conditions") return "type";
  if (f == "ports") {
    if (in_container()) return "containerPort";
    if (ctx.kind == "Service" && path.size() == 2 && path[0] == "spec") return "port";
  }
  if (f == "secrets" && ctx.kind == "ServiceAccount" && path.size() == 1) return "name";
  if (f == "webhooks" && path.size() == 1 &&
      (ctx.kind == "ValidatingWebhookConfiguration" || ctx.kind == "MutatingWebhookConfiguration"))
    return "name";
  return {};
}

bool is_directive_key(const std::string& k) {
  return k == "$patch" || k == "$retainKeys" || k.rfind("$setElementOrder/", 0) == 0 ||
         k.rfind("$deleteFromPrimitiveList/", 0) == 0;
}

// A patch value with its directives removed (what lands in the target when
// there is nothing to merge with).
doc::Value clean(const doc::Value& v) {
  if (v.is_map()) {
    doc::Value out = doc::Value::map();
    for (const auto& m : v.as_map()) {
      if (is_directive_key(m.key)) continue;
      if (m.value.is_null()) continue;
      if (m.value.is_map()) {
        const doc::Value* p = m.value.find("$patch");
        if (p && p->is_string() && p->as_string() == "delete") continue;
      }
      out.as_map().push_back(doc::Member{m.key, clean(m.value), m.key_span});
    }
    out.set_span(v.span());
    return out;
  }
  if (v.is_list()) {
    doc::Value out = doc::Value::list();
    for (const auto& e : v.as_list()) {
      if (e.is_map()) {
        const doc::Value* p = e.find("$patch");
        if (p && p->is_string() && p->as_string() == "delete") continue;
      }
      out.push_back(clean(e));
    }
    out.set_span(v.span());
    return out;
  }
  return v;
}

std::string directive(const doc::Value& v) {
  if (!v.is_map()) return {};
  const doc::Value* p = v.find("$patch");
  return p && p->is_string() ? p->as_string() : std::string();
}

void merge_map(doc::Value& dst, const doc::Value& patch, const Ctx& ctx,
               std::vector<std::string>& path);

// The merge keys of the list at `path`: kustomize uses the schema's
// x-kubernetes-list-map-keys, so ports are keyed by (port, protocol).
// nullopt: the list is replaced; empty: a list of scalars merged as a set.
std::optional<std::vector<std::string>> merge_keys(const Ctx& ctx,
                                                   const std::vector<std::string>& path) {
  if (ctx.custom) {
    if (!ctx.type) return std::nullopt;
    OpenApiSchema::ListMerge m = ctx.custom->list_keys(ctx.type, path);
    if (m.kind == OpenApiSchema::ListMerge::kReplace) return std::nullopt;
    if (m.kind == OpenApiSchema::ListMerge::kKeys) return m.keys;
  }
  std::string key = merge_key(ctx, path);
  if (key.empty()) return std::nullopt;
  if (key == "containerPort" || key == "port") return std::vector<std::string>{key, "protocol"};
  if (key == "topologyKey") return std::vector<std::string>{key, "whenUnsatisfiable"};
  return std::vector<std::string>{key};
}

using Tuple = std::vector<std::string>;

// The values of `keys` in an element ("" where missing).
Tuple tuple_of(const doc::Value& e, const std::vector<std::string>& keys) {
  Tuple t;
  for (const auto& k : keys) {
    const doc::Value* v = e.is_map() ? e.find(k) : nullptr;
    t.push_back(v && v->is_scalar() && !v->is_null() ? scalar_string(*v) : std::string());
  }
  return t;
}

// kyaml's match(): a common element, and differences only where one is "".
bool tuples_match(const Tuple& a, const Tuple& b, Tuple& merged) {
  if (a.size() != b.size()) return false;
  bool common = false;
  merged.clear();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) {
      common = true;
      merged.push_back(a[i]);
      continue;
    }
    if (!a[i].empty() && !b[i].empty()) return false;
    merged.push_back(a[i].empty() ? b[i] : a[i]);
  }
  return common;
}

bool empty_element(const doc::Value& e) {
  return e.is_null() || (e.is_map() && e.as_map().empty());
}

// kyaml's ElementSetter matching: every key with a value must be present,
// with that value when the value is not "" (keys past the values are not
// checked).
bool setter_matches(const doc::Value& e, const std::vector<std::string>& keys,
                    const Tuple& values) {
  if (!e.is_map() || values.empty()) return false;
  for (size_t j = 0; j < keys.size() && j < values.size(); ++j) {
    const doc::Value* f = e.find(keys[j]);
    if (!f) return false;
    if (!values[j].empty() && !(f->is_scalar() && !f->is_null() && scalar_string(*f) == values[j]))
      return false;
  }
  return true;
}

// kyaml's ElementSetter: drops empty elements; replaces every match with
// `element` (or deletes them when it is null); appends when nothing matched.
void element_setter(doc::List& list, const doc::Value* element,
                    const std::vector<std::string>& keys, const Tuple& values) {
  doc::List out;
  bool found = false;
  for (auto& e : list) {
    if (empty_element(e)) continue;
    if (!setter_matches(e, keys, values)) {
      if (!values.empty()) out.push_back(std::move(e));
      continue;
    }
    found = true;
    if (element) out.push_back(*element);
  }
  list = std::move(out);
  if (element && !found) list.push_back(*element);
}

// First element whose `keys` hold exactly `values`.
long find_element(const doc::List& list, const std::vector<std::string>& keys,
                  const Tuple& values) {
  for (size_t i = 0; i < list.size(); ++i) {
    const doc::Value& e = list[i];
    if (!e.is_map()) continue;
    bool ok = true;
    for (size_t j = 0; j < keys.size() && ok; ++j) {
      const doc::Value* f = e.find(keys[j]);
      ok = f && f->is_scalar() && !f->is_null() && scalar_string(*f) == values[j];
    }
    if (ok) return static_cast<long>(i);
  }
  return -1;
}

// Keys that have a non-empty value in some tuple (all keys when none has).
std::vector<size_t> valid_key_indexes(const std::vector<Tuple>& tuples, size_t nkeys) {
  std::vector<size_t> idx;
  for (size_t k = 0; k < nkeys; ++k)
    for (const auto& t : tuples)
      if (!t[k].empty()) {
        idx.push_back(k);
        break;
      }
  if (idx.empty())
    for (size_t k = 0; k < nkeys; ++k)
      idx.push_back(k);
  return idx;
}

// An associative list merged the way kyaml's walker does it with
// kustomize's "prepend" option: the merged elements in the order of their key
// values (patch first, then the target's), then the target's elements set
// into that list again.
void merge_assoc(doc::Value& dst, const doc::Value& patch, const std::vector<std::string>& keys,
                 const Ctx& ctx, std::vector<std::string>& path) {
  const doc::List& plist = patch.as_list();
  doc::List& dlist = dst.as_list();
  std::vector<Tuple> values;
  auto add = [&](const doc::Value& e) {
    Tuple t = tuple_of(e, keys);
    if (std::find(values.begin(), values.end(), t) == values.end()) values.push_back(t);
  };
  for (const auto& e : plist)
    add(e);
  for (const auto& e : dlist)
    add(e);
  if (keys.size() > 1) {
    Tuple merged;
    for (size_t i = 0; i < values.size(); ++i)
      for (size_t j = 0; j < values.size(); ++j)
        if (tuples_match(values[i], values[j], merged)) {
          values[i] = merged;
          values[j] = merged;
        }
  }
  std::vector<size_t> vidx = valid_key_indexes(values, keys.size());
  std::vector<std::string> vkeys;
  for (size_t k : vidx)
    vkeys.push_back(keys[k]);

  doc::List items;
  for (const auto& t : values) {
    Tuple vvals;
    for (size_t k : vidx)
      vvals.push_back(t[k]);
    // The elements of each side with exactly this tuple's non-empty values.
    std::vector<std::string> lkeys;
    Tuple lvals;
    for (size_t k = 0; k < keys.size(); ++k)
      if (!t[k].empty()) {
        lkeys.push_back(keys[k]);
        lvals.push_back(t[k]);
      }
    if (lkeys.empty()) {
      lkeys = keys;
      lvals = t;
    }
    long di = find_element(dlist, lkeys, lvals);
    long pi = find_element(plist, lkeys, lvals);
    doc::Value val;
    if (pi >= 0 && directive(plist[static_cast<size_t>(pi)]) == "delete") {
      val = doc::Value();
    } else if (di >= 0 && pi >= 0) {
      doc::Value& d = dlist[static_cast<size_t>(di)];
      const doc::Value& p = plist[static_cast<size_t>(pi)];
      // kyaml leaves an element the patch marks `$patch: replace` as it was
      // (kubectl v5.5 prints the target's element unchanged).
      if (directive(p) != "replace") merge_map(d, p, ctx, path);
      val = d;
    } else if (di >= 0) {
      val = dlist[static_cast<size_t>(di)];
    } else if (pi >= 0) {
      val = clean(plist[static_cast<size_t>(pi)]);
    }
    if (empty_element(val)) {
      element_setter(dlist, nullptr, vkeys, vvals);
      continue;
    }
    element_setter(items, &val, vkeys, vvals);
  }
  // Prepend: the target's elements are set into the merged list.
  for (const auto& e : dlist) {
    Tuple v;
    for (const auto& k : vkeys) {
      const doc::Value* f = e.is_map() ? e.find(k) : nullptr;
      if (!f) {
        items.push_back(e);
        continue;
      }
      v.push_back(f->is_scalar() && !f->is_null() ? scalar_string(*f) : std::string());
    }
    if (vkeys.size() > 1) element_setter(items, nullptr, vkeys, v);
    element_setter(items, &e, vkeys, v);
  }
  dst = doc::Value(std::move(items));
}

// A merged list of scalars (patch strategy merge without a merge key): the
// patch's values, then the target's values not among them, each once.
void merge_scalars(doc::Value& dst, const doc::Value& patch) {
  doc::List out;
  auto add = [&](const doc::Value& e) {
    if (e.is_null() || (e.is_map() && e.as_map().empty())) return;
    if (std::none_of(out.begin(), out.end(), [&](const doc::Value& o) { return o == e; }))
      out.push_back(e);
  };
  doc::Value cleaned = clean(patch);
  for (const auto& e : cleaned.as_list())
    add(e);
  for (const auto& e : dst.as_list())
    add(e);
  dst = doc::Value(std::move(out));
}

void merge_list(doc::Value& dst, const doc::Value& patch, const Ctx& ctx,
                std::vector<std::string>& path) {
  std::optional<std::vector<std::string>> keys = merge_keys(ctx, path);
  if (!keys || !dst.is_list()) {
    dst = clean(patch);
    return;
  }
  if (keys->empty()) {
    merge_scalars(dst, patch);
    return;
  }
  merge_assoc(dst, patch, *keys, ctx, path);
}

void merge_map(doc::Value& dst, const doc::Value& patch, const Ctx& ctx,
               std::vector<std::string>& path) {
  if (!dst.is_map()) {
    dst = clean(patch);
    return;
  }
  if (directive(patch) == "replace") {
    dst = clean(patch);
    return;
  }
  for (const auto& m : patch.as_map()) {
    if (is_directive_key(m.key)) continue;
    if (m.value.is_null()) {
      dst.erase(m.key);
      continue;
    }
    doc::Value* existing = dst.find(m.key);
    if (m.value.is_map()) {
      std::string d = directive(m.value);
      if (d == "delete") {
        dst.erase(m.key);
        continue;
      }
      if (!existing || !existing->is_map() || d == "replace") {
        dst.set(m.key, clean(m.value));
        continue;
      }
      path.push_back(m.key);
      merge_map(*existing, m.value, ctx, path);
      path.pop_back();
    } else if (m.value.is_list()) {
      if (!existing) {
        dst.set(m.key, clean(m.value));
        continue;
      }
      path.push_back(m.key);
      merge_list(*existing, m.value, ctx, path);
      path.pop_back();
    } else {
      dst.set(m.key, m.value);
    }
  }
}

}  // namespace

bool strategic_merge(doc::Value& target, const doc::Value& patch) {
  if (!patch.is_map()) patch.fail("a strategic merge patch must be a mapping");
  if (directive(patch) == "delete") return false;
  Gvk g = Gvk::of(target);
  Ctx ctx{is_builtin_group(g.group), g.kind};
  if (const OpenApiSchema* custom = active_openapi_schema();
      custom && !(custom->with_builtin() && ctx.builtin)) {
    ctx.custom = custom;
    ctx.type = custom->type_schema(g);
    if (!ctx.type) ctx.type = custom->type_schema(Gvk::of(patch));
    // Below a built-in definition, the built-in merge keys apply.
    ctx.builtin = true;
  }
  std::vector<std::string> path;
  merge_map(target, patch, ctx, path);
  return true;
}

}  // namespace gantry::kustomize::detail
