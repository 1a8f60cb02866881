#include "sandbox/fieldset.h"

#include <algorithm>

#include "doc/json.h"

namespace gantry::sandbox {

namespace {

using Path = std::vector<std::string>;

bool is_container_list(const std::string& n) {
  return n == "containers" || n == "initContainers" || n == "ephemeralContainers";
}

// Walks a CRD's structural schema along field names; lists are stepped through.
const doc::Value* schema_at(const doc::Value* node, const Path& names) {
  for (const auto& name : names) {
    if (!node) return nullptr;
    while (node && node->get_string("type") == "array")
      node = node->find("items");
    if (!node) return nullptr;
    const doc::Value* props = node->find("properties");
    const doc::Value* next = props ? props->find(name) : nullptr;
    if (!next) {
      const doc::Value* ap = node->find("additionalProperties");
      next = ap && ap->is_map() ? ap : nullptr;
    }
    node = next;
  }
  return node;
}

}  // namespace

ListType list_type(const Path& p, const ResourceType& t) {
  ListType lt;
  if (p.empty()) return lt;
  const std::string& last = p.back();
  if (p.size() == 2 && p[0] == "metadata") {
    if (last == "finalizers") lt.kind = ListType::kSet;
    if (last == "ownerReferences") lt = {ListType::kMap, {"uid"}};
    return lt;
  }
  if (t.custom) {
    const doc::Value* s = t.schema ? schema_at(t.schema.get(), p) : nullptr;
    if (!s) return lt;
    std::string kind = s->get_string("x-kubernetes-list-type");
    if (kind == "set") lt.kind = ListType::kSet;
    if (kind == "map") {
      lt.kind = ListType::kMap;
      if (const doc::Value* keys = s->find("x-kubernetes-list-map-keys"); keys && keys->is_list())
        for (const auto& k : keys->as_list())
          if (k.is_string()) lt.keys.push_back(k.as_string());
      if (lt.keys.empty()) lt.kind = ListType::kAtomic;
    }
    return lt;
  }
  const std::string parent = p.size() >= 2 ? p[p.size() - 2] : "";
  if (is_container_list(last) || last == "imagePullSecrets" || last == "resourceClaims" ||
      (last == "volumes" && parent == "spec") || (last == "env" && is_container_list(parent)))
    return {ListType::kMap, {"name"}};
  if (last == "volumeMounts") return {ListType::kMap, {"mountPath"}};
  if (last == "volumeDevices") return {ListType::kMap, {"devicePath"}};
  if (last == "hostAliases") return {ListType::kMap, {"ip"}};
  if (last == "conditions" && parent == "status") return {ListType::kMap, {"type"}};
  if (last == "topologySpreadConstraints")
    return {ListType::kMap, {"topologyKey", "whenUnsatisfiable"}};
  if (last == "ports" && is_container_list(parent))
    return {ListType::kMap, {"containerPort", "protocol"}};
  if (last == "ports" && p.size() == 2 && p[0] == "spec" && t.kind == "Service")
    return {ListType::kMap, {"port", "protocol"}};
  return lt;
}

std::string item_element(const doc::Value& item, const ListType& lt) {
  if (lt.kind == ListType::kMap && item.is_map()) {
    std::vector<std::string> keys = lt.keys;
    std::sort(keys.begin(), keys.end());
    doc::Value k = doc::Value::map();
    for (const auto& key : keys) {
      const doc::Value* v = item.find(key);
      if (v) {
        k.set(key, *v);
      } else if (key == "protocol") {
        k.set(key, "TCP");  // the apiserver defaults it before keying
      }
    }
    return "k:" + doc::to_json(k);
  }
  return "v:" + doc::to_json(item);
}

doc::Value FieldSet::to_value() const {
  doc::Value v = doc::Value::map();
  if (member && !children.empty()) v.set(".", doc::Value::map());
  for (const auto& [k, c] : children)
    v.set(k, c.to_value());
  return v;
}

FieldSet FieldSet::from_value(const doc::Value& v) {
  FieldSet s;
  if (!v.is_map()) return s;
  for (const auto& m : v.as_map()) {
    if (m.key == ".") {
      s.member = true;
      continue;
    }
    FieldSet c = from_value(m.value);
    if (c.children.empty()) c.member = true;
    s.children[m.key] = std::move(c);
  }
  return s;
}

void FieldSet::members(std::vector<Path>& out, Path& prefix) const {
  if (member) out.push_back(prefix);
  for (const auto& [k, c] : children) {
    prefix.push_back(k);
    c.members(out, prefix);
    prefix.pop_back();
  }
}

std::vector<Path> FieldSet::members() const {
  std::vector<Path> out;
  Path prefix;
  members(out, prefix);
  return out;
}

bool FieldSet::contains(const Path& path) const {
  const FieldSet* n = this;
  for (const auto& e : path) {
    auto it = n->children.find(e);
    if (it == n->children.end()) return false;
    n = &it->second;
  }
  return n->member;
}

void FieldSet::insert(const Path& path) {
  FieldSet* n = this;
  for (const auto& e : path)
    n = &n->children[e];
  n->member = true;
}

namespace {
bool remove_rec(FieldSet& n, const Path& path, size_t i) {
  if (i == path.size()) {
    n.member = false;
    return n.empty();
  }
  auto it = n.children.find(path[i]);
  if (it == n.children.end()) return false;
  if (remove_rec(it->second, path, i + 1)) n.children.erase(it);
  return n.empty();
}
}  // namespace

void FieldSet::remove(const Path& path) {
  remove_rec(*this, path, 0);
}

void FieldSet::merge(const FieldSet& other) {
  member = member || other.member;
  for (const auto& [k, c] : other.children)
    children[k].merge(c);
}

std::string path_string(const Path& path) {
  std::string s;
  for (const auto& e : path) {
    if (e.rfind("f:", 0) == 0) {
      s += "." + e.substr(2);
    } else if (e.rfind("k:", 0) == 0) {
      s += "[";
      try {
        doc::Value k = doc::parse_json(e.substr(2));
        bool first = true;
        for (const auto& m : k.as_map()) {
          if (!first) s += ",";
          first = false;
          s += m.key + "=" + doc::to_json(m.value);
        }
      } catch (const std::exception&) {
        s += e.substr(2);
      }
      s += "]";
    } else if (e.rfind("v:", 0) == 0) {
      s += "[=" + e.substr(2) + "]";
    } else if (e.rfind("i:", 0) == 0) {
      s += "[" + e.substr(2) + "]";
    } else {
      s += "." + e;
    }
  }
  return s;
}

namespace {

struct Collector {
  const ResourceType& t;
  Path names;

