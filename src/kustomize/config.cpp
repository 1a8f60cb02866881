// Transformer configurations (`configurations:` files): custom field specs
// for commonLabels, commonAnnotations, labels, templateLabels, images, replicas, varReference and
// nameReference, merged with kustomize's defaults the way kustomize does.
#include <algorithm>
#include <cctype>

#include "doc/yaml.h"
#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

std::string str(const doc::Value& m, std::string_view key, const std::string& file) {
  return optional_string(m, key, "", file);
}

Gvk gvk_of(const doc::Value& m, const std::string& file) {
  return Gvk{str(m, "group", file), str(m, "version", file), str(m, "kind", file)};
}

}  // namespace

std::vector<FieldSpec> parse_field_specs(const doc::Value& list, const std::string& what,
                                         const std::string& file) {
  std::vector<FieldSpec> out;
  if (list.is_null()) return out;
  if (!list.is_list())
    throw Error(where_of(list, file), what + " must be a list (in " + file + ")");
  for (const auto& e : list.as_list()) {
    if (!e.is_map()) throw Error(where_of(e, file), what + " entries must be mappings");
    FieldSpec f{gvk_of(e, file), str(e, "path", file), false};
    for (const auto& m : e.as_map()) {
      if (m.key == "create") {
        if (!m.value.is_bool())
          throw Error(where_of(m.value, file), "create must be true or false");
        f.create = m.value.as_bool();
      } else if (m.key != "group" && m.key != "version" && m.key != "kind" && m.key != "path") {
        throw Error(where_of(m.value, file),
                    what + " field \"" + m.key + "\" is not supported (in " + file + ")");
      }
    }
    if (f.path.empty())
      throw Error(where_of(e, file), what + " entries need a path (in " + file + ")");
    out.push_back(std::move(f));
  }
  return out;
}

namespace {

void merge_specs(std::vector<FieldSpec>& into, const std::vector<FieldSpec>& add,
                 const Location& where) {
  for (const auto& f : add) {
    auto it = std::find_if(into.begin(), into.end(),
                           [&](const FieldSpec& x) { return x.gvk == f.gvk && x.path == f.path; });
    if (it == into.end()) {
      into.push_back(f);
    } else if (it->create != f.create) {
      throw Error(where, "conflicting fieldspecs: the path " + f.path + " of " + f.gvk.str() +
                             " is given with create true and false");
    }
  }
}

}  // namespace

const TransformerConfig& TransformerConfig::defaults() {
  static const TransformerConfig d = [] {
    TransformerConfig c;
    c.common_labels = common_label_specs();
    c.common_annotations = common_annotation_specs();
    c.var_reference = var_reference_specs();
    c.replicas = replica_specs();
    return c;
  }();
  return d;
}

void TransformerConfig::merge(const TransformerConfig& o, const Location& where) {
  merge_specs(common_labels, o.common_labels, where);
  merge_specs(common_annotations, o.common_annotations, where);
  merge_specs(var_reference, o.var_reference, where);
  merge_specs(replicas, o.replicas, where);
  merge_specs(images, o.images, where);
  merge_specs(labels, o.labels, where);
  merge_specs(template_labels, o.template_labels, where);
  for (const auto& n : o.name_reference) {
    auto it = std::find_if(name_reference.begin(), name_reference.end(),
                           [&](const NameRefSpec& x) { return x.target == n.target; });
    if (it == name_reference.end())
      name_reference.push_back(n);
    else
      merge_specs(it->referrers, n.referrers, where);
  }
}

namespace {

std::string join_path(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : "/") + p;
  return out;
}

// kustomize's loadCrdIntoConfig: walks the properties of `type_name` (and
// the types they $ref) collecting the field specs its x-kubernetes-*
// extensions declare for objects of `gvk`.
void load_crd_type(TransformerConfig& c, const Gvk& gvk, const doc::Value& defs,
                   const std::string& type_name, std::vector<std::string>& path,
                   const std::string& file) {
  if (path.size() > 64)
    throw Error(Location{file},
                "crds: $ref nesting deeper than 64 levels (a cycle?) at " + join_path(path));
  const doc::Value* def = defs.find(type_name);
  if (!def) return;
  const doc::Value* schema = find_key_any_case(*def, "Schema");
  const doc::Value* props = schema ? schema->find("properties") : nullptr;
  if (!props || !props->is_map()) return;
  for (const auto& p : props->as_map()) {
    const doc::Value& prop = p.value;
    if (!prop.is_map()) continue;
    auto ext = [&](std::string_view key) -> const doc::Value* {
      const doc::Value* v = prop.find(key);
      return v && v->is_string() ? v : nullptr;
    };
    path.push_back(p.key);
    FieldSpec here{gvk, join_path(path), false};
    if (ext("x-kubernetes-annotation")) merge_specs(c.common_annotations, {here}, Location{file});
    if (ext("x-kubernetes-label-selector")) merge_specs(c.common_labels, {here}, Location{file});
    if (ext("x-kubernetes-identity"))
      throw Error(Location{file}, "crds: x-kubernetes-identity (a name-prefixed field, " +
                                      here.path +
                                      ") is not supported by gantry's kustomize engine");
    const doc::Value* version = ext("x-kubernetes-object-ref-api-version");
    const doc::Value* kind = ext("x-kubernetes-object-ref-kind");
    if (version && kind) {
      const doc::Value* name_key = ext("x-kubernetes-object-ref-name-key");
      std::string key = name_key ? name_key->as_string() : "name";
      NameRefSpec n{Gvk{"", version->as_string(), kind->as_string()},
                    {FieldSpec{gvk, here.path + "/" + key, false}}};
      TransformerConfig one;
      one.name_reference.push_back(std::move(n));
      c.merge(one, Location{file});
    }
    if (const doc::Value* ref = prop.find("$ref");
        ref && ref->is_string() && !ref->as_string().empty())
      load_crd_type(c, gvk, defs, ref->as_string(), path, file);
    path.pop_back();
  }
}

}  // namespace

