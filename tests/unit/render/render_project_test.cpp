// render_project on small projects written by the tests: the project format,
// vars, selection, decoration of objects, and every kind of bad input.
#include <gtest/gtest.h>

#include "doc/yaml.h"
#include "render/render.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

using testing::TempDir;

render::RenderResult render_dir(const TempDir& dir, const std::string& target = "dev",
                                std::vector<project::CliArg> args = {},
                                project::Selection sel = {}) {
  render::RenderRequest req;
  req.project_dir = dir.path();
  req.target = target;
  req.args = std::move(args);
  req.selection = std::move(sel);
  return render::render_project(req);
}

std::vector<doc::Value> objects(const render::RenderResult& r) {
  std::vector<doc::Value> out;
  for (const auto& i : r.items)
    for (const auto& o : i.objects)
      out.push_back(o.body);
  return out;
}

// Runs `fn`, expects a gantry::Error and returns its message.
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.str();
  }
  ADD_FAILURE() << "no error was thrown";
  return {};
}

void write_basic_project(const TempDir& d) {
  d.write(".gantry.yaml", R"(targets:
  - name: dev
    args: {env: dev}
  - name: prod
    context: prod-cluster
    args: {env: prod, replicas: 3}
args:
  - name: env
  - name: replicas
    default: 1
discriminator: app-{{ target.name }}
)");
  d.write("deployment.yaml", R"(vars:
  - file: vars/{{ args.env }}.yaml
  - values:
      image: nginx
deployments:
  - path: base
  - barrier: true
  - include: apps
commonLabels:
  team: web
commonAnnotations:
  owner: "{{ target.name }}"
)");
  d.write("vars/dev.yaml", "host: dev.example.com\nfeature: {a: 1, b: 2}\n");
  d.write("vars/prod.yaml", "host: example.com\nfeature: {a: 10}\n");
  d.write("base/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n");
  d.write("apps/deployment.yaml", R"(vars:
  - values:
      feature: {b: 20}
overrideNamespace: web
tags: [apps]
deployments:
  - path: frontend
  - path: debug
    when: args.env == "dev"
  - path: backend
    tags: [backend, api]
)");
  d.write("apps/frontend/cm.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: frontend
data:
  host: "{{ host }}"
  a: "{{ feature.a }}"
  b: "{{ feature.b }}"
  replicas: "{{ args.replicas }}"
  target: "{{ target.name }}"
)");
  d.write("apps/debug/cm.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: debug\n  namespace: other\n");
  d.write("apps/backend/b.yml", R"(---
apiVersion: v1
kind: Service
metadata:
  name: backend
---
# empty documents are skipped
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: backend
)");
}

TEST(RenderProject, VarsArgsAndDecoration) {
  TempDir d;
  write_basic_project(d);
  auto r = render_dir(d, "dev");
  EXPECT_EQ(r.target.discriminator, "app-dev");
  auto objs = objects(r);
  ASSERT_EQ(objs.size(), 5u);
  EXPECT_EQ(objs[0].get_string("kind"), "Namespace");
  const auto& cm = objs[1];
  EXPECT_EQ(cm.find_path({"metadata", "name"})->as_string(), "frontend");
  // vars merged deeply in order: file, values, then the include's values
  EXPECT_EQ(cm.find_path({"data", "host"})->as_string(), "dev.example.com");
  EXPECT_EQ(cm.find_path({"data", "a"})->as_string(), "1");
  EXPECT_EQ(cm.find_path({"data", "b"})->as_string(), "20");
  EXPECT_EQ(cm.find_path({"data", "replicas"})->as_string(), "1");  // arg default
  EXPECT_EQ(cm.find_path({"data", "target"})->as_string(), "dev");
  // overrideNamespace fills a missing namespace but keeps a set one
  EXPECT_EQ(cm.find_path({"metadata", "namespace"})->as_string(), "web");
  EXPECT_EQ(objs[2].find_path({"metadata", "namespace"})->as_string(), "other");
  // ... and never touches cluster-scoped kinds
  EXPECT_EQ(objs[4].find_path({"metadata", "namespace"}), nullptr);
  EXPECT_EQ(objs[0].find_path({"metadata", "namespace"}), nullptr);
  for (const auto& o : objs) {
    EXPECT_EQ(o.find_path({"metadata", "labels", "team"})->as_string(), "web");
    EXPECT_EQ(o.find_path({"metadata", "labels", "gantry.dev/discriminator"})->as_string(),
              "app-dev");
    EXPECT_EQ(o.find_path({"metadata", "annotations", "owner"})->as_string(), "dev");
  }
  // items keep project order, with the barrier
  ASSERT_EQ(r.items.size(), 5u);
  EXPECT_EQ(r.items[1].item.kind, project::Item::Kind::kBarrier);
  EXPECT_EQ(r.items[4].item.rel_dir, "apps/backend");
  EXPECT_EQ(r.items[4].item.tags, (std::vector<std::string>{"apps", "backend", "api"}));
  EXPECT_EQ(r.items[2].item.tags, (std::vector<std::string>{"apps", "frontend"}));
}

