#include "gitops/status.h"

#include <unistd.h>

#include <map>

#include "core/timestamp.h"
#include "doc/json.h"

namespace gantry::gitops {

using doc::Value;

namespace {

std::string old_transition(const Value* old, const Condition& c) {
  if (!old) return {};
  const Value* cs = old->find("conditions");
  if (!cs || !cs->is_list()) return {};
  for (const auto& x : cs->as_list())
    if (x.get_string("type") == c.type && x.get_string("status") == c.status)
      return x.get_string("lastTransitionTime");
  return {};
}

std::string host_name() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "gantry";
  return buf;
}

}  // namespace

Value conditions_status(const std::vector<Condition>& conditions, int64_t observed_generation,
                        const Value* old) {
  std::string now = utc_now();
  Value conds = Value::list();
  for (const auto& c : conditions) {
    std::string since = old_transition(old, c);
    conds.push_back(Value::object({{"type", c.type},
                                   {"status", c.status},
                                   {"observedGeneration", observed_generation},
                                   {"lastTransitionTime", since.empty() ? now : since},
                                   {"reason", c.reason},
                                   {"message", c.message}}));
  }
  return Value::object({{"observedGeneration", observed_generation}, {"conditions", conds}});
}

Value status_value(const StatusUpdate& u, const Value* old) {
  Value s = conditions_status(u.conditions, u.observed_generation, old);
  if (!u.last_attempted_revision.empty()) s.set("lastAttemptedRevision", u.last_attempted_revision);
  if (!u.last_applied_revision.empty()) s.set("lastAppliedRevision", u.last_applied_revision);
  if (!u.handled_request.empty()) s.set("lastHandledReconcileAt", u.handled_request);
  if (!u.last_result.is_null()) s.set("lastResult", u.last_result);
  Value inv = Value::list();
  for (const auto& i : u.inventory)
    inv.push_back(i);
  s.set("managedObjects", static_cast<int64_t>(u.inventory.size()));
  s.set("inventory", inv);
  if (u.inventory_items.size() == u.inventory.size()) {
    Value groups = Value::list();
    std::map<std::string, size_t> at;  // path -> index in groups
    for (size_t i = 0; i < u.inventory_items.size(); ++i) {
      auto [it, added] = at.emplace(u.inventory_items[i], groups.as_list().size());
      if (added)
        groups.push_back(
            Value::object({{"path", u.inventory_items[i]}, {"objects", Value::list()}}));
      groups.as_list()[it->second].find("objects")->push_back(static_cast<int64_t>(i));
    }
    s.set("inventoryItems", groups);
  }
  if (!u.history.is_null()) s.set("history", u.history);
  s.set("driftRepairs", u.drift_repairs);
  Value rep = Value::list();
  for (const auto& r : u.recent_repairs)
    rep.push_back(Value::object({{"object", r.object}, {"change", r.change}, {"time", r.time}}));
  s.set("recentRepairs", rep);
  Value uns = Value::list();
  for (const auto& x : u.unsupported)
    uns.push_back(x);
  if (!u.unsupported.empty()) s.set("unsupportedFields", uns);
  return s;
}

void patch_status(const kube::Client& client, const kube::ResourceType& type, const std::string& ns,
                  const std::string& name, const Value& status) {
  Value body = Value::object({{"status", status}});
  kube::Response r = client.send("PATCH", type.object_path(ns, name) + "/status",
                                 doc::to_json(body), "application/merge-patch+json");
  if (r.status == 404) return;  // the resource is gone
  if (!r.ok())
    throw Error("writing the status of " + type.kind + " " + ns + "/" + name + ": " + r.message(),
                ExitCode::kExternal);
}

void write_status(const kube::Client& client, const DeploymentSpec& d, const Value& status) {
  kube::ResourceType t = d.is_kluctl() ? kluctl_deployment_type() : gantry_deployment_type();
  patch_status(client, t, d.ns, d.name, status);
}

void record_event(const kube::Client& client, const DeploymentSpec& d, const std::string& type,
                  const std::string& reason, const std::string& message) {
  static const std::string host = host_name();
  std::string now = utc_now();
  Value ev = Value::object(
      {{"apiVersion", "v1"},
       {"kind", "Event"},
       {"metadata", Value::object({{"generateName", d.name + "."}, {"namespace", d.ns}})},
       {"involvedObject", Value::object({{"apiVersion", d.api_version},
                                         {"kind", d.kind},
                                         {"name", d.name},
                                         {"namespace", d.ns},
                                         {"uid", d.uid}})},
       {"reason", reason},
       {"message", message.size() > 1024 ? message.substr(0, 1021) + "..." : message},
       {"type", type},
       {"source", Value::object({{"component", "gantry-controller"}, {"host", host}})},
       {"reportingComponent", "gantry-controller"},
       {"reportingInstance", host},
       {"firstTimestamp", now},
       {"lastTimestamp", now},
       {"count", 1}});
  try {
    client.send("POST", "/api/v1/namespaces/" + d.ns + "/events", doc::to_json(ev));
  } catch (const Error&) {
    // Best effort.
  }
}

}  // namespace gantry::gitops
