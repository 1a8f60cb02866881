// Identities and authorization: the admin token, ServiceAccount tokens, RBAC
// and impersonation; TokenRequest and the review types answered from them.
#include "sandbox/api_internal.h"

#include "doc/string_list.h"

namespace gantry::sandbox {

bool Api::Impl::is_admin_token(const std::string& token) const {
  if (opts.token.empty()) return true;
  // Constant-time comparison: the token is the main credential.
  return token.size() == opts.token.size() &&
         CRYPTO_memcmp(token.data(), opts.token.data(), token.size()) == 0;
}

namespace {

// Go's %q of a []string: ["a" "b"].
std::string quoted(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? " \"" : "\"") + v[i] + "\"";
  return s + "]";
}

std::vector<std::string> intersect(const std::vector<std::string>& a,
                                   const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a)
    if (std::find(b.begin(), b.end(), x) != b.end()) out.push_back(x);
  return out;
}

}  // namespace

Identity Api::Impl::identify_token(const std::string& token,
                                   const std::vector<std::string>& audiences) const {
  Identity id;
  if (is_admin_token(token)) {
    // A static token (kube-apiserver's --token-auth-file): any audience.
    id.valid = id.admin = true;
    id.subject = {"sandbox-admin", {"system:masters", "system:authenticated"}};
    id.uid = "sandbox-admin";
    id.audiences = audiences;
    return id;
  }
  if (token.empty()) return id;
  auto sa_type = find_type("", "v1", "serviceaccounts");
  if (auto it = sa_tokens.find(token); it != sa_tokens.end()) {
    const BoundToken& b = it->second;
    if (std::chrono::system_clock::now() >= b.expires) {
      id.error = "service account token has expired";
      return id;
    }
    ObjPtr sa = sa_type ? get(*sa_type, b.ns, b.name) : nullptr;
    if (!sa || meta_str(*sa, "uid") != b.sa_uid) {
      id.error = "service account token has been invalidated";
      return id;
    }
    id.audiences = intersect(b.audiences, audiences);
    if (id.audiences.empty()) {
      id.error = "token audiences " + quoted(b.audiences) +
                 " is invalid for the target audiences " + quoted(audiences);
      return id;
    }
    id.valid = true;
    id.subject = rbac::service_account(b.ns, b.name);
    id.uid = b.sa_uid;
    id.extra["authentication.kubernetes.io/credential-id"] = {"JTI=" + b.credential_id};
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
      // Legacy tokens carry no audience: only the API server's own is met.
      id.audiences = intersect(api_audiences(), audiences);
      if (id.audiences.empty()) {
        id.error = "token audiences " + quoted(api_audiences()) +
                   " is invalid for the target audiences " + quoted(audiences);
        return id;
      }
      std::string ns = meta_str(*obj, "namespace");
      ObjPtr sa = sa_type ? get(*sa_type, ns, a->as_string()) : nullptr;
      if (!sa) {
        id.error = "serviceaccounts \"" + a->as_string() + "\" not found";
        return id;
      }
      id.valid = true;
      id.subject = rbac::service_account(ns, a->as_string());
      id.uid = meta_str(*sa, "uid");
      return id;
    }
  }
  return id;
}

std::vector<Value> Api::Impl::rbac_objects() const {
  std::vector<Value> out;
  for (const char* key :
       {"rbac.authorization.k8s.io/roles", "rbac.authorization.k8s.io/rolebindings",
        "rbac.authorization.k8s.io/clusterroles", "rbac.authorization.k8s.io/clusterrolebindings"})
    if (auto it = store.find(key); it != store.end())
      for (const auto& [k, obj] : it->second)
        out.push_back(*obj);
  return out;
}

// What every authenticated user may do on a cluster through the default
// bootstrap roles (system:discovery, system:basic-user,
// system:public-info-viewer): discovery and the self reviews.
bool Api::Impl::always_allowed(const rbac::Request& r) {
  if (!r.is_resource_request()) return r.verb == "get";
  return r.verb == "create" &&
         ((r.api_group == "authorization.k8s.io" &&
           (r.resource == "selfsubjectaccessreviews" || r.resource == "selfsubjectrulesreviews")) ||
          (r.api_group == "authentication.k8s.io" && r.resource == "selfsubjectreviews"));
}

rbac::Decision Api::Impl::decide(const Identity& id, const rbac::Request& r) const {
  // system:masters: kube-apiserver's privileged-group authorizer, no reason.
  if (id.admin) return {true, ""};
  const auto& g = id.subject.groups;
  if (always_allowed(r) && std::find(g.begin(), g.end(), "system:authenticated") != g.end()) {
    std::string role = r.is_resource_request() ? "system:basic-user" : "system:discovery";
    return {true, "RBAC: allowed by ClusterRoleBinding \"" + role + "\" of ClusterRole \"" + role +
                      "\" to Group \"system:authenticated\""};
  }
  return rbac::decide(rbac_objects(), id.subject, r);
}

bool Api::Impl::allowed(const Identity& id, const rbac::Request& r) const {
  return decide(id, r).allowed;
}

