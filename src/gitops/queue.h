// A work queue of keys for level-triggered reconcilers, with client-go's
// workqueue contract: a key added many times before a worker takes it is
// processed once; a key is never processed by two workers at once (added
// while processing, it runs again after done()); add_after() schedules a key
// for later (the earliest of several schedules wins).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace gantry::gitops {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  void add(const std::string& key);
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // Blocks until a key is ready or shutdown(); nullopt after shutdown.
  std::optional<std::string> get();
  // The worker finished `key` (it runs again if it was added meanwhile).
  void done(const std::string& key);
  // Forgets scheduled (add_after) runs of `key`.
  void forget(const std::string& key);
  void shutdown();
  size_t pending() const;  // keys waiting to be taken

 private:
  void promote_due_locked(Clock::time_point now);
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;
  std::set<std::string> queued_;      // in ready_
  std::set<std::string> processing_;  // taken, not done
  std::set<std::string> dirty_;       // added while processing
  std::map<std::string, Clock::time_point> scheduled_;
  bool shutdown_ = false;
};

}  // namespace gantry::gitops
