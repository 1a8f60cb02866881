// gantry controller: runs the GitOps controller in the foreground (logs as
// text on a terminal, JSON lines otherwise); --crds prints the CRDs to install.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <csignal>
#include <iostream>
#include <mutex>

#include "cli/command.h"
#include "cli/project_flags.h"
#include "core/duration.h"
#include "core/timestamp.h"
#include "dashboard/dashboard.h"
#include "doc/json.h"
#include "gitops/controller.h"
#include "gitops/endpoints.h"
#include "gitops/resource.h"

#ifndef GANTRY_VERSION
#define GANTRY_VERSION "0.0.0"
#endif

namespace gantry::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_controller_signal(int) {
  g_stop.store(true);
}

struct ControllerFlags {
  ClusterFlags cluster;
  std::vector<std::string> namespaces;
  std::string listen;
  std::string webhook_secret;  // NAMESPACE/NAME
  size_t concurrency = 4;
  bool crds = false;
  bool kluctl_crd = false;
  bool flux_crds = false;
  std::string log_format;  // "", "text", "json"
  std::string cache_dir;
  bool leader_elect = false;
  std::string leader_namespace = "gantry-system";
  std::string lease_duration = "15s", renew_deadline = "10s", retry_period = "2s";
  bool dashboard = false;
  std::string dashboard_listen = "127.0.0.1:8080";
  std::string dashboard_token_file;
  bool dashboard_token_review = false;
  std::vector<std::string> dashboard_allowed_hosts;
};

std::function<void(const gitops::LogRecord&)> log_sink(bool json) {
  static std::mutex mu;
  return [json](const gitops::LogRecord& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (json) {
      doc::Value v =
          doc::Value::object({{"ts", utc_now()}, {"level", r.level}, {"msg", r.message}});
      for (const auto& [k, val] : r.fields)
        if (!val.empty()) v.set(k, val);
      std::cerr << doc::to_json(v) << "\n";
    } else {
      std::cerr << utc_now() << " " << r.level << " " << r.message;
      for (const auto& [k, val] : r.fields)
        if (!val.empty()) std::cerr << " " << k << "=" << val;
      std::cerr << "\n";
    }
  };
}

int run_controller(const ControllerFlags& f) {
  if (f.crds) {
    std::cout << gitops::crds_yaml(f.kluctl_crd, f.flux_crds);
    return 0;
  }
  bool json = f.log_format == "json" || (f.log_format.empty() && !::isatty(STDERR_FILENO));
  // Its own User-Agent, so that its requests can be told apart in audit logs.
  kube::ClientSettings settings;
  settings.user_agent = std::string("gantry-controller/") + GANTRY_VERSION;
  Cluster c = connect(f.cluster, project::ResolvedTarget{}, settings);
  gitops::ControllerOptions o;
  o.watch_namespaces = f.namespaces;
  o.client_settings = settings;
  o.concurrency = f.concurrency;
  o.jobs = f.cluster.jobs;
  o.cache_dir = f.cache_dir.empty() ? kube::default_cache_dir() / "controller"
                                    : std::filesystem::path(f.cache_dir);
  o.log = log_sink(json);
  struct sigaction sa {};
  sa.sa_handler = on_controller_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  if (f.leader_elect) {
    o.leader_election = true;
    o.leader.ns = f.leader_namespace;
    o.leader.lease_duration = parse_duration(f.lease_duration);
    o.leader.renew_deadline = parse_duration(f.renew_deadline);
    o.leader.retry_period = parse_duration(f.retry_period);
    if (o.leader.renew_deadline >= o.leader.lease_duration)
      throw Error("--renew-deadline must be shorter than --lease-duration", ExitCode::kUsage);
  }
  gitops::Controller controller(*c.client, o);
  std::string namespaces;
  for (const auto& ns : f.namespaces)
    namespaces += (namespaces.empty() ? "" : ",") + ns;
  std::unique_ptr<gitops::Endpoints> endpoints;
  if (!f.listen.empty()) {
    gitops::EndpointOptions eo;
    eo.listen = f.listen;
    eo.namespaces = f.namespaces;
    eo.cache_dir = o.cache_dir;
    eo.log = o.log;
    if (!f.webhook_secret.empty()) {
      size_t slash = f.webhook_secret.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == f.webhook_secret.size())
        throw Error("--webhook-secret must be NAMESPACE/NAME", ExitCode::kUsage);
      eo.webhook_secret_namespace = f.webhook_secret.substr(0, slash);
      eo.webhook_secret_name = f.webhook_secret.substr(slash + 1);
    }
    endpoints = std::make_unique<gitops::Endpoints>(controller, *c.client, eo);
  }
  // The web dashboard from the same process, with the controller's credentials.
  std::unique_ptr<dashboard::Dashboard> board;
  if (f.dashboard) {
    dashboard::DashboardOptions dopt;
    dopt.listen = f.dashboard_listen;
    dopt.ns = f.namespaces.size() == 1 ? f.namespaces.front() : "";
    if (!f.dashboard_token_file.empty())
      dopt.token = dashboard::read_token_file(f.dashboard_token_file);
    dopt.token_review = f.dashboard_token_review;
    dopt.allowed_hosts = f.dashboard_allowed_hosts;
    dopt.cache_dir = o.cache_dir / "dashboard";
    dopt.field_manager = o.field_manager;
    board = std::make_unique<dashboard::Dashboard>(*c.client, dopt);
    board->start();
    std::string host = dopt.listen.substr(0, dopt.listen.rfind(':'));
    o.log(gitops::LogRecord{
        "info",
        "dashboard listening",
        {{"url", "http://" + (host.empty() ? std::string("0.0.0.0") : host) + ":" +
                     std::to_string(board->port()) + "/"},
         {"actions", dopt.token_review    ? "need a token (TokenReview and SubjectAccessReview)"
                     : dopt.token.empty() ? "off (read-only)"
                                          : "need the token"}}});
  }
  o.log(gitops::LogRecord{"info",
                          "controller started",
                          {{"context", c.client->access().context},
                           {"server", c.client->access().server},
                           {"namespace", namespaces.empty() ? "*" : namespaces},
                           {"listen", endpoints ? f.listen.substr(0, f.listen.rfind(':') + 1) +
                                                      std::to_string(endpoints->port())
                                                : ""}}});
  bool kept = controller.run(g_stop);
  if (board) board->stop();
  if (!kept)
    throw Error("lost the leader election lease; exiting so that a fresh process competes again",
                ExitCode::kExternal);
  return 0;
}

}  // namespace

