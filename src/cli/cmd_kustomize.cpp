// gantry kustomize DIR: a drop-in for `kubectl kustomize DIR`, built by the
// native engine. Writes the objects as one YAML stream to stdout (or a file).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/git_flags.h"
#include "core/file.h"
#include "doc/yaml.h"
#include "kustomize/kustomize.h"
#include "project/git_sources.h"
#include "render/kustomize_remote.h"

namespace gantry::cli {

namespace fs = std::filesystem;

namespace {

struct KustomizeFlags {
  std::string dir = ".";
  std::string output;
  std::string root;
  bool enable_helm = false;
  std::string helm_command = "helm";
  std::string helm_kube_version;
  std::vector<std::string> helm_api_versions;
  std::string load_restrictor = "LoadRestrictionsRootOnly";
  GitSourceFlags git;
};

int run_kustomize(const KustomizeFlags& f) {
  kustomize::Options opts;
  // Like kubectl kustomize, bases may live anywhere (files named by a
  // kustomization must still be in or below its directory); --root narrows it.
  opts.root = f.root.empty() ? fs::path("/") : fs::path(f.root);
  if (f.enable_helm) {
    opts.helm_command = f.helm_command;
    opts.helm_kube_version = f.helm_kube_version;
    opts.helm_api_versions = f.helm_api_versions;
  }
  opts.load_restrictor = f.load_restrictor == "LoadRestrictionsNone"
                             ? kustomize::LoadRestrictor::kNone
                             : kustomize::LoadRestrictor::kRootOnly;
  project::GitOptions git_options = f.git.options();
  bool offline = git_options.fetch.offline;
  project::GitSources git(std::move(git_options));
  render::KustomizeRemote remote(git, offline);
  opts.remote = &remote;
  std::vector<kustomize::Resource> resources = kustomize::build(f.dir, opts);
  if (!f.git.lock_file.empty()) project::write_git_lock(f.git.lock_file, git.lock());
  std::string out;
  bool first = true;
  for (const auto& r : resources) {
    if (!first) out += "---\n";
    first = false;
    out += doc::to_yaml(r.object);
  }
  if (f.output.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  } else {
    write_file_atomic(f.output, out);
  }
  return 0;
}

}  // namespace

void add_kustomize_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<KustomizeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "kustomize", "Build a kustomization directory (a drop-in for `kubectl kustomize DIR`)");
  cmd->add_option("dir", flags->dir, "Directory holding the kustomization (default: .)");
  cmd->add_option("-o,--output", flags->output, "Write the YAML stream to this file");
  cmd->add_option("--root", flags->root,
                  "No file outside this directory may be read (default: no limit, as kubectl)");
  cmd->add_flag("--enable-helm", flags->enable_helm,
                "Inflate helmCharts with the helm binary (as kubectl kustomize --enable-helm)");
  cmd->add_option("--helm-command", flags->helm_command,
                  "The helm binary (3.x or 4.x) for --enable-helm (default: helm on PATH)");
  cmd->add_option("--helm-kube-version", flags->helm_kube_version,
                  "Kubernetes version helm reports in Capabilities.KubeVersion, for charts "
                  "without kubeVersion");
  cmd->add_option("--helm-api-versions", flags->helm_api_versions,
                  "Kubernetes API versions helm reports in Capabilities.APIVersions, for "
                  "charts without apiVersions (repeatable)")
      ->delimiter(',');
  cmd->add_option("--load-restrictor", flags->load_restrictor,
                  "LoadRestrictionsRootOnly (default: files a kustomization names must be in or "
                  "below its directory) or LoadRestrictionsNone")
      ->check(CLI::IsMember({"LoadRestrictionsRootOnly", "LoadRestrictionsNone"}));
  add_git_source_flags(cmd, flags->git,
                       "Fetch remote bases at the commits this file locks, and write the commits "
                       "they resolved to into it");
  cmd->callback([flags, &action] { action = [flags] { return run_kustomize(*flags); }; });
}

}  // namespace gantry::cli
