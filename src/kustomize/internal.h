// Private declarations shared by the kustomize engine's parts: the resource
// model (a resource with its id history, as kustomize tracks it), field
// specs, and the individual transformations.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "doc/value.h"

namespace gantry::kustomize::detail {

// Group, version and kind of an object ("" group for core).
struct Gvk {
  std::string group;
  std::string version;
  std::string kind;

  static Gvk of(const doc::Value& obj);
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // kustomize's "kind.version.group" spelling, for messages.
  std::string str() const;
  // True when every non-empty field of `selector` equals this one's.
  bool selected_by(const Gvk& selector) const;
  bool operator==(const Gvk&) const = default;
};

// The identity of a resource at one point of the build.
struct ResId {
  Gvk gvk;
  std::string name;
  std::string ns;  // as written ("" when absent)

  bool cluster_scoped() const;
  // Namespace used for comparisons: "default" for an empty one, a marker for
  // cluster-scoped kinds.
  std::string effective_ns() const;
  bool ns_equals(const ResId& o) const { return effective_ns() == o.effective_ns(); }
  bool equals(const ResId& o) const;
  std::string str() const;
};

bool is_cluster_scoped(const Gvk& gvk);
// True for the API groups of built-in Kubernetes types ("" is core).
bool is_builtin_group(const std::string& group);

// One resource being built, with what kustomize remembers about it.
struct Res {
  doc::Value obj;
  Location source;
  std::vector<ResId> prev;  // earlier ids, oldest first (kustomize's previous names)
  std::vector<std::string> prefixes, suffixes;  // applied name prefixes/suffixes
  bool needs_hash = false;                      // generated, suffix hash pending
  std::string behavior;                         // generators: create/merge/replace
  std::vector<std::string> ref_vars;            // names of the vars bound to this resource
  // Generated objects: the generator (kind, and the plugin config's name)
  // for buildMetadata's origin annotation; `source` is where it is configured.
  std::string generator_kind, generator_name;

  ResId cur_id() const;
  ResId org_id() const { return prev.empty() ? cur_id() : prev.front(); }
  // Current and previous ids, for kustomize's "by any id" matching.
  bool matches_any_id(const ResId& id) const;
  void store_previous_id() { prev.push_back(cur_id()); }
  std::string name() const;
  std::string ns() const;
  void set_name(const std::string& name);
  void set_ns(const std::string& ns);
};

using ResList = std::vector<Res>;

// A field spec: a slash-separated path in objects of the selected kinds.
struct FieldSpec {
  Gvk gvk;
  std::string path;
  bool create = false;
};

// Splits a field spec path at unescaped '/' ("a\/b" is one key "a/b").
std::vector<std::string> split_path(std::string_view path);

// Calls `fn` on every node at `path` in `obj` (lists on the way are entered
// element by element; "x[]" names a list explicitly). With `create`, missing
// maps on the way are made and the last field is created as null.
void visit_path(doc::Value& obj, const std::vector<std::string>& path, bool create,
                const std::function<void(doc::Value&)>& fn);

// Applies the field specs selecting `gvk` to `obj`.
void visit_fieldspecs(doc::Value& obj, const Gvk& gvk, const std::vector<FieldSpec>& specs,
                      const std::function<void(doc::Value&)>& fn);

// Built-in field spec tables (kustomize's defaults).
const std::vector<FieldSpec>& common_label_specs();
const std::vector<FieldSpec>& template_label_specs();
const std::vector<FieldSpec>& common_annotation_specs();
const std::vector<FieldSpec>& replica_specs();

// --- transformer configurations (config.cpp) ---
// A custom nameReference entry: fields of referrers naming a `target` object.
struct NameRefSpec {
  Gvk target;
  std::vector<FieldSpec> referrers;
};

// The field specs the transformations use: kustomize's defaults merged with
// the `configurations:` files of the kustomization and its bases.
struct TransformerConfig {
  std::vector<FieldSpec> common_labels, common_annotations, var_reference, replicas;
  std::vector<FieldSpec> images;  // besides every containers/initContainers image
  // `labels` entries: `labels` always, `templateLabels` with includeTemplates
  // (besides template_label_specs()).
  std::vector<FieldSpec> labels, template_labels;
  std::vector<NameRefSpec> name_reference;  // besides nameref.cpp's built-in table

