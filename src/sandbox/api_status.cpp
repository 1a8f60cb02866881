// The simulated status of workloads (what their controllers report) and the
// horizontal-pod-autoscaler controller without a metrics API.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

namespace {

// A condition, keeping the transition time of `old` when the status is unchanged.
Value condition(const Value* old_status, const std::string& type, const std::string& status,
                const std::string& reason, const std::string& message, bool update_time = false) {
  std::string ts = now_str();
  std::string transition = ts, updated = ts;
  if (old_status)
    if (const Value* cs = old_status->find("conditions"); cs && cs->is_list())
      for (const auto& c : cs->as_list())
        if (c.get_string("type") == type && c.get_string("status") == status) {
          transition = c.get_string("lastTransitionTime", ts);
          if (c.get_string("reason") == reason) updated = c.get_string("lastUpdateTime", ts);
        }
  Value c = Value::object({{"type", type}, {"status", status}});
  if (update_time) c.set("lastUpdateTime", updated);
  c.set("lastTransitionTime", transition);
  c.set("reason", reason);
  c.set("message", message);
  return c;
}

// Status equality for deciding whether to write: timestamps do not count.
bool same_status(const Value* a, const Value& b) {
  if (!a) return false;
  auto strip = [](Value v) {
    if (Value* cs = v.find("conditions"); cs && cs->is_list())
      for (auto& c : cs->as_list()) {
        c.erase("lastTransitionTime");
        c.erase("lastUpdateTime");
        c.erase("lastProbeTime");
      }
    v.erase("startTime");
    v.erase("completionTime");
    return v;
  };
  return strip(*a).equals(strip(b));
}

}  // namespace

void Api::Impl::set_status(const ResourceType& t, const ObjPtr& obj, Value status) {
  if (same_status(obj->find("status"), status)) return;
  if (t.kind == "Job" && !t.custom) {
    // The job controller's events when a Job finishes.
    auto cond = [](const Value* st, const char* type) {
      const Value* conds = st ? st->find("conditions") : nullptr;
      if (conds && conds->is_list())
        for (const auto& c : conds->as_list())
          if (c.get_string("type") == type && c.get_string("status") == "True") return true;
      return false;
    };
    const Value* before = obj->find("status");
    if (cond(&status, "Complete") && !cond(before, "Complete"))
      emit_event(*obj, "Normal", "Completed", "Job completed", "job-controller");
    if (cond(&status, "Failed") && !cond(before, "Failed"))
      emit_event(*obj, "Warning", "BackoffLimitExceeded",
                 "Job has reached the specified backoff limit", "job-controller");
  }
  Value next = *obj;
  next.set("status", std::move(status));
  record_update(obj.get(), next, t, "kube-controller-manager", "status", read_managed(*obj));
  commit(t, obj, std::move(next));
}

