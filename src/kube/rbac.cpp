#include "kube/rbac.h"

#include <algorithm>
#include <functional>

namespace gantry::kube::rbac {

using doc::Value;

namespace {

bool any_of_list(const Value& rule, std::string_view key,
                 const std::function<bool(const std::string&)>& pred) {
  const Value* l = rule.find(key);
  if (!l || !l->is_list()) return false;
  for (const auto& x : l->as_list())
    if (x.is_string() && pred(x.as_string())) return true;
  return false;
}

bool empty_list(const Value& rule, std::string_view key) {
  const Value* l = rule.find(key);
  return !l || !l->is_list() || l->as_list().empty();
}

bool verb_matches(const Value& rule, const std::string& verb) {
  return any_of_list(rule, "verbs", [&](const std::string& v) { return v == "*" || v == verb; });
}

bool group_matches(const Value& rule, const std::string& group) {
  return any_of_list(rule, "apiGroups",
                     [&](const std::string& g) { return g == "*" || g == group; });
}

bool resource_matches(const Value& rule, const std::string& combined,
                      const std::string& subresource) {
  return any_of_list(rule, "resources", [&](const std::string& r) {
    if (r == "*" || r == combined) return true;
    return !subresource.empty() && r == "*/" + subresource;
  });
}

bool name_matches(const Value& rule, const std::string& name) {
  if (empty_list(rule, "resourceNames")) return true;
  return any_of_list(rule, "resourceNames", [&](const std::string& n) { return n == name; });
}

bool url_matches(const Value& rule, const std::string& url) {
  return any_of_list(rule, "nonResourceURLs", [&](const std::string& u) {
    if (u == "*" || u == url) return true;
    if (u.empty() || u.back() != '*') return false;
    std::string prefix = u.substr(0, u.find_last_not_of('*') + 1);
    return url.compare(0, prefix.size(), prefix) == 0;
  });
}

const Value* find_role(const std::vector<Value>& objects, const std::string& kind,
                       const std::string& ns, const std::string& name) {
  for (const auto& o : objects) {
    if (o.get_string("kind") != kind) continue;
    const Value* m = o.find("metadata");
    if (!m || m->get_string("name") != name) continue;
    if (kind == "Role" && m->get_string("namespace") != ns) continue;
    return &o;
  }
  return nullptr;
}

bool subject_matches(const Value& binding, const Subject& who) {
  const Value* subjects = binding.find("subjects");
  if (!subjects || !subjects->is_list()) return false;
  for (const auto& s : subjects->as_list()) {
    std::string kind = s.get_string("kind"), name = s.get_string("name");
    if (kind == "User" && name == who.user) return true;
    if (kind == "Group" &&
        std::find(who.groups.begin(), who.groups.end(), name) != who.groups.end())
      return true;
    if (kind == "ServiceAccount" &&
        who.user == "system:serviceaccount:" + s.get_string("namespace") + ":" + name)
      return true;
  }
  return false;
}

}  // namespace

std::string Request::str() const {
  if (!is_resource_request()) return verb + " " + non_resource_url;
  std::string r = verb + " " + (api_group.empty() ? "" : api_group + "/") + resource;
  if (!subresource.empty()) r += "/" + subresource;
  if (!name.empty()) r += " " + name;
  if (!ns.empty()) r += " in " + ns;
  return r;
}

bool rule_allows(const Value& rule, const Request& r) {
  if (!rule.is_map()) return false;
  if (!r.is_resource_request())
    return verb_matches(rule, r.verb) && url_matches(rule, r.non_resource_url);
  std::string combined = r.subresource.empty() ? r.resource : r.resource + "/" + r.subresource;
  return verb_matches(rule, r.verb) && group_matches(rule, r.api_group) &&
         resource_matches(rule, combined, r.subresource) && name_matches(rule, r.name);
}

bool rules_allow(const Value& rules, const Request& r) {
  if (!rules.is_list()) return false;
  return std::any_of(rules.as_list().begin(), rules.as_list().end(),
                     [&](const Value& rule) { return rule_allows(rule, r); });
}

Subject service_account(const std::string& ns, const std::string& name) {
  return Subject{
      "system:serviceaccount:" + ns + ":" + name,
      {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}};
}

bool authorized(const std::vector<Value>& objects, const Subject& who, const Request& r) {
  for (const auto& b : objects) {
    std::string kind = b.get_string("kind");
    if (kind != "ClusterRoleBinding" && kind != "RoleBinding") continue;
    if (!subject_matches(b, who)) continue;
    const Value* ref = b.find("roleRef");
    if (!ref) continue;
    std::string ns = b.find("metadata") ? b.find("metadata")->get_string("namespace") : "";
    if (kind == "RoleBinding" && (!r.is_resource_request() || r.ns != ns)) continue;
    std::string role_kind = ref->get_string("kind"), role_name = ref->get_string("name");
    if (role_kind == "ClusterRole" && role_name == "cluster-admin") return true;
    const Value* role = find_role(objects, role_kind, ns, role_name);
    if (role && rules_allow(role->find("rules") ? *role->find("rules") : Value(), r)) return true;
  }
  return false;
}

}  // namespace gantry::kube::rbac
