// The objects the simulated controllers keep (sandbox/dependents.h): names,
// labels and owners as kube-controller-manager gives them.
#include <gtest/gtest.h>

#include "doc/yaml.h"
#include "sandbox/dependents.h"

namespace gantry::sandbox {
namespace {

doc::Value yaml(const std::string& s) {
  return doc::parse_yaml(s, "t.yaml");
}

std::string label(const doc::Value& obj, const std::string& key) {
  const doc::Value* v = obj.find_path({"metadata", "labels"});
  v = v ? v->find(key) : nullptr;
  return v && v->is_string() ? v->as_string() : "<none>";
}

TEST(Dependents, ServiceGetsEndpointsWithItsLabelsAndAnOwnedSlice) {
  doc::Value svc = yaml(R"(apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop, uid: s1, labels: {gantry.dev/discriminator: shop-dev, app: api}}
spec:
  clusterIP: 10.96.0.5
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: web}]
)");
  doc::Value ready = yaml(R"(metadata: {name: api-1, namespace: shop, uid: p1, labels: {app: api}}
spec: {containers: [{name: c, ports: [{name: web, containerPort: 8080}]}]}
status: {podIP: 10.244.0.7, conditions: [{type: Ready, status: "True"}]}
)");
  doc::Value other = yaml(R"(metadata: {name: db-1, namespace: shop, uid: p2, labels: {app: db}}
status: {podIP: 10.244.0.8}
)");
  auto deps = dependents_of(svc, {&ready, &other});
  ASSERT_EQ(deps.size(), 2u);
  const doc::Value& ep = deps[0].object;
  EXPECT_EQ(ep.get_string("kind"), "Endpoints");
  EXPECT_EQ(ep.find_path({"metadata", "name"})->as_string(), "api");
  EXPECT_EQ(label(ep, "gantry.dev/discriminator"), "shop-dev");
  EXPECT_EQ(ep.find_path({"metadata", "ownerReferences"}), nullptr);
  const doc::Value& subset = ep.find("subsets")->as_list().front();
  ASSERT_EQ(subset.find("addresses")->size(), 1u);
  EXPECT_EQ(subset.find("addresses")->as_list()[0].get_string("ip"), "10.244.0.7");
  EXPECT_EQ(subset.find("ports")->as_list()[0].find("port")->as_int(), 8080);

  const Dependent& slice = deps[1];
  EXPECT_TRUE(slice.generated);
  EXPECT_EQ(slice.object.find_path({"metadata", "generateName"})->as_string(), "api-");
  EXPECT_EQ(label(slice.object, "gantry.dev/discriminator"), "shop-dev");
  EXPECT_EQ(label(slice.object, "kubernetes.io/service-name"), "api");
  EXPECT_EQ(label(slice.object, "endpointslice.kubernetes.io/managed-by"),
            "endpointslice-controller.k8s.io");
  const doc::Value& owner = slice.object.find_path({"metadata", "ownerReferences"})->as_list()[0];
  EXPECT_EQ(owner.get_string("kind"), "Service");
  EXPECT_EQ(owner.get_string("uid"), "s1");
  EXPECT_TRUE(owner.find("controller")->as_bool());

  // Headless Services say so; Services without a selector get nothing.
  svc["spec"].set("clusterIP", "None");
  EXPECT_EQ(label(dependents_of(svc, {})[0].object, "service.kubernetes.io/headless"), "");
  svc["spec"].erase("selector");
  EXPECT_TRUE(dependents_of(svc, {}).empty());
}

TEST(Dependents, DeploymentReplicaSetIsNamedByItsTemplateHash) {
  doc::Value d = yaml(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: d1, labels: {gantry.dev/discriminator: shop-dev}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
)");
  auto deps = dependents_of(d, {});
  ASSERT_EQ(deps.size(), 1u);
  const doc::Value& rs = deps[0].object;
  std::string hash = label(rs, "pod-template-hash");
  EXPECT_EQ(rs.find_path({"metadata", "name"})->as_string(), "web-" + hash);
  // The template's labels, not the Deployment's.
  EXPECT_EQ(label(rs, "app"), "web");
  EXPECT_EQ(label(rs, "gantry.dev/discriminator"), "<none>");
  EXPECT_EQ(rs.find_path({"spec", "replicas"})->as_int(), 3);
  EXPECT_EQ(rs.find_path({"spec", "selector", "matchLabels", "pod-template-hash"})->as_string(),
            hash);
  for (char c : hash)
    EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos) << hash;
  // A new template, a new ReplicaSet name; the same template, the same name.
  doc::Value d2 = d;
  d2["spec"]["template"]["spec"]["containers"].as_list()[0].set("image", "web:2");
  EXPECT_NE(dependents_of(d2, {})[0].object.find_path({"metadata", "name"})->as_string(),
            "web-" + hash);
  EXPECT_EQ(template_hash(d["spec"]["template"]), hash);
}

TEST(Dependents, PodsOfJobsAndStatefulSets) {
  doc::Value job = yaml(R"(apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop, uid: j1}
spec:
  template:
    metadata: {labels: {gantry.dev/discriminator: shop-dev}}
    spec: {restartPolicy: Never, containers: [{name: m, image: m:1}]}
)");
  auto deps = dependents_of(job, {});
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_TRUE(deps[0].generated);
  EXPECT_FALSE(deps[0].update_existing);
  EXPECT_EQ(label(deps[0].object, "batch.kubernetes.io/job-name"), "migrate");
  EXPECT_EQ(label(deps[0].object, "controller-uid"), "j1");
  EXPECT_EQ(label(deps[0].object, "gantry.dev/discriminator"), "shop-dev");

  doc::Value sts = yaml(R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop, uid: s1}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: db:1}]}
)");
  deps = dependents_of(sts, {});
  ASSERT_EQ(deps.size(), 3u);
  EXPECT_EQ(deps[0].object.get_string("kind"), "ControllerRevision");
  std::string hash = label(deps[0].object, "controller.kubernetes.io/hash");
  EXPECT_EQ(deps[0].object.find_path({"metadata", "name"})->as_string(), "db-" + hash);
  EXPECT_EQ(deps[2].object.find_path({"metadata", "name"})->as_string(), "db-1");
  EXPECT_EQ(label(deps[2].object, "statefulset.kubernetes.io/pod-name"), "db-1");
  EXPECT_EQ(label(deps[2].object, "apps.kubernetes.io/pod-index"), "1");
  EXPECT_EQ(label(deps[2].object, "controller-revision-hash"), "db-" + hash);
}

TEST(Dependents, OtherKindsHaveNone) {
  EXPECT_TRUE(
      dependents_of(yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"), {}).empty());
  EXPECT_NE(pod_ip("a"), pod_ip("b"));
  EXPECT_EQ(pod_ip("a").rfind("10.244.", 0), 0u);
}

}  // namespace
}  // namespace gantry::sandbox