  static const TransformerConfig& defaults();
  // kustomize's merge: specs are added unless already there; the same gvk and
  // path with a different `create` is an Error.
  void merge(const TransformerConfig& other, const Location& where);
};

// A list of field specs (`group`, `version`, `kind`, `path`, `create`).
std::vector<FieldSpec> parse_field_specs(const doc::Value& list, const std::string& what,
                                         const std::string& file);

// Reads a `crds:` file (OpenAPI definitions by type name, JSON or YAML): the
// field specs its x-kubernetes-object-ref-*, -annotation and -label-selector
// extensions declare.
TransformerConfig parse_crd_config(const std::string& text, const std::string& file);

// Reads a `configurations:` file. Errors name the file.
TransformerConfig parse_transformer_config(const std::string& text, const std::string& file);

// --- transformations (transforms.cpp) ---
// `other_fields`: also kustomize's default namespace field specs (the name of
// Namespace objects, APIService and CRD conversion webhook services), not
// only metadata.namespace and RoleBinding subjects named default.
void apply_namespace(ResList& list, const std::string& ns, const Location& where,
                     bool other_fields = true);
// The same for one resource, keeping its id history as it is (kustomize's
// namespace filter on its own, as ValueAddTransformer runs it).
void set_namespace(Res& r, const std::string& ns, bool other_fields);
// `kinds`: when given, only objects selected by one of these are renamed.
void apply_prefix_suffix(ResList& list, const std::string& prefix, const std::string& suffix,
                         const std::vector<Gvk>* kinds = nullptr);
void apply_labels(ResList& list, const doc::Value& labels, const std::vector<FieldSpec>& specs);
void apply_annotations(ResList& list, const doc::Value& annotations,
                       const std::vector<FieldSpec>& specs);

struct ImageSpec {
  std::string name, new_name, new_tag, digest;
};
// Every containers/initContainers image, and the image strings at `extra`.
void apply_images(ResList& list, const std::vector<ImageSpec>& images,
                  const std::vector<FieldSpec>& extra);

struct ReplicaSpec {
  std::string name;
  int64_t count = 0;
};
void apply_replicas(ResList& list, const ReplicaSpec& r, const std::vector<FieldSpec>& specs,
                    const Location& where);

// --- vars (vars.cpp) ---
// A kustomization's `vars` entry: $(name) takes the value at `field_path`
// of the object `target` names (by its original or any later id).
struct Var {
  std::string name;
  ResId target;
  std::string field_path;  // dotted, "metadata.name" by default
  Location where;
};
Var parse_var(const doc::Value& v, const std::string& file);
// Binds each var to the one resource of `list` it names (kustomize's
// MergeVars, run when the kustomization declaring it is done). Errors when
// several match; a var matching nothing stays unbound (an error at resolve).
void bind_vars(ResList& list, const std::vector<Var>& vars);
// Replaces $(NAME) in the `specs` fields of every resource with the value of
// the bound field (after name references are fixed). `vars` by name.
void resolve_vars(ResList& list, const std::map<std::string, Var>& vars,
                  const std::vector<FieldSpec>& specs);
// kustomize's default varReference field specs.
const std::vector<FieldSpec>& var_reference_specs();

// --- name references (nameref.cpp) ---
// `extra`: custom nameReference entries (configurations), after the built-in ones.
void fix_name_references(ResList& list, const std::vector<NameRefSpec>& extra);

// --- patches (smp.cpp, json6902.cpp) ---
// Strategic merge: merges `patch` into `target`. Returns false when the patch
// deletes the whole object ($patch: delete at the top).
bool strategic_merge(doc::Value& target, const doc::Value& patch);
// JSON 6902: applies the operations in `ops` (a list) to `target`. Errors
// name `where`.
void apply_json6902(doc::Value& target, const doc::Value& ops, const Location& where);

// --- target selection (selector.cpp) ---
struct Selector {
  Gvk gvk;
  std::string name, ns, label_selector, annotation_selector;
};
Selector parse_selector(const doc::Value& v, const std::string& file);
std::vector<size_t> select(const ResList& list, const Selector& s, const Location& where);
bool match_label_selector(const doc::Value* labels, const std::string& selector,
                          const Location& where);

// --- replacements (replacements.cpp) ---
struct FieldOptions {
  std::string delimiter;
  int64_t index = 0;
  bool create = false;
};
struct ReplacementSource {
  ResId id;                // selects exactly one resource (by any of its ids)
  std::string field_path;  // dotted, "metadata.name" when empty
  FieldOptions options;
};
struct ReplacementTarget {
  std::optional<Selector> select;
  std::vector<Selector> reject;
  std::vector<std::string> field_paths;  // "metadata.name" when empty
  FieldOptions options;
};
struct Replacement {
  std::optional<ReplacementSource> source;
  bool has_targets = false;  // `targets` given (even empty)
  std::vector<ReplacementTarget> targets;
  Location where;
};
// Reads the file a `path:` entry names: its text and its name for messages.
using PathReader =
    std::function<std::pair<std::string, std::string>(const std::string&, const Location&)>;
// A `replacements` list: inline entries and `path:` files (one replacement
// or a list of them each).
std::vector<Replacement> parse_replacements(const doc::Value& list, const std::string& file,
                                            const PathReader& read_path);
// Runs the replacements in order, each on the result of the previous one.
void apply_replacements(ResList& list, const std::vector<Replacement>& replacements);

// --- the `openapi:` field (openapi.cpp) ---
// A custom OpenAPI schema (kustomize's format: `definitions` by type name,
// optionally `paths`), JSON or YAML. While a build uses one, it replaces the
// built-in Kubernetes schema: strategic merges of the types it describes
// follow its x-kubernetes-patch-strategy / -patch-merge-key / -list-map-keys,
// lists of every other type are replaced, and its paths decide which custom
// kinds are cluster-scoped.
class OpenApiSchema {
 public:
  static OpenApiSchema parse(const std::string& text, const std::string& file);

