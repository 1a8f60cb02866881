// The controller in production: two replicas with leader election (kill -9
// of the leader), /metrics read by the reference Prometheus parser, /healthz
// and /readyz, Git push webhooks (GitHub, GitLab, generic) and deploying to a
// second cluster named by a kubeconfig Secret. Real processes throughout:
// `gantry sandbox` clusters, `git daemon`, the controller binary, curl as
// the webhook sender, kubectl to look.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <map>
#include <regex>
#include <thread>

#include "core/base64.h"
#include "core/digest.h"
#include "core/file.h"
#include "core/process.h"
#include "support/controller_fixture.h"

namespace gantry::testing {
namespace {

using namespace std::chrono_literals;

struct HttpResult {
  int status = 0;
  std::string body;
};

class ControllerOpsTest : public ControllerTest {
 protected:
  // The port a controller logged in its "controller started" line.
  static int listen_port(const BackgroundProcess& p) {
    std::smatch m;
    std::string l = p.log();
    static const std::regex re("\"listen\":\"[^\"]*:([0-9]+)\"");
    return std::regex_search(l, m, re) ? std::stoi(m[1]) : 0;
  }
  static int wait_port(const BackgroundProcess& p) {
    int port = 0;
    within(15s, [&] { return (port = listen_port(p)) != 0; });
    return port;
  }

  HttpResult http(const std::string& method, const std::string& url,
                  const std::vector<std::string>& headers = {}, const std::string& body = "") {
    fs::path out = dir_.path() / "http-body";
    fs::path in = dir_.write("http-request", body);
    std::vector<std::string> argv{"curl", "-s",           "-o", out.string(),
                                  "-w",   "%{http_code}", "-X", method};
    for (const auto& h : headers) {
      argv.push_back("-H");
      argv.push_back(h);
    }
    if (method == "POST") {
      argv.push_back("--data-binary");
      argv.push_back("@" + in.string());
    }
    argv.push_back(url);
    ProcessOptions po;
    po.timeout = 20s;
    ProcessResult r = run_process(argv, po);
    HttpResult h;
    h.status = r.out.empty() ? 0 : std::stoi(r.out);
    h.body = fs::exists(out) ? read_file(out) : "";
    return h;
  }

  // Every sample of the exposition, parsed by prometheus_client's parser:
  // "name{k=v,...}" (labels sorted) -> value.
  std::map<std::string, double> scrape(int port) {
    HttpResult m = http("GET", "http://127.0.0.1:" + std::to_string(port) + "/metrics");
    EXPECT_EQ(m.status, 200);
    fs::path text = dir_.write("metrics.txt", m.body);
    const char* script = R"(import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        labels = ",".join("%s=%s" % (k, v) for k, v in sorted(s.labels.items()))
        print("%s{%s} %r" % (s.name, labels, s.value))
)";
    // Debian's python3-prometheus-client (a pyenv python3 earlier in PATH would lack it).
    ProcessResult r = run_process({"/usr/bin/python3", "-c", script, text.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err << m.body;
    std::map<std::string, double> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      size_t sp = line.rfind(' ');
      out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    }
    return out;
  }

  // A Secret in namespace default (kubectl apply: the sandbox has no protobuf bodies yet).
  void create_secret(const std::string& name, const std::map<std::string, std::string>& data) {
    std::string y = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name +
                    "\n  namespace: default\ndata:\n";
    for (const auto& [k, v] : data)
      y += "  " + k + ": " + base64_encode(v) + "\n";
    ProcessResult r = sandbox_.kubectl({"apply", "-f", "-"}, y);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string revision(const std::string& name) const {
    return jsonpath({"gantrydeployment", name, "-n", "default"}, "{.status.lastAppliedRevision}");
  }

  std::string github_push(const std::string& ref) const {
    return R"({"ref":")" + ref +
           R"(","before":"0","after":"1","repository":{"full_name":"org/app",)" +
           R"("clone_url":")" + daemon_->url("app.git") +
           R"(","ssh_url":"git@example.invalid:org/app.git","default_branch":"main"},"pusher":{"name":"dev"}})";
  }
};

