#include "gitops/prune_now.h"

#include "core/error.h"
#include "gitops/source_render.h"

namespace gantry::gitops {

PruneNowResult prune_now(
    const kube::Client& client, kube::RestMapper& mapper, git::SourceCache& sources,
    const DeploymentSpec& d, const std::filesystem::path& cache_dir, size_t jobs,
    const std::function<void(const std::vector<kube::Orphan>&)>& before_delete) {
  PruneNowResult out;
  std::string commit;
  render::RenderResult rendered = render_deployment_source(client, sources, d, cache_dir, &commit);
  out.revision = revision_text(d.source, commit);
  if (rendered.object_count() == 0)
    throw Error("the render of " + out.revision + " is empty; refusing to prune",
                ExitCode::kRefused);
  mapper.expire();
  kube::PlanOptions po;
  po.jobs = jobs;
  po.list_orphans = true;
  po.compare = false;
  kube::Plan plan = kube::make_plan(client, mapper, rendered, po);
  for (const auto& o : plan.orphans)
    out.victims.push_back(o.name());
  out.kept = std::move(plan.kept);
  if (before_delete) before_delete(plan.orphans);
  kube::DeleteOptions opt;
  opt.jobs = jobs;
  out.report = kube::delete_objects(client, plan.orphans, opt);
  return out;
}

}  // namespace gantry::gitops
