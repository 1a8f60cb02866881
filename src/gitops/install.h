// Installing the GitOps controller into a cluster: the objects `gantry
// install` prints or applies, and the steps `gantry uninstall` takes.
//
// The objects, in apply order: the Namespace, the CRDs, the ServiceAccount,
// the controller's own RBAC (a ClusterRole, or a Role per watched namespace),
// the deploy RBAC ("gantry-deployer": what applying projects needs, or
// cluster-admin), a Role for the leader-election Lease, the Deployment, the
// Service (port 8080 "http": /metrics, /healthz, /readyz, /hooks/git) and a
// PodDisruptionBudget when there is more than one replica; with the dashboard
// also its ClusterRole and binding and port 8081 "dashboard". Every object
// carries the label gantry.dev/discriminator=gantry-install-<namespace>, so
// the install is a target like any other: applied with gitops::sync, found
// again for uninstall with kube::list_target_objects.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "doc/value.h"
#include "kube/client.h"
#include "kube/deploy.h"
#include "kube/discovery.h"
#include "render/render.h"

namespace gantry::gitops {

inline constexpr std::string_view kInstallNamespace = "gantry-system";
// Where the controller's emptyDir is mounted (GANTRY_CACHE_DIR and HOME).
inline constexpr std::string_view kInstallCacheDir = "/var/cache/gantry";
inline constexpr int kInstallUser = 65532;  // the "nonroot" user of distroless images
inline constexpr int kInstallPort = 8080;
inline constexpr int kInstallDashboardPort = 8081;

struct InstallOptions {
  std::string ns = std::string(kInstallNamespace);
  std::string image;  // required (the CLI defaults it to ghcr.io/gantry-dev/gantry:<version>)
  int replicas = 2;
  // Empty: the controller watches every namespace (ClusterRoles). Otherwise
  // it watches only these, and its RBAC is Roles in each of them.
  std::vector<std::string> watch_namespaces;
  std::string webhook_secret;                  // "NAMESPACE/NAME", passed to the controller
  std::vector<std::string> deploy_api_groups;  // custom-resource groups projects deploy
  bool deploy_cluster_admin = false;           // bind cluster-admin instead of gantry-deployer
  bool kluctl_crd = false;                     // also install a KluctlDeployment CRD
  bool flux_crds = false;  // also install Flux's image and GitRepository CRDs (image automation)
  // Also serve the web dashboard on port 8081 ("dashboard"), its actions
  // open to users whose own RBAC allows them (TokenReview and
  // SubjectAccessReview: a ClusterRole "gantry-dashboard-<ns>" lets the
  // controller's account create both reviews).
  bool dashboard = false;
};

// The install's discriminator: "gantry-install-<namespace>".
std::string install_discriminator(const std::string& ns);

// The controller container's command line (argv, starting with "gantry").
std::vector<std::string> controller_command(const InstallOptions& options);

// The controller's own rules (PolicyRules): its resources, Secrets get,
// Events, impersonation, CRDs read and discovery. `cluster_wide` false
// leaves out what a Role cannot hold (CRDs, non-resource URLs).
doc::Value controller_rules(bool cluster_wide);
// The rules for applying projects: the built-in kinds projects deploy plus
// every group of `api_groups` (all its resources). `cluster_wide` false
// leaves out cluster-scoped kinds.
doc::Value deployer_rules(const std::vector<std::string>& api_groups, bool cluster_wide);
// Create on tokenreviews and subjectaccessreviews: what the dashboard needs
// to check users' tokens and their RBAC (Kubernetes' system:auth-delegator).
doc::Value dashboard_rules();
// Get, create and update on coordination.k8s.io Leases (leader election).
doc::Value leader_election_rules();

// Every object, in apply order. Throws Error(kUsage) for invalid options
// (no image, replicas < 1, a namespace that is not a DNS label, a webhook
// secret not in NAMESPACE/NAME form).
std::vector<doc::Value> install_objects(const InstallOptions& options);

// The objects as a render result (one item), for gitops::sync: the install
// is applied the way `gantry deploy` applies a target.
render::RenderResult install_render(const InstallOptions& options);

struct UninstallOptions {
  std::string ns = std::string(kInstallNamespace);
  // Delete every GantryDeployment and KluctlDeployment first, while the
  // controller runs, and wait for them to go (their finalizers delete the
  // targets). Without it, the delete-target finalizer is removed from each
  // and the deployed workloads stay.
  bool delete_workloads = false;
  bool crds = false;  // also delete the CRDs (and so every remaining resource)
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  size_t jobs = 16;
  kube::EventSink on_event;
};

struct UninstallReport {
  size_t deployments_deleted = 0;      // GantryDeployments/KluctlDeployments deleted
  size_t finalizers_removed = 0;       // resources whose delete-target finalizer was removed
  kube::DeleteReport removed;          // the install's objects
  std::vector<std::string> kept;       // what was left on purpose, and why
  std::vector<std::string> remaining;  // deployments still there after the timeout
  bool ok() const { return removed.failures.empty() && remaining.empty(); }
};

// Removes what install created (the objects labelled with the install's
// discriminator and applied by gantry or kubectl), in this order:
//   with delete_workloads: delete every deployment resource, wait until gone;
//   delete the controller's Deployment and wait until its Pods are gone;
//   remove the delete-target finalizer from every remaining resource;
//   delete the rest (the CRDs only with `crds`; the Namespace only when no
//   deployment resource lives in it any more).
// Failures to reach the cluster throw Error.
UninstallReport uninstall(const kube::Client& client, kube::RestMapper& mapper,
                          const UninstallOptions& options);

}  // namespace gantry::gitops
