// gantry prune and gantry delete: remove a target's objects from its cluster.
//   prune:  gantry's objects of the target that the render no longer contains;
//   delete: every object of the target that is gantry's.
// Which labelled objects are gantry's is kube/ownership.h's rule; objects that
// carry the label but are not gantry's are listed as kept, with the reason.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/cluster_output.h"
#include "cli/command.h"
#include "cli/project_flags.h"
#include "core/duration.h"
#include "doc/json.h"

namespace gantry::cli {

namespace {

struct RemoveFlags {
  ProjectFlags project;
  ClusterFlags cluster;
  bool yes = false;
  bool dry_run = false;
  bool allow_empty = false;
  std::string timeout = "2m";
};

int run_remove(const RemoveFlags& f, bool everything) {
  const char* verb = everything ? "delete" : "prune";
  render::RenderResult rendered = render::render_project(f.project.request());
  if (rendered.object_count() == 0 && !f.allow_empty)
    throw Error("the render of target \"" + rendered.target.name + "\" is empty; refusing to " +
                    verb + " (give --allow-empty if you mean it)",
                ExitCode::kRefused);
  Cluster c = connect(f.cluster, rendered.target);
  const auto& access = c.client->access();
  std::vector<kube::Orphan> victims;
  std::vector<kube::Kept> kept;
  if (everything) {
    kube::TargetObjects all = kube::list_target_objects(
        *c.client, *c.mapper, rendered.target.discriminator, f.cluster.ownership(),
        kube::rendered_kinds(rendered), f.cluster.jobs);
    victims = std::move(all.ours);
    kept = std::move(all.kept);
    if (!all.unlistable.empty()) {
      std::string names;
      for (const auto& u : all.unlistable)
        names += (names.empty() ? "" : ", ") + u;
      std::cerr << "note: not allowed to list " << names
                << "; objects of those types were not considered\n";
    }
  } else {
    kube::PlanOptions po;
    po.jobs = f.cluster.jobs;
    po.list_orphans = true;
    po.compare = false;
    po.ownership = f.cluster.ownership();
    kube::Plan plan = kube::make_plan(*c.client, *c.mapper, rendered, po);
    victims = std::move(plan.orphans);
    kept = std::move(plan.kept);
  }
  bool json = f.cluster.json();
  if (!json) {
    for (const auto& v : victims)
      std::cout << "- " << v.name() << "\n";
    for (const auto& k : kept)
      std::cout << "= " << k.object.name() << " kept: " << k.why << "\n";
    std::cout << victims.size() << " to " << verb;
    if (!kept.empty()) std::cout << ", " << kept.size() << " kept";
    std::cout << " (context " << access.context << ", " << access.server << ")\n";
  }
  doc::Value kept_json = kept_objects_json(kept);
  if (f.dry_run || victims.empty()) {
    if (json) {
      doc::Value names = doc::Value::list();
      for (const auto& v : victims)
        names.push_back(v.name());
      std::cout << doc::to_json_pretty(doc::Value::object({{"wouldDelete", names},
                                                           {"deleted", 0},
                                                           {"kept", kept_json},
                                                           {"failures", doc::Value::list()}}),
                                       2)
                << "\n";
    }
    return 0;
  }
  if (!f.yes && !confirm(std::string(everything ? "Delete" : "Prune") + " " +
                             std::to_string(victims.size()) + " objects of target \"" +
                             rendered.target.name + "\" in context \"" + access.context + "\"?",
                         "give --yes to " + std::string(verb) + " without asking"))
    throw Error(std::string(verb) + " cancelled", ExitCode::kRefused);
  kube::DeleteOptions opt;
  opt.jobs = f.cluster.jobs;
  opt.finalizer_timeout = parse_duration(f.timeout);
  opt.on_event = progress_sink(json);
  kube::DeleteReport r = kube::delete_objects(*c.client, victims, opt);
  if (json) {
    std::cout << doc::to_json_pretty(
                     doc::Value::object({{"deleted", static_cast<int64_t>(r.deleted)},
                                         {"kept", kept_json},
                                         {"failures", problems_json(r.failures)}}),
                     2)
              << "\n";
  } else {
    for (const auto& p : r.failures)
      std::cerr << "gantry: failed: " << problem_line(p) << "\n";
    std::cout << "deleted " << r.deleted << ", failed " << r.failures.size() << "\n";
  }
  return r.failures.empty() ? 0 : static_cast<int>(ExitCode::kPartial);
}

void add_remove_command(CLI::App& app, Action& action, bool everything) {
  auto f = std::make_shared<RemoveFlags>();
  CLI::App* cmd =
      everything ? app.add_subcommand("delete", "Delete every object of a target from its cluster")
                 : app.add_subcommand(
                       "prune", "Delete the target's objects that the render no longer contains");
  add_project_flags(cmd, f->project, everything ? "Delete" : "Prune");
  add_cluster_flags(cmd, f->cluster);
  add_ownership_flags(cmd, f->cluster);
  cmd->add_flag("-y,--yes", f->yes, "Do not ask for confirmation");
  cmd->add_option("--timeout", f->timeout,
                  "Longest wait for custom resources' finalizers before workloads go (default 2m)");
  cmd->add_flag("--dry-run", f->dry_run, "List what would be deleted and stop");
  cmd->add_flag("--allow-empty", f->allow_empty, "Allow it when the render is empty");
  cmd->callback([f, &action, everything] {
    action = [f, everything] { return run_remove(*f, everything); };
  });
}

}  // namespace

void add_prune_command(CLI::App& app, Action& action) {
  add_remove_command(app, action, false);
}
void add_delete_command(CLI::App& app, Action& action) {
  add_remove_command(app, action, true);
}

}  // namespace gantry::cli
