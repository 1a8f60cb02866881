#include "render/helm.h"

#include "core/error.h"
#include "core/process.h"

namespace gantry::render {

namespace fs = std::filesystem;

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
  c.repo = str("repo", true);
  c.chart_name = str("chartName", true);
  c.chart_version = str("chartVersion", true);
  c.release_name = str("releaseName", true);
  c.namespace_ = str("namespace", false);
  c.output = str("output", false);
  if (c.output.empty()) c.output = "helm-rendered.yaml";
  if (const doc::Value* s = spec->find("skipCRDs"); s && s->is_bool()) c.skip_crds = s->as_bool();
  return c;
}

fs::path pulled_chart_dir(const fs::path& project_root, const HelmChart& chart) {
  std::string repo = chart.repo;
  if (auto p = repo.find("://"); p != std::string::npos) repo.replace(p, 3, "_");
  while (!repo.empty() && repo.back() == '/')
    repo.pop_back();
  return project_root / ".helm-charts" / repo / chart.chart_name / chart.chart_version;
}

std::string helm_template(const std::string& helm_binary, const fs::path& project_root,
                          const fs::path& item_dir, const std::string& item_name,
                          const HelmChart& chart) {
  std::string what =
      "helm chart " + chart.chart_name + " " + chart.chart_version + " of item " + item_name;
  if (!find_program(helm_binary))
    throw Error(Location{(item_dir / "helm-chart.yaml").string()},
                what + " needs the `" + helm_binary +
                    "` binary, which is not installed (install helm, or leave the item out with "
                    "--exclude-deployment-dir " +
                    item_name + ")",
                ExitCode::kExternal);
  fs::path chart_dir = pulled_chart_dir(project_root, chart);
  if (!fs::exists(chart_dir / "Chart.yaml"))
    throw Error(Location{(item_dir / "helm-chart.yaml").string()},
                what + " is not pre-pulled: " + chart_dir.string() + "/Chart.yaml is missing",
                ExitCode::kNotFound);
  std::vector<std::string> argv{helm_binary, "template", chart.release_name, chart_dir.string()};
  if (!chart.namespace_.empty()) {
    argv.push_back("--namespace");
    argv.push_back(chart.namespace_);
  }
  if (fs::exists(item_dir / "helm-values.yaml")) {
    argv.push_back("--values");
    argv.push_back((item_dir / "helm-values.yaml").string());
  }
  argv.push_back(chart.skip_crds ? "--skip-crds" : "--include-crds");
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(5);
  ProcessResult r = run_process(argv, opts);
  if (r.exit_code != 0)
    throw Error(
        Location{(item_dir / "helm-chart.yaml").string()},
        what + ": helm template failed (exit " + std::to_string(r.exit_code) + "): " + r.err,
        ExitCode::kExternal);
  return r.out;
}

}  // namespace gantry::render
