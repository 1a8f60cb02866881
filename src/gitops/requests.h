// What people ask of the controller, through the Kubernetes API only (so the
// CLI, the dashboard and kubectl users make the same requests): list the
// deployments, ask for a reconcile now, suspend and resume; and the
// controller's (and uninstall's) edit of its finalizer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "doc/value.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace gantry::gitops {

// "NAME" is a GantryDeployment; "kluctldeployment/NAME" (or "kd/NAME") a
// KluctlDeployment; "gantrydeployment/NAME" (or "gd/NAME") is explicit.
// Throws Error(kUsage) for another kind.
kube::ResourceType deployment_type_for(const std::string& name_arg, std::string* name);

struct DeploymentRow {
  std::string kind, ns, name, target, ready, reason, message, revision, last_result, age;
  bool suspended = false;
  doc::Value object;  // the whole resource
};

// Every GantryDeployment (and KluctlDeployment, when served) in `ns` ("" all).
std::vector<DeploymentRow> list_deployments(const kube::Client& client, kube::RestMapper& mapper,
                                            const std::string& ns);

// Sets the manual-request annotation to a new value and returns it; `by`
// (who asks: "gantry reconcile (alice@laptop)", "dashboard", "webhook: ...")
// goes into kRequestedByAnnotation with it, for the deploy history. Throws
// Error(kNotFound) when the resource does not exist.
std::string request_reconcile(const kube::Client& client, const kube::ResourceType& type,
                              const std::string& ns, const std::string& name,
                              const std::string& by = "");

// Waits until status.lastHandledReconcileAt equals `token` (the controller
// answered) and returns the resource; nullopt on timeout.
std::optional<doc::Value> wait_handled(const kube::Client& client, const kube::ResourceType& type,
                                       const std::string& ns, const std::string& name,
                                       const std::string& token, std::chrono::milliseconds timeout);

// spec.suspend = `suspend`.
void set_suspended(const kube::Client& client, const kube::ResourceType& type,
                   const std::string& ns, const std::string& name, bool suspend);

// Adds or removes the delete-target finalizer (kFinalizer) of one resource,
// keeping other finalizers (a merge patch guarded by the resourceVersion it
// read). A resource that does not exist is left alone; other failures throw
// Error (kExternal).
void set_delete_finalizer(const kube::Client& client, const kube::ResourceType& type,
                          const std::string& ns, const std::string& name, bool present);

}  // namespace gantry::gitops
