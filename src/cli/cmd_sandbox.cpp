// gantry sandbox: a local Kubernetes API server for tests and the quick start.
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <iostream>

#include "cli/command.h"
#include "core/error.h"
#include "sandbox/sandbox.h"

namespace gantry::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

struct SandboxFlags {
  std::string listen = "127.0.0.1:0";
  std::string data;
  std::string kubeconfig_out;
  std::string ready_delay = "2s";
  std::string context = "gantry-sandbox";
  size_t max_watch_events = 20000;
  std::string audit_log;
};

int run_sandbox_command(const SandboxFlags& f) {
  sandbox::SandboxOptions o;
  o.listen = f.listen;
  o.data_dir = f.data;
  o.kubeconfig_out = f.kubeconfig_out;
  o.context = f.context;
  o.max_watch_events = f.max_watch_events;
  o.audit_log = f.audit_log;
  if (o.context.empty() ||
      o.context.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-") !=
          std::string::npos)
    throw Error("--context: \"" + o.context + "\" is not a context name (letters, digits, . _ @ -)",
                ExitCode::kUsage);
  try {
    o.ready_delay = parse_duration(f.ready_delay);
  } catch (Error& e) {
    throw Error("--ready-delay: " + e.why(), ExitCode::kUsage);
  }
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  sandbox::run_sandbox(o, g_stop, std::cout);
  std::cerr << "gantry sandbox: stopped\n";
  return 0;
}

}  // namespace

void add_sandbox_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<SandboxFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sandbox", "Run a local Kubernetes API server (no cluster needed) for tests and CI");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to serve on; port 0 picks a free port")
      ->capture_default_str();
  cmd->add_option("--data", flags->data,
                  "Directory that keeps state, CA and token across restarts");
  cmd->add_option("--kubeconfig-out", flags->kubeconfig_out,
                  "Where to write the kubeconfig (default: <data>/kubeconfig or a temp file)");
  cmd->add_option("--ready-delay", flags->ready_delay,
                  "How long simulated workloads take to become ready (e.g. 500ms, 2s)")
      ->capture_default_str();
  cmd->add_option("--context", flags->context,
                  "Name of the kubeconfig's context (and its cluster and user)")
      ->capture_default_str();
  cmd->add_option("--max-watch-events", flags->max_watch_events,
                  "Changes kept for watches to resume from; older resourceVersions get 410 Gone")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  cmd->add_option("--audit-log", flags->audit_log,
                  "Append one JSON line per request (verb, group, resource, user agent, code) "
                  "to this file");
  cmd->callback([flags, &action] { action = [flags] { return run_sandbox_command(*flags); }; });
}

}  // namespace gantry::cli
