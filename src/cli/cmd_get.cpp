// gantry get deployments: the GitOps deployments and their state, as a table
// like kubectl get, or -o json|yaml.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "cli/command.h"
#include "cli/project_flags.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "gitops/requests.h"

namespace gantry::cli {

namespace {

struct GetFlags {
  ClusterFlags cluster;
  std::string what;
  std::string ns;
  bool all_namespaces = false;
  std::string output;
};

int run_get(const GetFlags& f) {
  if (f.what != "deployments" && f.what != "deployment" && f.what != "deploy")
    throw Error("gantry get knows \"deployments\" (GantryDeployments and KluctlDeployments)",
                ExitCode::kUsage);
  Cluster c = connect(f.cluster, project::ResolvedTarget{});
  std::string ns = f.all_namespaces ? "" : f.ns.empty() ? c.client->access().namespace_name : f.ns;
  auto rows = gitops::list_deployments(*c.client, *c.mapper, ns);
  if (f.output == "json" || f.output == "yaml") {
    doc::Value items = doc::Value::list();
    for (const auto& r : rows)
      items.push_back(r.object);
    doc::Value list =
        doc::Value::object({{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}});
    std::cout << (f.output == "json" ? doc::to_json_pretty(list, 2) + "\n" : doc::to_yaml(list));
    return 0;
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> head;
  if (ns.empty()) head.push_back("NAMESPACE");
  for (const char* h : {"NAME", "KIND", "TARGET", "READY", "REVISION", "LAST RESULT", "AGE"})
    head.push_back(h);
  table.push_back(head);
  for (const auto& r : rows) {
    std::vector<std::string> row;
    if (ns.empty()) row.push_back(r.ns);
    row.push_back(r.name);
    row.push_back(r.kind);
    row.push_back(r.target.empty() ? "-" : r.target);
    row.push_back(r.suspended ? r.ready + " (suspended)" : r.ready);
    row.push_back(r.revision.empty() ? "-" : r.revision);
    row.push_back(r.last_result.empty() ? "-" : r.last_result);
    row.push_back(r.age);
    table.push_back(row);
  }
  if (rows.empty()) {
    std::cerr << "No deployments found" << (ns.empty() ? "" : " in namespace " + ns) << ".\n";
    return 0;
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& row : table)
    for (size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  for (const auto& row : table) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i)
      line += row[i] + (i + 1 < row.size() ? std::string(width[i] - row[i].size() + 3, ' ') : "");
    std::cout << line << "\n";
  }
  return 0;
}

}  // namespace

void add_get_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<GetFlags>();
  CLI::App* cmd = app.add_subcommand("get", "List GitOps deployments: gantry get deployments");
  cmd->add_option("what", f->what, "deployments")->required();
  cmd->add_option("--kubeconfig", f->cluster.kubeconfig, "kubeconfig file");
  cmd->add_option("--context", f->cluster.context, "kubeconfig context");
  cmd->add_option("-n,--namespace", f->ns, "Namespace (default: the context's)");
  cmd->add_flag("-A,--all-namespaces", f->all_namespaces, "Every namespace");
  cmd->add_option("-o,--output", f->output, "json or yaml")->check(CLI::IsMember({"json", "yaml"}));
  cmd->callback([f, &action] { action = [f] { return run_get(*f); }; });
}

}  // namespace gantry::cli