TEST_F(ControllerOpsTest, OneOfTwoReplicasLeadsAndTheOtherTakesOverAfterKill9) {
  ASSERT_EQ(sandbox_
                .kubectl({"apply", "-f", "-"},
                         "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: gantry-system\n")
                .exit_code,
            0);
  // Short leases keep the test short; the rule is the same with client-go's 15s/10s/2s.
  auto [a, b] = leader_pair({"--listen", "127.0.0.1:0"});
  ASSERT_FALSE(HasFailure());
  int port_a = wait_port(*a), port_b = wait_port(*b);
  ASSERT_NE(port_a, 0) << a->log();
  ASSERT_NE(port_b, 0) << b->log();

  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << a->log() << b->log();
  // Exactly one reconciles.
  EXPECT_NE(a->log().find("\"msg\":\"reconciled\""), std::string::npos) << a->log();
  EXPECT_EQ(b->log().find("\"msg\":\"reconciled\""), std::string::npos) << b->log();
  EXPECT_EQ(b->log().find("\"msg\":\"leading\""), std::string::npos) << b->log();
  EXPECT_EQ(scrape(port_a)["gantry_leader{}"], 1) << a->log();
  EXPECT_EQ(scrape(port_b)["gantry_leader{}"], 0) << b->log();
  // A standby is ready (nothing to sync); both are alive.
  EXPECT_EQ(http("GET", "http://127.0.0.1:" + std::to_string(port_b) + "/readyz").status, 200);
  EXPECT_EQ(http("GET", "http://127.0.0.1:" + std::to_string(port_a) + "/healthz").status, 200);

  // kill -9 the leader: no release, the standby must wait the lease out.
  ASSERT_EQ(::kill(a->pid(), SIGKILL), 0);
  auto killed = Clock::now();
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "web", "-n", "app", "--replicas=5"}).exit_code, 0);
  auto repaired = within(20s, [&] {
    return jsonpath({"deploy", "web", "-n", "app"}, "{.spec.replicas}") == "1";
  });
  ASSERT_TRUE(repaired) << b->log();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed);
  std::cout << "standby took over and repaired the drift " << took.count()
            << " ms after kill -9 (lease duration 4000 ms)\n";
  EXPECT_LE(took, 6000ms) << "lease duration + 2 s\n" << b->log();
  EXPECT_NE(b->log().find("\"msg\":\"leading\""), std::string::npos) << b->log();
  // The new leader's first reconcile (it starts with no state) applies what drifted.
  EXPECT_NE(b->log().find("\"msg\":\"reconciled\""), std::string::npos) << b->log();
  EXPECT_EQ(scrape(port_b)["gantry_leader{}"], 1);
  EXPECT_EQ(
      jsonpath({"lease", "gantry-controller", "-n", "gantry-system"}, "{.spec.holderIdentity}")
          .find(std::to_string(a->pid())),
      std::string::npos);
}

