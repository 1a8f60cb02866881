#include "sandbox/api.h"

#include <openssl/crypto.h>

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

#include <strings.h>

#include "core/base64.h"
#include "core/timestamp.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "rbac/rules.h"
#include "sandbox/audit.h"
#include "sandbox/dependents.h"
#include "sandbox/fieldset.h"
#include "sandbox/patch.h"
#include "sandbox/protobuf.h"
#include "sandbox/resources.h"
#include "sandbox/selector.h"

namespace gantry::sandbox {

namespace {

using doc::Value;
using ObjPtr = std::shared_ptr<const Value>;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxBodyBytes = 3u << 20;  // kube-apiserver's request body limit

// ---------------------------------------------------------------------------
// Status errors

struct ApiError {
  Value status;
  int code() const { return static_cast<int>(status.find("code")->as_int()); }
};

Value status_object(int code, const std::string& reason, const std::string& message,
                    Value details = Value()) {
  Value s = Value::object({{"kind", "Status"},
                           {"apiVersion", "v1"},
                           {"metadata", Value::map()},
                           {"status", "Failure"},
                           {"message", message}});
  if (!reason.empty()) s.set("reason", reason);
  if (!details.is_null()) s.set("details", std::move(details));
  s.set("code", code);
  return s;
}

[[noreturn]] void fail(int code, const std::string& reason, const std::string& message,
                       Value details = Value()) {
  throw ApiError{status_object(code, reason, message, std::move(details))};
}

Value name_details(const std::string& name, const std::string& group, const std::string& kind) {
  Value d = Value::map();
  if (!name.empty()) d.set("name", name);
  if (!group.empty()) d.set("group", group);
  d.set("kind", kind);
  return d;
}

[[noreturn]] void not_found(const ResourceType& t, const std::string& name) {
  fail(404, "NotFound", t.group_resource() + " \"" + name + "\" not found",
       name_details(name, t.group, t.resource));
}

[[noreturn]] void bad_request(const std::string& message) {
  fail(400, "BadRequest", message);
}

[[noreturn]] void rv_conflict(const ResourceType& t, const std::string& name) {
  fail(409, "Conflict",
       "Operation cannot be fulfilled on " + t.group_resource() + " \"" + name +
           "\": the object has been modified; please apply your changes to the latest version "
           "and try again",
       name_details(name, t.group, t.resource));
}

struct Cause {
  std::string field, reason, message;
};

// A type only used to name things in error messages.
ResourceType pseudo_type(const std::string& group, const std::string& kind) {
  ResourceType t;
  t.group = group;
  t.kind = kind;
  return t;
}

[[noreturn]] void invalid(const ResourceType& t, const std::string& name,
                          const std::vector<Cause>& causes) {
  std::string msg =
      t.kind + (t.group.empty() ? "" : "." + t.group) + " \"" + name + "\" is invalid: ";
  Value cs = Value::list();
  std::vector<std::string> parts;
  for (const auto& c : causes) {
    parts.push_back(c.field + ": " + c.message);
    cs.push_back(Value::object({{"reason", c.reason}, {"message", c.message}, {"field", c.field}}));
  }
  if (parts.size() == 1) {
    msg += parts[0];
  } else {
    msg += "[";
    for (size_t i = 0; i < parts.size(); ++i)
      msg += (i ? ", " : "") + parts[i];
    msg += "]";
  }
  Value d = name_details(name, t.group, t.kind);
  d.set("causes", std::move(cs));
  fail(422, "Invalid", msg, std::move(d));
}

// ---------------------------------------------------------------------------
// Names

const char* kSubdomainMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char* kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* k1035Msg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

bool is_dns_label(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return s.front() != '-' && s.back() != '-';
}

bool is_dns_subdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t i = 0;
  while (true) {
    size_t j = s.find('.', i);
    if (!is_dns_label(s.substr(i, j == std::string::npos ? std::string::npos : j - i)))
      return false;
    if (j == std::string::npos) return true;
    i = j + 1;
  }
}

// The validation message for a bad name, or "" when the name is fine.
std::string name_problem(const ResourceType& t, const std::string& name) {
  if (t.group == "rbac.authorization.k8s.io") {
    if (name == "." || name == "..") return "may not be '" + name + "'";
    if (name.find('/') != std::string::npos) return "may not contain '/'";
    if (name.find('%') != std::string::npos) return "may not contain '%'";
    return "";
  }
  if (t.kind == "Namespace") {
    if (!is_dns_label(name)) return kLabelMsg;
    return "";
  }
  if (t.kind == "Service" && !t.custom) {
    if (!is_dns_label(name) || !(name[0] >= 'a' && name[0] <= 'z')) return k1035Msg;
    return "";
  }
  if (!is_dns_subdomain(name)) return kSubdomainMsg;
  return "";
}

bool valid_label_value(const std::string& v) {
  if (v.empty()) return true;
  if (v.size() > 63) return false;
  if (!std::isalnum(static_cast<unsigned char>(v.front())) ||
      !std::isalnum(static_cast<unsigned char>(v.back())))
    return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

bool valid_qualified_name(const std::string& k) {
  std::string name = k;
  size_t slash = k.find('/');
  if (slash != std::string::npos) {
    if (!is_dns_subdomain(k.substr(0, slash))) return false;
    name = k.substr(slash + 1);
  }
  return !name.empty() && valid_label_value(name);
}

// ---------------------------------------------------------------------------
// Time and ids

std::string now_str() {
  return utc_now();
}

std::optional<std::time_t> parse_rfc3339(const std::string& s) {
  std::tm tm{};
  if (s.size() < 19 || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return timegm(&tm);
}

std::string human_age(const std::string& ts) {
  auto t = parse_rfc3339(ts);
  if (!t) return "<unknown>";
  long long d = static_cast<long long>(std::time(nullptr) - *t);
  if (d < 0) d = 0;
  if (d < 120) return std::to_string(d) + "s";
  long long m = d / 60;
  if (m < 10) return std::to_string(m) + "m" + (d % 60 ? std::to_string(d % 60) + "s" : "");
  if (m < 180) return std::to_string(m) + "m";
  long long h = m / 60;
  if (h < 8) return std::to_string(h) + "h" + (m % 60 ? std::to_string(m % 60) + "m" : "");
  if (h < 48) return std::to_string(h) + "h";
  return std::to_string(h / 24) + "d";
}

std::string new_uid() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string random_suffix(size_t n) {
  static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  static std::mutex mu;
  static std::mt19937 rng{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  std::string s;
  for (size_t i = 0; i < n; ++i)
    s += alphabet[rng() % 27];
  return s;
}

// ---------------------------------------------------------------------------
// Object helpers

Value& meta(Value& obj) {
  Value& m = obj["metadata"];
  if (!m.is_map()) m = Value::map();
  return m;
}

std::string meta_str(const Value& obj, std::string_view key) {
  const Value* m = obj.find("metadata");
  return m ? m->get_string(key) : "";
}

std::vector<std::string> finalizers(const Value& obj) {
  std::vector<std::string> out;
  const Value* f = obj.find_path({"metadata", "finalizers"});
  if (f && f->is_list())
    for (const auto& v : f->as_list())
      if (v.is_string()) out.push_back(v.as_string());
  return out;
}

void remove_finalizer(Value& obj, const std::string& name) {
  Value* f = meta(obj).find("finalizers");
  if (!f || !f->is_list()) return;
  auto& l = f->as_list();
  for (auto it = l.begin(); it != l.end();)
    it = it->is_string() && it->as_string() == name ? l.erase(it) : std::next(it);
  if (l.empty()) meta(obj).erase("finalizers");
}

bool annotated_fail(const Value& obj) {
  const Value* a = obj.find_path({"metadata", "annotations"});
  return a && a->get_string("sandbox.gantry.dev/fail") == "true";
}

// Everything but metadata and status: a change here bumps metadata.generation.
bool spec_changed(const Value& a, const Value& b) {
  auto strip = [](const Value& v) {
    Value c = Value::map();
    if (v.is_map())
      for (const auto& m : v.as_map())
        if (m.key != "metadata" && m.key != "status" && m.key != "apiVersion" && m.key != "kind")
          c.set(m.key, m.value);
    return c;
  };
  return !strip(a).equals(strip(b));
}

// ---------------------------------------------------------------------------
// Managed fields

struct ManagedEntry {
  std::string manager, operation, api_version, time, subresource;
  FieldSet fields;
  bool same_owner(const std::string& m, const std::string& op, const std::string& sub) const {
    return manager == m && operation == op && subresource == sub;
  }
};

std::vector<ManagedEntry> read_managed(const Value& obj) {
  std::vector<ManagedEntry> out;
  const Value* mf = obj.find_path({"metadata", "managedFields"});
  if (!mf || !mf->is_list()) return out;
  for (const auto& e : mf->as_list()) {
    if (!e.is_map()) continue;
    ManagedEntry m;
    m.manager = e.get_string("manager");
    m.operation = e.get_string("operation");
    m.api_version = e.get_string("apiVersion");
    m.time = e.get_string("time");
    m.subresource = e.get_string("subresource");
    if (const Value* f = e.find("fieldsV1")) m.fields = FieldSet::from_value(*f);
    out.push_back(std::move(m));
  }
  return out;
}

void write_managed(Value& obj, std::vector<ManagedEntry>& entries, const ResourceType& t) {
  // Drop what no longer exists in the object; drop empty entries.
  for (auto& e : entries)
    for (const auto& p : e.fields.members())
      if (!resolve(obj, p, t)) e.fields.remove(p);
  Value list = Value::list();
  for (const auto& e : entries) {
    if (e.fields.empty()) continue;
    Value v = Value::object({{"manager", e.manager},
                             {"operation", e.operation},
                             {"apiVersion", e.api_version},
                             {"time", e.time},
                             {"fieldsType", "FieldsV1"},
                             {"fieldsV1", e.fields.to_value()}});
    if (!e.subresource.empty()) v.set("subresource", e.subresource);
    list.push_back(std::move(v));
  }
  if (list.size() == 0) {
    meta(obj).erase("managedFields");
  } else {
    meta(obj).set("managedFields", std::move(list));
  }
}

// The managed fields an update starts from: those the request sets (clients
// may rewrite managedFields, as kubectl does when it migrates client-side
// apply ownership), else the stored ones; subresource writes never set them.
std::vector<ManagedEntry> managed_base(const Value& cur, const Value& next,
                                       const std::string& subresource) {
  const Value* mf = next.find_path({"metadata", "managedFields"});
  if (subresource.empty() && mf && mf->is_list() && mf->size() > 0) return read_managed(next);
  return read_managed(cur);
}

// Records an Update by `manager`: it takes the changed fields from everyone else.
void record_update(const Value* before, Value& after, const ResourceType& t,
                   const std::string& manager, const std::string& subresource,
                   std::vector<ManagedEntry> entries) {
  meta(after).erase("managedFields");
  FieldSet changed = changed_set(before, after, t);
  bool status_sub = subresource == "status";
  strip_ignored(changed, status_sub || !t.status_subresource, status_sub);
  if (!changed.empty()) {
    auto members = changed.members();
    ManagedEntry* mine = nullptr;
    for (auto& e : entries) {
      if (e.same_owner(manager, "Update", subresource)) {
        mine = &e;
        continue;
      }
      for (const auto& p : members)
        e.fields.remove(p);
    }
    if (!mine) {
      entries.push_back({manager, "Update", after.get_string("apiVersion"), "", subresource, {}});
      mine = &entries.back();
    }
    mine->fields.merge(changed);
    mine->time = now_str();
    mine->api_version = after.get_string("apiVersion");
  }
  write_managed(after, entries, t);
}

// ---------------------------------------------------------------------------
// Request helpers

std::string manager_from(const http::ServerRequest& req) {
  std::string m = req.param("fieldManager");
  if (!m.empty()) return m;
  std::string ua = req.header("User-Agent");
  size_t slash = ua.find('/');
  m = ua.substr(0, slash);
  return m.empty() ? "unknown" : m;
}

bool dry_run(const http::ServerRequest& req) {
  auto range = req.params.equal_range("dryRun");
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == "All") return true;
    bad_request("Invalid dry run value: " + it->second);
  }
  return false;
}

Value parse_body(const http::ServerRequest& req, bool yaml_ok) {
  if (req.body.size() > kMaxBodyBytes)
    fail(413, "RequestEntityTooLarge",
         "Request entity too large: limit is " + std::to_string(kMaxBodyBytes));
  std::string ct = req.header("Content-Type");
  std::string base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ')
    base.pop_back();
  if (base == "application/vnd.kubernetes.protobuf") {
    // kubectl's imperative commands: decoded for the types in the schema.
    ProtobufObject p;
    try {
      p = decode_protobuf(req.body);
    } catch (const Error& e) {
      bad_request(e.why());
    }
    if (!p.supported)
      fail(415, "UnsupportedMediaType",
           "the sandbox does not decode protobuf bodies of " + p.type +
               " - send it as application/json");
    return std::move(p.object);
  }
  if (!yaml_ok || base != "application/apply-patch+yaml") {
    if (!base.empty() && base != "application/json" && base != "application/yaml")
      fail(415, "UnsupportedMediaType",
           "the body of the request was in an unknown format - accepted media types include: "
           "application/json, application/yaml, application/vnd.kubernetes.protobuf");
  }
  try {
    bool yaml = base == "application/yaml" || (yaml_ok && base != "application/json");
    // A YAML body that is a JSON object (what gantry and client-go send for
    // apply) goes to the JSON reader, as the apiserver's YAML decoder does;
    // if the JSON reader refuses it, the YAML reader decides.
    size_t first = req.body.find_first_not_of(" \t\r\n");
    if (yaml && first != std::string::npos && req.body[first] == '{') {
      try {
        return doc::parse_json(req.body, "body");
      } catch (const Error&) {
      }
    }
    if (yaml) return doc::parse_yaml(req.body, "body");
    return doc::parse_json(req.body, "body");
  } catch (const Error& e) {
    bad_request("the body of the request could not be decoded: " + e.why());
  }
}

}  // namespace

struct Event {
  uint64_t rv;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string skey;  // storage key of the type
  ObjPtr obj;
  ObjPtr prev;  // MODIFIED: the object before
};

// Who a request runs as (after impersonation).
struct Identity {
  bool valid = false;
  bool admin = false;
  rbac::Subject subject;
};

// The identity of the request being served on this thread, for the reviews
// that answer about "me".
thread_local Identity request_identity;

struct Route {
  std::string group, version;
  std::string ns;
  std::string resource, name, subresource;
  bool watch_prefix = false;
};

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
  std::map<std::string, std::pair<std::string, std::string>> sa_tokens;  // token -> (ns, name)

  bool is_admin_token(const std::string& token) const {
    if (opts.token.empty()) return true;
    // Constant-time comparison: the token is the main credential.
    return token.size() == opts.token.size() &&
           CRYPTO_memcmp(token.data(), opts.token.data(), token.size()) == 0;
  }

  // Who `token` is (call with mu held).
  Identity identify_token(const std::string& token) const {
    Identity id;
    if (is_admin_token(token)) {
      id.valid = id.admin = true;
      id.subject = {"sandbox-admin", {"system:masters", "system:authenticated"}};
      return id;
    }
    if (token.empty()) return id;
    if (auto it = sa_tokens.find(token); it != sa_tokens.end()) {
      id.valid = true;
      id.subject = rbac::service_account(it->second.first, it->second.second);
      return id;
    }
    if (auto st = store.find("/secrets"); st != store.end()) {
      std::string encoded = base64_encode(token);
      for (const auto& [k, obj] : st->second) {
        if (obj->get_string("type") != "kubernetes.io/service-account-token") continue;
        const Value* t = obj->find_path({"data", "token"});
        if (!t || !t->is_string() || t->as_string() != encoded) continue;
        const Value* a =
            obj->find_path({"metadata", "annotations", "kubernetes.io/service-account.name"});
        if (!a || !a->is_string()) continue;
        id.valid = true;
        id.subject = rbac::service_account(meta_str(*obj, "namespace"), a->as_string());
        return id;
      }
    }
    return id;
  }

