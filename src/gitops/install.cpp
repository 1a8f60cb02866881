#include "gitops/install.h"

#include <set>

#include "core/error.h"
#include "doc/yaml.h"
#include "gitops/requests.h"
#include "gitops/resource.h"
#include "kube/objects.h"
#include "kube/ownership.h"
#include "kube/plan.h"

namespace gantry::gitops {

using doc::Value;

namespace {

constexpr std::string_view kName = "gantry-controller";
constexpr std::string_view kDeployerName = "gantry-deployer";
constexpr std::string_view kLeaderName = "gantry-leader-election";
constexpr std::string_view kDashboardName = "gantry-dashboard";

Value strings(std::initializer_list<std::string_view> items) {
  Value out = Value::list();
  for (auto s : items)
    out.push_back(s);
  return out;
}

Value strings(const std::vector<std::string>& items) {
  Value out = Value::list();
  for (const auto& s : items)
    out.push_back(s);
  return out;
}

Value list_of(std::initializer_list<Value> items) {
  Value out = Value::list();
  for (const auto& v : items)
    out.push_back(v);
  return out;
}

Value rule(std::initializer_list<std::string_view> groups,
           std::initializer_list<std::string_view> resources,
           std::initializer_list<std::string_view> verbs) {
  return Value::object({{"apiGroups", strings(groups)},
                        {"resources", strings(resources)},
                        {"verbs", strings(verbs)}});
}

const std::initializer_list<std::string_view> kReconcileVerbs = {"get", "list", "watch", "update",
                                                                 "patch"};
const std::initializer_list<std::string_view> kAllVerbs = {"get",    "list",  "watch", "create",
                                                           "update", "patch", "delete"};
const std::initializer_list<std::string_view> kReadVerbs = {"get", "list", "watch"};

bool dns_label(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// Cluster-scoped names carry the namespace unless it is the default one, so
// that two installs (say, one per tenant) do not overwrite each other.
std::string cluster_name(std::string_view base, const std::string& ns) {
  return ns == kInstallNamespace ? std::string(base) : std::string(base) + "-" + ns;
}

Value labels(const InstallOptions& o) {
  return Value::object({{"app.kubernetes.io/name", "gantry"},
                        {"app.kubernetes.io/component", "controller"},
                        {"app.kubernetes.io/managed-by", "gantry"},
                        {render::kDiscriminatorLabel, install_discriminator(o.ns)}});
}

Value pod_labels() {
  return Value::object({{"app.kubernetes.io/name", std::string(kName)}});
}

Value metadata(const InstallOptions& o, const std::string& name, const std::string& ns = "") {
  Value m = Value::object({{"name", name}});
  if (!ns.empty()) m.set("namespace", ns);
  m.set("labels", labels(o));
  return m;
}

Value object(std::string_view api_version, std::string_view kind, Value meta) {
  return Value::object(
      {{"apiVersion", api_version}, {"kind", kind}, {"metadata", std::move(meta)}});
}

Value service_account_subject(const InstallOptions& o) {
  return list_of({Value::object(
      {{"kind", "ServiceAccount"}, {"name", std::string(kName)}, {"namespace", o.ns}})});
}

Value role(const InstallOptions& o, std::string_view kind, const std::string& name,
           const std::string& ns, Value rules) {
  Value r = object("rbac.authorization.k8s.io/v1", kind, metadata(o, name, ns));
  r.set("rules", std::move(rules));
  return r;
}

Value binding(const InstallOptions& o, std::string_view kind, const std::string& name,
              const std::string& ns, std::string_view role_kind, const std::string& role_name) {
  Value b = object("rbac.authorization.k8s.io/v1", kind, metadata(o, name, ns));
  b.set("roleRef",
        Value::object(
            {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", role_kind}, {"name", role_name}}));
  b.set("subjects", service_account_subject(o));
  return b;
}

Value probe(std::string_view path, int period, int failures) {
  return Value::object({{"httpGet", Value::object({{"path", path}, {"port", "http"}})},
                        {"initialDelaySeconds", 5},
                        {"periodSeconds", period},
                        {"timeoutSeconds", 5},
                        {"failureThreshold", failures}});
}

Value deployment(const InstallOptions& o) {
  std::string cache(kInstallCacheDir);
  Value ports = list_of(
      {Value::object({{"name", "http"}, {"containerPort", kInstallPort}, {"protocol", "TCP"}})});
  if (o.dashboard)
    ports.push_back(Value::object(
        {{"name", "dashboard"}, {"containerPort", kInstallDashboardPort}, {"protocol", "TCP"}}));
  Value container = Value::object(
      {{"name", "controller"},
       {"image", o.image},
       {"imagePullPolicy", "IfNotPresent"},
       {"command", strings(controller_command(o))},
       {"env", list_of({Value::object({{"name", "GANTRY_CACHE_DIR"}, {"value", cache}}),
                        Value::object({{"name", "HOME"}, {"value", cache}}),
                        Value::object({{"name", "TMPDIR"}, {"value", cache}})})},
       {"ports", ports},
       {"livenessProbe", probe("/healthz", 10, 3)},
       {"readinessProbe", probe("/readyz", 5, 3)},
       {"resources",
        Value::object({{"requests", Value::object({{"cpu", "50m"}, {"memory", "128Mi"}})},
                       {"limits", Value::object({{"cpu", "1"}, {"memory", "1Gi"}})}})},
       {"securityContext",
        Value::object({{"allowPrivilegeEscalation", false},
                       {"readOnlyRootFilesystem", true},
                       {"runAsNonRoot", true},
                       {"runAsUser", kInstallUser},
                       {"runAsGroup", kInstallUser},
                       {"capabilities", Value::object({{"drop", strings({"ALL"})}})},
                       {"seccompProfile", Value::object({{"type", "RuntimeDefault"}})}})},
       {"volumeMounts", list_of({Value::object({{"name", "cache"}, {"mountPath", cache}})})}});
  Value anti_affinity = Value::object(
      {{"preferredDuringSchedulingIgnoredDuringExecution",
        list_of({Value::object(
            {{"weight", 100},
             {"podAffinityTerm",
              Value::object({{"labelSelector", Value::object({{"matchLabels", pod_labels()}})},
                             {"topologyKey", "kubernetes.io/hostname"}})}})})}});
  Value pod_spec = Value::object(
      {{"serviceAccountName", std::string(kName)},
       {"securityContext",
        Value::object({{"runAsNonRoot", true},
                       {"runAsUser", kInstallUser},
                       {"runAsGroup", kInstallUser},
                       {"fsGroup", kInstallUser},
                       {"seccompProfile", Value::object({{"type", "RuntimeDefault"}})}})},
       {"affinity", Value::object({{"podAntiAffinity", anti_affinity}})},
       {"terminationGracePeriodSeconds", 30},
       {"containers", list_of({container})},
       {"volumes",
        list_of({Value::object(
            {{"name", "cache"}, {"emptyDir", Value::object({{"sizeLimit", "2Gi"}})}})})}});
  Value d = object("apps/v1", "Deployment", metadata(o, std::string(kName), o.ns));
  d.set("spec",
        Value::object(
            {{"replicas", o.replicas},
             {"selector", Value::object({{"matchLabels", pod_labels()}})},
             {"template", Value::object({{"metadata", Value::object({{"labels", pod_labels()}})},
                                         {"spec", std::move(pod_spec)}})}}));
  return d;
}

void validate(const InstallOptions& o) {
  if (!dns_label(o.ns))
    throw Error("--namespace: \"" + o.ns + "\" is not a namespace name", ExitCode::kUsage);
  for (const auto& w : o.watch_namespaces)
    if (!dns_label(w))
      throw Error("--watch-namespace: \"" + w + "\" is not a namespace name", ExitCode::kUsage);
  if (o.image.empty()) throw Error("--image: no image given", ExitCode::kUsage);
  if (o.replicas < 1) throw Error("--replicas: must be at least 1", ExitCode::kUsage);
  if (!o.webhook_secret.empty()) {
    auto slash = o.webhook_secret.find('/');
    if (slash == std::string::npos || !dns_label(o.webhook_secret.substr(0, slash)) ||
        o.webhook_secret.size() == slash + 1)
      throw Error("--webhook-secret: \"" + o.webhook_secret + "\" is not NAMESPACE/NAME",
                  ExitCode::kUsage);
  }
  for (const auto& g : o.deploy_api_groups)
    if (g.empty() || g == "*" || g.find('/') != std::string::npos)
      throw Error("--deploy-api-group: \"" + g + "\" is not an API group name", ExitCode::kUsage);
}

}  // namespace

std::string install_discriminator(const std::string& ns) {
  return "gantry-install-" + ns;
}

std::vector<std::string> controller_command(const InstallOptions& o) {
  std::vector<std::string> cmd{"gantry",
                               "controller",
                               "--leader-elect",
                               "--leader-election-namespace",
                               o.ns,
                               "--listen",
                               ":" + std::to_string(kInstallPort),
                               "--log-format",
                               "json",
                               "--cache-dir",
                               std::string(kInstallCacheDir)};
  for (const auto& w : o.watch_namespaces) {
    cmd.push_back("--watch-namespace");
    cmd.push_back(w);
  }
  if (!o.webhook_secret.empty()) {
    cmd.push_back("--webhook-secret");
    cmd.push_back(o.webhook_secret);
  }
  if (o.dashboard)
    cmd.insert(cmd.end(),
               {"--dashboard", "--dashboard-listen", ":" + std::to_string(kInstallDashboardPort),
                "--dashboard-token-review"});
  return cmd;
}

Value controller_rules(bool cluster_wide) {
  Value rules = Value::list();
  rules.push_back(rule(
      {kGroup}, {"gantrydeployments", "gantrydeployments/status", "gantrydeployments/finalizers"},
      kReconcileVerbs));
  rules.push_back(
      rule({kKluctlGroup},
           {"kluctldeployments", "kluctldeployments/status", "kluctldeployments/finalizers"},
           kReconcileVerbs));
  // Image automation: gantry's resource, Flux's image objects (status.latestRef
  // of ImagePolicy is written) and the Git sources they name.
  rules.push_back(
      rule({kGroup}, {"gantryimageupdates", "gantryimageupdates/status"}, kReconcileVerbs));
  rules.push_back(
      rule({"image.toolkit.fluxcd.io"},
           {"imagerepositories", "imagepolicies", "imageupdateautomations",
            "imagerepositories/status", "imagepolicies/status", "imageupdateautomations/status"},
           kReconcileVerbs));
  rules.push_back(rule({"source.toolkit.fluxcd.io"}, {"gitrepositories"}, kReadVerbs));
  // Git credentials and kubeconfigs, read by name from the resource's spec.
  rules.push_back(rule({""}, {"secrets"}, {"get"}));
  rules.push_back(rule({"", "events.k8s.io"}, {"events"}, {"create", "patch"}));
  // spec.serviceAccountName: deploys run as that account.
  rules.push_back(rule({""}, {"serviceaccounts"}, {"impersonate"}));
  if (cluster_wide) {
    rules.push_back(rule({"apiextensions.k8s.io"}, {"customresourcedefinitions"}, kReadVerbs));
    rules.push_back(
        Value::object({{"nonResourceURLs",
                        strings({"/api", "/api/*", "/apis", "/apis/*", "/openapi/*", "/version"})},
                       {"verbs", strings({"get"})}}));
  }
  return rules;
}

Value deployer_rules(const std::vector<std::string>& api_groups, bool cluster_wide) {
  Value rules = Value::list();
  rules.push_back(rule(
      {""},
      {"configmaps", "endpoints", "limitranges", "persistentvolumeclaims", "pods", "podtemplates",
       "replicationcontrollers", "resourcequotas", "secrets", "serviceaccounts", "services"},
      kAllVerbs));
  rules.push_back(rule(
      {"apps"}, {"controllerrevisions", "daemonsets", "deployments", "replicasets", "statefulsets"},
      kAllVerbs));
  rules.push_back(rule({"batch"}, {"cronjobs", "jobs"}, kAllVerbs));
  rules.push_back(rule({"networking.k8s.io"}, {"ingresses", "networkpolicies"}, kAllVerbs));
  rules.push_back(rule({"policy"}, {"poddisruptionbudgets"}, kAllVerbs));
  rules.push_back(rule({"autoscaling"}, {"horizontalpodautoscalers"}, kAllVerbs));
  rules.push_back(rule({"discovery.k8s.io"}, {"endpointslices"}, kAllVerbs));
  rules.push_back(rule({"rbac.authorization.k8s.io"}, {"roles", "rolebindings"}, kAllVerbs));
  // Granting what a project's Roles grant needs bind/escalate (or holding it all).
  rules.push_back(rule({"rbac.authorization.k8s.io"}, {"roles"}, {"bind", "escalate"}));
  // Pruning lists every type; Leases are read, never written by projects.
  rules.push_back(rule({"coordination.k8s.io"}, {"leases"}, kReadVerbs));
  if (cluster_wide) {
    rules.push_back(rule({""}, {"namespaces", "persistentvolumes"}, kAllVerbs));
    rules.push_back(rule({"networking.k8s.io"}, {"ingressclasses"}, kAllVerbs));
    rules.push_back(
        rule({"rbac.authorization.k8s.io"}, {"clusterroles", "clusterrolebindings"}, kAllVerbs));
    rules.push_back(rule({"rbac.authorization.k8s.io"}, {"clusterroles"}, {"bind", "escalate"}));
    rules.push_back(rule({"apiextensions.k8s.io"}, {"customresourcedefinitions"}, kAllVerbs));
    rules.push_back(rule({"admissionregistration.k8s.io"},
                         {"mutatingwebhookconfigurations", "validatingwebhookconfigurations",
                          "validatingadmissionpolicies", "validatingadmissionpolicybindings"},
                         kAllVerbs));
    rules.push_back(rule({"scheduling.k8s.io"}, {"priorityclasses"}, kAllVerbs));
    rules.push_back(rule({"storage.k8s.io"}, {"storageclasses"}, kAllVerbs));
  }
  // Custom resources: the operator names the group; its resources are not
  // known before the CRDs exist, so they are all of that group's.
  std::set<std::string> seen;
  for (const auto& g : api_groups)
    if (seen.insert(g).second)
      rules.push_back(Value::object({{"apiGroups", strings({g})},
                                     {"resources", strings({"*"})},
                                     {"verbs", strings(kAllVerbs)}}));
  return rules;
}

Value dashboard_rules() {
  Value rules = Value::list();
  rules.push_back(rule({"authentication.k8s.io"}, {"tokenreviews"}, {"create"}));
  rules.push_back(rule({"authorization.k8s.io"}, {"subjectaccessreviews"}, {"create"}));
  return rules;
}

Value leader_election_rules() {
  return list_of({rule({"coordination.k8s.io"}, {"leases"}, {"get", "create", "update"})});
}

std::vector<Value> install_objects(const InstallOptions& o) {
  validate(o);
  std::vector<Value> out;
  out.push_back(object("v1", "Namespace", metadata(o, o.ns)));
  for (Value crd : doc::parse_yaml_stream(crds_yaml(o.kluctl_crd, o.flux_crds), "<crds>")) {
    (*crd.find("metadata")).set("labels", labels(o));
    out.push_back(std::move(crd));
  }
  out.push_back(object("v1", "ServiceAccount", metadata(o, std::string(kName), o.ns)));

  bool cluster_wide = o.watch_namespaces.empty();
  if (cluster_wide) {
    std::string controller = cluster_name(kName, o.ns);
    out.push_back(role(o, "ClusterRole", controller, "", controller_rules(true)));
    out.push_back(binding(o, "ClusterRoleBinding", controller, "", "ClusterRole", controller));
    std::string deployer = cluster_name(kDeployerName, o.ns);
    if (o.deploy_cluster_admin) {
      out.push_back(binding(o, "ClusterRoleBinding", deployer, "", "ClusterRole", "cluster-admin"));
    } else {
      out.push_back(
          role(o, "ClusterRole", deployer, "", deployer_rules(o.deploy_api_groups, true)));
      out.push_back(binding(o, "ClusterRoleBinding", deployer, "", "ClusterRole", deployer));
    }
  } else {
    std::set<std::string> seen;
    for (const auto& ns : o.watch_namespaces) {
      if (!seen.insert(ns).second) continue;
      out.push_back(role(o, "Role", std::string(kName), ns, controller_rules(false)));
      out.push_back(binding(o, "RoleBinding", std::string(kName), ns, "Role", std::string(kName)));
      if (o.deploy_cluster_admin) {
        // cluster-admin bound in a namespace: everything there, nothing outside.
        out.push_back(binding(o, "RoleBinding", std::string(kDeployerName), ns, "ClusterRole",
                              "cluster-admin"));
      } else {
        out.push_back(role(o, "Role", std::string(kDeployerName), ns,
                           deployer_rules(o.deploy_api_groups, false)));
        out.push_back(binding(o, "RoleBinding", std::string(kDeployerName), ns, "Role",
                              std::string(kDeployerName)));
      }
    }
  }
  if (o.dashboard) {
    // Reviews are cluster-scoped: a ClusterRole even with --watch-namespace.
    std::string board = cluster_name(kDashboardName, o.ns);
    out.push_back(role(o, "ClusterRole", board, "", dashboard_rules()));
    out.push_back(binding(o, "ClusterRoleBinding", board, "", "ClusterRole", board));
  }
  out.push_back(role(o, "Role", std::string(kLeaderName), o.ns, leader_election_rules()));
  out.push_back(
      binding(o, "RoleBinding", std::string(kLeaderName), o.ns, "Role", std::string(kLeaderName)));

  out.push_back(deployment(o));
  Value svc = object("v1", "Service", metadata(o, std::string(kName), o.ns));
  Value svc_ports = list_of({Value::object(
      {{"name", "http"}, {"port", kInstallPort}, {"targetPort", "http"}, {"protocol", "TCP"}})});
  if (o.dashboard)
    svc_ports.push_back(Value::object({{"name", "dashboard"},
                                       {"port", kInstallDashboardPort},
                                       {"targetPort", "dashboard"},
                                       {"protocol", "TCP"}}));
  svc.set("spec",
          Value::object({{"type", "ClusterIP"}, {"selector", pod_labels()}, {"ports", svc_ports}}));
  out.push_back(std::move(svc));
  if (o.replicas > 1) {
    Value pdb = object("policy/v1", "PodDisruptionBudget", metadata(o, std::string(kName), o.ns));
    pdb.set("spec", Value::object({{"minAvailable", 1},
                                   {"selector", Value::object({{"matchLabels", pod_labels()}})}}));
    out.push_back(std::move(pdb));
  }
  return out;
}

render::RenderResult install_render(const InstallOptions& o) {
  render::RenderResult r;
  r.target.name = "install";
  r.target.discriminator = install_discriminator(o.ns);
  render::RenderedItem item;
  item.item.rel_dir = "install";
  for (Value& v : install_objects(o))
    item.objects.push_back(render::Object{std::move(v), Location{"<gantry install>", 0, 0}});
  r.items.push_back(std::move(item));
  return r;
}

}  // namespace gantry::gitops