TEST_F(ControllerOpsTest, WebhooksDeployPushesAndMetricsCount) {
  create_secret("hook", {{"token", "s3cret"}});
  start_controller({"--listen", "127.0.0.1:0", "--webhook-secret", "default/hook"});
  int port = wait_port(*controller_);
  ASSERT_NE(port, 0) << log();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << log();
  EXPECT_TRUE(within(10s, [&] { return http("GET", base + "/readyz").status == 200; }))
      << http("GET", base + "/readyz").body;
  EXPECT_EQ(http("GET", base + "/healthz").status, 200);

  auto before = scrape(port);
  std::string res = "kind=GantryDeployment,name=app,namespace=default";
  EXPECT_GE(before["gantry_reconciles_total{" + res + ",result=success}"], 1) << log();
  EXPECT_EQ(before["gantry_managed_objects{" + res + "}"], 4);
  EXPECT_GE(before["gantry_reconcile_duration_seconds_count{" + res + ",result=success}"], 1);
  EXPECT_GE(before["gantry_git_fetch_duration_seconds_count{operation=fetch}"], 1);
  EXPECT_GT(before["process_resident_memory_bytes{}"], 1e6);

  // A new commit; the interval is 10 minutes, so only a hook deploys it soon.
  commit("project/base/settings.yaml", settings("2"));
  std::string next = push();
  std::string body = github_push("refs/heads/main");
  std::string good_sig = "X-Hub-Signature-256: sha256=" + hmac_sha256_hex("s3cret", body);

  // A wrong signature: 401, and nothing happens.
  HttpResult bad = http("POST", base + "/hooks/git",
                        {"X-GitHub-Event: push", "Content-Type: application/json",
                         "X-Hub-Signature-256: sha256=" + hmac_sha256_hex("guess", body)},
                        body);
  EXPECT_EQ(bad.status, 401) << bad.body;
  EXPECT_EQ(http("POST", base + "/hooks/git", {"X-GitHub-Event: push"}, body).status, 401);
  // Over 1 MiB: 413.
  EXPECT_EQ(http("POST", base + "/hooks/git", {"X-GitHub-Event: push", good_sig},
                 std::string((1u << 20) + 1, ' '))
                .status,
            413);
  // A valid signature on an event that is not a push: 202, nothing to do.
  std::string issue = R"({"action":"opened"})";
  EXPECT_EQ(http("POST", base + "/hooks/git",
                 {"X-GitHub-Event: issues",
                  "X-Hub-Signature-256: sha256=" + hmac_sha256_hex("s3cret", issue)},
                 issue)
                .status,
            202);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(revision("app").find(next), std::string::npos) << "deployed without a valid hook";
  EXPECT_EQ(log().find("s3cret"), std::string::npos);

  // The signed push: the new commit is deployed within 2 s.
  auto sent = Clock::now();
  HttpResult ok = http("POST", base + "/hooks/git",
                       {"X-GitHub-Event: push", "Content-Type: application/json", good_sig}, body);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("GantryDeployment/default/app"), std::string::npos) << ok.body;
  auto deployed = within(10s, [&] { return revision("app").find(next) != std::string::npos; });
  ASSERT_TRUE(deployed) << log();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  std::cout << "GitHub push hook -> new commit deployed in " << took.count() << " ms\n";
  EXPECT_LE(took, 2000ms);
  EXPECT_EQ(jsonpath({"cm", "settings", "-n", "app"}, "{.data.value}"), "2");
  // The deploy history says the webhook asked, and which push.
  EXPECT_TRUE(within(5s, [&] {
    return jsonpath({"gantrydeployment", "app", "-n", "default"},
                    "{.status.history[0].trigger.reason}") == "webhook";
  })) << jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.history}");
  EXPECT_EQ(
      jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.history[0].trigger.by}"),
      "webhook: github push to refs/heads/main");

  // GitLab (token header) and the generic form (bearer token).
  commit("project/base/settings.yaml", settings("3"));
  next = push();
  std::string gl = R"({"object_kind":"push","ref":"refs/heads/main","project":{"git_http_url":")" +
                   daemon_->url("app.git") + R"(","default_branch":"main"}})";
  EXPECT_EQ(
      http("POST", base + "/hooks/git", {"X-Gitlab-Event: Push Hook", "X-Gitlab-Token: no"}, gl)
          .status,
      401);
  EXPECT_EQ(
      http("POST", base + "/hooks/git", {"X-Gitlab-Event: Push Hook", "X-Gitlab-Token: s3cret"}, gl)
          .status,
      200);
  EXPECT_TRUE(within(10s, [&] { return revision("app").find(next) != std::string::npos; }))
      << log();
  commit("project/base/settings.yaml", settings("4"));
  next = push();
  std::string generic = R"({"url":")" + daemon_->url("app.git") + R"(","ref":"refs/heads/main"})";
  EXPECT_EQ(http("POST", base + "/hooks/git", {"Authorization: Bearer nope"}, generic).status, 401);
  // Another repository: accepted, nothing to reconcile.
  EXPECT_EQ(http("POST", base + "/hooks/git", {"Authorization: Bearer s3cret"},
                 R"({"url":"https://example.invalid/other.git","ref":"refs/heads/main"})")
                .status,
            202);
  EXPECT_EQ(http("POST", base + "/hooks/git", {"Authorization: Bearer s3cret"}, generic).status,
            200);
  EXPECT_TRUE(within(10s, [&] { return revision("app").find(next) != std::string::npos; }))
      << log();

  // A drift repair moves its counter; reconciles moved with the hooks.
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "web", "-n", "app", "--replicas=3"}).exit_code, 0);
  ASSERT_TRUE(within(10s, [&] {
    return scrape(port)["gantry_drift_repairs_total{" + res + ",result=success}"] >= 1;
  })) << log();
  auto after = scrape(port);
  EXPECT_GE(after["gantry_reconciles_total{" + res + ",result=success}"],
            before["gantry_reconciles_total{" + res + ",result=success}"] + 3);
  double applied_at = 0;
  for (const auto& [k, v] : after)
    if (k.rfind("gantry_last_applied_timestamp_seconds{", 0) == 0 &&
        k.find(next) != std::string::npos)
      applied_at = v;
  EXPECT_GT(applied_at, 1.7e9) << "no last-applied sample for " << next;
}

