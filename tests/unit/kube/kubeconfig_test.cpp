#include <gtest/gtest.h>

#include <cstdlib>

#include "core/base64.h"
#include "core/error.h"
#include "kube/kubeconfig.h"
#include "support/fixtures.h"

namespace gantry::kube {
namespace {

using testing::TempDir;

class KubeconfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* k = std::getenv("KUBECONFIG")) saved_ = k;
    ::unsetenv("KUBECONFIG");
  }
  void TearDown() override {
    if (saved_.empty())
      ::unsetenv("KUBECONFIG");
    else
      ::setenv("KUBECONFIG", saved_.c_str(), 1);
  }
  TempDir dir_;
  std::string saved_;
};

const char* kFirst = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://dev.example.com:6443/
    certificate-authority: certs/ca.pem
contexts:
- name: dev
  context: {cluster: dev-cluster, user: dev-user, namespace: team-a}
users:
- name: dev-user
  user:
    client-certificate: certs/client.pem
    client-key: certs/client.key
)";

const char* kSecond = R"(apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: dev-cluster
  cluster: {server: https://shadowed.example.com}
- name: prod-cluster
  cluster: {server: https://prod.example.com, insecure-skip-tls-verify: true}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
- name: exec
  context: {cluster: prod-cluster, user: exec-user}
users:
- name: prod-user
  user: {tokenFile: secrets/token}
- name: exec-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, prod]
      env: [{name: REGION, value: eu}]
      provideClusterInfo: true
)";

TEST_F(KubeconfigTest, KubeconfigListMergesFirstWins) {
  dir_.write("one/certs/ca.pem", "CA");
  dir_.write("one/certs/client.pem", "CERT");
  dir_.write("one/certs/client.key", "KEY");
  auto a = dir_.write("one/config", kFirst);
  auto b = dir_.write("two/config", kSecond);
  std::string list = a.string() + ":" + (dir_.path() / "nope").string() + ":" + b.string();
  ::setenv("KUBECONFIG", list.c_str(), 1);
  KubeconfigSelection sel;
  EXPECT_EQ(selected_context(sel), "dev");  // the first current-context wins
  ClusterAccess dev = load_cluster_access(sel, "dev");
  EXPECT_EQ(dev.server, "https://dev.example.com:6443");  // the first dev-cluster, trailing / gone
  EXPECT_EQ(dev.namespace_name, "team-a");
  EXPECT_EQ(dev.ca_pem, "CA");  // relative to the file that named it
  EXPECT_EQ(dev.client_cert_pem, "CERT");
  EXPECT_EQ(dev.client_key_pem, "KEY");
  EXPECT_EQ(dev.files.size(), 2u);  // the missing file is skipped

  ClusterAccess prod = load_cluster_access(sel, "prod");
  EXPECT_TRUE(prod.insecure_skip_tls_verify);
  EXPECT_EQ(prod.namespace_name, "default");
  EXPECT_EQ(prod.token_file, dir_.path() / "two/secrets/token");

  ClusterAccess ex = load_cluster_access(sel, "exec");
  ASSERT_TRUE(ex.exec.has_value());
  EXPECT_EQ(ex.exec->command, (dir_.path() / "two/bin/get-token").string());
  EXPECT_EQ(ex.exec->args, (std::vector<std::string>{"--cluster", "prod"}));
  ASSERT_EQ(ex.exec->env.size(), 1u);
  EXPECT_EQ(ex.exec->env[0].second, "eu");
  EXPECT_TRUE(ex.exec->provide_cluster_info);
}

TEST_F(KubeconfigTest, ExplicitFileAndContextFlag) {
  auto b = dir_.write("config", kSecond);
  KubeconfigSelection sel{b.string(), "exec"};
  EXPECT_EQ(selected_context(sel), "exec");
  KubeconfigSelection missing{(dir_.path() / "none").string(), ""};
  try {
    kubeconfig_files(missing);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotFound);
  }
}

TEST_F(KubeconfigTest, InlineDataFieldsAreBase64) {
  std::string text =
      std::string("apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: https://x\n") +
      "    certificate-authority-data: " + base64_encode("PEM-CA") +
      "\ncontexts:\n- name: k\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user:\n" +
      "    client-certificate-data: " + base64_encode("PEM-CERT") + "\n" +
      "    client-key-data: " + base64_encode("PEM-KEY") + "\n    token: abc\n";
  auto f = dir_.write("config", text);
  ClusterAccess a = load_cluster_access({f.string(), ""}, "k");
  EXPECT_EQ(a.ca_pem, "PEM-CA");
  EXPECT_EQ(a.client_cert_pem, "PEM-CERT");
  EXPECT_EQ(a.client_key_pem, "PEM-KEY");
  EXPECT_EQ(a.token, "abc");
}

