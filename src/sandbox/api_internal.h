// Internal to the sandbox API server (sandbox/api*.cpp): the shared
// helpers (Status errors, names, metadata, managedFields, bodies), the
// request types and Api::Impl, whose members are defined by concern in
// api.cpp (routing), api_discovery.cpp, api_resources.cpp (reads and
// watches), api_tables.cpp (server-side tables), api_validation.cpp,
// api_writes.cpp (create, update, patch, apply, delete), api_auth.cpp
// (identities, RBAC, reviews), api_status.cpp and api_dependents.cpp (the
// simulated controllers). Not a public header.
#pragma once

#include <openssl/crypto.h>
#include <strings.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <unordered_map>
#include "core/base64.h"
#include "core/timestamp.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "rbac/rules.h"
#include "sandbox/api.h"
#include "sandbox/audit.h"
#include "sandbox/convert.h"
#include "sandbox/dependents.h"
#include "sandbox/fieldset.h"
#include "sandbox/patch.h"
#include "sandbox/protobuf.h"
#include "sandbox/resources.h"
#include "sandbox/selector.h"

namespace gantry::sandbox {

using doc::Value;
using ObjPtr = std::shared_ptr<const Value>;
using Clock = std::chrono::steady_clock;

struct Event {
  uint64_t rv;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string skey;  // storage key of the type
  ObjPtr obj;
  ObjPtr prev;  // MODIFIED: the object before
};

// Who a request runs as (after impersonation), as kube-apiserver's
// authenticators describe a user (user.Info).
struct Identity {
  bool valid = false;
  bool admin = false;
  rbac::Subject subject;
  std::string uid;
  std::map<std::string, std::vector<std::string>> extra;
  std::vector<std::string> audiences;  // the token's audiences that were asked for
  std::string error;                   // why a token did not authenticate ("" unknown token)
};

// The API server's own audience (kube-apiserver's --api-audiences, which
// defaults to its --service-account-issuer; kubeadm's and kind's issuer).
inline const std::vector<std::string>& api_audiences() {
  static const std::vector<std::string> a{"https://kubernetes.default.svc.cluster.local"};
  return a;
}

// A token issued by TokenRequest (serviceaccounts/NAME/token).
struct BoundToken {
  std::string ns, name;  // the ServiceAccount
  std::string sa_uid;    // its uid when issued (a new account of that name does not inherit it)
  std::string credential_id;  // the token's JTI
  std::vector<std::string> audiences;
  std::chrono::system_clock::time_point expires;
};

// The identity of the request being served on this thread, for the reviews
// that answer about "me".
inline thread_local Identity request_identity;

struct Route {
  std::string group, version;
  std::string ns;
  std::string resource, name, subresource;
  bool watch_prefix = false;
};

namespace internal {

constexpr size_t kMaxBodyBytes = 3u << 20;  // kube-apiserver's request body limit
struct ApiError {
  Value status;
  int code() const { return static_cast<int>(status.find("code")->as_int()); }
};

struct Cause {
  std::string field, reason, message;
};

struct ManagedEntry {
  std::string manager, operation, api_version, time, subresource;
  FieldSet fields;
  bool same_owner(const std::string& m, const std::string& op, const std::string& sub) const {
    return manager == m && operation == op && subresource == sub;
  }
};

Value status_object(int code, const std::string& reason, const std::string& message,
                    Value details = Value());
[[noreturn]] void fail(int code, const std::string& reason, const std::string& message,
                       Value details = Value());
Value name_details(const std::string& name, const std::string& group, const std::string& kind);
[[noreturn]] void not_found(const ResourceType& t, const std::string& name);
[[noreturn]] void bad_request(const std::string& message);
[[noreturn]] void rv_conflict(const ResourceType& t, const std::string& name);
ResourceType pseudo_type(const std::string& group, const std::string& kind);
[[noreturn]] void invalid(const ResourceType& t, const std::string& name,
                          const std::vector<Cause>& causes);
bool is_dns_label(const std::string& s);
bool is_dns_subdomain(const std::string& s);
std::vector<std::string> name_problems(const ResourceType& t, const std::string& name);
bool valid_label_value(const std::string& v);
bool valid_qualified_name(const std::string& k);
std::string now_str();
std::optional<std::time_t> parse_rfc3339(const std::string& s);
std::string human_age(const std::string& ts);
std::string new_uid();
std::string random_suffix(size_t n);
Value& meta(Value& obj);
std::string meta_str(const Value& obj, std::string_view key);
std::vector<std::string> finalizers(const Value& obj);
void remove_finalizer(Value& obj, const std::string& name);
bool annotated_fail(const Value& obj);
bool spec_changed(const Value& a, const Value& b);
std::vector<ManagedEntry> read_managed(const Value& obj);
void write_managed(Value& obj, std::vector<ManagedEntry>& entries, const ResourceType& t);
std::vector<ManagedEntry> managed_base(const Value& cur, const Value& next,
                                       const std::string& subresource);
void record_update(const Value* before, Value& after, const ResourceType& t,
                   const std::string& manager, const std::string& subresource,
                   std::vector<ManagedEntry> entries);
std::string manager_from(const http::ServerRequest& req);
bool dry_run(const http::ServerRequest& req);
Value parse_body(const http::ServerRequest& req, bool yaml_ok);

int64_t int_at(const Value& o, std::initializer_list<std::string_view> path, int64_t fallback);
void check_custom_resource(const ResourceType& t, Value& obj, const http::ServerRequest& req);
void normalize(const ResourceType& t, Value& obj);
void check_type_meta(const ResourceType& t, Value& body);
Value split_status(const ResourceType& t, const Route& r, const Value& current, Value requested);
void check_body_names(const ResourceType& t, const Value& body, const Route& r);
void take_status(Value& to, const Value& from);
bool truthy(const std::string& s);
std::string fnv_hash(const std::string& s);
bool has_scale(const ResourceType& t);
void fill_service_account_token(const ResourceType& t, Value& obj);
// Server-side tables (api_tables.cpp): whether the client asks for one, and
// the Table of `objs` (includeObject `include`, list resourceVersion `rv`,
// continue token `cont`).
bool wants_table(const http::ServerRequest& req);
std::string table_json(const ResourceType& t, const std::vector<ObjPtr>& objs,
                       const std::string& include, const std::string& rv, const std::string& cont);
}  // namespace internal

using namespace internal;

struct Api::Impl {
  ApiOptions opts;
  mutable std::mutex mu;
  std::condition_variable cv;
  uint64_t rv = 1;
  std::map<std::string, std::map<std::string, ObjPtr>> store;  // storage key -> "ns\0name" -> obj
  std::deque<Event> events;
  std::vector<ResourceType> crd_types;
  bool stopping = false;
  std::map<std::string, Clock::time_point> progress;     // uid/generation -> rollout start
  std::map<std::string, Clock::time_point> terminating;  // uid -> first seen terminating
  // uid -> (resourceVersion, when its simulated status may change next)
  std::unordered_map<std::string, std::pair<std::string, Clock::time_point>> status_checked;
  uint64_t gc_rv = 0;  // resourceVersion at the last garbage collection
  std::atomic<int> open_watches{0};

