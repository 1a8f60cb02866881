// A reusable HTTP client on libcurl.
//
// One Client is shared by many threads: connections, DNS results and TLS
// sessions are kept in a curl share handle, so requests to the same host reuse
// connections (HTTP/2 is negotiated over TLS when the server offers it).
// Requests that fail on the way (broken connection, 429, 502/503/504, 500) are
// retried with exponential backoff and jitter, honouring Retry-After.
//
// The client knows nothing about what it talks to; callers build URLs,
// headers and bodies. It never writes header values or bodies into errors,
// so secrets in Authorization headers cannot leak through it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::http {

struct Header {
  std::string name;  // lower-case in responses
  std::string value;
};
using Headers = std::vector<Header>;

struct ClientOptions {
  // Extra trusted CA certificates (PEM), in addition to the system bundle.
  std::string ca_pem;
  // Trust only ca_pem, not the system bundle (kubectl's rule for a cluster CA).
  bool ca_exclusive = false;
  // Idle connections kept for reuse (per Client); should be at least the
  // number of requests in flight at once.
  long max_connections = 64;
  // Skip TLS certificate and host name verification.
  bool insecure_tls = false;
  // A client certificate and its private key (PEM) for mutual TLS; both or neither.
  std::string client_cert_pem;
  std::string client_key_pem;
  std::chrono::milliseconds connect_timeout{10'000};
  // A transfer that moves no byte for this long is aborted (and retried).
  std::chrono::milliseconds stall_timeout{60'000};
  int max_retries = 4;
  std::chrono::milliseconds retry_base{250};
  std::chrono::milliseconds retry_max{10'000};
  // Upper bound for a server's Retry-After.
  std::chrono::milliseconds retry_after_max{60'000};
  std::string user_agent = "gantry";
};

// What a request sends. The referenced memory or file must stay valid for the
// duration of send(). Memory and file bodies are re-sent on retries; a stream
// body is not rewindable, so a request with one is never retried.
struct Body {
  enum class Kind { kNone, kMemory, kFile, kStream };
  Kind kind = Kind::kNone;
  std::string_view data;
  std::filesystem::path file;
  uint64_t offset = 0;
  uint64_t length = 0;  // file and stream bodies: bytes to send
  // Stream bodies: fills up to n bytes into buf and returns how many; 0 means
  // end of stream. May throw to abort the request.
  std::function<size_t(char* buf, size_t n)> reader;

  static Body memory(std::string_view d) {
    Body b;
    b.kind = Kind::kMemory;
    b.data = d;
    b.length = d.size();
    return b;
  }
  static Body file_range(std::filesystem::path p, uint64_t offset, uint64_t length) {
    Body b;
    b.kind = Kind::kFile;
    b.file = std::move(p);
    b.offset = offset;
    b.length = length;
    return b;
  }
  static Body stream(std::function<size_t(char*, size_t)> r, uint64_t length) {
    Body b;
    b.kind = Kind::kStream;
    b.reader = std::move(r);
    b.length = length;
    return b;
  }
};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  Body body;
  // Follow 3xx responses (for GETs of content that may live elsewhere). Custom
  // Authorization headers are not sent to another host.
  bool follow_redirects = false;
  // Retry on broken connections and 429/5xx. Set false for non-idempotent steps.
  bool retry = true;
  // Largest response body accepted; more is an Error, not a truncated read.
  uint64_t max_body_bytes = 64u << 20;
  // When set, a 2xx response body is passed to the sink chunk by chunk instead
  // of being collected in Response::body. The sink may throw to abort.
  std::function<void(std::string_view chunk)> sink;
  // Called before a retry of a request whose sink has already received data;
  // without it such a request is not retried.
  std::function<void()> on_retry;
  // Bytes moved so far (download or upload) of this attempt.
  std::function<void(uint64_t bytes)> on_progress;
  // Overall time limit of one attempt; 0 means none.
  std::chrono::milliseconds timeout{0};
  // How long the transfer may move no byte before it is given up: negative
  // uses ClientOptions::stall_timeout; 0 never gives up (long-lived streams
  // such as Kubernetes watches, which may be quiet for minutes).
  std::chrono::milliseconds stall_timeout{-1};
  // Polled about once a second (and on every chunk) while the request runs;
  // returning true aborts it with an Error (kExternal, "cancelled").
  std::function<bool()> cancelled;
};

struct Response {
  long status = 0;
  Headers headers;   // of the final response (after redirects)
  std::string body;  // unless the request had a sink and the status was 2xx
  std::string url;   // effective URL (after redirects)
  int attempts = 1;

  // First value of a header (name compared case-insensitively).
  std::optional<std::string> header(std::string_view name) const;
  std::vector<std::string> header_all(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs the request (with retries). Transport failures after the last
  // retry throw Error (kExternal) naming the method and URL; HTTP error
  // statuses are returned, not thrown.
  Response send(const Request& request) const;

  const ClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Resolves a possibly relative reference (Location headers) against a base URL.
std::string resolve_url(std::string_view base, std::string_view ref);

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

// Parses a Retry-After value (seconds or HTTP date) into a delay; nullopt when invalid.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value);

}  // namespace gantry::http
