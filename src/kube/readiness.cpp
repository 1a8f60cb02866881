#include "kube/readiness.h"

namespace gantry::kube {

using doc::Value;

namespace {

int64_t int_at(const Value* map, std::string_view key, int64_t fallback = 0) {
  if (!map) return fallback;
  const Value* v = map->find(key);
  return v && v->is_int() ? v->as_int() : fallback;
}

const Value* condition(const Value* status, std::string_view type) {
  if (!status) return nullptr;
  const Value* conds = status->find("conditions");
  if (!conds || !conds->is_list()) return nullptr;
  for (const Value& c : conds->as_list())
    if (c.is_map() && c.get_string("type") == type) return &c;
  return nullptr;
}

bool condition_true(const Value* status, std::string_view type) {
  const Value* c = condition(status, type);
  return c && c->get_string("status") == "True";
}

std::string condition_text(const Value& c) {
  std::string s = c.get_string("type") + "=" + c.get_string("status");
  if (std::string r = c.get_string("reason"); !r.empty()) s += " (" + r + ")";
  if (std::string m = c.get_string("message"); !m.empty()) s += ": " + m;
  return s;
}

Readiness progressing(std::string reason) {
  return {Readiness::State::kProgressing, std::move(reason)};
}
Readiness failed(std::string reason) {
  return {Readiness::State::kFailed, std::move(reason)};
}

// Non-empty when the controller has not seen the latest spec yet.
std::string generation_lag(const Value& obj, const Value* status) {
  const Value* md = obj.find("metadata");
  int64_t gen = int_at(md, "generation", 0);
  if (gen == 0) return {};
  int64_t observed = int_at(status, "observedGeneration", -1);
  if (observed < gen)
    return "waiting for the controller to observe generation " + std::to_string(gen);
  return {};
}

std::string count_text(int64_t have, int64_t want, std::string_view what) {
  return std::to_string(have) + " of " + std::to_string(want) + " " + std::string(what);
}

}  // namespace

Readiness readiness(const Value& obj) {
  std::string kind = obj.get_string("kind");
  std::string api = obj.get_string("apiVersion");
  const Value* spec = obj.find("spec");
  const Value* status = obj.find("status");
  if (status && !status->is_map()) status = nullptr;

  if (kind == "Deployment" && api == "apps/v1") {
    if (const Value* p = condition(status, "Progressing");
        p && p->get_string("reason") == "ProgressDeadlineExceeded")
      return failed("rollout stuck: " + condition_text(*p));
    if (auto lag = generation_lag(obj, status); !lag.empty()) return progressing(lag);
    int64_t want = int_at(spec, "replicas", 1);
    int64_t updated = int_at(status, "updatedReplicas");
    int64_t total = int_at(status, "replicas");
    int64_t available = int_at(status, "availableReplicas");
    if (updated < want) return progressing(count_text(updated, want, "replicas updated"));
    if (total > updated)
      return progressing(std::to_string(total - updated) + " old replicas pending termination");
    if (available < updated) return progressing(count_text(available, want, "replicas available"));
    return {};
  }
  if (kind == "StatefulSet" && api == "apps/v1") {
    if (auto lag = generation_lag(obj, status); !lag.empty()) return progressing(lag);
    int64_t want = int_at(spec, "replicas", 1);
    int64_t ready = int_at(status, "readyReplicas");
    if (ready < want) return progressing(count_text(ready, want, "replicas ready"));
    if (status && status->contains("updatedReplicas") && int_at(status, "updatedReplicas") < want)
      return progressing(count_text(int_at(status, "updatedReplicas"), want, "replicas updated"));
    std::string cur = status ? status->get_string("currentRevision") : "";
    std::string upd = status ? status->get_string("updateRevision") : "";
    if (!cur.empty() && !upd.empty() && cur != upd)
      return progressing("revision " + upd + " not rolled out yet");
    return {};
  }
  if (kind == "DaemonSet" && api == "apps/v1") {
    if (auto lag = generation_lag(obj, status); !lag.empty()) return progressing(lag);
    int64_t want = int_at(status, "desiredNumberScheduled");
    int64_t updated = int_at(status, "updatedNumberScheduled");
    int64_t ready = int_at(status, "numberReady");
    int64_t available = int_at(status, "numberAvailable", ready);
    if (updated < want) return progressing(count_text(updated, want, "pods updated"));
    if (ready < want) return progressing(count_text(ready, want, "pods ready"));
    if (available < want) return progressing(count_text(available, want, "pods available"));
    return {};
  }
  if (kind == "ReplicaSet" && api == "apps/v1") {
    if (auto lag = generation_lag(obj, status); !lag.empty()) return progressing(lag);
    int64_t want = int_at(spec, "replicas", 1);
    int64_t ready = int_at(status, "readyReplicas");
    if (ready < want) return progressing(count_text(ready, want, "replicas ready"));
    return {};
  }
  if (kind == "Job" && api == "batch/v1") {
    if (const Value* f = condition(status, "Failed"); f && f->get_string("status") == "True")
      return failed("Job failed: " + condition_text(*f));
    if (condition_true(status, "Complete")) return {};
    int64_t active = int_at(status, "active");
    return progressing("Job not complete (" + std::to_string(active) + " active, " +
                       std::to_string(int_at(status, "succeeded")) + " succeeded)");
  }
  if (kind == "Pod" && api == "v1") {
    std::string phase = status ? status->get_string("phase") : "";
    if (phase == "Succeeded") return {};
    if (phase == "Failed")
      return failed("Pod failed" + (status->get_string("reason").empty()
                                        ? std::string()
                                        : ": " + status->get_string("reason")));
    if (condition_true(status, "Ready")) return {};
    return progressing("Pod " + (phase.empty() ? std::string("Pending") : phase) + ", not Ready");
  }
  if (kind == "PersistentVolumeClaim" && api == "v1") {
    std::string phase = status ? status->get_string("phase") : "";
    if (phase == "Bound") return {};
    if (phase == "Lost") return failed("PersistentVolumeClaim lost its volume");
    return progressing("PersistentVolumeClaim " + (phase.empty() ? std::string("Pending") : phase));
  }
  if (kind == "CustomResourceDefinition") {
    if (condition_true(status, "Established")) return {};
    if (const Value* c = condition(status, "NamesAccepted");
        c && c->get_string("status") == "False")
      return failed("CustomResourceDefinition names not accepted: " + condition_text(*c));
    return progressing("CustomResourceDefinition not Established");
  }
  if (const Value* r = condition(status, "Ready")) {
    if (r->get_string("status") == "True") return {};
    return progressing(condition_text(*r));
  }
  return {};
}

}  // namespace gantry::kube
