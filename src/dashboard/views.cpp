#include "dashboard/views.h"

#include <algorithm>

#include "core/error.h"
#include "core/timestamp.h"
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
  size_t n = inv->as_list().size();
  std::vector<std::string> items(n);  // by inventory index
  if (const Value* groups = r.find_path({"status", "inventoryItems"}); groups && groups->is_list())
    for (const auto& g : groups->as_list()) {
      const Value* idx = g.is_map() ? g.find("objects") : nullptr;
      if (!idx || !idx->is_list()) continue;
      for (const auto& k : idx->as_list())
        if (k.is_int() && k.as_int() >= 0 && static_cast<size_t>(k.as_int()) < n)
          items[static_cast<size_t>(k.as_int())] = g.get_string("path");
    }
  for (size_t i = 0; i < n; ++i) {
    const Value& x = inv->as_list()[i];
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
    e.item = i < items.size() ? items[i] : std::string();
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

Value with_recent_repair(Value health, const Value& resource, const std::string& object,
                         std::chrono::system_clock::time_point now, std::chrono::seconds window) {
  std::string h = health.get_string("health");
  if (h == "missing" || h == "degraded") return health;
  const Value* rr = resource.find_path({"status", "recentRepairs"});
  if (!rr || !rr->is_list()) return health;
  std::string since = utc_timestamp(now - window);  // RFC 3339 in UTC sorts as text
  for (auto it = rr->as_list().rbegin(); it != rr->as_list().rend(); ++it) {
    if (!it->is_map() || it->get_string("object") != object) continue;
    std::string time = it->get_string("time");
    if (time.size() != since.size() || time < since) continue;
    health.set("health", "drifted");
    health.set("reason", "repaired " + time + ": " +
                             gitops::without_secret_values(object.substr(0, object.find(' ')),
                                                           it->get_string("change")));
    return health;
  }
  return health;
}

Value deploy_history(const Value& resource) {
  Value out = Value::list();
  const Value* h = resource.find_path({"status", "history"});
  if (!h || !h->is_list()) return out;
  for (const auto& e : h->as_list()) {
    if (!e.is_map()) continue;
    Value hooks = Value::list();
    if (const Value* hs = e.find("hooks"); hs && hs->is_list())
      for (const auto& k : hs->as_list())
        if (k.is_map()) {
          std::string object = k.get_string("object");
          hooks.push_back(Value::object(
              {{"object", object},
               {"item", k.get_string("item")},
               {"phase", k.get_string("phase")},
               {"weight", int_at(k, {"weight"}, 0)},
               {"result", k.get_string("result")},
               {"message", gitops::without_secret_values(object.substr(0, object.find(' ')),
                                                         k.get_string("message"))},
               {"durationMs", int_at(k, {"durationMs"}, 0)}}));
        }
    std::string message = e.get_string("message");
    out.push_back(Value::object(
        {{"revision", e.get_string("revision")},
         {"startedAt", e.get_string("startedAt")},
         {"finishedAt", e.get_string("finishedAt")},
         {"applied", int_at(e, {"applied"}, 0)},
         {"unchanged", int_at(e, {"unchanged"}, 0)},
         {"pruned", int_at(e, {"pruned"}, 0)},
         {"failed", int_at(e, {"failed"}, 0)},
         {"result", e.get_string("result")},
         {"message", gitops::without_secret_values(message.substr(0, message.find(' ')), message)},
         {"attempts", int_at(e, {"attempts"}, 1)},
         {"trigger", string_at(e, {"trigger", "reason"})},
         {"by", string_at(e, {"trigger", "by"})},
         {"hooks", hooks}}));
  }
  return out;
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
