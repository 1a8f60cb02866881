// Flags shared by the commands that render a project (render, diff, deploy,
// prune, delete) and by those that talk to a cluster.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/git_flags.h"
#include "cli/helm_flags.h"
#include "kube/client.h"
#include "kube/discovery.h"
#include "kube/ownership.h"
#include "render/render.h"

namespace CLI {
class App;
}

namespace gantry::cli {

struct ProjectFlags {
  std::string project = ".";
  std::string target;
  std::vector<std::string> args;
  std::vector<std::string> include_tags, exclude_tags, include_dirs, exclude_dirs;
  std::string helm_binary = "helm";
  bool pull = false;  // --pull: pull charts missing from .helm-charts
  HelmFlags helm;
  GitSourceFlags git;

  render::RenderRequest request() const;
};

// -t/--target, -a/--arg, --project, the four selection flags, --helm-binary,
// --pull with the chart access flags (helm_flags.h) and the Git source flags (git_flags.h);
// --git-lock only reads pins here (render adds the flag that writes the lock itself).
void add_project_flags(CLI::App* cmd, ProjectFlags& f, const std::string& verb,
                       bool writes_git_lock = false);

struct ClusterFlags {
  std::string kubeconfig;
  std::string context;
  size_t jobs = 16;
  std::string output;                       // "" or "json"
  std::vector<std::string> adopt_managers;  // field managers whose objects count as gantry's
  bool json() const { return output == "json"; }
  kube::OwnershipRule ownership() const;
};

// --kubeconfig, --context, -j/--jobs, -o/--output.
void add_cluster_flags(CLI::App* cmd, ClusterFlags& f);
// --adopt-manager (diff, deploy, prune, delete: the commands that find orphans).
void add_ownership_flags(CLI::App* cmd, ClusterFlags& f);

// A connection to the target's cluster.
struct Cluster {
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<kube::RestMapper> mapper;
};

// Picks the context (a target pinned to a context uses that one and refuses
// a different --context), loads the kubeconfig and connects with `settings`
// (the controller sends its own User-Agent). Refusals are Errors with
// ExitCode::kRefused.
Cluster connect(const ClusterFlags& f, const project::ResolvedTarget& target,
                kube::ClientSettings settings = {});

// Asks "question [y/N]" on the terminal; without a terminal refuses (Error,
// kRefused) with `hint` (e.g. "give --yes").
bool confirm(const std::string& question, const std::string& hint);

}  // namespace gantry::cli
