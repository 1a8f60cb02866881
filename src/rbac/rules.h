// Evaluating Kubernetes RBAC rules the way kube-apiserver's RBAC authorizer
// does (plugin/pkg/auth/authorizer/rbac), as pure functions on Role,
// ClusterRole, RoleBinding and ClusterRoleBinding objects. The sandbox
// authorises service-account requests with it; tests check that the rules
// `gantry install` grants cover what the controller does.
//
// A rule allows a resource request when its verbs, apiGroups, resources and
// resourceNames all match: "*" matches any verb, group or resource; a
// resource is matched as "resource" or "resource/subresource", and "*/sub"
// matches that subresource of every resource; empty resourceNames match any
// name (a non-empty list never matches a request without a name, such as
// create or list). A non-resource request matches nonResourceURLs exactly, by
// "*", or by a prefix ending in "*" ("/apis/*"). Rules grant, never deny.
#pragma once

#include <string>
#include <vector>

#include "doc/value.h"

namespace gantry::rbac {

struct Request {
  std::string verb;       // get, list, watch, create, update, patch, delete, deletecollection, ...
  std::string api_group;  // "" for core
  std::string resource, subresource;
  std::string ns;                // "" for cluster-scoped resources and non-resource requests
  std::string name;              // "" for collections and creates
  std::string non_resource_url;  // set for non-resource requests ("/apis/apps/v1")
  bool is_resource_request() const { return non_resource_url.empty(); }
  // "create apps/deployments in ns" / "get /version", for messages.
  std::string str() const;
};

// One PolicyRule ({apiGroups, resources, resourceNames, verbs, nonResourceURLs}).
bool rule_allows(const doc::Value& rule, const Request& request);
// Any rule of a list of PolicyRules.
bool rules_allow(const doc::Value& rules, const Request& request);

// Who is asking: a user name and its groups. A service account is the user
// "system:serviceaccount:NS:NAME" in the groups system:serviceaccounts,
// system:serviceaccounts:NS and system:authenticated.
struct Subject {
  std::string user;
  std::vector<std::string> groups;
};
Subject service_account(const std::string& ns, const std::string& name);

// True when some binding among `objects` (Roles, ClusterRoles, RoleBindings,
// ClusterRoleBindings; anything else is ignored) grants `request` to
// `subject`: a ClusterRoleBinding's ClusterRole anywhere; a RoleBinding's Role
// or ClusterRole only for namespaced requests in the binding's namespace
// (never non-resource URLs). A binding to a role that is not among `objects`
// grants nothing, except "cluster-admin", which grants everything. A
// ClusterRole with an aggregationRule also has the rules of every ClusterRole
// whose labels match one of its clusterRoleSelectors (matchLabels and
// matchExpressions), as the clusterrole-aggregation controller fills them in.
bool authorized(const std::vector<doc::Value>& objects, const Subject& subject,
                const Request& request);

// authorized() with the RBAC authorizer's reason when allowed: `RBAC:
// allowed by ClusterRoleBinding "NAME" of ClusterRole "ROLE" to Group
// "GROUP"` (a RoleBinding is named "NAME/NAMESPACE", a ServiceAccount subject
// "NAME/NAMESPACE"). RBAC never denies: a request no rule grants has no
// opinion and an empty reason.
struct Decision {
  bool allowed = false;
  std::string reason;
};
Decision decide(const std::vector<doc::Value>& objects, const Subject& subject,
                const Request& request);

// The rules that apply to `subject` in namespace `ns` (its ClusterRoleBindings'
// and that namespace's RoleBindings'), as SelfSubjectRulesReview lists them.
doc::Value rules_for(const std::vector<doc::Value>& objects, const Subject& subject,
                     const std::string& ns);

}  // namespace gantry::rbac
