// The real kubectl against `gantry sandbox`: the commands deploy tooling and
// people use (apply --server-side, get, diff, wait, delete, api-resources).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/file.h"
#include "core/process.h"
#include "doc/json.h"
#include "support/fixtures.h"
#include "support/sandbox.h"

namespace gantry::testing {
namespace {

const char* kCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - name: Size
      type: integer
      jsonPath: .spec.size
    - name: Ready
      type: string
      jsonPath: .status.conditions[?(@.type=="Ready")].status
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
)";

const char* kApp = R"(apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: demo
  labels:
    app: web
data:
  key: value
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: demo
spec:
  size: 3
)";

std::string mixed() {
  return std::string(kCrd) + "---\n" + kApp;
}
// Namespace, ConfigMap and Deployment (no custom resource).
std::string app_only() {
  std::string a = kApp;
  return a.substr(0, a.find("---\napiVersion: example.com"));
}
// Namespace and ConfigMap.
std::string config_only() {
  std::string a = kApp;
  return a.substr(0, a.find("---\napiVersion: apps/v1"));
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

#define EXPECT_CONTAINS(hay, needle) \
  EXPECT_TRUE(contains(hay, needle)) << "missing: " << (needle) << "\nin:\n" << (hay)

class SandboxKubectl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!find_program("kubectl")) GTEST_SKIP() << "kubectl not installed";
  }
  ProcessResult apply(Sandbox& s, const std::string& yaml, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"apply", "--server-side", "-f", "-"};
    args.insert(args.end(), extra.begin(), extra.end());
    return s.kubectl(args, yaml);
  }
};