  std::vector<Value> rbac_objects() const {
    std::vector<Value> out;
    for (const char* key :
         {"rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/rolebindings",
          "rbac.authorization.k8s.io/clusterroles",
          "rbac.authorization.k8s.io/clusterrolebindings"})
      if (auto it = store.find(key); it != store.end())
        for (const auto& [k, obj] : it->second)
          out.push_back(*obj);
    return out;
  }

  // What every authenticated user may do on a cluster through the default
  // bootstrap roles (system:discovery, system:basic-user,
  // system:public-info-viewer): discovery and the self reviews.
  static bool always_allowed(const rbac::Request& r) {
    if (!r.is_resource_request()) return r.verb == "get";
    return r.verb == "create" &&
           ((r.api_group == "authorization.k8s.io" && (r.resource == "selfsubjectaccessreviews" ||
                                                       r.resource == "selfsubjectrulesreviews")) ||
            (r.api_group == "authentication.k8s.io" && r.resource == "selfsubjectreviews"));
  }

  bool allowed(const Identity& id, const rbac::Request& r) const {
    if (id.admin) return true;
    return always_allowed(r) || rbac::authorized(rbac_objects(), id.subject, r);
  }

  static rbac::Request rbac_request(const Value& attrs) {
    rbac::Request r;
    r.verb = attrs.get_string("verb");
    r.api_group = attrs.get_string("apiGroup");
    r.resource = attrs.get_string("resource");
    r.subresource = attrs.get_string("subresource");
    r.ns = attrs.get_string("namespace");
    r.name = attrs.get_string("name");
    r.non_resource_url = attrs.get_string("nonResourceURL");
    return r;
  }

  // kube-apiserver's 403 message.
  static std::string forbidden_message(const rbac::Subject& who, const rbac::Request& r) {
    if (!r.is_resource_request())
      return "forbidden: User \"" + who.user + "\" cannot " + r.verb + " path \"" +
             r.non_resource_url + "\"";
    std::string gr = r.api_group.empty() ? r.resource : r.resource + "." + r.api_group;
    std::string res = r.subresource.empty() ? r.resource : r.resource + "/" + r.subresource;
    std::string m = gr + (r.name.empty() ? "" : " \"" + r.name + "\"") + " is forbidden: User \"" +
                    who.user + "\" cannot " + r.verb + " resource \"" + res + "\" in API group \"" +
                    r.api_group + "\"";
    return m + (r.ns.empty() ? " at the cluster scope" : " in the namespace \"" + r.ns + "\"");
  }

  // Authenticates and authorises one request: the identity it runs as, or a
  // 401/403 written to `res` (nullopt).
  std::optional<Identity> admit(const http::ServerRequest& req, http::ServerResponse& res) {
    std::string h = req.header("Authorization");
    std::string token = h.rfind("Bearer ", 0) == 0 ? h.substr(7) : "";
    std::lock_guard<std::mutex> lock(mu);
    Identity id = identify_token(token);
    if (!id.valid) {
      respond(res, 401, status_object(401, "Unauthorized", "Unauthorized"));
      return std::nullopt;
    }
    if (std::string as = req.header("Impersonate-User"); !as.empty()) {
      // The caller needs `impersonate` on the user (or the service account).
      rbac::Request imp;
      imp.verb = "impersonate";
      std::string sa_prefix = "system:serviceaccount:";
      Identity as_id;
      as_id.valid = true;
      if (as.rfind(sa_prefix, 0) == 0 && as.find(':', sa_prefix.size()) != std::string::npos) {
        size_t colon = as.find(':', sa_prefix.size());
        imp.resource = "serviceaccounts";
        imp.ns = as.substr(sa_prefix.size(), colon - sa_prefix.size());
        imp.name = as.substr(colon + 1);
        as_id.subject = rbac::service_account(imp.ns, imp.name);
      } else {
        imp.resource = "users";
        imp.name = as;
        as_id.subject.user = as;
        for (const auto& [k, v] : req.headers)
          if (strcasecmp(k.c_str(), "Impersonate-Group") == 0) as_id.subject.groups.push_back(v);
        as_id.subject.groups.push_back("system:authenticated");
        as_id.admin = std::find(as_id.subject.groups.begin(), as_id.subject.groups.end(),
                                "system:masters") != as_id.subject.groups.end();
      }
      if (!allowed(id, imp)) {
        respond(res, 403, status_object(403, "Forbidden", forbidden_message(id.subject, imp)));
        return std::nullopt;
      }
      id = as_id;
    }
    request_identity = id;
    if (id.admin) return id;
    rbac::Request r = rbac_request(request_attributes(req));
    if (!allowed(id, r)) {
      Value st = status_object(403, "Forbidden", forbidden_message(id.subject, r));
      if (r.is_resource_request()) {
        Value details = Value::object({{"kind", r.resource}});
        if (!r.api_group.empty()) details.set("group", r.api_group);
        if (!r.name.empty()) details.set("name", r.name);
        st.set("details", details);
      }
      respond(res, 403, st);
      return std::nullopt;
    }
    return id;
  }

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
  Value present(const ResourceType& t, const ObjPtr& obj) const;

