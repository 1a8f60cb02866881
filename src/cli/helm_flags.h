// Chart repository and registry access flags shared by helm-pull,
// helm-update and the commands that render (render, diff, deploy, prune,
// delete with --pull).
//
// Classic repositories, kluctl's form: --helm-username HOST[/PATH]=USER,
// --helm-password HOST[/PATH]=PASSWORD, --helm-ca-file HOST[/PATH]=FILE,
// --helm-insecure-skip-tls-verify HOST[/PATH]; and the environment
// GANTRY_HELM_[N_]HOST, _PATH, _USERNAME, _PASSWORD, _CA_FILE,
// _INSECURE_SKIP_TLS_VERIFY (N = 1, 2, ... for several repositories),
// which keeps passwords out of the process list.
// OCI registries: credentials from the auth file (oci/credentials.h),
// --insecure-registry HOST and --registry-ca-file FILE.
#pragma once

#include <string>
#include <vector>

#include "render/chart_pull.h"

namespace CLI {
class App;
}

namespace gantry::cli {

struct HelmFlags {
  std::vector<std::string> usernames, passwords, ca_files, insecure;
  std::vector<std::string> insecure_registries;
  std::string registry_ca_file;
  std::string authfile;

  // Throws Error(kUsage) for a flag without HOST=VALUE.
  render::ChartPullOptions options() const;
};

void add_helm_flags(CLI::App* cmd, HelmFlags& f);

}  // namespace gantry::cli
