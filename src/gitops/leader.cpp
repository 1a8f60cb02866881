#include "gitops/leader.h"

#include <unistd.h>

#include <thread>

#include "core/timestamp.h"
#include "doc/json.h"

namespace gantry::gitops {

using doc::Value;
using Clock = std::chrono::steady_clock;

namespace {

// A MicroTime ("2026-12-05T10:04:05.123456Z").
std::string micro_now() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
            1000000;
  std::string s = utc_timestamp(now);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(us));
  return s.substr(0, s.size() - 1) + frac + "Z";
}

std::string default_identity() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "gantry");
  return std::string(host) + "_" + std::to_string(getpid());
}

}  // namespace

LeaderElector::LeaderElector(const kube::Client& client, LeaderOptions options)
    : client_(client), opt_(std::move(options)) {
  if (opt_.identity.empty()) opt_.identity = default_identity();
}

bool LeaderElector::try_acquire_or_renew() {
  const std::string base = "/apis/coordination.k8s.io/v1/namespaces/" + opt_.ns + "/leases";
  const int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(opt_.lease_duration).count();
  std::string now = micro_now();
  kube::Response r = client_.send("GET", base + "/" + opt_.name);
  if (r.status == 404) {
    Value lease =
        Value::object({{"apiVersion", "coordination.k8s.io/v1"},
                       {"kind", "Lease"},
                       {"metadata", Value::object({{"name", opt_.name}, {"namespace", opt_.ns}})},
                       {"spec", Value::object({{"holderIdentity", opt_.identity},
                                               {"leaseDurationSeconds", seconds},
                                               {"acquireTime", now},
                                               {"renewTime", now},
                                               {"leaseTransitions", 0}})}});
    kube::Response c = client_.send("POST", base, doc::to_json(lease));
    if (!c.ok()) return false;
    observed_holder_ = opt_.identity;
    observed_renew_ = now;
    observed_at_ = Clock::now();
    return true;
  }
  if (!r.ok()) return false;
  Value lease = r.json();
  Value& spec = lease["spec"];
  if (!spec.is_map()) spec = Value::map();
  std::string holder = spec.get_string("holderIdentity");
  std::string renew = spec.get_string("renewTime");
  if (holder != observed_holder_ || renew != observed_renew_) {
    observed_holder_ = holder;
    observed_renew_ = renew;
    observed_at_ = Clock::now();
  }
  bool mine = holder == opt_.identity;
  const Value* d = spec.find("leaseDurationSeconds");
  auto duration = d && d->is_int() ? std::chrono::seconds(d->as_int()) : opt_.lease_duration;
  if (!mine && !holder.empty() && Clock::now() < observed_at_ + duration) return false;
  if (!mine) {
    spec.set("acquireTime", now);
    const Value* t = spec.find("leaseTransitions");
    spec.set("leaseTransitions", (t && t->is_int() ? t->as_int() : 0) + (holder.empty() ? 0 : 1));
  }
  spec.set("holderIdentity", opt_.identity);
  spec.set("leaseDurationSeconds", seconds);
  spec.set("renewTime", now);
  kube::Response u = client_.send("PUT", base + "/" + opt_.name, doc::to_json(lease));
  if (!u.ok()) return false;  // 409: someone else wrote first
  observed_holder_ = opt_.identity;
  observed_renew_ = now;
  observed_at_ = Clock::now();
  return true;
}

bool LeaderElector::acquire(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    bool ok = false;
    try {
      ok = try_acquire_or_renew();
    } catch (const Error&) {
      ok = false;  // the API is unreachable: try again
    }
    if (ok) {
      leading_ = true;
      return true;
    }
    auto until = Clock::now() + opt_.retry_period;
    while (!stop.load() && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool LeaderElector::keep(const std::atomic<bool>& stop) {
  auto last_renew = Clock::now();
  while (!stop.load()) {
    auto until = Clock::now() + opt_.retry_period;
    while (!stop.load() && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (stop.load()) break;
    bool ok = false;
    try {
      ok = try_acquire_or_renew();
    } catch (const Error&) {
      ok = false;
    }
    if (ok) {
      last_renew = Clock::now();
    } else if (Clock::now() - last_renew >= opt_.renew_deadline) {
      leading_ = false;
      return false;
    }
  }
  return true;
}

void LeaderElector::release() {
  if (!leading_.exchange(false)) return;
  const std::string path =
      "/apis/coordination.k8s.io/v1/namespaces/" + opt_.ns + "/leases/" + opt_.name;
  try {
    kube::Response r = client_.send("GET", path);
    if (!r.ok()) return;
    Value lease = r.json();
    Value& spec = lease["spec"];
    if (!spec.is_map() || spec.get_string("holderIdentity") != opt_.identity) return;
    spec.set("holderIdentity", "");
    spec.set("leaseDurationSeconds", 1);
    spec.set("renewTime", micro_now());
    client_.send("PUT", path, doc::to_json(lease));
  } catch (const Error&) {
    // The lease runs out by itself.
  }
}

}  // namespace gantry::gitops
