// The GitOps controller: keeps clusters equal to Git.
//
// It watches GantryDeployment (and KluctlDeployment) resources and reconciles
// each, level-triggered: a watch event, an interval or a manual request only
// says which resource to look at; reconcile() reads the resource, its source
// and the cluster and converges. Per resource, top to bottom:
//   get the resource -> handle deletion (finalizer) -> fetch the Git source
//   -> render the target -> sync (plan, apply, prune: gitops/sync.h)
//   -> hand the applied objects to drift repair -> write status and events
//   -> schedule the next run (interval, or retry with backoff).
// Reconciles of different resources run in parallel (`concurrency`); one
// resource never runs twice at once (gitops/queue.h). Drift of managed
// objects is repaired from watches within about a second (gitops/drift.h).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gitops/leader.h"
#include "kube/client.h"

namespace gantry::gitops {

struct LogRecord {
  std::string level;  // "info", "warn", "error"
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;  // resource, revision, ...
};

struct ControllerOptions {
  std::vector<std::string> watch_namespaces;  // empty: all namespaces
  size_t concurrency = 4;                     // resources reconciled at once
  size_t jobs = 16;                           // requests in flight within one sync
  std::filesystem::path cache_dir;            // Git sources and discovery (required)
  std::string field_manager = "gantry-controller";
  // For the clients the controller makes itself (kubeconfig Secrets,
  // impersonation): the user agent says who makes the requests.
  kube::ClientSettings client_settings;
  bool kluctl = true;  // also reconcile KluctlDeployments when their CRD is served
  std::function<void(const LogRecord&)> log;
  // With several replicas: only the holder of the Lease reconciles.
  bool leader_election = false;
  LeaderOptions leader;
};

struct ControllerStats {
  uint64_t reconciles = 0, failures = 0, drift_repairs = 0, watch_restarts = 0;
};

class Controller {
 public:
  // Throws Error when the GantryDeployment CRD is not installed (install it
  // with `gantry controller --crds | kubectl apply --server-side -f -`).
  Controller(const kube::Client& client, ControllerOptions options);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Runs until `stop` becomes true. In-flight reconciles finish the step they
  // are in (an apply or a wait is not interrupted mid-object; readiness waits
  // end at their timeout); what was not done is reconciled on the next start.
  // With leader election it first waits to lead, and releases the Lease when
  // stopped; it returns false when leadership was lost (the caller should
  // exit, as client-go's controllers do, so that a fresh process competes again).
  bool run(const std::atomic<bool>& stop);

  ControllerStats stats() const;

  // The Prometheus text of /metrics (gitops/metrics.h).
  std::string metrics_text() const;
  // /readyz: a standby is ready; the leader once its watches have listed
  // (else false, with the reason in `why`).
  bool ready(std::string* why = nullptr) const;
  // /healthz: the main loop turned within the last 30 s.
  bool alive() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::gitops
