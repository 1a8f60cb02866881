// The Distribution API client against a scripted server: bearer tokens per
// scope, a token that expires mid-run, Link pagination, and credentials that
// must not follow a Location or Link to another host.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "core/base64.h"
#include "core/error.h"
#include "oci/registry.h"
#include "support/oci_servers.h"

using namespace gantry::oci;
using gantry::testing::LoopbackServer;

namespace {

struct FakeRegistry {
  LoopbackServer srv;
  LoopbackServer other;  // another host
  std::atomic<int> tokens{0};
  std::atomic<int> expire_next{0};
  std::mutex mu;
  std::vector<std::string> scopes;
  std::string other_auth = "unset";
  bool link_elsewhere = false;

  FakeRegistry() {
    auto& s = srv.server();
    s.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> g(mu);
      for (size_t i = 0; i < req.get_param_value_count("scope"); ++i)
        scopes.push_back(req.get_param_value("scope", i));
      res.set_content("{\"token\":\"tok-" + std::to_string(++tokens) + "\"}", "application/json");
    });
    auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
      std::string a = req.get_header_value("Authorization");
      bool ok = a.rfind("Bearer tok-", 0) == 0;
      if (ok && expire_next > 0) {
        --expire_next;
        ok = false;
      }
      if (!ok) {
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer realm=\"" + srv.base() +
                                               "/token\",service=\"fake\",error=\"invalid_token\"");
      }
      return ok;
    };
    s.Get("/v2/", [this](const httplib::Request&, httplib::Response& res) {
      res.status = 401;
      res.set_header("WWW-Authenticate",
                     "Bearer realm=\"" + srv.base() + "/token\",service=\"fake\"");
    });
    s.Get("/v2/team/app/tags/list",
          [this, authorized](const httplib::Request& req, httplib::Response& res) {
            if (!authorized(req, res)) return;
            if (req.has_param("last")) {
              res.set_content("{\"name\":\"team/app\",\"tags\":[\"b\"]}", "application/json");
              return;
            }
            res.set_header("Link",
                           link_elsewhere
                               ? "<" + other.base() + "/v2/team/app/tags/list?last=a>; rel=\"next\""
                               : std::string("</v2/team/app/tags/list?n=1&last=a>; rel=\"next\""));
            res.set_content("{\"name\":\"team/app\",\"tags\":[\"a\"]}", "application/json");
          });
    s.Post("/v2/team/app/blobs/uploads/",
           [this, authorized](const httplib::Request& req, httplib::Response& res) {
             if (!authorized(req, res)) return;
             res.status = 202;
             res.set_header("Location", other.base() + "/upload/1");
           });
    other.server().Put("/upload/1", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> g(mu);
      other_auth = req.get_header_value("Authorization");
      res.status = 201;
    });
    other.start();
    srv.start();
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(srv.port()); }
};

std::shared_ptr<gantry::http::Client> client() {
  gantry::http::ClientOptions o;
  o.retry_base = std::chrono::milliseconds(1);
  o.max_retries = 1;
  return std::make_shared<gantry::http::Client>(o);
}

RegistryOptions plain() {
  RegistryOptions o;
  o.plain_http = true;
  return o;
}

}  // namespace

TEST(RegistryClient, BearerTokensPerScopeAndPagination) {
  FakeRegistry f;
  Registry r(f.host(), client(), Credential{}, plain());
  EXPECT_EQ(r.list_tags("team/app"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.tokens.load(), 1);  // one token, reused for the second page
  ASSERT_FALSE(f.scopes.empty());
  EXPECT_EQ(f.scopes[0], "repository:team/app:pull");
}

TEST(RegistryClient, ExpiredTokenIsRefreshed) {
  FakeRegistry f;
  Registry r(f.host(), client(), Credential{}, plain());
  EXPECT_EQ(r.list_tags("team/app").size(), 2u);
  f.expire_next = 1;
  EXPECT_EQ(r.list_tags("team/app").size(), 2u);
  EXPECT_EQ(f.tokens.load(), 2);
}

TEST(RegistryClient, LinkToAnotherHostIsRefused) {
  FakeRegistry f;
  f.link_elsewhere = true;
  Registry r(f.host(), client(), Credential{}, plain());
  try {
    r.list_tags("team/app");
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_NE(e.why().find("another host"), std::string::npos) << e.why();
  }
}

TEST(RegistryClient, UploadLocationOnAnotherHostGetsNoCredentials) {
  FakeRegistry f;
  Registry r(f.host(), client(), Credential{}, plain());
  Descriptor d;
  d.media_type = "application/octet-stream";
  d.digest = Digest::sha256_of("data");
  d.size = 4;
  r.upload_blob("team/app", d, gantry::http::Body::memory("data"));
  EXPECT_EQ(f.other_auth, "");
  bool push_scope = false;
  for (const auto& s : f.scopes)
    push_scope |= s == "repository:team/app:pull,push";
  EXPECT_TRUE(push_scope);
}

TEST(RegistryClient, NotARegistry) {
  LoopbackServer s;
  s.server().Get("/v2/", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  s.start();
  Registry r("127.0.0.1:" + std::to_string(s.port()), client(), Credential{}, plain());
  try {
    r.base_url();
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_NE(e.why().find("is this an OCI registry"), std::string::npos) << e.why();
  }
}

TEST(RegistryClient, EchoedSecretsAreRedacted) {
  LoopbackServer s;
  s.server().Get("/v2/", [](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization").empty()) {
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"r\"");
    }
  });
  s.server().Get("/v2/x/manifests/v1", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 400;
    res.set_content("{\"errors\":[{\"code\":\"DENIED\",\"message\":\"you sent " +
                        req.get_header_value("Authorization") + " with password hunter22-pw\"}]}",
                    "application/json");
  });
  s.start();
  Credential c;
  c.username = "user";
  c.password = "hunter22-pw";
  Registry r("127.0.0.1:" + std::to_string(s.port()), client(), c, plain());
  try {
    r.get_manifest("x", "v1");
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_EQ(e.str().find("hunter22"), std::string::npos) << e.str();
    EXPECT_EQ(e.str().find(gantry::base64_encode("user:hunter22-pw")), std::string::npos)
        << e.str();
    EXPECT_NE(e.str().find("DENIED"), std::string::npos) << e.str();
    EXPECT_NE(e.str().find("<redacted>"), std::string::npos) << e.str();
  }
}
