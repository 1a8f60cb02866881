#include "render/helm.h"

#include <cctype>

#include "core/error.h"
#include "core/process.h"
#include "doc/merge.h"
#include "doc/yaml.h"

namespace gantry::render {

namespace fs = std::filesystem;

namespace {

// True when the object's helm.sh/hook annotation names a test event
// (`test`, or helm 2's `test-success`/`test-failure`).
bool is_test_hook(const doc::Value& obj) {
  const doc::Value* hook = obj.find_path({"metadata", "annotations", "helm.sh/hook"});
  if (!hook || !hook->is_string()) return false;
  const std::string& s = hook->as_string();
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    std::string event = s.substr(pos, comma - pos);
    event.erase(0, event.find_first_not_of(" \t"));
    event.erase(event.find_last_not_of(" \t") + 1);
    if (event == "test" || event == "test-success" || event == "test-failure") return true;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

HelmChart parse_helm_chart(const doc::Value& file) {
  const doc::Value* spec = file.find("helmChart");
  if (!spec || !spec->is_map()) file.fail("helm-chart.yaml must have a helmChart: mapping");
  HelmChart c;
  auto str = [&](std::string_view key, bool required) {
    const doc::Value* v = spec->find(key);
    if (!v || v->is_null()) {
      if (required) spec->fail("helmChart." + std::string(key) + " is required");
      return std::string();
    }
    if (!v->is_scalar()) v->fail("helmChart." + std::string(key) + " must be a string");
    if (v->is_string()) return v->as_string();
    if (v->is_int()) return std::to_string(v->as_int());
    v->fail("helmChart." + std::string(key) + " must be a string");
  };
  auto flag = [&](std::string_view key, bool fallback) {
    const doc::Value* v = spec->find(key);
    if (!v || v->is_null()) return fallback;
    if (!v->is_bool()) v->fail("helmChart." + std::string(key) + " must be true or false");
    return v->as_bool();
  };
  c.repo = str("repo", true);
  c.chart_name = str("chartName", false);
  if (is_oci(c)) {
    // kluctl: the chart's name is the repository's last segment; an older
    // form names the registry path in `repo` and the chart in `chartName`.
    while (c.repo.size() > 6 && c.repo.back() == '/')
      c.repo.pop_back();
    std::string last = c.repo.substr(c.repo.find_last_of('/') + 1);
    if (!c.chart_name.empty() && c.chart_name != last) {
      c.repo += "/" + c.chart_name;
      last = c.chart_name;
    }
    if (last.empty() || c.repo.find('/', 6) == std::string::npos)
      spec->find("repo")->fail("an oci:// repo must name the chart: oci://HOST/PATH/CHART");
    c.chart_name = last;
  } else if (c.chart_name.empty()) {
    spec->fail("helmChart.chartName is required");
  }
  c.update_constraints = str("updateConstraints", false);
  c.skip_update = flag("skipUpdate", false);
  c.chart_version = str("chartVersion", true);
  c.release_name = str("releaseName", true);
  c.namespace_ = str("namespace", false);
  c.output = str("output", false);
  if (c.output.empty()) c.output = "helm-rendered.yaml";
  c.skip_crds = flag("skipCRDs", false) || !flag("includeCRDs", true);
  c.skip_prepull = flag("skipPrePull", false);
  if (const doc::Value* v = spec->find("values"); v && !v->is_null()) {
    if (!v->is_map()) v->fail("helmChart.values must be a mapping");
    c.values = *v;
  }
  return c;
}

bool is_oci(const HelmChart& chart) {
  return chart.repo.rfind("oci://", 0) == 0;
}

fs::path chart_layout(const HelmChart& chart) {
  auto lower = [](std::string s) {
    for (char& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  size_t sep = chart.repo.find("://");
  std::string scheme = sep == std::string::npos ? "" : lower(chart.repo.substr(0, sep));
  if (scheme != "http" && scheme != "https" && scheme != "oci")
    throw Error("helm repo " + chart.repo + ": only http://, https:// and oci:// are supported",
                ExitCode::kInvalidInput);
  std::string rest = chart.repo.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (auto q = path.find_first_of("?#"); q != std::string::npos) path.erase(q);
  std::string host = authority, port;
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port.clear();
  if (host.empty())
    throw Error("helm repo " + chart.repo + " has no host", ExitCode::kInvalidInput);
  fs::path dir = scheme + (port.empty() ? "" : "_" + port) + "_" + lower(host);
  for (const auto& part : fs::path(lower(path))) {
    std::string p = part.string();
    if (p == "/" || p.empty() || p == ".") continue;
    if (p == "..")
      throw Error("helm repo " + chart.repo + " climbs with \"..\"", ExitCode::kInvalidInput);
    dir /= p;
  }
  if (scheme != "oci") dir /= chart.chart_name;
  if (chart.chart_version.empty() || chart.chart_version == "." || chart.chart_version == ".." ||
      chart.chart_version.find('/') != std::string::npos)
    throw Error("chartVersion \"" + chart.chart_version + "\" is not a version",
                ExitCode::kInvalidInput);
  if (chart.chart_name.empty() || chart.chart_name == ".." ||
      chart.chart_name.find('/') != std::string::npos)
    throw Error("chartName \"" + chart.chart_name + "\" is not a chart name",
                ExitCode::kInvalidInput);
  return dir / chart.chart_version;
}

fs::path pulled_chart_dir(const fs::path& project_root, const HelmChart& chart) {
  return project_root / ".helm-charts" / chart_layout(chart);
}

doc::Value chart_values(const HelmChart& chart, const doc::Value& file_values) {
  doc::Value values = chart.values.is_map() ? chart.values : doc::Value::map();
  if (file_values.is_map()) {
    doc::deep_merge(values, file_values);
  } else if (!file_values.is_null()) {
    file_values.fail("helm values must be a mapping");
  }
  return values;
}

std::string helm_template(const std::string& helm_binary, const fs::path& chart_dir,
                          const fs::path& item_dir, const std::string& item_name,
                          const HelmChart& chart, const doc::Value& values) {
  Location where{(item_dir / "helm-chart.yaml").string()};
  std::string what =
      "helm chart " + chart.chart_name + " " + chart.chart_version + " of item " + item_name;
  if (!find_program(helm_binary))
    throw Error(where,
                what + " needs the `" + helm_binary +
                    "` binary, which is not installed (install helm, or leave the item out with "
                    "--exclude-deployment-dir " +
                    item_name + ")",
                ExitCode::kExternal);
  std::vector<std::string> argv{
      helm_binary,        "template",    chart.release_name,
      chart_dir.string(), "--namespace", chart.namespace_.empty() ? "default" : chart.namespace_};
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(5);
  if (values.is_map() && !values.as_map().empty()) {
    argv.push_back("--values");
    argv.push_back("-");
    opts.input = doc::to_yaml(values);
  }
  argv.push_back(chart.skip_crds ? "--skip-crds" : "--include-crds");
  ProcessResult r = run_process(argv, opts);
  if (r.exit_code != 0)
    throw Error(
        where, what + ": helm template failed (exit " + std::to_string(r.exit_code) + "): " + r.err,
        ExitCode::kExternal);
  return r.out;
}

std::vector<doc::Value> helm_objects(const std::string& rendered, const std::string& file,
                                     const HelmChart& chart, KindScopes& scopes) {
  std::vector<doc::Value> objects;
  for (auto& obj : doc::parse_yaml_stream(rendered, file)) {
    if (obj.is_null() || is_test_hook(obj)) continue;
    scopes.learn(obj);
    objects.push_back(std::move(obj));
  }
  const std::string ns = chart.namespace_.empty() ? "default" : chart.namespace_;
  for (auto& obj : objects)
    if (obj.is_map()) scopes.default_namespace(obj, ns);
  return objects;
}

}  // namespace gantry::render
