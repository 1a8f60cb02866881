// How commands plug into the CLI: each cli/cmd_<name>.cpp registers one
// subcommand and, when it is chosen, sets the action that runs it.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace gantry::cli {

// Runs the chosen command and returns the exit code. Errors are thrown as gantry::Error.
using Action = std::function<int()>;

void add_render_command(CLI::App& app, Action& action);
void add_sandbox_command(CLI::App& app, Action& action);
void add_kustomize_command(CLI::App& app, Action& action);
void add_push_command(CLI::App& app, Action& action);
void add_pull_command(CLI::App& app, Action& action);
void add_copy_command(CLI::App& app, Action& action);
void add_tags_command(CLI::App& app, Action& action);
void add_inspect_command(CLI::App& app, Action& action);
void add_update_command(CLI::App& app, Action& action);
void add_diff_command(CLI::App& app, Action& action);
void add_deploy_command(CLI::App& app, Action& action);
void add_prune_command(CLI::App& app, Action& action);
void add_delete_command(CLI::App& app, Action& action);
void add_version_tag_command(CLI::App& app, Action& action);
void add_controller_command(CLI::App& app, Action& action);
void add_get_command(CLI::App& app, Action& action);
void add_reconcile_commands(CLI::App& app, Action& action);  // reconcile, suspend, resume
void add_install_command(CLI::App& app, Action& action);
void add_uninstall_command(CLI::App& app, Action& action);
void add_helm_pull_command(CLI::App& app, Action& action);
void add_helm_update_command(CLI::App& app, Action& action);
void add_dashboard_command(CLI::App& app, Action& action);
void add_build_command(CLI::App& app, Action& action);

}  // namespace gantry::cli
