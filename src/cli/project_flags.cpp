#include "cli/project_flags.h"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/error.h"

namespace gantry::cli {

render::RenderRequest ProjectFlags::request() const {
  render::RenderRequest req;
  req.project_dir = project;
  req.target = target;
  for (const auto& a : args)
    req.args.push_back(project::parse_cli_arg(a));
  req.selection.include_tags = include_tags;
  req.selection.exclude_tags = exclude_tags;
  req.selection.include_dirs = include_dirs;
  req.selection.exclude_dirs = exclude_dirs;
  req.helm_binary = helm_binary;
  req.git = git.options();
  req.pull = pull;
  req.charts = helm.options();
  req.chart_cache_dir = kube::default_cache_dir() / "helm-charts";
  return req;
}

void add_project_flags(CLI::App* cmd, ProjectFlags& f, const std::string& verb,
                       bool writes_git_lock) {
  cmd->add_option("-t,--target", f.target, "Target from .gantry.yaml / .kluctl.yaml");
  cmd->add_option("-a,--arg", f.args, "Set a target argument: name=value (repeatable)");
  cmd->add_option("--project", f.project, "Project directory (default: .)");
  cmd->add_option("--include-tag", f.include_tags, verb + " only items with this tag");
  cmd->add_option("--exclude-tag", f.exclude_tags, "Leave out items with this tag");
  cmd->add_option("--include-deployment-dir", f.include_dirs,
                  verb + " only items in this directory (relative to the project)");
  cmd->add_option("--exclude-deployment-dir", f.exclude_dirs,
                  "Leave out items in this directory (relative to the project)");
  cmd->add_option("--helm-binary", f.helm_binary,
                  "helm (3.x or 4.x) used for Helm chart items: a path, or a name looked up in "
                  "PATH (default: helm)");
  cmd->add_flag("--pull", f.pull,
                "Pull Helm charts missing from .helm-charts (without helm) instead of refusing "
                "the item");
  add_helm_flags(cmd, f.helm);
  add_git_source_flags(cmd, f.git,
                       writes_git_lock
                           ? "Lock file of git: items' commits: items listed in it are fetched at "
                             "their locked commit; written afterwards with every item's commit"
                           : "Lock file of git: items' commits (from render --git-lock): items "
                             "listed in it are fetched at their locked commit");
}

void add_cluster_flags(CLI::App* cmd, ClusterFlags& f) {
  cmd->add_option("--kubeconfig", f.kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)");
  cmd->add_option("--context", f.context,
                  "kubeconfig context (default: the target's context, else current-context)");
  cmd->add_option("-j,--jobs", f.jobs, "Requests in flight at once (default 16)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("-o,--output", f.output, "Output format: json")->check(CLI::IsMember({"json"}));
}

void add_ownership_flags(CLI::App* cmd, ClusterFlags& f) {
  cmd->add_option("--adopt-manager", f.adopt_managers,
                  "Also treat labelled objects applied by this field manager as gantry's to prune "
                  "and delete (repeatable; e.g. kluctl when taking over a kluctl project)");
}

kube::OwnershipRule ClusterFlags::ownership() const {
  kube::OwnershipRule rule;
  rule.managers.insert(rule.managers.end(), adopt_managers.begin(), adopt_managers.end());
  return rule;
}

Cluster connect(const ClusterFlags& f, const project::ResolvedTarget& target,
                kube::ClientSettings settings) {
  kube::KubeconfigSelection sel{f.kubeconfig, f.context};
  std::string context;
  if (!target.context.empty()) {
    if (!f.context.empty() && f.context != target.context)
      throw Error("target \"" + target.name + "\" is pinned to context \"" + target.context +
                      "\"; refusing to use context \"" + f.context + "\"",
                  ExitCode::kRefused);
    context = target.context;
  } else {
    context = kube::selected_context(sel);
  }
  kube::ClusterAccess access = kube::load_cluster_access(sel, context);
  Cluster c;
  c.client = std::make_unique<kube::Client>(std::move(access), std::move(settings));
  c.mapper = std::make_unique<kube::RestMapper>(*c.client, kube::default_cache_dir());
  return c;
}

bool confirm(const std::string& question, const std::string& hint) {
  if (!::isatty(STDIN_FILENO))
    throw Error(question + " — stdin is not a terminal, so gantry cannot ask; " + hint,
                ExitCode::kRefused);
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes";
}

}  // namespace gantry::cli
