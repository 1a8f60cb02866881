// The remote resources of kustomizations (kustomize/remote.h), fetched the
// way gantry fetches everything else: Git URLs through the project's Git
// sources (the shared Git cache under $GANTRY_CACHE_DIR/git, URL rewrites,
// offline use, the lock file, credentials and known_hosts), http(s) files
// with the HTTP client. Used by `gantry kustomize` and by render's
// kustomization items.
#pragma once

#include <filesystem>
#include <string>

#include "http/client.h"
#include "kustomize/remote.h"
#include "project/git_sources.h"

namespace gantry::render {

class KustomizeRemote : public kustomize::RemoteLoader {
 public:
  // `offline`: http(s) files are not fetched (an Error; a Git URL then comes
  // from the cache only, as `git` says).
  KustomizeRemote(project::GitSources& git, bool offline);

  // GET with redirects followed and no retries (like kustomize's Go client).
  kustomize::RemoteFile get(const std::string& url) override;

  // The repository's tree at spec.ref: a branch or a tag of that name, else a
  // commit when the ref is hexadecimal; the default branch when empty.
  std::filesystem::path fetch(const kustomize::RepoSpec& spec) override;

 private:
  project::GitSources& git_;
  bool offline_;
  http::Client http_;
};

}  // namespace gantry::render
