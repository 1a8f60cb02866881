// gantry uninstall: removes what `gantry install` created (gitops::uninstall),
// keeping the deployed workloads unless --delete-workloads. Flags and output.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cluster_output.h"
#include "cli/command.h"
#include "cli/project_flags.h"
#include "core/duration.h"
#include "gitops/install.h"

namespace gantry::cli {

namespace {

struct UninstallFlags {
  ClusterFlags cluster;
  std::string ns = std::string(gitops::kInstallNamespace);
  bool delete_workloads = false;
  bool crds = false;
  bool yes = false;
  std::string timeout = "5m";
};

int run_uninstall(const UninstallFlags& f) {
  Cluster c = connect(f.cluster, project::ResolvedTarget{});
  const auto& access = c.client->access();
  std::string what = "Uninstall the gantry controller from namespace " + f.ns;
  if (f.delete_workloads) what += ", deleting every GantryDeployment and its workloads";
  if (f.crds) what += ", and the CRDs";
  if (!f.yes && !confirm(what + " (context \"" + access.context + "\", " + access.server + ")?",
                         "give --yes to uninstall without asking"))
    throw Error("uninstall cancelled", ExitCode::kRefused);
  gitops::UninstallOptions o;
  o.ns = f.ns;
  o.delete_workloads = f.delete_workloads;
  o.crds = f.crds;
  o.timeout = parse_duration(f.timeout);
  o.jobs = f.cluster.jobs;
  o.on_event = progress_sink(false);
  gitops::UninstallReport r = gitops::uninstall(*c.client, *c.mapper, o);
  for (const auto& k : r.kept)
    std::cout << "= kept " << k << "\n";
  for (const auto& p : r.removed.failures)
    std::cerr << "gantry: failed: " << problem_line(p) << "\n";
  for (const auto& d : r.remaining)
    std::cerr << "gantry: still there after " << f.timeout << ": " << d
              << " (the controller was left running)\n";
  std::cout << "deleted " << r.removed.deleted << " objects";
  if (f.delete_workloads) std::cout << " and " << r.deployments_deleted << " deployments";
  std::cout << ", removed " << r.finalizers_removed << " finalizers, failed "
            << r.removed.failures.size() + r.remaining.size() << "\n";
  return r.ok() ? 0 : static_cast<int>(ExitCode::kPartial);
}

}  // namespace

void add_uninstall_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<UninstallFlags>();
  CLI::App* cmd = app.add_subcommand(
      "uninstall", "Remove the GitOps controller that gantry install created (workloads stay)");
  cmd->add_option("-n,--namespace", f->ns, "Namespace of the controller (default gantry-system)");
  cmd->add_flag("--delete-workloads", f->delete_workloads,
                "First delete every GantryDeployment and KluctlDeployment and what they deployed");
  cmd->add_flag("--crds", f->crds,
                "Also delete the CRDs (and so every remaining GantryDeployment)");
  cmd->add_flag("-y,--yes", f->yes, "Do not ask for confirmation");
  cmd->add_option("--timeout", f->timeout,
                  "Longest wait for deployments and the controller's Pods to go (default 5m)");
  cmd->add_option("--kubeconfig", f->cluster.kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)");
  cmd->add_option("--context", f->cluster.context, "kubeconfig context (default: current-context)");
  cmd->add_option("-j,--jobs", f->cluster.jobs, "Requests in flight at once (default 16)")
      ->check(CLI::Range(1, 256));
  cmd->callback([f, &action] { action = [f] { return run_uninstall(*f); }; });
}

}  // namespace gantry::cli