  explicit Impl(ApiOptions o) : opts(std::move(o)) {
    for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      Value obj = Value::object({{"apiVersion", "v1"}, {"kind", "Namespace"}});
      meta(obj).set("name", ns);
      meta(obj).set("uid", new_uid());
      meta(obj).set("creationTimestamp", now_str());
      meta(obj).set("labels", Value::object({{"kubernetes.io/metadata.name", ns}}));
      obj.set("spec", Value::object({{"finalizers", Value(List{Value("kubernetes")})}}));
      obj.set("status", Value::object({{"phase", "Active"}}));
      put(builtin_types()[0], std::move(obj), "ADDED", nullptr);
    }
    add_node();
  }

  // One Ready node, as a one-node cluster has (kubelet registers it and
  // keeps its Ready condition; the sandbox runs no kubelet, so it never changes).
  void add_node() {
    const ResourceType* nodes = nullptr;
    for (const auto& t : builtin_types())
      if (t.group.empty() && t.resource == "nodes") nodes = &t;
    Value obj = Value::object({{"apiVersion", "v1"}, {"kind", "Node"}});
    meta(obj).set("name", "sandbox");
    meta(obj).set("uid", new_uid());
    meta(obj).set("creationTimestamp", now_str());
    meta(obj).set("labels", Value::object({{"kubernetes.io/hostname", "sandbox"},
                                           {"kubernetes.io/os", "linux"},
                                           {"kubernetes.io/arch", "amd64"},
                                           {"node-role.kubernetes.io/control-plane", ""}}));
    obj.set("spec", Value::object({{"podCIDR", "10.244.0.0/24"}}));
    Value capacity = Value::object(
        {{"cpu", "2"}, {"memory", "8Gi"}, {"pods", "110"}, {"ephemeral-storage", "50Gi"}});
    Value ready =
        Value::object({{"type", "Ready"},
                       {"status", "True"},
                       {"reason", "KubeletReady"},
                       {"message", "gantry sandbox: a simulated node (no containers run)"},
                       {"lastHeartbeatTime", now_str()},
                       {"lastTransitionTime", now_str()}});
    obj.set("status",
            Value::object(
                {{"capacity", capacity},
                 {"allocatable", capacity},
                 {"conditions", Value(List{ready})},
                 {"addresses",
                  Value(List{Value::object({{"type", "InternalIP"}, {"address", "127.0.0.1"}}),
                             Value::object({{"type", "Hostname"}, {"address", "sandbox"}})})},
                 {"nodeInfo", Value::object({{"kubeletVersion", "v1.32.0"},
                                             {"operatingSystem", "linux"},
                                             {"architecture", "amd64"},
                                             {"containerRuntimeVersion", "none"}})}}));
    if (nodes) put(*nodes, std::move(obj), "ADDED", nullptr);
  }

