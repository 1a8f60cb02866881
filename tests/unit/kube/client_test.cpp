// kube::Client against a small HTTPS server on loopback: mutual TLS with a
// client certificate from the kubeconfig, bearer tokens and token files (read
// again after a 401), and a CA that is the only one trusted.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "core/error.h"
#include "http/server.h"
#include "kube/client.h"
#include "kube/objects.h"
#include "support/fixtures.h"

namespace gantry::kube {
namespace {

struct Tls {
  http::TlsIdentity ca = http::generate_ca("test-ca");
  http::TlsIdentity server = http::issue_server_cert(ca, "localhost", {"localhost"}, {"127.0.0.1"});
};

// Answers /version with 200 when the Authorization header equals `want`
// (any when empty), else 401; records the headers it saw.
class ApiStub {
 public:
  ApiStub(const Tls& tls, std::string client_ca_pem, std::string want_auth)
      : want_(std::move(want_auth)) {
    http::ServerOptions o;
    o.tls = true;
    o.identity = tls.server;
    o.client_ca_pem = std::move(client_ca_pem);
    server_ = std::make_unique<http::Server>(o, [this](const http::ServerRequest& req,
                                                       http::ServerResponse& res) {
      std::string auth = req.header("Authorization");
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(auth);
        std::string who = req.header("Impersonate-User");
        for (const auto& [k, v] : req.headers)
          if (k == "Impersonate-Group") who += "|" + v;
        impersonated_.push_back(who);
        if (!want_.empty() && auth != want_) {
          res.status = 401;
          res.content_type = "application/json";
          res.body =
              R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})";
          return;
        }
      }
      res.status = 200;
      res.content_type = "application/json";
      res.body = R"({"major":"1","minor":"32"})";
    });
    server_->start();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }
  std::vector<std::string> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::vector<std::string> impersonated() {
    std::lock_guard<std::mutex> lock(mu_);
    return impersonated_;
  }
  void want(std::string w) {
    std::lock_guard<std::mutex> lock(mu_);
    want_ = std::move(w);
  }

 private:
  std::mutex mu_;
  std::string want_;
  std::vector<std::string> seen_, impersonated_;
  std::unique_ptr<http::Server> server_;
};

TEST(KubeClient, ClientCertificateForMutualTls) {
  Tls tls;
  http::TlsIdentity client_ca = http::generate_ca("client-ca");
  http::TlsIdentity client = http::issue_client_cert(client_ca, "gantry-user");
  ApiStub api(tls, client_ca.cert_pem, "");
  ClusterAccess a;
  a.server = api.url();
  a.ca_pem = tls.ca.cert_pem;
  a.client_cert_pem = client.cert_pem;
  a.client_key_pem = client.key_pem;
  Client c(a);
  Response r = c.send("GET", "/version");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json().get_string("minor"), "32");

  // Without a certificate the server ends the handshake: an Error naming the server.
  ClusterAccess no_cert = a;
  no_cert.client_cert_pem.clear();
  no_cert.client_key_pem.clear();
  Client anonymous(no_cert);
  try {
    anonymous.send("GET", "/version");
    FAIL() << "the server accepted a client without a certificate";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kExternal);
    EXPECT_NE(e.str().find(api.url()), std::string::npos) << e.str();
  }
}

TEST(KubeClient, OnlyTheClusterCaIsTrusted) {
  Tls tls, other;
  ApiStub api(tls, "", "");
  ClusterAccess a;
  a.server = api.url();
  a.ca_pem = other.ca.cert_pem;  // a CA that did not sign the server's certificate
  Client c(a);
  EXPECT_THROW(c.send("GET", "/version"), Error);
  a.ca_pem.clear();
  a.insecure_skip_tls_verify = true;
  Client insecure(a);
  EXPECT_EQ(insecure.send("GET", "/version").status, 200);
}

TEST(KubeClient, TokenFileIsReadAgainAfter401) {
  Tls tls;
  testing::TempDir dir;
  auto token_file = dir.write("token", "first-token\n");
  ApiStub api(tls, "", "Bearer first-token");
  ClusterAccess a;
  a.server = api.url();
  a.ca_pem = tls.ca.cert_pem;
  a.token_file = token_file;
  Client c(a);
  EXPECT_EQ(c.send("GET", "/version").status, 200);
  // The token rotates on disk and the server stops accepting the old one.
  dir.write("token", "second-token\n");
  api.want("Bearer second-token");
  EXPECT_EQ(c.send("GET", "/version").status, 200);
  auto seen = api.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1], "Bearer first-token");
  EXPECT_EQ(seen[2], "Bearer second-token");

  // An inline token that is wrong: the 401 is returned, not retried forever.
  ClusterAccess b = a;
  b.token_file.clear();
  b.token = "nope";
  Client wrong(b);
  Response r = wrong.send("GET", "/version");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.message(), "Unauthorized");
  EXPECT_EQ(r.reason(), "Unauthorized");
}