rbac::Request Api::Impl::rbac_request(const Value& attrs) {
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
std::string Api::Impl::forbidden_message(const rbac::Subject& who, const rbac::Request& r) {
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
std::optional<Identity> Api::Impl::admit(const http::ServerRequest& req,
                                         http::ServerResponse& res) {
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

Value Api::Impl::token_request(const http::ServerRequest& req, const ResourceType& t,
                               const Route& r) {
  Value body = req.body.empty() ? Value::map() : parse_body(req, true);
  std::lock_guard<std::mutex> lock(mu);
  if (!get(t, r.ns, r.name)) not_found(t, r.name);
  int64_t seconds = 3600;
  if (const Value* e = body.find_path({"spec", "expirationSeconds"}); e && e->is_int())
    seconds = e->as_int();
  if (seconds < 600)
    fail(422, "Invalid",
         "TokenRequest.authentication.k8s.io \"" + r.name +
             "\" is invalid: spec.expirationSeconds: Invalid value: " + std::to_string(seconds) +
             ": may not specify a duration less than 10 minutes");
  std::vector<std::string> audiences;
  if (const Value* a = body.find_path({"spec", "audiences"}); a && a->is_list())
    for (const auto& x : a->as_list())
      if (x.is_string()) audiences.push_back(x.as_string());
  if (audiences.empty()) audiences = api_audiences();
  std::string token = "sbx-sa." + random_suffix(40);
  auto expires = std::chrono::system_clock::now() + std::chrono::seconds(seconds);
  if (!dry_run(req))
    sa_tokens[token] = BoundToken{r.ns,      r.name,    meta_str(*get(t, r.ns, r.name), "uid"),
                                  new_uid(), audiences, expires};
  Value out = Value::object({{"kind", "TokenRequest"}, {"apiVersion", "authentication.k8s.io/v1"}});
  meta(out).set("name", r.name);
  meta(out).set("namespace", r.ns);
  meta(out).set("creationTimestamp", Value());
  Value spec = body.find("spec") && body.find("spec")->is_map() ? *body.find("spec") : Value::map();
  spec.set("expirationSeconds", seconds);
  Value auds = Value::list();
  for (const auto& a : audiences)
    auds.push_back(a);
  spec.set("audiences", auds);
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
  // A user.Info as JSON, fields left out when empty (Go's omitempty).
  auto user_info = [](const Identity& id) {
    Value u = Value::map();
    if (!id.subject.user.empty()) u.set("username", id.subject.user);
    if (!id.uid.empty()) u.set("uid", id.uid);
    if (!id.subject.groups.empty()) u.set("groups", doc::string_list(id.subject.groups));
    if (!id.extra.empty()) {
      Value extra = Value::map();
      for (const auto& [k, v] : id.extra)
        extra.set(k, doc::string_list(v));
      u.set("extra", extra);
    }
    return u;
  };
  std::unique_lock<std::mutex> lock(mu);
  Identity caller = request_identity;
  const Value* spec = body.find("spec");
  if (t.kind == "TokenReview") {
    // kube-apiserver's tokenreview REST storage: the token is reviewed by the
    // authenticators that admit requests, for spec.audiences (default: the
    // API server's own); status.authenticated is left out when false.
    std::string token = spec && spec->is_map() ? spec->get_string("token") : "";
    if (token.empty()) bad_request("token is required for TokenReview in authentication.k8s.io");
    std::vector<std::string> audiences = doc::strings_of(spec->find("audiences"));
    Identity id = identify_token(token, audiences.empty() ? api_audiences() : audiences);
    Value st = Value::map();
    if (id.valid) st.set("authenticated", true);
    st.set("user", id.valid ? user_info(id) : Value::map());
    if (id.valid) st.set("audiences", doc::string_list(id.audiences));
    if (!id.error.empty()) st.set("error", id.error);
    out.set("status", st);
  } else if (t.kind == "SelfSubjectReview") {
    out.set("status", Value::object({{"userInfo", user_info(caller)}}));
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
    std::vector<std::string> problems;
    if (attr && nonres)
      problems.push_back(
          "spec.nonResourceAttributes: Invalid value: \"object\": cannot be "
          "specified in combination with resourceAttributes");
    if (!attr && !nonres)
      problems.push_back(
          "spec.resourceAttributes: Invalid value: \"null\": exactly one of "
          "nonResourceAttributes or resourceAttributes must be specified");
    Identity who = caller;
    if (t.kind != "SelfSubjectAccessReview") {
      // spec.user, groups, uid and extra as given: nothing is added (a
      // review of a user without system:authenticated gets nothing that
      // group would grant).
      who = Identity{};
      who.valid = true;
      who.subject.user = spec ? spec->get_string("user") : "";
      who.subject.groups = doc::strings_of(spec ? spec->find("groups") : nullptr);
      who.uid = spec ? spec->get_string("uid") : "";
      who.admin = std::find(who.subject.groups.begin(), who.subject.groups.end(),
                            "system:masters") != who.subject.groups.end();
      if (who.subject.user.empty() && who.subject.groups.empty())
        problems.push_back(
            "spec.user: Invalid value: \"\": at least one of user or group must be specified");
    }
    if (!problems.empty()) {
      std::string m = t.kind + "." + t.group + " \"\" is invalid: ";
      if (problems.size() > 1) m += "[";
      for (size_t i = 0; i < problems.size(); ++i)
        m += (i ? ", " : "") + problems[i];
      if (problems.size() > 1) m += "]";
      fail(422, "Invalid", m);
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
    // Node and RBAC authorizers never deny, so status.denied never shows;
    // without an opinion, allowed is false and the reason empty.
    rbac::Decision d = decide(who, r);
    Value st = Value::object({{"allowed", d.allowed}});
    if (!d.reason.empty()) st.set("reason", d.reason);
    out.set("status", st);
  }
  return out;
}

}  // namespace gantry::sandbox
