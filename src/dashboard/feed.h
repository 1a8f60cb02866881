// The dashboard's view of every GantryDeployment and KluctlDeployment: kept
// current by watches (kube/watch.h), never by polling, and numbered so that
// each event stream (server-sent events) can ask for the changes after the
// last one it sent, waiting for the next.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "doc/value.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace gantry::dashboard {

struct FeedChange {
  uint64_t seq = 0;
  std::string key;     // "KIND/NS/NAME"
  doc::Value summary;  // views.h deployment_summary; null when deleted
};

class DeploymentFeed {
 public:
  // `ns` "" watches every namespace.
  DeploymentFeed(const kube::Client& client, kube::RestMapper& mapper, std::string ns);
  ~DeploymentFeed();
  DeploymentFeed(const DeploymentFeed&) = delete;
  DeploymentFeed& operator=(const DeploymentFeed&) = delete;

  // Starts the watches (KluctlDeployment only when the cluster serves it).
  void start();
  // Waits until each watch has delivered its first list.
  bool wait_synced(std::chrono::milliseconds timeout) const;
  // Wakes every waiter and makes wait_changes() return at once from now on.
  void stop();

  // Every summary, sorted by key, and the sequence number they reflect.
  std::vector<doc::Value> summaries(uint64_t* seq = nullptr) const;
  // The whole resource, when known.
  std::optional<doc::Value> resource(const std::string& kind, const std::string& ns,
                                     const std::string& name) const;
  // Whether "Kind ns/name" is in the inventory of any known deployment.
  bool manages(const std::string& kind, const std::string& ns, const std::string& name) const;

  // The changes after `seq`, waiting up to `timeout` for the first. Sets
  // *reset when `seq` is older than the changes kept (1000): the caller
  // should send summaries() again. Returns {} when stopped or timed out.
  std::vector<FeedChange> wait_changes(uint64_t seq, std::chrono::milliseconds timeout,
                                       bool* reset) const;
  bool stopped() const;

  // For tests and the watches: records one object's new state (null: deleted).
  void put(const std::string& kind, const std::string& ns, const std::string& name,
           const doc::Value* resource);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::dashboard
