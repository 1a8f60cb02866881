// Leader election with a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it, so that of several controller replicas
// exactly one reconciles:
//  - a candidate takes the Lease when it does not exist, or when its holder
//    has not renewed it for leaseDurationSeconds — measured on the
//    candidate's own clock from when it saw the record last change, never
//    by comparing timestamps written by another machine;
//  - the leader renews it every retry period; a leader that cannot renew
//    for the renew deadline stops leading (before its lease can run out and
//    another replica take over);
//  - every write is an update with the read resourceVersion, so two
//    candidates cannot both win;
//  - release() gives the Lease up at once (holder cleared), for a clean
//    shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "kube/client.h"

namespace gantry::gitops {

struct LeaderOptions {
  std::string ns = "gantry-system";
  std::string name = "gantry-controller";
  std::string identity;  // unique per replica (hostname + pid when empty)
  // client-go's defaults.
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

class LeaderElector {
 public:
  LeaderElector(const kube::Client& client, LeaderOptions options);

  // Blocks until this replica leads (true) or `stop` becomes true (false).
  bool acquire(const std::atomic<bool>& stop);
  // Renews while leading; returns when `stop` becomes true (true) or the
  // lease could not be renewed within the renew deadline (false: leadership
  // lost; stop reconciling at once).
  bool keep(const std::atomic<bool>& stop);
  // Gives the lease up if this replica holds it.
  void release();

  bool leading() const { return leading_.load(); }
  const std::string& identity() const { return opt_.identity; }

 private:
  // One attempt to take or renew; true when this replica holds the lease after it.
  bool try_acquire_or_renew();

  const kube::Client& client_;
  LeaderOptions opt_;
  std::atomic<bool> leading_{false};
  // The last record seen and when (our clock) it last changed.
  std::string observed_holder_, observed_renew_;
  std::chrono::steady_clock::time_point observed_at_{};
};

}  // namespace gantry::gitops
