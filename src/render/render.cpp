#include "render/render.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/file.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "kustomize/kustomize.h"
#include "render/helm.h"
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
               const tmpl::Engine& engine)
      : req_(req), root_(root), discriminator_(discriminator), engine_(engine) {}

  std::vector<Object> render(const project::Item& item) {
    std::vector<Object> objects;
    std::optional<std::pair<std::string, std::string>> helm_output;  // file name, YAML
    if (has_file(item.dir, {"helm-chart.yaml", "helm-chart.yml"})) {
      fs::path chart_file = item.dir / "helm-chart.yaml";
      if (!fs::exists(chart_file)) chart_file = item.dir / "helm-chart.yml";
      std::string text = engine_.render(read_file(chart_file), chart_file.string(), item.vars);
      HelmChart chart = parse_helm_chart(doc::parse_yaml(text, chart_file.string()));
      std::string rendered = helm_template(req_.helm_binary, root_, item.dir, item.rel_dir, chart);
      helm_output.emplace(chart.output, std::move(rendered));
    }
    if (kustomize::is_kustomization_dir(item.dir)) {
      // The kustomization builds the item; the helm output (if any) is one of
      // its resources, provided in memory under the chart's output name.
      kustomize::Options opts;
      opts.root = root_;
      opts.read_file = [this, &item](const fs::path& path) {
        return engine_.render(read_file(path), path.string(), item.vars);
      };
      if (helm_output) opts.overlay_files[item.dir / helm_output->first] = helm_output->second;
      for (auto& res : kustomize::build(item.dir, opts)) {
        check_object(res.object);
        decorate(res.object, item);
        objects.push_back(Object{std::move(res.object), std::move(res.source)});
      }
      return objects;
    }
    if (helm_output)
      parse_objects(helm_output->second, (item.dir / helm_output->first).string(), item, objects);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(item.dir))
      if (e.is_regular_file() && is_manifest_file(e.path())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string text = engine_.render(read_file(f), f.string(), item.vars);
      parse_objects(text, f.string(), item, objects);
    }
    return objects;
  }

 private:
  void parse_objects(const std::string& text, const std::string& file, const project::Item& item,
                     std::vector<Object>& out) {
    for (auto& doc : doc::parse_yaml_stream(text, file)) {
      if (doc.is_null()) continue;
      check_object(doc);
      decorate(doc, item);
      Location where = doc.span().location();
      out.push_back(Object{std::move(doc), std::move(where)});
    }
  }

  void decorate(doc::Value& obj, const project::Item& item) {
    doc::Value& meta = obj["metadata"];
    merge_into(meta, "labels", item.common_labels);
    merge_into(meta, "annotations", item.common_annotations);
    if (!item.override_namespace.empty() &&
        !is_cluster_scoped_kind(obj.get_string("apiVersion"), obj.get_string("kind"))) {
      const doc::Value* ns = meta.find("namespace");
      if (!ns || ns->is_null() || (ns->is_string() && ns->as_string().empty()))
        meta.set("namespace", item.override_namespace);
    }
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

bool is_cluster_scoped_kind(std::string_view api_version, std::string_view kind) {
  static constexpr std::pair<std::string_view, std::string_view> kClusterScoped[] = {
      {"", "Namespace"},
      {"", "Node"},
      {"", "PersistentVolume"},
      {"apiextensions.k8s.io", "CustomResourceDefinition"},
      {"rbac.authorization.k8s.io", "ClusterRole"},
      {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
      {"storage.k8s.io", "StorageClass"},
      {"storage.k8s.io", "CSIDriver"},
      {"storage.k8s.io", "VolumeAttachment"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
      {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
      {"apiregistration.k8s.io", "APIService"},
      {"networking.k8s.io", "IngressClass"},
      {"node.k8s.io", "RuntimeClass"},
      {"snapshot.storage.k8s.io", "VolumeSnapshotClass"},
  };
  auto slash = api_version.find('/');
  std::string_view group = slash == std::string_view::npos ? "" : api_version.substr(0, slash);
  for (const auto& [g, k] : kClusterScoped)
    if (g == group && k == kind) return true;
  return false;
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
  project::Deployment deployment =
      project::load_deployment(pf.root, result.target.base_context(), engine);

  ItemRenderer renderer(request, pf.root, result.target.discriminator, engine);
  std::map<std::string, Location> seen;
  for (auto& item : deployment.items) {
    if (!request.selection.selects(item)) continue;
    RenderedItem rendered;
    if (item.kind == project::Item::Kind::kPath) {
      try {
        rendered.objects = renderer.render(item);
      } catch (Error& e) {
        e.add_context("rendering item " + item.rel_dir);
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
  return result;
}

}  // namespace gantry::render
