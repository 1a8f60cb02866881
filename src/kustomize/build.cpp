// The kustomization file model and the build: resources are accumulated
// (files, nested kustomizations, components), generators run, then the
// transformers in kustomize's order; at the top, hash suffixes are added,
// name references fixed, and the result sorted in legacy order.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "core/file.h"
#include "core/url.h"
#include "doc/yaml.h"
#include "kustomize/generators.h"
#include "kustomize/helm_chart.h"
#include "kustomize/internal.h"
#include "kustomize/kustomize.h"

namespace gantry::kustomize {

namespace fs = std::filesystem;
using namespace detail;

namespace {

constexpr const char* kFileNames[] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};

fs::path normal(const fs::path& p) {
  return fs::absolute(p).lexically_normal();
}

std::string id_key(const ResId& id) {
  return id.gvk.group + "/" + id.gvk.version + "/" + id.gvk.kind + "/" + id.effective_ns() + "/" +
         id.name;
}

// Reads 1 to `max` digits at s[i]; false when there are none.
bool read_num(std::string_view s, size_t& i, size_t max, int& out) {
  size_t start = i;
  out = 0;
  while (i < s.size() && i - start < max && s[i] >= '0' && s[i] <= '9')
    out = out * 10 + (s[i++] - '0');
  return i > start;
}

// kyaml (yaml.v3) resolves a plain scalar like 2024-1-2 or
// 2001-12-14t21:59:43.10-05:00 as a timestamp, and kustomize writes it back
// through JSON as an RFC 3339 string ("2024-01-02T00:00:00Z"). Returns the
// rewritten string, or nullopt when `s` is not such a timestamp.
std::optional<std::string> kyaml_timestamp(std::string_view s) {
  size_t i = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!read_num(s, i, 4, y) || i != 4 || i >= s.size() || s[i] != '-') return std::nullopt;
  ++i;
  if (!read_num(s, i, 2, mo) || i >= s.size() || s[i] != '-') return std::nullopt;
  ++i;
  if (!read_num(s, i, 2, d)) return std::nullopt;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] + (mo == 2 && leap ? 1 : 0))
    return std::nullopt;
  std::string frac;
  int offset = 0;  // minutes east of UTC
  if (i < s.size()) {
    bool space = s[i] == ' ';
    if (s[i] != 'T' && s[i] != 't' && !space) return std::nullopt;
    ++i;
    if (!read_num(s, i, 2, h) || i >= s.size() || s[i] != ':') return std::nullopt;
    ++i;
    if (!read_num(s, i, 2, mi) || i >= s.size() || s[i] != ':') return std::nullopt;
    ++i;
    if (!read_num(s, i, 2, se)) return std::nullopt;
    if (h > 23 || mi > 59 || se > 59) return std::nullopt;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9')
        ++i;
      if (i == start) return std::nullopt;
      frac = std::string(s.substr(start, std::min<size_t>(i - start, 9)));  // ns precision
    }
    if (space) {
      if (i != s.size()) return std::nullopt;  // no zone in the space-separated form
    } else if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i] == '-' ? -1 : 1, oh = 0, om = 0;
      ++i;
      size_t start = i;
      if (!read_num(s, i, 2, oh) || i - start != 2 || i >= s.size() || s[i] != ':')
        return std::nullopt;
      ++i;
      start = i;
      if (!read_num(s, i, 2, om) || i - start != 2) return std::nullopt;
      offset = sign * (oh * 60 + om);
    } else {
      return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
  }
  while (!frac.empty() && frac.back() == '0')
    frac.pop_back();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, se);
  std::string out = buf;
  if (!frac.empty()) out += "." + frac;
  if (offset == 0) {
    out += "Z";
  } else {
    int a = offset < 0 ? -offset : offset;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset < 0 ? '-' : '+', a / 60, a % 60);
    out += buf;
  }
  return out;
}

// kustomize reads resources and patches with kyaml (YAML 1.2 booleans): a
// plain y, yes, on, n, no, off ... stays a string, where gantry's reader
// (YAML 1.1 booleans, like kubectl apply) made it a bool. Turn those back
// into the strings they were written as; and plain timestamps into the
// RFC 3339 strings kustomize prints for them.
bool is_bool_spelling(std::string_view src) {
  static const std::string_view kBools[] = {"true", "True", "TRUE", "false", "False", "FALSE"};
  for (auto b : kBools)
    if (src == b) return true;
  return false;
}

// kustomize rewrites the object's own metadata.annotations as strings: a
// scalar as it was written (`1.50`, `null`), a map or list as "".
std::string annotation_text(const doc::Value& v, std::string_view text) {
  if (!v.is_scalar()) return {};
  const doc::SourceSpan& sp = v.span();
  if (v.style() == doc::ScalarStyle::kPlain && sp.known() && sp.end >= sp.begin &&
      sp.end <= text.size())
    return std::string(text.substr(sp.begin, sp.end - sp.begin));
  return v.is_null() ? std::string() : scalar_string(v);
}

// `timestamps` is false under the object's own metadata.annotations, which
// kustomize always rewrites as plain strings.
void kyaml_scalars(doc::Value& v, std::string_view text, bool timestamps, int depth) {
  if (v.is_map()) {
    for (auto& m : v.as_map()) {
      // Keys too: a plain key `n` or `off` stays that text.
      if ((m.key == "true" || m.key == "false") && m.key_span.known() &&
          m.key_span.end > m.key_span.begin && m.key_span.end <= text.size()) {
        std::string_view src = text.substr(m.key_span.begin, m.key_span.end - m.key_span.begin);
        if (!is_bool_spelling(src) && src.find_first_of("\"'") == std::string_view::npos)
          m.key = std::string(src);
      }
      bool own_annotations = depth == 1 && m.key == "annotations";
      bool ts = timestamps && !own_annotations;
      kyaml_scalars(m.value, text, ts, depth == 0 && m.key == "metadata" ? 1 : 2);
      if (own_annotations && m.value.is_map())
        for (auto& a : m.value.as_map())
          if (!a.value.is_string()) a.value = doc::Value(annotation_text(a.value, text));
    }
  } else if (v.is_list()) {
    for (auto& e : v.as_list())
      kyaml_scalars(e, text, timestamps, 2);
  } else if (v.is_string() && v.style() == doc::ScalarStyle::kPlain) {
    if (!timestamps) return;
    if (auto ts = kyaml_timestamp(v.as_string())) {
      doc::SourceSpan span = v.span();
      v = doc::Value(*ts);
      v.set_span(std::move(span));
    }
  } else if (v.is_bool() && v.style() == doc::ScalarStyle::kPlain && v.span().known() &&
             v.span().end > v.span().begin && v.span().end <= text.size()) {
    std::string_view src = text.substr(v.span().begin, v.span().end - v.span().begin);
    if (is_bool_spelling(src)) return;
    doc::SourceSpan span = v.span();
    v = doc::Value(std::string(src));
    v.set_span(std::move(span));
    v.set_style(doc::ScalarStyle::kPlain);
  }
}

void kyaml_booleans(doc::Value& v, std::string_view text) {
  kyaml_scalars(v, text, true, 0);
}

std::vector<doc::Value> parse_kyaml_stream(const std::string& text, const std::string& name) {
  auto docs = doc::parse_yaml_stream(text, name);
  for (auto& d : docs)
    kyaml_booleans(d, text);
  return docs;
}

Location loc(const doc::Value& v, const std::string& file) {
  if (v.span().known()) return v.span().location();
  return Location{file};
}

// What a strategic merge patch may change besides the content.
struct SmpChange {
  bool name = false;
  bool kind = false;
};

class Builder {
 public:
  explicit Builder(const Options& o) : opts_(o) {}

  void init(const fs::path& dir) {
    root_ = normal(opts_.root.empty() ? dir : opts_.root);
    for (const auto& [p, text] : opts_.overlay_files)
      overlay_[normal(p.is_absolute() ? p : dir / p)] = text;
  }

