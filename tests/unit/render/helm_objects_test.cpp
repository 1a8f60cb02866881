// kluctl's treatment of helm's output without running helm: which kinds are
// namespaced, the release namespace, test hooks, and helm-chart.yaml fields.
#include <gtest/gtest.h>

#include "doc/yaml.h"
#include "render/helm.h"
#include "render/kind_scope.h"
#include "support/fixtures.h"

namespace gantry::render {
namespace {

doc::Value yaml(const std::string& s) {
  return doc::parse_yaml(s, "t.yaml");
}

std::string ns_of(const doc::Value& o) {
  const doc::Value* ns = o.find_path({"metadata", "namespace"});
  return ns ? ns->as_string() : "<none>";
}

TEST(KindScopes, BuiltInTableAndLearnedCrds) {
  KindScopes s;
  EXPECT_TRUE(s.namespaced("apps/v1", "Deployment"));
  EXPECT_TRUE(s.namespaced("v1", "ConfigMap"));
  EXPECT_FALSE(s.namespaced("v1", "Namespace"));
  EXPECT_FALSE(s.namespaced("rbac.authorization.k8s.io/v1", "ClusterRole"));
  EXPECT_FALSE(s.namespaced("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"));
  EXPECT_FALSE(s.namespaced("apiextensions.k8s.io/v1", "CustomResourceDefinition"));
  // A kind nobody declared counts as namespaced (as kustomize assumes).
  EXPECT_TRUE(s.namespaced("example.com/v1", "Gadget"));

  s.learn(
      yaml("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
           "metadata: {name: gadgets.example.com}\n"
           "spec: {group: example.com, scope: Cluster, names: {kind: Gadget}}\n"));
  s.learn(
      yaml("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
           "metadata: {name: tools.example.com}\n"
           "spec: {group: example.com, scope: Namespaced, names: {kind: Tool}}\n"));
  // Not a CRD: ignored.
  s.learn(
      yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
           "spec: {group: example.com, scope: Cluster, names: {kind: Tool}}\n"));
  EXPECT_FALSE(s.namespaced("example.com/v1", "Gadget"));
  EXPECT_FALSE(s.namespaced("example.com/v2", "Gadget"));
  EXPECT_TRUE(s.namespaced("example.com/v1", "Tool"));
  EXPECT_TRUE(s.namespaced("other.example.com/v1", "Gadget"));
}

TEST(KindScopes, DefaultNamespaceOnlyWhereMissingAndNamespaced) {
  KindScopes s;
  doc::Value cm = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  s.default_namespace(cm, "apps");
  EXPECT_EQ(ns_of(cm), "apps");
  doc::Value pinned = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n");
  s.default_namespace(pinned, "apps");
  EXPECT_EQ(ns_of(pinned), "x");
  doc::Value empty = yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: \"\"}\n");
  s.default_namespace(empty, "apps");
  EXPECT_EQ(ns_of(empty), "apps");
  doc::Value role = yaml(
      "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
      "metadata: {name: a}\n");
  s.default_namespace(role, "apps");
  EXPECT_EQ(ns_of(role), "<none>");
  doc::Value none = yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
  s.default_namespace(none, "");
  EXPECT_EQ(ns_of(none), "<none>");
}

const char* kRendered = R"(---
# Source: demo/crds/gadget.yaml
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: {kind: Gadget, plural: gadgets}
---
# Source: demo/templates/sa.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: rel
---
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: g
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: post-install,post-upgrade
---
apiVersion: v1
kind: Pod
metadata:
  name: smoke
  annotations:
    helm.sh/hook: " test "
---
apiVersion: v1
kind: Pod
metadata:
  name: old-smoke
  annotations:
    helm.sh/hook: test-success
)";

TEST(HelmObjects, ReleaseNamespaceCrdScopesAndTestHooks) {
  HelmChart chart;
  chart.namespace_ = "apps";
  KindScopes scopes;
  auto objs = helm_objects(kRendered, "helm-rendered.yaml", chart, scopes);
  ASSERT_EQ(objs.size(), 4u);
  EXPECT_EQ(objs[0].get_string("kind"), "CustomResourceDefinition");
  EXPECT_EQ(ns_of(objs[0]), "<none>");
  EXPECT_EQ(ns_of(objs[1]), "apps");    // ServiceAccount
  EXPECT_EQ(ns_of(objs[2]), "<none>");  // Gadget: its CRD in the same output says Cluster
  EXPECT_EQ(ns_of(objs[3]), "apps");    // the Job hook is kept
  EXPECT_FALSE(scopes.namespaced("example.com/v1", "Gadget"));

  chart.namespace_.clear();  // no namespace: "default", like kluctl
  auto objs2 = helm_objects(kRendered, "helm-rendered.yaml", chart, scopes);
  EXPECT_EQ(ns_of(objs2[1]), "default");
}

TEST(HelmChartFile, FieldsAndValues) {
  HelmChart c =
      parse_helm_chart(yaml("helmChart:\n  repo: oci://r.example.com/charts\n  chartName: demo\n"
                            "  chartVersion: 1.2.3\n  releaseName: rel\n  namespace: apps\n"
                            "  skipPrePull: true\n  values:\n    a: {b: 1, c: 2}\n"));
  EXPECT_EQ(c.output, "helm-rendered.yaml");
  EXPECT_FALSE(c.skip_crds);
  EXPECT_TRUE(c.skip_prepull);
  EXPECT_EQ(pulled_chart_dir("/p", c), "/p/.helm-charts/oci_r.example.com/charts/demo/1.2.3");
  doc::Value merged = chart_values(c, yaml("a: {c: 3}\nd: 4\n"));
  EXPECT_EQ(merged.find_path({"a", "b"})->as_int(), 1);
  EXPECT_EQ(merged.find_path({"a", "c"})->as_int(), 3);
  EXPECT_EQ(merged.find("d")->as_int(), 4);

  EXPECT_TRUE(parse_helm_chart(yaml("helmChart: {repo: r, chartName: c, chartVersion: 1, "
                                    "releaseName: r, skipCRDs: true}\n"))
                  .skip_crds);
  EXPECT_TRUE(parse_helm_chart(yaml("helmChart: {repo: r, chartName: c, chartVersion: 1, "
                                    "releaseName: r, includeCRDs: false}\n"))
                  .skip_crds);
  std::string msg = testing::error_text([] {
    parse_helm_chart(
        yaml("helmChart: {repo: r, chartName: c, chartVersion: 1, releaseName: r, "
             "values: [1]}\n"));
  });
  EXPECT_NE(msg.find("helmChart.values must be a mapping"), std::string::npos) << msg;
  msg = testing::error_text([] {
    parse_helm_chart(
        yaml("helmChart: {repo: r, chartName: c, chartVersion: 1, releaseName: r, "
             "skipCRDs: maybe}\n"));
  });
  EXPECT_NE(msg.find("helmChart.skipCRDs must be true or false"), std::string::npos) << msg;
}

}  // namespace
}  // namespace gantry::render
