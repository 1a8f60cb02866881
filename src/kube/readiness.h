// Whether a live object is ready, by the usual Kubernetes status rules.
#pragma once

#include <string>

#include "doc/value.h"

namespace gantry::kube {

struct Readiness {
  enum class State { kReady, kProgressing, kFailed };
  State state = State::kReady;
  std::string reason;  // why it is not ready ("1 of 3 replicas available", "Job failed: ...")
  bool ready() const { return state == State::kReady; }
  bool failed() const { return state == State::kFailed; }
};

// The rules, by kind (observedGeneration must have caught up where the kind
// reports it):
//  - Deployment: updated, ready and available replicas equal spec.replicas
//    (default 1) and no old replicas remain; Progressing=False with
//    ProgressDeadlineExceeded fails.
//  - StatefulSet: ready and updated replicas equal spec.replicas, and
//    currentRevision equals updateRevision when both are reported.
//  - DaemonSet: updated, available and ready pods equal desiredNumberScheduled.
//  - ReplicaSet: ready replicas equal spec.replicas.
//  - Job: Complete=True is ready, Failed=True fails.
//  - Pod: phase Succeeded, or Ready=True; phase Failed fails.
//  - PersistentVolumeClaim: phase Bound.
//  - CustomResourceDefinition: Established=True.
//  - Anything else: a Ready condition, when the object has one, must be True
//    (Ready=False with a reason keeps it progressing); without one it is ready.
Readiness readiness(const doc::Value& object);

}  // namespace gantry::kube
