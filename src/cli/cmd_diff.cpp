// gantry diff: what a deploy of a target would change, as unified diffs.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "cli/cluster_output.h"
#include "cli/command.h"
#include "cli/project_flags.h"
#include "doc/json.h"
#include "kube/diff.h"

namespace gantry::cli {

namespace {

struct DiffFlags {
  ProjectFlags project;
  ClusterFlags cluster;
};

int run_diff(const DiffFlags& f) {
  render::RenderResult rendered = render::render_project(f.project.request());
  Cluster c = connect(f.cluster, rendered.target);
  kube::PlanOptions po;
  po.jobs = f.cluster.jobs;
  po.list_orphans = !rendered.target.discriminator.empty();
  po.ownership = f.cluster.ownership();
  kube::Plan plan = kube::make_plan(*c.client, *c.mapper, rendered, po);
  auto problems = plan_problems(plan);
  bool changes = plan.has_changes() || !plan.orphans.empty();

  if (f.cluster.json()) {
    doc::Value objects = doc::Value::list();
    for (const auto& o : plan.objects) {
      if (o.change == kube::Change::kUnchanged) continue;
      doc::Value v = doc::Value::object(
          {{"object", o.name()}, {"change", std::string(kube::change_name(o.change))}});
      if (o.source.known()) v.set("source", o.source.str());
      if (!o.diff.empty()) v.set("diff", o.diff);
      if (!o.error.empty()) v.set("error", o.error);
      objects.push_back(std::move(v));
    }
    for (const auto& o : plan.orphans)
      objects.push_back(
          doc::Value::object({{"object", o.name()},
                              {"change", "prune"},
                              {"diff", kube::object_diff(o.live, doc::Value(), o.name())}}));
    doc::Value out = doc::Value::object({{"target", rendered.target.name},
                                         {"context", c.client->access().context},
                                         {"changes", changes},
                                         {"objects", std::move(objects)},
                                         {"kept", kept_objects_json(plan.kept)},
                                         {"summary", plan_counts(plan, plan.orphans_listed)}});
    std::cout << doc::to_json_pretty(out, 2) << "\n";
  } else {
    std::string out;
    for (const auto& o : plan.objects)
      out += o.diff;
    for (const auto& o : plan.orphans)
      out += kube::object_diff(o.live, doc::Value(), o.name());
    std::fwrite(out.data(), 1, out.size(), stdout);
    for (const auto& p : problems)
      std::cerr << "gantry: " << problem_line(p) << "\n";
    for (const auto& k : plan.kept)
      std::cerr << "gantry: kept " << k.object.name() << ": " << k.why << "\n";
    std::cerr << plan_counts(plan, plan.orphans_listed) << " (context "
              << c.client->access().context << ")\n";
  }
  if (!problems.empty()) return static_cast<int>(ExitCode::kPartial);
  return changes ? static_cast<int>(ExitCode::kChanges) : 0;
}

}  // namespace

void add_diff_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<DiffFlags>();
  CLI::App* cmd = app.add_subcommand(
      "diff", "Show what a deploy would change: server-side dry run, live vs. result");
  add_project_flags(cmd, f->project, "Diff");
  add_cluster_flags(cmd, f->cluster);
  add_ownership_flags(cmd, f->cluster);
  cmd->callback([f, &action] { action = [f] { return run_diff(*f); }; });
}

}  // namespace gantry::cli
