#include "dashboard/feed.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "dashboard/views.h"
#include "gitops/resource.h"
#include "kube/watch.h"

namespace gantry::dashboard {

namespace {
constexpr size_t kKeptChanges = 1000;

std::string key_of(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}
}  // namespace

struct DeploymentFeed::Impl {
  const kube::Client& client;
  kube::RestMapper& mapper;
  std::string ns;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::map<std::string, doc::Value> resources;  // key -> resource
  std::map<std::string, doc::Value> summaries;  // key -> summary
  std::deque<FeedChange> changes;
  uint64_t seq = 0;
  bool stopping = false;
  std::vector<std::unique_ptr<kube::Watcher>> watchers;

  Impl(const kube::Client& c, kube::RestMapper& m, std::string n)
      : client(c), mapper(m), ns(std::move(n)) {}
};

DeploymentFeed::DeploymentFeed(const kube::Client& client, kube::RestMapper& mapper, std::string ns)
    : impl_(std::make_unique<Impl>(client, mapper, std::move(ns))) {}

DeploymentFeed::~DeploymentFeed() {
  stop();
}

void DeploymentFeed::start() {
  std::vector<kube::ResourceType> types{gitops::gantry_deployment_type()};
  kube::ResourceType k = gitops::kluctl_deployment_type();
  if (impl_->mapper.find(k.api_version(), k.kind)) types.push_back(k);
  for (const auto& t : types) {
    kube::WatchOptions wo;
    wo.ns = impl_->ns;
    auto w = std::make_unique<kube::Watcher>(
        impl_->client, t, wo, [this, kind = t.kind](const kube::WatchEvent& ev) {
          const doc::Value* meta = ev.object.find("metadata");
          if (!meta) return;
          put(kind, meta->get_string("namespace"), meta->get_string("name"),
              ev.type == kube::WatchEvent::Type::kDeleted ? nullptr : &ev.object);
        });
    w->start();
    impl_->watchers.push_back(std::move(w));
  }
}

bool DeploymentFeed::wait_synced(std::chrono::milliseconds timeout) const {
  auto until = std::chrono::steady_clock::now() + timeout;
  for (const auto& w : impl_->watchers) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !w->wait_synced(left)) return false;
  }
  return true;
}

void DeploymentFeed::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  for (auto& w : impl_->watchers)
    w->stop();
}

bool DeploymentFeed::stopped() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stopping;
}

void DeploymentFeed::put(const std::string& kind, const std::string& ns, const std::string& name,
                         const doc::Value* resource) {
  std::string key = key_of(kind, ns, name);
  FeedChange ch;
  ch.key = key;
  if (resource) ch.summary = deployment_summary(*resource);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (resource) {
      impl_->resources[key] = *resource;
      impl_->summaries[key] = ch.summary;
    } else {
      impl_->resources.erase(key);
      impl_->summaries.erase(key);
    }
    ch.seq = ++impl_->seq;
    impl_->changes.push_back(std::move(ch));
    while (impl_->changes.size() > kKeptChanges)
      impl_->changes.pop_front();
  }
  impl_->cv.notify_all();
}

std::vector<doc::Value> DeploymentFeed::summaries(uint64_t* seq) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<doc::Value> out;
  out.reserve(impl_->summaries.size());
  for (const auto& [k, v] : impl_->summaries)
    out.push_back(v);
  if (seq) *seq = impl_->seq;
  return out;
}

std::optional<doc::Value> DeploymentFeed::resource(const std::string& kind, const std::string& ns,
                                                   const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->resources.find(key_of(kind, ns, name));
  if (it == impl_->resources.end()) return std::nullopt;
  return it->second;
}

bool DeploymentFeed::manages(const std::string& kind, const std::string& ns,
                             const std::string& name) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (const auto& [k, r] : impl_->resources)
    for (const auto& e : inventory_of(r))
      if (e.kind == kind && e.ns == ns && e.name == name) return true;
  return false;
}

std::vector<FeedChange> DeploymentFeed::wait_changes(uint64_t seq,
                                                     std::chrono::milliseconds timeout,
                                                     bool* reset) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  *reset = false;
  impl_->cv.wait_for(lock, timeout, [&] { return impl_->stopping || impl_->seq > seq; });
  if (impl_->stopping || impl_->seq <= seq) return {};
  if (impl_->changes.empty() || impl_->changes.front().seq > seq + 1) {
    *reset = true;
    return {};
  }
  std::vector<FeedChange> out;
  for (const auto& c : impl_->changes)
    if (c.seq > seq) out.push_back(c);
  return out;
}

}  // namespace gantry::dashboard
