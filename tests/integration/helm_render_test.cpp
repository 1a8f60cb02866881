// Helm chart items rendered with the real helm binary (build/tools/helm,
// installed by scripts/install-deps.sh): the course project's two charts
// against kluctl's procedure computed here, the release namespace, inline and
// templated values, CRDs, test hooks, and bad charts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/file.h"
#include "core/process.h"
#include "doc/yaml.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;
using testing::course_dir;
using testing::helm_binary;
using testing::run_gantry;
using testing::TempDir;

// The reference's own idea of scope, written down for the kinds the course's
// charts hold (independent of gantry's table on purpose).
bool cluster_scoped(const std::string& kind) {
  static const std::set<std::string> kinds = {"Namespace",
                                              "CustomResourceDefinition",
                                              "ClusterRole",
                                              "ClusterRoleBinding",
                                              "MutatingWebhookConfiguration",
                                              "ValidatingWebhookConfiguration",
                                              "IngressClass",
                                              "PriorityClass",
                                              "StorageClass"};
  return kinds.count(kind) > 0;
}

std::string key_of(const doc::Value& o) {
  const doc::Value* ns = o.find_path({"metadata", "namespace"});
  return o.get_string("apiVersion") + "/" + o.get_string("kind") + "/" +
         (ns && ns->is_string() ? ns->as_string() : "") + "/" +
         o.find_path({"metadata", "name"})->as_string();
}

std::vector<doc::Value> sorted(std::vector<doc::Value> objs) {
  std::sort(objs.begin(), objs.end(),
            [](const doc::Value& a, const doc::Value& b) { return key_of(a) < key_of(b); });
  return objs;
}

void add_labels(doc::Value& obj, const std::string& target) {
  doc::Value& meta = obj["metadata"];
  if (!meta.find("labels") || meta.find("labels")->is_null()) meta.set("labels", doc::Value::map());
  meta["labels"].set("devopsdirective.com/course", doc::Value("kubernetes-course"));
  meta["labels"].set("gantry.dev/discriminator", doc::Value("kluctl-" + target));
}

// kluctl's procedure for one of the course's Helm items: `helm template` of
// the pre-pulled chart with the release namespace and helm-values.yaml, test
// hooks dropped, the release namespace on namespaced objects without one,
// plus the item's Namespace.yaml; then the project's common labels and the
// discriminator.
std::vector<doc::Value> reference_item(const std::string& item, const std::string& release,
                                       const std::string& ns, const std::string& chart_dir,
                                       const std::string& target) {
  fs::path dir = course_dir() / "kluctl" / "third-party" / item;
  fs::path chart = course_dir() / "kluctl" / ".helm-charts" / chart_dir;
  ProcessResult r = run_process({helm_binary(), "template", release, chart.string(), "--namespace",
                                 ns, "-f", (dir / "helm-values.yaml").string(), "--include-crds"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<doc::Value> out;
  for (auto& o : doc::parse_yaml_stream(r.out, "helm")) {
    if (o.is_null()) continue;
    const doc::Value* hook = o.find_path({"metadata", "annotations", "helm.sh/hook"});
    if (hook && hook->as_string().find("test") != std::string::npos) continue;
    const doc::Value* cur = o.find_path({"metadata", "namespace"});
    if (!cluster_scoped(o.get_string("kind")) && (!cur || cur->is_null()))
      o["metadata"].set("namespace", doc::Value(ns));
    out.push_back(std::move(o));
  }
  for (auto& o : doc::read_yaml_file((dir / "Namespace.yaml").string()))
    out.push_back(std::move(o));
  for (auto& o : out)
    add_labels(o, target);
  return out;
}

class HelmCourse : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_NE(helm_binary(), "") << "no helm: run scripts/install-deps.sh";
    ASSERT_TRUE(fs::exists(course_dir() / "kluctl" / ".helm-charts")) << course_dir();
  }
};