  using List = doc::List;

  // ---- types ---------------------------------------------------------------

  std::optional<ResourceType> find_type(const std::string& group, const std::string& version,
                                        const std::string& resource) const {
    for (const auto& t : builtin_types())
      if (t.group == group && t.version == version && t.resource == resource) return t;
    for (const auto& t : crd_types)
      if (t.group == group && t.version == version && t.resource == resource) return t;
    return std::nullopt;
  }

  std::vector<ResourceType> all_types() const {
    std::vector<ResourceType> v = builtin_types();
    v.insert(v.end(), crd_types.begin(), crd_types.end());
    return v;
  }

  const ResourceType& crd_type() const { return builtin_types().back(); }
  const ResourceType& ns_type() const { return builtin_types()[0]; }

  void rebuild_crd_types() {
    crd_types.clear();
    auto it = store.find(crd_type().storage_key());
    if (it == store.end()) return;
    for (const auto& [k, obj] : it->second) {
      bool established = false;
      if (const Value* conds = obj->find_path({"status", "conditions"}); conds && conds->is_list())
        for (const auto& c : conds->as_list())
          established = established ||
                        (c.get_string("type") == "Established" && c.get_string("status") == "True");
      if (!established) continue;
      for (auto& t : types_from_crd(*obj))
        crd_types.push_back(std::move(t));
    }
  }

  // ---- store ---------------------------------------------------------------

  static std::string okey(const std::string& ns, const std::string& name) {
    return ns + std::string(1, '\0') + name;
  }

  ObjPtr get(const ResourceType& t, const std::string& ns, const std::string& name) const {
    auto it = store.find(t.storage_key());
    if (it == store.end()) return nullptr;
    auto o = it->second.find(okey(t.namespaced ? ns : "", name));
    return o == it->second.end() ? nullptr : o->second;
  }

  void record(std::string type, const ResourceType& t, ObjPtr obj, ObjPtr prev) {
    events.push_back({rv, std::move(type), t.storage_key(), std::move(obj), std::move(prev)});
    while (events.size() > std::max<size_t>(opts.max_events, 1))
      events.pop_front();
    cv.notify_all();
  }

  // Stores a new version of an object (new resourceVersion, watch event).
  ObjPtr put(const ResourceType& t, Value obj, const char* type, ObjPtr prev) {
    ++rv;
    meta(obj).set("resourceVersion", std::to_string(rv));
    auto p = std::make_shared<const Value>(std::move(obj));
    store[t.storage_key()][okey(meta_str(*p, "namespace"), meta_str(*p, "name"))] = p;
    record(type, t, p, std::move(prev));
    return p;
  }

  ObjPtr erase(const ResourceType& t, const ObjPtr& obj) {
    ++rv;
    Value last = *obj;
    meta(last).set("resourceVersion", std::to_string(rv));
    auto p = std::make_shared<const Value>(std::move(last));
    auto it = store.find(t.storage_key());
    if (it != store.end())
      it->second.erase(okey(meta_str(*obj, "namespace"), meta_str(*obj, "name")));
    record("DELETED", t, p, obj);
    if (t.kind == "CustomResourceDefinition" && !t.custom) on_crd_removed(*obj);
    return p;
  }

