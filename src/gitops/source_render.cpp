#include "gitops/source_render.h"

#include <chrono>

#include "gitops/credentials.h"

namespace gantry::gitops {

git::FetchOptions source_fetch_options(const kube::Client& client, const DeploymentSpec& d,
                                       const std::filesystem::path& cache_dir) {
  auto fo = git_options_from_secret(client, d.ns, d.source.secret, cache_dir / "keys");
  if (!fo)
    throw SourceError{"FetchFailed", "the Secret \"" + d.source.secret + "\" named in " +
                                         "spec.source.git.secretRef does not exist in namespace " +
                                         d.ns};
  return *fo;
}

git::SourceRef source_ref(const GitSource& s) {
  git::SourceRef r;
  r.branch = s.branch;
  r.tag = s.tag;
  r.commit = s.commit;
  return r;
}

std::string revision_text(const GitSource& s, const std::string& commit) {
  std::string ref = !s.branch.empty() ? s.branch : !s.tag.empty() ? s.tag : "HEAD";
  return ref + "@sha1:" + commit;
}

render::RenderResult render_deployment_source(const kube::Client& client, git::SourceCache& sources,
                                              const DeploymentSpec& d,
                                              const std::filesystem::path& cache_dir,
                                              std::string* commit, double* fetch_seconds) {
  git::FetchedSource src;
  auto t0 = std::chrono::steady_clock::now();
  try {
    src = sources.fetch(d.source.url, source_ref(d.source),
                        source_fetch_options(client, d, cache_dir));
  } catch (const Error& e) {
    throw SourceError{"FetchFailed", e.str()};
  }
  if (fetch_seconds)
    *fetch_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (commit) *commit = src.commit;
  std::string short_commit = src.commit.substr(0, 12);
  std::filesystem::path dir = src.tree / d.source.path;
  if (!std::filesystem::is_directory(dir))
    throw SourceError{"SourceInvalid", "the path \"" + d.source.path + "\" does not exist in " +
                                           src.url + " at " + short_commit};
  render::RenderRequest req;
  req.project_dir = dir;
  req.target = d.target;
  if (d.args.is_map())
    for (const auto& m : d.args.as_map())
      req.args.emplace_back(m.key, m.value);
  req.selection.include_tags = d.include_tags;
  req.selection.exclude_tags = d.exclude_tags;
  req.selection.include_dirs = d.include_dirs;
  req.selection.exclude_dirs = d.exclude_dirs;
  // git: items of the project share the cache; they are fetched without the
  // deployment's credentials (those are for its own source, not for every
  // server a project may name).
  req.git.cache_dir = cache_dir / "git";
  // Charts come pre-pulled with the project; skipPrePull charts are pulled
  // on demand (without credentials) into the cache.
  req.chart_cache_dir = cache_dir / "helm-charts";
  try {
    return render::render_project(req);
  } catch (const Error& e) {
    // Paths inside the cached tree, shown as they are in the repository.
    std::string msg = e.str();
    std::string prefix = (src.tree.string() + "/");
    for (size_t p; (p = msg.find(prefix)) != std::string::npos;)
      msg.erase(p, prefix.size());
    throw SourceError{"RenderFailed", msg + " (commit " + short_commit + ")"};
  }
}

}  // namespace gantry::gitops
