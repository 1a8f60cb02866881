// Real Git servers for tests (header-only), each on a free loopback port and
// stopped and cleaned up on destruction:
//  - GitDaemon: `git daemon` exporting a directory, receive-pack on or off;
//  - GitHttpServer: smart HTTP(S) through the real `git http-backend` CGI,
//    hosted by gantry's own http::Server, which demands basic auth and passes
//    the CGI environment (the authenticated user as REMOTE_USER, so pushes
//    are allowed);
//  - SshServer: OpenSSH's sshd in the foreground with its own host key and
//    config; the client key and known_hosts lines are made with ssh-keygen.
#pragma once

#include <unistd.h>

#include <pwd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/file.h"
#include "core/process.h"
#include "http/server.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/registry.h"

namespace gantry::testing {

// A bare repository `name`.git under `root` holding one commit on main
// (files from `files`), made with the git CLI.
inline std::filesystem::path make_bare_repo(const std::filesystem::path& root,
                                            const std::string& name,
                                            const std::map<std::string, std::string>& files) {
  std::filesystem::path seed = root / (name + "-seed");
  git_init(seed);
  for (const auto& [file, content] : files)
    git_commit_file(seed, file, content, "add " + file);
  std::filesystem::path bare = root / (name + ".git");
  git(root, {"clone", "-q", "--bare", seed.string(), bare.string()});
  std::filesystem::remove_all(seed);
  return bare;
}

class GitDaemon {
 public:
  // Serves every repository below `base` as git://127.0.0.1:PORT/<path>.
  GitDaemon(const std::filesystem::path& base, bool receive_pack) : port_(free_port()) {
    std::vector<std::string> argv{"git",
                                  "daemon",
                                  "--reuseaddr",
                                  "--listen=127.0.0.1",
                                  "--port=" + std::to_string(port_),
                                  "--base-path=" + base.string(),
                                  "--export-all",
                                  "--informative-errors"};
    if (receive_pack) argv.push_back("--enable=receive-pack");
    argv.push_back(base.string());
    process_.emplace(argv, log_dir_.path() / "daemon.log", git_env());
    if (!wait_for_port(port_, std::chrono::seconds(10)))
      throw std::runtime_error("git daemon did not start: " + process_->log());
  }
  std::string url(const std::string& path) const {
    return "git://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }
  std::string log() const { return process_->log(); }

 private:
  TempDir log_dir_;
  int port_;
  std::optional<BackgroundProcess> process_;
};

class GitHttpServer {
 public:
  // Serves the repositories below `root` at http://127.0.0.1:PORT/<path>
  // (https://localhost:PORT/<path> with tls);
  // every request needs basic auth as user:password. With `tls`, HTTPS with a
  // certificate from a CA made for the test (ca_file()).
  GitHttpServer(std::filesystem::path root, std::string user, std::string password,
                bool tls = false)
      : root_(std::move(root)), user_(std::move(user)), password_(std::move(password)) {
    http::ServerOptions o;
    if (tls) {
      http::TlsIdentity ca = http::generate_ca("gantry git test CA", 2);
      o.tls = true;
      // Named "localhost": Debian's libgit2 uses mbedTLS 2, which does not
      // match IP addresses against a certificate's subjectAltNames.
      o.identity = http::issue_server_cert(ca, "localhost", {"localhost"}, {"127.0.0.1"}, 2);
      ca_file_ = dir_.write("ca.pem", ca.cert_pem);
    }
    server_ = std::make_unique<http::Server>(
        o, [this](const http::ServerRequest& req, http::ServerResponse& res) { handle(req, res); });
    server_->start();
    scheme_ = tls ? "https" : "http";
  }
  ~GitHttpServer() { server_->stop(); }
  std::string url(const std::string& path) const {
    return scheme_ + (scheme_ == "https" ? "://localhost:" : "://127.0.0.1:") +
           std::to_string(server_->port()) + "/" + path;
  }
  const std::filesystem::path& ca_file() const { return ca_file_; }
  int unauthorized() const { return unauthorized_; }
  int served() const { return served_; }
  // Called after each request is served by git http-backend and before the
  // answer is sent (a test can change a repository while a client waits).
  // Set before clients connect.
  void on_served(std::function<void(const http::ServerRequest&)> f) { on_served_ = std::move(f); }
  // Called before git http-backend serves a request (a test can change a
  // repository before its refs are advertised). Set before clients connect.
  void on_request(std::function<void(const http::ServerRequest&)> f) { on_request_ = std::move(f); }

