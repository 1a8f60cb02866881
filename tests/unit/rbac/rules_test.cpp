// rbac:: against the matching rules of kube-apiserver's RBAC authorizer.
#include "rbac/rules.h"

#include <gtest/gtest.h>

#include "doc/yaml.h"

namespace gantry::rbac {
namespace {

doc::Value rules(const std::string& yaml) {
  return doc::parse_yaml(yaml, "<test>");
}

Request res(std::string verb, std::string group, std::string resource, std::string ns = "",
            std::string name = "", std::string sub = "") {
  Request r;
  r.verb = std::move(verb);
  r.api_group = std::move(group);
  r.resource = std::move(resource);
  r.ns = std::move(ns);
  r.name = std::move(name);
  r.subresource = std::move(sub);
  return r;
}

TEST(Rbac, VerbsGroupsAndResourcesMustAllMatch) {
  auto r = rules("- {apiGroups: [apps], resources: [deployments], verbs: [get, list]}");
  EXPECT_TRUE(rules_allow(r, res("get", "apps", "deployments", "a", "x")));
  EXPECT_TRUE(rules_allow(r, res("list", "apps", "deployments")));
  EXPECT_FALSE(rules_allow(r, res("delete", "apps", "deployments", "a", "x")));
  EXPECT_FALSE(rules_allow(r, res("get", "", "deployments", "a", "x")));
  EXPECT_FALSE(rules_allow(r, res("get", "apps", "statefulsets", "a", "x")));
}

TEST(Rbac, SubresourcesAreNamedExplicitlyOrByStarSlash) {
  auto r = rules("- {apiGroups: [''], resources: [pods, '*/status'], verbs: [create, get]}");
  EXPECT_FALSE(rules_allow(r, res("create", "", "pods", "a", "p", "exec")));
  EXPECT_TRUE(rules_allow(r, res("get", "", "services", "a", "s", "status")));
  EXPECT_TRUE(rules_allow(r, res("get", "", "pods", "a", "p")));
  auto exec = rules("- {apiGroups: [''], resources: [pods/exec], verbs: [create]}");
  EXPECT_TRUE(rules_allow(exec, res("create", "", "pods", "a", "p", "exec")));
  EXPECT_FALSE(rules_allow(exec, res("create", "", "pods", "a", "p")));
}

TEST(Rbac, WildcardsMatchEverything) {
  auto r = rules("- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}");
  EXPECT_TRUE(rules_allow(r, res("escalate", "rbac.authorization.k8s.io", "clusterroles")));
  EXPECT_TRUE(rules_allow(r, res("create", "", "pods", "a", "p", "exec")));
  Request url;
  url.verb = "get";
  url.non_resource_url = "/version";
  EXPECT_FALSE(rules_allow(r, url));  // resource rules never match non-resource URLs
}

TEST(Rbac, ResourceNamesLimitNamedRequestsOnly) {
  auto r =
      rules("- {apiGroups: [''], resources: [configmaps], resourceNames: [cfg], verbs: ['*']}");
  EXPECT_TRUE(rules_allow(r, res("get", "", "configmaps", "a", "cfg")));
  EXPECT_FALSE(rules_allow(r, res("get", "", "configmaps", "a", "other")));
  EXPECT_FALSE(rules_allow(r, res("list", "", "configmaps", "a")));
  EXPECT_FALSE(rules_allow(r, res("create", "", "configmaps", "a")));
}

TEST(Rbac, NonResourceUrlsExactOrTrailingStar) {
  auto r = rules("- {nonResourceURLs: [/api, /apis/*, /healthz], verbs: [get]}");
  auto url = [](std::string verb, std::string u) {
    Request q;
    q.verb = std::move(verb);
    q.non_resource_url = std::move(u);
    return q;
  };
  EXPECT_TRUE(rules_allow(r, url("get", "/api")));
  EXPECT_FALSE(rules_allow(r, url("get", "/api/v1")));
  EXPECT_TRUE(rules_allow(r, url("get", "/apis/apps/v1")));
  EXPECT_FALSE(rules_allow(r, url("get", "/apis")));  // "/apis/*" needs the slash
  EXPECT_FALSE(rules_allow(r, url("post", "/healthz")));
  EXPECT_FALSE(rules_allow(r, res("get", "", "pods")));
}

TEST(Rbac, BindingsDecideWhereRulesApply) {
  std::vector<doc::Value> objects = doc::parse_yaml_stream(R"(
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: lister, namespace: team}
rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: ctl, namespace: sys}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lister, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: lister}
subjects: [{kind: ServiceAccount, name: ctl, namespace: sys}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: admin, namespace: play}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: 'system:serviceaccounts:sys'}]
)",
                                                           "<test>");
  Subject ctl = service_account("sys", "ctl");
  Subject other = service_account("sys2", "ctl");
  EXPECT_TRUE(authorized(objects, ctl, res("get", "", "secrets", "kube-system", "x")));
  EXPECT_FALSE(authorized(objects, other, res("get", "", "secrets", "kube-system", "x")));
  EXPECT_TRUE(authorized(objects, ctl, res("list", "", "secrets", "team")));
  EXPECT_FALSE(authorized(objects, ctl, res("list", "", "secrets", "kube-system")));
  EXPECT_FALSE(authorized(objects, ctl, res("list", "", "secrets")));  // all namespaces
  EXPECT_TRUE(authorized(objects, ctl, res("delete", "", "nodes", "play", "n")));
  EXPECT_FALSE(authorized(objects, ctl, res("delete", "", "nodes", "", "n")));
  // The RBAC authorizer's reasons name the binding, its role and the subject.
  EXPECT_EQ(decide(objects, ctl, res("get", "", "secrets", "kube-system", "x")).reason,
            R"(RBAC: allowed by ClusterRoleBinding "reader" of ClusterRole "reader" to )"
            R"(ServiceAccount "ctl/sys")");
  EXPECT_EQ(decide(objects, ctl, res("list", "", "secrets", "team")).reason,
            R"(RBAC: allowed by RoleBinding "lister/team" of Role "lister" to ServiceAccount )"
            R"("ctl/sys")");
  EXPECT_EQ(decide(objects, ctl, res("delete", "", "nodes", "play", "n")).reason,
            R"(RBAC: allowed by RoleBinding "admin/play" of ClusterRole "cluster-admin" to )"
            R"(Group "system:serviceaccounts:sys")");
  Decision no = decide(objects, ctl, res("list", "", "secrets", "kube-system"));
  EXPECT_FALSE(no.allowed);
  EXPECT_EQ(no.reason, "");
}

}  // namespace
}  // namespace gantry::rbac
