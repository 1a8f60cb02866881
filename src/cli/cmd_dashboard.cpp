// gantry dashboard: serves the web dashboard (dashboard/dashboard.h) until
// SIGINT or SIGTERM; prints the address it listens on.
#include <signal.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "cli/command.h"
#include "cli/project_flags.h"
#include "dashboard/dashboard.h"
#include "kube/discovery.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "0.0.0"
#endif

namespace gantry::cli {

namespace {

std::atomic<bool> g_dashboard_stop{false};

extern "C" void on_dashboard_signal(int) {
  g_dashboard_stop.store(true);
}

struct DashboardFlags {
  ClusterFlags cluster;
  std::string listen = "127.0.0.1:8080";
  std::string ns;
  std::string token_file;
  bool token_review = false;
  std::string cache_dir;
  std::vector<std::string> allowed_hosts;
};

int run_dashboard(const DashboardFlags& f) {
  dashboard::DashboardOptions o;
  o.listen = f.listen;
  o.ns = f.ns;
  o.allowed_hosts = f.allowed_hosts;
  if (!f.token_file.empty()) o.token = dashboard::read_token_file(f.token_file);
  o.token_review = f.token_review;
  o.cache_dir = f.cache_dir.empty() ? kube::default_cache_dir() / "dashboard"
                                    : std::filesystem::path(f.cache_dir);
  kube::ClientSettings settings;
  settings.user_agent = std::string("gantry-dashboard/") + GANTRY_VERSION;
  Cluster c = connect(f.cluster, project::ResolvedTarget{}, settings);
  struct sigaction sa {};
  sa.sa_handler = on_dashboard_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  dashboard::Dashboard d(*c.client, o);
  d.start();
  std::string host = o.listen.substr(0, o.listen.rfind(':'));
  if (host.empty()) host = "0.0.0.0";
  std::cout << "gantry dashboard listening on http://" << host << ":" << d.port() << "/"
            << (o.token.empty() && !o.token_review ? " (read-only)" : " (actions need a token)")
            << std::endl;
  while (!g_dashboard_stop.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  d.stop();
  return 0;
}

}  // namespace

void add_dashboard_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<DashboardFlags>();
  CLI::App* cmd = app.add_subcommand("dashboard", "Serve the web dashboard of the deployments");
  cmd->add_option("--listen", f->listen, "HOST:PORT to serve on (default 127.0.0.1:8080)");
  cmd->add_option("-n,--namespace", f->ns, "Only deployments of this namespace (default: all)");
  cmd->add_option("--token-file", f->token_file,
                  "File holding the bearer token that actions need (default: read-only)");
  cmd->add_flag("--token-review", f->token_review,
                "Also accept users' Kubernetes bearer tokens for actions: checked with a "
                "TokenReview, each action authorised by a SubjectAccessReview of the user's RBAC");
  cmd->add_option("--allowed-host", f->allowed_hosts,
                  "A host name the dashboard is reached by (besides localhost and IP "
                  "addresses); repeatable");
  cmd->add_option("--kubeconfig", f->cluster.kubeconfig, "kubeconfig file");
  cmd->add_option("--context", f->cluster.context, "kubeconfig context");
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Discovery cache (default: $GANTRY_CACHE_DIR/dashboard)");
  cmd->callback([f, &action] { action = [f] { return run_dashboard(*f); }; });
}

}  // namespace gantry::cli