void Api::Impl::run_controllers(const ResourceType& t, const ObjPtr& obj) {
  const Value& o = *obj;
  if (o.find_path({"metadata", "deletionTimestamp"})) return;
  const std::string kind = t.kind;
  if (!(kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
        kind == "ReplicaSet" || kind == "Job" || kind == "Pod" || kind == "PersistentVolumeClaim"))
    return;
  const Value* old = o.find("status");
  int64_t gen = int_at(o, {"metadata", "generation"}, 0);
  std::string key = meta_str(o, "uid") + "/" + std::to_string(gen);
  auto now = Clock::now();
  auto pit = progress.find(key);
  if (pit == progress.end()) pit = progress.emplace(key, now).first;
  bool done = now - pit->second >= opts.ready_delay;
  bool failing = annotated_fail(o);
  int64_t replicas = int_at(o, {"spec", "replicas"}, 1);
  std::string name = meta_str(o, "name");
  Value s = Value::map();
  if (kind == "Deployment") {
    bool ready = (done && !failing) || replicas == 0;
    s.set("observedGeneration", gen);
    s.set("replicas", replicas);
    s.set("updatedReplicas", replicas);
    if (ready) {
      s.set("readyReplicas", replicas);
      s.set("availableReplicas", replicas);
    } else {
      s.set("unavailableReplicas", replicas);
    }
    std::string rs = name + "-" + fnv_hash(key).substr(0, 10);
    for (auto& c : rs)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Value conds = Value::list();
    if (ready) {
      conds.push_back(condition(old, "Available", "True", "MinimumReplicasAvailable",
                                "Deployment has minimum availability.", true));
      conds.push_back(condition(old, "Progressing", "True", "NewReplicaSetAvailable",
                                "ReplicaSet \"" + rs + "\" has successfully progressed.", true));
    } else {
      conds.push_back(condition(old, "Available", "False", "MinimumReplicasUnavailable",
                                "Deployment does not have minimum availability.", true));
      if (done && failing) {
        conds.push_back(condition(old, "Progressing", "False", "ProgressDeadlineExceeded",
                                  "ReplicaSet \"" + rs + "\" has timed out progressing.", true));
      } else {
        conds.push_back(condition(old, "Progressing", "True", "ReplicaSetUpdated",
                                  "ReplicaSet \"" + rs + "\" is progressing.", true));
      }
    }
    s.set("conditions", conds);
  } else if (kind == "StatefulSet" || kind == "ReplicaSet") {
    bool ready = (done && !failing) || replicas == 0;
    s.set("observedGeneration", gen);
    s.set("replicas", replicas);
    if (kind == "ReplicaSet") s.set("fullyLabeledReplicas", replicas);
    if (ready) {
      s.set("readyReplicas", replicas);
      s.set("availableReplicas", replicas);
    } else {
      s.set("availableReplicas", 0);
    }
    if (kind == "StatefulSet") {
      std::string rev = name + "-" + fnv_hash(key).substr(0, 10);
      for (auto& c : rev)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      s.set("currentReplicas", ready ? replicas : 0);
      s.set("updatedReplicas", ready ? replicas : 0);
      s.set("currentRevision", rev);
      s.set("updateRevision", rev);
      s.set("collisionCount", 0);
    }
  } else if (kind == "DaemonSet") {
    bool ready = done && !failing;
    s.set("currentNumberScheduled", 1);
    s.set("desiredNumberScheduled", 1);
    s.set("numberMisscheduled", 0);
    s.set("numberReady", ready ? 1 : 0);
    s.set("observedGeneration", gen);
    s.set("updatedNumberScheduled", 1);
    if (ready) {
      s.set("numberAvailable", 1);
    } else {
      s.set("numberUnavailable", 1);
    }
  } else if (kind == "Job") {
    if (o.find_path({"spec", "suspend"}) && o.find_path({"spec", "suspend"})->is_bool() &&
        o.find_path({"spec", "suspend"})->as_bool())
      return;
    int64_t completions = int_at(o, {"spec", "completions"}, 1);
    int64_t backoff = int_at(o, {"spec", "backoffLimit"}, 6);
    std::string start = old ? old->get_string("startTime", now_str()) : now_str();
    s.set("startTime", start);
    s.set("ready", 0);
    s.set("terminating", 0);
    s.set("uncountedTerminatedPods", Value::map());
    if (!done) {
      s.set("active", int_at(o, {"spec", "parallelism"}, 1));
    } else if (failing) {
      s.set("failed", backoff + 1);
      Value conds = Value::list();
      conds.push_back(condition(old, "FailureTarget", "True", "BackoffLimitExceeded",
                                "Job has reached the specified backoff limit"));
      conds.push_back(condition(old, "Failed", "True", "BackoffLimitExceeded",
                                "Job has reached the specified backoff limit"));
      s.set("conditions", conds);
    } else {
      s.set("completionTime", old ? old->get_string("completionTime", now_str()) : now_str());
      s.set("succeeded", completions);
      Value conds = Value::list();
      conds.push_back(condition(old, "SuccessCriteriaMet", "True", "CompletionsReached",
                                "Reached expected number of succeeded pods"));
      conds.push_back(condition(old, "Complete", "True", "CompletionsReached",
                                "Reached expected number of succeeded pods"));
      s.set("conditions", conds);
    }
  } else if (kind == "Pod") {
    bool ready = done && !failing;
    // A Job's Pods run to completion; other Pods keep running.
    bool job_pod = false;
    if (const Value* refs = o.find_path({"metadata", "ownerReferences"}); refs && refs->is_list())
      for (const auto& r : refs->as_list())
        job_pod = job_pod || r.get_string("kind") == "Job";
    if (ready && job_pod) {
      s.set("phase", "Succeeded");
      Value conds = Value::list();
      conds.push_back(condition(old, "PodScheduled", "True", "", ""));
      conds.push_back(condition(old, "Initialized", "True", "PodCompleted", ""));
      conds.push_back(condition(old, "ContainersReady", "False", "PodCompleted", ""));
      conds.push_back(condition(old, "Ready", "False", "PodCompleted", ""));
      s.set("conditions", conds);
      s.set("hostIP", "127.0.0.1");
      s.set("podIP", pod_ip(meta_str(o, "uid")));
      s.set("startTime", old ? old->get_string("startTime", now_str()) : now_str());
      set_status(t, obj, std::move(s));
      return;
    }
    s.set("phase", ready ? "Running" : "Pending");
    Value conds = Value::list();
    conds.push_back(condition(old, "PodScheduled", "True", "", ""));
    conds.push_back(condition(old, "Initialized", ready ? "True" : "False",
                              ready ? "" : "ContainersNotInitialized", ""));
    conds.push_back(condition(old, "ContainersReady", ready ? "True" : "False",
                              ready ? "" : "ContainersNotReady", ""));
    conds.push_back(
        condition(old, "Ready", ready ? "True" : "False", ready ? "" : "ContainersNotReady", ""));
    s.set("conditions", conds);
    s.set("hostIP", "127.0.0.1");
    s.set("podIP", pod_ip(meta_str(o, "uid")));
    s.set("startTime", old ? old->get_string("startTime", now_str()) : now_str());
  } else if (kind == "PersistentVolumeClaim") {
    if (!done) return;
    s.set("phase", "Bound");
    s.set("accessModes", o.find_path({"spec", "accessModes"})
                             ? *o.find_path({"spec", "accessModes"})
                             : Value::list());
    if (const Value* req = o.find_path({"spec", "resources", "requests"})) s.set("capacity", *req);
  }
  set_status(t, obj, std::move(s));
}

