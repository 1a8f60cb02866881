// gantry diff / deploy / prune / delete against `gantry sandbox`, checked with
// the real kubectl: the course project's whole life cycle, hooks, CRDs with
// their custom resources, context pinning, readiness, empty renders, invalid
// objects, conflicts and the kubeconfig's ways to authenticate.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "core/file.h"
#include "doc/yaml.h"
#include "support/deploy_fixture.h"
#include "support/fixtures.h"
#include "support/sandbox.h"

namespace gantry::testing {
namespace {

// ---------------------------------------------------------------------------
// The course project: deploy, change, diff, deploy, prune, delete.

class CourseDeployTest : public DeployTest {
 protected:
  void SetUp() override {
    install_course_crds();

    // A copy of the project to change; the kubeconfig names the course's context.
    proj_ = dir_.path() / "kluctl";
    fs::create_directories(proj_);
    for (const auto& e : fs::directory_iterator(course_dir() / "kluctl"))
      if (e.path().filename() != ".helm-charts")
        fs::copy(e.path(), proj_ / e.path().filename(), fs::copy_options::recursive);
    kc_ = kubeconfig_named("devops-directive-kubernetes-course");
  }

  std::vector<std::string> args(const std::string& verb) const {
    return {verb,         "--project",    proj_.string(), "-t",
            "staging",    "--kubeconfig", kc_.string(),   "--exclude-deployment-dir",
            "third-party"};
  }
  ProcessResult run(const std::string& verb, std::vector<std::string> more = {}) const {
    auto a = args(verb);
    a.insert(a.end(), more.begin(), more.end());
    return gantry(a);
  }