  ResList accumulate(const fs::path& dir, ResList ra, bool component) {
    fs::path file = find_file(dir);
    std::string fname = file.string();
    std::string text = read(file);
    // kustomize decodes a kustomization with sigs.k8s.io/yaml: a repeated key
    // keeps its last value.
    doc::YamlLimits lenient;
    lenient.duplicate_keys_last_wins = true;
    doc::Value k = doc::parse_yaml(text, fname, lenient);
    if (k.is_null()) k = doc::Value::map();
    if (!k.is_map()) k.fail("a kustomization must be a mapping");
    canonical_field_names(k);
    check_fields(k, fname);
    if (std::all_of(k.as_map().begin(), k.as_map().end(),
                    [](const doc::Member& m) { return m.key == "apiVersion" || m.key == "kind"; }))
      throw Error(Location{fname},
                  fname + " is empty (it has no fields besides apiVersion and kind)");
    std::string kind = k.get_string("kind");
    if (component && kind != "Component")
      throw Error(loc(k, fname), "expected kind 'Component' for component " + dir.string() +
                                     " but got '" + kind + "'");
    // A Component built directly (not as a resource) builds like a
    // Kustomization, as in kustomize v5.
    if (!component && kind == "Component" && !chain_.empty())
      throw Error(loc(k, fname), "expected kind != 'Component' for " + dir.string() +
                                     ": a Component can only be listed under components");
    if (kind == "Component" && k.find("apiVersion") &&
        k.get_string("apiVersion") != "kustomize.config.k8s.io/v1alpha1")
      throw Error(loc(k, fname),
                  "apiVersion for Component should be "
                  "kustomize.config.k8s.io/v1alpha1 (in " +
                      fname + ")");
    if (!kind.empty() && kind != "Kustomization" && kind != "Component")
      throw Error(loc(*k.find("kind"), fname),
                  "kind must be Kustomization or Component, not " + kind);

    if (chain_.empty() && !component) {
      if (const doc::Value* so = k.find("sortOptions"); so && !so->is_null())
        sort_ = parse_sort_options(*so, fname);
      for (const auto& [opt, where] : strings(k, "buildMetadata", fname)) {
        if (opt == "originAnnotations")
          origin_annotations_ = true;
        else if (opt == "managedByLabel")
          managed_by_label_ = true;
        else
          throw Error(where, "buildMetadata option \"" + opt + "\" in " + fname +
                                 " is not supported by gantry's kustomize engine (supported: "
                                 "originAnnotations, managedByLabel)");
      }
    }
    if (const doc::Value* oa = k.find("openapi"))
      openapi_.consider(*oa, fname, [&](const std::string& rel, const Location& where) {
        if (is_remote_file_url(rel))
          throw Error(where, "openapi path \"" + rel + "\" in " + fname +
                                 " is a URL; gantry reads schema files from the "
                                 "kustomization's directory only (download it next to it)");
        return path_reader(dir, "openapi")(rel, where);
      });
    chain_.push_back(dir);
    for (const char* field : {"resources", "bases"})
      for (const auto& [entry, where] : strings(k, field, fname))
        add_resource(dir, fname, entry, where, ra);
    check_unique(ra);
    for (const auto& [entry, where] : strings(k, "configurations", fname)) {
      fs::path p = file_path(dir, entry, where);
      if (!exists_file(p))
        throw Error(where, "configurations file \"" + entry + "\" does not exist",
                    ExitCode::kNotFound);
      cfg_.merge(parse_transformer_config(read(p), p.string()), where);
    }
    for (const auto& [entry, where] : strings(k, "crds", fname)) {
      fs::path p = file_path(dir, entry, where);
      if (!exists_file(p))
        throw Error(where, "crds file \"" + entry + "\" does not exist", ExitCode::kNotFound);
      cfg_.merge(parse_crd_config(read(p), p.string()), where);
    }
    for (const auto& [entry, where] : strings(k, "components", fname)) {
      fs::path sub = normal(dir / entry);
      check_dir(sub, entry, where);
      ra = accumulate(sub, std::move(ra), true);
    }
    run_generators(k, dir, fname, ra);
    run_transformers(k, dir, fname, ra);
    merge_vars(k, fname, ra);
    chain_.pop_back();
    return ra;
  }

  const std::map<std::string, Var>& vars() const { return vars_; }
  const TransformerConfig& config() const { return cfg_; }
  const SortOptions& sort_options() const { return sort_; }

  // buildMetadata of the top kustomization in `top`: where each object came
  // from (kustomize's config.kubernetes.io/origin annotation) and kubectl's
  // managed-by label.
  void add_build_metadata(ResList& ra, const fs::path& top) const {
    for (auto& r : ra) {
      if (origin_annotations_) {
        // Local files by their path from the built directory; files of a
        // remote base by their path in its repository, with the repository's
        // URL (without credentials) and ref; an http(s) file by its URL as
        // Go's filepath.Join leaves it ("https:/host/x.yaml").
        std::string rel = fs::path(r.source.file).lexically_relative(top).generic_string();
        std::string repo;
        if (is_remote_file_url(r.source.file)) {
          rel = r.source.file;
          rel.replace(rel.find("://"), 3, ":/");
        }
        for (const auto& t : remote_trees_)
          if (is_within(t.tree, fs::path(r.source.file))) {
            rel = fs::path(r.source.file).lexically_relative(t.tree).generic_string();
            repo = "repo: " + t.repo + "\n" + (t.ref.empty() ? "" : "ref: " + t.ref + "\n");
            break;
          }
        std::string origin;
        if (r.generator_kind.empty()) {
          origin = "path: " + rel + "\n" + repo;
        } else {
          origin = repo + "configuredIn: " + rel +
                   "\nconfiguredBy:\n  apiVersion: builtin\n  kind: " + r.generator_kind + "\n";
          if (!r.generator_name.empty()) origin += "  name: " + r.generator_name + "\n";
        }
        r.obj["metadata"]["annotations"].set("config.kubernetes.io/origin", origin);
      }
      // kubectl's build of kustomize has no release version: "(devel)".
      if (managed_by_label_)
        r.obj["metadata"]["labels"].set("app.kubernetes.io/managed-by", "kustomize-(devel)");
    }
  }

 private:
  // kustomize's MergeVars: the kustomization's vars are bound to the
  // resources they name once its own transformations are done; a name may be
  // declared once in the whole build.
  void merge_vars(const doc::Value& k, const std::string& fname, ResList& ra) {
    const doc::Value* list = k.find("vars");
    if (!list || list->is_null()) return;
    if (!list->is_list()) throw Error(loc(*list, fname), "vars must be a list (in " + fname + ")");
    std::vector<Var> vars;
    for (const auto& e : list->as_list())
      vars.push_back(parse_var(e, fname));
    bind_vars(ra, vars);
    for (auto& v : vars) {
      if (vars_.count(v.name))
        throw Error(v.where, "var '" + v.name + "' already encountered (also declared at " +
                                 vars_.at(v.name).where.str() + ")");
      std::string name = v.name;
      vars_.emplace(std::move(name), std::move(v));
    }
  }

  fs::path find_file(const fs::path& dir) {
    for (const char* n : kFileNames) {
      fs::path p = dir / n;
      if (overlay_.count(normal(p)) || fs::is_regular_file(p)) return p;
    }
    throw Error(Location{dir.string()},
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or "
                "'Kustomization' in directory '" +
                    dir.string() + "'",
                ExitCode::kNotFound);
  }

  std::string read(const fs::path& path) {
    // A remote base's files are read as they are (no template rendering).
    if (remote_chain_.size() > 0) return read_file(path);
    if (auto it = overlay_.find(normal(path)); it != overlay_.end()) return it->second;
    if (opts_.read_file) return opts_.read_file(path);
    return read_file(path);
  }

  bool exists_file(const fs::path& p) {
    return overlay_.count(normal(p)) || fs::is_regular_file(p);
  }

  void check_within_root(const fs::path& p, const std::string& entry, const Location& where) {
    // weakly_canonical resolves the existing prefix even for a path that is
    // only in memory (a rendered Helm chart), so a root reached through a
    // symlink compares like the files below it.
    std::error_code ec, root_ec;
    fs::path canon = fs::weakly_canonical(p, ec);
    fs::path root_canon = fs::weakly_canonical(root_, root_ec);
    if (ec) canon = p;
    if (root_ec) root_canon = root_;
    if (!is_within(root_, p) || !is_within(root_canon, canon))
      throw Error(where, "path \"" + entry + "\" escapes the root " + root_.string() +
                             " (resolves to " + p.string() + ")");
  }

  // A file named by a kustomization: inside the root and, like kustomize's
  // default load restrictions, inside the kustomization's own directory.
  fs::path file_path(const fs::path& dir, const std::string& entry, const Location& where) {
    if (fs::path(entry).is_absolute())
      throw Error(where, "path \"" + entry +
                             "\" is absolute; paths in a kustomization are "
                             "relative to its directory");
    fs::path p = normal(dir / entry);
    check_within_root(p, entry, where);
    if (restrictor_ == LoadRestrictor::kRootOnly && !is_within(dir, p))
      throw Error(where,
                  "security; file '" + p.string() + "' is not in or below '" + dir.string() + "'");
    return p;
  }

  void check_dir(const fs::path& sub, const std::string& entry, const Location& where) {
    check_within_root(sub, entry, where);
    if (!fs::is_directory(sub))
      throw Error(where, "directory \"" + entry + "\" does not exist (" + sub.string() + ")",
                  ExitCode::kNotFound);
    for (const auto& visited : chain_)
      if (is_within(sub, visited))
        throw Error(where, "cycle detected: candidate root '" + sub.string() +
                               "' contains visited root '" + visited.string() + "'");
  }

  static std::vector<std::pair<std::string, Location>> strings(const doc::Value& k,
                                                               std::string_view field,
                                                               const std::string& fname) {
    std::vector<std::pair<std::string, Location>> out;
    const doc::Value* v = k.find(field);
    if (!v || v->is_null()) return out;
    if (!v->is_list())
      throw Error(loc(*v, fname), std::string(field) + " must be a list (in " + fname + ")");
    for (const auto& e : v->as_list()) {
      if (!e.is_string())
        throw Error(loc(e, fname), std::string(field) + " entries must be strings");
      out.emplace_back(e.as_string(), loc(e, fname));
    }
    return out;
  }

