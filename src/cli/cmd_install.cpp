// gantry install: prints (or server-side applies) everything the GitOps
// controller needs in a cluster. The objects are gitops::install_objects; an
// apply is gitops::sync, the routine `gantry deploy` runs. This file holds
// flags and output.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cluster_output.h"
#include "cli/command.h"
#include "cli/project_flags.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "gitops/install.h"
#include "gitops/sync.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "0.0.0"
#endif

namespace gantry::cli {

namespace {

struct InstallFlags {
  gitops::InstallOptions install;
  ClusterFlags cluster;
  std::string output = "yaml";
  bool apply = false;
};

int run_install(InstallFlags f) {
  if (f.install.image.empty())
    f.install.image = std::string("ghcr.io/gantry-dev/gantry:") + GANTRY_VERSION;
  if (!f.apply) {
    std::vector<doc::Value> objects = gitops::install_objects(f.install);
    if (f.output == "json") {
      doc::Value list = doc::Value::object(
          {{"apiVersion", "v1"}, {"kind", "List"}, {"items", doc::Value::list()}});
      for (auto& o : objects)
        (*list.find("items")).push_back(std::move(o));
      std::cout << doc::to_json_pretty(list, 2) << "\n";
    } else {
      std::cout << doc::to_yaml_stream(objects);
    }
    return 0;
  }
  render::RenderResult rendered = gitops::install_render(f.install);
  Cluster c = connect(f.cluster, rendered.target);
  const auto& access = c.client->access();
  gitops::SyncOptions so;
  so.jobs = f.cluster.jobs;
  so.on_event = progress_sink(false);
  so.on_plan = [&](const kube::Plan& plan) {
    std::cout << plan_summary_lines(plan, false);
    std::cout << plan_counts(plan, false) << " (context " << access.context << ", " << access.server
              << ")\n";
  };
  gitops::SyncReport report = gitops::sync(*c.client, *c.mapper, rendered, so);
  for (const auto& p : report.failures())
    std::cerr << "gantry: failed: " << problem_line(p) << "\n";
  if (!report.changed_anything) {
    std::cout << "nothing to do\n";
    return 0;
  }
  std::cout << "applied " << report.deploy.applied << ", unchanged " << report.deploy.unchanged
            << ", failed " << report.failures().size() << "\n";
  return report.ok() ? 0 : static_cast<int>(ExitCode::kPartial);
}

}  // namespace

void add_install_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<InstallFlags>();
  CLI::App* cmd = app.add_subcommand(
      "install", "Print (or apply) the GitOps controller's objects: CRDs, RBAC, Deployment, ...");
  auto& o = f->install;
  cmd->add_option("-n,--namespace", o.ns, "Namespace of the controller (default gantry-system)");
  cmd->add_option(
      "--image", o.image,
      std::string("Controller image (default ghcr.io/gantry-dev/gantry:") + GANTRY_VERSION + ")");
  cmd->add_option("--replicas", o.replicas, "Controller replicas, one leads (default 2)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--watch-namespace", o.watch_namespaces,
                  "Reconcile only resources in this namespace, with Roles instead of "
                  "ClusterRoles (repeatable; default: all namespaces)");
  cmd->add_option("--webhook-secret", o.webhook_secret,
                  "NAMESPACE/NAME of a Secret whose key token authenticates /hooks/git");
  cmd->add_option("--deploy-api-group", o.deploy_api_groups,
                  "Also let the controller deploy the custom resources of this API group "
                  "(repeatable)");
  cmd->add_flag(
      "--deploy-cluster-admin", o.deploy_cluster_admin,
      "Bind cluster-admin for deploys instead of the gantry-deployer role (as Flux does)");
  cmd->add_flag("--kluctl-crd", o.kluctl_crd,
                "Also install a KluctlDeployment CRD (for clusters without kluctl's)");
  cmd->add_flag("--flux-crds", o.flux_crds,
                "Also install CRDs of Flux's ImageRepository, ImagePolicy, ImageUpdateAutomation "
                "and GitRepository (for image automation in clusters without Flux)");
  cmd->add_flag("--dashboard", o.dashboard,
                "Also serve the web dashboard on port 8081; its actions need the user's own "
                "Kubernetes token and RBAC (TokenReview, SubjectAccessReview)");
  cmd->add_option("-o,--output", f->output, "Output format: yaml (default) or json")
      ->check(CLI::IsMember({"yaml", "json"}));
  cmd->add_flag("--apply", f->apply,
                "Server-side apply the objects (field manager gantry) instead of printing them");
  cmd->add_option("--kubeconfig", f->cluster.kubeconfig,
                  "With --apply: kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)");
  cmd->add_option("--context", f->cluster.context,
                  "With --apply: kubeconfig context (default: current-context)");
  cmd->callback([f, &action] { action = [f] { return run_install(*f); }; });
}

}  // namespace gantry::cli
