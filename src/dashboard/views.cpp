#include "dashboard/views.h"

#include <algorithm>

#include "core/error.h"
#include "gitops/drift.h"
#include "gitops/resource.h"
#include "kube/readiness.h"

namespace gantry::dashboard {

using doc::Value;

namespace {

int64_t int_at(const Value& v, std::initializer_list<std::string_view> path, int64_t fallback) {
  const Value* x = v.find_path(path);
  return x && x->is_int() ? x->as_int() : fallback;
}

const Value* condition(const Value& resource, std::string_view type) {
  const Value* cs = resource.find_path({"status", "conditions"});
  if (!cs || !cs->is_list()) return nullptr;
  for (const auto& c : cs->as_list())
    if (c.is_map() && c.get_string("type") == type) return &c;
  return nullptr;
}

std::string string_at(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* x = v.find_path(path);
  return x && x->is_string() ? x->as_string() : std::string();
}

}  // namespace

Value deployment_summary(const Value& r) {
  const Value* meta = r.find("metadata");
  Value s = Value::object({{"kind", r.get_string("kind")},
                           {"namespace", meta ? meta->get_string("namespace") : ""},
                           {"name", meta ? meta->get_string("name") : ""}});
  std::string invalid;
  gitops::DeploymentSpec d;
  try {
    d = gitops::parse_deployment(r);
  } catch (const Error& e) {
    invalid = e.why();
  }
  s.set("target", d.target);
  s.set("sourceUrl", d.source.url);
  s.set("sourceRef", d.source.url.empty() ? "" : d.source.ref_text());
  s.set("sourcePath", d.source.path);
  s.set("suspended", d.suspend);
  s.set("invalid", invalid);
  std::string rev = string_at(r, {"status", "lastAppliedRevision"});
  s.set("revision", rev.empty() ? string_at(r, {"status", "lastAttemptedRevision"}) : rev);
  const Value* ready = condition(r, "Ready");
  s.set("ready", ready ? ready->get_string("status", "Unknown") : "Unknown");
  s.set("readyReason", ready ? ready->get_string("reason") : "");
  s.set("readyMessage", ready ? ready->get_string("message") : "");
  const Value* rec = condition(r, "Reconciling");
  s.set("reconciling", rec && rec->get_string("status") == "True");
  Value last = Value::map();
  if (const Value* lr = r.find_path({"status", "lastResult"}); lr && lr->is_map()) {
    for (std::string_view k : {"applied", "unchanged", "pruned", "hooks", "failed", "durationMs"})
      last.set(k, int_at(*lr, {k}, 0));
    last.set("time", lr->get_string("time"));
  }
  s.set("lastDeployTime", last.get_string("time"));
  s.set("lastResult", last);
  s.set("driftRepairs", int_at(r, {"status", "driftRepairs"}, 0));
  Value repairs = Value::list();
  if (const Value* rr = r.find_path({"status", "recentRepairs"}); rr && rr->is_list())
    for (const auto& x : rr->as_list())
      if (x.is_map()) {
        // Repairs recorded before the controller hid Secret values may hold them.
        std::string object = x.get_string("object");
        repairs.push_back(Value::object(
            {{"object", object},
             {"change", gitops::without_secret_values(object.substr(0, object.find(' ')),
                                                      x.get_string("change"))},
             {"time", x.get_string("time")}}));
      }
  s.set("recentRepairs", repairs);
  s.set("managedObjects", int_at(r, {"status", "managedObjects"}, 0));
  return s;
}

std::vector<InventoryEntry> inventory_of(const Value& r) {
  std::vector<InventoryEntry> out;
  const Value* inv = r.find_path({"status", "inventory"});
  if (!inv || !inv->is_list()) return out;
  for (const auto& x : inv->as_list()) {
    if (!x.is_string()) continue;
    const std::string& t = x.as_string();
    size_t sp = t.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= t.size()) continue;
    InventoryEntry e;
    e.kind = t.substr(0, sp);
    std::string rest = t.substr(sp + 1);
    size_t slash = rest.find('/');
    if (slash == std::string::npos) {
      e.name = rest;
    } else {
      e.ns = rest.substr(0, slash);
      e.name = rest.substr(slash + 1);
    }
    if (e.name.empty() || e.name.find_first_of(" /") != std::string::npos) continue;
    out.push_back(std::move(e));
  }
  return out;
}

