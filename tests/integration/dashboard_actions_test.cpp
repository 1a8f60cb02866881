// The dashboard's actions over HTTP against a real cluster: `gantry sandbox`,
// `git daemon`, the controller for the first deploy and `gantry dashboard` as
// their own processes, curl as the client. "Dry run" plans a commit pushed to
// Git without changing anything; "prune" deletes the objects the newest
// commit no longer has (as `gantry prune`) and nothing else; both are refused
// without the token, without the CSRF header and from another origin. With
// --token-review, users' own Kubernetes tokens act as far as their RBAC goes.
#include <gtest/gtest.h>

#include <regex>

#include "core/process.h"
#include "support/controller_fixture.h"

namespace gantry::testing {
namespace {

using namespace std::chrono_literals;

const char* kToken = "integration-dashboard-token-42";

const char* kOld = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: old
  namespace: app
data:
  value: "x"
)";

class DashboardActionsTest : public ControllerTest {
 protected:
  void TearDown() override {
    dashboard_.reset();
    ControllerTest::TearDown();
  }

  void start_dashboard(const std::vector<std::string>& extra = {}) {
    dashboard_ = spawn_dashboard(kToken, &url_, extra);
    ASSERT_FALSE(url_.empty()) << dashboard_->log();
    // The watch has delivered the deployment.
    ASSERT_TRUE(within(15s, [&] {
      return curl({url_ + "/api/deployments"}).find("\"name\":\"app\"") != std::string::npos;
    })) << dashboard_->log();
  }

  // The status line, headers and body of one request.
  std::string curl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"curl", "-s", "-i", "--max-time", "60"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv).out;
  }
  // POST /api/actions/VERB on the deployment "app" with these headers.
  std::string action(const std::string& verb, const std::vector<std::string>& headers) {
    std::vector<std::string> args{"-X", "POST", "--data", ""};
    for (const auto& h : headers) {
      args.push_back("-H");
      args.push_back(h);
    }
    args.push_back(url_ + "/api/actions/" + verb +
                   "?kind=GantryDeployment&namespace=default&name=app");
    return curl(args);
  }
  static std::vector<std::string> allowed() {
    return {std::string("Authorization: Bearer ") + kToken, "X-Gantry-CSRF: 1"};
  }
  void expect_refused(const std::string& verb) {
    std::string r = action(verb, {"X-Gantry-CSRF: 1"});
    EXPECT_NE(r.find("HTTP/1.1 401"), std::string::npos) << r;
    r = action(verb, {"Authorization: Bearer wrong-token-0123456789", "X-Gantry-CSRF: 1"});
    EXPECT_NE(r.find("HTTP/1.1 401"), std::string::npos) << r;
    r = action(verb, {std::string("Authorization: Bearer ") + kToken});
    EXPECT_NE(r.find("HTTP/1.1 403"), std::string::npos) << r;
    std::vector<std::string> cross = allowed();
    cross.push_back("Origin: http://evil.example");
    r = action(verb, cross);
    EXPECT_NE(r.find("HTTP/1.1 403"), std::string::npos) << r;
  }
  bool exists(const std::string& what, const std::string& name) const {
    return sandbox_.kubectl({"get", what, name, "-n", "app"}).exit_code == 0;
  }

  std::unique_ptr<BackgroundProcess> dashboard_;
  std::string url_;
};

TEST_F(DashboardActionsTest, DryRunChangesNothingAndPruneDeletesWhatGitNoLongerHas) {
  commit("project/base/old.yaml", kOld);
  push();
  start_controller();
  apply_deployment("app", "");  // spec.prune false: the controller leaves orphans alone
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  ASSERT_TRUE(exists("configmap", "old"));
  controller_.reset();  // from here on only the dashboard acts
  start_dashboard();
  ASSERT_FALSE(HasFatalFailure());

  // A commit that changes a value and drops a ConfigMap.
  git(work_, {"rm", "-q", "project/base/old.yaml"});
  commit("project/base/settings.yaml", settings("2"));
  std::string pending = push();

  expect_refused("dry-run");
  expect_refused("prune");
  EXPECT_TRUE(exists("configmap", "old"));

  std::string dry = action("dry-run", allowed());
  EXPECT_NE(dry.find("HTTP/1.1 200"), std::string::npos) << dry << dashboard_->log();
  EXPECT_NE(dry.find(pending), std::string::npos) << dry;
  EXPECT_NE(
      dry.find(R"({"kind":"ConfigMap","namespace":"app","name":"settings","change":"update")"),
      std::string::npos)
      << dry;
  EXPECT_NE(dry.find(R"("pending":true)"), std::string::npos) << dry;
  EXPECT_EQ(
      sandbox_.kubectl({"get", "cm", "settings", "-n", "app", "-o", "jsonpath={.data.value}"}).out,
      "1");
  EXPECT_TRUE(exists("configmap", "old"));

  std::string pruned = action("prune", allowed());
  EXPECT_NE(pruned.find("HTTP/1.1 200"), std::string::npos) << pruned << dashboard_->log();
  EXPECT_NE(pruned.find(R"("deleted":["ConfigMap app/old"])"), std::string::npos) << pruned;
  EXPECT_NE(pruned.find(pending), std::string::npos) << pruned;
  EXPECT_TRUE(within(20s, [&] { return !exists("configmap", "old"); }));
  // Only the orphan went; nothing was applied.
  EXPECT_TRUE(exists("deployment", "web"));
  EXPECT_TRUE(exists("service", "web"));
  EXPECT_EQ(
      sandbox_.kubectl({"get", "cm", "settings", "-n", "app", "-o", "jsonpath={.data.value}"}).out,
      "1");
  // Pruning again finds nothing more.
  std::string again = action("prune", allowed());
  EXPECT_NE(again.find(R"("deleted":[])"), std::string::npos) << again;
}

