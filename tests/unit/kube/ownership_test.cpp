// The ownership rule of prune and delete (kube/ownership.h), on objects shaped
// as a real kube-apiserver returns them. Where a shape comes from the
// cluster's own controllers, the comment says which controller writes it.
#include <gtest/gtest.h>

#include "doc/yaml.h"
#include "kube/ownership.h"

namespace gantry::kube {
namespace {

doc::Value yaml(const std::string& s) {
  return doc::parse_yaml(s, "t.yaml");
}

ResourceType type(const std::string& group, const std::string& kind, const std::string& resource) {
  ResourceType t;
  t.group = group;
  t.version = "v1";
  t.kind = kind;
  t.resource = resource;
  return t;
}

const OwnershipRule kRule;

TEST(Ownership, AppliedByGantryIsOurs) {
  doc::Value cm = yaml(R"(kind: ConfigMap
metadata:
  name: a
  labels: {gantry.dev/discriminator: shop-dev}
  managedFields:
  - {manager: gantry, operation: Apply, apiVersion: v1, fieldsType: FieldsV1}
  - {manager: kube-controller-manager, operation: Update, apiVersion: v1, fieldsType: FieldsV1}
)");
  EXPECT_EQ(ownership(cm, kRule).kind, Ownership::kOurs);
  doc::Value by_controller = yaml(R"(kind: ConfigMap
metadata:
  name: a
  managedFields:
  - {manager: gantry-controller, operation: Apply}
)");
  EXPECT_EQ(ownership(by_controller, kRule).kind, Ownership::kOurs);
}

// The endpoints controller (kube-controller-manager, pkg/controller/endpoint)
// copies the Service's labels onto an Endpoints of the same name, writes it
// with an Update as "kube-controller-manager" and sets no ownerReferences.
// This is what `gantry prune` once deleted on a real cluster.
TEST(Ownership, EndpointsOfAServiceAreNotOurs) {
  doc::Value ep = yaml(R"(apiVersion: v1
kind: Endpoints
metadata:
  name: api-golang
  namespace: demo-app
  labels: {gantry.dev/discriminator: kluctl-staging, app: api-golang}
  annotations: {endpoints.kubernetes.io/last-change-trigger-time: "2026-12-05T00:00:00Z"}
  managedFields:
  - {manager: kube-controller-manager, operation: Update, apiVersion: v1, fieldsType: FieldsV1}
)");
  OwnershipVerdict v = ownership(ep, kRule);
  EXPECT_EQ(v.kind, Ownership::kForeign);
  EXPECT_NE(v.why.find("kube-controller-manager"), std::string::npos) << v.why;
  // ...and the type is not even listed, unless the project applies Endpoints itself.
  EXPECT_TRUE(never_listed_for_prune(type("", "Endpoints", "endpoints"), {"Service"}));
  EXPECT_FALSE(never_listed_for_prune(type("", "Endpoints", "endpoints"), {"Endpoints"}));
  EXPECT_TRUE(never_listed_for_prune(type("discovery.k8s.io", "EndpointSlice", "endpointslices"),
                                     {"Service", "Deployment"}));
}

// The EndpointSlice controller, the Deployment and ReplicaSet controllers give
// their objects a controller ownerReference: they are the owner's business.
TEST(Ownership, OwnedObjectsAreNeverOurs) {
  doc::Value rs = yaml(R"(kind: ReplicaSet
metadata:
  name: web-5d4f8c7b9
  labels: {gantry.dev/discriminator: shop-dev, pod-template-hash: 5d4f8c7b9}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}
  managedFields:
  - {manager: kube-controller-manager, operation: Update}
)");
  OwnershipVerdict v = ownership(rs, kRule);
  EXPECT_EQ(v.kind, Ownership::kOwnedByObject);
  EXPECT_EQ(v.why, "owned by Deployment web");
  // Even one that gantry once applied and a controller then adopted.
  doc::Value adopted = rs;
  adopted["metadata"]["managedFields"].push_back(yaml("{manager: gantry, operation: Apply}"));
  EXPECT_EQ(ownership(adopted, kRule).kind, Ownership::kOwnedByObject);
}

TEST(Ownership, LabelledByHandIsForeignUntilForceManaged) {
  // `kubectl create configmap x; kubectl label cm x gantry.dev/discriminator=…`
  doc::Value cm = yaml(R"(kind: ConfigMap
metadata:
  name: x
  labels: {gantry.dev/discriminator: shop-dev}
  managedFields:
  - {manager: kubectl-create, operation: Update}
  - {manager: kubectl-label, operation: Update}
)");
  OwnershipVerdict v = ownership(cm, kRule);
  EXPECT_EQ(v.kind, Ownership::kForeign);
  EXPECT_EQ(v.why, "not applied by gantry (field managers: kubectl-create, kubectl-label)");
  cm["metadata"].set("annotations", yaml("{gantry.dev/force-managed: \"true\"}"));
  EXPECT_EQ(ownership(cm, kRule).kind, Ownership::kOurs);
  cm["metadata"].set("annotations", yaml("{kluctl.io/force-managed: \"true\"}"));
  EXPECT_EQ(ownership(cm, kRule).kind, Ownership::kOurs);
  cm["metadata"].set("annotations", yaml("{gantry.dev/force-managed: \"false\"}"));
  EXPECT_EQ(ownership(cm, kRule).kind, Ownership::kForeign);
}

TEST(Ownership, NoManagedFieldsMeansUnknownAndKept) {
  doc::Value cm = yaml("kind: ConfigMap\nmetadata: {name: x}\n");
  OwnershipVerdict v = ownership(cm, kRule);
  EXPECT_EQ(v.kind, Ownership::kForeign);
  EXPECT_NE(v.why.find("no field manager"), std::string::npos);
}

TEST(Ownership, AdoptedManagersCountOnlyWhenAsked) {
  doc::Value cm = yaml(R"(kind: ConfigMap
metadata:
  name: x
  managedFields:
  - {manager: kluctl, operation: Apply}
)");
  EXPECT_EQ(ownership(cm, kRule).kind, Ownership::kForeign);
  OwnershipRule adopt;
  adopt.managers.push_back("kluctl");
  EXPECT_EQ(ownership(cm, adopt).kind, Ownership::kOurs);
}

TEST(Ownership, KeepAnnotationsWinOverEverything) {
  const char* base = R"(kind: ConfigMap
metadata:
  name: x
  annotations: {ANN}
  managedFields:
  - {manager: gantry, operation: Apply}
)";
  auto with = [&](const std::string& ann) {
    std::string s = base;
    s.replace(s.find("ANN"), 3, ann);
    return yaml(s);
  };
  OwnershipVerdict v = ownership(with("gantry.dev/skip-delete: \"true\""), kRule);
  EXPECT_EQ(v.kind, Ownership::kKeep);
  EXPECT_EQ(v.why, "annotated gantry.dev/skip-delete");
  v = ownership(with("kluctl.io/skip-delete: \"true\""), kRule);
  EXPECT_EQ(v.kind, Ownership::kKeep);
  EXPECT_EQ(v.why, "annotated kluctl.io/skip-delete");
  v = ownership(with("helm.sh/resource-policy: keep"), kRule);
  EXPECT_EQ(v.kind, Ownership::kKeep);
  EXPECT_EQ(ownership(with("helm.sh/resource-policy: delete"), kRule).kind, Ownership::kOurs);
  EXPECT_EQ(
      ownership(with("gantry.dev/skip-delete: \"true\", gantry.dev/force-managed: \"true\""), kRule)
          .kind,
      Ownership::kKeep);
}

