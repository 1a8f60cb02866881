#include "support/registry.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/process.h"

namespace gantry::testing {

namespace fs = std::filesystem;

namespace {

void must_run(const std::vector<std::string>& argv, const fs::path& cwd = {}) {
  ProcessOptions o;
  o.cwd = cwd;
  o.timeout = std::chrono::seconds(60);
  ProcessResult r = run_process(argv, o);
  if (r.exit_code != 0) throw std::runtime_error(argv[0] + " " + argv[1] + " failed: " + r.err);
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

}  // namespace

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TestCa::TestCa(const fs::path& dir) : dir_(dir), cert_(dir / "ca.crt"), key_(dir / "ca.key") {
  fs::create_directories(dir);
  must_run({"openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            key_.string(),
            "-out",
            cert_.string(),
            "-days",
            "2",
            "-subj",
            "/CN=gantry test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign"});
}

std::pair<fs::path, fs::path> TestCa::issue_server(const std::string& name) const {
  fs::path key = dir_ / (name + ".key"), csr = dir_ / (name + ".csr"), crt = dir_ / (name + ".crt"),
           ext = dir_ / (name + ".ext");
  must_run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key.string(), "-out", csr.string(), "-subj", "/CN=" + name});
  write_text(ext,
             "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
             "basicConstraints=CA:FALSE\n");
  must_run({"openssl", "x509", "-req", "-in", csr.string(), "-CA", cert_.string(), "-CAkey",
            key_.string(), "-CAcreateserial", "-out", crt.string(), "-days", "2", "-extfile",
            ext.string()});
  return {crt, key};
}

SigningKey make_signing_key(const fs::path& dir, const std::string& name) {
  fs::create_directories(dir);
  SigningKey k{dir / (name + ".crt"), dir / (name + ".key")};
  must_run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", k.key.string(),
            "-out", k.cert.string(), "-days", "2", "-subj", "/CN=" + name});
  return k;
}

bool TestRegistry::available() {
  return find_program("docker-registry").has_value();
}

TestRegistry::TestRegistry(RegistryConfig cfg) : cfg_(std::move(cfg)) {
  storage_ = dir_.path() / "storage";
  fs::create_directories(storage_);
  port_ = free_port();
  std::ostringstream y;
  y << "version: 0.1\n"
    << "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
    << "storage:\n  filesystem:\n    rootdirectory: " << storage_.string() << "\n"
    << "  delete:\n    enabled: true\n"
    << "  maintenance:\n    uploadpurging:\n      enabled: false\n"
    << "http:\n  addr: 127.0.0.1:" << port_ << "\n  secret: gantry-test-secret\n";
  if (cfg_.tls) {
    ca_.emplace(dir_.path() / "ca");
    auto [crt, key] = ca_->issue_server("registry");
    y << "  tls:\n    certificate: " << crt.string() << "\n    key: " << key.string() << "\n";
  }
  if (!cfg_.user.empty()) {
    ProcessResult r = run_process({"htpasswd", "-Bbn", cfg_.user, cfg_.password});
    if (r.exit_code != 0) throw std::runtime_error("htpasswd failed: " + r.err);
    write_text(dir_.path() / "htpasswd", r.out);
    y << "auth:\n  htpasswd:\n    realm: gantry-test\n    path: "
      << (dir_.path() / "htpasswd").string() << "\n";
  } else if (cfg_.token) {
    y << "auth:\n  token:\n    realm: " << cfg_.token->realm
      << "\n    service: " << cfg_.token->service << "\n    issuer: " << cfg_.token->issuer
      << "\n    rootcertbundle: " << cfg_.token->rootcertbundle.string() << "\n";
  }
  fs::path config = dir_.path() / "config.yml";
  write_text(config, y.str());
  start();
}

void TestRegistry::stop() {
  process_.reset();
}

void TestRegistry::start() {
  fs::path config = dir_.path() / "config.yml";
  fs::path logf = dir_.path() / "registry.log";
  process_.emplace(std::vector<std::string>{"docker-registry", "serve", config.string()}, logf);
  if (!wait_for_port(port_, std::chrono::seconds(20))) {
    std::string l = log();
    process_.reset();
    throw std::runtime_error("docker-registry did not start: " + l);
  }
}

TestRegistry::~TestRegistry() = default;

fs::path TestRegistry::ca_file() const {
  return ca_ ? ca_->cert() : fs::path();
}

std::string TestRegistry::log() const {
  return process_ ? process_->log() : std::string();
}

}  // namespace gantry::testing
