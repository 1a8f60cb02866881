// The sandbox's Kubernetes API: an in-memory object store with the REST
// semantics of kube-apiserver (discovery, CRUD, list, watch, patches,
// server-side apply, deletion with finalizers and garbage collection) and
// simulated controllers that fill in workload status.
//
// Api is independent of the transport: handle() takes one HTTP request and
// fills the response (watches stream through the response's callback).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "doc/value.h"
#include "http/server.h"

namespace gantry::sandbox {

struct ApiOptions {
  std::string token;  // bearer token every request must carry; empty: no authentication
  std::chrono::milliseconds ready_delay{2000};  // simulated rollout time
  std::string server_address = "127.0.0.1:0";   // host:port clients use
  size_t max_events = 20000;  // changes kept for watches resuming from a resourceVersion
};

class Api {
 public:
  explicit Api(ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void handle(const http::ServerRequest& req, http::ServerResponse& res);

  // One pass of the simulated controllers, garbage collection, namespace and
  // finalizer processing. Called periodically by the server loop.
  void reconcile();

  // The whole state as JSON ({"resourceVersion": N, "objects": [...]}) and its restore.
  std::string snapshot_json() const;
  void restore(const doc::Value& snapshot);
  // Increases with every stored change (to decide when to persist).
  uint64_t resource_version() const;

  // Ends every open watch (before the server stops).
  void shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::sandbox