namespace {

// Why the metrics of an HPA cannot be read: no metrics API is served.
std::pair<std::string, std::string> metric_failure(const Value& hpa) {
  const Value* ms = hpa.find_path({"spec", "metrics"});
  const Value* first = ms && ms->is_list() && ms->size() ? &ms->as_list()[0] : nullptr;
  std::string type = first ? first->get_string("type") : "Resource";
  std::string name = "cpu";
  if (first && (type == "Resource" || type == "ContainerResource")) {
    const Value* src = first->find(type == "Resource" ? "resource" : "containerResource");
    if (src) name = src->get_string("name", "cpu");
    return {"FailedGet" + type + "Metric",
            "the HPA was unable to compute the replica count: failed to get " + name +
                " utilization: unable to get metrics for resource " + name +
                ": no metrics API is served (gantry sandbox)"};
  }
  return {"FailedGet" + type + "Metric",
          "the HPA was unable to compute the replica count: unable to get " + type +
              " metric: no metrics API is served (gantry sandbox)"};
}

}  // namespace

void Api::Impl::run_autoscalers() {
  static const ResourceType* hpa_type = [] {
    for (const auto& t : builtin_types())
      if (t.kind == "HorizontalPodAutoscaler" && !converts(t)) return &t;
    return static_cast<const ResourceType*>(nullptr);
  }();
  if (!hpa_type) return;
  auto sit = store.find(hpa_type->storage_key());
  if (sit == store.end()) return;
  std::vector<ObjPtr> hpas;
  for (const auto& [k, o] : sit->second)
    if (!o->find_path({"metadata", "deletionTimestamp"})) hpas.push_back(o);
  for (const auto& hpa : hpas) {
    const Value& h = *hpa;
    const Value* old = h.find("status");
    std::string ns = meta_str(h, "namespace");
    const Value* ref = h.find_path({"spec", "scaleTargetRef"});
    std::string kind = ref ? ref->get_string("kind") : "";
    std::string api = ref ? ref->get_string("apiVersion") : "";
    std::string group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
    const ResourceType* target_type = nullptr;
    for (const auto& t : builtin_types())
      if (t.kind == kind && t.group == group && has_scale(t)) target_type = &t;
    std::string target_name = ref ? ref->get_string("name") : "";
    ObjPtr target = target_type ? get(*target_type, ns, target_name) : nullptr;
    Value status = old && old->is_map() ? *old : Value::map();
    Value conds = Value::list();
    auto keep = [&](const char* type) {
      if (const Value* cs = old ? old->find("conditions") : nullptr; cs && cs->is_list())
        for (const auto& c : cs->as_list())
          if (c.get_string("type") == type) conds.push_back(c);
    };
    if (!target) {
      std::string what = target_type
                             ? target_type->group_resource() + " \"" + target_name + "\" not found"
                             : "no scale subresource for " + api + " " + kind;
      conds.push_back(condition(old, "AbleToScale", "False", "FailedGetScale",
                                "the HPA controller was unable to get the target's current "
                                "scale: " +
                                    what));
      keep("ScalingActive");
      keep("ScalingLimited");
      status.set("conditions", std::move(conds));
      if (!same_status(old, status))
        emit_event(h, "Warning", "FailedGetScale", what, "horizontal-pod-autoscaler");
      set_status(*hpa_type, hpa, std::move(status));
      continue;
    }
    int64_t current = int_at(*target, {"spec", "replicas"}, 1);
    int64_t min = int_at(h, {"spec", "minReplicas"}, 1);
    int64_t max = int_at(h, {"spec", "maxReplicas"}, 0);
    int64_t desired = int_at(h, {"status", "desiredReplicas"}, 0);
    if (max < min || max < 1) continue;  // invalid (not admitted): nothing to keep within
    std::string reason;
    if (current == 0 && min != 0) {
      desired = 0;
      conds.push_back(condition(old, "AbleToScale", "True", "SucceededGetScale",
                                "the HPA controller was able to get the target's current scale"));
      conds.push_back(condition(old, "ScalingActive", "False", "ScalingDisabled",
                                "scaling is disabled since the replica count of the target is "
                                "zero"));
    } else if (current > max || current < min) {
      desired = current > max ? max : min;
      reason = current > max ? "Current number of replicas above Spec.MaxReplicas"
                             : "Current number of replicas below Spec.MinReplicas";
      conds.push_back(condition(
          old, "AbleToScale", "True", "SucceededRescale",
          "the HPA controller was able to update the target scale to " + std::to_string(desired)));
      keep("ScalingActive");
      keep("ScalingLimited");
    } else {
      auto [why, message] = metric_failure(h);
      conds.push_back(condition(old, "AbleToScale", "True", "SucceededGetScale",
                                "the HPA controller was able to get the target's current scale"));
      conds.push_back(condition(old, "ScalingActive", "False", why, message));
      keep("ScalingLimited");
      bool was_failing = false;
      if (const Value* cs = old ? old->find("conditions") : nullptr; cs && cs->is_list())
        for (const auto& c : cs->as_list())
          was_failing = was_failing ||
                        (c.get_string("type") == "ScalingActive" && c.get_string("reason") == why);
      if (!was_failing) emit_event(h, "Warning", why, message, "horizontal-pod-autoscaler");
    }
    status.set("currentReplicas", current);
    status.set("desiredReplicas", desired);
    status.set("conditions", std::move(conds));
    if (!reason.empty()) {
      // Scale the target through its scale subresource, as the controller does.
      Value next = *target;
      next["spec"].set("replicas", desired);
      record_update(target.get(), next, *target_type, "kube-controller-manager", "scale",
                    read_managed(*target));
      store_update(*target_type, target, std::move(next), false, "scale");
      emit_event(h, "Normal", "SuccessfulRescale",
                 "New size: " + std::to_string(desired) + "; reason: " + reason,
                 "horizontal-pod-autoscaler");
      status.set("lastScaleTime", now_str());
    }
    set_status(*hpa_type, hpa, std::move(status));
  }
}

}  // namespace gantry::sandbox