  // full: every map and list node is a member too (what an Update creates).
  // Otherwise (what an applied configuration owns, as structured-merge-diff
  // computes it) an empty map or an empty keyed or set list owns nothing;
  // an empty atomic list is owned like a scalar.
  void collect(const doc::Value& v, FieldSet& node, bool full, bool root) {
    if (v.is_map() && (v.size() > 0 || !full)) {
      if (full && !root) node.member = true;
      for (const auto& m : v.as_map()) {
        names.push_back(m.key);
        FieldSet& c = node.children["f:" + m.key];
        collect(m.value, c, full, false);
        if (c.empty()) node.children.erase("f:" + m.key);
        names.pop_back();
      }
      return;
    }
    if (v.is_list() && (v.size() > 0 || !full)) {
      ListType lt = list_type(names, t);
      if (lt.kind != ListType::kAtomic) {
        if (full) node.member = true;
        for (const auto& item : v.as_list())
          collect_item(item, lt, node, full);
        return;
      }
    }
    node.member = true;
  }

  void collect_item(const doc::Value& item, const ListType& lt, FieldSet& list_node, bool full) {
    FieldSet& c = list_node.children[item_element(item, lt)];
    c.member = true;
    if (lt.kind == ListType::kMap && item.is_map()) {
      for (const auto& m : item.as_map()) {
        names.push_back(m.key);
        FieldSet& f = c.children["f:" + m.key];
        collect(m.value, f, full, false);
        if (f.empty()) c.children.erase("f:" + m.key);
        names.pop_back();
      }
    }
  }