Value object_health(const Value& live) {
  kube::Readiness rd = kube::readiness(live);
  std::string health = rd.ready() ? "ready" : rd.failed() ? "degraded" : "progressing";
  Value h = Value::object({{"health", health}, {"reason", rd.reason}});
  std::string kind = live.get_string("kind");
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet") {
    h.set("replicas",
          Value::object({{"desired", int_at(live, {"spec", "replicas"}, 1)},
                         {"ready", int_at(live, {"status", "readyReplicas"}, 0)},
                         {"updated", int_at(live, {"status", "updatedReplicas"}, 0)},
                         {"available", int_at(live, {"status", "availableReplicas"}, 0)}}));
  } else if (kind == "DaemonSet") {
    h.set("replicas",
          Value::object({{"desired", int_at(live, {"status", "desiredNumberScheduled"}, 0)},
                         {"ready", int_at(live, {"status", "numberReady"}, 0)},
                         {"updated", int_at(live, {"status", "updatedNumberScheduled"}, 0)},
                         {"available", int_at(live, {"status", "numberAvailable"}, 0)}}));
  }
  return h;
}

Value missing_health() {
  return Value::object({{"health", "missing"}, {"reason", "not found in the cluster"}});
}

Value masked_object(const Value& live) {
  Value v = live;
  if (Value* meta = v.find("metadata"); meta && meta->is_map()) meta->erase("managedFields");
  // Any apiVersion: masking too much is harmless, too little is not.
  if (v.get_string("kind") != "Secret") return v;
  for (std::string_view field : {"data", "stringData"}) {
    Value* d = v.find(field);
    if (!d) continue;
    if (!d->is_map()) {
      *d = Value("(hidden)");
      continue;
    }
    for (auto& m : d->as_map()) {
      size_t n = 0;
      if (m.value.is_string()) {
        const std::string& text = m.value.as_string();
        n = text.size();
        if (field == "data") {  // base64: the decoded size
          size_t pad = 0;
          while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=')
            ++pad;
          n = text.size() / 4 * 3 - std::min(pad, text.size() / 4 * 3);
        }
      }
      m.value = Value("(" + std::to_string(n) + " bytes, hidden)");
    }
  }
  Value* meta = v.find("metadata");
  if (Value* ann = meta ? meta->find("annotations") : nullptr; ann && ann->is_map())
    for (auto& m : ann->as_map())
      if (m.key == "kubectl.kubernetes.io/last-applied-configuration")
        m.value = Value("(hidden: may hold Secret values)");
  return v;
}

Value managed_fields_summary(const Value& live) {
  Value out = Value::list();
  const Value* mf = live.find_path({"metadata", "managedFields"});
  if (!mf || !mf->is_list()) return out;
  for (const auto& e : mf->as_list())
    if (e.is_map())
      out.push_back(Value::object({{"manager", e.get_string("manager")},
                                   {"operation", e.get_string("operation")},
                                   {"time", e.get_string("time")},
                                   {"subresource", e.get_string("subresource")}}));
  return out;
}

Value events_about(const Value& event_list, const std::string& kind, const std::string& name) {
  struct Row {
    std::string time;
    Value v;
  };
  std::vector<Row> rows;
  const Value* items = event_list.find("items");
  if (items && items->is_list())
    for (const auto& e : items->as_list()) {
      const Value* io = e.find("involvedObject");
      if (!io || io->get_string("kind") != kind || io->get_string("name") != name) continue;
      std::string time = e.get_string("lastTimestamp");
      if (time.empty()) time = e.get_string("eventTime");
      if (time.empty()) time = string_at(e, {"metadata", "creationTimestamp"});
      rows.push_back({time, Value::object({{"type", e.get_string("type")},
                                           {"reason", e.get_string("reason")},
                                           {"message", e.get_string("message")},
                                           {"count", int_at(e, {"count"}, 1)},
                                           {"time", time}})});
    }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.time > b.time; });
  Value out = Value::list();
  for (auto& r : rows)
    out.push_back(std::move(r.v));
  return out;
}

}  // namespace gantry::dashboard