TEST(RenderProject, ObjectsRememberTheirSource) {
  TempDir d;
  write_basic_project(d);
  auto r = render_dir(d, "dev");
  const auto& backend = r.items[4].objects;
  ASSERT_EQ(backend.size(), 2u);
  EXPECT_EQ(backend[0].source.file, (d.path() / "apps/backend/b.yml").string());
  EXPECT_EQ(backend[0].source.line, 2u);
  EXPECT_EQ(backend[1].source.line, 9u);
}

TEST(RenderProject, TargetArgsAndCommandLineArgs) {
  TempDir d;
  write_basic_project(d);
  auto prod = objects(render_dir(d, "prod"));
  ASSERT_EQ(prod.size(), 4u);  // the debug item's `when` is false
  EXPECT_EQ(prod[1].find_path({"data", "host"})->as_string(), "example.com");
  EXPECT_EQ(prod[1].find_path({"data", "replicas"})->as_string(), "3");
  auto overridden = objects(render_dir(d, "prod", {project::parse_cli_arg("replicas=7")}));
  EXPECT_EQ(overridden[1].find_path({"data", "replicas"})->as_string(), "7");
  EXPECT_EQ(render_dir(d, "prod").target.context, "prod-cluster");
}

TEST(RenderProject, CliArgsAreYamlScalars) {
  EXPECT_TRUE(project::parse_cli_arg("n=3").second.is_int());
  EXPECT_TRUE(project::parse_cli_arg("b=true").second.is_bool());
  EXPECT_EQ(project::parse_cli_arg("s=a=b").second.as_string(), "a=b");
  EXPECT_EQ(project::parse_cli_arg("e=").second.as_string(), "");
  EXPECT_EQ(project::parse_cli_arg("l=[1, 2]").second.as_string(), "[1, 2]");
  EXPECT_THROW(project::parse_cli_arg("novalue"), Error);
}

TEST(RenderProject, SelectionByTagAndDir) {
  TempDir d;
  write_basic_project(d);
  project::Selection by_tag;
  by_tag.include_tags = {"api"};
  auto objs = objects(render_dir(d, "dev", {}, by_tag));
  ASSERT_EQ(objs.size(), 2u);
  EXPECT_EQ(objs[0].get_string("kind"), "Service");

  project::Selection exclude_apps;
  exclude_apps.exclude_tags = {"apps"};
  EXPECT_EQ(objects(render_dir(d, "dev", {}, exclude_apps)).size(), 1u);

  project::Selection by_dir;
  by_dir.include_dirs = {"apps/"};
  by_dir.exclude_dirs = {"apps/debug"};
  objs = objects(render_dir(d, "dev", {}, by_dir));
  ASSERT_EQ(objs.size(), 3u);
  EXPECT_EQ(objs[0].find_path({"metadata", "name"})->as_string(), "frontend");

  project::Selection prefix_is_not_a_dir;
  prefix_is_not_a_dir.include_dirs = {"apps/back"};
  EXPECT_EQ(objects(render_dir(d, "dev", {}, prefix_is_not_a_dir)).size(), 0u);
}

