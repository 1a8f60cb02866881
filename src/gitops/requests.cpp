#include "gitops/requests.h"

#include <atomic>
#include <thread>

#include "core/error.h"
#include "core/timestamp.h"
#include "doc/json.h"
#include "gitops/resource.h"
#include "kube/objects.h"

namespace gantry::gitops {

using doc::Value;

kube::ResourceType deployment_type_for(const std::string& arg, std::string* name) {
  size_t slash = arg.find('/');
  std::string kind = slash == std::string::npos ? "" : arg.substr(0, slash);
  *name = slash == std::string::npos ? arg : arg.substr(slash + 1);
  for (auto& c : kind)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name->empty()) throw Error("no name given in \"" + arg + "\"", ExitCode::kUsage);
  if (kind.empty() || kind == "gantrydeployment" || kind == "gantrydeployments" || kind == "gd")
    return gantry_deployment_type();
  if (kind == "kluctldeployment" || kind == "kluctldeployments" || kind == "kd")
    return kluctl_deployment_type();
  throw Error("\"" + kind + "\" is not a deployment kind (gantrydeployment or kluctldeployment)",
              ExitCode::kUsage);
}

namespace {

std::string age_of(const std::string& ts) {
  std::tm tm{};
  if (ts.size() < 20 || !strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return "?";
  auto then = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - then)
               .count();
  if (s < 0) s = 0;
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

DeploymentRow row_of(const Value& o) {
  DeploymentRow r;
  r.kind = o.get_string("kind");
  r.ns = kube::namespace_of(o);
  r.name = kube::name_of(o);
  r.object = o;
  if (const Value* spec = o.find("spec"); spec && spec->is_map()) {
    r.target = spec->get_string("target");
    const Value* s = spec->find("suspend");
    r.suspended = s && s->is_bool() && s->as_bool();
  }
  r.ready = "Unknown";
  if (const Value* cs = o.find_path({"status", "conditions"}); cs && cs->is_list())
    for (const auto& c : cs->as_list())
      if (c.get_string("type") == "Ready") {
        r.ready = c.get_string("status");
        r.reason = c.get_string("reason");
        r.message = c.get_string("message");
      }
  if (const Value* st = o.find("status"); st && st->is_map()) {
    std::string rev = st->get_string("lastAppliedRevision");
    size_t at = rev.find("@sha1:");
    r.revision = at == std::string::npos ? rev : rev.substr(0, at + 6 + 12);
    if (const Value* lr = st->find("lastResult"); lr && lr->is_map()) {
      auto n = [&](const char* k) {
        const Value* v = lr->find(k);
        return v && v->is_int() ? std::to_string(v->as_int()) : "0";
      };
      r.last_result =
          n("applied") + " applied, " + n("pruned") + " pruned, " + n("failed") + " failed";
    }
  }
  r.age = age_of(o.find_path({"metadata", "creationTimestamp"})
                     ? o.find_path({"metadata", "creationTimestamp"})->as_string()
                     : "");
  return r;
}

}  // namespace

std::vector<DeploymentRow> list_deployments(const kube::Client& client, kube::RestMapper& mapper,
                                            const std::string& ns) {
  std::vector<DeploymentRow> out;
  for (const auto& t : {gantry_deployment_type(), kluctl_deployment_type()}) {
    if (!mapper.find(t.api_version(), t.kind)) continue;
    for (const auto& o : kube::list(client, t, ns, ""))
      out.push_back(row_of(o));
  }
  return out;
}

std::string request_reconcile(const kube::Client& client, const kube::ResourceType& type,
                              const std::string& ns, const std::string& name,
                              const std::string& by) {
  static std::atomic<unsigned> seq{0};
  std::string token = utc_now() + "/" + std::to_string(getpid()) + "-" + std::to_string(++seq);
  std::string key = type.kind == kKluctlKind ? std::string(kKluctlRequestAnnotation)
                                             : std::string(kRequestAnnotation);
  // Without `by`, an earlier request's "by" is removed (null in a merge patch).
  Value who = by.empty() ? Value() : Value(token + " " + by.substr(0, 200));
  Value patch = Value::object(
      {{"metadata",
        Value::object(
            {{"annotations",
              Value::object({{key, token}, {std::string(kRequestedByAnnotation), who}})}})}});
  kube::Response r = client.send("PATCH", type.object_path(ns, name), doc::to_json(patch),
                                 "application/merge-patch+json");
  if (r.status == 404)
    throw Error(type.kind + " " + ns + "/" + name + " not found", ExitCode::kNotFound);
  if (!r.ok())
    throw Error("asking for a reconcile of " + ns + "/" + name + ": " + r.message(),
                ExitCode::kExternal);
  return token;
}

std::optional<Value> wait_handled(const kube::Client& client, const kube::ResourceType& type,
                                  const std::string& ns, const std::string& name,
                                  const std::string& token, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::optional<Value> o = kube::get(client, type, ns, name);
    if (!o) throw Error(type.kind + " " + ns + "/" + name + " not found", ExitCode::kNotFound);
    const Value* h = o->find_path({"status", "lastHandledReconcileAt"});
    bool reconciling = false;
    if (const Value* cs = o->find_path({"status", "conditions"}); cs && cs->is_list())
      for (const auto& c : cs->as_list())
        reconciling = reconciling ||
                      (c.get_string("type") == "Reconciling" && c.get_string("status") == "True");
    if (h && h->is_string() && h->as_string() == token && !reconciling) return o;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

void set_suspended(const kube::Client& client, const kube::ResourceType& type,
                   const std::string& ns, const std::string& name, bool suspend) {
  Value patch = Value::object({{"spec", Value::object({{"suspend", suspend}})}});
  kube::Response r = client.send("PATCH", type.object_path(ns, name), doc::to_json(patch),
                                 "application/merge-patch+json");
  if (r.status == 404)
    throw Error(type.kind + " " + ns + "/" + name + " not found", ExitCode::kNotFound);
  if (!r.ok())
    throw Error(
        std::string(suspend ? "suspending " : "resuming ") + ns + "/" + name + ": " + r.message(),
        ExitCode::kExternal);
}

void set_delete_finalizer(const kube::Client& client, const kube::ResourceType& type,
                          const std::string& ns, const std::string& name, bool present) {
  std::optional<Value> obj = kube::get(client, type, ns, name);
  if (!obj) return;
  Value fins = Value::list();
  if (const Value* f = obj->find_path({"metadata", "finalizers"}); f && f->is_list())
    for (const auto& x : f->as_list())
      if (!(x.is_string() && x.as_string() == kFinalizer)) fins.push_back(x);
  if (present) fins.push_back(std::string(kFinalizer));
  const Value* rv = obj->find_path({"metadata", "resourceVersion"});
  Value patch = Value::object(
      {{"metadata",
        Value::object({{"finalizers", fins}, {"resourceVersion", rv ? *rv : Value()}})}});
  kube::Response r = client.send("PATCH", type.object_path(ns, name), doc::to_json(patch),
                                 "application/merge-patch+json");
  if (!r.ok() && r.status != 404)
    throw Error(
        "updating the finalizers of " + type.kind + " " + ns + "/" + name + ": " + r.message(),
        ExitCode::kExternal);
}

}  // namespace gantry::gitops
