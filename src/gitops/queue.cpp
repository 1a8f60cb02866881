#include "gitops/queue.h"

#include <algorithm>

namespace gantry::gitops {

void WorkQueue::add(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return;
  if (processing_.count(key)) {
    dirty_.insert(key);
    return;
  }
  if (queued_.insert(key).second) ready_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add_after(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return add(key);
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return;
  auto at = Clock::now() + delay;
  auto it = scheduled_.find(key);
  if (it == scheduled_.end() || at < it->second) scheduled_[key] = at;
  cv_.notify_all();
}

void WorkQueue::promote_due_locked(Clock::time_point now) {
  for (auto it = scheduled_.begin(); it != scheduled_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    const std::string& key = it->first;
    if (processing_.count(key)) {
      dirty_.insert(key);
    } else if (queued_.insert(key).second) {
      ready_.push_back(key);
    }
    it = scheduled_.erase(it);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (shutdown_) return std::nullopt;
    auto now = Clock::now();
    promote_due_locked(now);
    if (!ready_.empty()) {
      std::string key = ready_.front();
      ready_.pop_front();
      queued_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (scheduled_.empty()) {
      cv_.wait(lock);
    } else {
      auto next =
          std::min_element(scheduled_.begin(), scheduled_.end(), [](const auto& a, const auto& b) {
            return a.second < b.second;
          })->second;
      cv_.wait_until(lock, next);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  processing_.erase(key);
  if (dirty_.erase(key) && !shutdown_) {
    if (queued_.insert(key).second) ready_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  scheduled_.erase(key);
}

void WorkQueue::shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size();
}

}  // namespace gantry::gitops
