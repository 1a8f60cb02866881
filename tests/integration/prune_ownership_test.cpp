// Prune and delete touch only what gantry applied (kube/ownership.h), against
// `gantry sandbox` and checked with the real kubectl.
//
// What a real cluster does, and the sandbox simulates (sandbox/dependents.h),
// that makes a label query alone unsafe:
//  - the endpoints controller creates an Endpoints per Service with a
//    selector, copying the Service's labels (the discriminator too), written
//    by "kube-controller-manager", with no ownerReferences;
//  - the EndpointSlice controller creates slices with the Service's labels and
//    an ownerReference to the Service;
//  - the Deployment, ReplicaSet, StatefulSet, DaemonSet and Job controllers
//    create ReplicaSets, Pods and ControllerRevisions labelled with the pod
//    template's labels (so with the discriminator when the template has it),
//    each with an ownerReference to its controller;
//  - `kubectl create` and `kubectl label` write as field managers
//    "kubectl-create" and "kubectl-label".
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

#include "doc/yaml.h"
#include "support/deploy_fixture.h"

namespace gantry::testing {
namespace {

// A Service, and workloads whose pod templates carry the discriminator label
// (as they do when a kustomization's labels include templates).
const char* kWorkloads = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web, gantry.dev/discriminator: test-dev}
    spec:
      containers: [{name: web, image: registry.local/web:1}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata:
      labels: {app: db, gantry.dev/discriminator: test-dev}
    spec:
      containers: [{name: db, image: registry.local/db:1}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata:
      labels: {app: agent, gantry.dev/discriminator: test-dev}
    spec:
      containers: [{name: agent, image: registry.local/agent:1}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  template:
    metadata:
      labels: {gantry.dev/discriminator: test-dev}
    spec:
      restartPolicy: Never
      containers: [{name: once, image: registry.local/once:1}]
)";

class PruneOwnershipTest : public DeployTest {
 protected:
  std::vector<std::string> args(const fs::path& p, const std::string& verb,
                                std::vector<std::string> more = {}) const {
    std::vector<std::string> a{
        verb, "--project", p.string(), "-t", "dev", "--kubeconfig", sandbox_.kubeconfig().string()};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  // Names of the labelled objects of `kinds` ("kind/name" lines, sorted by kubectl).
  std::string labelled(const std::string& kinds) const {
    return kubectl_out(
        {"get", kinds, "-A", "-l", "gantry.dev/discriminator=test-dev", "-o", "name"});
  }
  // Waits up to 10 s for `pred` to hold.
  static bool eventually(const std::function<bool()>& pred) {
    for (int i = 0; i < 100; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pred();
  }
};

size_t lines(const std::string& s) {
  return count_of(s, "\n");
}

TEST_F(PruneOwnershipTest, ControllersCopiesOfTheLabelAreNeitherOrphansNorDeleted) {
  fs::path p = project(
      "apps", {{"apps", {{"all.yaml", kWorkloads}, {"cm.yaml", config_map("settings", "1")}}}});
  ProcessResult r = gantry(args(p, "deploy", {"--yes", "--wait", "--timeout", "30s"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  // The simulated controllers' objects exist and carry the discriminator.
  ASSERT_TRUE(eventually([&] {
    return lines(labelled("pods")) == 2 + 2 + 1 + 1 &&
           lines(labelled("endpoints,endpointslices")) == 2;
  })) << labelled("pods,endpoints,endpointslices");
  EXPECT_EQ(lines(labelled("replicasets")), 1u);
  EXPECT_EQ(lines(labelled("controllerrevisions")), 2u);
  EXPECT_EQ(kubectl_out(
                {"get", "endpoints", "web", "-o", "jsonpath={.metadata.managedFields[0].manager}"}),
            "kube-controller-manager");

  // diff: nothing to change, no orphans; prune: nothing to delete.
  r = gantry(args(p, "diff"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("0 to prune"), std::string::npos) << r.err;
  r = gantry(args(p, "prune", {"--yes"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("0 to prune (context", 0), 0u) << r.out;

  // delete: exactly the six rendered objects; the controllers' copies go
  // with their owners (garbage collection, the endpoints controller).
  r = gantry(args(p, "delete", {"--yes"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::set<std::string> deleted;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("- ", 0) == 0) deleted.insert(line.substr(2));
  EXPECT_EQ(deleted, (std::set<std::string>{"Service default/web", "Deployment default/web",
                                            "StatefulSet default/db", "DaemonSet default/agent",
                                            "Job default/once", "ConfigMap default/settings"}))
      << r.out;
  EXPECT_NE(r.out.find("deleted 6, failed 0"), std::string::npos) << r.out;
  EXPECT_TRUE(eventually([&] {
    return labelled("pods,endpoints,endpointslices,replicasets,controllerrevisions").empty();
  })) << labelled("pods,endpoints,endpointslices,replicasets,controllerrevisions");
}

// The quick start's example: after a deploy the cluster holds the
// controllers' Endpoints and EndpointSlices with the target's label; diff and
// prune leave them alone, and delete removes exactly what the render has.
TEST_F(PruneOwnershipTest, ShopExampleDeletesExactlyWhatItRendered) {
  fs::path kc = kubeconfig_named("shop-staging");
  std::vector<std::string> base{"--project",    (source_dir() / "examples" / "shop").string(),
                                "-t",           "staging",
                                "--kubeconfig", kc.string()};
  auto run = [&](const std::string& verb, std::vector<std::string> more) {
    std::vector<std::string> a{verb};
    a.insert(a.end(), base.begin(), base.end());
    a.insert(a.end(), more.begin(), more.end());
    return gantry(a);
  };
  ProcessResult r = run("deploy", {"--yes", "--wait", "--timeout", "30s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::string copies;
  ASSERT_TRUE(eventually([&] {
    copies = kubectl_out({"get", "endpoints,endpointslices", "-A", "-l",
                          "gantry.dev/discriminator=shop-staging", "-o", "name"});
    return count_of(copies, "endpoints/") >= 1 && count_of(copies, "endpointslice") >= 1;
  })) << copies;

  r = run("diff", {});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  r = run("prune", {"--yes"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("0 to prune (context", 0), 0u) << r.out;

  ProcessResult rendered = gantry(
      {"render", "--project", (source_dir() / "examples" / "shop").string(), "-t", "staging"});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  std::set<std::string> expected;
  for (const auto& obj : doc::parse_yaml_stream(rendered.out, "render")) {
    const doc::Value* ns = obj.find_path({"metadata", "namespace"});
    std::string kind = obj.get_string("kind");
    std::string where = kind == "Namespace" ? "" : (ns ? ns->as_string() : "default") + "/";
    expected.insert(kind + " " + where + obj.find_path({"metadata", "name"})->as_string());
  }
  r = run("delete", {"--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::set<std::string> deleted;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("- ", 0) == 0) deleted.insert(line.substr(2));
  EXPECT_EQ(deleted, expected) << r.out;
}

TEST_F(PruneOwnershipTest, LabelledByHandIsKeptUntilForceManaged) {
  fs::path p = project("app", {{"app", {{"cm.yaml", config_map("mine", "1")}}}});
  ASSERT_EQ(gantry(args(p, "deploy", {"--yes"})).exit_code, 0);
  // Someone else's object that happens to carry the label. (`kubectl create -f`
  // writes as "kubectl-create" like `kubectl create configmap`, whose
  // protobuf body the sandbox does not read yet.)
  ProcessResult c = sandbox_.kubectl({"create", "-f", "-"}, config_map("foreign", "1"));
  ASSERT_EQ(c.exit_code, 0) << c.err;
  ASSERT_EQ(sandbox_.kubectl({"label", "configmap", "foreign", "gantry.dev/discriminator=test-dev"})
                .exit_code,
            0);

  ProcessResult r = gantry(args(p, "diff"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("gantry: kept ConfigMap default/foreign: not applied by gantry (field "
                       "managers: kubectl-create, kubectl-label)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("0 to prune, 1 kept"), std::string::npos) << r.err;
  r = gantry(args(p, "prune", {"--yes"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("= ConfigMap default/foreign kept: not applied by gantry"),
            std::string::npos)
      << r.out;
  r = gantry(args(p, "delete", {"--yes", "-o", "json"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"object\": \"ConfigMap default/foreign\""), std::string::npos) << r.out;
  EXPECT_EQ(sandbox_.kubectl({"get", "configmap", "foreign"}).exit_code, 0);
  EXPECT_NE(sandbox_.kubectl({"get", "configmap", "mine"}).exit_code, 0);

  // Opted in: now it is gantry's, and not in the render, so prune deletes it.
  ASSERT_EQ(gantry(args(p, "deploy", {"--yes"})).exit_code, 0);
  ASSERT_EQ(sandbox_.kubectl({"annotate", "configmap", "foreign", "gantry.dev/force-managed=true"})
                .exit_code,
            0);
  r = gantry(args(p, "prune", {"--yes"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("- ConfigMap default/foreign"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deleted 1, failed 0"), std::string::npos) << r.out;
  EXPECT_NE(sandbox_.kubectl({"get", "configmap", "foreign"}).exit_code, 0);
  EXPECT_EQ(sandbox_.kubectl({"get", "configmap", "mine"}).exit_code, 0);
}

TEST_F(PruneOwnershipTest, LeftTheRenderIsPrunedUnlessKept) {
  std::string keep = config_map("kept", "1");
  keep.replace(keep.find("  name: kept\n"), 12,
               "  name: kept\n  annotations:\n    helm.sh/resource-policy: keep\n");
  std::string skip = config_map("skipped", "1");
  skip.replace(skip.find("  name: skipped\n"), 15,
               "  name: skipped\n  annotations:\n    kluctl.io/skip-delete: \"true\"\n");
  fs::path p = project("app", {{"app",
                                {{"stay.yaml", config_map("stay", "1")},
                                 {"gone.yaml", config_map("gone", "1")},
                                 {"kept.yaml", keep},
                                 {"skipped.yaml", skip}}}});
  ASSERT_EQ(gantry(args(p, "deploy", {"--yes"})).exit_code, 0);
  for (const char* f : {"gone.yaml", "kept.yaml", "skipped.yaml"})
    fs::remove(p / "app" / f);

  ProcessResult r = gantry(args(p, "deploy", {"--yes", "--prune"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("- ConfigMap default/gone"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("= ConfigMap default/kept kept: annotated helm.sh/resource-policy: keep"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("= ConfigMap default/skipped kept: annotated kluctl.io/skip-delete"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("pruned 1,"), std::string::npos) << r.out;
  EXPECT_NE(sandbox_.kubectl({"get", "configmap", "gone"}).exit_code, 0);
  EXPECT_EQ(sandbox_.kubectl({"get", "configmap", "kept"}).exit_code, 0);
  EXPECT_EQ(sandbox_.kubectl({"get", "configmap", "skipped"}).exit_code, 0);
  EXPECT_EQ(sandbox_.kubectl({"get", "configmap", "stay"}).exit_code, 0);
}

TEST_F(PruneOwnershipTest, AnotherToolsObjectsOnlyWhenAdopted) {
  fs::path p = project("app", {{"app", {{"cm.yaml", config_map("mine", "1")}}}});
  ASSERT_EQ(gantry(args(p, "deploy", {"--yes"})).exit_code, 0);
  // What kluctl left behind: applied server-side with its field manager.
  std::string old = config_map("from-kluctl", "1");
  old.replace(old.find("  name: from-kluctl\n"), 19,
              "  name: from-kluctl\n  labels: {gantry.dev/discriminator: test-dev}\n");
  ProcessResult k =
      sandbox_.kubectl({"apply", "--server-side", "--field-manager", "kluctl", "-f", "-"}, old);
  ASSERT_EQ(k.exit_code, 0) << k.err;

  ProcessResult r = gantry(args(p, "prune", {"--yes"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("kept: not applied by gantry (field managers: kluctl)"), std::string::npos)
      << r.out;
  EXPECT_EQ(sandbox_.kubectl({"get", "configmap", "from-kluctl"}).exit_code, 0);
  r = gantry(args(p, "prune", {"--yes", "--adopt-manager", "kluctl"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("- ConfigMap default/from-kluctl"), std::string::npos) << r.out;
  EXPECT_NE(sandbox_.kubectl({"get", "configmap", "from-kluctl"}).exit_code, 0);
}

// An operator's custom resource with a finalizer goes before the workloads:
// delete waits until the finalizer is cleared before it deletes the
// Deployment (which, on a real cluster, may be the operator that clears it).
TEST_F(PruneOwnershipTest, DeleteWaitsForCustomResourcesBeforeWorkloads) {
  const char* crd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
)";
  const char* cr = R"(apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
  finalizers: [example.com/cleanup]
spec: {size: 1}
)";
  const char* operator_deployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: widget-operator
spec:
  selector: {matchLabels: {app: op}}
  template:
    metadata: {labels: {app: op}}
    spec:
      containers: [{name: op, image: registry.local/op:1}]
)";
  fs::path p = project("op", {{"crds", {{"crd.yaml", crd}}},
                              {"operator", {{"deploy.yaml", operator_deployment}}},
                              {"---", {}},
                              {"widgets", {{"w.yaml", cr}}}});
  ProcessResult r = gantry(args(p, "deploy", {"--yes"}));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  std::vector<std::string> argv{GANTRY_BINARY};
  for (const auto& a : args(p, "delete", {"--yes"}))
    argv.push_back(a);
  BackgroundProcess del(argv, dir_.path() / "delete.log",
                        {"GANTRY_CACHE_DIR=" + (dir_.path() / "cache").string()});
  // The Widget is terminating, held by its finalizer...
  ASSERT_TRUE(eventually([&] {
    return !kubectl_out({"get", "widget", "w", "-o", "jsonpath={.metadata.deletionTimestamp}"})
                .empty();
  }));
  // ...and while it is, the operator's Deployment is left alone.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(kubectl_out({"get", "deployment", "widget-operator", "-o",
                         "jsonpath={.metadata.deletionTimestamp}"}),
            "");
  EXPECT_EQ(del.log().find("Deployment default/widget-operator"), std::string::npos) << del.log();
  // The "operator" finishes: the rest goes, CRD last.
  ASSERT_EQ(sandbox_
                .kubectl({"patch", "widget", "w", "--type=merge", "-p",
                          "{\"metadata\":{\"finalizers\":null}}"})
                .exit_code,
            0);
  ASSERT_TRUE(eventually([&] {
    return del.log().find("deleted 3, failed 0") != std::string::npos;
  })) << del.log();
  EXPECT_NE(sandbox_.kubectl({"get", "deployment", "widget-operator"}).exit_code, 0);
  EXPECT_TRUE(eventually([&] {
    return sandbox_.kubectl({"get", "crd", "widgets.example.com"}).exit_code != 0;
  }));
}

}  // namespace
}  // namespace gantry::testing
