#include "kube/watch.h"

#include <atomic>
#include <map>
#include <thread>

#include "core/error.h"
#include "doc/json.h"
#include "http/client.h"
#include "kube/objects.h"

namespace gantry::kube {

using doc::Value;
using Clock = std::chrono::steady_clock;

namespace {

// Thrown from the stream's sink when the server says the resourceVersion is too old.
struct Gone {};

std::string key_of(const Value& o) {
  return namespace_of(o) + "/" + name_of(o);
}

std::string rv_of(const Value& o) {
  const Value* v = o.find_path({"metadata", "resourceVersion"});
  return v && v->is_string() ? v->as_string() : "";
}

}  // namespace

struct Watcher::Impl {
  const Client& client;
  ResourceType type;
  WatchOptions opt;
  std::function<void(const WatchEvent&)> on_event;
  std::thread thread;
  std::atomic<bool> stopping{false}, synced{false}, running{false};
  std::atomic<uint64_t> restarts{0}, relists{0};
  std::map<std::string, std::string> known;  // ns/name -> resourceVersion delivered
  std::string rv;                            // where the next watch starts
  bool first_watch = true;

  Impl(const Client& c, ResourceType t, WatchOptions o, std::function<void(const WatchEvent&)> f)
      : client(c), type(std::move(t)), opt(std::move(o)), on_event(std::move(f)) {}

  void deliver(WatchEvent::Type t, Value obj) {
    try {
      on_event(WatchEvent{t, std::move(obj)});
    } catch (...) {
      // A callback's failure is the callback's; the watch goes on.
    }
  }

  void relist() {
    std::string list_rv;
    std::vector<Value> items = list(client, type, opt.ns, opt.label_selector, &list_rv);
    std::map<std::string, std::string> now;
    for (Value& o : items) {
      std::string k = key_of(o), r = rv_of(o);
      now[k] = r;
      auto it = known.find(k);
      if (it == known.end()) {
        deliver(WatchEvent::Type::kAdded, std::move(o));
      } else if (it->second != r) {
        deliver(WatchEvent::Type::kModified, std::move(o));
      }
    }
    for (const auto& [k, r] : known)
      if (!now.count(k)) {
        size_t slash = k.find('/');
        Value md = Value::object({{"name", k.substr(slash + 1)}});
        if (slash > 0) md.set("namespace", k.substr(0, slash));
        deliver(WatchEvent::Type::kDeleted,
                Value::object(
                    {{"apiVersion", type.api_version()}, {"kind", type.kind}, {"metadata", md}}));
      }
    known = std::move(now);
    rv = list_rv;
    synced = true;
  }

  void handle_line(std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;  // keep-alive
    Value ev = doc::parse_json(line, "watch event");
    std::string t = ev.get_string("type");
    Value* obj = ev.find("object");
    if (!obj) return;
    if (t == "ERROR") {
      const Value* code = obj->find("code");
      if (code && code->is_int() && code->as_int() == 410) throw Gone{};
      throw Error("the watch of " + type.resource + " failed: " + obj->get_string("message"),
                  ExitCode::kExternal);
    }
    std::string r = rv_of(*obj);
    if (!r.empty()) rv = r;
    if (t == "BOOKMARK") return;
    if (!obj->contains("apiVersion")) obj->set("apiVersion", type.api_version());
    if (!obj->contains("kind")) obj->set("kind", type.kind);
    std::string k = key_of(*obj);
    if (t == "DELETED") {
      known.erase(k);
      deliver(WatchEvent::Type::kDeleted, std::move(*obj));
    } else if (t == "ADDED" || t == "MODIFIED") {
      bool is_new = !known.count(k);
      known[k] = r;
      deliver(is_new ? WatchEvent::Type::kAdded : WatchEvent::Type::kModified, std::move(*obj));
    }
  }

  // One watch request, until the server ends it. Throws Error on failures, Gone on 410.
  void watch_once() {
    std::string path = type.collection_path(opt.ns) +
                       "?watch=1&allowWatchBookmarks=true&resourceVersion=" + http::url_encode(rv) +
                       "&timeoutSeconds=" + std::to_string(opt.timeout.count());
    if (!opt.label_selector.empty())
      path += "&labelSelector=" + http::url_encode(opt.label_selector);
    if (!first_watch) ++restarts;
    first_watch = false;
    std::string buffer;
    auto sink = [&](std::string_view chunk) {
      buffer.append(chunk);
      size_t start = 0;
      for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1)
        handle_line(std::string_view(buffer).substr(start, nl - start));
      buffer.erase(0, start);
      if (buffer.size() > (64u << 20))
        throw Error("a watch event of " + type.resource + " is larger than 64 MiB",
                    ExitCode::kExternal);
    };
    Response r = client.stream(path, sink, [this] { return stopping.load(); });
    if (r.status == 410) throw Gone{};
    if (!r.ok()) throw Error("watching " + type.resource + ": " + r.message(), ExitCode::kExternal);
    if (!buffer.empty()) handle_line(buffer);
  }

  void run() {
    auto backoff = std::chrono::milliseconds(100);
    bool need_list = true;
    while (!stopping.load()) {
      try {
        if (need_list) {
          if (synced.load()) ++relists;
          relist();
          need_list = false;
        }
        auto began = Clock::now();
        watch_once();
        // A watch that ran a while worked: start the backoff again.
        if (Clock::now() - began > std::chrono::seconds(1))
          backoff = std::chrono::milliseconds(100);
        continue;
      } catch (const Gone&) {
        need_list = true;
        continue;
      } catch (const std::exception&) {
        if (stopping.load()) break;
        // Resume from the last resourceVersion (or list again if we never listed).
      }
      auto until = Clock::now() + backoff;
      while (!stopping.load() && Clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
};

Watcher::Watcher(const Client& client, ResourceType type, WatchOptions options,
                 std::function<void(const WatchEvent&)> on_event)
    : impl_(std::make_unique<Impl>(client, std::move(type), std::move(options),
                                   std::move(on_event))) {}

Watcher::~Watcher() {
  stop();
}

void Watcher::start() {
  if (impl_->running.exchange(true)) return;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void Watcher::stop() {
  impl_->stopping = true;
  if (impl_->thread.joinable()) impl_->thread.join();
}

bool Watcher::synced() const {
  return impl_->synced.load();
}
uint64_t Watcher::restarts() const {
  return impl_->restarts.load();
}
uint64_t Watcher::relists() const {
  return impl_->relists.load();
}

bool Watcher::wait_synced(std::chrono::milliseconds timeout) const {
  auto until = Clock::now() + timeout;
  while (!impl_->synced.load()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace gantry::kube