  // The definition of the objects of `gvk` (by x-kubernetes-group-version-kind),
  // or null.
  const doc::Value* type_schema(const Gvk& gvk) const;
  // How the list at `path` (map keys from the object's root) of an object
  // described by `root` merges: replaced, merged on `keys` (none: a list of
  // scalars merged as a set), or as gantry's built-in schema says (below a
  // built-in definition, when the built-in schema is loaded beside this one).
  struct ListMerge {
    enum Kind { kReplace, kKeys, kBuiltin } kind = kReplace;
    std::vector<std::string> keys;
  };
  ListMerge list_keys(const doc::Value* root, const std::vector<std::string>& path) const;
  // kustomize also loads its built-in schema when a kind it has no
  // precomputed scope for was seen before the custom schema was chosen;
  // then the built-in definitions (io.k8s.*) and types win over this file's.
  void set_with_builtin(bool b) { with_builtin_ = b; }
  bool with_builtin() const { return with_builtin_; }
  // From the schema's paths: true when `gvk` is namespaced, false when
  // cluster-scoped, nullopt when the schema does not say.
  std::optional<bool> namespaced(const Gvk& gvk) const;

 private:
  const doc::Value* resolve(const doc::Value* s) const;
  const doc::Value* field(const doc::Value* s, const std::string& name) const;
  const doc::Value* elements(const doc::Value* s) const;

  bool builtin_ref(const doc::Value* s) const;

