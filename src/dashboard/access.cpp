#include "dashboard/access.h"

#include "core/digest.h"
#include "core/error.h"
#include "doc/json.h"
#include "doc/string_list.h"

namespace gantry::dashboard {

using doc::Value;

namespace {

constexpr size_t kMaxToken = 16u << 10;  // a JWT with many claims is a few KiB

// `text` with every occurrence of `secret` replaced (an API server's message
// is not expected to quote the token, but it must never reach the browser).
std::string without(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t p = text.find(secret); p != std::string::npos; p = text.find(secret, p))
    text.replace(p, secret.size(), "[token]");
  return text;
}

}  // namespace

std::string Permission::refusal(const std::string& user) const {
  std::string gr = group.empty() ? resource : resource + "." + group;
  std::string res = subresource.empty() ? resource : resource + "/" + subresource;
  std::string m = gr + (name.empty() ? "" : " \"" + name + "\"") + " is forbidden: User \"" + user +
                  "\" cannot " + verb + " resource \"" + res + "\" in API group \"" + group + "\"";
  return m + (ns.empty() ? " at the cluster scope" : " in the namespace \"" + ns + "\"");
}

Access::Access(const kube::Client& client, std::string static_token, bool token_review)
    : client_(client), static_token_(std::move(static_token)), token_review_(token_review) {}

Verdict Access::authenticate(const std::string& authorization, Caller* caller) const {
  *caller = Caller{};
  if (authorization.rfind("Bearer ", 0) != 0 || authorization.size() == 7)
    return {401, "a valid bearer token is needed"};
  std::string token = authorization.substr(7);
  if (!static_token_.empty() && constant_time_equal(token, static_token_)) {
    caller->token_file = true;
    caller->username = "the --token-file token";
    return {};
  }
  if (!token_review_ || token.size() > kMaxToken) return {401, "a valid bearer token is needed"};
  // Audiences left empty: the API server checks the token against its own
  // (a token kubectl uses is accepted; one minted for another audience is not).
  Value review = Value::object({{"apiVersion", "authentication.k8s.io/v1"},
                                {"kind", "TokenReview"},
                                {"spec", Value::object({{"token", token}})}});
  kube::Response r =
      client_.send("POST", "/apis/authentication.k8s.io/v1/tokenreviews", doc::to_json(review));
  if (!r.ok())
    return {502, "the API server did not review the token: " + without(r.message(), token)};
  Value answer = r.json();
  const Value* status = answer.find("status");
  const Value* ok = status ? status->find("authenticated") : nullptr;
  if (!ok || !ok->is_bool() || !ok->as_bool()) {
    std::string why = status ? status->get_string("error") : "";
    return {401, "the bearer token is not valid" + (why.empty() ? "" : ": " + without(why, token))};
  }
  const Value* user = status->find("user");
  if (!user || !user->is_map() || user->get_string("username").empty())
    return {502, "the API server's TokenReview names no user"};
  caller->username = user->get_string("username");
  caller->uid = user->get_string("uid");
  caller->groups = doc::strings_of(user->find("groups"));
  if (const Value* extra = user->find("extra"); extra && extra->is_map())
    for (const auto& e : extra->as_map())
      caller->extra[e.key] = doc::strings_of(&e.value);
  return {};
}

Verdict Access::authorize(const Caller& caller, const std::vector<Permission>& requests) const {
  if (caller.token_file) return {};
  for (const auto& p : requests) {
    Value attrs = Value::object({{"verb", p.verb}, {"group", p.group}, {"resource", p.resource}});
    if (!p.subresource.empty()) attrs.set("subresource", p.subresource);
    if (!p.ns.empty()) attrs.set("namespace", p.ns);
    if (!p.name.empty()) attrs.set("name", p.name);
    Value spec = Value::object({{"resourceAttributes", attrs},
                                {"user", caller.username},
                                {"groups", doc::string_list(caller.groups)}});
    if (!caller.uid.empty()) spec.set("uid", caller.uid);
    if (!caller.extra.empty()) {
      Value extra = Value::map();
      for (const auto& [k, v] : caller.extra)
        extra.set(k, doc::string_list(v));
      spec.set("extra", extra);
    }
    Value review = Value::object({{"apiVersion", "authorization.k8s.io/v1"},
                                  {"kind", "SubjectAccessReview"},
                                  {"spec", spec}});
    kube::Response r = client_.send("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                    doc::to_json(review));
    if (!r.ok()) return {502, "the API server did not review the access: " + r.message()};
    Value answer = r.json();
    const Value* status = answer.find("status");
    const Value* allowed = status ? status->find("allowed") : nullptr;
    if (allowed && allowed->is_bool() && allowed->as_bool()) continue;
    std::string reason = status ? status->get_string("reason") : "";
    std::string error = status ? status->get_string("evaluationError") : "";
    std::string m = p.refusal(caller.username);
    if (!reason.empty()) m += ": " + reason;
    if (!error.empty()) m += " (" + error + ")";
    return {403, m};
  }
  return {};
}

}  // namespace gantry::dashboard
