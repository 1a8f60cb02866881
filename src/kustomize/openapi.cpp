// The kustomization's `openapi:` field, as kustomize v5.5 (kyaml/openapi)
// reads it: `version` picks a builtin Kubernetes schema (only v1.21.2, the
// default, is built in), `path` a custom schema file that then replaces the
// built-in schema for the whole build.
#include <algorithm>

#include "doc/yaml.h"
#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

thread_local const OpenApiSchema* active_schema = nullptr;

// The only Kubernetes schema kustomize v5.5 has built in.
constexpr std::string_view kBuiltinVersion = "v1.21.2";

std::string type_key(const std::string& api_version, const std::string& kind) {
  return api_version + " " + kind;
}

// kyaml's toTypeMeta: {group, version, kind} as "apiVersion kind" ("" when
// malformed).
std::string type_key_of(const doc::Value& gvk) {
  if (!gvk.is_map()) return {};
  const doc::Value* v = gvk.find("version");
  const doc::Value* k = gvk.find("kind");
  if (!v || !v->is_string() || !k || !k->is_string()) return {};
  std::string api_version = v->as_string();
  if (const doc::Value* g = gvk.find("group"); g && g->is_string() && !g->as_string().empty())
    api_version = g->as_string() + "/" + api_version;
  return type_key(api_version, k->as_string());
}