TEST_F(SandboxKubectl, BannerPrintsUrlAndKubeconfig) {
  Sandbox s;
  EXPECT_EQ(s.url().rfind("https://127.0.0.1:", 0), 0u) << s.banner();
  EXPECT_TRUE(std::filesystem::exists(s.kubeconfig()));
  auto r = s.kubectl({"get", "namespaces"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "default");
  EXPECT_CONTAINS(r.out, "kube-system");
  EXPECT_CONTAINS(r.out, "Active");
}

TEST_F(SandboxKubectl, ApiResourcesListBuiltinsAndNewCrds) {
  Sandbox s;
  auto r = s.kubectl({"api-resources"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* line :
       {"deployments", "apps/v1", "Deployment", "configmaps", "cm", "customresourcedefinitions",
        "horizontalpodautoscalers", "poddisruptionbudgets", "clusterrolebindings", "leases"})
    EXPECT_CONTAINS(r.out, line);
  EXPECT_FALSE(contains(r.out, "widgets"));
  ASSERT_EQ(apply(s, kCrd).exit_code, 0);
  r = s.kubectl({"api-resources", "--api-group=example.com"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "widgets");
  EXPECT_CONTAINS(r.out, "wd");
  EXPECT_CONTAINS(r.out, "example.com/v1");
  EXPECT_CONTAINS(r.out, "Widget");
}

TEST_F(SandboxKubectl, ServerSideApplyOfMixedManifestWithCrdAndCustomResource) {
  Sandbox s;
  // Like a real cluster: the custom resource cannot be mapped before its CRD exists.
  auto first = apply(s, mixed());
  EXPECT_NE(first.exit_code, 0);
  EXPECT_CONTAINS(
      first.out,
      "customresourcedefinition.apiextensions.k8s.io/widgets.example.com serverside-applied");
  EXPECT_CONTAINS(first.out, "deployment.apps/web serverside-applied");
  EXPECT_CONTAINS(first.err, "ensure CRDs are installed first");
  auto second = apply(s, mixed());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_CONTAINS(second.out, "namespace/demo serverside-applied");
  EXPECT_CONTAINS(second.out, "configmap/app-config serverside-applied");
  EXPECT_CONTAINS(second.out, "widget.example.com/w1 serverside-applied");
  auto w = s.kubectl({"get", "widget", "w1", "-n", "demo", "-o", "jsonpath={.spec.size}"});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_EQ(w.out, "3");
  auto st =
      s.kubectl({"patch", "widget", "w1", "-n", "demo", "--subresource=status", "--type=merge",
                 "-p", R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  auto wd = s.kubectl({"get", "wd", "-n", "demo"});
  EXPECT_CONTAINS(wd.out, "NAME   SIZE   READY   AGE");
  EXPECT_CONTAINS(wd.out, "w1     3      True    ");
}

TEST_F(SandboxKubectl, GetYamlShowsManagedFieldsPerManager) {
  Sandbox s;
  ASSERT_EQ(apply(s, config_only()).exit_code, 0);
  auto r = s.kubectl(
      {"get", "configmap", "app-config", "-n", "demo", "-o", "yaml", "--show-managed-fields"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "managedFields:");
  EXPECT_CONTAINS(r.out, "manager: kubectl\n");
  EXPECT_CONTAINS(r.out, "operation: Apply");
  EXPECT_CONTAINS(r.out, "fieldsType: FieldsV1");
  EXPECT_CONTAINS(r.out, "f:data:\n        f:key: {}");
  EXPECT_CONTAINS(r.out, "f:labels:\n          f:app: {}");
  EXPECT_CONTAINS(r.out, "resourceVersion: ");
  EXPECT_CONTAINS(r.out, "uid: ");
  EXPECT_CONTAINS(r.out, "creationTimestamp: ");
}

TEST_F(SandboxKubectl, DiffServerSideShowsOnlyRealChangesAndChangesNothing) {
  Sandbox s;
  ASSERT_EQ(apply(s, app_only()).exit_code, 0);
  // Let the simulated rollout finish first, so no status write lands between
  // kubectl's read of the live object and its dry-run apply.
  ASSERT_EQ(s.kubectl({"wait", "--for=condition=Available", "deployment/web", "-n", "demo",
                       "--timeout=20s"})
                .exit_code,
            0);
  std::string app = app_only();
  auto same = s.kubectl({"diff", "--server-side", "-f", "-"}, app);
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_EQ(same.out, "");
  std::string changed = app;
  changed.replace(changed.find("nginx:1.27"), 10, "nginx:1.28");
  auto d = s.kubectl({"diff", "--server-side", "-f", "-"}, changed);
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_CONTAINS(d.out, "-      - image: nginx:1.27");
  EXPECT_CONTAINS(d.out, "+      - image: nginx:1.28");
  EXPECT_CONTAINS(d.out, "-  generation: 1");
  EXPECT_CONTAINS(d.out, "+  generation: 2");
  auto live = s.kubectl({"get", "deploy", "web", "-n", "demo", "-o",
                         "jsonpath={.spec.template.spec.containers[0].image}"});
  EXPECT_EQ(live.out, "nginx:1.27");
}

TEST_F(SandboxKubectl, WaitForAvailableAfterReadyDelay) {
  Sandbox s;
  std::string app = app_only();
  ASSERT_EQ(apply(s, app).exit_code, 0);
  auto w = s.kubectl(
      {"wait", "--for=condition=Available", "deployment/web", "-n", "demo", "--timeout=20s"});
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_CONTAINS(w.out, "deployment.apps/web condition met");
  auto g = s.kubectl({"get", "deploy", "web", "-n", "demo"});
  EXPECT_CONTAINS(g.out, "2/2");
  auto rs = s.kubectl({"rollout", "status", "deployment/web", "-n", "demo", "--timeout=10s"});
  EXPECT_EQ(rs.exit_code, 0) << rs.err;
  EXPECT_CONTAINS(rs.out, "successfully rolled out");
  auto sc = s.kubectl({"scale", "deployment/web", "-n", "demo", "--replicas=4"});
  ASSERT_EQ(sc.exit_code, 0) << sc.err;
  EXPECT_CONTAINS(sc.out, "deployment.apps/web scaled");
  auto rs2 = s.kubectl({"rollout", "status", "deployment/web", "-n", "demo", "--timeout=10s"});
  EXPECT_EQ(rs2.exit_code, 0) << rs2.err;
  auto g4 = s.kubectl({"get", "deploy", "web", "-n", "demo", "-o",
                       "jsonpath={.status.availableReplicas} {.metadata.generation}"});
  EXPECT_EQ(g4.out, "4 2");
}

TEST_F(SandboxKubectl, FailAnnotationKeepsDeploymentUnavailable) {
  Sandbox s;
  std::string app = app_only();
  app.replace(app.find("  labels:\n    app: web\nspec:"), 0,
              "  annotations:\n    sandbox.gantry.dev/fail: \"true\"\n");
  ASSERT_EQ(apply(s, app).exit_code, 0);
  auto w = s.kubectl(
      {"wait", "--for=condition=Available", "deployment/web", "-n", "demo", "--timeout=2s"});
  EXPECT_NE(w.exit_code, 0);
  EXPECT_CONTAINS(w.err, "timed out");
  auto c = s.kubectl({"get", "deploy", "web", "-n", "demo", "-o",
                      "jsonpath={.status.conditions[?(@.type==\"Progressing\")].reason}"});
  EXPECT_EQ(c.out, "ProgressDeadlineExceeded");
}

TEST_F(SandboxKubectl, JobsCompleteOrFail) {
  Sandbox s;
  const char* jobs = R"(apiVersion: batch/v1
kind: Job
metadata:
  name: ok
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
---
apiVersion: batch/v1
kind: Job
metadata:
  name: bad
  annotations:
    sandbox.gantry.dev/fail: "true"
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
)";
  ASSERT_EQ(apply(s, jobs).exit_code, 0);
  auto ok = s.kubectl({"wait", "--for=condition=Complete", "job/ok", "--timeout=20s"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto bad = s.kubectl({"wait", "--for=condition=Failed", "job/bad", "--timeout=20s"});
  EXPECT_EQ(bad.exit_code, 0) << bad.err;
  auto failed = s.kubectl({"get", "job", "bad", "-o", "jsonpath={.status.failed}"});
  EXPECT_EQ(failed.out, "3");
}

TEST_F(SandboxKubectl, GetWithLabelSelectors) {
  Sandbox s;
  const char* cms = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: a, labels: {app: web, tier: front}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, labels: {app: web, tier: back}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, labels: {app: db}}
)";
  ASSERT_EQ(apply(s, cms).exit_code, 0);
  auto names = [&](const std::string& sel) {
    return s.kubectl({"get", "cm", "-l", sel, "-o", "jsonpath={.items[*].metadata.name}"}).out;
  };
  EXPECT_EQ(names("app=web"), "a b");
  EXPECT_EQ(names("app=web,tier!=front"), "b");
  EXPECT_EQ(names("tier in (front,back)"), "a b");
  EXPECT_EQ(names("!tier"), "c");
  EXPECT_EQ(names("app notin (web)"), "c");
  auto table = s.kubectl({"get", "cm", "-l", "app=db"});
  EXPECT_CONTAINS(table.out, "NAME");
  EXPECT_CONTAINS(table.out, "DATA");
  EXPECT_CONTAINS(table.out, "c ");
  EXPECT_FALSE(contains(table.out, "a "));
  auto none = s.kubectl({"get", "cm", "-l", "app=nothing"});
  EXPECT_CONTAINS(none.err, "No resources found in default namespace.");
}

TEST_F(SandboxKubectl, DeleteRemovesObjectsAndNamespaceContent) {
  Sandbox s;
  ASSERT_EQ(apply(s, mixed()).exit_code != 0, true);  // CR not mappable yet
  ASSERT_EQ(apply(s, mixed()).exit_code, 0);
  auto d = s.kubectl({"delete", "-f", "-"}, mixed());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_CONTAINS(d.out, "namespace \"demo\" deleted");
  EXPECT_CONTAINS(d.out, "deployment.apps \"web\" deleted");
  EXPECT_CONTAINS(d.out, "widget.example.com \"w1\" deleted");
  auto g = s.kubectl({"get", "namespace", "demo"});
  EXPECT_NE(g.exit_code, 0);
  EXPECT_CONTAINS(g.err, "namespaces \"demo\" not found");
  auto crd = s.kubectl({"get", "crd"});
  EXPECT_CONTAINS(crd.err, "No resources found");
}

TEST_F(SandboxKubectl, TwoFieldManagersConflictAndForceTakesOwnership) {
  Sandbox s;
  const char* mine =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  key: one\n  mine: x\n";
  const char* theirs =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  key: two\n";
  ASSERT_EQ(apply(s, mine, {"--field-manager=alice"}).exit_code, 0);
  auto c = apply(s, theirs, {"--field-manager=bob"});
  EXPECT_NE(c.exit_code, 0);
  EXPECT_CONTAINS(c.err, "Apply failed with 1 conflict: conflict with \"alice\": .data.key");
  EXPECT_CONTAINS(c.err, "--force-conflicts");
  // Same value: shared ownership, no conflict.
  auto shared =
      apply(s, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  key: one\n",
            {"--field-manager=carol"});
  EXPECT_EQ(shared.exit_code, 0) << shared.err;
  auto f = apply(s, theirs, {"--field-manager=bob", "--force-conflicts"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  auto v = s.kubectl({"get", "cm", "shared", "-o", "jsonpath={.data.key}"});
  EXPECT_EQ(v.out, "two");
  auto m =
      s.kubectl({"get", "cm", "shared", "-o",
                 "jsonpath={range .metadata.managedFields[*]}{.manager}={.fieldsV1}{\"\\n\"}{end}",
                 "--show-managed-fields"});
  EXPECT_CONTAINS(m.out, "alice={\"f:data\":{\"f:mine\":{}}}");
  EXPECT_CONTAINS(m.out, "bob={\"f:data\":{\"f:key\":{}}}");
  EXPECT_FALSE(contains(m.out, "carol=")) << m.out;
}

TEST_F(SandboxKubectl, FieldsAManagerStopsApplyingAreRemoved) {
  Sandbox s;
  ASSERT_EQ(apply(s,
                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {a: '1', b: "
                  "'2'}\ndata: {x: '1', y: '2'}\n")
                .exit_code,
            0);
  ASSERT_EQ(apply(s,
                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {a: "
                  "'1'}\ndata: {x: '1'}\n")
                .exit_code,
            0);
  auto g = s.kubectl({"get", "cm", "c", "-o", "jsonpath={.metadata.labels} {.data}"});
  EXPECT_EQ(g.out, "{\"a\":\"1\"} {\"x\":\"1\"}");
}

// structured-merge-diff's rules for lists and maps: items a manager stops
// applying go, and a list or map left empty by that goes with them; an
// applied empty list is owned when it is atomic and owns nothing when it is
// keyed or a set.
TEST_F(SandboxKubectl, ServerSideApplyOfEmptiedAndEmptyLists) {
  Sandbox s;
  ASSERT_EQ(apply(s,
                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  finalizers: "
                  "[example.com/keep]\ndata: {x: '1', y: '2'}\n")
                .exit_code,
            0);
  auto r = apply(s, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  finalizers: []\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto g = s.kubectl({"get", "cm", "c", "-o", "json", "--show-managed-fields"});
  EXPECT_FALSE(contains(g.out, "\"data\"")) << g.out;
  EXPECT_FALSE(contains(g.out, "\"finalizers\"")) << g.out;
  EXPECT_FALSE(contains(g.out, "managedFields")) << g.out;  // the manager owns nothing now

  ASSERT_EQ(apply(s, kCrd).exit_code, 0);
  const std::string widget =
      "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\n"
      "spec:\n";
  ASSERT_EQ(apply(s, widget + "  tags: [a, b]\n  size: 1\n").exit_code, 0);
  // An applied empty (atomic) list is kept and owned ...
  r = apply(s, widget + "  tags: []\n  size: 1\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  g = s.kubectl({"get", "widget", "w", "-o",
                 "jsonpath={.spec.tags} {.metadata.managedFields[0].fieldsV1}",
                 "--show-managed-fields"});
  EXPECT_EQ(g.out, R"([] {"f:spec":{"f:size":{},"f:tags":{}}})") << g.err;
  // ... and goes when the manager stops applying it.
  ASSERT_EQ(apply(s, widget + "  size: 1\n").exit_code, 0);
  g = s.kubectl({"get", "widget", "w", "-o", "json"});
  EXPECT_FALSE(contains(g.out, "\"tags\"")) << g.out;
  // An empty map owns nothing: applying it leaves the other manager's map.
  ASSERT_EQ(s.kubectl({"label", "widget", "w", "team=core"}).exit_code, 0);
  r = apply(s,
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: "
            "default\n  labels: {}\nspec:\n  size: 1\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(s.kubectl({"get", "widget", "w", "-o", "jsonpath={.metadata.labels}"}).out,
            R"({"team":"core"})");
}

TEST_F(SandboxKubectl, ServerSideApplyTakesOverFromClientSideApply) {
  Sandbox s;
  const char* one = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: moved\ndata:\n  k: one\n";
  const char* two = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: moved\ndata:\n  k: two\n";
  auto csa = s.kubectl({"apply", "-f", "-"}, one);
  ASSERT_EQ(csa.exit_code, 0) << csa.err;
  EXPECT_CONTAINS(csa.out, "configmap/moved created");
  // kubectl migrates the client-side-apply ownership by rewriting managedFields.
  auto ssa = apply(s, one);
  ASSERT_EQ(ssa.exit_code, 0) << ssa.err;
  auto m = s.kubectl({"get", "cm", "moved", "--show-managed-fields", "-o",
                      "jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation} {end}"});
  EXPECT_EQ(m.out, "kubectl/Apply kubectl-last-applied/Apply ");
  auto change = apply(s, two);
  ASSERT_EQ(change.exit_code, 0) << change.err;
  EXPECT_EQ(s.kubectl({"get", "cm", "moved", "-o", "jsonpath={.data.k}"}).out, "two");
}

TEST_F(SandboxKubectl, ClientSideCommandsWork) {
  Sandbox s;
  const char* plain = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n";
  auto c = s.kubectl({"create", "-f", "-"}, plain);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_CONTAINS(c.out, "configmap/plain created");
  auto l = s.kubectl({"label", "configmap", "plain", "team=core"});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  auto p =
      s.kubectl({"patch", "configmap", "plain", "--type=merge", "-p", "{\"data\":{\"k\":\"w\"}}"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  auto g = s.kubectl({"get", "cm", "-l", "team=core", "-o", "jsonpath={.items[0].data.k}"});
  EXPECT_EQ(g.out, "w");
  auto again = s.kubectl({"create", "-f", "-"}, plain);
  EXPECT_NE(again.exit_code, 0);
  EXPECT_CONTAINS(again.err, "configmaps \"plain\" already exists");
  auto missing = s.kubectl({"get", "deploy", "nope"});
  EXPECT_CONTAINS(missing.err, "deployments.apps \"nope\" not found");
}

// kubectl's imperative commands send protobuf bodies; each is decoded and
// stores the object kubectl built.
TEST_F(SandboxKubectl, ImperativeCommandsWithProtobufBodies) {
  Sandbox s;
  auto ok = [&](std::vector<std::string> args) {
    auto r = s.kubectl(args);
    EXPECT_EQ(r.exit_code, 0) << args[1] << " " << args[2] << ": " << r.err;
    return r;
  };
  auto jp = [&](std::vector<std::string> what, const std::string& path) {
    what.insert(what.begin(), "get");
    what.push_back("-o");
    what.push_back("jsonpath=" + path);
    auto r = s.kubectl(what);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  ok({"create", "configmap", "cm1", "--from-literal=a=1", "--from-literal=b=two"});
  EXPECT_EQ(jp({"cm", "cm1"}, "{.data.a} {.data.b}"), "1 two");
  ok({"create", "secret", "generic", "git-creds", "--from-literal=username=alice",
      "--from-literal=password=hunter2"});
  EXPECT_EQ(jp({"secret", "git-creds"}, "{.data.password} {.type}"), "aHVudGVyMg== Opaque");
  ok({"create", "namespace", "team"});
  ok({"create", "serviceaccount", "deployer", "-n", "team"});
  EXPECT_EQ(jp({"sa", "deployer", "-n", "team"}, "{.metadata.namespace}"), "team");
  ok({"create", "deployment", "web", "--image=nginx:1.27", "--replicas=3", "--port=80"});
  EXPECT_EQ(jp({"deploy", "web"},
               "{.spec.replicas} {.spec.template.spec.containers[0].image} "
               "{.spec.template.spec.containers[0].ports[0].containerPort} "
               "{.spec.selector.matchLabels.app}"),
            "3 nginx:1.27 80 web");
  ok({"create", "job", "once", "--image=busybox", "--", "echo", "hi"});
  EXPECT_EQ(jp({"job", "once"}, "{.spec.template.spec.containers[0].command}"), R"(["echo","hi"])");
  ok({"create", "cronjob", "often", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"});
  EXPECT_EQ(jp({"cronjob", "often"}, "{.spec.schedule}"), "*/5 * * * *");
  ok({"create", "service", "clusterip", "svc1", "--tcp=80:8080"});
  EXPECT_EQ(jp({"svc", "svc1"}, "{.spec.ports[0].port}:{.spec.ports[0].targetPort}"), "80:8080");
  ok({"create", "role", "reader", "--verb=get,list", "--resource=pods"});
  EXPECT_EQ(jp({"role", "reader"}, "{.rules[0].verbs}"), R"(["get","list"])");
  ok({"create", "rolebinding", "readers", "--role=reader", "--serviceaccount=team:deployer"});
  EXPECT_EQ(jp({"rolebinding", "readers"}, "{.subjects[0].kind}/{.subjects[0].name}"),
            "ServiceAccount/deployer");
  ok({"create", "clusterrole", "node-reader", "--verb=get", "--resource=nodes"});
  ok({"create", "clusterrolebinding", "alice", "--clusterrole=node-reader", "--user=alice"});
  ok({"create", "pdb", "web", "--selector=app=web", "--min-available=1"});
  EXPECT_EQ(jp({"pdb", "web"}, "{.spec.minAvailable}"), "1");
  ok({"create", "priorityclass", "high", "--value=1000"});
  EXPECT_EQ(jp({"pc", "high"}, "{.value}"), "1000");
  ok({"create", "quota", "q", "--hard=pods=10,cpu=2"});
  EXPECT_EQ(jp({"quota", "q"}, "{.spec.hard.cpu} {.spec.hard.pods}"), "2 10");
  ok({"create", "ingress", "web", "--rule=example.com/=svc1:80"});
  EXPECT_EQ(jp({"ingress", "web"}, "{.spec.rules[0].host}"), "example.com");
  ok({"run", "one", "--image=busybox", "--labels=app=one"});
  EXPECT_EQ(jp({"pod", "one"}, "{.metadata.labels.app} {.spec.containers[0].image}"),
            "one busybox");
  ok({"expose", "deployment", "web", "--port=80", "--target-port=8080", "--name=web-svc"});
  EXPECT_EQ(jp({"svc", "web-svc"}, "{.spec.selector.app}"), "web");
  // kubectl autoscale POSTs an autoscaling/v1 HorizontalPodAutoscaler as
  // protobuf; it is stored once and read in either version.
  ok({"autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80"});
  EXPECT_EQ(jp({"hpa", "web"},
               "{.apiVersion} {.spec.scaleTargetRef.kind}/{.spec.scaleTargetRef.name} "
               "{.spec.minReplicas}-{.spec.maxReplicas} {.spec.metrics[0].type} "
               "{.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.type} "
               "{.spec.metrics[0].resource.target.averageUtilization}"),
            "autoscaling/v2 Deployment/web 2-5 Resource cpu Utilization 80");
  EXPECT_EQ(jp({"horizontalpodautoscalers.v1.autoscaling", "web"},
               "{.apiVersion} {.spec.minReplicas}-{.spec.maxReplicas} "
               "{.spec.targetCPUUtilizationPercentage} {.metadata.managedFields[0].manager}"),
            "autoscaling/v1 2-5 80 kubectl-autoscale");
  auto table = ok({"get", "hpa", "web"});
  EXPECT_CONTAINS(table.out, "REFERENCE        TARGETS              MINPODS   MAXPODS   REPLICAS");
  EXPECT_CONTAINS(table.out, "Deployment/web   cpu: <unknown>/80%   2         5         ");
  // kubectl auth sends its reviews as protobuf too.
  EXPECT_EQ(ok({"auth", "can-i", "create", "deployments"}).out, "yes\n");
  EXPECT_CONTAINS(ok({"auth", "whoami"}).out, "sandbox-admin");
  // A server-side dry run of an imperative create (protobuf body) answers
  // with the object the server would store, and stores nothing.
  auto dry = ok({"create", "configmap", "dry", "--from-literal=k=v", "--dry-run=server"});
  EXPECT_EQ(dry.out, "configmap/dry created (server dry run)\n");
  EXPECT_NE(s.kubectl({"get", "cm", "dry"}).exit_code, 0);
  dry =
      ok({"create", "deployment", "dry", "--image=nginx", "--replicas=2", "--dry-run=server", "-o",
          "jsonpath={.metadata.uid} {.spec.replicas} {.metadata.managedFields[0].manager}"});
  EXPECT_TRUE(contains(dry.out, " 2 kubectl-create") && dry.out.size() > 30) << dry.out;
  EXPECT_NE(s.kubectl({"get", "deploy", "dry"}).exit_code, 0);
  dry = ok({"autoscale", "deployment", "web", "--name=dry", "--max=3", "--dry-run=server", "-o",
            "jsonpath={.apiVersion} {.spec.targetCPUUtilizationPercentage}"});
  EXPECT_EQ(dry.out, "autoscaling/v1 80");  // v1's implicit default, made explicit
  EXPECT_NE(s.kubectl({"get", "hpa", "dry"}).exit_code, 0);
  auto bad = s.kubectl({"create", "configmap", "Bad_Name", "--dry-run=server"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_CONTAINS(bad.err, "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value:");
}

// autoscaling/v1 and autoscaling/v2 are two views of one stored object,
// converted as kube-apiserver converts them: what v1 cannot express travels
// in annotations, so a v1 client writing the object back loses nothing.
TEST_F(SandboxKubectl, HorizontalPodAutoscalerVersionsShareOneObject) {
  Sandbox s;
  ASSERT_EQ(apply(s,
                  "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: "
                  "h\n  namespace: default\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, "
                  "kind: Deployment, name: web}\n  maxReplicas: 4\n  metrics:\n  - type: "
                  "Resource\n    resource: {name: memory, target: {type: Utilization, "
                  "averageUtilization: 70}}\n  - type: Resource\n    resource: {name: cpu, "
                  "target: {type: Utilization, averageUtilization: 60}}\n  behavior:\n    "
                  "scaleDown: {stabilizationWindowSeconds: 60}\n")
                .exit_code,
            0);
  // v2 defaults: minReplicas, and the unset parts of a given behavior.
  auto v2 = s.kubectl({"get", "hpa", "h", "-o",
                       "jsonpath={.spec.minReplicas} {.spec.behavior.scaleDown."
                       "stabilizationWindowSeconds} {.spec.behavior.scaleUp.policies[0].type}"});
  EXPECT_EQ(v2.out, "1 60 Pods") << v2.err;
  auto v1 = s.kubectl({"get", "horizontalpodautoscalers.v1.autoscaling", "h", "-o", "json"});
  ASSERT_EQ(v1.exit_code, 0) << v1.err;
  EXPECT_CONTAINS(v1.out, "\"apiVersion\": \"autoscaling/v1\"");
  EXPECT_CONTAINS(v1.out, "\"targetCPUUtilizationPercentage\": 60");
  EXPECT_FALSE(contains(v1.out, "\"metrics\": [")) << v1.out;
  EXPECT_CONTAINS(v1.out,
                  "\"autoscaling.alpha.kubernetes.io/metrics\": "
                  "\"[{\\\"type\\\":\\\"Resource\\\",\\\"resource\\\":{\\\"name\\\":"
                  "\\\"memory\\\",\\\"targetAverageUtilization\\\":70}}]\"");
  EXPECT_CONTAINS(v1.out, "\"autoscaling.alpha.kubernetes.io/behavior\": \"{\\\"ScaleUp\\\":");
  // A v1 client writes it back with another maximum: the v2 fields survive.
  std::string edited = v1.out;
  auto at = edited.find("\"maxReplicas\": 4");
  ASSERT_NE(at, std::string::npos);
  edited.replace(at, 16, "\"maxReplicas\": 7");
  auto r = s.kubectl({"replace", "-f", "-"}, edited);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  v2 = s.kubectl({"get", "hpa", "h", "-o",
                  "jsonpath={.spec.maxReplicas} {.spec.metrics[*].resource.name} "
                  "{.spec.behavior.scaleDown.stabilizationWindowSeconds} "
                  "{.metadata.annotations}"});
  EXPECT_EQ(v2.out, "7 memory cpu 60 ") << v2.err;
  // A v1 object without a CPU target gets v1's implicit 80 %.
  ASSERT_EQ(apply(s,
                  "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: "
                  "plain\n  namespace: default\nspec:\n  scaleTargetRef: {kind: Deployment, "
                  "name: web}\n  maxReplicas: 3\n")
                .exit_code,
            0);
  EXPECT_EQ(s.kubectl({"get", "hpa", "plain", "-o",
                       "jsonpath={.spec.minReplicas} {.spec.metrics[0].resource.name} "
                       "{.spec.metrics[0].resource.target.averageUtilization}"})
                .out,
            "1 cpu 80");
  // Both versions list and watch the same objects.
  EXPECT_EQ(s.kubectl({"get", "horizontalpodautoscalers.v1.autoscaling", "-o",
                       "jsonpath={.items[*].metadata.name} {.items[0].apiVersion}"})
                .out,
            "h plain autoscaling/v1");
}

// The horizontal-pod-autoscaler controller without a metrics API: it keeps
// its target within minReplicas..maxReplicas and says it cannot read metrics.
TEST_F(SandboxKubectl, AutoscalerKeepsItsTargetWithinMinAndMax) {
  Sandbox s;
  ASSERT_EQ(s.kubectl({"create", "deployment", "web", "--image=nginx", "--replicas=1"}).exit_code,
            0);
  ASSERT_EQ(s.kubectl({"autoscale", "deployment", "web", "--min=2", "--max=4"}).exit_code, 0);
  auto replicas = [&](const std::string& want) {
    std::string got;
    for (int i = 0; i < 50 && got != want; ++i) {
      if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      got = s.kubectl({"get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"}).out;
    }
    return got;
  };
  EXPECT_EQ(replicas("2"), "2");
  ASSERT_EQ(s.kubectl({"scale", "deploy/web", "--replicas=9"}).exit_code, 0);
  EXPECT_EQ(replicas("4"), "4");
  std::string events;
  for (int i = 0; i < 50 && !contains(events, "New size: 4"); ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    events =
        s.kubectl({"get", "events", "-o",
                   "jsonpath={range .items[?(@.involvedObject.kind==\"HorizontalPodAutoscaler\")]}"
                   "{.type} {.reason}: {.message}{\"\\n\"}{end}"})
            .out;
  }
  EXPECT_CONTAINS(events,
                  "Normal SuccessfulRescale: New size: 2; reason: Current number of "
                  "replicas below Spec.MinReplicas");
  EXPECT_CONTAINS(events,
                  "Normal SuccessfulRescale: New size: 4; reason: Current number of "
                  "replicas above Spec.MaxReplicas");
  // Within the range it would need metrics, which the sandbox does not serve.
  std::string st;
  for (int i = 0; i < 50 && !contains(st, "FailedGetResourceMetric"); ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    st = s.kubectl({"get", "hpa", "web", "-o",
                    "jsonpath={.status.currentReplicas}/{.status.desiredReplicas} "
                    "{.status.conditions[?(@.type==\"ScalingActive\")].status} "
                    "{.status.conditions[?(@.type==\"ScalingActive\")].reason}"})
             .out;
  }
  EXPECT_EQ(st, "4/4 False FailedGetResourceMetric");
  auto d = s.kubectl({"describe", "hpa", "web"});
  EXPECT_CONTAINS(d.out, "Deployment pods:");
  EXPECT_CONTAINS(d.out, "4 current / 4 desired");
  // The scale went through the scale subresource, as kube-controller-manager's.
  EXPECT_CONTAINS(s.kubectl({"get", "deploy", "web", "--show-managed-fields", "-o",
                             "jsonpath={range .metadata.managedFields[*]}{.manager}/"
                             "{.subresource} {end}"})
                      .out,
                  "kube-controller-manager/scale");
}

// kube-apiserver's 422 as kubectl prints it: reason Invalid, details with the
// kind, name and causes (field, reason, message), and the exact messages of
// its name validation per kind.
TEST_F(SandboxKubectl, InvalidObjectsFailAsOnKubeApiserver) {
  Sandbox s;
  auto fails = [&](std::vector<std::string> args, const std::string& input = "") {
    auto r = input.empty() ? s.kubectl(args) : s.kubectl(args, input);
    EXPECT_NE(r.exit_code, 0) << r.out;
    return r.err;
  };
  const std::string subdomain =
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
      "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
      "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  EXPECT_EQ(fails({"create", "-f", "-"},
                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n"),
            "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": " +
                subdomain + "\n");
  // Two failures: kubectl prints each as "Error from server (Invalid)".
  auto two = fails({"apply", "-f", "-"},
                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_One\n---\n"
                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Two\n");
  EXPECT_CONTAINS(two,
                  "Error from server (Invalid): error when creating \"STDIN\": ConfigMap "
                  "\"Bad_One\" is invalid: metadata.name: Invalid value: \"Bad_One\": " +
                      subdomain);
  EXPECT_CONTAINS(two,
                  "Error from server (Invalid): error when creating \"STDIN\": ConfigMap "
                  "\"Bad_Two\" is invalid");
  // Names per kind: DNS-1123 labels for Namespaces, DNS-1035 for Services,
  // at most 52 characters for CronJobs, one cause per problem.
  EXPECT_EQ(fails({"create", "namespace", "team.a"}),
            "The Namespace \"team.a\" is invalid: metadata.name: Invalid value: \"team.a\": must "
            "not contain dots\n");
  std::string long_ns(64, 'n');
  EXPECT_EQ(fails({"create", "namespace", long_ns}),
            "The Namespace \"" + long_ns + "\" is invalid: metadata.name: Invalid value: \"" +
                long_ns + "\": must be no more than 63 characters\n");
  EXPECT_CONTAINS(fails({"create", "service", "clusterip", "1web", "--tcp=80"}),
                  "Service \"1web\" is invalid: metadata.name: Invalid value: \"1web\": a DNS-1035 "
                  "label must consist of lower case alphanumeric characters or '-', start with an "
                  "alphabetic character");
  std::string long_cj(53, 'c');
  EXPECT_CONTAINS(fails({"create", "cronjob", long_cj, "--image=busybox", "--schedule=* * * * *"}),
                  "CronJob.batch \"" + long_cj + "\" is invalid: metadata.name: Invalid value: \"" +
                      long_cj + "\": must be no more than 52 characters");
  EXPECT_CONTAINS(fails({"create", "role", "a/b", "--verb=get", "--resource=pods"}),
                  "metadata.name: Invalid value: \"a/b\": may not contain '/'");
  // Bad values print as Go prints them.
  EXPECT_EQ(fails({"apply", "-f", "-"},
                  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: "
                  "default\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: "
                  "{labels: {x: '1', app: b}}\n    spec: {containers: [{name: c, image: x}]}\n"),
            "The Deployment \"d\" is invalid: spec.template.metadata.labels: Invalid value: "
            "map[string]string{\"app\":\"b\", \"x\":\"1\"}: `selector` does not match template "
            "`labels`\n");
  // A HorizontalPodAutoscaler's replica range, in either version.
  EXPECT_EQ(fails({"apply", "--server-side", "-f", "-"},
                  "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: "
                  "h\n  namespace: default\nspec:\n  scaleTargetRef: {kind: Deployment}\n"
                  "  minReplicas: 3\n  maxReplicas: 2\n"),
            "The HorizontalPodAutoscaler \"h\" is invalid: \n* spec.maxReplicas: Invalid value: 2: "
            "must be greater than or equal to `minReplicas`\n* spec.scaleTargetRef.name: Required "
            "value\n");
  // The Status behind it.
  auto raw = s.request("POST", "/api/v1/namespaces/default/configmaps",
                       R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}})");
  EXPECT_EQ(raw.status, 422);
  EXPECT_CONTAINS(raw.body, R"("reason":"Invalid")");
  EXPECT_CONTAINS(
      raw.body,
      R"("details":{"name":"Bad_Name","kind":"ConfigMap","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain)");
  EXPECT_CONTAINS(raw.body, R"("field":"metadata.name"}]},"code":422})");
}

// Every built-in resource of a 1.31 cluster, as kubectl lists them.
TEST_F(SandboxKubectl, ApiResourcesEqualAKubernetes131Cluster) {
  Sandbox s;
  auto r = s.kubectl({"api-resources", "--no-headers"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto normalise = [](const std::string& text, bool skip_comments) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || (skip_comments && line[0] == '#')) continue;
      std::istringstream words(line);
      std::string w, out;
      while (words >> w)
        out += (out.empty() ? "" : " ") + w;
      lines.push_back(out);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto expected =
      normalise(read_file(source_dir() / "tests/data/sandbox/api-resources-1.31.txt"), true);
  auto actual = normalise(r.out, false);
  EXPECT_EQ(actual, expected);
  // Verbs as the server registers them: create-only reviews, get/list componentstatuses.
  r = s.kubectl(
      {"api-resources", "--no-headers", "-o", "wide", "--api-group=authorization.k8s.io"});
  EXPECT_CONTAINS(r.out, "create");
  EXPECT_FALSE(contains(r.out, "list")) << r.out;
  r = s.kubectl({"api-resources", "--no-headers", "--verbs=list", "--api-group="});
  EXPECT_FALSE(contains(r.out, "bindings")) << r.out;
  EXPECT_CONTAINS(r.out, "componentstatuses");
}

// What people type on a cluster first: nodes, who am I, can I, logs.
TEST_F(SandboxKubectl, NodesAuthAndLogsAnswerAsOnACluster) {
  Sandbox s;
  auto r = s.kubectl({"get", "nodes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "sandbox");
  EXPECT_CONTAINS(r.out, "Ready");
  EXPECT_CONTAINS(r.out, "v1.32.0");  // as /version says
  r = s.kubectl({"wait", "--for=condition=Ready", "node/sandbox", "--timeout=5s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // The reviews as JSON (kubectl auth sends them as protobuf: see below).
  r = s.kubectl({"create", "-o", "jsonpath={.status.allowed}", "-f", "-"},
                "apiVersion: authorization.k8s.io/v1\nkind: SelfSubjectAccessReview\nspec:\n"
                "  resourceAttributes: {verb: create, group: apps, resource: deployments, "
                "namespace: default}\n");
  EXPECT_EQ(r.out, "true") << r.err;
  r = s.kubectl({"create", "-o", "jsonpath={.status.userInfo.username}", "-f", "-"},
                "apiVersion: authentication.k8s.io/v1\nkind: SelfSubjectReview\n");
  EXPECT_EQ(r.out, "sandbox-admin") << r.err;

  // A TokenReview: the sandbox's token is valid, another is not.
  auto review = [&](const std::string& token) {
    return s.kubectl(
        {"create", "-o", "jsonpath={.status.authenticated}", "-f", "-"},
        "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: " + token + "\n");
  };
  r = review(s.token());
  EXPECT_EQ(r.out, "true") << r.err;
  r = review("not-a-token");  // status.authenticated left out when false
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "") << r.err;
  // Reviews are answered, never stored: nothing to list.
  EXPECT_NE(s.kubectl({"get", "tokenreviews"}).exit_code, 0);

  // kubectl logs answers at once (no kubelet runs containers here).
  ASSERT_EQ(apply(s,
                  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\n"
                  "spec:\n  containers:\n  - name: c\n    image: busybox\n")
                .exit_code,
            0);
  r = s.kubectl({"logs", "p", "-n", "default", "--request-timeout=5s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(s.kubectl({"logs", "nope", "-n", "default", "--request-timeout=5s"}).exit_code, 0);

  // Kinds without simulated behaviour are stored and served like any other.
  ASSERT_EQ(apply(s,
                  "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: "
                  "traefik\nspec:\n  controller: traefik.io/ingress-controller\n---\n"
                  "apiVersion: admissionregistration.k8s.io/v1\nkind: "
                  "ValidatingWebhookConfiguration\nmetadata:\n  name: hook\nwebhooks: []\n---\n"
                  "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: "
                  "high\nvalue: 1000\n")
                .exit_code,
            0);
  r = s.kubectl({"get", "ingressclass,validatingwebhookconfiguration,pc", "-o", "name"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "ingressclass.networking.k8s.io/traefik");
  EXPECT_CONTAINS(r.out, "validatingwebhookconfiguration.admissionregistration.k8s.io/hook");
  EXPECT_CONTAINS(r.out, "priorityclass.scheduling.k8s.io/high");
}

// The events kube-controller-manager and the scheduler record for what the
// sandbox simulates: kubectl get events and describe show them.
TEST_F(SandboxKubectl, EventsOfSimulatedControllers) {
  Sandbox s;
  ASSERT_EQ(apply(s,
                  "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: "
                  "default\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n"
                  "  template:\n    metadata: {labels: {app: web}}\n    spec:\n      "
                  "containers: [{name: web, image: nginx}]\n---\napiVersion: batch/v1\nkind: "
                  "Job\nmetadata:\n  name: once\n  namespace: default\nspec:\n  template:\n"
                  "    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: "
                  "busybox}]\n")
                .exit_code,
            0);
  ASSERT_EQ(
      s.kubectl({"wait", "--for=condition=Available", "deploy/web", "--timeout=10s"}).exit_code, 0);
  ASSERT_EQ(s.kubectl({"wait", "--for=condition=Complete", "job/once", "--timeout=10s"}).exit_code,
            0);
  ASSERT_EQ(s.kubectl({"scale", "deploy/web", "--replicas=3"}).exit_code, 0);
  std::string events;
  for (int i = 0; i < 50; ++i) {
    events = s.kubectl({"get", "events", "-n", "default", "-o",
                        "jsonpath={range .items[*]}{.involvedObject.kind} {.reason}: "
                        "{.message}{\"\\n\"}{end}"})
                 .out;
    if (contains(events, "from 1 to 3")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_CONTAINS(events, "Deployment ScalingReplicaSet: Scaled up replica set web-");
  EXPECT_CONTAINS(events, " from 0 to 1");
  EXPECT_CONTAINS(events, " from 1 to 3");
  EXPECT_CONTAINS(events, "ReplicaSet SuccessfulCreate: Created pod: web-");
  EXPECT_CONTAINS(events, "Pod Scheduled: Successfully assigned default/web-");
  EXPECT_CONTAINS(events, "Job SuccessfulCreate: Created pod: once-");
  EXPECT_CONTAINS(events, "Job Completed: Job completed");
  auto d = s.kubectl({"describe", "deploy", "web"});
  EXPECT_CONTAINS(d.out, "ScalingReplicaSet");
  EXPECT_CONTAINS(d.out, "deployment-controller");
}

// ServiceAccount tokens are authorised with the stored RBAC objects, as
// kube-apiserver's RBAC authorizer does: exactly what the bindings grant.
TEST_F(SandboxKubectl, ServiceAccountTokensGetExactlyWhatRbacGrants) {
  Sandbox s;
  const char* rbac = R"(apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: team}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch, create, update, patch, delete]}
- {apiGroups: [apps], resources: [deployments/scale], verbs: [get, update, patch]}
- {apiGroups: [apps], resources: [deployments], verbs: [get]}
- {apiGroups: [""], resources: [secrets], resourceNames: [app-secret], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregate-readers}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {team.example/aggregate: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-reader, labels: {team.example/aggregate: "true"}}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: deployer-readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aggregate-readers}
subjects: [{kind: ServiceAccount, name: deployer, namespace: team}]
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: team}
stringData: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: other-secret, namespace: team}
stringData: {k: v}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
)";
  ASSERT_EQ(apply(s, rbac).exit_code, 0);
  auto token = s.kubectl({"create", "token", "deployer", "-n", "team"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  std::string t = token.out.substr(0, token.out.find('\n'));
  auto as = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--token", t});
    return s.kubectl(args);
  };
  // Allowed: the Role's verbs on configmaps, the scale subresource, one Secret by name.
  EXPECT_EQ(as({"create", "configmap", "c1", "-n", "team", "--from-literal=a=1"}).exit_code, 0);
  EXPECT_EQ(as({"get", "cm", "-n", "team"}).exit_code, 0);
  auto patched =
      as({"patch", "cm", "c1", "-n", "team", "--type=merge", "-p", R"({"data":{"a":"2"}})"});
  EXPECT_EQ(patched.exit_code, 0) << patched.err;
  auto current = as({"get", "cm", "c1", "-n", "team", "-o", "json"});
  ASSERT_EQ(current.exit_code, 0) << current.err;
  std::string replaced = current.out;
  replaced.replace(replaced.find("\"a\": \"2\""), 8, "\"a\": \"3\"");
  // PUT: the update verb.
  auto updated = s.kubectl({"--token", t, "replace", "-f", "-"}, replaced);
  EXPECT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_EQ(as({"get", "cm", "c1", "-n", "team", "-o", "jsonpath={.data.a}"}).out, "3");
  // watch, as a client opens it: allowed in the Role's namespace only.
  EXPECT_EQ(s.request("GET", "/api/v1/namespaces/team/configmaps?watch=true&timeoutSeconds=1", "",
                      "application/json", t)
                .status,
            200);
  EXPECT_EQ(s.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1",
                      "", "application/json", t)
                .status,
            403);
  EXPECT_NE(as({"patch", "deploy", "web", "-n", "team", "--type=merge", "-p",
                R"({"metadata":{"labels":{"x":"y"}}})"})
                .exit_code,
            0);  // get only on deployments, patch only on their scale
  EXPECT_EQ(as({"delete", "cm", "c1", "-n", "team"}).exit_code, 0);
  EXPECT_EQ(as({"scale", "deploy/web", "-n", "team", "--replicas=2"}).exit_code, 0);
  EXPECT_EQ(as({"get", "secret", "app-secret", "-n", "team"}).exit_code, 0);
  // Aggregated: the ClusterRole's rules come from the labelled ClusterRole.
  EXPECT_EQ(as({"get", "nodes"}).exit_code, 0);
  // Denied, with kube-apiserver's message.
  auto denied = as({"get", "secret", "other-secret", "-n", "team"});
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_CONTAINS(denied.err,
                  "secrets \"other-secret\" is forbidden: User "
                  "\"system:serviceaccount:team:deployer\" cannot get resource \"secrets\" in API "
                  "group \"\" in the namespace \"team\"");
  EXPECT_NE(as({"get", "secrets", "-n", "team"}).exit_code, 0);  // list: no resourceNames match
  EXPECT_NE(as({"get", "cm", "-n", "default"}).exit_code, 0);    // another namespace
  EXPECT_NE(as({"delete", "deploy", "web", "-n", "team"}).exit_code, 0);
  auto cluster = as({"get", "namespaces"});
  EXPECT_CONTAINS(cluster.err,
                  "cannot list resource \"namespaces\" in API group \"\" at the "
                  "cluster scope");
  EXPECT_EQ(as({"auth", "can-i", "patch", "configmaps", "-n", "team"}).out, "yes\n");
  EXPECT_EQ(as({"auth", "can-i", "patch", "configmaps", "-n", "default"}).out, "no\n");
  // Impersonation by the admin sees the same.
  EXPECT_EQ(s.kubectl({"auth", "can-i", "list", "secrets", "-n", "team",
                       "--as=system:serviceaccount:team:deployer"})
                .out,
            "no\n");
  EXPECT_NE(s.kubectl({"get", "secrets", "-n", "team", "--as=system:serviceaccount:team:deployer"})
                .exit_code,
            0);
  // A service-account-token Secret gets a token of the account.
  ASSERT_EQ(apply(s,
                  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: legacy\n  namespace: team\n"
                  "  annotations: {kubernetes.io/service-account.name: deployer}\n"
                  "type: kubernetes.io/service-account-token\n")
                .exit_code,
            0);
  auto legacy =
      s.kubectl({"get", "secret", "legacy", "-n", "team", "-o", "jsonpath={.data.token}"});
  auto decoded = run_process({"base64", "-d"}, [&] {
    ProcessOptions o;
    o.input = legacy.out;
    return o;
  }());
  ASSERT_FALSE(decoded.out.empty());
  auto who = s.kubectl(
      {"--token", decoded.out, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"});
  EXPECT_EQ(who.out, "system:serviceaccount:team:deployer") << who.err;
  // An unknown token is 401.
  EXPECT_CONTAINS(s.kubectl({"--token", "nope", "get", "cm"}).err, "Unauthorized");

  // TokenReview of the TokenRequest token, as kube-apiserver answers it:
  // the account's uid, groups, the token's JTI and the API server's audience.
  auto review = [&](const std::string& token, const std::string& audiences) {
    return s.kubectl({"create", "-o", "json", "-f", "-"},
                     "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: " +
                         token + "\n  audiences: [" + audiences + "]\n");
  };
  std::string sa_uid =
      s.kubectl({"get", "sa", "deployer", "-n", "team", "-o", "jsonpath={.metadata.uid}"}).out;
  ASSERT_FALSE(sa_uid.empty());
  auto reviewed = review(t, "");
  ASSERT_EQ(reviewed.exit_code, 0) << reviewed.err;
  doc::Value st = *doc::parse_json(reviewed.out).find("status");
  EXPECT_TRUE(st.find("authenticated") && st.find("authenticated")->as_bool()) << reviewed.out;
  EXPECT_EQ(st.find_path({"user", "username"})->as_string(), "system:serviceaccount:team:deployer");
  EXPECT_EQ(st.find_path({"user", "uid"})->as_string(), sa_uid);
  EXPECT_EQ(doc::to_json(*st.find_path({"user", "groups"})),
            R"(["system:serviceaccounts","system:serviceaccounts:team","system:authenticated"])");
  const doc::Value* jti =
      st.find_path({"user", "extra", "authentication.kubernetes.io/credential-id"});
  ASSERT_TRUE(jti && jti->is_list() && jti->as_list().size() == 1) << reviewed.out;
  EXPECT_EQ(jti->as_list()[0].as_string().rfind("JTI=", 0), 0u);
  EXPECT_EQ(doc::to_json(*st.find("audiences")),
            R"(["https://kubernetes.default.svc.cluster.local"])");
  // For another audience the token is not valid; an unknown token is just
  // not authenticated (no error, as no authenticator recognises it).
  reviewed = review(t, "vault");
  ASSERT_EQ(reviewed.exit_code, 0) << reviewed.err;
  st = *doc::parse_json(reviewed.out).find("status");
  EXPECT_FALSE(st.find("authenticated")) << reviewed.out;
  EXPECT_CONTAINS(st.get_string("error"),
                  "token audiences [\"https://kubernetes.default.svc.cluster.local\"] is invalid "
                  "for the target audiences [\"vault\"]");
  auto vault = s.kubectl({"create", "token", "deployer", "-n", "team", "--audience", "vault"});
  ASSERT_EQ(vault.exit_code, 0) << vault.err;
  std::string vt = vault.out.substr(0, vault.out.find('\n'));
  reviewed = review(vt, "vault");
  EXPECT_CONTAINS(reviewed.out, "\"authenticated\": true");
  EXPECT_CONTAINS(reviewed.out, "\"vault\"");
  // ... and it is not a credential for the API server itself.
  EXPECT_CONTAINS(s.kubectl({"--token", vt, "get", "cm", "-n", "team"}).err, "Unauthorized");
  reviewed = review("never-issued", "");
  ASSERT_EQ(reviewed.exit_code, 0) << reviewed.err;
  EXPECT_EQ(doc::to_json(*doc::parse_json(reviewed.out).find("status")), R"({"user":{}})");
  // The admin token is a static token: any audience.
  reviewed = review(s.token(), "vault");
  EXPECT_CONTAINS(reviewed.out, "\"username\": \"sandbox-admin\"");
  // A token is required.
  EXPECT_CONTAINS(review("\"\"", "").err, "token is required for TokenReview");
  // Only who may create tokenreviews may ask (the deployer may not).
  EXPECT_CONTAINS(s.kubectl({"--token", t, "create", "-f", "-"},
                            "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n"
                            "  token: x\n")
                      .err,
                  "cannot create resource \"tokenreviews\" in API group "
                  "\"authentication.k8s.io\" at the cluster scope");

  // SubjectAccessReview for the account: the RBAC authorizer's reason names
  // the binding that allows; without an opinion, allowed false and no reason.
  auto sar = [&](const std::string& spec) {
    return s.kubectl(
        {"create", "-o", "jsonpath={.status.allowed}|{.status.reason}|{.status.denied}", "-f", "-"},
        "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec:\n" + spec);
  };
  std::string sa_user =
      "  user: system:serviceaccount:team:deployer\n  groups: [system:serviceaccounts, "
      "system:serviceaccounts:team, system:authenticated]\n";
  auto a =
      sar(sa_user + "  resourceAttributes: {verb: patch, resource: configmaps, namespace: team}\n");
  EXPECT_EQ(a.out,
            "true|RBAC: allowed by RoleBinding \"deployer/team\" of Role \"deployer\" to "
            "ServiceAccount \"deployer/team\"|")
      << a.err;
  a = sar(sa_user + "  resourceAttributes: {verb: list, resource: nodes}\n");
  EXPECT_EQ(a.out,
            "true|RBAC: allowed by ClusterRoleBinding \"deployer-readers\" of ClusterRole "
            "\"aggregate-readers\" to ServiceAccount \"deployer/team\"|")
      << a.err;
  a = sar(sa_user +
          "  resourceAttributes: {verb: patch, resource: configmaps, namespace: default}\n");
  EXPECT_EQ(a.out, "false||") << a.err;
  a = sar(sa_user + "  nonResourceAttributes: {verb: get, path: /version}\n");
  EXPECT_EQ(a.out,
            "true|RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole "
            "\"system:discovery\" to Group \"system:authenticated\"|")
      << a.err;
  // The groups are those given: without its groups the user is less.
  a = sar("  user: someone\n  nonResourceAttributes: {verb: get, path: /version}\n");
  EXPECT_EQ(a.out, "false||") << a.err;
  // Invalid reviews are 422, as kube-apiserver's validation answers.
  EXPECT_CONTAINS(sar("  resourceAttributes: {verb: get, resource: pods}\n").err,
                  "at least one of user or group must be specified");
  EXPECT_CONTAINS(sar("  user: someone\n").err,
                  "exactly one of nonResourceAttributes or resourceAttributes must be specified");
  // kubectl auth can-i --as (SelfSubjectAccessReview, impersonating).
  EXPECT_EQ(s.kubectl({"auth", "can-i", "patch", "configmaps", "-n", "team",
                       "--as=system:serviceaccount:team:deployer"})
                .out,
            "yes\n");
  // A deleted account's tokens stop working.
  ASSERT_EQ(s.kubectl({"delete", "sa", "deployer", "-n", "team"}).exit_code, 0);
  EXPECT_CONTAINS(review(t, "").out, "service account token has been invalidated");
  EXPECT_CONTAINS(as({"get", "cm", "-n", "team"}).err, "Unauthorized");
}

}  // namespace
}  // namespace gantry::testing