TEST(RenderProjectErrors, UnknownTarget) {
  TempDir d;
  write_basic_project(d);
  std::string msg = error_of([&] { render_dir(d, "qa"); });
  EXPECT_NE(msg.find(".gantry.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown target \"qa\"; known targets: dev, prod"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, RequiredArgMissing) {
  TempDir d;
  write_basic_project(d);
  d.write(".gantry.yaml", "targets:\n  - name: dev\nargs:\n  - name: env\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find(".gantry.yaml:4:5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("argument \"env\" is required"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, YamlSyntaxErrorInManifest) {
  TempDir d;
  write_basic_project(d);
  d.write("base/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("base/broken.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rendering item base"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, UndefinedTemplateVariable) {
  TempDir d;
  write_basic_project(d);
  d.write("base/cm.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: '{{ nothere }}'\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("base/cm.yaml:6:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("nothere"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, MissingVarsFile) {
  TempDir d;
  write_basic_project(d);
  d.write("deployment.yaml", "vars:\n  - file: vars/missing.yaml\ndeployments:\n  - path: base\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("deployment.yaml:2:11"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vars file \"vars/missing.yaml\" not found"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, IgnoreMissingVarsFile) {
  TempDir d;
  write_basic_project(d);
  d.write("deployment.yaml",
          "vars:\n  - file: vars/missing.yaml\n    ignoreMissing: true\ndeployments:\n  - path: "
          "base\n");
  EXPECT_EQ(objects(render_dir(d, "dev")).size(), 1u);
}

TEST(RenderProjectErrors, CyclicInclude) {
  TempDir d;
  write_basic_project(d);
  d.write("deployment.yaml", "deployments:\n  - include: a\n");
  d.write("a/deployment.yaml", "deployments:\n  - include: ../b\n");
  d.write("b/deployment.yaml", "deployments:\n  - include: ../a\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("cyclic include: . -> a -> b -> a"), std::string::npos) << msg;
  EXPECT_NE(msg.find("b/deployment.yaml:2:14: "), std::string::npos) << msg;
}

TEST(RenderProjectErrors, PathEscapingTheProject) {
  TempDir d;
  write_basic_project(d);
  d.write("deployment.yaml", "deployments:\n  - path: ../../etc\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("deployment.yaml:2:11"), std::string::npos) << msg;
  EXPECT_NE(msg.find("escapes"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, AliasBomb) {
  TempDir d;
  write_basic_project(d);
  std::string bomb =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i)
      bomb += std::string(i ? "," : "") + "*" + prev;
    bomb += "]\n";
    prev = std::string(1, c);
  }
  d.write("vars/dev.yaml", bomb);
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("vars/dev.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("alias"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, UnknownFieldsAreNamed) {
  TempDir d;
  write_basic_project(d);
  d.write("deployment.yaml", "deployments:\n  - path: base\n    waitReadyness: true\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("deployment.yaml:3:5"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown field \"waitReadyness\""), std::string::npos) << msg;
}

TEST(RenderProjectErrors, NotAnObject) {
  TempDir d;
  write_basic_project(d);
  d.write("base/x.yaml", "apiVersion: v1\nmetadata:\n  name: x\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("base/x.yaml:1:1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no kind"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, DuplicateObjects) {
  TempDir d;
  write_basic_project(d);
  d.write("base/ns2.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("duplicate object /Namespace//web"), std::string::npos) << msg;
  EXPECT_NE(msg.find("base/ns.yaml:1"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, InvalidDiscriminator) {
  TempDir d;
  write_basic_project(d);
  d.write(".gantry.yaml", "targets:\n  - name: dev\n    args: {env: dev}\ndiscriminator: 'a b'\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("not a valid label value"), std::string::npos) << msg;
}

TEST(RenderProject, KustomizationItemsAreBuiltByTheEngine) {
  TempDir d;
  write_basic_project(d);
  // Every file of the kustomization is a template rendered with the item's vars.
  d.write("base/kustomization.yaml",
          "namePrefix: \"{{ target.name }}-\"\nresources: [ns.yaml, cm.yaml]\n"
          "configMapGenerator:\n- name: gen\n  literals: [host={{ host }}]\n"
          "patches:\n- path: patch.yaml\n");
  d.write(
      "base/cm.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  image: '{{ image }}'\n");
  d.write("base/patch.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  patched: "
          "'{{ feature.a }}'\n");
  auto r = render_dir(d, "dev");
  const auto& base = r.items[0].objects;
  ASSERT_EQ(base.size(), 3u);
  // kustomize's legacy order: Namespace, then ConfigMaps by name.
  EXPECT_EQ(base[0].body.get_string("kind"), "Namespace");
  EXPECT_EQ(base[0].body.find_path({"metadata", "name"})->as_string(), "web");  // not prefixed
  std::string gen = base[1].body.find_path({"metadata", "name"})->as_string();
  EXPECT_EQ(gen.rfind("dev-gen-", 0), 0u) << gen;
  EXPECT_EQ(gen.size(), std::string("dev-gen-").size() + 10) << gen;  // content-hash suffix
  EXPECT_EQ(base[1].body.find_path({"data", "host"})->as_string(), "dev.example.com");
  EXPECT_EQ(base[2].body.find_path({"metadata", "name"})->as_string(), "dev-plain");
  EXPECT_EQ(base[2].body.find_path({"data", "image"})->as_string(), "nginx");
  EXPECT_EQ(base[2].body.find_path({"data", "patched"})->as_string(), "1");
  // ... and decorated like every other object.
  for (const auto& o : base) {
    EXPECT_EQ(o.body.find_path({"metadata", "labels", "team"})->as_string(), "web");
    EXPECT_EQ(o.body.find_path({"metadata", "labels", "gantry.dev/discriminator"})->as_string(),
              "app-dev");
  }
  EXPECT_EQ(base[2].source.file, (d.path() / "base/cm.yaml").string());
}

TEST(RenderProjectErrors, KustomizationErrorsNameTheItem) {
  TempDir d;
  write_basic_project(d);
  d.write("base/kustomization.yaml", "resources: [ns.yaml, missing.yaml]\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("base/kustomization.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rendering item base"), std::string::npos) << msg;
}

TEST(RenderProjectErrors, KustomizationCannotLeaveTheProject) {
  TempDir d;
  write_basic_project(d);
  d.write("../outside-" + d.path().filename().string() + "/kustomization.yaml", "resources: []\n");
  d.write("base/kustomization.yaml",
          "resources: [ns.yaml, ../../outside-" + d.path().filename().string() + "]\n");
  std::string msg = error_of([&] { render_dir(d, "dev"); });
  EXPECT_NE(msg.find("escapes the root"), std::string::npos) << msg;
  std::filesystem::remove_all(d.path().parent_path() / ("outside-" + d.path().filename().string()));
}

TEST(RenderProject, HelmOutputIsAResourceOfTheKustomization) {
  TempDir d;
  write_basic_project(d);
  // A stand-in for helm: prints two objects, whatever the arguments.
  d.write("fake-helm",
          "#!/bin/sh\ncat <<'EOF'\napiVersion: v1\nkind: ServiceAccount\n"
          "metadata:\n  name: chart-sa\n---\napiVersion: v1\nkind: Service\n"
          "metadata:\n  name: chart-svc\nEOF\n");
  std::filesystem::permissions(d.path() / "fake-helm", std::filesystem::perms::owner_all);
  d.write("base/helm-chart.yaml",
          "helmChart:\n  repo: https://charts.example.com\n  chartName: thing\n"
          "  chartVersion: 1.0.0\n  releaseName: thing\n  output: rendered.yaml\n");
  d.write(".helm-charts/https_charts.example.com/thing/1.0.0/Chart.yaml", "name: thing\n");
  d.write("base/kustomization.yaml", "namespace: charts\nresources: [ns.yaml, rendered.yaml]\n");
  render::RenderRequest req;
  req.project_dir = d.path();
  req.target = "dev";
  req.helm_binary = (d.path() / "fake-helm").string();
  auto r = render::render_project(req);
  const auto& base = r.items[0].objects;
  ASSERT_EQ(base.size(), 3u);
  EXPECT_EQ(base[0].body.find_path({"metadata", "name"})->as_string(), "charts");  // Namespace
  EXPECT_EQ(base[1].body.get_string("kind"), "ServiceAccount");
  EXPECT_EQ(base[1].body.find_path({"metadata", "namespace"})->as_string(), "charts");
  EXPECT_EQ(base[2].body.get_string("kind"), "Service");
  EXPECT_NE(base[2].source.file.find("rendered.yaml"), std::string::npos);
}

TEST(RenderProject, LabelAndAnnotationScalarsBecomeStrings) {
  TempDir d;
  write_basic_project(d);
  d.write("base/ns.yaml",
          "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels:\n    tier: 1\n"
          "  annotations:\n    kluctl.io/hook-weight: 2\n    enabled: true\n    ratio: 0.5\n");
  auto objs = objects(render_dir(d, "dev"));
  const doc::Value* ann = objs[0].find_path({"metadata", "annotations"});
  ASSERT_NE(ann, nullptr);
  EXPECT_EQ(ann->find("kluctl.io/hook-weight")->as_string(), "2");
  EXPECT_EQ(ann->find("enabled")->as_string(), "true");
  EXPECT_EQ(ann->find("ratio")->as_string(), "0.5");
  EXPECT_EQ(objs[0].find_path({"metadata", "labels", "tier"})->as_string(), "1");
}

TEST(RenderProject, ProjectWithoutProjectFile) {
  TempDir d;
  d.write("deployment.yaml", "deployments:\n  - path: m\n");
  d.write("m/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: '{{ args.x }}'\n");
  auto objs = objects(render_dir(d, "", {project::parse_cli_arg("x=hello")}));
  ASSERT_EQ(objs.size(), 1u);
  EXPECT_EQ(objs[0].find_path({"metadata", "name"})->as_string(), "hello");
  EXPECT_EQ(objs[0].find_path({"metadata", "labels"}), nullptr);  // no discriminator
}

}  // namespace
}  // namespace gantry
