// The sandbox's request record: Kubernetes' request attributes from method and path.
#include "sandbox/audit.h"

#include <gtest/gtest.h>

namespace gantry::sandbox {
namespace {

doc::Value attrs(const std::string& method, const std::string& path,
                 const std::string& query_watch = "") {
  http::ServerRequest req;
  req.method = method;
  req.path = path;
  if (!query_watch.empty()) req.params.emplace("watch", query_watch);
  return request_attributes(req);
}

std::string summary(const doc::Value& a) {
  return a.get_string("verb") + " " + a.get_string("apiGroup") + "|" + a.get_string("resource") +
         "|" + a.get_string("subresource") + "|" + a.get_string("namespace") + "|" +
         a.get_string("name") + "|" + a.get_string("nonResourceURL");
}

TEST(AuditAttributes, VerbsFollowKubernetes) {
  EXPECT_EQ(summary(attrs("GET", "/api/v1/namespaces/a/pods/p")), "get |pods||a|p|");
  EXPECT_EQ(summary(attrs("GET", "/api/v1/namespaces/a/pods")), "list |pods||a||");
  EXPECT_EQ(summary(attrs("GET", "/api/v1/pods", "true")), "watch |pods||||");
  EXPECT_EQ(summary(attrs("GET", "/api/v1/watch/namespaces/a/pods")), "watch |pods||a||");
  EXPECT_EQ(summary(attrs("POST", "/apis/apps/v1/namespaces/a/deployments")),
            "create apps|deployments||a||");
  EXPECT_EQ(summary(attrs("PUT", "/apis/coordination.k8s.io/v1/namespaces/s/leases/l")),
            "update coordination.k8s.io|leases||s|l|");
  EXPECT_EQ(
      summary(attrs("PATCH", "/apis/gantry.dev/v1alpha1/namespaces/d/gantrydeployments/x/status")),
      "patch gantry.dev|gantrydeployments|status|d|x|");
  EXPECT_EQ(summary(attrs("DELETE", "/api/v1/namespaces/a/configmaps/c")),
            "delete |configmaps||a|c|");
  EXPECT_EQ(summary(attrs("DELETE", "/api/v1/namespaces/a/configmaps")),
            "deletecollection |configmaps||a||");
  EXPECT_EQ(summary(attrs("POST", "/api/v1/namespaces/a/pods/p/exec")), "create |pods|exec|a|p|");
}

TEST(AuditAttributes, NamespacesAndNonResourceUrls) {
  EXPECT_EQ(summary(attrs("GET", "/api/v1/namespaces/a")), "get |namespaces||a|a|");
  EXPECT_EQ(summary(attrs("PUT", "/api/v1/namespaces/a/finalize")),
            "update |namespaces|finalize|a|a|");
  EXPECT_EQ(summary(attrs("GET", "/api/v1/namespaces")), "list |namespaces||||");
  EXPECT_EQ(summary(attrs("GET", "/api")), "get |||||/api");
  EXPECT_EQ(summary(attrs("GET", "/api/v1")), "get |||||/api/v1");
  EXPECT_EQ(summary(attrs("GET", "/apis/apps/v1")), "get |||||/apis/apps/v1");
  EXPECT_EQ(summary(attrs("GET", "/openapi/v3")), "get |||||/openapi/v3");
  EXPECT_EQ(summary(attrs("GET", "/version")), "get |||||/version");
}

}  // namespace
}  // namespace gantry::sandbox
