#include "cli/app.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "core/error.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "0.0.0"
#endif

namespace gantry::cli {

int run(int argc, char** argv) {
  CLI::App app{"gantry: from source to a running Kubernetes cluster, kept equal to Git"};
  app.name("gantry");
  app.set_version_flag("--version", std::string("gantry ") + GANTRY_VERSION);
  app.require_subcommand(1);
  Action action;
  add_render_command(app, action);
  add_sandbox_command(app, action);
  add_kustomize_command(app, action);
  add_push_command(app, action);
  add_pull_command(app, action);
  add_copy_command(app, action);
  add_tags_command(app, action);
  add_inspect_command(app, action);
  add_update_command(app, action);
  add_diff_command(app, action);
  add_deploy_command(app, action);
  add_prune_command(app, action);
  add_delete_command(app, action);
  add_version_tag_command(app, action);
  add_controller_command(app, action);
  add_get_command(app, action);
  add_reconcile_commands(app, action);
  add_install_command(app, action);
  add_uninstall_command(app, action);
  add_helm_pull_command(app, action);
  add_helm_update_command(app, action);
  add_dashboard_command(app, action);
  add_build_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 returns 0 for --help/--version; every real usage error exits 2.
    return rc == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  try {
    return action ? action() : 0;
  } catch (const Error& e) {
    std::cerr << "gantry: error: " << e.str() << "\n";
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "gantry: internal error: " << e.what() << "\n";
    return static_cast<int>(ExitCode::kInternal);
  }
}

}  // namespace gantry::cli
