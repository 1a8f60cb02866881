// Conversion between the versions of a built-in resource that is served in
// more than one version and stored in one: HorizontalPodAutoscalers, served
// as autoscaling/v2 (stored) and autoscaling/v1, converted as kube-apiserver
// converts them (pkg/apis/autoscaling/v1 conversion and defaults). What v1
// cannot express (metrics other than a CPU utilization, metric statuses,
// conditions, behavior) travels in the autoscaling.alpha.kubernetes.io/*
// annotations of the v1 form, so a v1 client writing an object back loses
// nothing.
#pragma once

#include "doc/value.h"
#include "sandbox/resources.h"

namespace gantry::sandbox {

// Whether objects of `t` are stored in another version than t.version.
bool converts(const ResourceType& t);

// A stored object as `t`'s version shows it (unchanged when !converts(t)).
doc::Value to_served_version(const ResourceType& t, doc::Value stored);

// An object in `t`'s version as it is stored (unchanged when !converts(t)).
doc::Value to_storage_version(const ResourceType& t, doc::Value obj);

// The defaults kube-apiserver sets on a HorizontalPodAutoscaler of
// `version` (v1: minReplicas; v2: minReplicas, the 80% CPU metric when none
// is given, and the unset parts of a given behavior).
void default_hpa(const std::string& version, doc::Value& obj);

}  // namespace gantry::sandbox