  // Stores `next` over `prev`; an object being deleted whose last finalizer
  // went away is removed instead.
  ObjPtr commit(const ResourceType& t, const ObjPtr& prev, Value next) {
    if (next.find_path({"metadata", "deletionTimestamp"}) && finalizers(next).empty() &&
        !(t.kind == "Namespace" && !t.custom)) {
      meta(next).set("resourceVersion", meta_str(*prev, "resourceVersion"));
      return erase(t, std::make_shared<const Value>(std::move(next)));
    }
    auto p = put(t, std::move(next), "MODIFIED", prev);
    if (t.kind == "CustomResourceDefinition" && !t.custom) rebuild_crd_types();
    return p;
  }

  void on_crd_removed(const Value& crd) {
    const Value* spec = crd.find("spec");
    if (spec) {
      std::string group = spec->get_string("group");
      std::string plural = spec->find("names") ? spec->find("names")->get_string("plural") : "";
      ResourceType rt;
      rt.group = group;
      rt.resource = plural;
      auto it = store.find(rt.storage_key());
      if (it != store.end()) {
        std::vector<ObjPtr> objs;
        for (const auto& [k, o] : it->second)
          objs.push_back(o);
        auto types = types_from_crd(crd);
        if (!types.empty())
          for (const auto& o : objs)
            erase(types.front(), o);
        store.erase(rt.storage_key());
      }
    }
    rebuild_crd_types();
  }

  // ---- dispatch --------------------------------------------------------------

  void handle(const http::ServerRequest& req, http::ServerResponse& res);
  void respond(http::ServerResponse& res, int code, const Value& v) {
    res.status = code;
    res.content_type = "application/json";
    res.body = doc::to_json(v);
  }

  // ---- authentication and authorization ---------------------------------------
  // The admin token (the kubeconfig's) may do anything, as a member of
  // system:masters. ServiceAccount tokens (TokenRequest, or the token of a
  // kubernetes.io/service-account-token Secret) are that account, and their
  // requests are authorised with the RBAC objects stored here, as
  // kube-apiserver's RBAC authorizer does.
  std::map<std::string, BoundToken> sa_tokens;  // token -> what TokenRequest issued
  bool is_admin_token(const std::string& token) const;
  // Who `token` is when presented to `audiences` (call with mu held): the
  // admin token (a static token: any audience), a TokenRequest token (its
  // audiences must meet them; not expired; its ServiceAccount still the
  // same), or a legacy kubernetes.io/service-account-token Secret's token
  // (the API server's audience only). Not valid otherwise, with `error` set
  // when the token was recognised but refused.
  Identity identify_token(const std::string& token,
                          const std::vector<std::string>& audiences = api_audiences()) const;
  std::vector<Value> rbac_objects() const;
  // What every authenticated user may do on a cluster through the default
  // bootstrap roles (system:discovery, system:basic-user,
  // system:public-info-viewer): discovery and the self reviews.
  static bool always_allowed(const rbac::Request& r);
  // The authorizer chain's decision: system:masters, the default bootstrap
  // roles (always_allowed, for members of system:authenticated), then the
  // stored RBAC objects, with the RBAC authorizer's reason.
  rbac::Decision decide(const Identity& id, const rbac::Request& r) const;
  bool allowed(const Identity& id, const rbac::Request& r) const;
  static rbac::Request rbac_request(const Value& attrs);
  // kube-apiserver's 403 message.
  static std::string forbidden_message(const rbac::Subject& who, const rbac::Request& r);
  // Authenticates and authorises one request: the identity it runs as, or a
  // 401/403 written to `res` (nullopt).
  std::optional<Identity> admit(const http::ServerRequest& req, http::ServerResponse& res);

  std::optional<Route> parse_route(const std::string& path) const;
  void serve_discovery(const http::ServerRequest& req, http::ServerResponse& res);
  bool serve_openapi(const http::ServerRequest& req, http::ServerResponse& res);
  void serve_resource(const http::ServerRequest& req, http::ServerResponse& res, const Route& r);