TEST(Ownership, SystemTypesAreNotListed) {
  for (const auto& t :
       {type("", "Event", "events"), type("events.k8s.io", "Event", "events"),
        type("", "ComponentStatus", "componentstatuses"), type("", "Node", "nodes"),
        type("authentication.k8s.io", "TokenReview", "tokenreviews"),
        type("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews")})
    EXPECT_TRUE(never_listed_for_prune(t, {})) << t.kind;
  for (const auto& t :
       {type("", "ConfigMap", "configmaps"), type("apps", "Deployment", "deployments"),
        type("coordination.k8s.io", "Lease", "leases"),
        type("traefik.io", "Middleware", "middlewares")})
    EXPECT_FALSE(never_listed_for_prune(t, {})) << t.kind;
  // The kubelet's node heartbeats are the system's; a project's own Lease is not.
  ResourceType lease = type("coordination.k8s.io", "Lease", "leases");
  EXPECT_TRUE(system_object(lease, yaml("metadata: {name: node-1, namespace: kube-node-lease}")));
  EXPECT_FALSE(system_object(lease, yaml("metadata: {name: lock, namespace: shop}")));
}

TEST(Ownership, DeletionRoundsPutOperatorsResourcesFirstAndNamespacesAndCrdsLast) {
  EXPECT_EQ(deletion_round(type("postgresql.cnpg.io", "Cluster", "clusters")), 0);
  EXPECT_EQ(deletion_round(type("traefik.io", "Middleware", "middlewares")), 0);
  EXPECT_EQ(deletion_round(type("gateway.networking.k8s.io", "HTTPRoute", "httproutes")), 0);
  EXPECT_EQ(deletion_round(type("apps", "Deployment", "deployments")), 1);
  EXPECT_EQ(deletion_round(type("", "Service", "services")), 1);
  EXPECT_EQ(deletion_round(type("networking.k8s.io", "Ingress", "ingresses")), 1);
  EXPECT_EQ(deletion_round(type("batch", "Job", "jobs")), 1);
  EXPECT_EQ(deletion_round(type("", "ConfigMap", "configmaps")), 2);
  EXPECT_EQ(deletion_round(type("rbac.authorization.k8s.io", "Role", "roles")), 2);
  EXPECT_EQ(deletion_round(type("", "Namespace", "namespaces")), 3);
  EXPECT_EQ(deletion_round(type("apiextensions.k8s.io", "CustomResourceDefinition",
                                "customresourcedefinitions")),
            4);
}

}  // namespace
}  // namespace gantry::kube