  // reconcile
  void reconcile();
  void run_controllers(const ResourceType& t, const ObjPtr& obj);
  void set_status(const ResourceType& t, const ObjPtr& obj, Value status);
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

std::optional<Route> Api::Impl::parse_route(const std::string& path) const {
  auto seg = path_segments(path);
  Route r;
  size_t i = 0;
  if (seg.size() >= 2 && seg[0] == "api") {
    r.version = seg[1];
    i = 2;
  } else if (seg.size() >= 3 && seg[0] == "apis") {
    r.group = seg[1];
    r.version = seg[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  if (i < seg.size() && seg[i] == "watch") {
    r.watch_prefix = true;
    ++i;
  }
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.empty()) return std::nullopt;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    auto t = find_type(r.group, r.version, rest[2]);
    if (t && t->namespaced) {
      r.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (rest.size() > 3) return std::nullopt;
  r.resource = rest[0];
  if (rest.size() > 1) r.name = rest[1];
  if (rest.size() > 2) r.subresource = rest[2];
  return r;
}

void Api::Impl::handle(const http::ServerRequest& req, http::ServerResponse& res) {
  try {
    const std::string& p = req.path;
    if (p == "/healthz" || p == "/readyz" || p == "/livez") {
      res.status = 200;
      res.content_type = "text/plain; charset=utf-8";
      res.body = "ok";
      return;
    }
    if (p == "/version") {
      respond(res, 200,
              Value::object({{"major", "1"},
                             {"minor", "32"},
                             {"gitVersion", "v1.32.0-gantry-sandbox"},
                             {"gitCommit", "0000000000000000000000000000000000000000"},
                             {"gitTreeState", "clean"},
                             {"buildDate", "2026-01-01T00:00:00Z"},
                             {"goVersion", "go1.23"},
                             {"compiler", "gc"},
                             {"platform", "linux/amd64"}}));
      return;
    }
    std::optional<Identity> who = admit(req, res);
    if (!who) return;
    if (p == "/api" || p == "/apis" || p.rfind("/apis/", 0) == 0 || p.rfind("/api/", 0) == 0) {
      auto seg = path_segments(p);
      bool discovery = seg.size() == 1 || (seg[0] == "api" && seg.size() == 2) ||
                       (seg[0] == "apis" && seg.size() <= 3);
      if (discovery) {
        if (req.method != "GET")
          fail(405, "MethodNotAllowed",
               "the server does not allow this method on the requested resource");
        serve_discovery(req, res);
        return;
      }
      auto route = parse_route(p);
      if (!route)
        fail(404, "NotFound", "the server could not find the requested resource", Value::map());
      serve_resource(req, res, *route);
      return;
    }
    if (p.rfind("/openapi/", 0) == 0 && serve_openapi(req, res)) return;
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  } catch (const ApiError& e) {
    respond(res, e.code(), e.status);
  } catch (const Error& e) {
    // Input of a shape the handlers did not expect (a list where a map belongs ...).
    respond(res, 400, status_object(400, "BadRequest", e.why()));
  } catch (const std::exception& e) {
    respond(
        res, 500,
        status_object(500, "InternalError", std::string("Internal error occurred: ") + e.what()));
  }
}

namespace {

bool has_scale(const ResourceType& t) {
  return !t.custom && (t.kind == "Deployment" || t.kind == "ReplicaSet" || t.kind == "StatefulSet");
}

Value verbs_value(bool status, const ResourceType* t = nullptr) {
  Value v = Value::list();
  if (t && !status && !t->verbs.empty()) {
    for (const auto& s : t->verbs)
      v.push_back(s);
  } else if (status) {
    for (const char* s : {"get", "patch", "update"})
      v.push_back(s);
  } else {
    for (const char* s :
         {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"})
      v.push_back(s);
  }
  return v;
}

Value strings_value(const std::vector<std::string>& v) {
  Value out = Value::list();
  for (const auto& s : v)
    out.push_back(s);
  return out;
}

std::string fnv_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

void Api::Impl::serve_discovery(const http::ServerRequest& req, http::ServerResponse& res) {
  auto seg = path_segments(req.path);
  std::string accept = req.header("Accept");
  bool aggregated = accept.find("g=apidiscovery.k8s.io") != std::string::npos &&
                    accept.find("v=v2;") != std::string::npos &&
                    accept.find("as=APIGroupDiscoveryList") != std::string::npos;
  auto types = all_types();
  // Group -> versions in order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& t : types) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == t.group; });
    if (it == groups.end()) {
      groups.push_back({t.group, {t.version}});
    } else if (std::find(it->second.begin(), it->second.end(), t.version) == it->second.end()) {
      it->second.push_back(t.version);
    }
  }
  auto resource_list = [&](const std::string& group, const std::string& version) {
    Value rs = Value::list();
    for (const auto& t : types) {
      if (t.group != group || t.version != version) continue;
      Value r = Value::object({{"name", t.resource},
                               {"singularName", t.singular},
                               {"namespaced", t.namespaced},
                               {"kind", t.kind},
                               {"verbs", verbs_value(false, &t)}});
      if (!t.short_names.empty()) r.set("shortNames", strings_value(t.short_names));
      if (!t.categories.empty()) r.set("categories", strings_value(t.categories));
      rs.push_back(std::move(r));
      if (t.status_subresource)
        rs.push_back(Value::object({{"name", t.resource + "/status"},
                                    {"singularName", ""},
                                    {"namespaced", t.namespaced},
                                    {"kind", t.kind},
                                    {"verbs", verbs_value(true)}}));
      if (has_scale(t))
        rs.push_back(Value::object({{"name", t.resource + "/scale"},
                                    {"singularName", ""},
                                    {"namespaced", t.namespaced},
                                    {"group", "autoscaling"},
                                    {"version", "v1"},
                                    {"kind", "Scale"},
                                    {"verbs", verbs_value(true)}}));
    }
    return rs;
  };
  auto aggregated_versions = [&](const std::string& group,
                                 const std::vector<std::string>& versions) {
    Value vs = Value::list();
    for (const auto& v : versions) {
      Value rs = Value::list();
      for (const auto& t : types) {
        if (t.group != group || t.version != v) continue;
        Value kind = Value::object({{"group", t.group}, {"version", t.version}, {"kind", t.kind}});
        Value r = Value::object({{"resource", t.resource},
                                 {"responseKind", kind},
                                 {"scope", t.namespaced ? "Namespaced" : "Cluster"},
                                 {"singularResource", t.singular},
                                 {"verbs", verbs_value(false, &t)}});
        if (!t.short_names.empty()) r.set("shortNames", strings_value(t.short_names));
        if (!t.categories.empty()) r.set("categories", strings_value(t.categories));
        Value subs = Value::list();
        if (t.status_subresource)
          subs.push_back(Value::object(
              {{"subresource", "status"}, {"responseKind", kind}, {"verbs", verbs_value(true)}}));
        if (has_scale(t))
          subs.push_back(Value::object(
              {{"subresource", "scale"},
               {"responseKind",
                Value::object({{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}})},
               {"verbs", verbs_value(true)}}));
        if (subs.size()) r.set("subresources", std::move(subs));
        rs.push_back(std::move(r));
      }
      vs.push_back(
          Value::object({{"version", v}, {"resources", std::move(rs)}, {"freshness", "Current"}}));
    }
    return vs;
  };
  auto group_value = [&](const std::string& name, const std::vector<std::string>& versions) {
    Value vs = Value::list();
    for (const auto& v : versions)
      vs.push_back(Value::object({{"groupVersion", name + "/" + v}, {"version", v}}));
    return Value::object(
        {{"name", name},
         {"versions", vs},
         {"preferredVersion",
          Value::object({{"groupVersion", name + "/" + versions[0]}, {"version", versions[0]}})}});
  };

  if (seg.size() == 1 && aggregated) {
    Value items = Value::list();
    for (const auto& [g, vs] : groups) {
      if ((seg[0] == "api") != g.empty()) continue;
      Value md = Value::map();
      if (!g.empty()) md.set("name", g);
      items.push_back(Value::object({{"metadata", md}, {"versions", aggregated_versions(g, vs)}}));
    }
    res.status = 200;
    res.content_type = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    res.body = doc::to_json(Value::object({{"kind", "APIGroupDiscoveryList"},
                                           {"apiVersion", "apidiscovery.k8s.io/v2"},
                                           {"metadata", Value::map()},
                                           {"items", items}}));
    return;
  }
  if (seg.size() == 1 && seg[0] == "api") {
    respond(res, 200,
            Value::object(
                {{"kind", "APIVersions"},
                 {"versions", Value(doc::List{Value("v1")})},
                 {"serverAddressByClientCIDRs",
                  Value(doc::List{Value::object(
                      {{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", opts.server_address}})})}}));
    return;
  }
  if (seg.size() == 1) {
    Value gs = Value::list();
    for (const auto& [g, vs] : groups)
      if (!g.empty()) gs.push_back(group_value(g, vs));
    respond(res, 200,
            Value::object({{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", gs}}));
    return;
  }
  std::string group = seg[0] == "api" ? "" : seg[1];
  auto git =
      std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == group; });
  if (git == groups.end())
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  if (seg[0] == "apis" && seg.size() == 2) {
    Value g = group_value(group, git->second);
    g.set("kind", "APIGroup");
    g.set("apiVersion", "v1");
    respond(res, 200, g);
    return;
  }
  std::string version = seg[0] == "api" ? seg[1] : seg[2];
  if (std::find(git->second.begin(), git->second.end(), version) == git->second.end())
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  respond(res, 200,
          Value::object({{"kind", "APIResourceList"},
                         {"apiVersion", "v1"},
                         {"groupVersion", group.empty() ? version : group + "/" + version},
                         {"resources", resource_list(group, version)}}));
}

bool Api::Impl::serve_openapi(const http::ServerRequest& req, http::ServerResponse& res) {
  auto seg = path_segments(req.path);
  if (seg.size() == 2 && seg[1] == "v2") {
    // An empty OpenAPI v2 document (zero protobuf bytes): clients find no
    // schema and skip client-side validation, as they do for unknown kinds.
    res.status = 200;
    res.content_type = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
    res.body.clear();
    return true;
  }
  if (seg.size() < 2 || seg[1] != "v3") return false;
  auto types = all_types();
  auto gv_doc = [&](const std::string& group, const std::string& version) {
    Value paths = Value::map();
    for (const auto& t : types) {
      if (t.group != group || t.version != version) continue;
      std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
      std::string item =
          base + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.resource + "/{name}";
      Value gvk = Value::object({{"group", t.group}, {"version", t.version}, {"kind", t.kind}});
      Value params = Value::list();
      for (const char* q : {"dryRun", "fieldManager", "fieldValidation", "force"})
        params.push_back(Value::object(
            {{"name", q}, {"in", "query"}, {"schema", Value::object({{"type", "string"}})}}));
      Value op = Value::object(
          {{"operationId", "patch" + t.kind},
           {"parameters", params},
           {"responses", Value::object({{"200", Value::object({{"description", "OK"}})}})},
           {"x-kubernetes-action", "patch"},
           {"x-kubernetes-group-version-kind", gvk}});
      paths.set(item, Value::object({{"patch", op}}));
    }
    return Value::object(
        {{"openapi", "3.0.0"},
         {"info", Value::object({{"title", "Kubernetes"}, {"version", "v1.32.0"}})},
         {"paths", paths},
         {"components", Value::object({{"schemas", Value::map()}})}});
  };
  std::set<std::pair<std::string, std::string>> gvs;
  for (const auto& t : types)
    gvs.insert({t.group, t.version});
  if (seg.size() == 2) {
    Value paths = Value::map();
    for (const auto& [g, v] : gvs) {
      std::string key = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
      std::string hash = fnv_hash(doc::to_json(gv_doc(g, v)));
      paths.set(key,
                Value::object({{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash}}));
    }
    respond(res, 200, Value::object({{"paths", paths}}));
    return true;
  }
  std::string group, version;
  if (seg.size() == 4 && seg[2] == "api") {
    version = seg[3];
  } else if (seg.size() == 5 && seg[2] == "apis") {
    group = seg[3];
    version = seg[4];
  } else {
    return false;
  }
  if (!gvs.count({group, version})) return false;
  respond(res, 200, gv_doc(group, version));
  return true;
}

namespace {

bool wants_table(const http::ServerRequest& req) {
  return req.header("Accept").find("as=Table") != std::string::npos;
}

bool truthy(const std::string& s) {
  return s == "true" || s == "1";
}

std::string int_str(const Value* v, const std::string& fallback = "0") {
  return v && v->is_int() ? std::to_string(v->as_int()) : fallback;
}

std::string condition_status(const Value& obj, const std::string& type) {
  const Value* conds = obj.find_path({"status", "conditions"});
  if (conds && conds->is_list())
    for (const auto& c : conds->as_list())
      if (c.get_string("type") == type) return c.get_string("status");
  return "";
}

// Columns and cells of `kubectl get` for the kinds whose output people read.
void table_columns(const ResourceType& t, std::vector<std::string>& cols) {
  cols = {"Name"};
  if (t.custom) {
  } else if (t.kind == "Deployment") {
    cols.insert(cols.end(), {"Ready", "Up-to-date", "Available"});
  } else if (t.kind == "StatefulSet") {
    cols.insert(cols.end(), {"Ready"});
  } else if (t.kind == "DaemonSet") {
    cols.insert(cols.end(), {"Desired", "Current", "Ready", "Up-to-date", "Available"});
  } else if (t.kind == "Pod") {
    cols.insert(cols.end(), {"Ready", "Status", "Restarts"});
  } else if (t.kind == "ConfigMap") {
    cols.insert(cols.end(), {"Data"});
  } else if (t.kind == "Secret") {
    cols.insert(cols.end(), {"Type", "Data"});
  } else if (t.kind == "Namespace") {
    cols.insert(cols.end(), {"Status"});
  } else if (t.kind == "Service") {
    cols.insert(cols.end(), {"Type", "Cluster-IP", "External-IP", "Port(s)"});
  } else if (t.kind == "Job") {
    cols.insert(cols.end(), {"Status", "Completions"});
  } else if (t.kind == "PersistentVolumeClaim") {
    cols.insert(cols.end(), {"Status"});
  } else if (t.kind == "Node") {
    cols.insert(cols.end(), {"Status", "Roles"});
  }
  cols.push_back(t.kind == "CustomResourceDefinition" ? "Created At" : "Age");
  if (t.kind == "Node" && !t.custom) cols.push_back("Version");
}

Value table_cells(const ResourceType& t, const Value& o) {
  Value cells = Value::list();
  cells.push_back(meta_str(o, "name"));
  const Value* st = o.find("status");
  auto sv = [&](std::string_view k) { return st ? st->find(k) : nullptr; };
  const Value* replicas = o.find_path({"spec", "replicas"});
  std::string want = int_str(replicas, "1");
  if (t.custom) {
  } else if (t.kind == "Deployment") {
    cells.push_back(int_str(sv("readyReplicas")) + "/" + want);
    cells.push_back(static_cast<int64_t>(std::stoll(int_str(sv("updatedReplicas")))));
    cells.push_back(static_cast<int64_t>(std::stoll(int_str(sv("availableReplicas")))));
  } else if (t.kind == "StatefulSet") {
    cells.push_back(int_str(sv("readyReplicas")) + "/" + want);
  } else if (t.kind == "DaemonSet") {
    for (const char* k : {"desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                          "updatedNumberScheduled", "numberAvailable"})
      cells.push_back(static_cast<int64_t>(std::stoll(int_str(sv(k)))));
  } else if (t.kind == "Pod") {
    size_t n = 0;
    if (const Value* cs = o.find_path({"spec", "containers"}); cs && cs->is_list()) n = cs->size();
    bool ready = condition_status(o, "Ready") == "True";
    cells.push_back(std::to_string(ready ? n : 0) + "/" + std::to_string(n));
    cells.push_back(st ? st->get_string("phase", "Pending") : "Pending");
    cells.push_back(0);
  } else if (t.kind == "ConfigMap" || t.kind == "Secret") {
    if (t.kind == "Secret") cells.push_back(o.get_string("type", "Opaque"));
    size_t n = 0;
    if (const Value* d = o.find("data"); d && d->is_map()) n += d->size();
    if (const Value* d = o.find("binaryData"); d && d->is_map()) n += d->size();
    if (const Value* d = o.find("stringData"); d && d->is_map()) n += d->size();
    cells.push_back(static_cast<int64_t>(n));
  } else if (t.kind == "Namespace") {
    cells.push_back(st ? st->get_string("phase", "Active") : "Active");
  } else if (t.kind == "Service") {
    const Value* spec = o.find("spec");
    cells.push_back(spec ? spec->get_string("type", "ClusterIP") : "ClusterIP");
    cells.push_back(spec ? spec->get_string("clusterIP", "<none>") : "<none>");
    cells.push_back("<none>");
    std::string ports;
    if (const Value* ps = spec ? spec->find("ports") : nullptr; ps && ps->is_list())
      for (const auto& p : ps->as_list())
        ports += (ports.empty() ? "" : ",") + int_str(p.find("port")) + "/" +
                 p.get_string("protocol", "TCP");
    cells.push_back(ports.empty() ? "<none>" : ports);
  } else if (t.kind == "Job") {
    std::string s = condition_status(o, "Complete") == "True" ? "Complete"
                    : condition_status(o, "Failed") == "True" ? "Failed"
                                                              : "Running";
    cells.push_back(s);
    cells.push_back(int_str(sv("succeeded")) + "/" +
                    int_str(o.find_path({"spec", "completions"}), "1"));
  } else if (t.kind == "PersistentVolumeClaim") {
    cells.push_back(st ? st->get_string("phase", "Pending") : "Pending");
  } else if (t.kind == "Node") {
    cells.push_back(condition_status(o, "Ready") == "True" ? "Ready" : "NotReady");
    std::string roles;
    if (const Value* l = o.find_path({"metadata", "labels"}); l && l->is_map())
      for (const auto& m : l->as_map())
        if (m.key.rfind("node-role.kubernetes.io/", 0) == 0)
          roles += (roles.empty() ? "" : ",") + m.key.substr(24);
    cells.push_back(roles.empty() ? "<none>" : roles);
  }
  if (t.kind == "CustomResourceDefinition") {
    cells.push_back(meta_str(o, "creationTimestamp"));
  } else {
    cells.push_back(human_age(meta_str(o, "creationTimestamp")));
  }
  if (t.kind == "Node" && !t.custom) {
    const Value* v = o.find_path({"status", "nodeInfo", "kubeletVersion"});
    cells.push_back(v && v->is_string() ? v->as_string() : "");
  }
  return cells;
}

// The subset of JSONPath printer columns use: .a.b, .a[0], .a[?(@.k=="v")].b
const Value* json_path(const Value& root, const std::string& path) {
  const Value* cur = &root;
  size_t i = 0;
  while (cur && i < path.size()) {
    if (path[i] == '.') {
      ++i;
      size_t j = i;
      while (j < path.size() && path[j] != '.' && path[j] != '[')
        ++j;
      if (j > i) cur = cur->find(path.substr(i, j - i));
      i = j;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) return nullptr;
      std::string inner = path.substr(i + 1, close - i - 1);
      i = close + 1;
      if (!cur->is_list()) return nullptr;
      if (inner.rfind("?(@.", 0) == 0 && inner.back() == ')') {
        std::string cond = inner.substr(4, inner.size() - 5);
        size_t eq = cond.find("==");
        if (eq == std::string::npos) return nullptr;
        std::string key = cond.substr(0, eq), want = cond.substr(eq + 2);
        if (want.size() >= 2 && (want.front() == '"' || want.front() == '\''))
          want = want.substr(1, want.size() - 2);
        const Value* found = nullptr;
        for (const auto& item : cur->as_list())
          if (item.get_string(key) == want) {
            found = &item;
            break;
          }
        cur = found;
      } else {
        try {
          size_t idx = std::stoul(inner);
          cur = idx < cur->size() ? &cur->as_list()[idx] : nullptr;
        } catch (const std::exception&) {
          return nullptr;
        }
      }
    } else {
      return nullptr;
    }
  }
  return cur;
}

std::string custom_table_json(const ResourceType& t, const std::vector<ObjPtr>& objs,
                              const std::string& include, const std::string& rv,
                              const std::string& cont);

std::string table_json(const ResourceType& t, const std::vector<ObjPtr>& objs,
                       const std::string& include, const std::string& rv, const std::string& cont) {
  if (t.custom && t.printer_columns) return custom_table_json(t, objs, include, rv, cont);
  std::vector<std::string> cols;
  table_columns(t, cols);
  Value defs = Value::list();
  for (const auto& c : cols) {
    bool is_name = c == "Name";
    std::string type = "string";
    if (c == "Up-to-date" || c == "Available" || c == "Data" || c == "Restarts" || c == "Desired" ||
        c == "Current")
      type = "integer";
    if (c == "Created At") type = "date";
    defs.push_back(Value::object({{"name", c},
                                  {"type", type},
                                  {"format", is_name ? "name" : ""},
                                  {"description", ""},
                                  {"priority", 0}}));
  }
  Value md = Value::object({{"resourceVersion", rv}});
  if (!cont.empty()) md.set("continue", cont);
  std::string out =
      "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":" + doc::to_json(md) +
      ",\"columnDefinitions\":" + doc::to_json(defs) + ",\"rows\":[";
  bool first = true;
  for (const auto& o : objs) {
    if (!first) out += ",";
    first = false;
    out += "{\"cells\":" + doc::to_json(table_cells(t, *o));
    if (include == "Object") {
      out += ",\"object\":" + doc::to_json(*o);
    } else if (include != "None") {
      Value m = o->find("metadata") ? *o->find("metadata") : Value::map();
      m.erase("managedFields");
      out += ",\"object\":" + doc::to_json(Value::object({{"kind", "PartialObjectMetadata"},
                                                          {"apiVersion", "meta.k8s.io/v1"},
                                                          {"metadata", m}}));
    }
    out += "}";
  }
  out += "]}";
  return out;
}

std::string row_object(const Value& o, const std::string& include) {
  if (include == "None") return "";
  if (include == "Object") return ",\"object\":" + doc::to_json(o);
  Value m = o.find("metadata") ? *o.find("metadata") : Value::map();
  m.erase("managedFields");
  return ",\"object\":" + doc::to_json(Value::object({{"kind", "PartialObjectMetadata"},
                                                      {"apiVersion", "meta.k8s.io/v1"},
                                                      {"metadata", m}}));
}

// Tables of custom resources with additionalPrinterColumns.
std::string custom_table_json(const ResourceType& t, const std::vector<ObjPtr>& objs,
                              const std::string& include, const std::string& rv,
                              const std::string& cont) {
  Value defs = Value::list();
  defs.push_back(Value::object({{"name", "Name"},
                                {"type", "string"},
                                {"format", "name"},
                                {"description", "Name must be unique within a namespace."},
                                {"priority", 0}}));
  const auto& cols = t.printer_columns->as_list();
  for (const auto& c : cols) {
    const Value* prio = c.find("priority");
    defs.push_back(Value::object({{"name", c.get_string("name")},
                                  {"type", c.get_string("type", "string")},
                                  {"format", c.get_string("format")},
                                  {"description", c.get_string("description")},
                                  {"priority", prio && prio->is_int() ? prio->as_int() : 0}}));
  }
  Value md = Value::object({{"resourceVersion", rv}});
  if (!cont.empty()) md.set("continue", cont);
  std::string out =
      "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":" + doc::to_json(md) +
      ",\"columnDefinitions\":" + doc::to_json(defs) + ",\"rows\":[";
  for (size_t r = 0; r < objs.size(); ++r) {
    const Value& o = *objs[r];
    Value cells = Value::list();
    cells.push_back(meta_str(o, "name"));
    for (const auto& c : cols) {
      const Value* v = json_path(o, c.get_string("jsonPath"));
      if (!v || v->is_null()) {
        cells.push_back(Value());
      } else if (c.get_string("type") == "date" && v->is_string()) {
        cells.push_back(human_age(v->as_string()));
      } else if (v->is_scalar()) {
        cells.push_back(*v);
      } else {
        cells.push_back(doc::to_json(*v));
      }
    }
    out += (r ? "," : "") + std::string("{\"cells\":") + doc::to_json(cells) +
           row_object(o, include) + "}";
  }
  out += "]}";
  return out;
}

void check_field_selector(const ResourceType& t, const FieldSelector& sel) {
  static const std::map<std::string, std::set<std::string>> extra = {
      {"Pod",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"Secret", {"type"}},
      {"Namespace", {"status.phase"}},
      {"Event",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
      {"Job", {"status.successful"}},
      {"ReplicaSet", {"status.replicas"}},
  };
  for (const auto& r : sel.requirements()) {
    if (r.key == "metadata.name" || r.key == "metadata.namespace") continue;
    auto it = t.custom ? extra.end() : extra.find(t.kind);
    if (it != extra.end() && it->second.count(r.key)) continue;
    bad_request("field label not supported: " + r.key);
  }
}

}  // namespace

Value Api::Impl::present(const ResourceType& t, const ObjPtr& obj) const {
  Value v = *obj;
  if (t.custom && v.get_string("apiVersion") != t.api_version())
    v.set("apiVersion", t.api_version());
  return v;
}

void Api::Impl::serve_resource(const http::ServerRequest& req, http::ServerResponse& res,
                               const Route& r) {
  auto found = find_type(r.group, r.version, r.resource);
  if (!found)
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  const ResourceType t = *found;
  if (t.group.empty() && t.resource == "pods" && r.subresource == "log" && req.method == "GET") {
    // No kubelet, no containers: an empty log at once (kubectl logs must not hang).
    std::lock_guard<std::mutex> lock(mu);
    if (!get(t, r.ns, r.name)) not_found(t, r.name);
    res.status = 200;
    res.content_type = "text/plain";
    res.body = "";
    return;
  }
  {
    bool is_watch_req = r.watch_prefix || truthy(req.param("watch"));
    std::string verb = req.method == "GET"
                           ? (r.name.empty() ? (is_watch_req ? "watch" : "list") : "get")
                       : req.method == "POST"   ? "create"
                       : req.method == "PUT"    ? "update"
                       : req.method == "PATCH"  ? "patch"
                       : req.method == "DELETE" ? (r.name.empty() ? "deletecollection" : "delete")
                                                : "";
    if (r.subresource.empty() && !allows(t, verb))
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
  }
  if (t.group.empty() && t.resource == "serviceaccounts" && r.subresource == "token") {
    if (req.method != "POST")
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    respond(res, 201, token_request(req, t, r));
    return;
  }
  if (t.review) {
    if (!r.name.empty() || (t.namespaced && r.ns.empty()))
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    respond(res, 201, answer_review(req, t, r.ns));
    return;
  }
  bool scale = r.subresource == "scale" && has_scale(t);
  if (!r.subresource.empty() && !scale && (r.subresource != "status" || !t.status_subresource))
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  if (t.namespaced && r.ns.empty() && !r.name.empty())
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  if (scale) {
    std::lock_guard<std::mutex> lock(mu);
    respond(res, 200, serve_scale(req, t, r));
    return;
  }
  bool is_watch = r.watch_prefix || truthy(req.param("watch"));
  std::unique_lock<std::mutex> lock(mu);
  int code = 200;
  if (req.method == "GET") {
    if (r.name.empty()) {
      if (is_watch) {
        watch(req, res, t, r.ns);
      } else {
        list(req, res, t, r.ns);
      }
      return;
    }
    ObjPtr obj = get(t, r.ns, r.name);
    if (!obj) not_found(t, r.name);
    if (wants_table(req)) {
      res.status = 200;
      res.content_type = "application/json";
      res.body =
          table_json(t, {obj}, req.param("includeObject"), meta_str(*obj, "resourceVersion"), "");
      return;
    }
    Value v = present(t, obj);
    lock.unlock();
    respond(res, 200, v);
    return;
  }
  Value out;
  if (req.method == "POST") {
    if (!r.name.empty() || (t.namespaced && r.ns.empty()))
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    out = create(req, t, r.ns, code);
  } else if (req.method == "PUT") {
    if (r.name.empty())
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    out = update(req, t, r);
  } else if (req.method == "PATCH") {
    if (r.name.empty())
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    out = patch(req, t, r, code);
  } else if (req.method == "DELETE") {
    out = r.name.empty() ? remove_collection(req, t, r.ns) : remove(req, t, r);
  } else {
    fail(405, "MethodNotAllowed",
         "the server does not allow this method on the requested resource");
  }
  lock.unlock();
  respond(res, code, out);
}

void Api::Impl::list(const http::ServerRequest& req, http::ServerResponse& res,
                     const ResourceType& t, const std::string& ns) {
  LabelSelector lsel;
  FieldSelector fsel;
  try {
    lsel = LabelSelector::parse(req.param("labelSelector"));
  } catch (const Error& e) {
    bad_request("unable to parse requirement: " + e.why());
  }
  try {
    fsel = FieldSelector::parse(req.param("fieldSelector"));
  } catch (const Error& e) {
    bad_request(e.why());
  }
  check_field_selector(t, fsel);
  size_t limit = 0;
  if (std::string l = req.param("limit"); !l.empty()) {
    try {
      limit = std::stoul(l);
    } catch (const std::exception&) {
      bad_request("invalid limit: " + l);
    }
  }
  std::string start;
  if (std::string c = req.param("continue"); !c.empty()) {
    auto dec = base64_decode(c);
    if (!dec) fail(400, "BadRequest", "continue key is not valid: illegal base64 data");
    start = *dec;
  }
  std::vector<ObjPtr> items;
  std::string next;
  auto sit = store.find(t.storage_key());
  if (sit != store.end()) {
    auto& objs = sit->second;
    auto it = start.empty() ? (ns.empty() ? objs.begin() : objs.lower_bound(okey(ns, "")))
                            : objs.upper_bound(start);
    for (; it != objs.end(); ++it) {
      const Value& o = *it->second;
      if (!ns.empty() && meta_str(o, "namespace") != ns) break;
      if (!lsel.matches(o.find_path({"metadata", "labels"}))) continue;
      if (!fsel.empty() && !fsel.matches(o)) continue;
      if (limit && items.size() == limit) {
        next = base64_encode(std::prev(it)->first);
        break;
      }
      items.push_back(it->second);
    }
  }
  std::string rvs = std::to_string(rv);
  bool table = wants_table(req);
  std::string include = req.param("includeObject");
  mu.unlock();
  res.status = 200;
  res.content_type = "application/json";
  if (table) {
    res.body = table_json(t, items, include, rvs, next);
  } else {
    std::string& out = res.body;
    Value md = Value::object({{"resourceVersion", rvs}});
    if (!next.empty()) md.set("continue", next);
    out = "{\"kind\":\"" + t.kind + "List\",\"apiVersion\":\"" + t.api_version() +
          "\",\"metadata\":" + doc::to_json(md) + ",\"items\":[";
    bool first = true;
    for (const auto& o : items) {
      if (!first) out += ",";
      first = false;
      out += t.custom && o->get_string("apiVersion") != t.api_version()
                 ? doc::to_json(present(t, o))
                 : doc::to_json(*o);
    }
    out += "]}";
  }
  mu.lock();
}

void Api::Impl::watch(const http::ServerRequest& req, http::ServerResponse& res,
                      const ResourceType& t, const std::string& ns) {
  LabelSelector lsel;
  FieldSelector fsel;
  try {
    lsel = LabelSelector::parse(req.param("labelSelector"));
    fsel = FieldSelector::parse(req.param("fieldSelector"));
  } catch (const Error& e) {
    bad_request(e.why());
  }
  check_field_selector(t, fsel);
  std::string rvp = req.param("resourceVersion");
  bool bookmarks = truthy(req.param("allowWatchBookmarks"));
  bool send_initial = truthy(req.param("sendInitialEvents"));
  int timeout = 1800;
  if (std::string ts = req.param("timeoutSeconds"); !ts.empty()) {
    try {
      timeout = std::stoi(ts);
    } catch (const std::exception&) {
    }
  }
  std::vector<ObjPtr> initial;
  uint64_t start = rv;
  bool expired = false;
  if (rvp.empty() || rvp == "0" || send_initial) {
    auto sit = store.find(t.storage_key());
    if (sit != store.end())
      for (const auto& [k, o] : sit->second)
        initial.push_back(o);
  } else {
    try {
      start = std::stoull(rvp);
    } catch (const std::exception&) {
      bad_request("invalid resource version: " + rvp);
    }
    uint64_t oldest = events.empty() ? rv : events.front().rv;
    if (start + 1 < oldest) expired = true;
    if (start > rv) start = rv;
  }
  auto match = [lsel, fsel, ns](const Value& o) {
    if (!ns.empty() && meta_str(o, "namespace") != ns) return false;
    return lsel.matches(o.find_path({"metadata", "labels"})) && fsel.matches(o);
  };
  res.status = 200;
  res.content_type = "application/json;stream=watch";
  uint64_t oldest_for_msg = events.empty() ? rv : events.front().rv;
  res.stream = [this, t, initial, start, expired, bookmarks, send_initial, timeout, match, rvp,
                oldest_for_msg](http::StreamWriter& w) {
    ++open_watches;
    struct Guard {
      std::atomic<int>& n;
      ~Guard() { --n; }
    } guard{open_watches};
    auto last_write = Clock::now();
    auto send = [&](const std::string& type, const std::string& obj) {
      last_write = Clock::now();
      return w.write("{\"type\":\"" + type + "\",\"object\":" + obj + "}\n");
    };
    if (expired) {
      send("ERROR", doc::to_json(status_object(410, "Expired",
                                               "too old resource version: " + rvp + " (" +
                                                   std::to_string(oldest_for_msg) + ")")));
      return;
    }
    for (const auto& o : initial)
      if (match(*o) && !send("ADDED", doc::to_json(present(t, o)))) return;
    auto bookmark = [&](uint64_t at, bool initial_end) {
      Value md = Value::object({{"resourceVersion", std::to_string(at)}});
      if (initial_end)
        md.set("annotations", Value::object({{"k8s.io/initial-events-end", "true"}}));
      return send("BOOKMARK",
                  doc::to_json(Value::object(
                      {{"kind", t.kind}, {"apiVersion", t.api_version()}, {"metadata", md}})));
    };
    if (send_initial && !bookmark(start, true)) return;
    uint64_t last = start;
    auto deadline = Clock::now() + std::chrono::seconds(timeout);
    auto last_bookmark = Clock::now();
    const std::string skey = t.storage_key();
    while (true) {
      std::vector<Event> batch;
      uint64_t oldest_kept = 0;
      {
        std::unique_lock<std::mutex> lk(mu);
        auto until = std::min(deadline, Clock::now() + std::chrono::seconds(1));
        cv.wait_until(lk, until,
                      [&] { return stopping || (!events.empty() && events.back().rv > last); });
        if (stopping) return;
        // Changes this watch has not sent yet fell out of the kept history
        // (a slow reader): like kube-apiserver, end it with 410 Gone rather
        // than skip them, so the client lists again.
        if (!events.empty() && events.front().rv > last + 1) oldest_kept = events.front().rv;
        for (auto it = events.rbegin(); oldest_kept == 0 && it != events.rend() && it->rv > last;
             ++it)
          if (it->skey == skey) batch.push_back(*it);
        if (!events.empty() && events.back().rv > last) last = events.back().rv;
      }
      if (oldest_kept) {
        send("ERROR",
             doc::to_json(status_object(410, "Expired",
                                        "too old resource version: " + std::to_string(last) + " (" +
                                            std::to_string(oldest_kept) + ")")));
        return;
      }
      std::reverse(batch.begin(), batch.end());
      for (const auto& ev : batch) {
        bool cur = match(*ev.obj);
        std::string type;
        const ObjPtr* which = &ev.obj;
        if (ev.type == "MODIFIED") {
          bool prev = ev.prev && match(*ev.prev);
          if (cur && prev) type = "MODIFIED";
          if (cur && !prev) type = "ADDED";
          if (!cur && prev) type = "DELETED";
        } else if (cur) {
          type = ev.type;
        }
        if (type.empty()) continue;
        if (!send(type, doc::to_json(present(t, *which)))) return;
      }
      auto now = Clock::now();
      if (now >= deadline) return;
      if (bookmarks && now - last_bookmark > std::chrono::seconds(5)) {
        if (!bookmark(last, false)) return;
        last_bookmark = now;
      } else if (now - last_write > std::chrono::seconds(10)) {
        // A newline between events (JSON stream decoders skip whitespace)
        // notices clients that went away, so their thread is freed.
        last_write = now;
        if (!w.write("\n")) return;
      }
    }
  };
}

namespace {

// An update or an apply names its object in the URL; the body must agree.
void check_body_names(const ResourceType& t, const Value& body, const Route& r) {
  std::string name = meta_str(body, "name");
  if (name != r.name)
    bad_request("the name of the object (" + name + ") does not match the name on the URL (" +
                r.name + ")");
  if (t.namespaced) {
    std::string ns = meta_str(body, "namespace");
    if (!ns.empty() && ns != r.ns)
      bad_request(
          "the namespace of the provided object does not match the namespace sent on the request");
  }
}

void check_type_meta(const ResourceType& t, Value& body) {
  if (!body.is_map()) bad_request("the body of the request must be a JSON or YAML object");
  std::string av = body.get_string("apiVersion");
  std::string kind = body.get_string("kind");
  if (av.empty() || kind.empty()) {
    // Filled in from the path, in front as the apiserver writes them.
    Value front = Value::object({{"apiVersion", av.empty() ? t.api_version() : av},
                                 {"kind", kind.empty() ? t.kind : kind}});
    for (auto& m : body.as_map())
      if (m.key != "apiVersion" && m.key != "kind") front.set(m.key, std::move(m.value));
    body = std::move(front);
  }
  av = body.get_string("apiVersion");
  kind = body.get_string("kind");
  if (av != t.api_version())
    bad_request("the API version in the data (" + av +
                ") does not match the expected API version (" + t.api_version() + ")");
  if (kind != t.kind)
    bad_request("the kind in the data (" + kind + ") does not match the expected kind (" + t.kind +
                ")");
  if (const Value* m = body.find("metadata"); m && !m->is_map() && !m->is_null())
    bad_request("metadata must be an object");
}

Value crd_condition(const std::string& type, const std::string& reason,
                    const std::string& message) {
  return Value::object({{"type", type},
                        {"status", "True"},
                        {"lastTransitionTime", now_str()},
                        {"reason", reason},
                        {"message", message}});
}

}  // namespace

void Api::Impl::check_namespace(const ResourceType& t, const std::string& ns,
                                const std::string& name) {
  if (!t.namespaced) return;
  ObjPtr nsobj = get(ns_type(), "", ns);
  if (!nsobj)
    fail(404, "NotFound", "namespaces \"" + ns + "\" not found",
         name_details(ns, "", "namespaces"));
  if (nsobj->find_path({"metadata", "deletionTimestamp"})) {
    Value d = name_details(name, t.group, t.resource);
    d.set("causes",
          Value(doc::List{Value::object({{"reason", "NamespaceTerminating"},
                                         {"message", "namespace " + ns + " is being terminated"},
                                         {"field", "metadata.namespace"}})}));
    fail(403, "Forbidden",
         t.group_resource() + " \"" + name +
             "\" is forbidden: unable to create new content in namespace " + ns +
             " because it is being terminated",
         std::move(d));
  }
}

void Api::Impl::validate(const ResourceType& t, Value& obj, bool creating) {
  std::vector<Cause> causes;
  std::string name = meta_str(obj, "name");
  if (name.empty()) {
    causes.push_back({"metadata.name", "FieldValueRequired",
                      "Required value: name or generateName is required"});
  } else if (std::string why = name_problem(t, name); !why.empty()) {
    causes.push_back(
        {"metadata.name", "FieldValueInvalid", "Invalid value: \"" + name + "\": " + why});
  }
  if (const Value* labels = obj.find_path({"metadata", "labels"}); labels && labels->is_map()) {
    for (const auto& m : labels->as_map()) {
      if (!valid_qualified_name(m.key))
        causes.push_back(
            {"metadata.labels", "FieldValueInvalid",
             "Invalid value: \"" + m.key +
                 "\": name part must consist of alphanumeric characters, '-', '_' or '.', "
                 "and must start and end with an alphanumeric character"});
      std::string v = m.value.is_string() ? m.value.as_string() : "";
      if (!m.value.is_string() || !valid_label_value(v))
        causes.push_back(
            {"metadata.labels", "FieldValueInvalid",
             "Invalid value: \"" + v +
                 "\": a valid label must be an empty string or consist of alphanumeric "
                 "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                 "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                 "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"});
    }
  }
  if (!t.custom && (t.kind == "Deployment" || t.kind == "ReplicaSet" || t.kind == "StatefulSet" ||
                    t.kind == "DaemonSet")) {
    const Value* sel = obj.find_path({"spec", "selector"});
    if (!sel || !sel->is_map() || sel->size() == 0) {
      causes.push_back({"spec.selector", "FieldValueRequired", "Required value"});
    } else {
      const Value* tl = obj.find_path({"spec", "template", "metadata", "labels"});
      if (!LabelSelector::from_object(*sel).matches(tl))
        causes.push_back({"spec.template.metadata.labels", "FieldValueInvalid",
                          "Invalid value: " + (tl ? doc::to_json(*tl) : std::string("null")) +
                              ": `selector` does not match template `labels`"});
    }
  }
  if (t.kind == "CustomResourceDefinition" && !t.custom) {
    const Value* spec = obj.find("spec");
    std::string group = spec ? spec->get_string("group") : "";
    const Value* names = spec ? spec->find("names") : nullptr;
    std::string plural = names ? names->get_string("plural") : "";
    if (!name.empty() && name != plural + "." + group)
      causes.push_back(
          {"metadata.name", "FieldValueInvalid",
           "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group"});
    if (group.empty()) causes.push_back({"spec.group", "FieldValueRequired", "Required value"});
    if (plural.empty())
      causes.push_back({"spec.names.plural", "FieldValueRequired", "Required value"});
    if (!names || names->get_string("kind").empty())
      causes.push_back({"spec.names.kind", "FieldValueRequired", "Required value"});
    const Value* versions = spec ? spec->find("versions") : nullptr;
    if (!versions || !versions->is_list() || versions->size() == 0) {
      causes.push_back(
          {"spec.versions", "Invalid",
           "Invalid value: null: must have exactly one version marked as storage version"});
    } else {
      int storage = 0;
      for (const auto& v : versions->as_list()) {
        const Value* s = v.find("storage");
        storage += s && s->is_bool() && s->as_bool();
      }
      if (storage != 1)
        causes.push_back({"spec.versions", "FieldValueInvalid",
                          "Invalid value: " + doc::to_json(*versions) +
                              ": must have exactly one version marked as storage version"});
    }
  }
  (void)creating;
  if (!causes.empty()) invalid(t, name, causes);
}

namespace {

// What the apiserver does to every write of some kinds: Secrets turn
// stringData into base64 data and default their type.
void normalize(const ResourceType& t, Value& obj) {
  if (t.custom || t.kind != "Secret") return;
  if (const Value* sd = obj.find("stringData"); sd && sd->is_map()) {
    Value merged =
        obj.find("data") && obj.find("data")->is_map() ? *obj.find("data") : Value::map();
    for (const auto& m : sd->as_map())
      if (m.value.is_string()) merged.set(m.key, base64_encode(m.value.as_string()));
    obj.set("data", std::move(merged));
    obj.erase("stringData");
  }
  if (obj.get_string("type").empty()) obj.set("type", "Opaque");
}

}  // namespace

namespace {

// Structural-schema checks of custom resources: types, required fields,
// enums; unknown fields are pruned, or rejected under fieldValidation=Strict.
struct SchemaCheck {
  std::vector<Cause> causes;
  std::vector<std::string> unknown;

  static std::string type_of(const Value& v) {
    switch (v.type()) {
      case doc::Type::kMap:
        return "object";
      case doc::Type::kList:
        return "array";
      case doc::Type::kString:
        return "string";
      case doc::Type::kInt:
        return "integer";
      case doc::Type::kFloat:
        return "number";
      case doc::Type::kBool:
        return "boolean";
      default:
        return "null";
    }
  }

  void check(Value& v, const Value& schema, const std::string& path, bool root) {
    if (!schema.is_map()) return;
    const Value* pu = schema.find("x-kubernetes-preserve-unknown-fields");
    bool preserve = pu && pu->is_bool() && pu->as_bool();
    const Value* ios = schema.find("x-kubernetes-int-or-string");
    std::string want = schema.get_string("type");
    if (v.is_null()) {
      const Value* nullable = schema.find("nullable");
      if (!(nullable && nullable->is_bool() && nullable->as_bool()) && !want.empty())
        causes.push_back({path, "FieldValueTypeInvalid",
                          "Invalid value: \"null\": " + path + " in body must be of type " + want +
                              ": \"null\""});
      return;
    }
    if (ios && ios->is_bool() && ios->as_bool()) {
      if (!v.is_int() && !v.is_string())
        causes.push_back({path, "FieldValueTypeInvalid",
                          "Invalid value: \"" + type_of(v) + "\": " + path +
                              " in body must be of type integer-or-string"});
      return;
    }
    std::string have = type_of(v);
    if (!want.empty() && want != have && !(want == "number" && have == "integer")) {
      causes.push_back({path, "FieldValueTypeInvalid",
                        "Invalid value: \"" + have + "\": " + path + " in body must be of type " +
                            want + ": \"" + have + "\""});
      return;
    }
    if (const Value* en = schema.find("enum"); en && en->is_list()) {
      bool ok = false;
      std::string allowed;
      for (const auto& e : en->as_list()) {
        ok = ok || e.equals(v);
        allowed += (allowed.empty() ? "" : ", ") + doc::to_json(e);
      }
      if (!ok)
        causes.push_back(
            {path, "FieldValueNotSupported",
             "Unsupported value: " + doc::to_json(v) + ": supported values: " + allowed});
    }
    if (v.is_map()) {
      const Value* props = schema.find("properties");
      const Value* additional = schema.find("additionalProperties");
      if (const Value* req = schema.find("required"); req && req->is_list())
        for (const auto& r : req->as_list())
          if (r.is_string() && !v.find(r.as_string()))
            causes.push_back({(path.empty() ? "" : path + ".") + r.as_string(),
                              "FieldValueRequired", "Required value"});
      auto& members = v.as_map();
      for (auto it = members.begin(); it != members.end();) {
        std::string child = (path.empty() ? "" : path + ".") + it->key;
        if (root && (it->key == "apiVersion" || it->key == "kind" || it->key == "metadata")) {
          ++it;
          continue;
        }
        const Value* ps = props ? props->find(it->key) : nullptr;
        if (!ps && additional && additional->is_map()) ps = additional;
        if (ps) {
          check(it->value, *ps, child, false);
          ++it;
        } else if (preserve || (additional && additional->is_bool() && additional->as_bool())) {
          ++it;
        } else {
          unknown.push_back(child);
          it = members.erase(it);
        }
      }
    } else if (v.is_list()) {
      if (const Value* items = schema.find("items"))
        for (size_t i = 0; i < v.size(); ++i)
          check(v.as_list()[i], *items, path + "[" + std::to_string(i) + "]", false);
    }
  }
};

// Sets `to`'s status to `from`'s, or removes it when `from` has none.
void take_status(Value& to, const Value& from) {
  if (const Value* st = from.find("status")) {
    to.set("status", *st);
  } else {
    to.erase("status");
  }
}

// What an update or patch writes: through the status subresource only the
// status changes; through the main resource the status stays as it is when
// the type has a status subresource.
Value split_status(const ResourceType& t, const Route& r, const Value& current, Value requested) {
  if (r.subresource == "status") {
    Value next = current;
    take_status(next, requested);
    return next;
  }
  if (t.status_subresource) take_status(requested, current);
  return requested;
}

void check_custom_resource(const ResourceType& t, Value& obj, const http::ServerRequest& req) {
  if (!t.custom || !t.schema) return;
  SchemaCheck c;
  c.check(obj, *t.schema, "", true);
  if (!c.unknown.empty() && req.param("fieldValidation") == "Strict") {
    std::string msg = t.kind + " in version \"" + t.version + "\" cannot be handled as a " +
                      t.kind + ": strict decoding error: ";
    for (size_t i = 0; i < c.unknown.size(); ++i)
      msg += (i ? ", " : "") + std::string("unknown field \"") + c.unknown[i] + "\"";
    bad_request(msg);
  }
  if (!c.causes.empty()) invalid(t, meta_str(obj, "name"), c.causes);
}

}  // namespace

Value Api::Impl::prepare_create(const ResourceType& t, Value obj, const std::string& ns) {
  Value& m = meta(obj);
  if (m.get_string("name").empty() && !m.get_string("generateName").empty())
    m.set("name", m.get_string("generateName") + random_suffix(5));
  if (t.namespaced) {
    std::string body_ns = m.get_string("namespace");
    if (!body_ns.empty() && !ns.empty() && body_ns != ns)
      bad_request(
          "the namespace of the provided object does not match the namespace sent on the request");
    if (body_ns.empty()) m.set("namespace", ns);
  } else {
    m.erase("namespace");
  }
  normalize(t, obj);
  validate(t, obj, true);
  Value& md = meta(obj);
  md.set("uid", new_uid());
  md.set("creationTimestamp", now_str());
  md.erase("resourceVersion");
  md.erase("deletionTimestamp");
  md.erase("deletionGracePeriodSeconds");
  md.erase("selfLink");
  if (t.has_generation) {
    md.set("generation", 1);
  } else {
    md.erase("generation");
  }
  if (t.status_subresource) obj.erase("status");
  if (t.custom) return obj;
  if (t.kind == "Namespace") {
    Value& labels = md["labels"];
    if (!labels.is_map()) labels = Value::map();
    labels.set("kubernetes.io/metadata.name", md.get_string("name"));
    obj.set("spec", Value::object({{"finalizers", Value(doc::List{Value("kubernetes")})}}));
    obj.set("status", Value::object({{"phase", "Active"}}));
  } else if (t.kind == "Pod" || t.kind == "PersistentVolumeClaim") {
    obj.set("status", Value::object({{"phase", "Pending"}}));
  } else if (t.kind == "Service") {
    Value& spec = obj["spec"];
    if (!spec.is_map()) spec = Value::map();
    if (spec.get_string("type").empty()) spec.set("type", "ClusterIP");
    if (spec.get_string("type") != "ExternalName" && !spec.find("clusterIP")) {
      static std::atomic<unsigned> next_ip{10};
      unsigned n = next_ip++;
      std::string ip =
          "10.96." + std::to_string((n / 250) % 250) + "." + std::to_string(n % 250 + 1);
      spec.set("clusterIP", ip);
      spec.set("clusterIPs", Value(doc::List{Value(ip)}));
    }
    obj.set("status", Value::object({{"loadBalancer", Value::map()}}));
  } else if (t.kind == "CustomResourceDefinition") {
    if (finalizers(obj).empty())
      md.set("finalizers", Value(doc::List{Value("customresourcecleanup.apiextensions.k8s.io")}));
    Value status = Value::map();
    Value conds = Value::list();
    conds.push_back(crd_condition("NamesAccepted", "NoConflicts", "no conflicts found"));
    conds.push_back(crd_condition("Established", "InitialNamesAccepted",
                                  "the initial names have been accepted"));
    status.set("conditions", conds);
    Value accepted =
        obj.find_path({"spec", "names"}) ? *obj.find_path({"spec", "names"}) : Value::map();
    if (accepted.get_string("singular").empty()) {
      std::string s;
      for (char c : accepted.get_string("kind"))
        s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      accepted.set("singular", s);
    }
    if (accepted.get_string("listKind").empty())
      accepted.set("listKind", accepted.get_string("kind") + "List");
    status.set("acceptedNames", accepted);
    Value stored = Value::list();
    if (const Value* vs = obj.find_path({"spec", "versions"}); vs && vs->is_list())
      for (const auto& v : vs->as_list())
        if (const Value* s = v.find("storage"); s && s->is_bool() && s->as_bool())
          stored.push_back(v.get_string("name"));
    status.set("storedVersions", stored);
    obj.set("status", status);
  }
  return obj;
}

// The token controller: a new kubernetes.io/service-account-token Secret gets
// a token (and the namespace) of the ServiceAccount its annotation names.
void fill_service_account_token(const ResourceType& t, Value& obj) {
  if (t.kind == "Secret" && !t.custom &&
      obj.get_string("type") == "kubernetes.io/service-account-token") {
    // The token controller fills in a token for the named ServiceAccount.
    const Value* sa =
        obj.find_path({"metadata", "annotations", "kubernetes.io/service-account.name"});
    if (!sa || !sa->is_string() || sa->as_string().empty())
      fail(422, "Invalid",
           "Secret \"" + meta_str(obj, "name") +
               "\" is invalid: metadata.annotations[kubernetes.io/service-account.name]: Required "
               "value");
    Value& data = obj["data"];
    if (!data.is_map()) data = Value::map();
    data.set("token", base64_encode("sbx-sa." + random_suffix(40)));
    data.set("namespace", base64_encode(meta_str(obj, "namespace")));
  }
}

Value Api::Impl::token_request(const http::ServerRequest& req, const ResourceType& t,
                               const Route& r) {
  Value body = req.body.empty() ? Value::map() : parse_body(req, true);
  std::lock_guard<std::mutex> lock(mu);
  if (!get(t, r.ns, r.name)) not_found(t, r.name);
  int64_t seconds = 3600;
  if (const Value* e = body.find_path({"spec", "expirationSeconds"}); e && e->is_int())
    seconds = e->as_int();
  std::string token = "sbx-sa." + random_suffix(40);
  if (!dry_run(req)) sa_tokens[token] = {r.ns, r.name};
  auto expires = std::chrono::system_clock::now() + std::chrono::seconds(seconds);
  Value out = Value::object({{"kind", "TokenRequest"}, {"apiVersion", "authentication.k8s.io/v1"}});
  meta(out).set("name", r.name);
  meta(out).set("namespace", r.ns);
  meta(out).set("creationTimestamp", Value());
  Value spec = body.find("spec") && body.find("spec")->is_map() ? *body.find("spec") : Value::map();
  spec.set("expirationSeconds", seconds);
  out.set("spec", spec);
  out.set("status",
          Value::object({{"token", token}, {"expirationTimestamp", utc_timestamp(expires)}}));
  return out;
}

// Reviews answer for the identities the sandbox knows (its admin token, in
// system:masters, and ServiceAccount tokens) with the stored RBAC objects.
Value Api::Impl::answer_review(const http::ServerRequest& req, const ResourceType& t,
                               const std::string& ns) {
  Value body = parse_body(req, true);
  check_type_meta(t, body);
  Value out = body;
  out.set("apiVersion", t.api_version());
  out.set("kind", t.kind);
  meta(out).set("creationTimestamp", Value());
  auto user_info = [](const rbac::Subject& s) {
    Value groups = Value::list();
    for (const auto& g : s.groups)
      groups.push_back(g);
    return Value::object({{"username", s.user}, {"groups", groups}});
  };
  std::unique_lock<std::mutex> lock(mu);
  Identity caller = request_identity;
  const Value* spec = body.find("spec");
  if (t.kind == "TokenReview") {
    std::string token = spec && spec->is_map() ? spec->get_string("token") : "";
    Identity id = token.empty() ? Identity{} : identify_token(token);
    Value st = Value::object({{"authenticated", id.valid}});
    if (id.valid) st.set("user", user_info(id.subject));
    if (!id.valid) st.set("error", "the token is not one the sandbox issued");
    out.set("status", st);
  } else if (t.kind == "SelfSubjectReview") {
    out.set("status", Value::object({{"userInfo", user_info(caller.subject)}}));
  } else if (t.kind == "SelfSubjectRulesReview") {
    std::string rns = spec && spec->is_map() ? spec->get_string("namespace") : "";
    Value all = Value(List{Value("*")});
    Value rules =
        caller.admin
            ? Value(List{Value::object({{"verbs", all}, {"apiGroups", all}, {"resources", all}}),
                         Value::object({{"verbs", all}, {"nonResourceURLs", all}})})
            : rbac::rules_for(rbac_objects(), caller.subject, rns);
    Value resource_rules = Value::list(), non_resource_rules = Value::list();
    for (const auto& rule : rules.as_list())
      (rule.find("nonResourceURLs") ? non_resource_rules : resource_rules).push_back(rule);
    out.set("status", Value::object({{"resourceRules", resource_rules},
                                     {"nonResourceRules", non_resource_rules},
                                     {"incomplete", false}}));
  } else if (t.kind == "Binding") {
    lock.unlock();
    // The scheduler's write: spec.nodeName of the pod, once.
    std::string name = meta_str(body, "name");
    std::string node =
        body.find_path({"target", "name"}) && body.find_path({"target", "name"})->is_string()
            ? body.find_path({"target", "name"})->as_string()
            : "";
    if (name.empty() || node.empty()) bad_request("a Binding needs metadata.name and target.name");
    auto pods = find_type("", "v1", "pods");
    std::lock_guard<std::mutex> plock(mu);
    ObjPtr pod = get(*pods, ns, name);
    if (!pod) not_found(*pods, name);
    const Value* bound = pod->find_path({"spec", "nodeName"});
    if (bound && bound->is_string() && !bound->as_string().empty())
      fail(409, "Conflict",
           "Operation cannot be fulfilled on pods/binding \"" + name + "\": pod " + name +
               " is already assigned to node \"" + bound->as_string() + "\"",
           name_details(name, "", "pods"));
    Value next = *pod;
    next["spec"].set("nodeName", node);
    if (!dry_run(req)) put(*pods, std::move(next), "MODIFIED", pod);
    return Value::object({{"kind", "Status"},
                          {"apiVersion", "v1"},
                          {"metadata", Value::map()},
                          {"status", "Success"},
                          {"code", int64_t{201}}});
  } else {
    // SubjectAccessReview (spec.user/groups), SelfSubjectAccessReview (the
    // caller), LocalSubjectAccessReview (in the request's namespace).
    const Value* attr = spec ? spec->find("resourceAttributes") : nullptr;
    const Value* nonres = spec ? spec->find("nonResourceAttributes") : nullptr;
    if (t.kind == "LocalSubjectAccessReview" &&
        (!attr || !attr->is_map() || attr->get_string("namespace") != ns))
      fail(400, "BadRequest",
           "spec.resourceAttributes.namespace must match namespace \"" + ns + "\"");
    Identity who = caller;
    if (t.kind != "SelfSubjectAccessReview") {
      who = Identity{};
      who.valid = true;
      who.subject.user = spec ? spec->get_string("user") : "";
      if (const Value* g = spec ? spec->find("groups") : nullptr; g && g->is_list())
        for (const auto& x : g->as_list())
          if (x.is_string()) who.subject.groups.push_back(x.as_string());
      who.admin = std::find(who.subject.groups.begin(), who.subject.groups.end(),
                            "system:masters") != who.subject.groups.end();
    }
    rbac::Request r;
    if (attr && attr->is_map()) {
      r.verb = attr->get_string("verb");
      r.api_group = attr->get_string("group");
      r.resource = attr->get_string("resource");
      r.subresource = attr->get_string("subresource");
      r.ns = attr->get_string("namespace");
      r.name = attr->get_string("name");
    } else if (nonres && nonres->is_map()) {
      r.verb = nonres->get_string("verb");
      r.non_resource_url = nonres->get_string("path");
    }
    bool ok = allowed(who, r);
    Value st = Value::object({{"allowed", ok}});
    if (ok && who.admin) st.set("reason", "a member of system:masters");
    out.set("status", st);
  }
  return out;
}

Value Api::Impl::create(const http::ServerRequest& req, const ResourceType& t,
                        const std::string& ns, int& code) {
  bool dry = dry_run(req);
  Value body = parse_body(req, true);
  check_type_meta(t, body);
  check_crd_active(t);
  check_custom_resource(t, body, req);
  Value obj = prepare_create(t, std::move(body), ns);
  fill_service_account_token(t, obj);
  std::string name = meta_str(obj, "name");
  check_namespace(t, meta_str(obj, "namespace"), name);
  if (get(t, meta_str(obj, "namespace"), name))
    fail(409, "AlreadyExists", t.group_resource() + " \"" + name + "\" already exists",
         name_details(name, t.group, t.resource));
  record_update(nullptr, obj, t, manager_from(req), "", {});
  code = 201;
  if (dry) return obj;
  ObjPtr p = put(t, std::move(obj), "ADDED", nullptr);
  if (t.kind == "CustomResourceDefinition" && !t.custom) rebuild_crd_types();
  return present(t, p);
}

ObjPtr Api::Impl::store_update(const ResourceType& t, const ObjPtr& cur, Value next, bool dry,
                               const std::string& manager_sub) {
  (void)manager_sub;
  Value& m = meta(next);
  const Value* cm = cur->find("metadata");
  for (const char* k :
       {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    const Value* v = cm->find(k);
    if (v) {
      m.set(k, *v);
    } else {
      m.erase(k);
    }
  }
  m.set("name", meta_str(*cur, "name"));
  if (t.namespaced) m.set("namespace", meta_str(*cur, "namespace"));
  if (t.has_generation) {
    int64_t gen = cm->find("generation") && cm->find("generation")->is_int()
                      ? cm->find("generation")->as_int()
                      : 1;
    if (spec_changed(*cur, next)) ++gen;
    m.set("generation", gen);
  }
  m.set("resourceVersion", meta_str(*cur, "resourceVersion"));
  if (next.equals(*cur)) return cur;
  if (dry) return std::make_shared<const Value>(std::move(next));
  return commit(t, cur, std::move(next));
}

Value Api::Impl::update(const http::ServerRequest& req, const ResourceType& t, const Route& r) {
  bool dry = dry_run(req);
  Value body = parse_body(req, true);
  check_type_meta(t, body);
  check_body_names(t, body, r);
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  std::string brv = meta_str(body, "resourceVersion");
  if (!brv.empty() && brv != meta_str(*cur, "resourceVersion")) rv_conflict(t, r.name);
  Value next = split_status(t, r, *cur, std::move(body));
  check_custom_resource(t, next, req);
  normalize(t, next);
  validate(t, next, false);
  record_update(cur.get(), next, t, manager_from(req), r.subresource,
                managed_base(*cur, next, r.subresource));
  return present(t, store_update(t, cur, std::move(next), dry, r.subresource));
}

namespace {

std::string print_manager(const ManagedEntry& e) {
  std::string s = "\"" + e.manager + "\"";
  if (e.operation == "Update") s += " using " + e.api_version;
  return s;
}

}  // namespace

Value Api::Impl::patch(const http::ServerRequest& req, const ResourceType& t, const Route& r,
                       int& code) {
  std::string ct = req.header("Content-Type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ')
    ct.pop_back();
  bool dry = dry_run(req);
  if (ct == "application/apply-patch+yaml") {
    Value applied = parse_body(req, true);
    return apply(req, t, r, applied, code);
  }
  bool strategic = ct == "application/strategic-merge-patch+json";
  if (!(ct == "application/json-patch+json" || ct == "application/merge-patch+json" ||
        (strategic && !t.custom)))
    fail(415, "UnsupportedMediaType",
         std::string(
             "the body of the request was in an unknown format - accepted media types include: "
             "application/json-patch+json, application/merge-patch+json, ") +
             (t.custom ? "" : "application/strategic-merge-patch+json, ") +
             "application/apply-patch+yaml");
  if (req.body.size() > kMaxBodyBytes)
    fail(413, "RequestEntityTooLarge",
         "Request entity too large: limit is " + std::to_string(kMaxBodyBytes));
  Value p;
  try {
    p = doc::parse_json(req.body, "patch");
  } catch (const Error& e) {
    bad_request("error decoding patch: " + e.why());
  }
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  Value patched = *cur;
  try {
    if (ct == "application/json-patch+json") {
      json_patch(patched, p);
    } else if (ct == "application/merge-patch+json") {
      json_merge_patch(patched, p);
    } else {
      strategic_merge_patch(patched, p, t);
    }
  } catch (const Error& e) {
    fail(422, "Invalid", e.why());
  }
  if (!patched.is_map()) fail(422, "Invalid", "the patch did not produce an object");
  std::string prv = meta_str(patched, "resourceVersion");
  if (!prv.empty() && prv != meta_str(*cur, "resourceVersion")) rv_conflict(t, r.name);
  if (meta_str(patched, "name") != r.name)
    bad_request("the name of the object (" + meta_str(patched, "name") +
                ") does not match the name on the URL (" + r.name + ")");
  Value next = split_status(t, r, *cur, std::move(patched));
  next.set("apiVersion", cur->get_string("apiVersion"));
  next.set("kind", t.kind);
  check_custom_resource(t, next, req);
  normalize(t, next);
  validate(t, next, false);
  record_update(cur.get(), next, t, manager_from(req), r.subresource,
                managed_base(*cur, next, r.subresource));
  return present(t, store_update(t, cur, std::move(next), dry, r.subresource));
}

Value Api::Impl::apply(const http::ServerRequest& req, const ResourceType& t, const Route& r,
                       const Value& applied_in, int& code) {
  bool dry = dry_run(req);
  std::string manager = req.param("fieldManager");
  if (manager.empty())
    invalid(
        pseudo_type("meta.k8s.io", "PatchOptions"), "",
        {{"fieldManager", "FieldValueRequired", "Required value: is required for apply patch"}});
  bool force = truthy(req.param("force"));
  if (!applied_in.is_map()) bad_request("the body of the request must be a YAML or JSON object");
  Value applied = applied_in;
  if (applied.get_string("kind").empty())
    bad_request("Object 'Kind' is missing in '" + doc::to_json(applied) + "'");
  if (applied.get_string("apiVersion").empty())
    bad_request("Object 'apiVersion' is missing in '" + doc::to_json(applied) + "'");
  check_type_meta(t, applied);
  check_body_names(t, applied, r);
  const bool status_sub = r.subresource == "status";
  ObjPtr cur = get(t, r.ns, r.name);
  std::string arv = meta_str(applied, "resourceVersion");
  if (!arv.empty() && (!cur || arv != meta_str(*cur, "resourceVersion"))) {
    if (!cur) not_found(t, r.name);
    rv_conflict(t, r.name);
  }
  if (!cur && status_sub) not_found(t, r.name);
  // What the applier owns.
  FieldSet owned = apply_set(applied, t);
  strip_ignored(owned, status_sub || !t.status_subresource, status_sub);
  // Clean the applied config of fields the server sets.
  Value clean = applied;
  if (Value* m = clean.find("metadata"); m && m->is_map())
    for (const char* k :
         {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
          "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"})
      m->erase(k);
  if (status_sub) {
    Value only = Value::object({{"apiVersion", clean.get_string("apiVersion")}, {"kind", t.kind}});
    if (const Value* st = clean.find("status")) only.set("status", *st);
    clean = std::move(only);
  } else if (t.status_subresource) {
    clean.erase("status");
  }
  Value base;
  std::vector<ManagedEntry> entries;
  if (cur) {
    base = *cur;
    entries = read_managed(*cur);
    meta(base).erase("managedFields");
  } else {
    base = Value::object({{"apiVersion", t.api_version()}, {"kind", t.kind}});
    meta(base).set("name", r.name);
    if (t.namespaced) meta(base).set("namespace", r.ns);
  }
  Value merged = base;
  apply_merge(merged, clean, t);
  merged.set("apiVersion", cur ? cur->get_string("apiVersion") : t.api_version());
  // Conflicts: fields this apply changes that another manager owns.
  FieldSet changed = changed_set(&base, merged, t);
  strip_ignored(changed, status_sub || !t.status_subresource, status_sub);
  auto changed_paths = changed.members();
  std::vector<std::pair<size_t, std::vector<std::string>>> conflicts;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].same_owner(manager, "Apply", r.subresource)) continue;
    for (const auto& p : changed_paths)
      if (entries[i].fields.contains(p)) conflicts.push_back({i, p});
  }
  if (!conflicts.empty() && !force) {
    Value causes = Value::list();
    for (const auto& [i, p] : conflicts)
      causes.push_back(Value::object({{"type", "FieldManagerConflict"},
                                      {"message", "conflict with " + print_manager(entries[i])},
                                      {"field", path_string(p)}}));
    std::string msg;
    if (conflicts.size() == 1) {
      msg = "Apply failed with 1 conflict: conflict with " +
            print_manager(entries[conflicts[0].first]) + ": " + path_string(conflicts[0].second);
    } else {
      std::map<std::string, std::vector<std::string>> by_manager;
      for (const auto& [i, p] : conflicts)
        by_manager[print_manager(entries[i])].push_back(path_string(p));
      msg = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
      bool first = true;
      for (const auto& [m, paths] : by_manager) {
        if (!first) msg += "\n";
        first = false;
        msg += "conflicts with " + m + ":";
        for (const auto& p : paths)
          msg += "\n- " + p;
      }
    }
    fail(409, "Conflict", msg, Value::object({{"causes", causes}}));
  }
  for (const auto& [i, p] : conflicts)
    entries[i].fields.remove(p);
  // Fields this manager applied before and no longer applies, owned by no one else, go away.
  ManagedEntry* mine = nullptr;
  for (auto& e : entries)
    if (e.same_owner(manager, "Apply", r.subresource)) mine = &e;
  if (mine) {
    auto old = mine->fields.members();
    // Outer paths first: removing a list item takes its fields with it.
    std::sort(old.begin(), old.end(),
              [](const auto& a, const auto& b) { return a.size() < b.size(); });
    for (const auto& p : old) {
      // Kept while anyone (this applier included) still owns it or something below it.
      auto has_node = [&p](const FieldSet& set) {
        const FieldSet* n = &set;
        for (const auto& el : p) {
          auto it = n->children.find(el);
          if (it == n->children.end()) return false;
          n = &it->second;
        }
        return true;
      };
      bool kept = has_node(owned);
      for (const auto& e : entries)
        if (&e != mine) kept = kept || has_node(e.fields);
      if (!kept) remove_path(merged, p, t);
    }
    if (!mine->fields.members().empty() && mine->fields.to_value().equals(owned.to_value())) {
      // unchanged ownership: keep the entry's time
    } else {
      mine->time = now_str();
    }
    mine->fields = owned;
    mine->api_version = applied.get_string("apiVersion");
  } else {
    entries.push_back(
        {manager, "Apply", applied.get_string("apiVersion"), now_str(), r.subresource, owned});
  }
  check_custom_resource(t, merged, req);
  if (!cur) {
    code = 201;
    check_crd_active(t);
    Value obj = prepare_create(t, std::move(merged), r.ns);
    fill_service_account_token(t, obj);
    check_namespace(t, r.ns, r.name);
    write_managed(obj, entries, t);
    if (dry) return obj;
    ObjPtr p = put(t, std::move(obj), "ADDED", nullptr);
    if (t.kind == "CustomResourceDefinition" && !t.custom) rebuild_crd_types();
    return present(t, p);
  }
  if (t.status_subresource && !status_sub) take_status(merged, *cur);
  normalize(t, merged);
  validate(t, merged, false);
  write_managed(merged, entries, t);
  return present(t, store_update(t, cur, std::move(merged), dry, r.subresource));
}

namespace {

Value scale_of(const Value& o) {
  Value md = Value::map();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (std::string v = meta_str(o, k); !v.empty()) md.set(k, v);
  const Value* r = o.find_path({"spec", "replicas"});
  int64_t replicas = r && r->is_int() ? r->as_int() : 1;
  const Value* sr = o.find_path({"status", "replicas"});
  std::string sel;
  if (const Value* ml = o.find_path({"spec", "selector", "matchLabels"}); ml && ml->is_map())
    for (const auto& m : ml->as_map())
      sel +=
          (sel.empty() ? "" : ",") + m.key + "=" + (m.value.is_string() ? m.value.as_string() : "");
  return Value::object(
      {{"kind", "Scale"},
       {"apiVersion", "autoscaling/v1"},
       {"metadata", md},
       {"spec", Value::object({{"replicas", replicas}})},
       {"status",
        Value::object({{"replicas", sr && sr->is_int() ? sr->as_int() : 0}, {"selector", sel}})}});
}

}  // namespace

Value Api::Impl::serve_scale(const http::ServerRequest& req, const ResourceType& t,
                             const Route& r) {
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  Value scale = scale_of(*cur);
  if (req.method == "GET") return scale;
  if (req.method != "PUT" && req.method != "PATCH")
    fail(405, "MethodNotAllowed",
         "the server does not allow this method on the requested resource");
  bool dry = dry_run(req);
  Value next_scale = scale;
  if (req.method == "PUT") {
    next_scale = parse_body(req, false);
  } else {
    std::string ct = req.header("Content-Type");
    if (ct.rfind("application/json-patch+json", 0) != 0 &&
        ct.rfind("application/merge-patch+json", 0) != 0 &&
        ct.rfind("application/strategic-merge-patch+json", 0) != 0)
      fail(415, "UnsupportedMediaType",
           "the body of the request was in an unknown format - accepted media types include: "
           "application/json-patch+json, application/merge-patch+json, "
           "application/strategic-merge-patch+json");
    Value body;
    try {
      body = doc::parse_json(req.body, "patch");
    } catch (const Error& e) {
      bad_request("error decoding patch: " + e.why());
    }
    try {
      if (ct.rfind("application/json-patch+json", 0) == 0) {
        json_patch(next_scale, body);
      } else {
        json_merge_patch(next_scale, body);
      }
    } catch (const Error& e) {
      fail(422, "Invalid", e.why());
    }
  }
  const Value* replicas = next_scale.find_path({"spec", "replicas"});
  if (!replicas || !replicas->is_int() || replicas->as_int() < 0)
    invalid(pseudo_type("autoscaling", "Scale"), r.name,
            {{"spec.replicas", "FieldValueInvalid",
              "Invalid value: must be greater than or equal to 0"}});
  Value next = *cur;
  next["spec"].set("replicas", *replicas);
  record_update(cur.get(), next, t, manager_from(req), "scale", read_managed(*cur));
  return scale_of(*store_update(t, cur, std::move(next), dry, "scale"));
}

Value Api::Impl::delete_object(const ResourceType& t, const ObjPtr& cur, const std::string& policy,
                               bool dry) {
  if (cur->find_path({"metadata", "deletionTimestamp"})) return present(t, cur);
  Value next = *cur;
  auto fins = finalizers(next);
  auto add_fin = [&](const std::string& f) {
    if (std::find(fins.begin(), fins.end(), f) != fins.end()) return;
    Value& l = meta(next)["finalizers"];
    if (!l.is_list()) l = Value::list();
    l.push_back(f);
    fins.push_back(f);
  };
  bool is_ns = t.kind == "Namespace" && !t.custom;
  if (policy == "Foreground") add_fin("foregroundDeletion");
  if (policy == "Orphan") add_fin("orphan");
  if (!fins.empty() || is_ns) {
    meta(next).set("deletionTimestamp", now_str());
    meta(next).set("deletionGracePeriodSeconds", 0);
    if (t.has_generation) {
      const Value* g = cur->find_path({"metadata", "generation"});
      meta(next).set("generation", (g && g->is_int() ? g->as_int() : 1) + 1);
    }
    if (is_ns) next["status"].set("phase", "Terminating");
    if (dry) return next;
    return present(t, put(t, std::move(next), "MODIFIED", cur));
  }
  if (dry) return present(t, cur);
  ObjPtr last = erase(t, cur);
  if (t.kind == "Pod" && !t.custom) return present(t, last);
  Value d = name_details(meta_str(*cur, "name"), t.group, t.resource);
  d.set("uid", meta_str(*cur, "uid"));
  return Value::object({{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"metadata", Value::map()},
                        {"status", "Success"},
                        {"details", d}});
}

namespace {

struct DeleteOpts {
  std::string policy;
  std::string uid, rv;
};

DeleteOpts delete_options(const http::ServerRequest& req) {
  DeleteOpts o;
  o.policy = req.param("propagationPolicy");
  if (!req.body.empty()) {
    Value body = parse_body(req, true);
    if (body.is_map()) {
      if (std::string p = body.get_string("propagationPolicy"); !p.empty()) o.policy = p;
      if (const Value* orphan = body.find("orphanDependents"); orphan && orphan->is_bool())
        o.policy = orphan->as_bool() ? "Orphan" : "Background";
      if (const Value* pre = body.find("preconditions"); pre && pre->is_map()) {
        o.uid = pre->get_string("uid");
        o.rv = pre->get_string("resourceVersion");
      }
    }
  }
  if (!o.policy.empty() && o.policy != "Foreground" && o.policy != "Background" &&
      o.policy != "Orphan")
    fail(422, "Invalid",
         "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"" +
             o.policy + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  return o;
}

}  // namespace

Value Api::Impl::remove(const http::ServerRequest& req, const ResourceType& t, const Route& r) {
  if (!r.subresource.empty())
    fail(405, "MethodNotAllowed",
         "the server does not allow this method on the requested resource");
  bool dry = dry_run(req);
  DeleteOpts o = delete_options(req);
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  if (!t.custom && t.kind == "Namespace" &&
      (r.name == "default" || r.name == "kube-system" || r.name == "kube-public"))
    fail(403, "Forbidden",
         "namespaces \"" + r.name + "\" is forbidden: this namespace may not be deleted",
         name_details(r.name, "", "namespaces"));
  if (!o.uid.empty() && o.uid != meta_str(*cur, "uid"))
    fail(409, "Conflict",
         "Operation cannot be fulfilled on " + t.group_resource() + " \"" + r.name +
             "\": Precondition failed: UID in precondition: " + o.uid +
             ", UID in object meta: " + meta_str(*cur, "uid"),
         name_details(r.name, t.group, t.resource));
  if (!o.rv.empty() && o.rv != meta_str(*cur, "resourceVersion"))
    fail(409, "Conflict",
         "Operation cannot be fulfilled on " + t.group_resource() + " \"" + r.name +
             "\": Precondition failed: ResourceVersion in precondition: " + o.rv +
             ", ResourceVersion in object meta: " + meta_str(*cur, "resourceVersion"),
         name_details(r.name, t.group, t.resource));
  return delete_object(t, cur, o.policy, dry);
}

Value Api::Impl::remove_collection(const http::ServerRequest& req, const ResourceType& t,
                                   const std::string& ns) {
  bool dry = dry_run(req);
  DeleteOpts o = delete_options(req);
  LabelSelector lsel;
  FieldSelector fsel;
  try {
    lsel = LabelSelector::parse(req.param("labelSelector"));
    fsel = FieldSelector::parse(req.param("fieldSelector"));
  } catch (const Error& e) {
    bad_request(e.why());
  }
  std::vector<ObjPtr> victims;
  auto sit = store.find(t.storage_key());
  if (sit != store.end())
    for (const auto& [k, obj] : sit->second) {
      if (!ns.empty() && meta_str(*obj, "namespace") != ns) continue;
      if (lsel.matches(obj->find_path({"metadata", "labels"})) && fsel.matches(*obj))
        victims.push_back(obj);
    }
  Value items = Value::list();
  for (const auto& v : victims) {
    delete_object(t, v, o.policy, dry);
    items.push_back(present(t, v));
  }
  return Value::object({{"kind", t.kind + "List"},
                        {"apiVersion", t.api_version()},
                        {"metadata", Value::object({{"resourceVersion", std::to_string(rv)}})},
                        {"items", items}});
}

// ---------------------------------------------------------------------------
// Simulated controllers, garbage collection, namespace termination

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

int64_t int_at(const Value& o, std::initializer_list<std::string_view> path, int64_t fallback) {
  const Value* v = o.find_path(path);
  return v && v->is_int() ? v->as_int() : fallback;
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

void Api::Impl::collect_garbage() {
  // uid -> (type, object) of everything stored.
  auto types = all_types();
  std::map<std::string, const ResourceType*> by_key;
  for (const auto& t : types)
    by_key.emplace(t.storage_key(), &t);
  std::map<std::string, ObjPtr> by_uid;
  std::vector<std::pair<const ResourceType*, ObjPtr>> dependents;
  for (const auto& [skey, objs] : store) {
    auto tit = by_key.find(skey);
    if (tit == by_key.end()) continue;
    for (const auto& [k, o] : objs) {
      by_uid[meta_str(*o, "uid")] = o;
      if (const Value* refs = o->find_path({"metadata", "ownerReferences"});
          refs && refs->is_list() && refs->size())
        dependents.push_back({tit->second, o});
    }
  }
  std::set<std::string> owners_with_dependents;
  for (const auto& [t, o] : dependents) {
    bool any_alive = false, foreground = false;
    std::vector<std::string> orphaned_by;
    for (const auto& ref : o->find_path({"metadata", "ownerReferences"})->as_list()) {
      std::string uid = ref.get_string("uid");
      auto oit = by_uid.find(uid);
      if (oit == by_uid.end()) continue;
      auto fins = finalizers(*oit->second);
      bool deleting = oit->second->find_path({"metadata", "deletionTimestamp"}) != nullptr;
      if (deleting && std::find(fins.begin(), fins.end(), "orphan") != fins.end()) {
        orphaned_by.push_back(uid);
        continue;
      }
      owners_with_dependents.insert(uid);
      if (deleting && std::find(fins.begin(), fins.end(), "foregroundDeletion") != fins.end()) {
        foreground = true;
        continue;
      }
      any_alive = true;
    }
    ObjPtr cur = get(*t, meta_str(*o, "namespace"), meta_str(*o, "name"));
    if (!cur) continue;
    if (!orphaned_by.empty()) {
      Value next = *cur;
      Value& refs = meta(next)["ownerReferences"];
      auto& l = refs.as_list();
      for (auto it = l.begin(); it != l.end();)
        it = std::find(orphaned_by.begin(), orphaned_by.end(), it->get_string("uid")) !=
                     orphaned_by.end()
                 ? l.erase(it)
                 : std::next(it);
      if (l.empty()) meta(next).erase("ownerReferences");
      cur = commit(*t, cur, std::move(next));
      if (!get(*t, meta_str(*o, "namespace"), meta_str(*o, "name"))) continue;
    }
    if (!any_alive && !cur->find_path({"metadata", "deletionTimestamp"})) {
      bool has_refs = cur->find_path({"metadata", "ownerReferences"}) != nullptr;
      if (has_refs) delete_object(*t, cur, foreground ? "Foreground" : "Background", false);
    }
  }
  // Owners waiting for their dependents (foreground) or for orphaning.
  for (const auto& [uid, o] : by_uid) {
    if (!o->find_path({"metadata", "deletionTimestamp"})) continue;
    auto fins = finalizers(*o);
    bool fg = std::find(fins.begin(), fins.end(), "foregroundDeletion") != fins.end();
    bool orphan = std::find(fins.begin(), fins.end(), "orphan") != fins.end();
    if (!fg && !orphan) continue;
    if (fg && owners_with_dependents.count(uid)) continue;
    const ResourceType* t = nullptr;
    std::string kind = o->get_string("kind");
    std::string av = o->get_string("apiVersion");
    std::string group = av.find('/') == std::string::npos ? "" : av.substr(0, av.find('/'));
    for (const auto& ty : types)
      if (ty.kind == kind && ty.group == group) t = &ty;
    if (!t) continue;
    ObjPtr cur = get(*t, meta_str(*o, "namespace"), meta_str(*o, "name"));
    if (!cur) continue;
    Value next = *cur;
    if (fg) remove_finalizer(next, "foregroundDeletion");
    if (orphan) remove_finalizer(next, "orphan");
    commit(*t, cur, std::move(next));
  }
}

// The dependents of Services and workloads, as kube-controller-manager keeps
// them (what each controller does is written down in sandbox/dependents.h).
void Api::Impl::sync_dependents() {
  // Only owners something happened to since the last pass need work: the
  // owner changed, one of its dependents changed, or (a Service) a Pod of its
  // namespace changed. A full pass when the change log does not reach back
  // that far.
  bool everything = dependents_rv == 0 || events.empty() || events.front().rv > dependents_rv + 1;
  std::set<std::string> touched;  // uids of changed objects and of their controllers
  std::map<std::string, std::vector<ObjPtr>> pods_changed;  // namespace -> Pods that changed
  std::set<std::string> services_gone;                      // "ns/name" of deleted Services
  if (!everything)
    for (auto it = events.rbegin(); it != events.rend() && it->rv > dependents_rv; ++it) {
      for (const ObjPtr* p : {&it->obj, &it->prev}) {
        if (!*p) continue;
        touched.insert(meta_str(**p, "uid"));
        if (const Value* refs = (*p)->find_path({"metadata", "ownerReferences"});
            refs && refs->is_list())
          for (const auto& ref : refs->as_list())
            touched.insert(ref.get_string("uid"));
      }
      if (it->skey == "/pods") {
        auto& v = pods_changed[meta_str(*it->obj, "namespace")];
        v.push_back(it->obj);
        if (it->prev) v.push_back(it->prev);
      }
      if (it->skey == "/services" && it->type == "DELETED")
        services_gone.insert(meta_str(*it->obj, "namespace") + "/" + meta_str(*it->obj, "name"));
    }
  // A Service's endpoints change only when a Pod its selector matches
  // (before or after the change) changed.
  auto pods_concern = [&](const Value& svc) {
    auto it = pods_changed.find(meta_str(svc, "namespace"));
    if (it == pods_changed.end()) return false;
    const Value* sel = svc.find_path({"spec", "selector"});
    if (!sel) return false;
    for (const auto& p : it->second) {
      const Value* labels = p->find_path({"metadata", "labels"});
      if (labels && selector_matches(*sel, *labels)) return true;
    }
    return false;
  };
  auto wanted = [&](const ResourceType& t, const Value& o) {
    return everything || touched.count(meta_str(o, "uid")) ||
           (t.kind == "Service" && pods_concern(o));
  };
  auto type_of = [](const std::string& group, const std::string& resource) -> const ResourceType* {
    for (const auto& t : builtin_types())
      if (t.group == group && t.resource == resource) return &t;
    return nullptr;
  };
  auto objects_of = [&](const ResourceType* t) {
    std::vector<ObjPtr> out;
    if (!t) return out;
    if (auto it = store.find(t->storage_key()); it != store.end())
      for (const auto& [k, o] : it->second)
        out.push_back(o);
    return out;
  };
  static const std::vector<std::pair<const char*, const char*>> owner_types = {
      {"", "services"},  {"apps", "deployments"},  {"apps", "replicasets"},
      {"batch", "jobs"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}};
  std::vector<std::pair<const ResourceType*, ObjPtr>> todo;
  std::set<std::string> todo_uids, todo_ns;
  for (const auto& [g, r] : owner_types) {
    const ResourceType* t = type_of(g, r);
    for (const auto& o : objects_of(t))
      if (wanted(*t, *o) && !o->find_path({"metadata", "deletionTimestamp"})) {
        todo.emplace_back(t, o);
        todo_uids.insert(meta_str(*o, "uid"));
        todo_ns.insert(meta_str(*o, "namespace"));
      }
  }
  std::set<std::string> ending_namespaces;
  for (const auto& n : objects_of(&ns_type()))
    if (n->find_path({"metadata", "deletionTimestamp"}))
      ending_namespaces.insert(meta_str(*n, "name"));
  // Pods by namespace and dependents by the uid of their controller, for the owners at hand.
  std::map<std::string, std::vector<const Value*>> pods_by_ns;
  std::vector<ObjPtr> all_pods =
      todo.empty() ? std::vector<ObjPtr>{} : objects_of(type_of("", "pods"));
  for (const auto& p : all_pods)
    if (todo_ns.count(meta_str(*p, "namespace")))
      pods_by_ns[meta_str(*p, "namespace")].push_back(p.get());
  std::map<std::string, std::vector<std::pair<const ResourceType*, ObjPtr>>> owned;
  for (const auto& [g, r] : std::initializer_list<std::pair<const char*, const char*>>{
           {"apps", "replicasets"},
           {"", "pods"},
           {"discovery.k8s.io", "endpointslices"},
           {"apps", "controllerrevisions"}}) {
    if (todo.empty()) break;
    const ResourceType* t = type_of(g, r);
    for (const auto& o : objects_of(t))
      if (const Value* refs = o->find_path({"metadata", "ownerReferences"});
          refs && refs->is_list())
        for (const auto& ref : refs->as_list())
          if (const Value* c = ref.find("controller"); c && c->is_bool() && c->as_bool())
            if (todo_uids.count(ref.get_string("uid")))
              owned[ref.get_string("uid")].push_back({t, o});
  }
  const std::vector<std::pair<const ResourceType*, ObjPtr>> none;
  static const std::vector<const Value*> no_pods;
  for (const auto& [t, o] : todo) {
    if (ending_namespaces.count(meta_str(*o, "namespace"))) continue;
    // A finished Job keeps its Pods as they are.
    if (t->kind == "Job")
      if (const Value* conds = o->find_path({"status", "conditions"}); conds && conds->size())
        continue;
    auto oit = owned.find(meta_str(*o, "uid"));
    auto pit = pods_by_ns.find(meta_str(*o, "namespace"));
    try {
      sync_owner(*t, o, oit == owned.end() ? none : oit->second,
                 pit == pods_by_ns.end() ? no_pods : pit->second);
    } catch (const Error&) {
      // An owner of a shape no controller understands gets no dependents.
    }
  }
  // The endpoints controller deletes the Endpoints of a Service that is gone.
  const ResourceType* ep = type_of("", "endpoints");
  const ResourceType* svc = type_of("", "services");
  if (!everything && services_gone.empty()) return;
  for (const auto& e : objects_of(ep)) {
    std::string key = meta_str(*e, "namespace") + "/" + meta_str(*e, "name");
    if (!everything && !services_gone.count(key)) continue;
    bool ours = false;
    for (const auto& m : read_managed(*e))
      ours = ours || m.manager == "kube-controller-manager";
    if (ours && !get(*svc, meta_str(*e, "namespace"), meta_str(*e, "name")) &&
        !e->find_path({"metadata", "deletionTimestamp"}))
      delete_object(*ep, e, "Background", false);
  }
}

void Api::Impl::sync_owner(const ResourceType& t, const ObjPtr& owner,
                           const std::vector<std::pair<const ResourceType*, ObjPtr>>& owned,
                           const std::vector<const Value*>& pods) {
  std::vector<Dependent> want = dependents_of(*owner, pods);
  std::string ns = meta_str(*owner, "namespace");
  std::set<std::string> matched;                 // uids of existing dependents that are wanted
  std::map<std::string, size_t> generated_seen;  // resource -> existing ones used
  int64_t revision = 0;                          // a Deployment's newest ReplicaSet revision
  for (const auto& [dt, d] : owned)
    if (dt->kind == "ReplicaSet") {
      std::string r = d->find_path({"metadata", "annotations"})
                          ? d->find_path({"metadata", "annotations"})
                                ->get_string("deployment.kubernetes.io/revision", "0")
                          : "0";
      revision = std::max<int64_t>(revision, std::atoll(r.c_str()));
    }
  for (auto& w : want) {
    const ResourceType* dt = nullptr;
    for (const auto& bt : builtin_types())
      if (bt.group == w.group && bt.resource == w.resource) dt = &bt;
    if (!dt) continue;
    ObjPtr cur;
    if (w.generated) {
      std::vector<ObjPtr> same;
      for (const auto& [ot, o] : owned)
        if (ot == dt && !o->find_path({"metadata", "deletionTimestamp"})) same.push_back(o);
      size_t& used = generated_seen[w.resource];
      if (used < same.size()) cur = same[used];
      ++used;
    } else {
      cur = get(*dt, ns, meta_str(w.object, "name"));
    }
    if (!cur) {
      if (dt->kind == "ReplicaSet")
        w.object["metadata"]["annotations"].set("deployment.kubernetes.io/revision",
                                                std::to_string(revision + 1));
      create_dependent(*dt, std::move(w.object));
      continue;
    }
    matched.insert(meta_str(*cur, "uid"));
    if (w.update_existing) update_dependent(*dt, cur, w.object);
  }
  // What the owner no longer wants: old ReplicaSets of a Deployment are scaled
  // to 0 and kept as its history; old ControllerRevisions are kept; the rest goes.
  std::vector<ObjPtr> history;
  for (const auto& [dt, d] : owned) {
    if (matched.count(meta_str(*d, "uid")) || d->find_path({"metadata", "deletionTimestamp"}))
      continue;
    if (dt->kind == "ControllerRevision") continue;
    if (dt->kind == "ReplicaSet" && t.kind == "Deployment") {
      history.push_back(d);
      if (int_at(*d, {"spec", "replicas"}, 1) != 0) {
        Value zero = *d;
        zero["spec"].set("replicas", 0);
        update_dependent(*dt, d, zero);
      }
      continue;
    }
    delete_object(*dt, d, "Background", false);
  }
  int64_t limit = int_at(*owner, {"spec", "revisionHistoryLimit"}, 10);
  if (static_cast<int64_t>(history.size()) > limit) {
    auto rev = [](const ObjPtr& o) {
      const Value* a = o->find_path({"metadata", "annotations"});
      return std::atoll(a ? a->get_string("deployment.kubernetes.io/revision", "0").c_str() : "0");
    };
    std::sort(history.begin(), history.end(),
              [&](const ObjPtr& a, const ObjPtr& b) { return rev(a) < rev(b); });
    const ResourceType* rs = nullptr;
    for (const auto& bt : builtin_types())
      if (bt.kind == "ReplicaSet") rs = &bt;
    for (size_t i = 0; i + limit < history.size(); ++i)
      delete_object(*rs, history[i], "Background", false);
  }
}

void Api::Impl::emit_event(const Value& involved, const std::string& type,
                           const std::string& reason, const std::string& message,
                           const std::string& component) {
  static const ResourceType* events = [] {
    for (const auto& t : builtin_types())
      if (t.group.empty() && t.resource == "events") return &t;
    return static_cast<const ResourceType*>(nullptr);
  }();
  if (!events) return;
  std::string ns = meta_str(involved, "namespace");
  if (ns.empty()) ns = "default";
  std::string name = meta_str(involved, "name");
  std::string now = now_str();
  Value ev = Value::object({{"apiVersion", "v1"}, {"kind", "Event"}});
  Value& md = meta(ev);
  md.set("name", name + "." + random_suffix(16));
  md.set("namespace", ns);
  md.set("uid", new_uid());
  md.set("creationTimestamp", now);
  Value ref = Value::object({{"apiVersion", involved.get_string("apiVersion")},
                             {"kind", involved.get_string("kind")},
                             {"name", name},
                             {"uid", meta_str(involved, "uid")}});
  if (!meta_str(involved, "namespace").empty()) ref.set("namespace", ns);
  if (std::string rv = meta_str(involved, "resourceVersion"); !rv.empty())
    ref.set("resourceVersion", rv);
  ev.set("involvedObject", ref);
  ev.set("reason", reason);
  ev.set("message", message);
  ev.set("source", Value::object({{"component", component}}));
  ev.set("firstTimestamp", now);
  ev.set("lastTimestamp", now);
  ev.set("count", 1);
  ev.set("type", type);
  ev.set("eventTime", Value());
  ev.set("reportingComponent", component);
  ev.set("reportingInstance", "");
  record_update(nullptr, ev, *events, component, "", {});
  put(*events, std::move(ev), "ADDED", nullptr);
}

void Api::Impl::create_dependent(const ResourceType& t, Value obj) {
  Value& md = meta(obj);
  if (md.get_string("name").empty())
    md.set("name", md.get_string("generateName") + random_suffix(5));
  md.set("uid", new_uid());
  md.set("creationTimestamp", now_str());
  if (t.has_generation) md.set("generation", 1);
  if (t.kind == "Pod") obj.set("status", Value::object({{"phase", "Pending"}}));
  record_update(nullptr, obj, t, "kube-controller-manager", "", {});
  // What the owner's controller (and the scheduler, for a Pod) records.
  Value owner;
  if (const Value* refs = obj.find_path({"metadata", "ownerReferences"});
      refs && refs->is_list() && refs->size())
    owner = refs->as_list()[0];
  std::string owner_kind = owner.is_map() ? owner.get_string("kind") : "";
  Value involved = Value::object(
      {{"apiVersion", owner.is_map() ? owner.get_string("apiVersion") : ""}, {"kind", owner_kind}});
  meta(involved).set("name", owner.is_map() ? owner.get_string("name") : "");
  meta(involved).set("namespace", meta_str(obj, "namespace"));
  meta(involved).set("uid", owner.is_map() ? owner.get_string("uid") : "");
  std::string name = meta_str(obj, "name");
  ObjPtr stored = put(t, std::move(obj), "ADDED", nullptr);
  if (t.kind == "Pod" && !owner_kind.empty()) {
    std::string component = owner_kind == "ReplicaSet"    ? "replicaset-controller"
                            : owner_kind == "Job"         ? "job-controller"
                            : owner_kind == "StatefulSet" ? "statefulset-controller"
                            : owner_kind == "DaemonSet"   ? "daemonset-controller"
                                                          : "";
    if (!component.empty())
      emit_event(involved, "Normal", "SuccessfulCreate",
                 owner_kind == "StatefulSet" ? "create Pod " + name + " in StatefulSet " +
                                                   meta_str(involved, "name") + " successful"
                                             : "Created pod: " + name,
                 component);
    emit_event(
        *stored, "Normal", "Scheduled",
        "Successfully assigned " + meta_str(*stored, "namespace") + "/" + name + " to sandbox",
        "default-scheduler");
  } else if (t.kind == "ReplicaSet" && owner_kind == "Deployment") {
    emit_event(involved, "Normal", "ScalingReplicaSet",
               "Scaled up replica set " + name + " from 0 to " +
                   std::to_string(int_at(*stored, {"spec", "replicas"}, 1)),
               "deployment-controller");
  }
}

void Api::Impl::update_dependent(const ResourceType& t, const ObjPtr& cur, const Value& want) {
  if (t.kind == "ReplicaSet") {
    // The deployment controller scaling its ReplicaSet says so on the Deployment.
    int64_t from = int_at(*cur, {"spec", "replicas"}, 1),
            to = int_at(want, {"spec", "replicas"}, 1);
    const Value* refs = cur->find_path({"metadata", "ownerReferences"});
    if (from != to && refs && refs->is_list() && refs->size() &&
        refs->as_list()[0].get_string("kind") == "Deployment") {
      const Value& o = refs->as_list()[0];
      Value involved =
          Value::object({{"apiVersion", o.get_string("apiVersion")}, {"kind", "Deployment"}});
      meta(involved).set("name", o.get_string("name"));
      meta(involved).set("namespace", meta_str(*cur, "namespace"));
      meta(involved).set("uid", o.get_string("uid"));
      emit_event(involved, "Normal", "ScalingReplicaSet",
                 std::string(to > from ? "Scaled up" : "Scaled down") + " replica set " +
                     meta_str(*cur, "name") + " from " + std::to_string(from) + " to " +
                     std::to_string(to),
                 "deployment-controller");
    }
  }
  Value next = *cur;
  Value& md = meta(next);
  const Value* wmd = want.find("metadata");
  for (const char* k : {"labels", "ownerReferences"})
    if (const Value* v = wmd ? wmd->find(k) : nullptr) {
      md.set(k, *v);
    } else {
      md.erase(k);
    }
  if (const Value* ann = wmd ? wmd->find("annotations") : nullptr; ann && ann->is_map())
    for (const auto& m : ann->as_map())
      md["annotations"].set(m.key, m.value);
  for (const auto& m : want.as_map())
    if (m.key != "apiVersion" && m.key != "kind" && m.key != "metadata" && m.key != "status")
      next.set(m.key, m.value);
  // Fields the controller stopped setting (an Endpoints whose last Pod went).
  for (const char* k : {"subsets"})
    if (!want.find(k)) next.erase(k);
  if (next.equals(*cur)) return;
  record_update(cur.get(), next, t, "kube-controller-manager", "", read_managed(*cur));
  store_update(t, cur, std::move(next), false, "");
}

void Api::Impl::reconcile() {
  auto types = all_types();
  // Terminating namespaces: delete their content, then the namespace.
  if (auto nit = store.find(ns_type().storage_key()); nit != store.end()) {
    std::vector<ObjPtr> ending;
    for (const auto& [k, o] : nit->second)
      if (o->find_path({"metadata", "deletionTimestamp"})) ending.push_back(o);
    for (const auto& nsobj : ending) {
      if (!settled_terminating(*nsobj)) continue;
      std::string ns = meta_str(*nsobj, "name");
      bool remaining = false;
      for (const auto& t : types) {
        if (!t.namespaced) continue;
        auto sit = store.find(t.storage_key());
        if (sit == store.end()) continue;
        std::vector<ObjPtr> victims;
        for (auto it = sit->second.lower_bound(okey(ns, "")); it != sit->second.end(); ++it) {
          if (meta_str(*it->second, "namespace") != ns) break;
          victims.push_back(it->second);
        }
        for (const auto& v : victims) {
          remaining = true;
          delete_object(t, v, "Background", false);
        }
      }
      if (remaining) continue;
      ObjPtr cur = get(ns_type(), "", ns);
      if (!cur) continue;
      if (finalizers(*cur).empty()) {
        erase(ns_type(), cur);
      }
    }
  }
  // Terminating CRDs: delete their custom resources, then drop the cleanup finalizer.
  if (auto cit = store.find(crd_type().storage_key()); cit != store.end()) {
    std::vector<ObjPtr> ending;
    for (const auto& [k, o] : cit->second)
      if (o->find_path({"metadata", "deletionTimestamp"})) ending.push_back(o);
    for (const auto& crd : ending) {
      auto fins = finalizers(*crd);
      const std::string fin = "customresourcecleanup.apiextensions.k8s.io";
      if (std::find(fins.begin(), fins.end(), fin) == fins.end() || !settled_terminating(*crd))
        continue;
      auto crd_types_of = types_from_crd(*crd);
      bool remaining = false;
      if (!crd_types_of.empty()) {
        const ResourceType& ct = crd_types_of.front();
        if (auto sit = store.find(ct.storage_key()); sit != store.end()) {
          std::vector<ObjPtr> victims;
          for (const auto& [k, o] : sit->second)
            victims.push_back(o);
          for (const auto& v : victims) {
            remaining = true;
            delete_object(ct, v, "Background", false);
          }
        }
      }
      if (remaining) continue;
      Value next = *crd;
      remove_finalizer(next, fin);
      commit(crd_type(), crd, std::move(next));
    }
  }
  // Garbage collection and the dependents depend only on stored state: run
  // them when that changed.
  if (rv != gc_rv) {
    uint64_t before = rv;  // changes made by this pass get another pass (cascades)
    collect_garbage();
    gc_rv = before;
  }
  if (rv != dependents_rv) {
    uint64_t before = rv;
    sync_dependents();
    dependents_rv = before;
  }
  for (const auto& t : types) {
    if (t.custom) continue;
    auto sit = store.find(t.storage_key());
    if (sit == store.end()) continue;
    if (!(t.kind == "Deployment" || t.kind == "StatefulSet" || t.kind == "DaemonSet" ||
          t.kind == "ReplicaSet" || t.kind == "Job" || t.kind == "Pod" ||
          t.kind == "PersistentVolumeClaim"))
      continue;
    // A status only changes when its object changes or its rollout clock
    // runs out: skip the others (this pass runs ten times a second).
    auto now = Clock::now();
    std::vector<ObjPtr> objs;
    for (const auto& [k, o] : sit->second) {
      auto cit = status_checked.find(meta_str(*o, "uid"));
      if (cit != status_checked.end() && cit->second.first == meta_str(*o, "resourceVersion") &&
          now < cit->second.second)
        continue;
      objs.push_back(o);
    }
    for (const auto& o : objs) {
      try {
        run_controllers(t, o);
      } catch (const Error&) {
        // An object of a shape no controller understands keeps its status.
      }
      ObjPtr cur = get(t, meta_str(*o, "namespace"), meta_str(*o, "name"));
      if (!cur) continue;
      std::string key =
          meta_str(*cur, "uid") + "/" + std::to_string(int_at(*cur, {"metadata", "generation"}, 0));
      auto pit = progress.find(key);
      Clock::time_point due = Clock::time_point::max();
      if (pit != progress.end() && now < pit->second + opts.ready_delay)
        due = pit->second + opts.ready_delay;
      status_checked[meta_str(*cur, "uid")] = {meta_str(*cur, "resourceVersion"), due};
    }
  }
  if (status_checked.size() > 200000) status_checked.clear();
  // Forget rollout clocks of objects that are gone or moved on.
  if (progress.size() > 100000) progress.clear();
  if (terminating.size() > 100000) terminating.clear();
}

// ---------------------------------------------------------------------------
// Api

Api::Api(ApiOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Api::~Api() {
  shutdown();
}

void Api::handle(const http::ServerRequest& req, http::ServerResponse& res) {
  impl_->handle(req, res);
}

void Api::reconcile() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->reconcile();
}

std::string Api::snapshot_json() const {
  // Collect the (immutable, shared) objects under the lock; serialize outside it.
  std::vector<ObjPtr> objs;
  uint64_t at = 0;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    at = impl_->rv;
    // CRDs first, so that a restore can register their types before their objects.
    const std::string crd_key = impl_->crd_type().storage_key();
    if (auto it = impl_->store.find(crd_key); it != impl_->store.end())
      for (const auto& [k, o] : it->second)
        objs.push_back(o);
    for (const auto& [skey, m] : impl_->store) {
      if (skey == crd_key) continue;
      for (const auto& [k, o] : m)
        objs.push_back(o);
    }
  }
  std::string out = "{\"resourceVersion\":" + std::to_string(at) + ",\"objects\":[";
  for (size_t i = 0; i < objs.size(); ++i) {
    if (i) out += ",\n";
    out += doc::to_json(*objs[i]);
  }
  out += "]}\n";
  return out;
}

void Api::restore(const doc::Value& snap) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& im = *impl_;
  im.store.clear();
  im.events.clear();
  const Value* objs = snap.find("objects");
  if (objs && objs->is_list()) {
    for (const auto& o : objs->as_list()) {
      std::string av = o.get_string("apiVersion");
      std::string group = av.find('/') == std::string::npos ? "" : av.substr(0, av.find('/'));
      std::string version = av.substr(av.find('/') == std::string::npos ? 0 : av.find('/') + 1);
      std::optional<ResourceType> t;
      for (const auto& ty : im.all_types())
        if (ty.group == group && ty.kind == o.get_string("kind")) t = ty;
      if (!t) continue;
      im.store[t->storage_key()][Impl::okey(meta_str(o, "namespace"), meta_str(o, "name"))] =
          std::make_shared<const Value>(o);
      if (t->kind == "CustomResourceDefinition" && !t->custom) im.rebuild_crd_types();
    }
  }
  if (const Value* r = snap.find("resourceVersion"); r && r->is_int())
    im.rv = std::max<uint64_t>(im.rv, static_cast<uint64_t>(r->as_int()));
}

uint64_t Api::resource_version() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->rv;
}

void Api::shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
}

}  // namespace gantry::sandbox
