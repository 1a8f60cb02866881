#include <gtest/gtest.h>

#include "doc/yaml.h"
#include "kube/readiness.h"

namespace gantry::kube {
namespace {

Readiness of(const std::string& yaml) {
  return readiness(doc::parse_yaml(yaml, "t.yaml"));
}

TEST(Readiness, DeploymentNeedsObservedGenerationAndAvailableReplicas) {
  const std::string head =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, generation: 2}\nspec: {replicas: "
      "3}\n";
  EXPECT_EQ(
      of(head +
         "status: {observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3}")
          .state,
      Readiness::State::kProgressing);
  auto r =
      of(head +
         "status: {observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 1}");
  EXPECT_EQ(r.state, Readiness::State::kProgressing);
  EXPECT_EQ(r.reason, "1 of 3 replicas available");
  EXPECT_EQ(
      of(head +
         "status: {observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3}")
          .reason,
      "1 old replicas pending termination");
  EXPECT_TRUE(
      of(head +
         "status: {observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3}")
          .ready());
  auto stuck =
      of(head +
         "status: {observedGeneration: 2, conditions: [{type: Progressing, status: 'False', "
         "reason: ProgressDeadlineExceeded, message: too slow}]}");
  EXPECT_TRUE(stuck.failed());
  EXPECT_NE(stuck.reason.find("ProgressDeadlineExceeded"), std::string::npos);
}

TEST(Readiness, DeploymentDefaultsToOneReplica) {
  EXPECT_TRUE(
      of("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, generation: 1}\nspec: {}\n"
         "status: {observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1}")
          .ready());
  EXPECT_FALSE(
      of("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, generation: 1}\nspec: {}\n")
          .ready());
}

TEST(Readiness, JobCompleteOrFailed) {
  const std::string head = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\n";
  EXPECT_TRUE(of(head + "status: {conditions: [{type: Complete, status: 'True'}]}").ready());
  auto f =
      of(head +
         "status: {conditions: [{type: Failed, status: 'True', reason: BackoffLimitExceeded}]}");
  EXPECT_TRUE(f.failed());
  EXPECT_NE(f.reason.find("BackoffLimitExceeded"), std::string::npos);
  EXPECT_EQ(of(head + "status: {active: 1}").state, Readiness::State::kProgressing);
}

TEST(Readiness, StatefulSetDaemonSetPodPvcCrd) {
  EXPECT_FALSE(of("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s, generation: "
                  "1}\nspec: {replicas: 2}\n"
                  "status: {observedGeneration: 1, readyReplicas: 1}")
                   .ready());
  EXPECT_FALSE(
      of("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s, generation: 1}\nspec: "
         "{replicas: 2}\n"
         "status: {observedGeneration: 1, readyReplicas: 2, currentRevision: a, updateRevision: b}")
          .ready());
  EXPECT_TRUE(
      of("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s, generation: 1}\nspec: "
         "{replicas: 2}\n"
         "status: {observedGeneration: 1, readyReplicas: 2, currentRevision: b, updateRevision: b}")
          .ready());
  EXPECT_FALSE(of("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d, generation: 1}\n"
                  "status: {observedGeneration: 1, desiredNumberScheduled: 3, "
                  "updatedNumberScheduled: 3, numberReady: 2}")
                   .ready());
  EXPECT_TRUE(of("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d, generation: 1}\n"
                 "status: {observedGeneration: 1, desiredNumberScheduled: 3, "
                 "updatedNumberScheduled: 3, numberReady: 3, numberAvailable: 3}")
                  .ready());
  EXPECT_TRUE(of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Running, "
                 "conditions: [{type: Ready, status: 'True'}]}")
                  .ready());
  EXPECT_TRUE(
      of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Failed}").failed());
  EXPECT_EQ(of("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nstatus: {phase: Pending}").reason,
            "Pod Pending, not Ready");
  EXPECT_TRUE(
      of("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nstatus: {phase: Bound}")
          .ready());
  EXPECT_FALSE(of("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\nstatus: "
                  "{phase: Pending}")
                   .ready());
  EXPECT_FALSE(of("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: "
                  "{name: x}\n")
                   .ready());
  EXPECT_TRUE(of("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: "
                 "{name: x}\n"
                 "status: {conditions: [{type: Established, status: 'True'}]}")
                  .ready());
}

TEST(Readiness, GenericReadyCondition) {
  EXPECT_TRUE(of("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n").ready());
  auto r =
      of("apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata: {name: c}\n"
         "status: {conditions: [{type: Ready, status: 'False', reason: Creating}]}");
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(r.reason, "Ready=False (Creating)");
  EXPECT_TRUE(of("apiVersion: x/v1\nkind: Y\nmetadata: {name: c}\nstatus: {conditions: [{type: "
                 "Ready, status: 'True'}]}")
                  .ready());
}

}  // namespace
}  // namespace gantry::kube
