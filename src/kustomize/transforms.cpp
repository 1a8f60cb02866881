// Built-in transformers: namespace, namePrefix/nameSuffix, labels,
// annotations, images and replicas, with kustomize's semantics.
#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

bool is_kind(const Gvk& g, std::string_view group, std::string_view kind) {
  return g.group == group && g.kind == kind;
}

void set_string_at(doc::Value& obj, std::initializer_list<std::string_view> path,
                   const std::string& value, bool create) {
  doc::Value* node = &obj;
  size_t i = 0;
  for (auto key : path) {
    ++i;
    if (!node->is_map() && !(create && node->is_null())) return;
    doc::Value* child = node->find(key);
    if (!child) {
      if (!create) return;
      child = &(*node)[key];
    }
    if (i == path.size()) {
      *child = doc::Value(value);
      return;
    }
    node = child;
  }
}

}  // namespace

void set_namespace(Res& r, const std::string& ns, bool other_fields) {
  Gvk g = Gvk::of(r.obj);
  if (!is_cluster_scoped(g)) r.set_ns(ns);
  if (other_fields && is_kind(g, "", "Namespace")) r.set_name(ns);
  if (g.group == "rbac.authorization.k8s.io" &&
      (g.kind == "RoleBinding" || g.kind == "ClusterRoleBinding")) {
    if (doc::Value* subjects = r.obj.find("subjects"); subjects && subjects->is_list()) {
      for (auto& s : subjects->as_list())
        if (s.is_map() && s.get_string("name") == "default") s.set("namespace", ns);
    }
  }
  if (!other_fields) return;
  if (is_kind(g, "apiregistration.k8s.io", "APIService"))
    set_string_at(r.obj, {"spec", "service", "namespace"}, ns, true);
  if (is_kind(g, "apiextensions.k8s.io", "CustomResourceDefinition"))
    set_string_at(r.obj, {"spec", "conversion", "webhook", "clientConfig", "service", "namespace"},
                  ns, false);
}

void apply_namespace(ResList& list, const std::string& ns, const Location& where,
                     bool other_fields) {
  if (ns.empty()) return;
  for (auto& r : list) {
    r.store_previous_id();
    set_namespace(r, ns, other_fields);
  }
  // Two resources may not end up with the same id.
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    ResId id = list[i].cur_id();
    std::string key = id.gvk.group + "/" + id.gvk.version + "/" + id.gvk.kind + "/" +
                      id.effective_ns() + "/" + id.name;
    auto [it, inserted] = seen.emplace(key, i);
    if (!inserted)
      throw Error(where, "namespace transformation produces ID conflict: " + id.str() + " (from " +
                             list[it->second].source.str() + " and " + list[i].source.str() + ")");
  }
}

void apply_prefix_suffix(ResList& list, const std::string& prefix, const std::string& suffix,
                         const std::vector<Gvk>* kinds) {
  if (prefix.empty() && suffix.empty()) return;
  for (auto& r : list) {
    Gvk g = Gvk::of(r.obj);
    if (kinds &&
        std::none_of(kinds->begin(), kinds->end(), [&](const Gvk& k) { return g.selected_by(k); }))
      continue;
    if (g.kind == "CustomResourceDefinition" ||
        is_kind(g, "apiregistration.k8s.io", "APIService") || g.kind == "Namespace")
      continue;
    r.store_previous_id();
    r.set_name(prefix + r.name() + suffix);
    if (!prefix.empty()) r.prefixes.push_back(prefix);
    if (!suffix.empty()) r.suffixes.push_back(suffix);
  }
}

namespace {

void set_map_entries(doc::Value& node, const doc::Value& entries) {
  if (node.is_null()) node = doc::Value::map();
  if (!node.is_map()) return;
  for (const auto& m : entries.as_map())
    node.set(m.key, doc::Value(scalar_string(m.value)));
}

}  // namespace

void apply_labels(ResList& list, const doc::Value& labels, const std::vector<FieldSpec>& specs) {
  if (!labels.is_map() || labels.as_map().empty()) return;
  for (auto& r : list) {
    Gvk g = Gvk::of(r.obj);
    visit_fieldspecs(r.obj, g, specs, [&](doc::Value& node) { set_map_entries(node, labels); });
  }
}

void apply_annotations(ResList& list, const doc::Value& annotations,
                       const std::vector<FieldSpec>& specs) {
  if (!annotations.is_map() || annotations.as_map().empty()) return;
  for (auto& r : list) {
    Gvk g = Gvk::of(r.obj);
    visit_fieldspecs(r.obj, g, specs,
                     [&](doc::Value& node) { set_map_entries(node, annotations); });
  }
}

