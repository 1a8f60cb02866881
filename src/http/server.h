// A small embeddable HTTP(S) server on cpp-httplib, plus the TLS helpers to
// run it with a freshly generated certificate authority.
//
// One handler sees every request (method, path, query, headers, body) and
// fills a response: a body, or a stream callback that writes chunks until it
// returns (for long-polling and event streams). The server knows nothing
// about what it serves.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::http {

// A PEM certificate and its PEM private key.
struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA certificate (EC P-256, basicConstraints CA:TRUE) valid for `days`.
TlsIdentity generate_ca(const std::string& common_name, int days = 3650);

// A server certificate signed by `ca` with the given DNS names and IP addresses
// as subjectAltNames (serverAuth usage).
TlsIdentity issue_server_cert(const TlsIdentity& ca, const std::string& common_name,
                              const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses, int days = 3650);

// A client certificate signed by `ca` (clientAuth usage), for mutual TLS.
TlsIdentity issue_client_cert(const TlsIdentity& ca, const std::string& common_name,
                              int days = 3650);

// "HOST:PORT", ":PORT" (all interfaces: 0.0.0.0), "[::1]:PORT" -> host and
// port, for --listen flags. Throws Error(kUsage) for anything else.
std::pair<std::string, int> parse_listen(const std::string& listen);

struct ServerRequest {
  std::string method;
  std::string path;  // decoded path, without the query
  std::multimap<std::string, std::string> params;
  std::multimap<std::string, std::string>
      headers;  // names as sent (httplib compares case-insensitively)
  std::string body;
  std::string remote_addr;

  // First value of a header (case-insensitive name) or "".
  std::string header(std::string_view name) const;
  bool has_param(std::string_view name) const;
  std::string param(std::string_view name) const;
};

// Given to stream callbacks: write() sends one chunk; false once the client is gone.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  virtual bool write(std::string_view data) = 0;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is sent chunked by this callback instead of `body`.
  std::function<void(StreamWriter&)> stream;
};

using Handler = std::function<void(const ServerRequest&, ServerResponse&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;      // 0: pick a free port
  bool tls = false;  // serve HTTPS with `identity`
  TlsIdentity identity;
  // With TLS: require a client certificate signed by this CA (PEM).
  std::string client_ca_pem;
  size_t worker_threads = 128;  // concurrent requests (streams hold one each)
  size_t max_body_bytes = 64u << 20;
};

class Server {
 public:
  // Binds the socket (throws gantry::Error when it cannot); serving starts with run()/start().
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return port_; }
  // Serves on the calling thread until stop().
  void run();
  // Serves on a background thread.
  void start();
  // Stops accepting and waits for the background thread (if any).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace gantry::http