TEST_F(ControllerOpsTest, DeploysToTheClusterOfAKubeconfigSecret) {
  Sandbox remote(Sandbox::Options{"300ms", {}, {}});
  // The remote cluster's kubeconfig, as `kubectl create secret --from-file`.
  create_secret("remote-kc", {{"value", read_file(remote.kubeconfig())}});
  start_controller();
  apply_deployment("remote", "  delete: true\n  kubeConfig:\n    secretRef: {name: remote-kc}\n");
  ASSERT_TRUE(within(30s, [&] { return ready("remote") == "True"; }))
      << ready_message("remote") << log();
  // The objects are on the remote cluster, not on the controller's own.
  EXPECT_EQ(remote.kubectl({"get", "cm", "settings", "-n", "app"}).exit_code, 0);
  EXPECT_NE(sandbox_.kubectl({"get", "cm", "settings", "-n", "app"}).exit_code, 0);
  // Drift there is watched and repaired.
  ASSERT_EQ(remote.kubectl({"scale", "deploy", "web", "-n", "app", "--replicas=4"}).exit_code, 0);
  auto jp = [&](const std::vector<std::string>& args) {
    std::vector<std::string> a = args;
    ProcessResult r = remote.kubectl(a);
    return r.out;
  };
  EXPECT_TRUE(within(10s, [&] {
    return jp({"get", "deploy", "web", "-n", "app", "-o", "jsonpath={.spec.replicas}"}) == "1";
  })) << log();
  // Deleting the resource deletes its objects there.
  ASSERT_EQ(
      sandbox_.kubectl({"delete", "gantrydeployment", "remote", "-n", "default", "--wait=false"})
          .exit_code,
      0);
  EXPECT_TRUE(within(20s, [&] {
    return remote.kubectl({"get", "cm", "settings", "-n", "app"}).exit_code != 0;
  })) << log();

  // A kubeconfig that points at this machine's files is refused.
  std::string evil =
      "apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n- name: x\n  cluster:\n"
      "    server: " +
      remote.url() +
      "\n    insecure-skip-tls-verify: true\ncontexts:\n- name: x\n  context: {cluster: x, user: "
      "x}\nusers:\n- name: x\n  user:\n    tokenFile: /var/run/secrets/kubernetes.io/"
      "serviceaccount/token\n";
  create_secret("evil-kc", {{"value", evil}});
  apply_deployment("evil", "  kubeConfig:\n    secretRef: {name: evil-kc}\n");
  EXPECT_TRUE(within(20s, [&] {
    return jsonpath({"gantrydeployment", "evil", "-n", "default"},
                    "{.status.conditions[?(@.type==\"Ready\")].reason}") == "KubeConfigInvalid";
  })) << log();
  EXPECT_NE(ready_message("evil").find("tokenFile"), std::string::npos) << ready_message("evil");
}

// spec.serviceAccountName: the sync runs as that ServiceAccount (the
// sandbox enforces RBAC for it), so a deployment can do only what its
// account may.
TEST_F(ControllerOpsTest, ServiceAccountNameLimitsWhatADeploymentMayDo) {
  const char* rbac = R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: deployer}
rules:
- {apiGroups: [""], resources: [namespaces], verbs: [get, list, watch, create, update, patch]}
- {apiGroups: ["", apps], resources: [deployments, services, configmaps], verbs: [get, list, watch]}
- {apiGroups: [apps], resources: [deployments], verbs: [create, update, patch, delete]}
- {apiGroups: [""], resources: [services], verbs: [create, update, patch, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: deployer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: deployer}
subjects: [{kind: ServiceAccount, name: deployer, namespace: default}]
)";
  ASSERT_EQ(sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, rbac).exit_code, 0);
  start_controller();
  apply_deployment("limited", "  serviceAccountName: deployer\n");
  // It may create the Deployment and Service but not the ConfigMap.
  ASSERT_TRUE(within(30s, [&] { return ready("limited") == "False"; })) << log();
  std::string msg = ready_message("limited");
  EXPECT_NE(msg.find("configmaps \"settings\" is forbidden: User "
                     "\"system:serviceaccount:default:deployer\""),
            std::string::npos)
      << msg;
  EXPECT_EQ(sandbox_.kubectl({"get", "cm", "settings", "-n", "app"}).exit_code == 0, false);
  EXPECT_EQ(jsonpath({"deploy", "web", "-n", "app"}, "{.metadata.managedFields[0].manager}"),
            "gantry-controller");
  // Granting ConfigMaps: the next attempt succeeds.
  ASSERT_EQ(sandbox_
                .kubectl({"apply", "--server-side", "-f", "-"},
                         "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: "
                         "{name: deployer-cm, labels: {}}\nrules:\n- {apiGroups: [\"\"], "
                         "resources: [configmaps], verbs: [create, update, patch, delete]}\n---\n"
                         "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
                         "metadata: {name: deployer-cm}\nroleRef: {apiGroup: "
                         "rbac.authorization.k8s.io, kind: ClusterRole, name: deployer-cm}\n"
                         "subjects: [{kind: ServiceAccount, name: deployer, namespace: default}]\n")
                .exit_code,
            0);
  EXPECT_TRUE(within(30s, [&] { return ready("limited") == "True"; }))
      << ready_message("limited") << log();
  EXPECT_EQ(jsonpath({"cm", "settings", "-n", "app"}, "{.data.value}"), "1");
}

}  // namespace
}  // namespace gantry::testing