TEST_P(HelmCourse, RendersLikeKluctl) {
  const std::string target = GetParam();
  const std::string project = (course_dir() / "kluctl").string();
  ProcessResult all =
      run_gantry({"render", "--project", project, "-t", target, "--helm-binary", helm_binary()});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  // The items without Helm are checked against stored expectations elsewhere
  // (tests/e2e/render_course_test.cpp); here they are taken as gantry renders them.
  ProcessResult rest = run_gantry(
      {"render", "--project", project, "-t", target, "--exclude-deployment-dir", "third-party"});
  ASSERT_EQ(rest.exit_code, 0) << rest.err;

  std::vector<doc::Value> want = doc::parse_yaml_stream(rest.out, "rest");
  for (auto& o : reference_item("traefik", "traefik", "traefik",
                                "https_traefik.github.io/charts/traefik/20.8.0", target))
    want.push_back(std::move(o));
  for (auto& o :
       reference_item("cloudnative-pg", "cnpg", "cnpg-system",
                      "https_cloudnative-pg.github.io/charts/cloudnative-pg/0.21.4", target))
    want.push_back(std::move(o));
  want = sorted(std::move(want));
  std::vector<doc::Value> got = sorted(doc::parse_yaml_stream(all.out, "render"));

  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(got[i].equals(want[i], /*ordered=*/false)) << "object " << i << " differs:\n"
                                                           << doc::to_yaml(got[i]) << "\nwant:\n"
                                                           << doc::to_yaml(want[i]);

  // The example: the cloudnative-pg objects the chart leaves without
  // a namespace land in the release namespace, cluster-scoped ones have none.
  size_t in_cnpg = 0;
  for (const auto& o : got) {
    const doc::Value* ns = o.find_path({"metadata", "namespace"});
    if (cluster_scoped(o.get_string("kind"))) {
      EXPECT_EQ(ns, nullptr) << key_of(o);
    } else {
      ASSERT_NE(ns, nullptr) << key_of(o);
      EXPECT_NE(ns->as_string(), "default") << key_of(o);
      if (ns->as_string() == "cnpg-system") ++in_cnpg;
    }
  }
  EXPECT_GE(in_cnpg, 5u);  // ServiceAccount, two ConfigMaps, Service, Deployment
}

INSTANTIATE_TEST_SUITE_P(Targets, HelmCourse, ::testing::Values("staging", "production"));

// A project reached through a symlink (a mounted checkout, /home -> /usr/home):
// the rendered chart exists only in memory, and it must compare with the root
// the same way the files on disk do (it was refused as escaping the root).
TEST(HelmCourseThroughSymlink, RendersLikeThroughTheRealPath) {
  ASSERT_NE(helm_binary(), "") << "no helm: run scripts/install-deps.sh";
  TempDir dir;
  fs::create_directory_symlink(course_dir(), dir.path() / "course");
  auto render = [&](const fs::path& root) {
    return run_gantry({"render", "--project", (root / "kluctl").string(), "-t", "staging",
                       "--helm-binary", helm_binary()});
  };
  ProcessResult linked = render(dir.path() / "course");
  ASSERT_EQ(linked.exit_code, 0) << linked.err;
  ProcessResult real = render(course_dir());
  ASSERT_EQ(real.exit_code, 0) << real.err;
  EXPECT_EQ(linked.out, real.out);
}

// A small chart of our own, pre-pulled into a scratch project.
class HelmItem : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(helm_binary(), "") << "no helm: run scripts/install-deps.sh";
    dir_.write(
        ".gantry.yaml",
        "targets:\n  - name: dev\n    args: {size: 3}\ndiscriminator: d-{{ target.name }}\n");
    dir_.write("deployment.yaml", "deployments:\n  - path: app\n");
    dir_.write("app/helm-chart.yaml",
               "helmChart:\n  repo: https://charts.example.com\n  chartName: demo\n"
               "  chartVersion: 1.0.0\n  releaseName: rel\n  namespace: apps\n");
    dir_.write(chart_ + "Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.0.0\n");
    dir_.write(chart_ + "values.yaml", "size: 1\ncolor: red\nshape: round\n");
    dir_.write(chart_ + "crds/widget.yaml",
               "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
               "metadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n"
               "  scope: Cluster\n  names: {kind: Widget, plural: widgets}\n"
               "  versions: [{name: v1, served: true, storage: true}]\n");
    dir_.write(chart_ + "templates/objects.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
               "data:\n  size: \"{{ .Values.size }}\"\n  color: {{ .Values.color }}\n"
               "  shape: {{ .Values.shape }}\n"
               "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pinned\n"
               "  namespace: elsewhere\n"
               "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
               "metadata:\n  name: {{ .Release.Name }}-role\n"
               "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
               "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n"
               "  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n"
               "    helm.sh/hook-weight: \"-1\"\nspec: {template: {spec: {containers: []}}}\n"
               "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke\n"
               "  annotations:\n    helm.sh/hook: test\nspec: {containers: []}\n");
  }

  ProcessResult render() const {
    return run_gantry(
        {"render", "--project", dir_.path().string(), "-t", "dev", "--helm-binary", helm_binary()});
  }

  const doc::Value* find(const std::vector<doc::Value>& objs, const std::string& kind,
                         const std::string& name) const {
    for (const auto& o : objs)
      if (o.get_string("kind") == kind && o.find_path({"metadata", "name"})->as_string() == name)
        return &o;
    return nullptr;
  }

  TempDir dir_;
  std::string chart_ = ".helm-charts/https_charts.example.com/demo/1.0.0/";
};