  void list(const http::ServerRequest& req, http::ServerResponse& res, const ResourceType& t,
            const std::string& ns);
  void watch(const http::ServerRequest& req, http::ServerResponse& res, const ResourceType& t,
             const std::string& ns);
  Value create(const http::ServerRequest& req, const ResourceType& t, const std::string& ns,
               int& code);
  Value update(const http::ServerRequest& req, const ResourceType& t, const Route& r);
  Value patch(const http::ServerRequest& req, const ResourceType& t, const Route& r, int& code);
  Value remove(const http::ServerRequest& req, const ResourceType& t, const Route& r);
  Value serve_scale(const http::ServerRequest& req, const ResourceType& t, const Route& r);
  // POST serviceaccounts/NAME/token: a token that authenticates as the account.
  Value token_request(const http::ServerRequest& req, const ResourceType& t, const Route& r);
  // A create-only type (ResourceType::review): the answer, nothing stored.
  Value answer_review(const http::ServerRequest& req, const ResourceType& t, const std::string& ns);
  Value remove_collection(const http::ServerRequest& req, const ResourceType& t,
                          const std::string& ns);

  void check_namespace(const ResourceType& t, const std::string& ns, const std::string& name);
  // Custom resources cannot be created while their CRD is being deleted.
  void check_crd_active(const ResourceType& t) const {
    if (!t.custom) return;
    ObjPtr crd = get(crd_type(), "", t.resource + "." + t.group);
    if (crd && crd->find_path({"metadata", "deletionTimestamp"}))
      fail(405, "MethodNotAllowed",
           "create not allowed while custom resource definition is terminating");
  }
  // True once an object has been terminating for a moment (so that clients
  // deleting a namespace and its content in one go see what a cluster shows).
  bool settled_terminating(const Value& o) {
    auto now = Clock::now();
    auto it = terminating.emplace(meta_str(o, "uid"), now).first;
    return now - it->second >= std::chrono::milliseconds(500);
  }
  void validate(const ResourceType& t, Value& obj, bool creating);
  Value prepare_create(const ResourceType& t, Value obj, const std::string& ns);
  ObjPtr store_update(const ResourceType& t, const ObjPtr& cur, Value next, bool dry,
                      const std::string& subresource);
  Value apply(const http::ServerRequest& req, const ResourceType& t, const Route& r,
              const Value& applied, int& code);
  Value delete_object(const ResourceType& t, const ObjPtr& cur, const std::string& policy,
                      bool dry);
  // A stored object as `t`'s version shows it (the response of a request).
  Value present(const ResourceType& t, Value obj) const;
  Value present(const ResourceType& t, const ObjPtr& obj) const { return present(t, *obj); }
  // The current object as a write through `t` sees it: converted to `t`'s
  // version when `t` is stored in another (custom resources keep their
  // stored apiVersion, as before).
  static Value write_view(const ResourceType& t, const ObjPtr& obj) {
    return converts(t) ? to_served_version(t, *obj) : *obj;
  }
  // What a write through `t` stores over `cur`: `next` converted to the
  // storage version, keeping the stored status unless `subresource` is
  // "status" (a status written through a view is lost on no round trip).
  static Value storage_form(const ResourceType& t, const ObjPtr& cur, Value next,
                            const std::string& subresource) {
    if (!converts(t)) return next;
    Value v = to_storage_version(t, std::move(next));
    if (cur && t.status_subresource && subresource != "status") take_status(v, *cur);
    return v;
  }

  // reconcile
  void reconcile();
  void run_controllers(const ResourceType& t, const ObjPtr& obj);
  void set_status(const ResourceType& t, const ObjPtr& obj, Value status);
  // The horizontal-pod-autoscaler controller with no metrics API: targets
  // below minReplicas or above maxReplicas are scaled into the range
  // (SuccessfulRescale), otherwise ScalingActive is False; the status says so.
  void run_autoscalers();
  void collect_garbage();
  // The dependents real controllers create (sandbox/dependents.h).
  uint64_t dependents_rv = 0;  // resourceVersion at the last pass
  void sync_dependents();
  void sync_owner(const ResourceType& t, const ObjPtr& owner,
                  const std::vector<std::pair<const ResourceType*, ObjPtr>>& owned,
                  const std::vector<const Value*>& pods);
  void create_dependent(const ResourceType& t, Value obj);
  // A core/v1 Event about `involved`, as the named controller records one
  // (kube-controller-manager's and the scheduler's events for what the
  // sandbox simulates). Call with `mu` held.
  void emit_event(const Value& involved, const std::string& type, const std::string& reason,
                  const std::string& message, const std::string& component);
  void update_dependent(const ResourceType& t, const ObjPtr& cur, const Value& want);
};

}  // namespace gantry::sandbox