TEST_F(KubeconfigTest, ErrorsNameWhatIsMissing) {
  auto f = dir_.write("config", kSecond);
  auto expect_error = [&](const std::string& ctx, const std::string& text, ExitCode code) {
    try {
      load_cluster_access({f.string(), ""}, ctx);
      ADD_FAILURE() << "no error for " << ctx;
    } catch (const Error& e) {
      EXPECT_NE(e.str().find(text), std::string::npos) << e.str();
      EXPECT_EQ(e.code(), code);
    }
  };
  expect_error("staging", "context \"staging\" not found in kubeconfig", ExitCode::kNotFound);
  expect_error("", "no context selected", ExitCode::kUsage);
  auto g = dir_.write("bad",
                      "apiVersion: v1\nclusters:\n- name: c\n  cluster: {}\ncontexts:\n- name: k\n"
                      "  context: {cluster: c, user: nobody}\n");
  try {
    load_cluster_access({g.string(), ""}, "k");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.str().find("has no server"), std::string::npos) << e.str();
  }
  auto h = dir_.write("half",
                      "clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: k\n"
                      "  context: {cluster: c, user: u}\nusers:\n- name: u\n  user:\n"
                      "    client-certificate-data: " +
                          base64_encode("C") + "\n");
  try {
    load_cluster_access({h.string(), ""}, "k");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.str().find("needs both a client certificate and a client key"), std::string::npos);
  }
}

// Inside a pod: no kubeconfig anywhere, the service account's files and
// KUBERNETES_SERVICE_HOST/PORT, as client-go's InClusterConfig reads them.
TEST_F(KubeconfigTest, InClusterServiceAccount) {
  auto sa = dir_.path() / "sa";
  dir_.write("sa/token", "tok-1\n");
  dir_.write("sa/ca.crt", "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n");
  dir_.write("sa/namespace", "gantry-system");
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("HOME", (dir_.path() / "home").c_str(), 1);  // no ~/.kube/config
  ::setenv("GANTRY_SERVICE_ACCOUNT_DIR", sa.c_str(), 1);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(in_cluster_access().has_value());
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  EXPECT_EQ(selected_context({}), "");
  ClusterAccess a = load_cluster_access({}, "");
  EXPECT_TRUE(a.in_cluster);
  EXPECT_EQ(a.server, "https://[fd00::1]:443");
  EXPECT_EQ(a.token_file, sa / "token");
  EXPECT_EQ(a.namespace_name, "gantry-system");
  EXPECT_NE(a.ca_pem.find("BEGIN CERTIFICATE"), std::string::npos);
  // A kubeconfig, when there is one, wins (as with kubectl).
  auto kc =
      dir_.write("home/.kube/config",
                 "clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: k\n"
                 "  context: {cluster: c}\ncurrent-context: k\n");
  EXPECT_EQ(load_cluster_access({}, "k").server, "https://x");
  std::filesystem::remove(kc);
  std::filesystem::remove(sa / "token");
  try {
    load_cluster_access({}, "");
    ADD_FAILURE() << "no error without a token";
  } catch (const Error& e) {
    EXPECT_NE(e.str().find("token"), std::string::npos) << e.str();
  }
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  ::unsetenv("KUBERNETES_SERVICE_PORT");
  ::unsetenv("GANTRY_SERVICE_ACCOUNT_DIR");
  ::setenv("HOME", home.c_str(), 1);
}

// A kubeconfig given as data (a Secret) must not read this machine's files
// or run its programs; impersonation fields are read.
TEST_F(KubeconfigTest, InlineKubeconfigRefusesFilesAndPlugins) {
  std::string head =
      "clusters:\n- name: c\n  cluster: {server: https://x}\ncontexts:\n- name: k\n"
      "  context: {cluster: c, user: u}\ncurrent-context: k\nusers:\n- name: u\n  user:\n";
  ClusterAccess ok = parse_inline_cluster_access(
      head + "    token: t\n    as: alice\n    as-groups: [devs, ops]\n", "");
  EXPECT_EQ(ok.server, "https://x");
  EXPECT_EQ(ok.token, "t");
  EXPECT_EQ(ok.impersonate_user, "alice");
  EXPECT_EQ(ok.impersonate_groups, (std::vector<std::string>{"devs", "ops"}));
  for (std::string bad : {"    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n",
                          "    client-key: /etc/ssl/private/key.pem\n",
                          "    exec: {command: /bin/sh, args: [-c, id]}\n"}) {
    try {
      parse_inline_cluster_access(head + bad, "");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kRefused) << e.str();
      EXPECT_NE(e.str().find("not allowed in a kubeconfig given as data"), std::string::npos);
    }
  }
  try {
    parse_inline_cluster_access(
        "clusters:\n- name: c\n  cluster: {server: https://x, certificate-authority: /etc/ca}\n"
        "contexts:\n- name: k\n  context: {cluster: c}\ncurrent-context: k\n",
        "");
    ADD_FAILURE() << "accepted a CA file";
  } catch (const Error& e) {
    EXPECT_NE(e.str().find("certificate-authority"), std::string::npos) << e.str();
  }
}

}  // namespace
}  // namespace gantry::kube
