// gantry reconcile / suspend / resume: requests to the GitOps controller,
// made through the Kubernetes API (an annotation, spec.suspend).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/command.h"
#include "cli/project_flags.h"
#include "core/duration.h"
#include "gitops/requests.h"

namespace gantry::cli {

namespace {

struct RequestFlags {
  ClusterFlags cluster;
  std::string name;
  std::string ns;
  bool wait = false;
  std::string timeout = "5m";
};

// "user@host" of this process, for the deploy history's "who".
std::string local_user() {
  const char* u = std::getenv("USER");
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = 0;
  return std::string(u && *u ? u : "unknown") + "@" + (host[0] ? host : "unknown");
}

int run_request(const RequestFlags& f, const std::string& verb) {
  Cluster c = connect(f.cluster, project::ResolvedTarget{});
  std::string name;
  kube::ResourceType t = gitops::deployment_type_for(f.name, &name);
  std::string ns = f.ns.empty() ? c.client->access().namespace_name : f.ns;
  if (verb == "suspend" || verb == "resume") {
    gitops::set_suspended(*c.client, t, ns, name, verb == "suspend");
    std::cout << t.kind << " " << ns << "/" << name
              << (verb == "suspend" ? " suspended" : " resumed") << "\n";
    return 0;
  }
  std::string token =
      gitops::request_reconcile(*c.client, t, ns, name, "gantry reconcile (" + local_user() + ")");
  std::cout << "reconcile of " << t.kind << " " << ns << "/" << name << " requested\n";
  if (!f.wait) return 0;
  auto obj = gitops::wait_handled(*c.client, t, ns, name, token, parse_duration(f.timeout));
  if (!obj)
    throw Error("the controller did not answer within " + f.timeout + " (is it running?)",
                ExitCode::kPartial);
  std::string status = "Unknown", message;
  if (const doc::Value* cs = obj->find_path({"status", "conditions"}); cs && cs->is_list())
    for (const auto& cond : cs->as_list())
      if (cond.get_string("type") == "Ready") {
        status = cond.get_string("status");
        message = cond.get_string("message");
      }
  std::cout << "Ready=" << status << ": " << message << "\n";
  return status == "True" ? 0 : static_cast<int>(ExitCode::kPartial);
}

void add_request_command(CLI::App& app, Action& action, const std::string& verb,
                         const std::string& help) {
  auto f = std::make_shared<RequestFlags>();
  CLI::App* cmd = app.add_subcommand(verb, help);
  cmd->add_option("name", f->name, "NAME (a GantryDeployment) or kluctldeployment/NAME")
      ->required();
  cmd->add_option("-n,--namespace", f->ns, "Namespace (default: the context's)");
  cmd->add_option("--kubeconfig", f->cluster.kubeconfig, "kubeconfig file");
  cmd->add_option("--context", f->cluster.context, "kubeconfig context");
  if (verb == "reconcile") {
    cmd->add_flag("--wait", f->wait, "Wait until the controller has answered, print Ready");
    cmd->add_option("--timeout", f->timeout, "Longest wait (default 5m)");
  }
  cmd->callback([f, &action, verb] { action = [f, verb] { return run_request(*f, verb); }; });
}

}  // namespace

void add_reconcile_commands(CLI::App& app, Action& action) {
  add_request_command(app, action, "reconcile",
                      "Ask the GitOps controller to reconcile a deployment now");
  add_request_command(app, action, "suspend",
                      "Stop the controller's deploys and repairs of a deployment");
  add_request_command(app, action, "resume", "Resume a suspended deployment");
}

}  // namespace gantry::cli
