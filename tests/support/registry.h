// A real OCI registry for tests: the Debian `docker-registry` binary started
// on a free loopback port with its own storage directory, optionally with TLS
// (a CA made for the test), htpasswd basic auth or token auth. Stopped and
// cleaned up on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "support/fixtures.h"

namespace gantry::testing {

// A free TCP port on 127.0.0.1 (bound and released; a small race is accepted).
int free_port();
// Waits until something accepts connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

// A certificate authority made with the openssl CLI, and certificates it issues.
class TestCa {
 public:
  explicit TestCa(const std::filesystem::path& dir);
  const std::filesystem::path& cert() const { return cert_; }
  const std::filesystem::path& key() const { return key_; }
  // Issues a server certificate for 127.0.0.1 and localhost; returns {cert, key}.
  std::pair<std::filesystem::path, std::filesystem::path> issue_server(
      const std::string& name) const;

 private:
  std::filesystem::path dir_, cert_, key_;
};

// A self-signed RSA key pair for signing registry tokens (RS256).
struct SigningKey {
  std::filesystem::path cert;  // PEM, also the registry's rootcertbundle
  std::filesystem::path key;   // PEM private key
};
SigningKey make_signing_key(const std::filesystem::path& dir, const std::string& name);

struct RegistryConfig {
  bool tls = false;
  std::string user, password;  // htpasswd basic auth when user is set
  struct Token {
    std::string realm;    // URL of the token endpoint
    std::string service;  // audience
    std::string issuer;
    std::filesystem::path rootcertbundle;
  };
  std::optional<Token> token;
};

class TestRegistry {
 public:
  explicit TestRegistry(RegistryConfig cfg = {});
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  static bool available();

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return std::string(cfg_.tls ? "https" : "http") + "://" + host(); }
  // The CA that signed the registry's certificate (tls only).
  std::filesystem::path ca_file() const;
  const std::filesystem::path& storage() const { return storage_; }
  std::string log() const;
  // Stops the registry (the port refuses connections) and starts it again on
  // the same port with the same storage: a registry that is down for a while.
  void stop();
  void start();

 private:
  RegistryConfig cfg_;
  TempDir dir_;
  std::filesystem::path storage_;
  std::optional<TestCa> ca_;
  int port_ = 0;
  std::optional<BackgroundProcess> process_;
};

}  // namespace gantry::testing
