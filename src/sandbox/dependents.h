// The objects a real cluster's controllers create for the objects people
// apply, so that tools tested on the sandbox meet them as they would on a
// cluster. What each real controller does (kube-controller-manager, from the
// Kubernetes sources and docs):
//
//  - endpoints controller (pkg/controller/endpoint): for every Service with a
//    selector, an Endpoints of the same name whose labels are the Service's
//    labels (plus service.kubernetes.io/headless for clusterIP None), listing
//    the matching Pods as ready or not-ready addresses. No ownerReferences:
//    the controller deletes it when the Service goes.
//  - EndpointSlice controller (pkg/controller/endpointslice): for the same
//    Services, slices named "<service>-<random>" with the Service's labels plus
//    kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by, and
//    a controller ownerReference to the Service.
//  - Deployment controller: a ReplicaSet "<deployment>-<pod-template-hash>"
//    labelled with the pod template's labels plus pod-template-hash, owned by
//    the Deployment; older ReplicaSets are scaled to 0 and kept (up to
//    revisionHistoryLimit).
//  - ReplicaSet controller: Pods "<replicaset>-<random>" with the template's
//    labels, owned by the ReplicaSet, as many as spec.replicas.
//  - Job controller: spec.parallelism Pods "<job>-<random>" with the template's
//    labels plus batch.kubernetes.io/job-name and controller-uid (and the
//    legacy job-name and controller-uid), owned by the Job.
//  - StatefulSet controller: Pods "<statefulset>-<ordinal>" (labels
//    controller-revision-hash, statefulset.kubernetes.io/pod-name and
//    apps.kubernetes.io/pod-index added) and a ControllerRevision
//    "<statefulset>-<hash>" of the template, both owned by the StatefulSet.
//  - DaemonSet controller: a ControllerRevision "<daemonset>-<hash>" and one
//    Pod per node ("<daemonset>-<random>"; the sandbox has one node), owned
//    by the DaemonSet.
// Every one of these writes with field manager "kube-controller-manager" and
// operation Update, so none of them was applied by a deploy tool.
#pragma once

#include <string>
#include <vector>

#include "doc/value.h"

namespace gantry::sandbox {

struct Dependent {
  std::string group, resource;  // the type that stores it ("" + "endpoints", "apps" + ...)
  // apiVersion, kind, metadata (name or generateName, namespace, labels,
  // annotations, ownerReferences) and the content fields the controller owns.
  doc::Value object;
  // Generated names: matched to existing dependents of the owner by count,
  // not by name (Pods of a ReplicaSet, EndpointSlices).
  bool generated = false;
  // Whether the controller keeps an existing one equal to this (the
  // EndpointSlice and Endpoints controllers do; Pods are never rewritten).
  bool update_existing = true;
};

// The dependents the controllers keep for `owner` (a Service, Deployment,
// ReplicaSet, Job, StatefulSet or DaemonSet; anything else has none).
// `pods` are the Pods of the owner's namespace (for a Service's endpoints).
std::vector<Dependent> dependents_of(const doc::Value& owner,
                                     const std::vector<const doc::Value*>& pods);

// True when every key of the map `selector` (a Service's spec.selector) is in
// `labels` with the same value; an empty or missing selector matches nothing.
bool selector_matches(const doc::Value& selector, const doc::Value& labels);

// The hash Kubernetes names ReplicaSets and ControllerRevisions with: FNV-32a
// of the object's JSON, in the alphabet of rand.SafeEncodeString.
std::string template_hash(const doc::Value& v);

// A Pod's IP in the sandbox's pod network (10.244.0.0/16), stable per uid.
std::string pod_ip(const std::string& uid);

}  // namespace gantry::sandbox
