#include "render/render.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "core/file.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "kustomize/kustomize.h"
#include "render/helm.h"
#include "render/kind_scope.h"
#include "render/kustomize_remote.h"
#include "template/engine.h"

namespace gantry::render {

namespace fs = std::filesystem;

namespace {

bool is_manifest_file(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

bool has_file(const fs::path& dir, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (fs::exists(dir / n)) return true;
  return false;
}

// A label value: at most 63 characters, alphanumerics with '-', '_' and '.'
// inside.
bool valid_label_value(std::string_view v) {
  if (v.size() > 63) return false;
  if (v.empty()) return true;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(v.front()) || !alnum(v.back())) return false;
  return std::all_of(v.begin(), v.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

void check_object(const doc::Value& obj) {
  if (!obj.is_map()) obj.fail("a manifest document must be a Kubernetes object (a mapping)");
  for (const char* key : {"apiVersion", "kind"}) {
    const doc::Value* v = obj.find(key);
    if (!v || !v->is_string() || v->as_string().empty())
      obj.fail(std::string("the object has no ") + key);
  }
  const doc::Value* meta = obj.find("metadata");
  if (!meta || !meta->is_map()) obj.fail("the object has no metadata");
  const doc::Value* name = meta->find("name");
  const doc::Value* generate = meta->find("generateName");
  if ((!name || !name->is_string() || name->as_string().empty()) &&
      (!generate || !generate->is_string()))
    meta->fail("the object has no metadata.name");
}

// Labels and annotations are string maps in Kubernetes, but manifests often
// say `kluctl.io/hook-weight: 2`; the API server would reject the number, so
// scalars are turned into their string form.
void stringify_values(doc::Value& meta, std::string_view field) {
  doc::Value* map = meta.find(field);
  if (!map || !map->is_map()) return;
  for (auto& m : map->as_map()) {
    doc::Value& v = m.value;
    if (v.is_bool() || v.is_number()) {
      doc::SourceSpan span = v.span();
      v = doc::Value(doc::to_json(v));
      v.set_span(std::move(span));
    }
  }
}

void merge_into(doc::Value& meta, std::string_view field, const doc::Value& values) {
  if (!values.is_map() || values.as_map().empty()) return;
  doc::Value& target = meta[field];
  if (target.is_null()) target = doc::Value::map();
  if (!target.is_map()) target.fail("metadata." + std::string(field) + " must be a mapping");
  for (const auto& m : values.as_map())
    target.set(m.key, m.value);
}

class ItemRenderer {
 public:
  ItemRenderer(const RenderRequest& req, const fs::path& root, const std::string& discriminator,
               const tmpl::Engine& engine, kustomize::RemoteLoader& remote)
      : req_(req), root_(root), discriminator_(discriminator), engine_(engine), remote_(remote) {}

  std::vector<Object> render(const project::Item& item) {
    std::vector<Object> objects;
    const tmpl::Engine& engine = engine_for(item);
    std::optional<HelmOutput> helm = render_helm(item, engine);
    if (kustomize::is_kustomization_dir(item.dir)) {
      // The kustomization builds the item; the helm output (if any) is one of
      // its resources, provided in memory under the chart's output name.
      kustomize::Options opts;
      opts.root = source_root(item);
      opts.remote = &remote_;
      opts.read_file = [&engine, &item](const fs::path& path) {
        return engine.render(read_file(path), path.string(), item.vars);
      };
      if (helm) opts.overlay_files[helm->file] = doc::to_yaml_stream(helm->objects);
      for (auto& res : kustomize::build(item.dir, opts)) {
        check_object(res.object);
        decorate(res.object, item);
        objects.push_back(Object{std::move(res.object), std::move(res.source)});
      }
      learn_scopes(objects);
      return objects;
    }
    if (helm)
      for (auto& obj : helm->objects)
        add_object(std::move(obj), item, objects);
    // Without a kustomization every manifest file is an object list, except
    // the chart's own files (and a stale copy of its output) in a helm item.
    auto is_chart_file = [&](const fs::path& p) {
      if (!helm) return false;
      std::string name = p.filename().string();
      return name == "helm-chart.yaml" || name == "helm-chart.yml" || name == "helm-values.yaml" ||
             name == "helm-values.yml" || p.filename() == helm->file.filename();
    };
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(item.dir))
      if (e.is_regular_file() && is_manifest_file(e.path()) && !is_chart_file(e.path()))
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string text = engine.render(read_file(f), f.string(), item.vars);
      for (auto& doc : doc::parse_yaml_stream(text, f.string()))
        if (!doc.is_null()) add_object(std::move(doc), item, objects);
    }
    learn_scopes(objects);
    return objects;
  }

 private:
  struct HelmOutput {
    fs::path file;                    // the chart's `output` in the item's directory
    std::vector<doc::Value> objects;  // kluctl's treatment of `helm template`'s output
  };

  // The project's root, or the tree of the git: include the item comes from.
  const fs::path& source_root(const project::Item& item) const {
    return item.source_root.empty() ? root_ : item.source_root;
  }

  // Templates of a git: include's items search its own tree only.
  const tmpl::Engine& engine_for(const project::Item& item) {
    const fs::path& root = source_root(item);
    if (root == root_) return engine_;
    auto& engine = engines_[root];
    if (!engine) engine = std::make_unique<tmpl::Engine>(std::vector<fs::path>{root});
    return *engine;
  }

  // Renders the item's Helm chart, when it has a helm-chart.yaml: the chart
  // file and helm-values.yaml are templates like every other file.
  std::optional<HelmOutput> render_helm(const project::Item& item, const tmpl::Engine& engine) {
    if (!has_file(item.dir, {"helm-chart.yaml", "helm-chart.yml"})) return std::nullopt;
    fs::path chart_file = item.dir / "helm-chart.yaml";
    if (!fs::exists(chart_file)) chart_file = item.dir / "helm-chart.yml";
    std::string text = engine.render(read_file(chart_file), chart_file.string(), item.vars);
    HelmChart chart = parse_helm_chart(doc::parse_yaml(text, chart_file.string()));
    doc::Value file_values;
    for (const char* name : {"helm-values.yaml", "helm-values.yml"}) {
      fs::path values_file = item.dir / name;
      if (!fs::exists(values_file)) continue;
      std::string values_text =
          engine.render(read_file(values_file), values_file.string(), item.vars);
      file_values = doc::parse_yaml(values_text, values_file.string());
      break;
    }
    fs::path chart_dir = locate_chart(item, chart_file, chart);
    std::string rendered = helm_template(req_.helm_binary, chart_dir, item.dir, item.rel_dir, chart,
                                         chart_values(chart, file_values));
    HelmOutput out;
    out.file = item.dir / chart.output;
    out.objects = helm_objects(rendered, out.file.string(), chart, scopes_);
    return out;
  }

  // The folder of the item's pulled chart: the pre-pulled copy in the
  // project's .helm-charts, else (with --pull, or for skipPrePull charts) one
  // pulled now; otherwise an Error naming the item.
  fs::path locate_chart(const project::Item& item, const fs::path& chart_file,
                        const HelmChart& chart) {
    Location where{chart_file.string()};
    fs::path pre_pulled = pulled_chart_dir(source_root(item), chart);
    if (fs::exists(pre_pulled / "Chart.yaml")) return pre_pulled;
    const bool local = item.source_root.empty() || item.source_root == root_;
    if (!req_.pull && !chart.skip_prepull)
      throw Error(where,
                  "helm chart " + chart.chart_name + " " + chart.chart_version + " of item " +
                      item.rel_dir + " is not pre-pulled: " + pre_pulled.string() +
                      "/Chart.yaml is missing (run `gantry helm-pull`, or give --pull)",
                  ExitCode::kNotFound);
    fs::path dir = pre_pulled;
    if (!local || chart.skip_prepull) {
      if (req_.chart_cache_dir.empty())
        throw Error(where, "no cache directory for pulling charts on demand", ExitCode::kUsage);
      dir = req_.chart_cache_dir / chart_layout(chart);
      if (fs::exists(dir / "Chart.yaml")) return dir;
    }
    if (!puller_) puller_ = std::make_unique<ChartPuller>(req_.charts);
    try {
      puller_->pull(chart, dir);
    } catch (Error& e) {
      e.add_context("pulling the chart of item " + item.rel_dir);
      throw;
    }
    return dir;
  }

  void add_object(doc::Value doc, const project::Item& item, std::vector<Object>& out) {
    check_object(doc);
    decorate(doc, item);
    Location where = doc.span().location();
    out.push_back(Object{std::move(doc), std::move(where)});
  }

  // CRDs of an item tell later items (and overrideNamespace) their kinds' scope.
  void learn_scopes(const std::vector<Object>& objects) {
    for (const auto& o : objects)
      scopes_.learn(o.body);
  }

  void decorate(doc::Value& obj, const project::Item& item) {
    doc::Value& meta = obj["metadata"];
    merge_into(meta, "labels", item.common_labels);
    merge_into(meta, "annotations", item.common_annotations);
    scopes_.default_namespace(obj, item.override_namespace);
    if (!discriminator_.empty()) {
      doc::Value labels = doc::Value::object({{kDiscriminatorLabel, discriminator_}});
      merge_into(meta, "labels", labels);
    }
    stringify_values(meta, "labels");
    stringify_values(meta, "annotations");
  }

  const RenderRequest& req_;
  fs::path root_;
  const std::string& discriminator_;
  const tmpl::Engine& engine_;
  kustomize::RemoteLoader& remote_;
  std::map<fs::path, std::unique_ptr<tmpl::Engine>> engines_;  // by git tree
  std::unique_ptr<ChartPuller> puller_;                        // made on the first pull
  KindScopes scopes_;
};

}  // namespace

size_t RenderResult::object_count() const {
  size_t n = 0;
  for (const auto& i : items)
    n += i.objects.size();
  return n;
}

std::string object_key(const doc::Value& object) {
  std::string api = object.get_string("apiVersion");
  auto slash = api.find('/');
  std::string group = slash == std::string::npos ? "" : api.substr(0, slash);
  const doc::Value* meta = object.find("metadata");
  std::string ns = meta ? meta->get_string("namespace") : "";
  std::string name = meta ? meta->get_string("name") : "";
  return group + "/" + object.get_string("kind") + "/" + ns + "/" + name;
}

RenderResult render_project(const RenderRequest& request) {
  project::ProjectFile pf = project::load_project_file(request.project_dir);
  tmpl::Engine engine({pf.root});
  RenderResult result;
  result.target = project::resolve_target(pf, request.target, request.args, engine);
  if (!valid_label_value(result.target.discriminator))
    throw Error(Location{pf.file},
                "discriminator \"" + result.target.discriminator +
                    "\" is not a valid label value (at most 63 characters: "
                    "letters, digits, '-', '_', '.', alphanumeric at both ends)");
  project::GitSources git(request.git);
  project::Deployment deployment =
      project::load_deployment(pf.root, result.target.base_context(), engine, {}, &git);
  KustomizeRemote remote(git, request.git.fetch.offline);
  ItemRenderer renderer(request, pf.root, result.target.discriminator, engine, remote);
  std::map<std::string, Location> seen;
  for (auto& item : deployment.items) {
    if (!request.selection.selects(item)) continue;
    RenderedItem rendered;
    if (item.kind == project::Item::Kind::kPath) {
      try {
        rendered.objects = renderer.render(item);
      } catch (Error& e) {
        e.add_context("rendering item " + item.rel_dir +
                      (item.source.empty() ? "" : " from " + item.source));
        throw;
      }
      for (const auto& o : rendered.objects) {
        auto [it, inserted] = seen.emplace(object_key(o.body), o.source);
        if (!inserted)
          throw Error(o.source, "duplicate object " + object_key(o.body) + " (also rendered from " +
                                    it->second.str() + ")");
      }
    }
    rendered.item = std::move(item);
    result.items.push_back(std::move(rendered));
  }
  // git: items and the remote bases of kustomizations.
  result.git_sources = git.lock();
  return result;
}

}  // namespace gantry::render