  fs::path proj_, kc_;
};

TEST_F(CourseDeployTest, FullLifeCycle) {
  // First deploy, waiting for readiness.
  ProcessResult r = run("deploy", {"--yes", "--wait", "--timeout", "30s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("applied 20, unchanged 0, pruned 0, hooks 2, failed 0"), std::string::npos)
      << r.out;
  std::string deps =
      kubectl_out({"get", "deploy", "-n", "demo-app", "-o",
                   "jsonpath={range .items[*]}{.metadata.name}={.status.availableReplicas} {end}"});
  EXPECT_EQ(deps, "api-golang=1 api-node=1 client-react-nginx=1 load-generator-python=1 ");
  // The pre-deploy hook Job ran to completion; its Secret (weight 1) exists.
  EXPECT_EQ(kubectl_out({"get", "job", "db-migrator", "-n", "demo-app", "-o",
                         "jsonpath={.status.conditions[?(@.type==\"Complete\")].status}"}),
            "True");
  EXPECT_EQ(kubectl_out({"get", "secret", "db-migrator-password", "-n", "demo-app", "-o",
                         "jsonpath={.metadata.labels.gantry\\.dev/discriminator}"}),
            "kluctl-staging");
  EXPECT_EQ(kubectl_out({"get", "cluster.postgresql.cnpg.io", "cnpg-minimal", "-n", "postgres",
                         "-o", "jsonpath={.metadata.name}"}),
            "cnpg-minimal");

  // What kube-controller-manager does on a real cluster, simulated by the
  // sandbox: the endpoints controller gives each Service with a selector an
  // Endpoints of the same name carrying the Service's labels (the
  // discriminator included) and no ownerReferences; the EndpointSlice
  // controller a slice with the same labels, owned by the Service.
  for (const std::string kind : {"endpoints", "endpointslices"}) {
    std::string names =
        kubectl_out({"get", kind, "-n", "demo-app", "-l", "gantry.dev/discriminator=kluctl-staging",
                     "-o", "jsonpath={range .items[*]}{.metadata.name} {end}"});
    for (const std::string svc : {"api-golang", "api-node", "client-react-nginx"})
      EXPECT_NE(names.find(svc), std::string::npos) << kind << ": " << names;
  }
  // None of them is gantry's: prune has nothing to do.
  r = run("prune", {"--dry-run"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 to prune"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Endpoints"), std::string::npos) << r.out;

  // Nothing changed: diff exits 0 and a deploy has nothing to do.
  r = run("diff");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  r = run("deploy", {"--yes"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nothing to do"), std::string::npos) << r.out;

  // Change a var: the diff shows exactly that change.
  fs::path cfg = proj_ / "services/api-golang/config/staging.yaml";
  std::string text = read_file(cfg);
  ASSERT_NE(text.find("replicas: 1"), std::string::npos);
  write_file_atomic(cfg, replace_all(text, "replicas: 1", "replicas: 3"));
  r = run("diff");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(count_of(r.out, "\n+++ ") + (r.out.rfind("+++ ", 0) == 0), 1u) << r.out;
  EXPECT_NE(
      r.out.find(
          "--- live/Deployment demo-app/api-golang\n+++ rendered/Deployment demo-app/api-golang\n"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\n-  replicas: 1\n+  replicas: 3\n"), std::string::npos) << r.out;
  EXPECT_EQ(count_of(r.out, "\n-  "), 1u) << r.out;
  EXPECT_EQ(count_of(r.out, "\n+  "), 1u) << r.out;
  EXPECT_NE(r.err.find("0 to create, 1 to update, 19 unchanged, 0 to prune, 2 hooks"),
            std::string::npos)
      << r.err;

  // -o json says the same for machines.
  r = run("diff", {"-o", "json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("\"object\": \"Deployment demo-app/api-golang\""), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"change\": \"update\""), std::string::npos) << r.out;

  r = run("deploy", {"--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(kubectl_out({"get", "deploy", "api-golang", "-n", "demo-app", "-o",
                         "jsonpath={.spec.replicas}"}),
            "3");
  // The changed item's hooks ran again (a new Job).
  EXPECT_NE(r.out.find("hooks 2"), std::string::npos) << r.out;

  // Remove a manifest: diff shows the orphan, deploy --prune deletes it.
  fs::remove(proj_ / "services/api-node/manifests/Middleware.yaml");
  r = run("diff");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("--- live/Middleware demo-app/strip-api-prefixes-node\n+++ /dev/null\n"),
            std::string::npos)
      << r.out;
  r = run("deploy", {"--yes"});  // without --prune nothing is deleted
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(sandbox_.kubectl({"get", "middleware", "strip-api-prefixes-node", "-n", "demo-app"})
                .exit_code,
            0);
  r = run("deploy", {"--yes", "--prune"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("- Middleware demo-app/strip-api-prefixes-node"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("pruned 1"), std::string::npos) << r.out;
  ProcessResult gone =
      sandbox_.kubectl({"get", "middleware", "strip-api-prefixes-node", "-n", "demo-app"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_NE(gone.err.find("NotFound"), std::string::npos) << gone.err;

  // Delete the target: exactly the rendered objects go, not the Endpoints
  // that carry the label too (the endpoints controller removes those with
  // their Services).
  ProcessResult rendered = gantry({"render", "--project", proj_.string(), "-t", "staging",
                                   "--exclude-deployment-dir", "third-party"});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  std::set<std::string> expected;
  for (const auto& obj : doc::parse_yaml_stream(rendered.out, "render")) {
    std::string ns = obj.find_path({"metadata", "namespace"})
                         ? obj.find_path({"metadata", "namespace"})->as_string()
                         : "";
    std::string kind = obj.get_string("kind");
    if (kind == "Namespace") ns.clear();
    if (ns.empty() && kind != "Namespace") ns = "default";
    expected.insert("- " + kind + " " + (ns.empty() ? "" : ns + "/") +
                    obj.find_path({"metadata", "name"})->as_string());
  }
  expected.erase("- Middleware demo-app/strip-api-prefixes-node");  // pruned above
  r = run("delete", {"--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::set<std::string> deleted;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("- ", 0) == 0) deleted.insert(line);
  // Hooks that ran (the db-migrator Job and its Secret) are the target's too.
  EXPECT_EQ(deleted, expected) << r.out;
  EXPECT_EQ(r.out.find("Endpoints"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Namespace demo-app"), std::string::npos);
  std::string left = kubectl_out({"get", "deploy,svc,secret,cm,job,ingressroute,middleware", "-A",
                                  "-l", "gantry.dev/discriminator=kluctl-staging", "-o", "name"});
  EXPECT_EQ(left, "");
}

// The whole course project, its two Helm items (traefik, cloudnative-pg)
// included, rendered with the real helm: deploy, no-op, a values change,
// prune and delete, each state checked with kubectl.
TEST_F(CourseDeployTest, WholeProjectWithHelmItems) {
  std::string helm = helm_binary();
  if (helm.empty()) GTEST_SKIP() << "no helm binary (scripts/install-deps.sh fetches one)";
  fs::copy(course_dir() / "kluctl" / ".helm-charts", proj_ / ".helm-charts",
           fs::copy_options::recursive);
  auto all = [&](const std::string& verb, std::vector<std::string> more = {}) {
    std::vector<std::string> a{verb,           "--project",  proj_.string(),  "-t", "staging",
                               "--kubeconfig", kc_.string(), "--helm-binary", helm};
    a.insert(a.end(), more.begin(), more.end());
    return gantry(a);
  };
  ProcessResult r = all("deploy", {"--yes", "--wait", "--timeout", "60s"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("failed 0"), std::string::npos) << r.out;
  // The charts' objects are there, in their release namespaces.
  EXPECT_EQ(kubectl_out({"get", "deploy", "traefik", "-n", "traefik", "-o",
                         "jsonpath={.status.availableReplicas}"}),
            "1");
  EXPECT_EQ(kubectl_out({"get", "deploy", "cnpg-cloudnative-pg", "-n", "cnpg-system", "-o",
                         "jsonpath={.metadata.labels.gantry\\.dev/discriminator}"}),
            "kluctl-staging");
  EXPECT_EQ(kubectl_out({"get", "ingressclass", "traefik", "-o", "jsonpath={.metadata.name}"}),
            "traefik");
  EXPECT_EQ(kubectl_out({"get", "mutatingwebhookconfiguration",
                         "cnpg-mutating-webhook-configuration", "-o", "jsonpath={.metadata.name}"}),
            "cnpg-mutating-webhook-configuration");
  EXPECT_EQ(kubectl_out({"get", "crd", "clusters.postgresql.cnpg.io", "-o",
                         "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"}),
            "True");
  // Again: nothing to do, and no diff.
  r = all("deploy", {"--yes"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nothing to do"), std::string::npos) << r.out;
  r = all("diff");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  // A values change reaches exactly the chart's Deployment.
  write_file_atomic(proj_ / "third-party/traefik/helm-values.yaml", "deployment:\n  replicas: 2\n");
  r = all("diff");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("+++ rendered/Deployment traefik/traefik\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n-  replicas: 1\n+  replicas: 2\n"), std::string::npos) << r.out;
  EXPECT_EQ(count_of(r.out, "\n+++ ") + (r.out.rfind("+++ ", 0) == 0), 1u) << r.out;
  r = all("deploy", {"--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(
      kubectl_out({"get", "deploy", "traefik", "-n", "traefik", "-o", "jsonpath={.spec.replicas}"}),
      "2");
  // Dropping the cloudnative-pg item: prune deletes what it rendered.
  write_file_atomic(proj_ / "third-party/deployment.yaml", "deployments:\n  - path: traefik\n");
  r = all("prune", {"--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Deployment cnpg-system/cnpg-cloudnative-pg"), std::string::npos) << r.out;
  EXPECT_NE(
      sandbox_.kubectl({"get", "deploy", "cnpg-cloudnative-pg", "-n", "cnpg-system"}).exit_code, 0);
  EXPECT_NE(
      sandbox_
          .kubectl({"get", "mutatingwebhookconfiguration", "cnpg-mutating-webhook-configuration"})
          .exit_code,
      0);
  // Delete: everything of the target goes, traefik's chart included.
  r = all("delete", {"--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(sandbox_.kubectl({"get", "deploy", "traefik", "-n", "traefik"}).exit_code, 0);
  EXPECT_NE(sandbox_.kubectl({"get", "ingressclass", "traefik"}).exit_code, 0);
  EXPECT_EQ(kubectl_out({"get", "deploy", "-A", "-l", "gantry.dev/discriminator=kluctl-staging",
                         "-o", "name"}),
            "");
}

TEST_F(CourseDeployTest, RefusesWithoutYesWhenNoTerminalCanAsk) {
  ProcessResult r = run("deploy");
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("give --yes"), std::string::npos) << r.err;
  EXPECT_NE(sandbox_.kubectl({"get", "ns", "demo-app"}).exit_code, 0);
}

TEST_F(CourseDeployTest, PinnedContextRefusesAnotherCluster) {
  // The target names devops-directive-kubernetes-course; asking for any other
  // context is refused before anything is read or applied.
  ProcessResult r = run("deploy", {"--yes", "--context", "gantry-sandbox"});
  EXPECT_EQ(r.exit_code, 7) << r.err;
  EXPECT_NE(r.err.find("pinned to context \"devops-directive-kubernetes-course\""),
            std::string::npos)
      << r.err;
  // A kubeconfig without the pinned context: not found, not "use the current one".
  auto a = args("deploy");
  a[6] = sandbox_.kubeconfig().string();
  a.push_back("--yes");
  r = gantry(a);
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("context \"devops-directive-kubernetes-course\" not found"),
            std::string::npos)
      << r.err;
  EXPECT_NE(sandbox_.kubectl({"get", "ns", "demo-app"}).exit_code, 0);
}

// ---------------------------------------------------------------------------
// Hooks, CRDs, readiness, empty renders, bad objects, conflicts.

TEST_F(DeployTest, FailedPreDeployHookKeepsItsItemOut) {
  const char* hook = R"(apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    gantry.dev/hook: pre-deploy
    sandbox.gantry.dev/fail: "true"
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
)";
  fs::path p =
      project("hooked", {{"app", {{"job.yaml", hook}, {"cm.yaml", config_map("app-config", "1")}}},
                         {"other", {{"cm.yaml", config_map("other-config", "1")}}}});
  ProcessResult r = gantry({"deploy", "--project", p.string(), "-t", "dev", "--kubeconfig",
                            sandbox_.kubeconfig().string(), "--yes", "--timeout", "20s"});
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("Job default/migrate"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hook did not succeed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ConfigMap default/app-config"), std::string::npos) << r.err;
  // The hook gates its item: app-config was never applied; the other item was.
  EXPECT_NE(sandbox_.kubectl({"get", "cm", "app-config"}).exit_code, 0);
  EXPECT_EQ(sandbox_.kubectl({"get", "cm", "other-config"}).exit_code, 0);
}

TEST_F(DeployTest, HooksRunByWeightAndPostHooksAfterTheItem) {
  auto job = [](const std::string& name, const std::string& when, int weight) {
    return "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: " + name +
           "\n  annotations:\n    kluctl.io/hook: " + when + "\n    kluctl.io/hook-weight: \"" +
           std::to_string(weight) +
           "\"\n    kluctl.io/hook-delete-policy: hook-succeeded\nspec:\n  template:\n    spec:\n"
           "      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n";
  };
  fs::path p = project("weights", {{"app",
                                    {{"a.yaml", job("second", "pre-deploy", 5)},
                                     {"b.yaml", job("first", "pre-deploy", -1)},
                                     {"c.yaml", job("after", "post-deploy", 0)},
                                     {"cm.yaml", config_map("app", "1")}}}});
  ProcessResult r = gantry({"deploy", "--project", p.string(), "-t", "dev", "--kubeconfig",
                            sandbox_.kubeconfig().string(), "--yes", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"hooks\": 3"), std::string::npos) << r.out;
  // hook-succeeded: all three were deleted after they completed.
  EXPECT_EQ(kubectl_out({"get", "jobs", "-o", "name"}), "");
  EXPECT_EQ(sandbox_.kubectl({"get", "cm", "app"}).exit_code, 0);
}

TEST_F(DeployTest, CrdAndItsCustomResourceInOneRun) {
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
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
)";
  const char* cr =
      "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: shop\nspec:\n "
      " size: 3\n";
  const char* ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
  // The custom resource comes first in the project: gantry still applies the CRD
  // (and the namespace) first and waits until it is Established.
  fs::path p = project(
      "crd", {{"widgets", {{"w.yaml", cr}}}, {"defs", {{"crd.yaml", crd}, {"ns.yaml", ns}}}});
  ProcessResult d = gantry({"diff", "--project", p.string(), "-t", "dev", "--kubeconfig",
                            sandbox_.kubeconfig().string()});
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_NE(d.out.find("+++ rendered/Widget shop/w1"), std::string::npos) << d.out;
  ProcessResult r = gantry({"deploy", "--project", p.string(), "-t", "dev", "--kubeconfig",
                            sandbox_.kubeconfig().string(), "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(kubectl_out({"get", "widgets", "-n", "shop", "w1", "-o", "jsonpath={.spec.size}"}),
            "3");
  // Re-deploy: all unchanged (the no-op path reads managedFields of the CR too).
  r = gantry({"deploy", "--project", p.string(), "-t", "dev", "--kubeconfig",
              sandbox_.kubeconfig().string(), "--yes"});
  EXPECT_NE(r.out.find("nothing to do"), std::string::npos) << r.out;
}

TEST_F(DeployTest, ReadinessTimeoutNamesTheObjectAndWhy) {
  const char* pod = R"(apiVersion: v1
kind: Pod
metadata:
  name: stuck
  annotations: {sandbox.gantry.dev/fail: "true"}
spec:
  containers: [{name: c, image: busybox}]
)";
  const char* dep = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: fine
spec:
  replicas: 2
  selector: {matchLabels: {app: fine}}
  template:
    metadata: {labels: {app: fine}}
    spec:
      containers: [{name: c, image: busybox}]
)";
  fs::path p = project("ready", {{"app", {{"pod.yaml", pod}, {"dep.yaml", dep}}}});
  ProcessResult r = gantry({"deploy", "--project", p.string(), "-t", "dev", "--kubeconfig",
                            sandbox_.kubeconfig().string(), "--yes", "--wait", "--timeout", "2s"});
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("not ready: Pod default/stuck"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not ready after 2s: Pod Pending, not Ready"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Deployment default/fine"), std::string::npos) << r.err;  // it became ready
}

TEST_F(DeployTest, StuckRolloutFailsFastWithTheReason) {
  const char* dep = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
  annotations: {sandbox.gantry.dev/fail: "true"}
spec:
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec:
      containers: [{name: c, image: busybox}]
)";
  fs::path p = project("stuck", {{"app", {{"dep.yaml", dep}}}});
  fs::path dy = p / "deployment.yaml";
  write_file_atomic(dy, "deployments:\n  - path: app\n    waitReadiness: true\n");
  ProcessResult r = gantry({"deploy", "--project", p.string(), "-t", "dev", "--kubeconfig",
                            sandbox_.kubeconfig().string(), "--yes", "--timeout", "60s"});
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("Deployment default/broken"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ProgressDeadlineExceeded"), std::string::npos) << r.err;
}

TEST_F(DeployTest, EmptyRenderNeverPrunesOrDeletes) {
  fs::path p = project("empty", {{"app", {{"cm.yaml", config_map("keep-me", "1")}}}});
  std::vector<std::string> base{"--project", p.string(),     "-t",
                                "dev",       "--kubeconfig", sandbox_.kubeconfig().string(),
                                "--yes"};
  auto with = [&](std::string verb, std::vector<std::string> more) {
    std::vector<std::string> a{verb};
    a.insert(a.end(), base.begin(), base.end());
    a.insert(a.end(), more.begin(), more.end());
    return gantry(a);
  };
  ASSERT_EQ(with("deploy", {}).exit_code, 0);
  // The whole project deselected: the render is empty.
  for (const std::string verb : {"deploy", "prune", "delete"}) {
    std::vector<std::string> more{"--exclude-deployment-dir", "app"};
    if (verb == "deploy") more.push_back("--prune");
    ProcessResult r = with(verb, more);
    EXPECT_EQ(r.exit_code, 7) << verb << ": " << r.err;
    EXPECT_NE(r.err.find("is empty; refusing to"), std::string::npos) << r.err;
    EXPECT_EQ(sandbox_.kubectl({"get", "cm", "keep-me"}).exit_code, 0) << verb;
  }
  // Explicitly allowed: the prune happens.
  ProcessResult r = with("prune", {"--exclude-deployment-dir", "app", "--allow-empty"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(sandbox_.kubectl({"get", "cm", "keep-me"}).exit_code, 0);
}

TEST_F(DeployTest, InvalidObjectIsReportedWithItsSourceLine) {
  std::string bad = "# a comment first\n" + config_map("Not_A_Valid_Name", "x");
  fs::path p = project(
      "bad", {{"broken", {{"bad.yaml", bad}}}, {"fine", {{"cm.yaml", config_map("fine", "1")}}}});
  std::vector<std::string> a{"--project", p.string(),     "-t",
                             "dev",       "--kubeconfig", sandbox_.kubeconfig().string()};
  std::vector<std::string> diff{"diff"};
  diff.insert(diff.end(), a.begin(), a.end());
  ProcessResult d = gantry(diff);
  EXPECT_EQ(d.exit_code, 6) << d.err;
  EXPECT_NE(d.err.find("broken/bad.yaml:2"), std::string::npos) << d.err;
  std::vector<std::string> dep{"deploy", "--yes"};
  dep.insert(dep.end(), a.begin(), a.end());
  ProcessResult r = gantry(dep);
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(
      r.err,
      std::regex("ConfigMap default/Not_A_Valid_Name \\(.*broken/bad\\.yaml:2:1\\): ConfigMap "
                 "\"Not_A_Valid_Name\" is invalid: metadata\\.name: Invalid value")))
      << r.err;
  EXPECT_NE(r.out.find("applied 1,"), std::string::npos) << r.out;
  EXPECT_EQ(sandbox_.kubectl({"get", "cm", "fine"}).exit_code, 0);
}

TEST_F(DeployTest, ConflictsAreReportedNotForced) {
  ASSERT_EQ(sandbox_
                .kubectl({"apply", "--server-side", "--field-manager", "alice", "-f", "-"},
                         config_map("shared", "alice"))
                .exit_code,
            0);
  fs::path p = project("conflict", {{"app", {{"cm.yaml", config_map("shared", "gantry")}}}});
  std::vector<std::string> a{"deploy",
                             "--project",
                             p.string(),
                             "-t",
                             "dev",
                             "--kubeconfig",
                             sandbox_.kubeconfig().string(),
                             "--yes"};
  ProcessResult r = gantry(a);
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("conflict with \"alice\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force-conflicts"), std::string::npos) << r.err;
  EXPECT_EQ(kubectl_out({"get", "cm", "shared", "-o", "jsonpath={.data.key}"}), "alice");
  a.push_back("--force-conflicts");
  r = gantry(a);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(kubectl_out({"get", "cm", "shared", "-o", "jsonpath={.data.key}"}), "gantry");
}

TEST_F(DeployTest, SecretValuesNeverShowInDiffs) {
  auto secret = [](const std::string& v) {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: " + v +
           "\n  user: admin\n";
  };
  fs::path p = project("secret", {{"app", {{"s.yaml", secret("hunter2-old")}}}});
  std::vector<std::string> a{"--project", p.string(),     "-t",
                             "dev",       "--kubeconfig", sandbox_.kubeconfig().string()};
  auto cmd = [&](std::vector<std::string> head) {
    head.insert(head.end(), a.begin(), a.end());
    return gantry(head);
  };
  ProcessResult first = cmd({"diff"});
  EXPECT_EQ(first.exit_code, 1);
  EXPECT_EQ(first.out.find("hunter2"), std::string::npos) << first.out;
  ASSERT_EQ(cmd({"deploy", "--yes"}).exit_code, 0);
  write_file_atomic(p / "app/s.yaml", secret("hunter2-new"));
  ProcessResult d = cmd({"diff"});
  EXPECT_EQ(d.exit_code, 1) << d.err;
  for (const std::string leak : {"hunter2", "aHVudGVyMi1vbGQ", "aHVudGVyMi1uZXc", "YWRtaW4"})
    EXPECT_EQ(d.out.find(leak), std::string::npos) << leak << " in\n" << d.out;
  EXPECT_NE(d.out.find("-  password: '*** (before)'"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("+  password: '*** (after)'"), std::string::npos) << d.out;
  ProcessResult j = cmd({"diff", "-o", "json"});
  EXPECT_EQ(j.out.find("hunter2"), std::string::npos);
}

TEST_F(DeployTest, ManyObjectsAreReadBackAcrossListPages) {
  // 620 ConfigMaps in one namespace: the plan's labelled LIST takes two pages
  // of 500; a missed page would show up as objects to create on re-deploy.
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 620; ++i)
    files.emplace_back("cm" + std::to_string(i) + ".yaml",
                       config_map("cm-" + std::to_string(i), "v"));
  fs::path p = project("many", {{"app", files}});
  std::vector<std::string> a{"deploy",
                             "--project",
                             p.string(),
                             "-t",
                             "dev",
                             "--kubeconfig",
                             sandbox_.kubeconfig().string(),
                             "--yes"};
  ProcessResult r = gantry(a);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("applied 620,"), std::string::npos) << r.out.substr(r.out.size() - 200);
  r = gantry(a);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 to create, 0 to update, 620 unchanged"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing to do"), std::string::npos);
  // One value changed: exactly one update among the 620.
  write_file_atomic(p / "app/cm577.yaml", config_map("cm-577", "changed"));
  r = gantry(a);
  EXPECT_NE(r.out.find("~ ConfigMap default/cm-577\n0 to create, 1 to update, 619 unchanged"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(kubectl_out({"get", "cm", "cm-577", "-o", "jsonpath={.data.key}"}), "changed");
}

// ---------------------------------------------------------------------------
// kubeconfig: exec plugins, token files, KUBECONFIG lists, wrong tokens.

TEST_F(DeployTest, ExecCredentialPluginAndTokenFile) {
  std::string kc = read_file(sandbox_.kubeconfig());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(kc, m, std::regex("token: (\\S+)")));
  std::string token = m[1];
  fs::path plugin = dir_.write(
      "bin/cred-plugin",
      "#!/bin/sh\n"
      "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) exit 3;; esac\n"
      "echo \"$1\" >> \"" +
          (dir_.path() / "plugin-calls").string() +
          "\"\n"
          "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
          "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}' "
          "\"$GANTRY_TEST_TOKEN\"\n");
  fs::permissions(plugin, fs::perms::owner_all);
  std::string exec_user =
      "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
      plugin.string() +
      "\n      args: [called]\n      env:\n      - name: GANTRY_TEST_TOKEN\n        value: " +
      token + "\n";
  std::string with_exec = std::regex_replace(kc, std::regex("    token: \\S+\n"), exec_user);
  fs::path kc_exec = dir_.write("kc-exec", with_exec);
  fs::path p = project("auth", {{"app", {{"cm.yaml", config_map("authed", "1")}}}});
  ProcessResult r = gantry(
      {"deploy", "--project", p.string(), "-t", "dev", "--kubeconfig", kc_exec.string(), "--yes"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(read_file(dir_.path() / "plugin-calls"), "called\n");  // once, then cached
  EXPECT_EQ(sandbox_.kubectl({"get", "cm", "authed"}).exit_code, 0);

  // tokenFile, through a KUBECONFIG list whose first file lacks the context.
  dir_.write("token", token + "\n");
  fs::path kc_tf = dir_.write(
      "kc-tokenfile", std::regex_replace(kc, std::regex("token: \\S+"), "tokenFile: token"));
  fs::path other =
      dir_.write("kc-other", "apiVersion: v1\nkind: Config\ncurrent-context: gantry-sandbox\n");
  r = run_gantry({"diff", "--project", p.string(), "-t", "dev"}, dir_.path(),
                 {"KUBECONFIG=" + other.string() + ":" + (dir_.path() / "missing").string() + ":" +
                      kc_tf.string(),
                  "GANTRY_CACHE_DIR=" + (dir_.path() / "cache").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // A wrong token: the server's 401, never the token itself.
  fs::path kc_bad = dir_.write(
      "kc-bad", std::regex_replace(kc, std::regex("token: \\S+"), "token: wrong-secret-token"));
  r = gantry({"diff", "--project", p.string(), "-t", "dev", "--kubeconfig", kc_bad.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Unauthorized"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrong-secret-token"), std::string::npos) << r.err;
}

TEST_F(DeployTest, ExecPluginFailureIsReported) {
  std::string kc = read_file(sandbox_.kubeconfig());
  fs::path plugin =
      dir_.write("bin/bad-plugin", "#!/bin/sh\necho 'no credentials for you' >&2\nexit 4\n");
  fs::permissions(plugin, fs::perms::owner_all);
  fs::path kc_exec = dir_.write(
      "kc-exec",
      std::regex_replace(
          kc, std::regex("    token: \\S+\n"),
          "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: " +
              plugin.string() + "\n"));
  fs::path p = project("authfail", {{"app", {{"cm.yaml", config_map("x", "1")}}}});
  ProcessResult r =
      gantry({"diff", "--project", p.string(), "-t", "dev", "--kubeconfig", kc_exec.string()});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("exited with 4: no credentials for you"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gantry::testing
