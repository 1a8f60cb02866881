// The controller's HTTP endpoints, on one port (`gantry controller --listen`):
//   GET  /metrics    Prometheus text (gitops/metrics.h)
//   GET  /healthz    200 while the process's main loop turns (liveness)
//   GET  /readyz     200 once the leader's watches have listed; a standby
//                    is ready at once (readiness)
//   POST /hooks/git  a Git push (gitops/webhook.h): every GantryDeployment
//                    and KluctlDeployment whose source URL and ref match is
//                    asked to reconcile now, through the API (the same
//                    request annotation as `gantry reconcile`), so any
//                    replica can take the hook and the leader acts on it.
//   POST /hooks/registry  a registry's push notification, with
//                    `Authorization: Bearer <webhook secret>`: every
//                    GantryImageUpdate and ImageUpdateAutomation (not
//                    suspended) is asked to scan now, the same way.
// Bodies over 1 MiB get 413; bad signatures 401 (logged without the body).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gitops/controller.h"
#include "kube/client.h"

namespace gantry::gitops {

struct EndpointOptions {
  std::string listen;  // "HOST:PORT" or ":PORT" (all interfaces); port 0 picks one
  // The Secret (key `token`) holding the webhook secret; empty: /hooks/git answers 401.
  std::string webhook_secret_namespace, webhook_secret_name;
  std::vector<std::string> namespaces;  // where to look for resources (empty: all)
  std::filesystem::path cache_dir;      // discovery cache
  std::function<void(const LogRecord&)> log;
};

class Endpoints {
 public:
  // Binds the port (Error when it cannot) and serves on a background thread.
  Endpoints(const Controller& controller, const kube::Client& client, EndpointOptions options);
  ~Endpoints();
  Endpoints(const Endpoints&) = delete;
  Endpoints& operator=(const Endpoints&) = delete;

  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::gitops
