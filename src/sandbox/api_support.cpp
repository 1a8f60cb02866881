// The sandbox API server's shared helpers (sandbox/api_internal.h).
#include "sandbox/api_internal.h"

namespace gantry::sandbox::internal {

// ---------------------------------------------------------------------------
// Status errors

Value status_object(int code, const std::string& reason, const std::string& message,
                    Value details) {
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
                       Value details) {
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

namespace {

// [a-z0-9]([-a-z0-9]*[a-z0-9])? (no length limit)
bool label_form(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return s.front() != '-' && s.back() != '-';
}

// Labels joined by dots (no length limit).
bool subdomain_form(std::string_view s) {
  while (true) {
    size_t j = s.find('.');
    if (!label_form(s.substr(0, j))) return false;
    if (j == std::string_view::npos) return true;
    s.remove_prefix(j + 1);
  }
}

std::string max_len(size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

}  // namespace

bool is_dns_label(const std::string& s) {
  return s.size() <= 63 && label_form(s);
}

bool is_dns_subdomain(const std::string& s) {
  return s.size() <= 253 && subdomain_form(s);
}

// What kube-apiserver's name validation of the kind says about a name, one
// message per problem (each becomes a cause): RBAC objects need a path
// segment, Namespaces a DNS-1123 label, Services a DNS-1035 label, the rest
// a DNS-1123 subdomain (CronJobs also at most 52 characters).
std::vector<std::string> name_problems(const ResourceType& t, const std::string& name) {
  std::vector<std::string> out;
  if (t.group == "rbac.authorization.k8s.io" && !t.custom) {
    if (name == "." || name == "..") return {"may not be '" + name + "'"};
    for (const char* bad : {"/", "%"})
      if (name.find(bad) != std::string::npos)
        out.push_back("may not contain '" + std::string(bad) + "'");
    return out;
  }
  if (t.kind == "Namespace" && !t.custom) {
    if (name.size() > 63) out.push_back(max_len(63));
    if (!label_form(name))
      out.push_back(subdomain_form(name) ? "must not contain dots" : kLabelMsg);
    return out;
  }
  if (t.kind == "Service" && !t.custom) {
    if (name.size() > 63) out.push_back(max_len(63));
    if (!label_form(name) || !(name[0] >= 'a' && name[0] <= 'z')) out.push_back(k1035Msg);
    return out;
  }
  if (name.size() > 253) out.push_back(max_len(253));
  if (!subdomain_form(name)) out.push_back(kSubdomainMsg);
  if (t.kind == "CronJob" && !t.custom && name.size() > 52) out.push_back(max_len(52));
  return out;
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

int64_t int_at(const Value& o, std::initializer_list<std::string_view> path, int64_t fallback) {
  const Value* v = o.find_path(path);
  return v && v->is_int() ? v->as_int() : fallback;
}

// What the apiserver does to every write of some kinds: Secrets turn
// stringData into base64 data and default their type.
void normalize(const ResourceType& t, Value& obj) {
  if (!t.custom && t.kind == "HorizontalPodAutoscaler") default_hpa(t.version, obj);
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

// Sets `to`'s status to `from`'s, or removes it when `from` has none.
void take_status(Value& to, const Value& from) {
  if (const Value* st = from.find("status")) {
    to.set("status", *st);
  } else {
    to.erase("status");
  }
}

bool truthy(const std::string& s) {
  return s == "true" || s == "1";
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

bool has_scale(const ResourceType& t) {
  return !t.custom && (t.kind == "Deployment" || t.kind == "ReplicaSet" || t.kind == "StatefulSet");
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

}  // namespace gantry::sandbox::internal