  void diff(const doc::Value& after, const doc::Value* before, FieldSet& node, bool root) {
    if (after.is_map() && after.size() > 0) {
      if (!before || !before->is_map()) {
        collect(after, node, true, root);
        return;
      }
      for (const auto& m : after.as_map()) {
        names.push_back(m.key);
        FieldSet& c = node.children["f:" + m.key];
        diff(m.value, before->find(m.key), c, false);
        if (c.empty()) node.children.erase("f:" + m.key);
        names.pop_back();
      }
      return;
    }
    if (after.is_list() && after.size() > 0) {
      ListType lt = list_type(names, t);
      if (lt.kind != ListType::kAtomic) {
        if (!before || !before->is_list()) {
          collect(after, node, true, root);
          return;
        }
        for (const auto& item : after.as_list()) {
          std::string el = item_element(item, lt);
          const doc::Value* old = nullptr;
          for (const auto& b : before->as_list())
            if (item_element(b, lt) == el) old = &b;
          if (!old) {
            collect_item(item, lt, node, true);
            continue;
          }
          if (lt.kind == ListType::kMap && item.is_map()) {
            FieldSet& c = node.children[el];
            for (const auto& m : item.as_map()) {
              names.push_back(m.key);
              FieldSet& f = c.children["f:" + m.key];
              diff(m.value, old->find(m.key), f, false);
              if (f.empty()) c.children.erase("f:" + m.key);
              names.pop_back();
            }
            if (c.empty()) node.children.erase(el);
          }
        }
        return;
      }
    }
    if (!before || !before->equals(after)) node.member = true;
  }
};

}  // namespace

FieldSet apply_set(const doc::Value& obj, const ResourceType& t) {
  FieldSet s;
  Collector c{t, {}};
  c.collect(obj, s, false, true);
  return s;
}

FieldSet changed_set(const doc::Value* before, const doc::Value& after, const ResourceType& t) {
  FieldSet s;
  Collector c{t, {}};
  c.diff(after, before, s, true);
  s.member = false;
  return s;
}

void strip_ignored(FieldSet& s, bool keep_status, bool only_status) {
  s.member = false;
  if (only_status) {
    for (auto it = s.children.begin(); it != s.children.end();)
      it = it->first == "f:status" ? std::next(it) : s.children.erase(it);
    return;
  }
  s.children.erase("f:apiVersion");
  s.children.erase("f:kind");
  if (!keep_status) s.children.erase("f:status");
  auto meta = s.children.find("f:metadata");
  if (meta != s.children.end()) {
    for (const char* f : {"f:name", "f:namespace", "f:uid", "f:resourceVersion", "f:generation",
                          "f:creationTimestamp", "f:managedFields", "f:deletionTimestamp",
                          "f:deletionGracePeriodSeconds", "f:selfLink"})
      meta->second.children.erase(f);
    meta->second.member = false;
    if (meta->second.empty()) s.children.erase(meta);
  }
}

namespace {

// Follows `path` to the value; `names` collects the field names passed.
doc::Value* walk(doc::Value* cur, const Path& path, size_t n, const ResourceType& t, Path& names) {
  for (size_t i = 0; i < n && cur; ++i) {
    const std::string& e = path[i];
    if (e.rfind("f:", 0) == 0) {
      names.push_back(e.substr(2));
      cur = cur->is_map() ? cur->find(e.substr(2)) : nullptr;
    } else if (e.rfind("i:", 0) == 0) {
      size_t idx = std::stoul(e.substr(2));
      cur = cur->is_list() && idx < cur->size() ? &cur->as_list()[idx] : nullptr;
    } else {
      if (!cur->is_list()) return nullptr;
      ListType lt = list_type(names, t);
      doc::Value* found = nullptr;
      for (auto& item : cur->as_list())
        if (item_element(item, lt) == e) {
          found = &item;
          break;
        }
      cur = found;
    }
  }
  return cur;
}

}  // namespace

const doc::Value* resolve(const doc::Value& root, const Path& path, const ResourceType& t) {
  Path names;
  return walk(const_cast<doc::Value*>(&root), path, path.size(), t, names);
}

bool remove_path(doc::Value& root, const Path& path, const ResourceType& t) {
  if (path.empty()) return false;
  Path names;
  doc::Value* parent = walk(&root, path, path.size() - 1, t, names);
  if (!parent) return false;
  const std::string& e = path.back();
  if (e.rfind("f:", 0) == 0) return parent->is_map() && parent->erase(e.substr(2));
  if (!parent->is_list()) return false;
  ListType lt = list_type(names, t);
  auto& items = parent->as_list();
  for (auto it = items.begin(); it != items.end(); ++it) {
    if (item_element(*it, lt) == e) {
      items.erase(it);
      return true;
    }
  }
  return false;
}

namespace {

void merge_rec(doc::Value& live, const doc::Value& applied, const ResourceType& t, Path& names) {
  if (live.is_map() && applied.is_map()) {
    for (const auto& m : applied.as_map()) {
      doc::Value* existing = live.find(m.key);
      if (existing) {
        names.push_back(m.key);
        merge_rec(*existing, m.value, t, names);
        names.pop_back();
      } else {
        live.set(m.key, m.value);
      }
    }
    return;
  }
  if (live.is_list() && applied.is_list()) {
    ListType lt = list_type(names, t);
    if (lt.kind != ListType::kAtomic) {
      for (const auto& item : applied.as_list()) {
        std::string el = item_element(item, lt);
        doc::Value* match = nullptr;
        for (auto& l : live.as_list())
          if (item_element(l, lt) == el) match = &l;
        if (match) {
          merge_rec(*match, item, t, names);
        } else {
          live.push_back(item);
        }
      }
      return;
    }
  }
  live = applied;
}

}  // namespace

void apply_merge(doc::Value& live, const doc::Value& applied, const ResourceType& t) {
  Path names;
  merge_rec(live, applied, t, names);
}

}  // namespace gantry::sandbox