  // kustomize decodes a kustomization as JSON with Go's encoding/json, which
  // matches field names regardless of case (`nameprefix:` is namePrefix); a
  // later spelling of the same field wins.
  static void canonical_field_names(doc::Value& k) {
    for (auto& m : k.as_map()) {
      if (kustomization_fields().count(m.key)) continue;
      for (const auto& f : kustomization_fields())
        if (f.size() == m.key.size() &&
            std::equal(f.begin(), f.end(), m.key.begin(), [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a)) ==
                     std::tolower(static_cast<unsigned char>(b));
            })) {
          doc::Value v = std::move(m.value);
          k.erase(m.key);
          k.set(f, std::move(v));
          canonical_field_names(k);  // the map changed under the loop
          return;
        }
    }
  }

  static const std::set<std::string>& kustomization_fields() {
    static const std::set<std::string> supported = {"apiVersion",
                                                    "kind",
                                                    "metadata",
                                                    "resources",
                                                    "bases",
                                                    "components",
                                                    "namespace",
                                                    "namePrefix",
                                                    "nameSuffix",
                                                    "commonLabels",
                                                    "labels",
                                                    "commonAnnotations",
                                                    "images",
                                                    "replicas",
                                                    "patches",
                                                    "patchesStrategicMerge",
                                                    "patchesJson6902",
                                                    "configMapGenerator",
                                                    "secretGenerator",
                                                    "generatorOptions",
                                                    "vars",
                                                    "sortOptions",
                                                    "buildMetadata",
                                                    "crds",
                                                    "openapi",
                                                    "transformers",
                                                    "generators",
                                                    "configurations",
                                                    "replacements",
                                                    "helmCharts",
                                                    "helmGlobals",
                                                    "helmChartInflationGenerator"};
    return supported;
  }

  void check_fields(const doc::Value& k, const std::string& fname) {
    for (const auto& m : k.as_map()) {
      if (kustomization_fields().count(m.key)) continue;
      Location where = m.key_span.known() ? m.key_span.location() : Location{fname};
      throw Error(where, "kustomization field \"" + m.key + "\" in " + fname +
                             " is not supported by gantry's kustomize engine (see "
                             "docs/commands/kustomize.md)");
    }
  }

  // Resources are appended unchecked and checked for duplicate ids once the
  // resources of a kustomization are all in (a hash set, not a scan each).
  static void append(ResList& ra, Res r) { ra.push_back(std::move(r)); }

  static void check_unique(const ResList& ra) {
    std::unordered_map<std::string, size_t> seen;
    seen.reserve(ra.size());
    for (size_t i = 0; i < ra.size(); ++i) {
      ResId id = ra[i].cur_id();
      auto [it, inserted] = seen.emplace(id_key(id), i);
      if (!inserted)
        throw Error(ra[i].source,
                    "may not add resource with an already registered id: " + id.str() +
                        " (also from " + ra[it->second].source.str() + ")");
    }
  }

  void add_objects(const std::string& text, const std::string& file, ResList& ra) {
    for (auto& d : parse_kyaml_stream(text, file)) {
      if (d.is_null()) continue;
      if (!d.is_map()) d.fail("a resource must be a Kubernetes object (a mapping)");
      if (d.get_string("kind") == "List" ||
          (d.get_string("kind").size() > 4 && d.get_string("kind").ends_with("List") &&
           d.find("items"))) {
        if (const doc::Value* items = d.find("items"); items && items->is_list()) {
          for (const auto& it : items->as_list())
            add_object(it, ra);
          continue;
        }
      }
      add_object(std::move(d), ra);
    }
  }

  void add_object(doc::Value d, ResList& ra) {
    if (!d.is_map()) d.fail("a resource must be a Kubernetes object (a mapping)");
    if (d.get_string("kind").empty()) d.fail("the object has no kind");
    const doc::Value* meta = d.find("metadata");
    if (!meta || !meta->is_map() || meta->get_string("name").empty())
      d.fail("the object has no metadata.name");
    Res r;
    r.source = d.span().location();
    r.obj = std::move(d);
    openapi_.saw(Gvk::of(r.obj));
    take_previous_ids(r);
    append(ra, std::move(r));
  }

  // kustomize keeps a resource's earlier ids in internal annotations, and
  // takes them from input files too (kubectl prints them never).
  static void take_previous_ids(Res& r) {
    static const std::string kPrefix = "internal.config.kubernetes.io/previous";
    doc::Value* annos = r.obj["metadata"].find("annotations");
    if (!annos || !annos->is_map()) return;
    auto list = [&](const char* what) {
      const doc::Value* v = annos->find(kPrefix + what);
      std::vector<std::string> out;
      std::string s = v && v->is_scalar() ? scalar_string(*v) : std::string();
      for (size_t start = 0;;) {
        size_t comma = s.find(',', start);
        out.push_back(s.substr(start, comma == std::string::npos ? comma : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return out;
    };
    if (annos->find(kPrefix + "Names")) {
      auto names = list("Names"), kinds = list("Kinds"), nss = list("Namespaces");
      if (names.size() != kinds.size() || names.size() != nss.size())
        throw Error(r.source,
                    "number of previous names, number of previous namespaces, number of "
                    "previous kinds not equal");
      Gvk gvk = Gvk::of(r.obj);
      for (size_t i = 0; i < names.size(); ++i)
        r.prev.push_back(ResId{Gvk{gvk.group, gvk.version, kinds[i]}, names[i], nss[i]});
    }
    bool erased = false;
    for (const char* what : {"Names", "Kinds", "Namespaces"})
      erased = annos->erase(kPrefix + what) || erased;
    if (erased && annos->as_map().empty()) r.obj["metadata"].erase("annotations");
  }

  // A resource entry, tried as kustomize does: an http(s) URL is first
  // fetched as a file, a local path is a file when one exists; otherwise it
  // is a Git URL (a remote base) when it parses as one, else a local base.
  void add_resource(const fs::path& dir, const std::string& fname, const std::string& entry,
                    const Location& where, ResList& ra) {
    std::string why_not_git;
    std::optional<RepoSpec> spec = parse_repo_spec(entry, &why_not_git);
    if (is_remote_file_url(entry) && add_remote_file(entry, fname, where, spec.has_value(), ra))
      return;
    if (spec && !exists_file(normal(dir / entry))) {
      add_remote_base(*spec, fname, where, ra);
      return;
    }
    fs::path p = normal(dir / entry);
    if (fs::path(entry).is_absolute())
      throw Error(where, "resource path \"" + entry + "\" is absolute; it must be relative");
    check_within_root(p, entry, where);
    if (exists_file(p)) {
      file_path(dir, entry, where);
      add_objects(read(p), p.string(), ra);
      return;
    }
    if (fs::is_directory(p)) {
      check_dir(p, entry, where);
      add_base(p, where, ra);
      return;
    }
    throw Error(
        where,
        "resource \"" + entry + "\" listed in " + fname + " does not exist (" + p.string() + ")",
        ExitCode::kNotFound);
  }

  // Accumulates the kustomization in `dir` as a base of the current one.
  void add_base(const fs::path& dir, const Location& where, ResList& ra) {
    // A base starts from the default configuration; what it adds comes up
    // to the kustomization listing it (kustomize's MergeAccumulator).
    TransformerConfig mine = std::exchange(cfg_, TransformerConfig::defaults());
    ResList sub = accumulate(dir, {}, false);
    mine.merge(cfg_, where);
    cfg_ = std::move(mine);
    for (auto& r : sub)
      append(ra, std::move(r));
  }

  RemoteLoader& remote(const std::string& shown, const std::string& fname, const Location& where) {
    if (!opts_.remote)
      throw Error(where, "remote resource \"" + shown + "\" in " + fname +
                             " is not supported here (no remote loader)");
    return *opts_.remote;
  }

  // An http(s) URL as a single file (kustomize's loader: any 2xx response is
  // the file). False when it is to be tried as a Git URL instead (`git_url`:
  // it parses as one, and the server answered with an error status, or with
  // something that is not a YAML stream of objects).
  bool add_remote_file(const std::string& url, const std::string& fname, const Location& where,
                       bool git_url, ResList& ra) {
    std::string shown = redact_url(url);
    RemoteFile f;
    try {
      f = remote(shown, fname, where).get(url);
    } catch (const Error& e) {
      if (git_url) return false;
      throw Error(where, "remote resource \"" + shown + "\" in " + fname + ": " + e.why(),
                  e.code());
    }
    if (f.status < 200 || f.status > 299) {
      if (git_url) return false;
      throw Error(where,
                  "remote resource \"" + shown + "\" in " + fname + ": HTTP status " +
                      std::to_string(f.status),
                  f.status == 404 ? ExitCode::kNotFound : ExitCode::kExternal);
    }
    ResList objects;
    try {
      add_objects(f.body, shown, objects);
    } catch (const Error&) {
      if (git_url) return false;
      throw;
    }
    for (auto& r : objects)
      append(ra, std::move(r));
    return true;
  }

  // A Git URL: the loader fetches the repository at the ref and the
  // kustomization at the URL's path is built with the repository as its
  // root and kustomize's default load restrictions (as kustomize builds a
  // cloned base, whatever --load-restrictor says).
  void add_remote_base(const RepoSpec& spec, const std::string& fname, const Location& where,
                       ResList& ra) {
    std::string shown = redact_url(spec.raw);
    for (const auto& prev : remote_chain_)
      if (prev.rfind(spec.raw, 0) == 0)
        throw Error(where, "cycle detected: URI '" + shown + "' referenced by previous URI '" +
                               redact_url(prev) + "'");
    fs::path repo;
    try {
      repo = normal(remote(shown, fname, where).fetch(spec));
    } catch (const Error& e) {
      throw Error(where, "remote resource \"" + shown + "\" in " + fname + ": " + e.str(),
                  e.code());
    }
    if (std::none_of(remote_trees_.begin(), remote_trees_.end(),
                     [&repo](const RemoteTree& t) { return t.tree == repo; }))
      remote_trees_.push_back(RemoteTree{repo, redact_url(spec.clone_url()), spec.ref});
    fs::path base = normal(repo / spec.kust_root);
    std::error_code ec, repo_ec;
    fs::path canon = fs::weakly_canonical(base, ec),
             repo_canon = fs::weakly_canonical(repo, repo_ec);
    if (ec || repo_ec || !is_within(repo_canon, canon))
      throw Error(where, "remote resource \"" + shown + "\": \"" + spec.kust_root +
                             "\" refers to a directory outside of the repository");
    if (!fs::is_directory(base))
      throw Error(where,
                  "remote resource \"" + shown + "\": \"" + spec.kust_root + "\" " +
                      (fs::exists(base) ? "refers to a file; expecting a directory"
                                        : "does not exist in the repository"),
                  ExitCode::kNotFound);
    fs::path saved_root = std::exchange(root_, repo);
    LoadRestrictor saved_restrictor = std::exchange(restrictor_, LoadRestrictor::kRootOnly);
    remote_chain_.push_back(spec.raw);
    try {
      add_base(base, where, ra);
    } catch (...) {
      remote_chain_.pop_back();
      root_ = saved_root;
      restrictor_ = saved_restrictor;
      throw;
    }
    remote_chain_.pop_back();
    root_ = saved_root;
    restrictor_ = saved_restrictor;
  }

  // --- generators ---

  // Like kubectl, which decodes the kustomization into Go strings: a number
  // or boolean where a string belongs is an error (quote it), not converted.
  static const std::string& need_string(const doc::Value& v, const std::string& what,
                                        const std::string& fname) {
    if (!v.is_string())
      throw Error(loc(v, fname), what + " must be a string, not a " +
                                     std::string(doc::type_name(v.type())) + " (quote it; in " +
                                     fname + ")");
    return v.as_string();
  }

  static doc::Value string_map(const doc::Value* v, const std::string& what,
                               const std::string& fname) {
    if (!v || v->is_null()) return doc::Value::map();
    if (!v->is_map()) throw Error(loc(*v, fname), what + " must be a mapping");
    doc::Value out = doc::Value::map();
    for (const auto& m : v->as_map())
      out.set(m.key, need_string(m.value, what + "." + m.key, fname));
    return out;
  }

  static std::optional<bool> opt_bool(const doc::Value& v, std::string_view key,
                                      const std::string& fname) {
    const doc::Value* b = v.find(key);
    if (!b || b->is_null()) return std::nullopt;
    if (!b->is_bool()) throw Error(loc(*b, fname), std::string(key) + " must be true or false");
    return b->as_bool();
  }

  static std::vector<std::string> string_list(const doc::Value& v, std::string_view key,
                                              const std::string& fname) {
    std::vector<std::string> out;
    const doc::Value* l = v.find(key);
    if (!l || l->is_null()) return out;
    if (!l->is_list()) throw Error(loc(*l, fname), std::string(key) + " must be a list");
    for (const auto& e : l->as_list())
      out.push_back(need_string(e, std::string(key), fname));
    return out;
  }

  // One configMapGenerator / secretGenerator entry (or the arguments of a
  // builtin ConfigMapGenerator / SecretGenerator plugin, whose `skip` keys
  // are the plugin's own).
  static GeneratorArgs parse_generator(const doc::Value& g, const std::string& field,
                                       const std::string& fname,
                                       const std::set<std::string>& skip = {}) {
    if (!g.is_map()) throw Error(loc(g, fname), field + " entries must be mappings");
    GeneratorArgs a;
    a.kind = field == "secretGenerator" || field == "SecretGenerator" ? "Secret" : "ConfigMap";
    a.where = loc(g, fname);
    for (const auto& m : g.as_map()) {
      const std::string& key = m.key;
      if (skip.count(key)) continue;
      if (key == "name" || key == "namespace" || key == "behavior" ||
          (key == "type" && a.kind == "Secret")) {
        std::string s = need_string(m.value, field + "." + key, fname);
        if (key == "name")
          a.name = s;
        else if (key == "namespace")
          a.ns = s;
        else if (key == "behavior")
          a.behavior = s;
        else
          a.type = s;
      } else if (key == "literals") {
        a.literals = string_list(g, key, fname);
      } else if (key == "files") {
        a.files = string_list(g, key, fname);
      } else if (key == "envs") {
        a.envs = string_list(g, key, fname);
      } else if (key == "env") {
        if (!m.value.is_null()) a.envs.push_back(need_string(m.value, "env", fname));
      } else if (key == "options") {
        if (!m.value.is_map())
          throw Error(loc(m.value, fname), field + ".options must be a mapping");
        for (const auto& o : m.value.as_map()) {
          if (o.key == "labels")
            a.labels = string_map(&o.value, "options.labels", fname);
          else if (o.key == "annotations")
            a.annotations = string_map(&o.value, "options.annotations", fname);
          else if (o.key == "disableNameSuffixHash")
            a.disable_hash = opt_bool(m.value, o.key, fname);
          else if (o.key == "immutable")
            a.immutable = opt_bool(m.value, o.key, fname);
          else
            throw Error(loc(o.value, fname),
                        field + ".options." + o.key + " in " + fname + " is not supported");
        }
      } else {
        throw Error(loc(m.value, fname),
                    field + " field \"" + key + "\" in " + fname + " is not supported");
      }
    }
    if (!a.behavior.empty() && a.behavior != "create" && a.behavior != "merge" &&
        a.behavior != "replace")
      throw Error(a.where, "behavior must be create, merge or replace, not " + a.behavior);
    return a;
  }

  void run_generators(const doc::Value& k, const fs::path& dir, const std::string& fname,
                      ResList& ra) {
    std::vector<HelmChartSpec> charts = helm_charts(k, fname);
    GeneratorOptions global;
    if (const doc::Value* go = k.find("generatorOptions"); go && !go->is_null()) {
      if (!go->is_map()) throw Error(loc(*go, fname), "generatorOptions must be a mapping");
      for (const auto& m : go->as_map()) {
        if (m.key == "labels")
          global.labels = string_map(&m.value, "generatorOptions.labels", fname);
        else if (m.key == "annotations")
          global.annotations = string_map(&m.value, "generatorOptions.annotations", fname);
        else if (m.key == "disableNameSuffixHash")
          global.disable_hash = opt_bool(*go, m.key, fname).value_or(false);
        else if (m.key == "immutable")
          global.immutable = opt_bool(*go, m.key, fname).value_or(false);
        else
          throw Error(loc(m.value, fname),
                      "generatorOptions." + m.key + " in " + fname + " is not supported");
      }
    }
    NameIndex idx;
    bool indexed = false;
    FileReader reader = [&](const std::string& rel) {
      Location where{fname};
      return read(file_path(dir, rel, where));
    };
    for (const char* field : {"configMapGenerator", "secretGenerator"}) {
      const doc::Value* gens = k.find(field);
      if (!gens || gens->is_null()) continue;
      if (!gens->is_list()) throw Error(loc(*gens, fname), std::string(field) + " must be a list");
      for (const auto& g : gens->as_list()) {
        GeneratorArgs a = parse_generator(g, field, fname);
        if (a.name.empty())
          throw Error(a.where, std::string(field) + " entry in " + fname + " has no name");
        if (!indexed) {
          for (size_t i = 0; i < ra.size(); ++i)
            index_res(idx, ra, i);
          indexed = true;
        }
        Res r = generate(a, global, reader);
        r.generator_kind = a.kind + "Generator";
        absorb(ra, std::move(r), idx);
      }
    }
    for (const auto& c : charts)
      inflate(c, dir, Location{fname}, "", ra);
    run_plugins(k, "generators", dir, fname, ra);
  }

  // helmCharts (with helmGlobals) and the deprecated
  // helmChartInflationGenerator. kustomize configures every generator before
  // any runs, so a chart without --enable-helm fails before the others run.
  std::vector<HelmChartSpec> helm_charts(const doc::Value& k, const std::string& fname) {
    const doc::Value* globals_v = k.find("helmGlobals");
    HelmGlobals globals = parse_helm_globals(globals_v, fname);
    std::vector<HelmChartSpec> charts;
    if (const doc::Value* list = k.find("helmCharts"); list && !list->is_null()) {
      if (!list->is_list()) throw Error(loc(*list, fname), "helmCharts must be a list");
      for (const auto& e : list->as_list())
        charts.push_back(parse_helm_chart(e, fname, false));
    }
    if (const doc::Value* legacy = k.find("helmChartInflationGenerator"))
      for (auto& c :
           parse_legacy_helm_charts(*legacy, fname, globals, globals_v && !globals_v->is_null()))
        charts.push_back(std::move(c));
    if (opts_.helm_command.empty() && !charts.empty()) throw_helm_not_enabled(charts.front());
    for (auto& c : charts)
      c.globals = globals;
    return charts;
  }

  // Runs helm for one chart and absorbs its objects like a generator's.
  void inflate(const HelmChartSpec& chart, const fs::path& dir, const Location& source,
               const std::string& plugin_name, ResList& ra) {
    HelmRunner runner;
    runner.command = opts_.helm_command;
    runner.kube_version = opts_.helm_kube_version;
    runner.api_versions = opts_.helm_api_versions;
    runner.dir = dir;
    runner.load = [&](const fs::path& p, const Location& where) {
      check_within_root(p, p.string(), where);
      if (!is_within(dir, p))
        throw Error(
            where, "security; file '" + p.string() + "' is not in or below '" + dir.string() + "'");
      if (!exists_file(p))
        throw Error(where, "helm values file " + p.string() + " does not exist",
                    ExitCode::kNotFound);
      return read(p);
    };
    runner.parse = [](const std::string& text, const std::string& name) {
      return parse_kyaml_stream(text, name);
    };
    runner.check_dir = [&](const fs::path& p, const Location& where) {
      check_within_root(p, p.string(), where);
    };
    std::string out = inflate_helm_chart(chart, runner);
    ResList generated;
    add_objects(out, "helm template of chart " + chart.name, generated);
    NameIndex idx;
    for (size_t i = 0; i < ra.size(); ++i)
      index_res(idx, ra, i);
    for (auto& r : generated) {
      r.source = source;
      r.generator_kind = "HelmChartInflationGenerator";
      r.generator_name = plugin_name;
      absorb(ra, std::move(r), idx);
    }
  }

  // Index of resources by kind and every name they had (for generators'
  // "by any id" matching without a scan per generator).
  using NameIndex = std::unordered_multimap<std::string, size_t>;
  static void index_res(NameIndex& idx, const ResList& ra, size_t i) {
    std::string kind = ra[i].obj.get_string("kind");
    idx.emplace(kind + "|" + ra[i].name(), i);
    for (const auto& p : ra[i].prev)
      idx.emplace(p.gvk.kind + "|" + p.name, i);
  }

  void absorb(ResList& ra, Res r, NameIndex& idx) {
    ResId id = r.cur_id();
    std::vector<size_t> matches;
    auto range = idx.equal_range(id.gvk.kind + "|" + id.name);
    for (auto it = range.first; it != range.second; ++it)
      if (std::find(matches.begin(), matches.end(), it->second) == matches.end() &&
          ra[it->second].matches_any_id(id))
        matches.push_back(it->second);
    if (matches.empty()) {
      if (r.behavior == "merge" || r.behavior == "replace")
        throw Error(r.source, "id " + id.str() + " does not exist; cannot merge or replace");
      append(ra, std::move(r));
      index_res(idx, ra, ra.size() - 1);
      return;
    }
    if (matches.size() > 1)
      throw Error(r.source, "id " + id.str() + " matches more than one resource");
    Res& old = ra[matches[0]];
    if (r.behavior != "merge" && r.behavior != "replace")
      throw Error(r.source, "id " + id.str() +
                                " exists; behavior must be merge or replace (it is generated "
                                "also by " +
                                old.source.str() + ")");
    doc::Value& meta = r.obj["metadata"];
    for (const char* f : {"labels", "annotations"}) {
      doc::Value merged = doc::Value::map();
      if (const doc::Value* o = old.obj.find_path({"metadata", f}); o && o->is_map())
        for (const auto& m : o->as_map())
          merged.set(m.key, m.value);
      if (const doc::Value* n = meta.find(f); n && n->is_map())
        for (const auto& m : n->as_map())
          merged.set(m.key, m.value);
      if (!merged.as_map().empty()) meta.set(f, merged);
    }
    meta.set("name", old.name());
    if (old.ns().empty())
      meta.erase("namespace");
    else
      meta.set("namespace", old.ns());
    if (r.behavior == "merge") {
      for (const char* f : {"data", "binaryData"}) {
        const doc::Value* o = old.obj.find(f);
        if (!o || !o->is_map()) continue;
        doc::Value merged = *o;
        if (const doc::Value* n = r.obj.find(f); n && n->is_map())
          for (const auto& m : n->as_map())
            merged.set(m.key, m.value);
        r.obj.set(f, merged);
      }
    }
    r.prev = old.prev;
    r.prefixes = old.prefixes;
    r.suffixes = old.suffixes;
    r.ref_vars = old.ref_vars;
    // kustomize keeps the old resource's hash option, unless the new one
    // disables the hash (CopyMergeMetaDataFieldsFrom drops needs-hash then).
    r.needs_hash = old.needs_hash && r.needs_hash;
    if (r.behavior == "merge") {  // the origin annotation stays the old one's
      r.source = old.source;
      r.generator_kind = old.generator_kind;
      r.generator_name = old.generator_name;
    }
    r.behavior.clear();
    old = std::move(r);
    index_res(idx, ra, matches[0]);
  }

  // --- transformers ---

  std::vector<doc::Value> patch_docs(const std::string& text, const std::string& name) {
    std::vector<doc::Value> out;
    for (auto& d : doc::parse_yaml_stream(text, name))
      if (!d.is_null()) out.push_back(std::move(d));
    return out;
  }

  void apply_smp_by_id(ResList& ra, const doc::Value& patch, const Location& where,
                       SmpChange change = {}) {
    if (!patch.is_map()) throw Error(where, "a strategic merge patch must be a mapping");
    ResId id{Gvk::of(patch),
             patch.find_path({"metadata", "name"})
                 ? scalar_string(*patch.find_path({"metadata", "name"}))
                 : std::string(),
             patch.find_path({"metadata", "namespace"})
                 ? scalar_string(*patch.find_path({"metadata", "namespace"}))
                 : std::string()};
    std::vector<size_t> matches;
    for (size_t i = 0; i < ra.size(); ++i)
      if (ra[i].matches_any_id(id)) matches.push_back(i);
    if (matches.empty())
      throw Error(where, "no resource matches strategic merge patch \"" + id.str() + "\"");
    if (matches.size() > 1)
      throw Error(where, "multiple resources match strategic merge patch \"" + id.str() + "\"");
    apply_smp_to(ra, matches, patch, change);
  }

  void apply_smp_to(ResList& ra, const std::vector<size_t>& targets, const doc::Value& patch,
                    SmpChange change = {}) {
    std::vector<size_t> deleted;
    for (size_t i : targets) {
      Res& r = ra[i];
      std::string name = r.name(), ns = r.ns(), kind = r.obj.get_string("kind");
      doc::Value p = patch;
      if (p.is_map()) {
        if (!change.kind) {
          p.erase("apiVersion");
          p.erase("kind");
        }
        if (doc::Value* meta = p.find("metadata"); meta && meta->is_map()) {
          if (!change.name) meta->erase("name");
          meta->erase("namespace");
        }
      }
      if (change.name || change.kind) r.store_previous_id();
      if (!strategic_merge(r.obj, p)) {
        deleted.push_back(i);
        continue;
      }
      if (!change.kind) r.obj.set("kind", kind);
      if (!change.name) r.set_name(name);
      if (ns.empty()) {
        if (doc::Value* meta = r.obj.find("metadata")) meta->erase("namespace");
      } else {
        r.set_ns(ns);
      }
    }
    std::sort(deleted.rbegin(), deleted.rend());
    for (size_t i : deleted)
      ra.erase(ra.begin() + static_cast<long>(i));
  }

  void apply_json_to(ResList& ra, const std::vector<size_t>& targets, const doc::Value& ops,
                     const Location& where) {
    for (size_t i : targets) {
      try {
        apply_json6902(ra[i].obj, ops, where);
      } catch (Error& e) {
        e.add_context("applying a JSON 6902 patch to " + ra[i].cur_id().str());
        throw;
      }
    }
  }

  void run_patches(const doc::Value& k, const fs::path& dir, const std::string& fname,
                   ResList& ra) {
    const doc::Value* patches = k.find("patches");
    if (!patches || patches->is_null()) return;
    if (!patches->is_list()) throw Error(loc(*patches, fname), "patches must be a list");
    for (const auto& e : patches->as_list())
      apply_patch(e, dir, fname, ra);
  }

  // One `patches` entry (or a builtin PatchTransformer): `path` or `patch`,
  // optional `target`; a YAML/JSON list is JSON 6902, anything else SMP.
  void apply_patch(const doc::Value& e, const fs::path& dir, const std::string& fname, ResList& ra,
                   const std::set<std::string>& skip = {}) {
    if (!e.is_map()) throw Error(loc(e, fname), "patches entries must be mappings");
    const doc::Value* path = e.find("path");
    const doc::Value* inl = e.find("patch");
    const doc::Value* target = e.find("target");
    for (const auto& m : e.as_map())
      if (m.key != "path" && m.key != "patch" && m.key != "target" && m.key != "options" &&
          !skip.count(m.key))
        throw Error(loc(m.value, fname),
                    "patches field \"" + m.key + "\" in " + fname + " is not supported");
    // options.allowNameChange / allowKindChange: the patch may rename the
    // target or change its kind (kustomize's gvkn patches).
    SmpChange change;
    if (const doc::Value* o = e.find("options"); o && !o->is_null()) {
      if (!o->is_map()) throw Error(loc(*o, fname), "patches options must be a mapping");
      for (const auto& m : o->as_map()) {
        if (m.key != "allowNameChange" && m.key != "allowKindChange")
          throw Error(loc(m.value, fname),
                      "patches option \"" + m.key + "\" in " + fname + " is not supported");
        if (!m.value.is_bool())
          throw Error(loc(m.value, fname), "patches option " + m.key + " must be true or false");
        (m.key == "allowNameChange" ? change.name : change.kind) = m.value.as_bool();
      }
    }
    if ((path != nullptr) == (inl != nullptr))
      throw Error(loc(e, fname), "a patch needs exactly one of path and patch (in " + fname + ")");
    std::string text, name;
    Location where = loc(e, fname);
    if (path) {
      fs::path p = file_path(dir, scalar_string(*path), loc(*path, fname));
      text = read(p);
      name = p.string();
      where = Location{name};
    } else {
      if (!inl->is_string()) throw Error(loc(*inl, fname), "patch must be a string");
      text = inl->as_string();
      name = fname;
      where = loc(*inl, fname);
    }
    auto docs = patch_docs(text, name);
    bool is_json = docs.size() == 1 && docs[0].is_list();
    std::optional<Selector> sel;
    if (target && !target->is_null()) sel = parse_selector(*target, fname);
    if (is_json) {
      if (!sel) throw Error(where, "a JSON 6902 patch needs a target (in " + fname + ")");
      apply_json_to(ra, select(ra, *sel, where), docs[0], where);
      return;
    }
    // Strategic merge patches are read with kyaml, like resources.
    for (auto& d : docs)
      kyaml_booleans(d, text);
    for (const auto& d : docs) {
      if (!d.is_map())
        throw Error(where, "unable to parse the patch as a strategic merge or JSON 6902 patch");
      if (sel)
        apply_smp_to(ra, select(ra, *sel, where), d, change);
      else
        apply_smp_by_id(ra, d, where, change);
    }
  }

  void run_patches_sm(const doc::Value& k, const fs::path& dir, const std::string& fname,
                      ResList& ra) {
    for (const auto& [entry, where] : strings(k, "patchesStrategicMerge", fname))
      apply_smp_entry(entry, where, dir, fname, ra);
  }

  // One patchesStrategicMerge entry: a file path or an inline patch.
  void apply_smp_entry(const std::string& entry, const Location& where, const fs::path& dir,
                       const std::string& fname, ResList& ra) {
    std::string text = entry, name = fname;
    Location at = where;
    bool inline_patch =
        entry.find('\n') != std::string::npos || entry.find(':') != std::string::npos;
    if (!inline_patch || exists_file(dir / entry)) {
      fs::path p = file_path(dir, entry, where);
      if (!exists_file(p))
        throw Error(where, "patch file \"" + entry + "\" listed in " + fname + " does not exist",
                    ExitCode::kNotFound);
      text = read(p);
      name = p.string();
      at = Location{name};
    }
    for (const auto& d : patch_docs(text, name))
      apply_smp_by_id(ra, d, at);
  }

  void run_patches_json(const doc::Value& k, const fs::path& dir, const std::string& fname,
                        ResList& ra) {
    const doc::Value* list = k.find("patchesJson6902");
    if (!list || list->is_null()) return;
    if (!list->is_list()) throw Error(loc(*list, fname), "patchesJson6902 must be a list");
    for (const auto& e : list->as_list())
      apply_json_entry(e, "patch", dir, fname, ra);
  }

  // One patchesJson6902 entry (or a builtin PatchJson6902Transformer, whose
  // inline operations are under `jsonOp`): `target` and `path` or `inline_key`.
  void apply_json_entry(const doc::Value& e, const std::string& inline_key, const fs::path& dir,
                        const std::string& fname, ResList& ra) {
    const doc::Value* target = e.find("target");
    if (!target) throw Error(loc(e, fname), "patchesJson6902 entry needs a target");
    Selector sel = parse_selector(*target, fname);
    const doc::Value* path = e.find("path");
    const doc::Value* inl = e.find(inline_key);
    if ((path != nullptr) == (inl != nullptr))
      throw Error(loc(e, fname),
                  "a patchesJson6902 entry needs exactly one of path and " + inline_key);
    std::string text, name = fname;
    Location where = loc(e, fname);
    if (path) {
      fs::path p = file_path(dir, scalar_string(*path), loc(*path, fname));
      text = read(p);
      name = p.string();
      where = Location{name};
    } else {
      text = scalar_string(*inl);
    }
    // JSON patches are decoded like kubectl does (YAML 1.1 booleans).
    doc::Value ops = doc::parse_yaml(text, name);
    apply_json_to(ra, select(ra, sel, where), ops, where);
  }

  // --- builtin plugin configurations (transformers:, generators:) ---

  // The configs an entry of `transformers:`/`generators:` names: an inline
  // YAML object, a file, or a kustomization directory building such objects.
  ResList plugin_configs(const std::string& entry, const Location& where, const fs::path& dir,
                         const std::string& fname) {
    ResList configs;
    bool inline_config = entry.find('\n') != std::string::npos ||
                         (entry.find(": ") != std::string::npos && !exists_file(dir / entry) &&
                          !fs::is_directory(dir / entry));
    if (inline_config)
      add_objects(entry, fname, configs);
    else
      add_resource(dir, fname, entry, where, configs);
    return configs;
  }

  void run_plugins(const doc::Value& k, const char* field, const fs::path& dir,
                   const std::string& fname, ResList& ra) {
    for (const auto& [entry, where] : strings(k, field, fname))
      for (const auto& c : plugin_configs(entry, where, dir, fname))
        run_plugin(c, std::string(field) == "generators", dir, fname, ra);
  }

  // Runs one builtin plugin config with the same code as the kustomization
  // field it stands for.
  void run_plugin(const Res& c, bool generator, const fs::path& dir, const std::string& fname,
                  ResList& ra) {
    const doc::Value& o = c.obj;
    std::string api = o.get_string("apiVersion"), kind = o.get_string("kind");
    std::string cfile = c.source.file.empty() ? fname : c.source.file;
    Location where = c.source;
    if (api != "builtin")
      throw Error(where, "plugin " + api + "/" + kind + " (" + c.source.str() +
                             ") is not supported: gantry's kustomize engine runs only builtin "
                             "plugins (apiVersion: builtin), not exec, container or Go plugins");
    static const std::set<std::string> kGenerators = {"ConfigMapGenerator", "SecretGenerator",
                                                      "HelmChartInflationGenerator",
                                                      "IAMPolicyGenerator"};
    if (generator != (kGenerators.count(kind) > 0))
      throw Error(where, "builtin " + kind + " (" + c.source.str() + ") cannot be listed under " +
                             (generator ? "generators" : "transformers"));
    auto specs = [&](bool required) {
      const doc::Value* f = o.find("fieldSpecs");
      if (required && (!f || f->is_null()))
        throw Error(where, "builtin " + kind + ": fieldSpecs is not expected to be nil");
      return f ? parse_field_specs(*f, kind + ".fieldSpecs", cfile) : std::vector<FieldSpec>{};
    };
    auto known = [&](std::initializer_list<std::string_view> keys) {
      for (const auto& m : o.as_map())
        if (m.key != "apiVersion" && m.key != "kind" && m.key != "metadata" &&
            std::find(keys.begin(), keys.end(), m.key) == keys.end())
          throw Error(loc(m.value, cfile), "builtin " + kind + " field \"" + m.key +
                                               "\" is not supported (in " + cfile + ")");
    };
    if (kind == "ConfigMapGenerator" || kind == "SecretGenerator") {
      GeneratorArgs a = parse_generator(o, kind, cfile, {"apiVersion", "kind", "metadata"});
      if (a.name.empty()) a.name = c.name();
      if (a.ns.empty()) a.ns = c.ns();
      if (a.name.empty()) throw Error(where, kind + " (" + c.source.str() + ") has no name");
      FileReader reader = [&](const std::string& rel) {
        return read(file_path(dir, rel, Location{fname}));
      };
      NameIndex idx;
      for (size_t i = 0; i < ra.size(); ++i)
        index_res(idx, ra, i);
      Res r = generate(a, GeneratorOptions{}, reader);
      r.generator_kind = kind;
      r.generator_name = c.name();
      absorb(ra, std::move(r), idx);
    } else if (kind == "HelmChartInflationGenerator") {
      HelmChartSpec chart = parse_helm_chart(o, cfile, true);
      inflate(chart, dir, c.source.file.empty() ? Location{fname} : Location{c.source.file},
              c.name(), ra);
    } else if (kind == "IAMPolicyGenerator") {
      // kustomize's IAMPolicyGenerator: a GKE workload-identity ServiceAccount.
      known({"cloud", "kubernetesService", "serviceAccount"});
      std::string cloud = str_field(o, "cloud", cfile);
      if (cloud != "gke")
        throw Error(where, "builtin IAMPolicyGenerator (" + c.source.str() + "): cloud provider " +
                               cloud + " not supported yet");
      doc::Value none = doc::Value::map();
      const doc::Value* ks = o.find("kubernetesService");
      const doc::Value* sa = o.find("serviceAccount");
      if (!ks || ks->is_null()) ks = &none;
      if (!sa || sa->is_null()) sa = &none;
      std::string ns = str_field(*ks, "namespace", cfile);
      doc::Value annotations = doc::Value::map();
      annotations.set("iam.gke.io/gcp-service-account", str_field(*sa, "name", cfile) + "@" +
                                                            str_field(*sa, "projectId", cfile) +
                                                            ".iam.gserviceaccount.com");
      doc::Value meta = doc::Value::map();
      meta.set("annotations", std::move(annotations));
      meta.set("name", str_field(*ks, "name", cfile));
      if (!ns.empty()) meta.set("namespace", ns);
      Res r;
      r.obj = doc::Value::map();
      r.obj.set("apiVersion", "v1");
      r.obj.set("kind", "ServiceAccount");
      r.obj.set("metadata", std::move(meta));
      r.source = where;
      r.generator_kind = kind;
      r.generator_name = c.name();
      append(ra, std::move(r));
      check_unique(ra);
    } else if (kind == "LabelTransformer" || kind == "AnnotationsTransformer") {
      bool labels = kind == "LabelTransformer";
      const char* key = labels ? "labels" : "annotations";
      known({key, "fieldSpecs"});
      doc::Value pairs = string_map(o.find(key), kind + "." + key, cfile);
      if (labels)
        apply_labels(ra, pairs, specs(false));
      else
        apply_annotations(ra, pairs, specs(false));
    } else if (kind == "PrefixSuffixTransformer" || kind == "PrefixTransformer" ||
               kind == "SuffixTransformer") {
      known({"prefix", "suffix", "fieldSpecs"});
      std::vector<Gvk> kinds;
      for (const auto& f : specs(kind != "PrefixSuffixTransformer")) {
        if (f.path != "metadata/name")
          throw Error(where, "builtin " + kind + " (" + c.source.str() + "): only the path " +
                                 "metadata/name is supported, not " + f.path);
        kinds.push_back(f.gvk);
      }
      std::string prefix = kind == "SuffixTransformer" ? "" : str_field(o, "prefix", cfile);
      std::string suffix = kind == "PrefixTransformer" ? "" : str_field(o, "suffix", cfile);
      apply_prefix_suffix(ra, prefix, suffix, &kinds);
    } else if (kind == "NamespaceTransformer") {
      known({"fieldSpecs", "unsetOnly", "setRoleBindingSubjects"});
      if (opt_bool(o, "unsetOnly", cfile).value_or(false))
        throw Error(where, "builtin NamespaceTransformer: unsetOnly is not supported");
      std::string rb = str_field(o, "setRoleBindingSubjects", cfile);
      if (!rb.empty() && rb != "defaultOnly")
        throw Error(where, "builtin NamespaceTransformer: setRoleBindingSubjects " + rb +
                               " is not supported (only defaultOnly)");
      // metadata/namespace is always set; the other fields are kustomize's
      // three defaults, all of them or none.
      int defaults = 0;
      for (const auto& f : specs(false)) {
        if (f.path == "metadata/namespace") continue;
        bool is_default = (f.path == "metadata/name" && f.gvk.kind == "Namespace") ||
                          (f.path == "spec/service/namespace" && f.gvk.kind == "APIService") ||
                          (f.path == "spec/conversion/webhook/clientConfig/service/namespace" &&
                           f.gvk.kind == "CustomResourceDefinition");
        if (!is_default)
          throw Error(where, "builtin NamespaceTransformer: the field spec " + f.path +
                                 " is not supported");
        ++defaults;
      }
      if (defaults != 0 && defaults != 3)
        throw Error(where,
                    "builtin NamespaceTransformer: give all three default field specs "
                    "besides metadata/namespace, or none");
      std::string ns = c.ns();
      apply_namespace(ra, ns, where, defaults == 3);
    } else if (kind == "ImageTagTransformer") {
      known({"imageTag", "fieldSpecs"});
      const doc::Value* t = o.find("imageTag");
      if (!t || !t->is_map()) throw Error(where, "builtin ImageTagTransformer needs an imageTag");
      ImageSpec img{str_field(*t, "name", cfile), str_field(*t, "newName", cfile),
                    str_field(*t, "newTag", cfile), str_field(*t, "digest", cfile)};
      apply_images(ra, {img}, specs(false));
    } else if (kind == "ReplicaCountTransformer") {
      known({"replica", "fieldSpecs"});
      const doc::Value* r = o.find("replica");
      const doc::Value* count = r ? r->find("count") : nullptr;
      if (!r || !count || !count->is_int())
        throw Error(where,
                    "builtin ReplicaCountTransformer needs replica.name and an integer "
                    "replica.count");
      apply_replicas(ra, ReplicaSpec{str_field(*r, "name", cfile), count->as_int()}, specs(false),
                     where);
    } else if (kind == "ReplacementTransformer") {
      known({"replacements"});
      if (const doc::Value* reps = o.find("replacements"))
        apply_replacements(ra, parse_replacements(*reps, cfile, path_reader(dir)));
    } else if (kind == "HashTransformer") {
      known({});
      apply_hash_suffixes(ra, /*keep_pending=*/true);
    } else if (kind == "ValueAddTransformer") {
      known({"value", "targets", "targetFilePath"});
      ValueAddArgs args;
      args.where = where;
      args.value = std::string(trim_space(str_field(o, "value", cfile)));
      if (args.value.empty()) args.value = dir.filename().string();
      parse_value_add_targets(o.find("targets"), cfile, args.targets);
      if (std::string tf = str_field(o, "targetFilePath", cfile); !tf.empty()) {
        fs::path p = file_path(dir, tf, where);
        doc::Value file = doc::parse_yaml(read(p), p.string());
        if (!file.is_null() && !file.is_map())
          throw Error(Location{p.string()}, "a targetFilePath file must be a mapping");
        parse_value_add_targets(file.is_map() ? file.find("targets") : nullptr, p.string(),
                                args.targets);
      }
      if (args.targets.empty()) throw Error(where, "must specify at least one target");
      for (const auto& t : args.targets) {
        if (t.field_path.empty()) throw Error(where, "fieldPath cannot be empty");
        if (t.file_path_position < 0)
          throw Error(where, "value of FilePathPosition (" + std::to_string(t.file_path_position) +
                                 ") cannot be negative");
      }
      apply_value_add(ra, args);
    } else if (kind == "PatchTransformer") {
      apply_patch(o, dir, cfile, ra, {"apiVersion", "kind", "metadata"});
    } else if (kind == "PatchJson6902Transformer") {
      known({"target", "path", "jsonOp"});
      apply_json_entry(o, "jsonOp", dir, cfile, ra);
    } else if (kind == "PatchStrategicMergeTransformer") {
      known({"paths", "patches"});
      auto paths = strings(o, "paths", cfile);
      std::string patches = str_field(o, "patches", cfile);
      if (paths.empty() && patches.empty())
        throw Error(where,
                    "builtin PatchStrategicMergeTransformer: empty file path and empty "
                    "patch content");
      for (const auto& [p, at] : paths)
        apply_smp_entry(p, at, dir, cfile, ra);
      if (!patches.empty()) apply_smp_entry(patches, where, dir, cfile, ra);
    } else {
      throw Error(where, "builtin plugin " + kind + " (" + c.source.str() +
                             ") is not supported by gantry's kustomize engine (see "
                             "docs/commands/kustomize.md)");
    }
  }

  static std::string_view trim_space(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
      s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
      s.remove_suffix(1);
    return s;
  }

  // ValueAddTransformer targets: `selector`, `fieldPath`, `filePathPosition`.
  static void parse_value_add_targets(const doc::Value* list, const std::string& file,
                                      std::vector<ValueAddTarget>& out) {
    if (!list || list->is_null()) return;
    if (!list->is_list())
      throw Error(loc(*list, file), "ValueAddTransformer targets must be a list");
    for (const auto& t : list->as_list()) {
      if (!t.is_map()) throw Error(loc(t, file), "ValueAddTransformer targets must be mappings");
      ValueAddTarget target;
      for (const auto& m : t.as_map()) {
        if (m.key == "selector") {
          if (!m.value.is_null()) target.selector = parse_selector(m.value, file);
        } else if (m.key == "fieldPath") {
          target.field_path = str_field(t, "fieldPath", file);
        } else if (m.key == "filePathPosition") {
          if (!m.value.is_int())
            throw Error(loc(m.value, file), "filePathPosition must be an integer");
          target.file_path_position = m.value.as_int();
        } else {
          throw Error(loc(m.value, file),
                      "ValueAddTransformer target field \"" + m.key + "\" is not supported");
        }
      }
      out.push_back(std::move(target));
    }
  }

  // Reads the file of a `replacements` (or `what`) entry's `path:` (relative
  // to `dir`).
  PathReader path_reader(const fs::path& dir, std::string what = "replacements") {
    return [this, dir, what](const std::string& rel, const Location& where) {
      fs::path p = file_path(dir, rel, where);
      if (!exists_file(p))
        throw Error(where, what + " file \"" + rel + "\" does not exist (" + p.string() + ")",
                    ExitCode::kNotFound);
      return std::make_pair(read(p), p.string());
    };
  }

  static std::string str_field(const doc::Value& k, std::string_view key,
                               const std::string& fname) {
    const doc::Value* v = k.find(key);
    if (!v || v->is_null()) return {};
    return need_string(*v, std::string(key), fname);
  }

  void run_transformers(const doc::Value& k, const fs::path& dir, const std::string& fname,
                        ResList& ra) {
    run_patches_sm(k, dir, fname, ra);
    run_patches(k, dir, fname, ra);
    apply_namespace(ra, str_field(k, "namespace", fname), Location{fname});
    apply_prefix_suffix(ra, str_field(k, "namePrefix", fname), str_field(k, "nameSuffix", fname));
    if (const doc::Value* labels = k.find("labels"); labels && !labels->is_null()) {
      if (!labels->is_list()) throw Error(loc(*labels, fname), "labels must be a list");
      for (const auto& l : labels->as_list()) {
        if (!l.is_map()) throw Error(loc(l, fname), "labels entries must be mappings");
        doc::Value pairs = string_map(l.find("pairs"), "labels.pairs", fname);
        bool selectors = opt_bool(l, "includeSelectors", fname).value_or(false);
        bool templates = opt_bool(l, "includeTemplates", fname).value_or(false);
        std::vector<FieldSpec> specs;
        if (const doc::Value* fields = l.find("fields"); fields && fields->is_list())
          for (const auto& f : fields->as_list())
            specs.push_back(FieldSpec{
                Gvk{f.get_string("group"), f.get_string("version"), f.get_string("kind")},
                f.get_string("path"),
                f.find("create") && f.find("create")->is_bool() && f.find("create")->as_bool()});
        for (const auto& m : l.as_map())
          if (m.key != "pairs" && m.key != "includeSelectors" && m.key != "includeTemplates" &&
              m.key != "fields")
            throw Error(loc(m.value, fname), "labels field \"" + m.key + "\" is not supported");
        // The `labels` specs of configurations: apply to every entry.
        for (const auto& s : cfg_.labels)
          specs.push_back(s);
        if (selectors) {
          for (const auto& s : cfg_.common_labels)
            specs.push_back(s);
        } else {
          specs.push_back(FieldSpec{{}, "metadata/labels", true});
          if (templates) {
            for (const auto& s : template_label_specs())
              specs.push_back(s);
            for (const auto& s : cfg_.template_labels)
              specs.push_back(s);
          }
        }
        apply_labels(ra, pairs, specs);
      }
    }
    apply_labels(ra, string_map(k.find("commonLabels"), "commonLabels", fname), cfg_.common_labels);
    apply_annotations(ra, string_map(k.find("commonAnnotations"), "commonAnnotations", fname),
                      cfg_.common_annotations);
    run_patches_json(k, dir, fname, ra);
    if (const doc::Value* reps = k.find("replicas"); reps && !reps->is_null()) {
      if (!reps->is_list()) throw Error(loc(*reps, fname), "replicas must be a list");
      for (const auto& r : reps->as_list()) {
        ReplicaSpec rs;
        rs.name = r.get_string("name");
        const doc::Value* c = r.find("count");
        if (rs.name.empty() || !c || !c->is_int())
          throw Error(loc(r, fname), "replicas entries need a name and an integer count");
        rs.count = c->as_int();
        apply_replicas(ra, rs, cfg_.replicas, loc(r, fname));
      }
    }
    if (const doc::Value* imgs = k.find("images"); imgs && !imgs->is_null()) {
      if (!imgs->is_list()) throw Error(loc(*imgs, fname), "images must be a list");
      std::vector<ImageSpec> specs;
      for (const auto& i : imgs->as_list()) {
        if (!i.is_map()) throw Error(loc(i, fname), "images entries must be mappings");
        ImageSpec s;
        for (const auto& m : i.as_map()) {
          std::string v =
              m.value.is_null() ? std::string() : need_string(m.value, "images." + m.key, fname);
          if (m.key == "name")
            s.name = v;
          else if (m.key == "newName")
            s.new_name = v;
          else if (m.key == "newTag")
            s.new_tag = v;
          else if (m.key == "digest")
            s.digest = v;
          else
            throw Error(loc(m.value, fname), "images field \"" + m.key + "\" is not supported");
        }
        if (s.name.empty()) throw Error(loc(i, fname), "images entries need a name");
        specs.push_back(std::move(s));
      }
      apply_images(ra, specs, cfg_.images);
    }
    // Replacements run last among the kustomization's own transformers.
    if (const doc::Value* reps = k.find("replacements"))
      apply_replacements(ra, parse_replacements(*reps, fname, path_reader(dir)));
    run_plugins(k, "transformers", dir, fname, ra);
  }

  const Options& opts_;
  fs::path root_;
  LoadRestrictor restrictor_ = opts_.load_restrictor;
  std::vector<std::string> remote_chain_;  // the Git URLs being built, outermost first
  struct RemoteTree {
    fs::path tree;          // the fetched files
    std::string repo, ref;  // kustomize's origin: clone URL (without credentials) and ref
  };
  std::vector<RemoteTree> remote_trees_;
  std::map<fs::path, std::string> overlay_;
  std::vector<fs::path> chain_;
  OpenApiChoice openapi_;  // the build's schema, while the Builder lives
  std::map<std::string, Var> vars_;
  TransformerConfig cfg_ = TransformerConfig::defaults();
  SortOptions sort_;  // the top kustomization's sortOptions (legacy by default)
  bool origin_annotations_ = false, managed_by_label_ = false;  // its buildMetadata
};

}  // namespace

bool is_kustomization_dir(const fs::path& dir) {
  for (const char* n : kFileNames)
    if (fs::is_regular_file(dir / n)) return true;
  return false;
}

std::vector<Resource> build(const fs::path& dir_in, const Options& options) {
  fs::path dir = normal(dir_in);
  Builder b(options);
  b.init(dir);
  if (!fs::is_directory(dir))
    throw Error(Location{dir_in.string()}, "not a directory", ExitCode::kNotFound);
  ResList ra = b.accumulate(dir, {}, false);
  apply_hash_suffixes(ra);
  fix_name_references(ra, b.config().name_reference);
  resolve_vars(ra, b.vars(), b.config().var_reference);
  // kustomize's IgnoreLocal: objects annotated config.kubernetes.io/local-config
  // (any value but "false") take part in the build but are not printed.
  std::erase_if(ra, [](const Res& r) {
    const doc::Value* v =
        r.obj.find_path({"metadata", "annotations", "config.kubernetes.io/local-config"});
    return v && !(v->is_scalar() && scalar_string(*v) == "false");
  });
  apply_sort_options(ra, b.sort_options());
  b.add_build_metadata(ra, dir);
  std::vector<Resource> out;
  out.reserve(ra.size());
  for (auto& r : ra) {
    // Annotations written during the build (replacements, ValueAdd) are
    // strings in kustomize's output too.
    if (doc::Value* annos =
            r.obj.find("metadata") ? r.obj["metadata"].find("annotations") : nullptr;
        annos && annos->is_map())
      for (auto& a : annos->as_map())
        if (!a.value.is_string()) a.value = doc::Value(annotation_text(a.value, {}));
    sort_keys(r.obj);
    out.push_back(Resource{std::move(r.obj), std::move(r.source)});
  }
  return out;
}

}  // namespace gantry::kustomize