 private:
  void handle(const http::ServerRequest& req, http::ServerResponse& res) {
    if (req.header("Authorization") != "Basic " + base64_encode(user_ + ":" + password_)) {
      ++unauthorized_;
      res.status = 401;
      res.headers.emplace_back("WWW-Authenticate", "Basic realm=\"git\"");
      res.body = "authentication required\n";
      return;
    }
    ++served_;
    if (on_request_) on_request_(req);
    std::string query;  // git's queries are plain words (service=git-receive-pack)
    for (const auto& [k, v] : req.params)
      query += (query.empty() ? "" : "&") + k + "=" + v;
    ProcessOptions o;
    o.timeout = std::chrono::minutes(1);
    o.input = req.body;
    o.extra_env = git_env();
    o.extra_env.insert(
        o.extra_env.end(),
        {"GIT_PROJECT_ROOT=" + root_.string(), "GIT_HTTP_EXPORT_ALL=1", "GATEWAY_INTERFACE=CGI/1.1",
         "SERVER_PROTOCOL=HTTP/1.1", "REQUEST_METHOD=" + req.method, "PATH_INFO=" + req.path,
         "QUERY_STRING=" + query, "CONTENT_TYPE=" + req.header("Content-Type"),
         "CONTENT_LENGTH=" + std::to_string(req.body.size()), "REMOTE_USER=" + user_,
         "REMOTE_ADDR=127.0.0.1", "GIT_PROTOCOL=" + req.header("Git-Protocol")});
    ProcessResult r = run_process({"git", "http-backend"}, o);
    // CGI output: header lines, a blank line, the body.
    size_t end = r.out.find("\r\n\r\n");
    size_t skip = 4;
    if (end == std::string::npos) {
      end = r.out.find("\n\n");
      skip = 2;
    }
    if (r.exit_code != 0 || end == std::string::npos) {
      res.status = 500;
      res.body = "git http-backend failed: " + r.err;
      return;
    }
    res.content_type = "application/octet-stream";
    std::istringstream headers(r.out.substr(0, end));
    for (std::string line; std::getline(headers, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon), value = line.substr(colon + 1);
      while (!value.empty() && value[0] == ' ')
        value.erase(0, 1);
      if (name == "Status")
        res.status = std::stoi(value);
      else if (name == "Content-Type")
        res.content_type = value;
      else
        res.headers.emplace_back(name, value);
    }
    res.body = r.out.substr(end + skip);
    if (on_served_) on_served_(req);
  }

  std::filesystem::path root_;
  std::string user_, password_, scheme_;
  TempDir dir_;
  std::filesystem::path ca_file_;
  std::unique_ptr<http::Server> server_;
  std::atomic<int> unauthorized_{0}, served_{0};
  std::function<void(const http::ServerRequest&)> on_served_, on_request_;
};

class SshServer {
 public:
  static bool available() {
    return std::filesystem::exists("/usr/sbin/sshd") && find_program("ssh-keygen").has_value();
  }

  SshServer() : port_(free_port()) {
    const std::filesystem::path& d = dir_.path();
    keygen(d / "host_key");
    keygen(d / "client_key");
    std::filesystem::copy_file(d / "client_key.pub", d / "authorized_keys");
    if (::geteuid() == 0) std::filesystem::create_directories("/run/sshd");  // privilege separation
    dir_.write("sshd_config", "Port " + std::to_string(port_) +
                                  "\n"
                                  "ListenAddress 127.0.0.1\n"
                                  "HostKey " +
                                  (d / "host_key").string() +
                                  "\n"
                                  "AuthorizedKeysFile " +
                                  (d / "authorized_keys").string() +
                                  "\n"
                                  "PidFile none\n"
                                  "StrictModes no\n"
                                  "UsePAM no\n"
                                  "PasswordAuthentication no\n"
                                  "KbdInteractiveAuthentication no\n"
                                  "PubkeyAuthentication yes\n"
                                  "PermitRootLogin prohibit-password\n"
                                  "LogLevel VERBOSE\n");
    process_.emplace(
        std::vector<std::string>{"/usr/sbin/sshd", "-D", "-e", "-f", (d / "sshd_config").string()},
        d / "sshd.log");
    if (!wait_for_port(port_, std::chrono::seconds(10)))
      throw std::runtime_error("sshd did not start: " + process_->log());
  }

  // ssh://USER@127.0.0.1:PORT/abs/path for a repository on this machine.
  std::string url(const std::filesystem::path& repo) const {
    return "ssh://" + user() + "@127.0.0.1:" + std::to_string(port_) + repo.string();
  }
  int port() const { return port_; }
  std::filesystem::path client_key() const { return dir_.path() / "client_key"; }
  // "[127.0.0.1]:PORT ssh-ed25519 AAAA..." naming this server's host key.
  std::string known_hosts_line() const {
    std::string pub = read_file(dir_.path() / "host_key.pub");
    return "[127.0.0.1]:" + std::to_string(port_) + " " + pub.substr(0, pub.rfind(' ')) + "\n";
  }
  std::string log() const { return process_->log(); }
  // Lets the key whose public half is `pub` log in too.
  void authorize(const std::filesystem::path& pub) const {
    write_file_atomic(dir_.path() / "authorized_keys",
                      read_file(dir_.path() / "authorized_keys") + read_file(pub));
  }

  static std::string user() {
    const passwd* pw = ::getpwuid(::geteuid());
    return pw ? pw->pw_name : "root";
  }
  // A key pair without passphrase; ed25519 by default (libssh2 1.10 signs RSA
  // keys with SHA-1 only, which OpenSSH 9 refuses; ed25519 works with both).
  static void keygen(const std::filesystem::path& file, const std::string& type = "ed25519") {
    ProcessResult r = run_process(
        {"ssh-keygen", "-q", "-t", type, "-N", "", "-C", "gantry-test", "-f", file.string()});
    if (r.exit_code != 0) throw std::runtime_error("ssh-keygen failed: " + r.err);
  }

 private:
  TempDir dir_;
  int port_;
  std::optional<BackgroundProcess> process_;
};

}  // namespace gantry::testing
