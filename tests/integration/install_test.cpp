// gantry install and uninstall against `gantry sandbox`, checked with the real
// kubectl; and the installed RBAC checked against every request the
// controller makes while it deploys the shop example and the course project
// (recorded with `gantry sandbox --audit-log`).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "core/file.h"
#include "core/process.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "gitops/install.h"
#include "rbac/rules.h"
#include "support/deploy_fixture.h"
#include "support/git_cli.h"
#include "support/git_servers.h"

namespace gantry::testing {
namespace {

using namespace std::chrono_literals;
using doc::Value;

bool within(std::chrono::milliseconds limit, const std::function<bool()>& pred) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

const Value* find_object(const std::vector<Value>& objects, const std::string& kind,
                         const std::string& name, const std::string& ns = "") {
  for (const auto& o : objects)
    if (o.get_string("kind") == kind && o.find("metadata")->get_string("name") == name &&
        o.find("metadata")->get_string("namespace") == ns)
      return &o;
  return nullptr;
}

std::vector<std::string> command_of(const Value& deployment) {
  std::vector<std::string> out;
  const Value* c = deployment.find_path({"spec", "template", "spec", "containers"});
  for (const auto& x : c->as_list()[0].find("command")->as_list())
    out.push_back(x.as_string());
  return out;
}

class InstallTest : public DeployTest {
 protected:
  using DeployTest::DeployTest;
  std::vector<Value> install(std::vector<std::string> args) {
    args.insert(args.begin(), "install");
    ProcessResult r = gantry(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return doc::parse_yaml_stream(r.out, "<install>");
  }
  bool exists(const std::vector<std::string>& what) const {
    std::vector<std::string> a{"get"};
    a.insert(a.end(), what.begin(), what.end());
    return sandbox_.kubectl(a).exit_code == 0;
  }
};

TEST_F(InstallTest, PrintedObjectsPassAServerSideDryRunAndApply) {
  ProcessResult printed = gantry({"install", "-o", "yaml"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  // A server-side dry run cannot create a namespace for the objects after it
  // (kube-apiserver answers NotFound as the sandbox does), so the Namespace
  // exists first; everything else, itself included, is only dry-run.
  ASSERT_EQ(sandbox_
                .kubectl({"create", "-f", "-"},
                         "apiVersion: v1\nkind: Namespace\nmetadata: {name: gantry-system}\n")
                .exit_code,
            0);
  ProcessResult dry =
      sandbox_.kubectl({"apply", "--server-side", "--dry-run=server", "-f", "-"}, printed.out);
  EXPECT_EQ(dry.exit_code, 0) << dry.err << dry.out;
  EXPECT_NE(dry.out.find("deployment.apps/gantry-controller serverside-applied (server dry run)"),
            std::string::npos)
      << dry.out;

  std::vector<Value> objects = doc::parse_yaml_stream(printed.out, "<install>");
  std::set<std::string> kinds;
  for (const auto& o : objects)
    kinds.insert(o.get_string("kind"));
  EXPECT_EQ(kinds,
            (std::set<std::string>{"Namespace", "CustomResourceDefinition", "ServiceAccount",
                                   "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                                   "Deployment", "Service", "PodDisruptionBudget"}));
  const Value* d = find_object(objects, "Deployment", "gantry-controller", "gantry-system");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->find_path({"spec", "replicas"})->as_int(), 2);
  const Value& pod = *d->find_path({"spec", "template", "spec"});
  const Value& c = pod.find("containers")->as_list()[0];
  EXPECT_EQ(c.get_string("image").rfind("ghcr.io/gantry-dev/gantry:", 0), 0u);
  EXPECT_EQ(command_of(*d), (std::vector<std::string>{
                                "gantry", "controller", "--leader-elect",
                                "--leader-election-namespace", "gantry-system", "--listen", ":8080",
                                "--log-format", "json", "--cache-dir", "/var/cache/gantry"}));
  const Value& sc = *c.find("securityContext");
  EXPECT_TRUE(sc.find("readOnlyRootFilesystem")->as_bool());
  EXPECT_FALSE(sc.find("allowPrivilegeEscalation")->as_bool());
  EXPECT_TRUE(sc.find("runAsNonRoot")->as_bool());
  EXPECT_GT(sc.find("runAsUser")->as_int(), 0);
  EXPECT_EQ(sc.find_path({"seccompProfile"})->get_string("type"), "RuntimeDefault");
  EXPECT_EQ(sc.find_path({"capabilities", "drop"})->as_list()[0].as_string(), "ALL");
  EXPECT_EQ(c.find_path({"livenessProbe", "httpGet"})->get_string("path"), "/healthz");
  EXPECT_EQ(c.find_path({"readinessProbe", "httpGet"})->get_string("path"), "/readyz");
  EXPECT_EQ(c.find_path({"readinessProbe", "httpGet"})->get_string("port"), "http");
  EXPECT_TRUE(c.find_path({"resources", "limits", "memory"}));
  EXPECT_TRUE(c.find_path({"resources", "requests", "cpu"}));
  EXPECT_TRUE(pod.find_path({"affinity", "podAntiAffinity"}));
  std::map<std::string, std::string> env;
  for (const auto& e : c.find("env")->as_list())
    env[e.get_string("name")] = e.get_string("value");
  EXPECT_EQ(env["GANTRY_CACHE_DIR"], "/var/cache/gantry");
  EXPECT_EQ(env["HOME"], "/var/cache/gantry");
  EXPECT_EQ(c.find("volumeMounts")->as_list()[0].get_string("mountPath"), "/var/cache/gantry");
  EXPECT_TRUE(pod.find("volumes")->as_list()[0].find("emptyDir"));
  const Value* pdb =
      find_object(objects, "PodDisruptionBudget", "gantry-controller", "gantry-system");
  ASSERT_TRUE(pdb);
  EXPECT_EQ(pdb->find_path({"spec", "minAvailable"})->as_int(), 1);
  EXPECT_FALSE(find_object(install({"--replicas", "1"}), "PodDisruptionBudget", "gantry-controller",
                           "gantry-system"));

  // Applied for real by kubectl, then again by gantry install --apply: no conflicts.
  ProcessResult applied = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, printed.out);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_TRUE(within(10s, [&] {
    return jsonpath({"deploy", "gantry-controller", "-n", "gantry-system"},
                    "{.status.readyReplicas}") == "2";
  }));
  ProcessResult again =
      gantry({"install", "--apply", "--kubeconfig", sandbox_.kubeconfig().string()});
  EXPECT_EQ(again.exit_code, 0) << again.err << again.out;
}

// --dashboard: the controller serves it on port 8081 with token review, and
// its account may create TokenReviews and SubjectAccessReviews (asked of the
// sandbox with the account's own token), even when it watches namespaces.
TEST_F(InstallTest, TheDashboardServesOnItsPortAndMayReviewTokens) {
  ProcessResult printed =
      gantry({"install", "--dashboard", "--watch-namespace", "a", "--replicas", "1"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  std::vector<Value> objects = doc::parse_yaml_stream(printed.out, "<install>");
  const Value* role = find_object(objects, "ClusterRole", "gantry-dashboard", "");
  ASSERT_TRUE(role);
  EXPECT_EQ(doc::to_json(*role->find("rules")), doc::to_json(gitops::dashboard_rules()));
  EXPECT_TRUE(find_object(objects, "ClusterRoleBinding", "gantry-dashboard", ""));
  const Value* d = find_object(objects, "Deployment", "gantry-controller", "gantry-system");
  ASSERT_TRUE(d);
  std::vector<std::string> cmd = command_of(*d);
  std::vector<std::string> tail(cmd.end() - 4, cmd.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"--dashboard", "--dashboard-listen", ":8081",
                                            "--dashboard-token-review"}));
  EXPECT_NE(doc::to_json(*d).find(R"({"name":"dashboard","containerPort":8081,"protocol":"TCP"})"),
            std::string::npos);
  const Value* svc = find_object(objects, "Service", "gantry-controller", "gantry-system");
  ASSERT_TRUE(svc);
  EXPECT_NE(doc::to_json(*svc).find(R"("name":"dashboard","port":8081)"), std::string::npos);

  // Applied, the account may review; another account may not.
  ASSERT_EQ(
      sandbox_
          .kubectl({"create", "-f", "-"}, "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
          .exit_code,
      0);
  ProcessResult applied = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, printed.out);
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  ProcessResult token =
      sandbox_.kubectl({"create", "token", "gantry-controller", "-n", "gantry-system"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  std::string t = token.out.substr(0, token.out.find('\n'));
  ProcessResult reviewed = sandbox_.kubectl(
      {"--token", t, "create", "-o", "jsonpath={.status.user.username}", "-f", "-"},
      "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec: {token: " + t + "}\n");
  EXPECT_EQ(reviewed.out, "system:serviceaccount:gantry-system:gantry-controller") << reviewed.err;
  ProcessResult sar = sandbox_.kubectl(
      {"--token", t, "create", "-o", "jsonpath={.status.allowed}", "-f", "-"},
      "apiVersion: authorization.k8s.io/v1\nkind: SubjectAccessReview\nspec:\n  user: alice\n"
      "  resourceAttributes: {verb: patch, group: gantry.dev, resource: gantrydeployments, "
      "namespace: a}\n");
  EXPECT_EQ(sar.exit_code, 0) << sar.err;
  EXPECT_EQ(sar.out, "false");
  ASSERT_EQ(sandbox_.kubectl({"create", "sa", "other", "-n", "a"}).exit_code, 0);
  token = sandbox_.kubectl({"create", "token", "other", "-n", "a"});
  std::string other = token.out.substr(0, token.out.find('\n'));
  EXPECT_NE(sandbox_
                .kubectl({"--token", other, "create", "-f", "-"},
                         "apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec: "
                         "{token: " +
                             t + "}\n")
                .exit_code,
            0);
}

TEST_F(InstallTest, WatchedNamespacesGetRolesNotClusterRoles) {
  std::vector<Value> objects = install({"--watch-namespace", "a", "--watch-namespace", "b",
                                        "--webhook-secret", "gantry-system/hooks"});
  for (const auto& o : objects) {
    EXPECT_NE(o.get_string("kind"), "ClusterRole") << doc::to_yaml(o);
    EXPECT_NE(o.get_string("kind"), "ClusterRoleBinding") << doc::to_yaml(o);
  }
  for (const char* ns : {"a", "b"}) {
    EXPECT_TRUE(find_object(objects, "Role", "gantry-controller", ns)) << ns;
    EXPECT_TRUE(find_object(objects, "RoleBinding", "gantry-controller", ns)) << ns;
    EXPECT_TRUE(find_object(objects, "Role", "gantry-deployer", ns)) << ns;
  }
  EXPECT_TRUE(find_object(objects, "Role", "gantry-leader-election", "gantry-system"));
  const Value* d = find_object(objects, "Deployment", "gantry-controller", "gantry-system");
  ASSERT_TRUE(d);
  std::vector<std::string> cmd = command_of(*d);
  std::vector<std::string> tail(cmd.end() - 6, cmd.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"--watch-namespace", "a", "--watch-namespace", "b",
                                            "--webhook-secret", "gantry-system/hooks"}));
  // The controller may read and write its resources in a and b only.
  rbac::Subject sa = rbac::service_account("gantry-system", "gantry-controller");
  rbac::Request r;
  r.verb = "list";
  r.api_group = "gantry.dev";
  r.resource = "gantrydeployments";
  r.ns = "a";
  EXPECT_TRUE(rbac::authorized(objects, sa, r));
  r.ns = "c";
  EXPECT_FALSE(rbac::authorized(objects, sa, r));
  r.ns = "";
  EXPECT_FALSE(rbac::authorized(objects, sa, r));

  // Cluster-admin for deploys is a binding, not rules.
  std::vector<Value> admin = install({"--deploy-cluster-admin"});
  const Value* b = find_object(admin, "ClusterRoleBinding", "gantry-deployer");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->find("roleRef")->get_string("name"), "cluster-admin");
  EXPECT_FALSE(find_object(admin, "ClusterRole", "gantry-deployer"));

  ProcessResult bad = gantry({"install", "--webhook-secret", "no-slash"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// A controller run by the test (as the Deployment would run it) against a
// sandbox that records every request; the shop example and the course project
// deployed from git daemon.
class InstalledControllerTest : public InstallTest {
 protected:
  using InstallTest::InstallTest;
  void SetUp() override {
    repos_ = dir_.path() / "repos";
    work_ = dir_.path() / "work";
    fs::create_directories(repos_);
    git_init(work_);
    fs::copy(source_dir() / "examples" / "shop", work_ / "shop", fs::copy_options::recursive);
    // The course repository's layout (its Helm charts are left out, as its items are).
    fs::path course = work_ / "12-deploying-to-multiple-environments" / "kluctl";
    fs::create_directories(course);
    for (const auto& e : fs::directory_iterator(course_dir() / "kluctl"))
      if (e.path().filename() != ".helm-charts")
        fs::copy(e.path(), course / e.path().filename(), fs::copy_options::recursive);
    git(work_, {"add", "-A"});
    git(work_, {"commit", "-q", "-m", "shop"});
    git(repos_, {"clone", "-q", "--bare", work_.string(), (repos_ / "app.git").string()});
    daemon_ = std::make_unique<GitDaemon>(repos_, false);
  }
  void TearDown() override { controller_.reset(); }

  // Installs with kubectl what `gantry install` prints, as an operator would.
  std::vector<Value> install_with_kubectl(const std::vector<std::string>& args) {
    std::vector<Value> objects = install(args);
    ProcessResult r =
        sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, doc::to_yaml_stream(objects));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return objects;
  }
  void start_controller() {
    controller_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{
            GANTRY_BINARY, "controller", "--kubeconfig", sandbox_.kubeconfig().string(),
            "--cache-dir", (dir_.path() / "controller-cache").string(), "--log-format", "json"},
        dir_.path() / "controller.log");
  }
  std::string log() const { return controller_ ? controller_->log() : ""; }
  void deploy_shop(const std::string& extra_spec) {
    std::string y =
        "apiVersion: gantry.dev/v1alpha1\nkind: GantryDeployment\nmetadata:\n"
        "  name: shop\n  namespace: default\nspec:\n  source:\n    git:\n      url: " +
        daemon_->url("app.git") +
        "\n      path: shop\n  target: staging\n  interval: 10m\n"
        "  retryInterval: 1s\n" +
        extra_spec;
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, y);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  std::string shop_ready() const {
    return jsonpath({"gantrydeployment", "shop", "-n", "default"},
                    "{.status.conditions[?(@.type==\"Ready\")].status}");
  }
  std::string first_shop_deployment() const {
    return jsonpath({"deploy", "-n", "shop-staging"}, "{.items[0].metadata.name}");
  }

  fs::path repos_, work_;
  std::unique_ptr<GitDaemon> daemon_;
  std::unique_ptr<BackgroundProcess> controller_;
};

TEST_F(InstalledControllerTest, UninstallKeepsWorkloadsAndLeavesNoFinalizerBehind) {
  install_with_kubectl({});
  start_controller();
  deploy_shop("  delete: true\n");
  ASSERT_TRUE(within(60s, [&] { return shop_ready() == "True"; })) << log();
  ASSERT_EQ(jsonpath({"gantrydeployment", "shop", "-n", "default"}, "{.metadata.finalizers[0]}"),
            "gantry.dev/delete-target");
  std::string workload = first_shop_deployment();
  ASSERT_FALSE(workload.empty());
  controller_.reset();  // what deleting the controller's Deployment does in a cluster

  // No terminal: refused without --yes.
  ProcessResult refused = gantry({"uninstall", "--kubeconfig", sandbox_.kubeconfig().string()});
  EXPECT_EQ(refused.exit_code, 7) << refused.err;
  ProcessResult r = gantry(
      {"uninstall", "--yes", "--kubeconfig", sandbox_.kubeconfig().string(), "--timeout", "30s"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_FALSE(exists({"deploy", "gantry-controller", "-n", "gantry-system"}));
  EXPECT_FALSE(exists({"clusterrole", "gantry-controller"}));
  // Gone, or still terminating (asked once: the namespace may vanish between two reads).
  std::string phase = jsonpath({"ns", "gantry-system"}, "{.status.phase}");
  EXPECT_TRUE(phase == "Terminating" || phase.find("NotFound") != std::string::npos) << phase;
  EXPECT_TRUE(exists({"crd", "gantrydeployments.gantry.dev"}));  // only with --crds
  EXPECT_EQ(jsonpath({"gantrydeployment", "shop", "-n", "default"}, "{.metadata.finalizers}")
                .find("gantry.dev/delete-target"),
            std::string::npos);
  EXPECT_TRUE(exists({"deploy", workload, "-n", "shop-staging"}));

  // --crds takes the resources with them, without hanging on a finalizer.
  r = gantry({"uninstall", "--yes", "--crds", "--kubeconfig", sandbox_.kubeconfig().string(),
              "--timeout", "30s"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(within(20s, [&] { return !exists({"crd", "gantrydeployments.gantry.dev"}); }));
  EXPECT_TRUE(exists({"deploy", workload, "-n", "shop-staging"}));
}

TEST_F(InstalledControllerTest, UninstallWithDeleteWorkloadsRemovesThem) {
  install_with_kubectl({});
  start_controller();
  deploy_shop("");  // no spec.delete: uninstall asks for it
  ASSERT_TRUE(within(60s, [&] { return shop_ready() == "True"; })) << log();
  std::string workload = first_shop_deployment();
  ASSERT_FALSE(workload.empty());
  ProcessResult r = gantry({"uninstall", "--yes", "--delete-workloads", "--kubeconfig",
                            sandbox_.kubeconfig().string(), "--timeout", "60s"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out << log();
  EXPECT_FALSE(exists({"gantrydeployment", "shop", "-n", "default"}));
  EXPECT_FALSE(exists({"deploy", workload, "-n", "shop-staging"}));
  EXPECT_FALSE(exists({"deploy", "gantry-controller", "-n", "gantry-system"}));
}

// The sandbox records every request; the controller's (by its User-Agent)
// must all be allowed by the rules `gantry install` prints for its
// ServiceAccount.
// The installed Deployment's own command, run here as kubelet would run it
// in the pod: no kubeconfig, the service account's files (with a token of the
// installed ServiceAccount, whose RBAC the sandbox enforces), and
// KUBERNETES_SERVICE_HOST/PORT. Only what a pod provides differently is
// replaced: the binary's path, the listen port (a free one) and the cache
// folder (an emptyDir there, a temporary folder here).
TEST_F(InstalledControllerTest, ThePrintedDeploymentRunsInClusterWithItsServiceAccount) {
  std::vector<Value> objects = install_with_kubectl({});
  const Value* container = nullptr;
  for (const auto& o : objects)
    if (o.get_string("kind") == "Deployment")
      if (const Value* cs = o.find_path({"spec", "template", "spec", "containers"});
          cs && cs->is_list() && cs->size())
        container = &cs->as_list()[0];
  ASSERT_TRUE(container);
  std::vector<std::string> argv;
  for (const char* k : {"command", "args"})
    if (const Value* v = container->find(k); v && v->is_list())
      for (const auto& a : v->as_list())
        argv.push_back(a.as_string());
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[0], "gantry");
  argv[0] = GANTRY_BINARY;
  int port = free_port();
  bool listen_seen = false;
  for (size_t i = 1; i + 1 < argv.size(); ++i) {
    if (argv[i] == "--listen") {
      listen_seen = true;
      argv[i + 1] = "127.0.0.1:" + std::to_string(port);
    }
    if (argv[i] == "--cache-dir") argv[i + 1] = (dir_.path() / "pod-cache").string();
  }
  EXPECT_TRUE(listen_seen);
  // The service account's files, as kubelet mounts them.
  fs::path sa = dir_.path() / "serviceaccount";
  fs::create_directories(sa);
  // The token kubelet would mount: the installed ServiceAccount's own, so the
  // sandbox authorises every request with the RBAC that install printed.
  ProcessResult token =
      sandbox_.kubectl({"create", "token", "gantry-controller", "-n", "gantry-system"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  write_file_atomic(sa / "token", token.out);
  write_file_atomic(sa / "ca.crt", read_file(sandbox_.ca_file()));
  write_file_atomic(sa / "namespace", "gantry-system");
  std::string url = sandbox_.url();
  std::string host_port = url.substr(url.find("://") + 3);
  fs::create_directories(dir_.path() / "pod-home");
  controller_ = std::make_unique<BackgroundProcess>(
      argv, dir_.path() / "pod.log",
      std::vector<std::string>{
          "KUBECONFIG=", "HOME=" + (dir_.path() / "pod-home").string(),
          "KUBERNETES_SERVICE_HOST=127.0.0.1",
          "KUBERNETES_SERVICE_PORT=" + host_port.substr(host_port.rfind(':') + 1),
          "GANTRY_SERVICE_ACCOUNT_DIR=" + sa.string()});
  deploy_shop("");
  auto start = std::chrono::steady_clock::now();
  while (shop_ready() != "True" && std::chrono::steady_clock::now() - start < 60s)
    std::this_thread::sleep_for(100ms);
  ASSERT_EQ(shop_ready(), "True") << log();
  EXPECT_NE(log().find("\"context\":\"in-cluster\""), std::string::npos) << log();
  EXPECT_NE(log().find("\"msg\":\"leading\""), std::string::npos) << log();
  // Its probes answer as the kubelet would call them.
  ProcessResult ready = run_process({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                     "http://127.0.0.1:" + std::to_string(port) + "/readyz"});
  EXPECT_EQ(ready.out, "200");
  ProcessResult live = run_process({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                    "http://127.0.0.1:" + std::to_string(port) + "/healthz"});
  EXPECT_EQ(live.out, "200");
}

class RbacSufficiencyTest : public InstalledControllerTest {
 protected:
  static Sandbox::Options audited() {
    static int n = 0;
    audit_path() = fs::temp_directory_path() /
                   ("gantry-audit-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    Sandbox::Options o;
    o.extra_args = {"--audit-log", audit_path().string()};
    return o;
  }
  static fs::path& audit_path() {
    static fs::path p;
    return p;
  }
  RbacSufficiencyTest() : InstalledControllerTest(audited()), audit_(audit_path()) {}
  ~RbacSufficiencyTest() override {
    std::error_code ec;
    fs::remove(audit_, ec);
  }
  fs::path audit_;
};

rbac::Request request_of(const Value& line) {
  rbac::Request r;
  r.verb = line.get_string("verb");
  r.api_group = line.get_string("apiGroup");
  r.resource = line.get_string("resource");
  r.subresource = line.get_string("subresource");
  r.ns = line.get_string("namespace");
  r.name = line.get_string("name");
  r.non_resource_url = line.get_string("nonResourceURL");
  return r;
}

TEST_F(RbacSufficiencyTest, EveryRequestOfTheControllerIsAllowedByTheInstalledRules) {
  std::vector<Value> objects =
      install_with_kubectl({"--kluctl-crd", "--deploy-api-group", "traefik.containo.us",
                            "--deploy-api-group", "postgresql.cnpg.io"});
  install_course_crds();
  ASSERT_EQ(sandbox_
                .kubectl({"create", "-f", "-"},
                         "apiVersion: v1\nkind: Namespace\nmetadata: {name: kluctl-gitops}\n")
                .exit_code,
            0);
  std::string kd = read_file(course_dir() / "kluctl-gitops" / "clusters" / "staging" /
                             "KluctlDeployment.devops-directive-kubernetes-course.yaml");
  kd = replace_all(kd, "https://github.com/sidpalas/devops-directive-kubernetes-course.git",
                   daemon_->url("app.git"));
  kd += "  excludeDeploymentDirs: [third-party/traefik, third-party/cloudnative-pg]\n";
  ASSERT_EQ(sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, kd).exit_code, 0);
  start_controller();
  deploy_shop("  prune: true\n  delete: true\n");
  auto kready = [&] {
    return jsonpath({"kluctldeployment", "demo-app", "-n", "kluctl-gitops"},
                    "{.status.conditions[?(@.type==\"Ready\")].status}");
  };
  ASSERT_TRUE(within(90s, [&] { return kready() == "True" && shop_ready() == "True"; }))
      << jsonpath({"kluctldeployment", "demo-app", "-n", "kluctl-gitops"}, "{.status}")
      << jsonpath({"gantrydeployment", "shop", "-n", "default"}, "{.status}") << log();
  // A drift repair.
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "api-golang", "-n", "demo-app", "--replicas=4"})
                .exit_code,
            0);
  EXPECT_TRUE(within(10s, [&] {
    return jsonpath({"deploy", "api-golang", "-n", "demo-app"}, "{.spec.replicas}") == "1";
  })) << log();
  // A deletion through the finalizer.
  std::string workload = first_shop_deployment();
  ASSERT_EQ(
      sandbox_.kubectl({"delete", "gantrydeployment", "shop", "-n", "default", "--wait=false"})
          .exit_code,
      0);
  EXPECT_TRUE(within(30s, [&] {
    return !exists({"gantrydeployment", "shop", "-n", "default"}) &&
           !exists({"deploy", workload, "-n", "shop-staging"});
  })) << log();
  controller_.reset();
  std::this_thread::sleep_for(500ms);  // the sandbox flushes its record every 100 ms

  rbac::Subject sa = rbac::service_account("gantry-system", "gantry-controller");
  std::set<std::string> made, denied;
  // Prune lists every served type; a list the rules deny is answered 403 on
  // a cluster and that type skipped (kube::list_target_objects), which is
  // right only for types the controller never writes. Denied lists are
  // checked against its other requests at the end.
  std::set<std::string> denied_lists, written;
  size_t requests = 0;
  std::string all = read_file(audit_);
  size_t pos = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    if (end == std::string::npos) end = all.size();
    std::string text = all.substr(pos, end - pos);
    pos = end + 1;
    if (text.empty()) continue;
    Value line = doc::parse_json(text, "<audit>");
    if (line.get_string("userAgent").rfind("gantry-controller/", 0) != 0) continue;
    ++requests;
    rbac::Request r = request_of(line);
    std::string what = r.is_resource_request()
                           ? r.verb + " " + (r.api_group.empty() ? "core" : r.api_group) + " " +
                                 r.resource + (r.subresource.empty() ? "" : "/" + r.subresource)
                           : r.verb + " " + r.non_resource_url;
    made.insert(what);
    std::string gr = r.resource + "." + r.api_group;
    if (r.verb != "list" && r.verb != "watch" && r.verb != "get") written.insert(gr);
    if (!rbac::authorized(objects, sa, r)) {
      if (r.verb == "list" && r.name.empty() && r.ns.empty() && r.subresource.empty())
        denied_lists.insert(gr);
      else
        denied.insert(r.str());
    }
  }
  for (const auto& gr : denied_lists) {
    EXPECT_EQ(written.count(gr), 0u)
        << "listing " << gr << " is denied, yet the controller writes it";
    std::cout << "denied list (skipped by prune on a cluster): " << gr << "\n";
  }
  std::string listing;
  for (const auto& m : made)
    listing += "  " + m + "\n";
  std::cout << "the controller's " << requests << " requests, by verb, group and resource:\n"
            << listing;
  EXPECT_GT(requests, 50u);
  EXPECT_TRUE(denied.empty()) << "denied:\n"
                              << [&] {
                                   std::string s;
                                   for (const auto& d : denied)
                                     s += "  " + d + "\n";
                                   return s;
                                 }();
  // What it did, among others: status, events, the finalizer's deletes.
  for (const char* m :
       {"patch gantry.dev gantrydeployments/status", "create core events", "patch apps deployments",
        "delete apps deployments", "watch gantry.dev gantrydeployments",
        "patch gitops.kluctl.io kluctldeployments/status"})
    EXPECT_TRUE(made.count(m)) << m << "\n" << listing;

  // And what the rules do not allow.
  auto req = [](std::string verb, std::string group, std::string resource, std::string ns,
                std::string name, std::string sub = "") {
    rbac::Request r;
    r.verb = std::move(verb);
    r.api_group = std::move(group);
    r.resource = std::move(resource);
    r.ns = std::move(ns);
    r.name = std::move(name);
    r.subresource = std::move(sub);
    return r;
  };
  EXPECT_FALSE(rbac::authorized(objects, sa, req("create", "", "pods", "shop", "p", "exec")));
  EXPECT_FALSE(rbac::authorized(objects, sa, req("create", "", "pods", "shop", "p", "attach")));
  EXPECT_FALSE(
      rbac::authorized(objects, sa, req("create", "", "pods", "shop", "p", "portforward")));
  EXPECT_FALSE(rbac::authorized(objects, sa, req("delete", "", "nodes", "", "n1")));
  EXPECT_FALSE(rbac::authorized(objects, sa, req("patch", "", "nodes", "", "n1")));
  EXPECT_FALSE(rbac::authorized(
      objects, sa,
      req("update", "certificates.k8s.io", "certificatesigningrequests", "", "c", "approval")));
  EXPECT_FALSE(rbac::authorized(objects, sa,
                                req("create", "authentication.k8s.io", "tokenreviews", "", "")));
  const Value* controller_role = find_object(objects, "ClusterRole", "gantry-controller");
  ASSERT_TRUE(controller_role);
  EXPECT_FALSE(rbac::rules_allow(*controller_role->find("rules"),
                                 req("list", "", "secrets", "kube-system", "")));
  EXPECT_TRUE(rbac::rules_allow(*controller_role->find("rules"),
                                req("get", "", "secrets", "kube-system", "git")));
  for (const auto& o : objects) {
    const Value* rules = o.find("rules");
    if (!rules) continue;
    for (const auto& rule : rules->as_list())
      for (const char* key : {"apiGroups", "verbs"}) {
        const Value* l = rule.find(key);
        if (!l) continue;
        for (const auto& x : l->as_list())
          EXPECT_NE(x.as_string(), "*") << doc::to_yaml(o);
      }
  }
}

}  // namespace
}  // namespace gantry::testing
