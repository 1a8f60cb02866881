#include "rbac/rules.h"

#include <algorithm>
#include <functional>
#include <optional>

namespace gantry::rbac {

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

// The first subject of `binding` that is `who`, or nullptr. A ServiceAccount
// subject without a namespace is in the binding's (as the RBAC authorizer reads it).
const Value* matching_subject(const Value& binding, const Subject& who) {
  const Value* subjects = binding.find("subjects");
  if (!subjects || !subjects->is_list()) return nullptr;
  std::string bns =
      binding.find("metadata") ? binding.find("metadata")->get_string("namespace") : "";
  for (const auto& s : subjects->as_list()) {
    std::string kind = s.get_string("kind"), name = s.get_string("name");
    if (kind == "User" && name == who.user) return &s;
    if (kind == "Group" &&
        std::find(who.groups.begin(), who.groups.end(), name) != who.groups.end())
      return &s;
    if (kind == "ServiceAccount" &&
        who.user == "system:serviceaccount:" + s.get_string("namespace", bns) + ":" + name)
      return &s;
  }
  return nullptr;
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

namespace {

bool labels_match(const Value& selector, const Value* labels) {
  if (!selector.is_map()) return false;
  auto label = [&](const std::string& k) -> const Value* {
    return labels && labels->is_map() ? labels->find(k) : nullptr;
  };
  if (const Value* ml = selector.find("matchLabels"); ml && ml->is_map())
    for (const auto& m : ml->as_map()) {
      const Value* v = label(m.key);
      if (!v || !v->is_string() || !m.value.is_string() || v->as_string() != m.value.as_string())
        return false;
    }
  if (const Value* me = selector.find("matchExpressions"); me && me->is_list())
    for (const auto& e : me->as_list()) {
      std::string op = e.get_string("operator");
      const Value* v = label(e.get_string("key"));
      bool in = false;
      if (const Value* vals = e.find("values"); vals && vals->is_list() && v && v->is_string())
        for (const auto& x : vals->as_list())
          in = in || (x.is_string() && x.as_string() == v->as_string());
      if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !v) ||
          (op == "DoesNotExist" && v))
        return false;
    }
  return true;
}

// A role's rules, with an aggregated ClusterRole's matching roles' rules added.
Value effective_rules(const std::vector<Value>& objects, const Value& role) {
  Value rules =
      role.find("rules") && role.find("rules")->is_list() ? *role.find("rules") : Value::list();
  const Value* agg = role.find_path({"aggregationRule", "clusterRoleSelectors"});
  if (role.get_string("kind") != "ClusterRole" || !agg || !agg->is_list()) return rules;
  std::string self = role.find("metadata") ? role.find("metadata")->get_string("name") : "";
  for (const auto& o : objects) {
    if (o.get_string("kind") != "ClusterRole") continue;
    const Value* md = o.find("metadata");
    if (!md || md->get_string("name") == self) continue;
    bool match = false;
    for (const auto& sel : agg->as_list())
      match = match || labels_match(sel, md->find("labels"));
    if (!match) continue;
    if (const Value* more = o.find("rules"); more && more->is_list())
      for (const auto& x : more->as_list())
        rules.push_back(x);
  }
  return rules;
}

// Calls `f` with the rules of every binding of `who` that applies in `ns`
// (ClusterRoleBindings always; RoleBindings when `ns` is theirs), the
// binding and its subject that is `who`; stops when `f` returns true.
// cluster-admin's rules are everything.
using BindingVisitor =
    std::function<bool(const Value& rules, const Value& binding, const Value& subject)>;
bool for_each_binding(const std::vector<Value>& objects, const Subject& who,
                      const std::optional<std::string>& ns, const BindingVisitor& f) {
  static const Value admin = [] {
    Value all = Value::list();
    all.push_back(std::string("*"));
    Value rules = Value::list();
    rules.push_back(Value::object({{"apiGroups", all}, {"resources", all}, {"verbs", all}}));
    rules.push_back(Value::object({{"nonResourceURLs", all}, {"verbs", all}}));
    return rules;
  }();
  for (const auto& b : objects) {
    std::string kind = b.get_string("kind");
    if (kind != "ClusterRoleBinding" && kind != "RoleBinding") continue;
    const Value* subject = matching_subject(b, who);
    if (!subject) continue;
    const Value* ref = b.find("roleRef");
    if (!ref) continue;
    std::string bns = b.find("metadata") ? b.find("metadata")->get_string("namespace") : "";
    if (kind == "RoleBinding" && (!ns || *ns != bns)) continue;
    std::string role_kind = ref->get_string("kind"), role_name = ref->get_string("name");
    if (role_kind == "ClusterRole" && role_name == "cluster-admin") {
      if (f(admin, b, *subject)) return true;
      continue;
    }
    const Value* role = find_role(objects, role_kind, bns, role_name);
    if (role && f(effective_rules(objects, *role), b, *subject)) return true;
  }
  return false;
}

// The RBAC authorizer's description of a binding's subject.
std::string describe_subject(const Value& s, const std::string& binding_ns) {
  std::string kind = s.get_string("kind"), name = s.get_string("name");
  if (kind == "ServiceAccount") name += "/" + s.get_string("namespace", binding_ns);
  return kind + " \"" + name + "\"";
}

}  // namespace

Decision decide(const std::vector<Value>& objects, const Subject& who, const Request& r) {
  std::optional<std::string> ns;
  if (r.is_resource_request() && !r.ns.empty()) ns = r.ns;
  Decision d;
  d.allowed = for_each_binding(
      objects, who, ns, [&](const Value& rules, const Value& b, const Value& subject) {
        if (!rules_allow(rules, r)) return false;
        const Value* md = b.find("metadata");
        std::string name = md ? md->get_string("name") : "",
                    bns = md ? md->get_string("namespace") : "";
        const Value* ref = b.find("roleRef");
        std::string role =
            ref ? ref->get_string("kind") + " \"" + ref->get_string("name") + "\"" : "";
        d.reason = "RBAC: allowed by " + b.get_string("kind") + " \"" +
                   (bns.empty() ? name : name + "/" + bns) + "\" of " + role + " to " +
                   describe_subject(subject, bns);
        return true;
      });
  return d;
}

bool authorized(const std::vector<Value>& objects, const Subject& who, const Request& r) {
  return decide(objects, who, r).allowed;
}

Value rules_for(const std::vector<Value>& objects, const Subject& who, const std::string& ns) {
  Value out = Value::list();
  for_each_binding(objects, who, ns, [&](const Value& rules, const Value&, const Value&) {
    if (rules.is_list())
      for (const auto& x : rules.as_list())
        out.push_back(x);
    return false;
  });
  return out;
}

}  // namespace gantry::rbac