  bool with_builtin_ = false;
  doc::Value definitions_;
  std::map<std::string, std::string> by_type_;  // "apiVersion kind" -> definition name
  std::map<std::string, bool> namespaced_;      // "apiVersion kind" -> namespaced
};

// The custom schema of the build running on this thread (kustomize keeps it
// in a global), or null when the built-in schema is used.
const OpenApiSchema* active_openapi_schema();

// kustomize's choice of schema for one build: the first kustomization (the
// built one, then the others in the order they load) whose `openapi:` field
// names a builtin version or a schema file wins; the later ones are ignored.
class OpenApiChoice {
 public:
  OpenApiChoice();
  ~OpenApiChoice();
  OpenApiChoice(const OpenApiChoice&) = delete;
  OpenApiChoice& operator=(const OpenApiChoice&) = delete;

  // `field`: the kustomization's `openapi:` value; `read_path` reads the
  // file its `path` names (it is read, and must exist, even when an earlier
  // kustomization already chose).
  void consider(const doc::Value& field, const std::string& file, const PathReader& read_path);
  // A resource of `gvk` was loaded (kustomize looks up its scope then).
  void saw(const Gvk& gvk);

 private:
  bool chosen_ = false;
  bool saw_custom_kind_ = false;  // a kind outside the built-in groups, before the choice
  std::optional<OpenApiSchema> custom_;
  const OpenApiSchema* previous_;
};

// yaml.v3's resolution of a plain scalar's text (null, bool, int, float,
// else string), as kustomize gives the values it writes as untyped text.
doc::Value resolve_plain_scalar(const std::string& text);

// --- the builtin ValueAddTransformer (valueadd.cpp) ---
struct ValueAddTarget {
  std::optional<Selector> selector;  // every object when absent
  std::string field_path;            // slash-separated
  int64_t file_path_position = 0;    // > 0: insert as that path element
};
struct ValueAddArgs {
  std::string value;
  std::vector<ValueAddTarget> targets;
  Location where;
};
void apply_value_add(ResList& list, const ValueAddArgs& args);

// --- generators (generators.cpp) ---
// kustomize's content hash of a ConfigMap or Secret (10 characters).
std::string content_hash(const doc::Value& obj);
// `keep_pending`: the builtin HashTransformer, after which kustomize's own
// hashing at the top still suffixes the same objects again.
void apply_hash_suffixes(ResList& list, bool keep_pending = false);

// --- ordering (ordering.cpp) ---
// `first`/`last`: custom kind orders (sortOptions.legacySortOptions)
// instead of kustomize's default lists.
void legacy_sort(ResList& list, const std::vector<std::string>* first = nullptr,
                 const std::vector<std::string>* last = nullptr);

// sortOptions (kustomization field, or a builtin SortOrderTransformer).
struct SortOptions {
  bool fifo = false;    // keep the order of the build
  bool custom = false;  // legacySortOptions given
  std::vector<std::string> first, last;
};
SortOptions parse_sort_options(const doc::Value& v, const std::string& file);
void apply_sort_options(ResList& list, const SortOptions& o);
// Sorts map keys recursively and turns integral floats into ints, as
// kustomize's JSON round trip of every object does.
void sort_keys(doc::Value& v);
// go-yaml v2's order of map keys, which sort_keys uses.
bool yaml_key_less(const std::string& a, const std::string& b);

// Where `v` was written, or the file when its position is unknown.
Location where_of(const doc::Value& v, const std::string& file);
// The string at `key` of the mapping `m` ("" when absent or null); another
// type is an Error naming `what`.
std::string optional_string(const doc::Value& m, std::string_view key, const std::string& what,
                            const std::string& file);

// The value at `key` of the mapping `m`, matched like kubectl decodes the
// kustomization (encoding/json: the exact spelling, else ignoring case).
const doc::Value* find_key_any_case(const doc::Value& m, std::string_view key);

// Strings for label/annotation values as kustomize writes them.
std::string scalar_string(const doc::Value& v);

}  // namespace gantry::kustomize::detail