TEST_F(HelmItem, NamespacesValuesCrdsAndHooks) {
  dir_.write("app/helm-chart.yaml",
             "helmChart:\n  repo: https://charts.example.com\n  chartName: demo\n"
             "  chartVersion: 1.0.0\n  releaseName: rel\n  namespace: apps\n"
             "  values: {color: blue, shape: square}\n");
  // helm-values.yaml is a template and wins over the inline values.
  dir_.write("app/helm-values.yaml", "size: {{ args.size }}\nshape: triangle\n");
  ProcessResult r = render();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto objs = doc::parse_yaml_stream(r.out, "render");

  const doc::Value* cm = find(objs, "ConfigMap", "rel-cm");
  ASSERT_NE(cm, nullptr) << r.out;
  EXPECT_EQ(cm->find_path({"metadata", "namespace"})->as_string(), "apps");
  EXPECT_EQ(cm->find_path({"data", "size"})->as_string(), "3");
  EXPECT_EQ(cm->find_path({"data", "color"})->as_string(), "blue");
  EXPECT_EQ(cm->find_path({"data", "shape"})->as_string(), "triangle");
  EXPECT_EQ(find(objs, "ConfigMap", "pinned")->find_path({"metadata", "namespace"})->as_string(),
            "elsewhere");
  // Cluster-scoped: a built-in kind, and a custom kind whose CRD (from the
  // chart's crds/ folder) says so.
  ASSERT_NE(find(objs, "CustomResourceDefinition", "widgets.example.com"), nullptr) << r.out;
  EXPECT_EQ(find(objs, "ClusterRole", "rel-role")->find_path({"metadata", "namespace"}), nullptr);
  EXPECT_EQ(find(objs, "Widget", "w")->find_path({"metadata", "namespace"}), nullptr);
  // Helm hooks are kept with their annotations (the deploy maps them); test hooks are dropped.
  const doc::Value* job = find(objs, "Job", "migrate");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(job->find_path({"metadata", "namespace"})->as_string(), "apps");
  EXPECT_EQ(job->find_path({"metadata", "annotations", "helm.sh/hook"})->as_string(),
            "pre-install,pre-upgrade");
  EXPECT_EQ(find(objs, "Pod", "smoke"), nullptr);
  for (const auto& o : objs)
    EXPECT_EQ(o.find_path({"metadata", "labels", "gantry.dev/discriminator"})->as_string(),
              "d-dev");
}

TEST_F(HelmItem, SkipCrdsLeavesTheChartsCrdsOut) {
  dir_.write("app/helm-chart.yaml",
             "helmChart:\n  repo: https://charts.example.com\n  chartName: demo\n"
             "  chartVersion: 1.0.0\n  releaseName: rel\n  skipCRDs: true\n");
  ProcessResult r = render();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto objs = doc::parse_yaml_stream(r.out, "render");
  EXPECT_EQ(find(objs, "CustomResourceDefinition", "widgets.example.com"), nullptr);
  // Without `namespace`, the release namespace is "default", as in kluctl.
  EXPECT_EQ(find(objs, "ConfigMap", "rel-cm")->find_path({"metadata", "namespace"})->as_string(),
            "default");
}

TEST_F(HelmItem, MissingChartNamesTheItem) {
  fs::remove_all(dir_.path() / ".helm-charts");
  ProcessResult r = render();
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("item app"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("demo 1.0.0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not pre-pulled"), std::string::npos) << r.err;
}

TEST_F(HelmItem, CorruptChartNamesTheItem) {
  dir_.write(chart_ + "Chart.yaml", "apiVersion: v2\nname: [demo\nversion: 1.0.0\n");
  ProcessResult r = render();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("item app"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("helm template failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Chart.yaml"), std::string::npos) << r.err;
}

TEST_F(HelmItem, BrokenTemplateNamesTheItem) {
  dir_.write(chart_ + "templates/broken.yaml", "kind: {{ .Values.size | nosuchfunction }}\n");
  ProcessResult r = render();
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("item app"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nosuchfunction"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gantry
