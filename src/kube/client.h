// A client for one Kubernetes API server, as one user.
//
// Built on http::Client (libcurl): connections, TLS sessions and HTTP/2
// streams are shared by every thread using the Client, and broken
// connections, 429 and 5xx answers are retried with backoff. Authentication
// follows the kubeconfig: client certificates, bearer tokens (inline or a
// token file, re-read after a 401), basic auth, and exec credential plugins
// (run on first use, cached until their expirationTimestamp, run again after a
// 401). Credentials never appear in errors or logs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "doc/value.h"
#include "kube/kubeconfig.h"

namespace gantry::kube {

struct Response {
  long status = 0;
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
  // The body parsed as JSON (throws Error for a body that is not JSON).
  doc::Value json() const;
  // The server's explanation of a failed request: the Status message when the
  // body is a Status, else "HTTP <status>" and the start of the body.
  std::string message() const;
  // The Status reason ("NotFound", "Conflict", "Invalid", ...) or "".
  std::string reason() const;
};

struct ClientSettings {
  std::chrono::milliseconds request_timeout{60'000};
  std::string user_agent = "gantry";
};

class Client {
 public:
  // Throws Error when the access cannot be used (an exec plugin that fails,
  // an unreadable token file).
  explicit Client(ClusterAccess access, ClientSettings settings = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one request to `path` ("/api/v1/namespaces?limit=500"). Transport
  // failures after the retries throw Error (kExternal, naming the server);
  // HTTP error statuses are returned.
  Response send(std::string_view method, const std::string& path, std::string_view body = {},
                std::string_view content_type = "application/json",
                std::string_view accept = "application/json") const;

  // A GET whose 2xx body is passed to `sink` chunk by chunk as it arrives (a
  // watch), without the usual stall limit or retries; `cancelled` is polled
  // about once a second and aborts the request (Error) when it returns true.
  // A failed request's body is in the returned Response.
  Response stream(const std::string& path, const std::function<void(std::string_view)>& sink,
                  const std::function<bool()>& cancelled) const;

  const ClusterAccess& access() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::kube
