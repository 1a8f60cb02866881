// Drift repair driven by watches. The controller tells it, per resource,
// which objects it applied (the desired objects of the last sync); it watches
// every resource type involved (one watch per type, all namespaces, the
// objects carrying a discriminator label) and, when a watched object stops
// holding what was applied — edited, scaled, relabelled or deleted by
// someone else — re-applies that one object at once (server-side apply as
// the controller's field manager, taking its fields back), without waiting
// for the next interval.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "doc/value.h"
#include "gitops/queue.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/watch.h"

namespace gantry::gitops {

struct DesiredObject {
  kube::ResourceType type;
  doc::Value object;  // as applied (namespace filled in)
};

// A repair that happened, for the owner's status and events.
struct DriftRepair {
  std::string owner;   // the resource's key
  std::string object;  // "Deployment shop/web"
  std::string change;  // "deleted", "spec.replicas: 1 -> 5"
  bool ok = true;
  std::string error;  // when !ok
};

class DriftRepairer {
 public:
  DriftRepairer(const kube::Client& client, std::string field_manager,
                std::function<void(const DriftRepair&)> on_repair);
  ~DriftRepairer();
  DriftRepairer(const DriftRepairer&) = delete;
  DriftRepairer& operator=(const DriftRepairer&) = delete;

  // Replaces what `owner` applied. Starts watches for new types.
  void set_desired(const std::string& owner, std::vector<DesiredObject> objects);
  // Forgets an owner (deleted, or its objects removed).
  void forget(const std::string& owner);
  // While paused (a sync of the owner runs, or it is suspended), changes of
  // its objects are only noted; resume() checks the noted objects again
  // against what is desired then (re-reading them) and repairs what drifted.
  void pause(const std::string& owner);
  void resume(const std::string& owner);
  // Every watch has delivered its first list.
  bool synced() const;
  uint64_t repairs() const { return repairs_.load(); }
  uint64_t watch_restarts() const;
  void stop();

 private:
  // What was applied is kept as compact JSON (a parsed document costs ten
  // times the memory) and parsed only when an event for the object arrives.
  struct Owned {
    std::string owner;
    kube::ResourceType type;
    std::string desired_json;
  };
  void on_event(const kube::WatchEvent& ev, const std::string& type_key);
  void consider(const std::string& id, const doc::Value* live, bool deleted);
  void repair_loop();
  void repair(const std::string& id);

  const kube::Client& client_;
  std::string manager_;
  std::function<void(const DriftRepair&)> on_repair_;
  mutable std::mutex mu_;
  std::map<std::string, Owned> objects_;                   // identity -> owner and desired
  std::map<std::string, std::set<std::string>> by_owner_;  // owner -> identities
  std::set<std::string> paused_;
  std::map<std::string, std::set<std::string>> noted_;  // paused owner -> identities changed
  std::map<std::string, std::string> pending_change_;   // identity -> what changed (for the report)
  std::map<std::string, std::unique_ptr<kube::Watcher>> watchers_;  // type key -> watch
  WorkQueue repairs_queue_;
  std::vector<std::thread> workers_;
  std::atomic<uint64_t> repairs_{0};
  std::atomic<bool> stopped_{false};
};

// `desired` as the API server stores it (a Secret's stringData becomes
// base64 data), so that comparing it with live objects finds real drift only.
doc::Value as_stored(doc::Value desired);

// The first place where `live` does not hold `desired` ("spec.replicas: 1 -> 5"),
// or "" when it holds all of it. For a Secret's data and stringData only the
// key is named ("data.password: value changed (hidden)"): the text goes to
// the status, logs and the dashboard.
std::string first_difference(const doc::Value& desired, const doc::Value& live);

// `change` (a first_difference text) of an object of `kind` with a Secret's
// values taken out; other kinds' changes are returned as they are.
std::string without_secret_values(std::string_view kind, const std::string& change);

}  // namespace gantry::gitops