namespace {

// kustomize's image.Split: name, tag and digest of an image reference.
void split_image(const std::string& image, std::string& name, std::string& tag,
                 std::string& digest) {
  size_t slash = image.find('/');
  size_t base = 0;
  std::string_view search = image;
  if (slash != std::string::npos && slash > 0) {
    base = slash;
    search = std::string_view(image).substr(slash);
  }
  size_t at = search.find('@');
  size_t colon = search.find(':');
  name = image;
  tag.clear();
  digest.clear();
  if (at == std::string_view::npos && colon == std::string_view::npos) return;
  if (at != std::string_view::npos && (colon == std::string_view::npos || at < colon)) {
    name = image.substr(0, base + at);
    digest = image.substr(base + at + 1);
    return;
  }
  if (at != std::string_view::npos && colon != std::string_view::npos) {
    name = image.substr(0, base + colon);
    tag = image.substr(base + colon + 1, at - colon - 1);
    digest = image.substr(base + at + 1);
    return;
  }
  name = image.substr(0, base + colon);
  tag = image.substr(base + colon + 1);
}

struct CompiledImage {
  const ImageSpec* spec;
  std::unique_ptr<RE2> re;
};

void update_image(doc::Value& image, const CompiledImage& ci) {
  if (!image.is_string()) return;
  const std::string& value = image.as_string();
  bool matched = ci.re ? RE2::FullMatch(value, *ci.re) : value == ci.spec->name;
  if (!matched) return;
  std::string name, tag, digest;
  split_image(value, name, tag, digest);
  const ImageSpec& s = *ci.spec;
  if (!s.new_name.empty()) name = s.new_name;
  if (!s.new_tag.empty() && !s.digest.empty()) {
    tag = s.new_tag;
    digest = s.digest;
  } else if (!s.new_tag.empty()) {
    tag = s.new_tag;
    digest.clear();
  } else if (!s.digest.empty()) {
    tag.clear();
    digest = s.digest;
  }
  std::string out = name;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  image = doc::Value(out);
}

void walk_images(doc::Value& node, const CompiledImage& ci) {
  if (node.is_list()) {
    for (auto& e : node.as_list())
      walk_images(e, ci);
    return;
  }
  if (!node.is_map()) return;
  for (auto& m : node.as_map()) {
    if ((m.key == "containers" || m.key == "initContainers") && m.value.is_list()) {
      for (auto& c : m.value.as_list())
        if (doc::Value* img = c.find("image")) update_image(*img, ci);
    }
    walk_images(m.value, ci);
  }
}

}  // namespace

void apply_images(ResList& list, const std::vector<ImageSpec>& images,
                  const std::vector<FieldSpec>& extra) {
  for (const auto& spec : images) {
    CompiledImage ci{&spec, nullptr};
    // kustomize matches "^" + name + "(@sha256)?(:[a-zA-Z0-9_.{}-]*)?$", with the
    // name itself used as a regular expression (RE2 here: linear time).
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_unique<RE2>(spec.name + "(@sha256)?(:[a-zA-Z0-9_.{}-]*)?", opts);
    if (re->ok()) ci.re = std::move(re);
    for (auto& r : list) {
      walk_images(r.obj, ci);
      if (!extra.empty())
        visit_fieldspecs(r.obj, Gvk::of(r.obj), extra,
                         [&](doc::Value& node) { update_image(node, ci); });
    }
  }
}

void apply_replicas(ResList& list, const ReplicaSpec& rep, const std::vector<FieldSpec>& specs,
                    const Location& where) {
  bool found = false;
  for (const auto& fs : specs) {
    for (auto& r : list) {
      Gvk g = Gvk::of(r.obj);
      if (!g.selected_by(fs.gvk)) continue;
      bool name_match = r.name() == rep.name;
      for (const auto& p : r.prev)
        if (p.name == rep.name && p.gvk.selected_by(fs.gvk)) name_match = true;
      if (!name_match) continue;
      found = true;
      visit_path(r.obj, split_path(fs.path), true,
                 [&](doc::Value& node) { node = doc::Value(rep.count); });
    }
  }
  if (!found)
    throw Error(where, "replicas: resource with name " + rep.name +
                           " does not match a config with the following GVK [Deployment "
                           "StatefulSet ReplicaSet ReplicationController]");
}

}  // namespace gantry::kustomize::detail