void add_controller_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<ControllerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "controller", "Run the GitOps controller: keep clusters equal to Git, repair drift");
  cmd->add_option("--kubeconfig", f->cluster.kubeconfig,
                  "kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)");
  cmd->add_option("--context", f->cluster.context, "kubeconfig context (default: current-context)");
  cmd->add_option("-n,--namespace,--watch-namespace", f->namespaces,
                  "Reconcile only resources in this namespace (repeatable; default: all)");
  cmd->add_option("--listen", f->listen,
                  "Serve /metrics, /healthz, /readyz and /hooks/git on HOST:PORT (:PORT for "
                  "every interface; default: off)");
  cmd->add_option("--webhook-secret", f->webhook_secret,
                  "NAMESPACE/NAME of a Secret whose key \"token\" authenticates /hooks/git");
  cmd->add_option("--concurrency", f->concurrency, "Resources reconciled at once (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("-j,--jobs", f->cluster.jobs, "Requests in flight within one sync (default 16)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Git sources and discovery cache (default: $GANTRY_CACHE_DIR/controller)");
  cmd->add_option("--log-format", f->log_format, "text or json (default: text on a terminal)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--leader-elect", f->leader_elect,
                "Only the holder of a Lease reconciles (run several replicas for HA)");
  cmd->add_option("--leader-election-namespace", f->leader_namespace,
                  "Namespace of the Lease (default gantry-system)");
  cmd->add_option("--lease-duration", f->lease_duration, "Lease duration (default 15s)");
  cmd->add_option("--renew-deadline", f->renew_deadline,
                  "A leader that cannot renew for this long stops (default 10s)");
  cmd->add_option("--retry-period", f->retry_period,
                  "Between acquire and renew attempts (default 2s)");
  cmd->add_flag("--dashboard", f->dashboard,
                "Also serve the web dashboard (the pages of `gantry dashboard`)");
  cmd->add_option("--dashboard-listen", f->dashboard_listen,
                  "HOST:PORT of the dashboard (default 127.0.0.1:8080)");
  cmd->add_option("--dashboard-token-file", f->dashboard_token_file,
                  "File holding the bearer token the dashboard's actions need (default: "
                  "read-only)");
  cmd->add_flag("--dashboard-token-review", f->dashboard_token_review,
                "Also accept users' Kubernetes bearer tokens for the dashboard's actions: checked "
                "with a TokenReview, each action authorised by a SubjectAccessReview of the "
                "user's RBAC");
  cmd->add_option("--dashboard-allowed-host", f->dashboard_allowed_hosts,
                  "A host name the dashboard is reached by (besides localhost and IP "
                  "addresses); repeatable");
  cmd->add_flag("--crds", f->crds, "Print the CustomResourceDefinitions to install, and exit");
  cmd->add_flag("--kluctl-crd", f->kluctl_crd,
                "With --crds: also a KluctlDeployment CRD (for clusters without kluctl's)");
  cmd->add_flag("--flux-crds", f->flux_crds,
                "With --crds: also CRDs of Flux's ImageRepository, ImagePolicy, "
                "ImageUpdateAutomation and GitRepository (for clusters without Flux)");
  cmd->callback([f, &action] { action = [f] { return run_controller(*f); }; });
}

}  // namespace gantry::cli