// Impersonation (kubeconfig `as`/`as-groups`, or a GantryDeployment's
// serviceAccountName): every request carries the headers, the credentials
// stay the caller's own.
TEST(KubeClient, ImpersonationHeaders) {
  Tls tls;
  ApiStub api(tls, "", "Bearer controller-token");
  ClusterAccess a;
  a.server = api.url();
  a.ca_pem = tls.ca.cert_pem;
  a.token = "controller-token";
  EXPECT_EQ(Client(a).send("GET", "/version").status, 200);
  a.impersonate_user = "system:serviceaccount:team-a:deployer";
  EXPECT_EQ(Client(a).send("GET", "/version").status, 200);
  a.impersonate_groups = {"devs", "ops"};
  EXPECT_EQ(Client(a).send("GET", "/version").status, 200);
  auto seen = api.impersonated();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "");
  EXPECT_EQ(seen[1], "system:serviceaccount:team-a:deployer");
  EXPECT_EQ(seen[2], "system:serviceaccount:team-a:deployer|devs|ops");
}

TEST(KubeClient, BasicAuth) {
  Tls tls;
  ApiStub api(tls, "", "Basic YWRtaW46czNjcmV0");  // admin:s3cret
  ClusterAccess a;
  a.server = api.url();
  a.ca_pem = tls.ca.cert_pem;
  a.username = "admin";
  a.password = "s3cret";
  EXPECT_EQ(Client(a).send("GET", "/version").status, 200);
}

// Answers PATCHes with the queued (status, body) pairs, then 200.
class ApplyStub {
 public:
  explicit ApplyStub(const Tls& tls, std::vector<std::pair<int, std::string>> answers)
      : answers_(std::move(answers)) {
    http::ServerOptions o;
    o.tls = true;
    o.identity = tls.server;
    server_ = std::make_unique<http::Server>(
        o, [this](const http::ServerRequest& req, http::ServerResponse& res) {
          std::lock_guard<std::mutex> lock(mu_);
          ++requests_;
          res.content_type = "application/json";
          if (req.method == "PATCH" && !answers_.empty()) {
            res.status = answers_.front().first;
            res.body = answers_.front().second;
            answers_.erase(answers_.begin());
            return;
          }
          res.status = 200;
          res.body = req.body;
        });
    server_->start();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }
  int requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<int, std::string>> answers_;
  int requests_ = 0;
  std::unique_ptr<http::Server> server_;
};

std::string status409(const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":409,"reason":")" + reason +
         R"(","message":")" + message + R"("})";
}

TEST(KubeApply, RacesAreRetriedFieldConflictsAreNot) {
  Tls tls;
  ResourceType cm{"", "v1", "ConfigMap", "configmaps", true, {"patch"}};
  doc::Value obj = doc::Value::object(
      {{"apiVersion", "v1"},
       {"kind", "ConfigMap"},
       {"metadata", doc::Value::object({{"name", "c"}, {"namespace", "default"}})}});
  {
    ApplyStub api(tls, {{409, status409("AlreadyExists", "configmaps c already exists")},
                        {409, status409("Conflict",
                                        "Operation cannot be fulfilled on configmaps c: the "
                                        "object has been modified; please apply your changes to "
                                        "the latest version and try again")}});
    ClusterAccess a;
    a.server = api.url();
    a.ca_pem = tls.ca.cert_pem;
    Client c(a);
    ApplyResult r = apply(c, cm, obj, {});
    EXPECT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(api.requests(), 3);
    EXPECT_EQ(r.object.get_string("kind"), "ConfigMap");
  }
  {
    ApplyStub api(tls, {{409, status409("Conflict",
                                        "Apply failed with 1 conflict: conflict with alice: "
                                        ".data.key")}});
    ClusterAccess a;
    a.server = api.url();
    a.ca_pem = tls.ca.cert_pem;
    Client c(a);
    ApplyResult r = apply(c, cm, obj, {});
    EXPECT_TRUE(r.conflict());
    EXPECT_EQ(api.requests(), 1);
    EXPECT_EQ(r.message, "Apply failed with 1 conflict: conflict with alice: .data.key");
  }
}

}  // namespace
}  // namespace gantry::kube
