// Test fixture for the GitOps controller: `gantry sandbox` as the cluster
// with the CRDs installed, a Git repository holding a small project served by
// `git daemon`, and the controller as its own process (`gantry controller`).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support/deploy_fixture.h"
#include "support/git_cli.h"
#include "support/git_servers.h"

namespace gantry::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline const char* kProjectFile = R"(targets:
  - name: dev
discriminator: app-{{ target.name }}
)";
inline const char* kDeploymentFile = R"(deployments:
  - path: base
commonLabels:
  app.kubernetes.io/part-of: app
)";
inline const char* kNamespace = R"(apiVersion: v1
kind: Namespace
metadata:
  name: app
)";
inline const char* kWeb = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: app
  labels: {tier: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.local/web:1
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: app
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
)";

inline std::string settings(const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: app\n"
         "  labels: {team: blue}\ndata:\n  value: \"" +
         value + "\"\n";
}

class ControllerTest : public DeployTest {
 protected:
  void SetUp() override {
    // The CRDs, as a user installs them.
    ProcessResult crds = gantry({"controller", "--crds", "--kluctl-crd"});
    ASSERT_EQ(crds.exit_code, 0) << crds.err;
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, crds.out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // A repository with the project, served by git daemon.
    repos_ = dir_.path() / "repos";
    work_ = dir_.path() / "work";
    fs::create_directories(repos_);
    git_init(work_);
    commit("project/.gantry.yaml", kProjectFile);
    commit("project/deployment.yaml", kDeploymentFile);
    commit("project/base/namespace.yaml", kNamespace);
    commit("project/base/web.yaml", kWeb);
    head_ = commit("project/base/settings.yaml", settings("1"));
    git(repos_, {"clone", "-q", "--bare", work_.string(), (repos_ / "app.git").string()});
    git(work_, {"remote", "add", "origin", (repos_ / "app.git").string()});
    daemon_ = std::make_unique<GitDaemon>(repos_, false);
  }

  void TearDown() override { controller_.reset(); }

  // A second deployment item "extra" with a ConfigMap and a pre-deploy hook
  // (a ConfigMap "pre-hook", ready as soon as it exists), committed, not pushed.
  void commit_extra_item_with_hook() {
    commit("project/deployment.yaml",
           "deployments:\n  - path: base\n  - path: extra\ncommonLabels:\n"
           "  app.kubernetes.io/part-of: app\n");
    commit("project/extra/extra.yaml",
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: app\n"
           "data:\n  a: \"1\"\n");
    commit("project/extra/hook.yaml",
           "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre-hook\n  namespace: app\n"
           "  annotations:\n    gantry.dev/hook: pre-deploy\n    gantry.dev/hook-weight: \"-1\"\n"
           "data:\n  ran: \"yes\"\n");
  }

  std::string commit(const std::string& file, const std::string& text) {
    return git_commit_file(work_, file, text, "change " + file);
  }
  std::string push() {
    git(work_, {"push", "-q", "origin", "main"});
    return git(work_, {"rev-parse", "HEAD"});
  }

  void start_controller(const std::vector<std::string>& extra = {}) {
    controller_ = spawn_controller("controller", extra);
  }
  // Another controller process against the sandbox, logging to <name>.log.
  std::unique_ptr<BackgroundProcess> spawn_controller(const std::string& name,
                                                      const std::vector<std::string>& extra) {
    std::vector<std::string> argv{GANTRY_BINARY,  "controller",
                                  "--kubeconfig", sandbox_.kubeconfig().string(),
                                  "--cache-dir",  (dir_.path() / (name + "-cache")).string(),
                                  "--log-format", "json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<BackgroundProcess>(argv, dir_.path() / (name + ".log"));
  }

  // `gantry dashboard` against the sandbox as its own process, its actions
  // enabled by `token`, logging to dashboard.log. `url` gets
  // "http://127.0.0.1:PORT" once it listens ("" when it did not within 15 s).
  std::unique_ptr<BackgroundProcess> spawn_dashboard(const std::string& token, std::string* url,
                                                     const std::vector<std::string>& extra = {}) {
    fs::path token_file = dir_.write("dashboard-token", token + "\n");
    std::vector<std::string> argv{GANTRY_BINARY,  "dashboard",
                                  "--kubeconfig", sandbox_.kubeconfig().string(),
                                  "--listen",     "127.0.0.1:0",
                                  "--token-file", token_file.string(),
                                  "--cache-dir",  (dir_.path() / "dashboard-cache").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<BackgroundProcess>(argv, dir_.path() / "dashboard.log");
    static const std::regex re("listening on http://127\\.0\\.0\\.1:([0-9]+)/");
    url->clear();
    within(15s, [&] {
      std::smatch m;
      std::string l = p->log();
      if (!std::regex_search(l, m, re)) return false;
      *url = "http://127.0.0.1:" + m[1].str();
      return true;
    });
    return p;
  }

  // A GantryDeployment named `name` in namespace default for the test repository.
  // `extra_spec` goes into spec (two spaces deep), `extra_git` into
  // spec.source.git (six spaces deep).
  void apply_deployment(const std::string& name, const std::string& extra_spec,
                        const std::string& url = "", const std::string& extra_git = "") {
    std::string y =
        "apiVersion: gantry.dev/v1alpha1\nkind: GantryDeployment\nmetadata:\n  name: " + name +
        "\n  namespace: default\nspec:\n  source:\n    git:\n      url: " +
        (url.empty() ? daemon_->url("app.git") : url) + "\n      path: project\n" + extra_git +
        "  target: dev\n  interval: 10m\n  retryInterval: 1s\n" + extra_spec;
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, y);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string ready(const std::string& name) const {
    return jsonpath({"gantrydeployment", name, "-n", "default"},
                    "{.status.conditions[?(@.type==\"Ready\")].status}");
  }
  std::string ready_message(const std::string& name) const {
    return jsonpath({"gantrydeployment", name, "-n", "default"},
                    "{.status.conditions[?(@.type==\"Ready\")].message}");
  }

  // Waits up to `limit` for `pred`; returns how long it took, or nullopt.
  static std::optional<std::chrono::milliseconds> within(std::chrono::milliseconds limit,
                                                         const std::function<bool()>& pred) {
    auto start = Clock::now();
    while (Clock::now() - start < limit) {
      if (pred())
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }
  std::string log() const { return controller_ ? controller_->log() : ""; }

  // Two controller processes "a" and "b" with leader election (`extra`
  // flags added); `a` leads, `b` waits. Fails the test otherwise.
  std::pair<std::unique_ptr<BackgroundProcess>, std::unique_ptr<BackgroundProcess>> leader_pair(
      const std::vector<std::string>& extra) {
    std::vector<std::string> ha{
        "--leader-elect", "--lease-duration", "4s", "--renew-deadline", "3s", "--retry-period",
        "500ms"};
    ha.insert(ha.end(), extra.begin(), extra.end());
    auto a = spawn_controller("a", ha);
    EXPECT_TRUE(within(15s, [&] {
      return a->log().find("\"msg\":\"leading\"") != std::string::npos;
    })) << a->log();
    auto b = spawn_controller("b", ha);
    EXPECT_TRUE(within(15s, [&] {
      return b->log().find("\"msg\":\"waiting to lead\"") != std::string::npos;
    })) << b->log();
    return {std::move(a), std::move(b)};
  }

  fs::path repos_, work_;
  std::string head_;
  std::unique_ptr<GitDaemon> daemon_;
  std::unique_ptr<BackgroundProcess> controller_;
};

}  // namespace gantry::testing
