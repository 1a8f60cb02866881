// Watching a resource type, level-triggered like client-go's reflector: list,
// then watch from the list's resourceVersion, resuming where it left off.
//
// Lists `type` (all pages) and delivers every object as kAdded, then watches
// from the list's resourceVersion with allowWatchBookmarks, resuming from the
// last resourceVersion seen (bookmarks included) whenever the server ends a
// watch or the connection drops (backoff from 100 ms doubling to 5 s, reset
// after a watch that worked). On 410 Gone (the HTTP status or an ERROR event)
// it lists again and delivers the difference against what it had delivered:
// objects that vanished as kDeleted, changed ones as kModified, new ones as
// kAdded — so nothing is missed. Only name -> resourceVersion is kept for that,
// not the objects.
//
// Events are delivered one at a time, in order, on the watcher's own thread;
// the callback should be quick (queue work, do not do it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "doc/value.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace gantry::kube {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted };
  Type type;
  doc::Value
      object;  // for kDeleted: its last state (after a relist: apiVersion, kind and metadata only)
};

struct WatchOptions {
  std::string ns;                     // "" = all namespaces (or cluster-scoped)
  std::string label_selector;         // e.g. "gantry.dev/discriminator" (the label exists)
  std::chrono::seconds timeout{300};  // timeoutSeconds of one watch request; then it resumes
};

class Watcher {
 public:
  Watcher(const Client& client, ResourceType type, WatchOptions options,
          std::function<void(const WatchEvent&)> on_event);
  ~Watcher();  // stops
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void start();
  // Returns within about a second, also while the server sends nothing.
  void stop();
  bool synced() const;        // the first list has been delivered
  uint64_t restarts() const;  // watch requests made after the first
  uint64_t relists() const;   // lists after 410 Gone
  // Waits until synced() (true) or the timeout passes (false).
  bool wait_synced(std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::kube