// x-kubernetes-patch-strategy lists strategies separated by commas.
bool has_merge_strategy(const std::string& strategy) {
  size_t start = 0;
  while (start <= strategy.size()) {
    size_t comma = strategy.find(',', start);
    if (comma == std::string::npos) comma = strategy.size();
    if (strategy.compare(start, comma - start, "merge") == 0) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

OpenApiSchema OpenApiSchema::parse(const std::string& text, const std::string& file) {
  doc::Value root = doc::parse_yaml(text, file);
  if (!root.is_null() && !root.is_map())
    throw Error(Location{file}, "invalid schema file " + file +
                                    ": expected a mapping with `definitions` (an OpenAPI v2 "
                                    "document)");
  OpenApiSchema s;
  s.definitions_ = doc::Value::map();
  if (root.is_null()) return s;
  if (const doc::Value* defs = root.find("definitions"); defs && !defs->is_null()) {
    if (!defs->is_map())
      throw Error(where_of(*defs, file),
                  "invalid schema file " + file + ": `definitions` must be a mapping");
    s.definitions_ = *defs;
    for (const auto& d : defs->as_map()) {
      const doc::Value* exts =
          d.value.is_map() ? d.value.find("x-kubernetes-group-version-kind") : nullptr;
      if (!exts || !exts->is_list()) continue;
      for (const auto& e : exts->as_list())
        if (std::string key = type_key_of(e); !key.empty()) s.by_type_[key] = d.key;
    }
  }
  // kyaml's findNamespaceability: a type with a GET path under
  // namespaces/{namespace} is namespaced, one with only other paths is not.
  if (const doc::Value* paths = root.find("paths"); paths && paths->is_map()) {
    for (const auto& p : paths->as_map()) {
      const doc::Value* gvk = p.value.is_map()
                                  ? p.value.find_path({"get", "x-kubernetes-group-version-kind"})
                                  : nullptr;
      if (!gvk) continue;
      std::string key = type_key_of(*gvk);
      if (key.empty()) continue;
      if (p.key.find("namespaces/{namespace}") != std::string::npos)
        s.namespaced_[key] = true;
      else
        s.namespaced_.emplace(key, false);
    }
  }
  return s;
}

const doc::Value* OpenApiSchema::type_schema(const Gvk& gvk) const {
  if (with_builtin_ && is_builtin_group(gvk.group)) return nullptr;
  auto it = by_type_.find(type_key(gvk.api_version(), gvk.kind));
  if (it == by_type_.end()) return nullptr;
  return resolve(definitions_.find(it->second));
}

std::optional<bool> OpenApiSchema::namespaced(const Gvk& gvk) const {
  auto it = namespaced_.find(type_key(gvk.api_version(), gvk.kind));
  if (it == namespaced_.end()) return std::nullopt;
  return it->second;
}

// True for a $ref to a built-in definition, when the built-in schema is
// loaded too (its definitions replace the file's of the same name).
bool OpenApiSchema::builtin_ref(const doc::Value* s) const {
  if (!with_builtin_ || !s || !s->is_map()) return false;
  const doc::Value* ref = s->find("$ref");
  return ref && ref->is_string() && ref->as_string().starts_with("#/definitions/io.k8s.");
}

// Follows $ref ("#/definitions/NAME") until a schema without one (null when
// a reference does not resolve, or loops).
const doc::Value* OpenApiSchema::resolve(const doc::Value* s) const {
  for (int depth = 0; s && s->is_map(); ++depth) {
    const doc::Value* ref = s->find("$ref");
    if (!ref) return s;
    if (depth > 64 || !ref->is_string()) return nullptr;
    static constexpr std::string_view prefix = "#/definitions/";
    std::string_view r = ref->as_string();
    if (r.substr(0, prefix.size()) != prefix) return nullptr;
    // JSON pointer escapes.
    std::string name;
    for (size_t i = prefix.size(); i < r.size(); ++i) {
      if (r[i] == '~' && i + 1 < r.size() && (r[i + 1] == '0' || r[i + 1] == '1')) {
        name += r[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        name += r[i];
      }
    }
    s = definitions_.find(name);
  }
  return s && s->is_map() ? s : nullptr;
}

// kyaml's ResourceSchema.Field: a property, else the additionalProperties
// schema of a map type.
const doc::Value* OpenApiSchema::field(const doc::Value* s, const std::string& name) const {
  if (!s) return nullptr;
  const doc::Value* props = s->find("properties");
  if (const doc::Value* f = props && props->is_map() ? props->find(name) : nullptr)
    return resolve(f);
  if (const doc::Value* add = s->find("additionalProperties"); add && add->is_map())
    return resolve(add);
  return nullptr;
}

// kyaml's ResourceSchema.Elements: the items of a schema of type array.
const doc::Value* OpenApiSchema::elements(const doc::Value* s) const {
  if (!s) return nullptr;
  const doc::Value* type = s->find("type");
  bool array =
      type && ((type->is_string() && type->as_string() == "array") ||
               (type->is_list() && type->as_list().size() == 1 && type->as_list()[0].is_string() &&
                type->as_list()[0].as_string() == "array"));
  if (!array) return nullptr;
  const doc::Value* items = s->find("items");
  return items && items->is_map() ? resolve(items) : nullptr;
}

OpenApiSchema::ListMerge OpenApiSchema::list_keys(const doc::Value* root,
                                                  const std::vector<std::string>& path) const {
  // The merge only recurses into maps (list elements included), so each
  // step below a list is first a step into its elements.
  ListMerge out;
  const doc::Value* s = resolve(root);
  for (const auto& key : path) {
    if (!s) return out;
    if (const doc::Value* items = s->find("items"); items && elements(s)) {
      if (builtin_ref(items)) return ListMerge{ListMerge::kBuiltin, {}};
      s = elements(s);
    }
    const doc::Value* props = s->find("properties");
    const doc::Value* f = props && props->is_map() ? props->find(key) : nullptr;
    if (!f) f = s->find("additionalProperties");
    if (builtin_ref(f)) return ListMerge{ListMerge::kBuiltin, {}};
    s = field(s, key);
  }
  if (!s) return out;
  const doc::Value* strategy = s->find("x-kubernetes-patch-strategy");
  if (!strategy || !strategy->is_string() || !has_merge_strategy(strategy->as_string())) return out;
  out.kind = ListMerge::kKeys;
  if (const doc::Value* mk = s->find("x-kubernetes-list-map-keys"); mk && mk->is_list()) {
    for (const auto& k : mk->as_list())
      if (k.is_string()) out.keys.push_back(k.as_string());
  } else if (const doc::Value* k = s->find("x-kubernetes-patch-merge-key");
             k && k->is_string() && !k->as_string().empty()) {
    out.keys.push_back(k->as_string());
  }
  return out;
}

void OpenApiChoice::saw(const Gvk& gvk) {
  if (!chosen_ && !is_builtin_group(gvk.group)) saw_custom_kind_ = true;
}

const OpenApiSchema* active_openapi_schema() {
  return active_schema;
}

OpenApiChoice::OpenApiChoice() : previous_(active_schema) {
  active_schema = nullptr;
}

OpenApiChoice::~OpenApiChoice() {
  active_schema = previous_;
}

void OpenApiChoice::consider(const doc::Value& field, const std::string& file,
                             const PathReader& read_path) {
  if (field.is_null()) return;
  if (!field.is_map())
    throw Error(where_of(field, file),
                "openapi in " + file + " must be a mapping (version: or path:)");
  for (const auto& m : field.as_map())
    if (!m.value.is_scalar() || m.value.is_null())
      throw Error(where_of(m.value, file),
                  "openapi." + m.key + " in " + file + " must be a string");
  const doc::Value* path = field.find("path");
  const doc::Value* version = field.find("version");
  std::optional<std::pair<std::string, std::string>> text;  // content, name
  if (path) text = read_path(scalar_string(*path), where_of(*path, file));
  if (chosen_) return;
  if (text) {
    if (version)
      throw Error(where_of(field, file),
                  "builtin version and custom schema provided, cannot use both");
    custom_ = OpenApiSchema::parse(text->first, text->second);
    custom_->set_with_builtin(saw_custom_kind_);
    active_schema = &*custom_;
    chosen_ = true;
    return;
  }
  std::string v = version ? scalar_string(*version) : std::string();
  if (v.empty()) return;
  if (v != kBuiltinVersion)
    throw Error(where_of(*version, file),
                "the specified OpenAPI version is not built in (openapi.version \"" + v + "\" in " +
                    file + "; kustomize v5.5 has only " + std::string(kBuiltinVersion) + ")");
  chosen_ = true;
}

}  // namespace gantry::kustomize::detail