TEST_F(DashboardActionsTest, PruneRefusesAnEmptyRender) {
  start_controller();
  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  controller_.reset();
  start_dashboard();
  ASSERT_FALSE(HasFatalFailure());
  // Every manifest gone from Git: pruning would delete everything.
  git(work_, {"rm", "-q", "-r", "project/base"});
  commit("project/base/README.md", "emptied\n");
  push();
  std::string r = action("prune", allowed());
  EXPECT_NE(r.find("HTTP/1.1 409"), std::string::npos) << r;
  EXPECT_NE(r.find("empty"), std::string::npos) << r;
  EXPECT_TRUE(exists("deployment", "web"));
  EXPECT_TRUE(exists("configmap", "settings"));
}

// `gantry controller --dashboard`: the same pages and actions from the
// controller's process, with its credentials.
TEST_F(DashboardActionsTest, TheControllerServesTheDashboard) {
  fs::path token = dir_.write("controller-dashboard-token", std::string(kToken) + "\n");
  start_controller({"--dashboard", "--dashboard-listen", "127.0.0.1:0", "--dashboard-token-file",
                    token.string()});
  static const std::regex re(R"re("url":"(http://127\.0\.0\.1:[0-9]+)/")re");
  ASSERT_TRUE(within(15s, [&] {
    std::smatch m;
    std::string l = log();
    if (!std::regex_search(l, m, re)) return false;
    url_ = m[1].str();
    return true;
  })) << log();
  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  EXPECT_NE(curl({url_ + "/api/session"}).find(R"("actions":true)"), std::string::npos);
  EXPECT_TRUE(within(10s, [&] {
    return curl({url_ + "/api/deployments"}).find(R"("ready":"True")") != std::string::npos;
  })) << curl({url_ + "/api/deployments"});
  std::string page = curl({url_ + "/"});
  EXPECT_NE(page.find("HTTP/1.1 200"), std::string::npos) << page;
  EXPECT_NE(page.find("Content-Security-Policy: default-src 'none'"), std::string::npos) << page;
  expect_refused("reconcile");
  std::string accepted = action("reconcile", allowed());
  EXPECT_NE(accepted.find("HTTP/1.1 202"), std::string::npos) << accepted;
  std::smatch m;
  static const std::regex requested("\"requested\":\"([^\"]+)\"");
  ASSERT_TRUE(std::regex_search(accepted, m, requested)) << accepted;
  std::string handled = m[1];
  EXPECT_TRUE(within(20s, [&] {
    return jsonpath({"gantrydeployment", "app", "-n", "default"},
                    "{.status.lastHandledReconcileAt}") == handled;
  })) << log();
}

// --token-review: a ServiceAccount's token (TokenRequest, as `kubectl create
// token` makes) acts when the account's RBAC allows the action's requests
// (SubjectAccessReview), is refused with 403 and the reason otherwise; a
// token the API server does not accept is 401. No token shows in answers or
// in the dashboard's log.
TEST_F(DashboardActionsTest, KubernetesTokensActAsFarAsTheirRbacAllows) {
  commit("project/base/old.yaml", kOld);
  push();
  start_controller();
  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  controller_.reset();
  // "operator" may patch GantryDeployments in default and delete ConfigMaps
  // in app; "viewer" may only read GantryDeployments.
  ProcessResult rbac = sandbox_.kubectl({"apply", "-f", "-"}, R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: operator, namespace: default}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: gd-operate, namespace: default}
rules:
- {apiGroups: [gantry.dev], resources: [gantrydeployments], verbs: [get, list, watch, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: operator, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: gd-operate}
subjects: [{kind: ServiceAccount, name: operator, namespace: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: prune-configmaps, namespace: app}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: operator, namespace: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: prune-configmaps}
subjects: [{kind: ServiceAccount, name: operator, namespace: default}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: gd-view}
rules:
- {apiGroups: [gantry.dev], resources: [gantrydeployments], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: gd-view}
subjects: [{kind: ServiceAccount, name: viewer, namespace: default}]
)");
  ASSERT_EQ(rbac.exit_code, 0) << rbac.err;
  auto token_of = [&](const std::vector<std::string>& args) {
    std::vector<std::string> a{"create", "token"};
    a.insert(a.end(), args.begin(), args.end());
    ProcessResult r = sandbox_.kubectl(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string t = r.out;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r'))
      t.pop_back();
    return t;
  };
  std::string op = token_of({"operator", "-n", "default"});
  std::string viewer = token_of({"viewer", "-n", "default"});
  std::string vault = token_of({"operator", "-n", "default", "--audience", "vault"});
  ASSERT_FALSE(op.empty() || viewer.empty() || vault.empty());

  start_dashboard({"--token-review"});
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_NE(curl({url_ + "/api/session"}).find(R"("tokenReview":true)"), std::string::npos);
  auto as = [&](const std::string& token, const std::string& verb) {
    return action(verb, {"Authorization: Bearer " + token, "X-Gantry-CSRF: 1"});
  };
  std::vector<std::string> answers;

  // Allowed: a patch of the resource.
  std::string r = as(op, "reconcile");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 202"), std::string::npos) << r << dashboard_->log();
  std::smatch m;
  static const std::regex requested("\"requested\":\"([^\"]+)\"");
  ASSERT_TRUE(std::regex_search(r, m, requested)) << r;
  EXPECT_NE(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.metadata.annotations}")
                .find(m[1].str()),
            std::string::npos);
  r = as(op, "suspend");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_EQ(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.spec.suspend}"), "true");

  // Refused: the viewer may not patch; nothing changes.
  r = as(viewer, "resume");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 403"), std::string::npos) << r;
  EXPECT_NE(
      r.find(
          R"(gantrydeployments.gantry.dev \"app\" is forbidden: User \"system:serviceaccount:default:viewer\" cannot patch resource \"gantrydeployments\" in API group \"gantry.dev\" in the namespace \"default\")"),
      std::string::npos)
      << r;
  EXPECT_EQ(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.spec.suspend}"), "true");
  r = as(op, "resume");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  EXPECT_EQ(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.spec.suspend}"), "false");

  // A dry run reads the resource: the viewer may.
  r = as(viewer, "dry-run");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;

  // Prune: each orphan's delete is reviewed first. Git drops "old".
  git(work_, {"rm", "-q", "project/base/old.yaml"});
  commit("project/base/note.txt", "old is gone\n");
  push();
  r = as(viewer, "prune");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 403"), std::string::npos) << r;
  EXPECT_NE(
      r.find(
          R"(configmaps \"old\" is forbidden: User \"system:serviceaccount:default:viewer\" cannot delete resource \"configmaps\" in API group \"\" in the namespace \"app\")"),
      std::string::npos)
      << r;
  EXPECT_TRUE(exists("configmap", "old"));
  r = as(op, "prune");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r << dashboard_->log();
  EXPECT_NE(r.find(R"("deleted":["ConfigMap app/old"])"), std::string::npos) << r;
  EXPECT_TRUE(within(20s, [&] { return !exists("configmap", "old"); }));

  // Not authenticated: an unknown token, one for another audience, one of a
  // deleted account.
  std::string bogus = "sbx-sa.this-token-was-never-issued-0123456789";
  r = as(bogus, "reconcile");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 401"), std::string::npos) << r;
  r = as(vault, "reconcile");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 401"), std::string::npos) << r;
  EXPECT_NE(r.find("is invalid for the target audiences"), std::string::npos) << r;
  ASSERT_EQ(sandbox_.kubectl({"delete", "serviceaccount", "viewer", "-n", "default"}).exit_code, 0);
  r = as(viewer, "dry-run");
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 401"), std::string::npos) << r;
  // The --token-file token still does everything.
  r = action("suspend", allowed());
  answers.push_back(r);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;

  std::string log = dashboard_->log();
  for (const std::string& t : {op, viewer, vault, bogus}) {
    EXPECT_EQ(log.find(t), std::string::npos);
    for (const auto& a : answers)
      EXPECT_EQ(a.find(t), std::string::npos) << a;
  }
}

}  // namespace
}  // namespace gantry::testing
