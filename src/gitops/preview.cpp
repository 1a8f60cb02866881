#include "gitops/preview.h"

#include "gitops/source_render.h"

namespace gantry::gitops {

Preview preview(const kube::Client& client, kube::RestMapper& mapper, git::SourceCache& sources,
                const DeploymentSpec& d, const std::filesystem::path& cache_dir,
                const std::string& field_manager, size_t jobs) {
  Preview out;
  render::RenderResult rendered =
      render_deployment_source(client, sources, d, cache_dir, &out.commit);
  out.revision = revision_text(d.source, out.commit);
  mapper.expire();  // CRDs installed since the last look are found
  kube::PlanOptions po;
  po.jobs = jobs;
  po.list_orphans = d.prune;
  po.dry_run_new = true;
  po.with_diffs = true;
  po.field_manager = field_manager;
  out.plan = kube::make_plan(client, mapper, rendered, po);
  return out;
}

}  // namespace gantry::gitops