TransformerConfig parse_crd_config(const std::string& text, const std::string& file) {
  doc::Value defs = doc::parse_yaml(text, file);
  TransformerConfig c;
  if (defs.is_null()) return c;
  if (!defs.is_map())
    throw Error(Location{file}, "unable to parse open API definition from '" + file +
                                    "': expected a mapping of type names to definitions");
  for (const auto& d : defs.as_map()) {
    const doc::Value* schema = find_key_any_case(d.value, "Schema");
    const doc::Value* props = schema ? schema->find("properties") : nullptr;
    // Only types that look like Kubernetes objects.
    if (!props || !props->find("kind") || !props->find("apiVersion") || !props->find("metadata"))
      continue;
    size_t dot = d.key.rfind('.');
    Gvk gvk{"", "", dot == std::string::npos ? d.key : d.key.substr(dot + 1)};
    std::vector<std::string> path;
    load_crd_type(c, gvk, defs, d.key, path, file);
  }
  return c;
}

TransformerConfig parse_transformer_config(const std::string& text, const std::string& file) {
  doc::Value v = doc::parse_yaml(text, file);
  TransformerConfig c;
  if (v.is_null()) return c;
  if (!v.is_map()) throw Error(where_of(v, file), "a transformer configuration must be a mapping");
  for (const auto& m : v.as_map()) {
    if (m.key == "commonLabels") {
      c.common_labels = parse_field_specs(m.value, m.key, file);
    } else if (m.key == "commonAnnotations") {
      c.common_annotations = parse_field_specs(m.value, m.key, file);
    } else if (m.key == "varReference") {
      c.var_reference = parse_field_specs(m.value, m.key, file);
    } else if (m.key == "replicas") {
      c.replicas = parse_field_specs(m.value, m.key, file);
    } else if (m.key == "images") {
      c.images = parse_field_specs(m.value, m.key, file);
    } else if (m.key == "labels") {
      c.labels = parse_field_specs(m.value, m.key, file);
    } else if (m.key == "templateLabels") {
      c.template_labels = parse_field_specs(m.value, m.key, file);
    } else if (m.key == "nameReference") {
      if (m.value.is_null()) continue;
      if (!m.value.is_list())
        throw Error(where_of(m.value, file), "nameReference must be a list (in " + file + ")");
      for (const auto& e : m.value.as_list()) {
        if (!e.is_map()) throw Error(where_of(e, file), "nameReference entries must be mappings");
        NameRefSpec n{gvk_of(e, file), {}};
        for (const auto& f : e.as_map()) {
          if (f.key == "fieldSpecs")
            n.referrers = parse_field_specs(f.value, "nameReference.fieldSpecs", file);
          else if (f.key != "group" && f.key != "version" && f.key != "kind")
            throw Error(where_of(f.value, file),
                        "nameReference field \"" + f.key + "\" is not supported (in " + file + ")");
        }
        n.referrers.erase(std::unique(n.referrers.begin(), n.referrers.end(),
                                      [](const FieldSpec& a, const FieldSpec& b) {
                                        return a.gvk == b.gvk && a.path == b.path;
                                      }),
                          n.referrers.end());
        c.name_reference.push_back(std::move(n));
      }
    } else if (m.key == "namePrefix" || m.key == "nameSuffix" || m.key == "namespace") {
      // Entries equal to kustomize's defaults change nothing; others would
      // rename or re-namespace other fields, which gantry does not do.
      std::string path = m.key == "namespace" ? "metadata/namespace" : "metadata/name";
      for (const auto& f : parse_field_specs(m.value, m.key, file))
        if (f.path != path || !(f.gvk == Gvk{}))
          throw Error(where_of(m.value, file), "transformer configuration \"" + m.key + "\" in " +
                                                   file + " with the path " + f.path +
                                                   " is not supported by gantry's kustomize engine "
                                                   "(only the default " +
                                                   path + ")");
    } else {
      Location where = m.key_span.known() ? m.key_span.location() : Location{file};
      throw Error(where, "transformer configuration \"" + m.key + "\" in " + file +
                             " is not supported by gantry's kustomize engine (supported: "
                             "commonLabels, commonAnnotations, labels, templateLabels, images, "
                             "replicas, varReference, nameReference)");
    }
  }
  return c;
}

}  // namespace gantry::kustomize::detail
