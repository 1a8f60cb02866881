// Test servers around a registry (header-only: cpp-httplib is compiled into
// the test executables through gantry_http): a token service that signs RS256
// JWTs the registry verifies, and a proxy that damages what the registry sends.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/base64.h"
#include "support/oci_testdata.h"
#include "support/registry.h"

namespace gantry::testing {

// Runs an httplib::Server on 127.0.0.1 on a thread.
class LoopbackServer {
 public:
  LoopbackServer() = default;
  ~LoopbackServer() { stop(); }
  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    wait_for_port(port_, std::chrono::seconds(5));
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  httplib::Server& server() { return server_; }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

// GET /token?service=S&scope=repository:NAME:ACTIONS...: grants what is asked
// to the configured user (Basic auth); anonymous requests get 401 when a user is set.
class TokenServer {
 public:
  TokenServer(SigningKey key, std::string service, std::string issuer, std::string user,
              std::string password)
      : key_(std::move(key)),
        service_(std::move(service)),
        issuer_(std::move(issuer)),
        user_(std::move(user)),
        password_(std::move(password)) {
    srv_.server().Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res);
    });
    srv_.start();
  }
  std::string realm() const { return srv_.base() + "/token"; }
  int requests() const { return requests_; }
  std::vector<std::string> scopes() {
    std::lock_guard<std::mutex> g(mu_);
    return scopes_;
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    if (!user_.empty()) {
      std::string want = "Basic " + base64_encode(user_ + ":" + password_);
      if (req.get_header_value("Authorization") != want) {
        res.status = 401;
        res.set_content("{\"details\":\"bad credentials\"}", "application/json");
        return;
      }
    }
    std::string access;
    size_t n = req.get_param_value_count("scope");
    for (size_t i = 0; i < n; ++i) {
      std::string scope = req.get_param_value("scope", i);
      {
        std::lock_guard<std::mutex> g(mu_);
        scopes_.push_back(scope);
      }
      auto a = scope.find(':'), b = scope.rfind(':');
      if (a == std::string::npos || a == b) continue;
      std::string type = scope.substr(0, a), name = scope.substr(a + 1, b - a - 1),
                  actions = scope.substr(b + 1);
      std::string acts;
      size_t start = 0;
      while (start <= actions.size()) {
        auto comma = actions.find(',', start);
        std::string act =
            actions.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!act.empty()) acts += std::string(acts.empty() ? "" : ",") + "\"" + act + "\"";
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      access += std::string(access.empty() ? "" : ",") + "{\"type\":\"" + type + "\",\"name\":\"" +
                name + "\",\"actions\":[" + acts + "]}";
    }
    long now = static_cast<long>(std::time(nullptr));
    std::string claims = "{\"iss\":\"" + issuer_ + "\",\"sub\":\"" + user_ + "\",\"aud\":\"" +
                         service_ + "\",\"exp\":" + std::to_string(now + 600) +
                         ",\"nbf\":" + std::to_string(now - 60) +
                         ",\"iat\":" + std::to_string(now) + ",\"jti\":\"" +
                         std::to_string(requests_.load()) + "\",\"access\":[" + access + "]}";
    std::string jwt = sign_jwt(key_.key, key_.cert, claims);
    res.set_content("{\"token\":\"" + jwt + "\",\"expires_in\":600}", "application/json");
  }

  SigningKey key_;
  std::string service_, issuer_, user_, password_;
  LoopbackServer srv_;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> scopes_;
};

// Forwards GET/HEAD to a plain-HTTP registry and damages responses by mode.
class FaultProxy {
 public:
  enum class Mode {
    kPass,
    kWrongDigest,        // blob bodies: one byte changed
    kTruncatedBlob,      // blob bodies: the connection closes halfway
    kNoChallenge401,     // everything: 401 without WWW-Authenticate
    kMalformedManifest,  // manifests: not JSON
    kHugeManifest,       // manifests: 5 MiB
    kUnknownMediaType,   // manifests: a media type nobody knows
  };

  FaultProxy(std::string upstream_host, int upstream_port, Mode mode)
      : host_(std::move(upstream_host)), port_(upstream_port), mode_(mode) {
    srv_.server().Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      handle(req, res);
    });
    srv_.start();
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(srv_.port()); }
  int blob_requests() const { return blob_requests_; }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    if (mode_ == Mode::kNoChallenge401) {
      res.status = 401;
      res.set_content("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"no\"}]}",
                      "application/json");
      return;
    }
    bool is_blob = req.path.find("/blobs/") != std::string::npos;
    bool is_manifest = req.path.find("/manifests/") != std::string::npos;
    if (is_manifest && req.path != "/v2/") {
      if (mode_ == Mode::kMalformedManifest) {
        res.set_content(
            "{\"schemaVersion\":2,\"mediaType\":\"application/"
            "vnd.oci.image.manifest.v1+json\",\"config\":",
            "application/vnd.oci.image.manifest.v1+json");
        return;
      }
      if (mode_ == Mode::kHugeManifest) {
        std::string big =
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            "\"annotations\":{\"pad\":\"" +
            std::string(5u << 20, 'x') + "\"}}";
        res.set_content(big, "application/vnd.oci.image.manifest.v1+json");
        return;
      }
      if (mode_ == Mode::kUnknownMediaType) {
        res.set_content(
            "{\"schemaVersion\":2,\"mediaType\":\"application/"
            "vnd.example.thing.v1+json\",\"blobs\":[]}",
            "application/vnd.example.thing.v1+json");
        return;
      }
    }
    httplib::Client up(host_, port_);
    httplib::Headers h;
    for (const char* name : {"Accept", "Authorization"})
      if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
    std::string target = req.target.empty() ? req.path : req.target;
    auto r = up.Get(target, h);
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    for (const char* name :
         {"Content-Type", "Docker-Content-Digest", "WWW-Authenticate", "Link", "Location"})
      if (r->has_header(name)) res.set_header(name, r->get_header_value(name));
    std::string body = r->body;
    std::string ct = r->get_header_value("Content-Type");
    if (is_blob && r->status == 200) {
      ++blob_requests_;
      if (mode_ == Mode::kWrongDigest && !body.empty()) body[body.size() / 2] ^= 0x55;
      if (mode_ == Mode::kTruncatedBlob && body.size() > 1) {
        auto full = std::make_shared<std::string>(std::move(body));
        res.set_content_provider(full->size(), ct.empty() ? "application/octet-stream" : ct,
                                 [full](size_t offset, size_t, httplib::DataSink& sink) {
                                   if (offset >= full->size() / 2)
                                     return false;  // drop the connection
                                   sink.write(full->data() + offset, full->size() / 2 - offset);
                                   return true;
                                 });
        return;
      }
    }
    res.set_content(body, ct.empty() ? "application/octet-stream" : ct);
  }

  std::string host_;
  int port_;
  Mode mode_;
  LoopbackServer srv_;
  std::atomic<int> blob_requests_{0};
};

}  // namespace gantry::testing
