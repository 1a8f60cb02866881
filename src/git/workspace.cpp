#include "git/workspace.h"

#include "git/internal.h"

namespace gantry::git {

namespace fs = std::filesystem;

namespace {

RepositoryPtr open_or_init(const fs::path& dir, const std::string& url) {
  git_repository* raw = nullptr;
  if (fs::exists(dir / ".git")) {
    check(git_repository_open(&raw, dir.c_str()), "opening the workspace " + dir.string());
  } else {
    fs::create_directories(dir);
    check(git_repository_init(&raw, dir.c_str(), 0), "creating the workspace " + dir.string());
  }
  RepositoryPtr repo(raw);
  git_remote* r = nullptr;
  if (git_remote_lookup(&r, raw, "origin") == 0) {
    RemotePtr keep(r);
    if (std::string(git_remote_url(r)) != url)
      check(git_remote_set_url(raw, "origin", url.c_str()), "setting the workspace's remote");
  } else {
    check(git_remote_create(&r, raw, "origin", url.c_str()), "adding the workspace's remote",
          ExitCode::kInvalidInput);
    RemotePtr keep(r);
  }
  return repo;
}

}  // namespace

Repository checkout_branch(const std::string& url, const std::string& branch, const fs::path& dir,
                           const FetchOptions& options, const std::string& discard_branch) {
  ensure_libgit2();
  use_ca_file(options.ca_file);
  std::string shown = redact_url(url);
  {
    RepositoryPtr repo = open_or_init(dir, url);
    git_remote* raw_remote = nullptr;
    check(git_remote_lookup(&raw_remote, repo.get(), "origin"), "reading the workspace's remote");
    RemotePtr remote(raw_remote);
    Session session;
    session.creds = &options.credentials;
    session.url = url;
    git_fetch_options opts;
    git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION);
    opts.callbacks = callbacks(session);
    opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    std::string tracking = "refs/remotes/origin/" + branch;
    std::string spec = "+refs/heads/" + branch + ":" + tracking;
    char* specs[] = {spec.data()};
    git_strarray refspecs{specs, 1};
    // A stale tracking ref must not stand in for a branch deleted on the server.
    git_reference* stale = nullptr;
    if (git_reference_lookup(&stale, repo.get(), tracking.c_str()) == 0) {
      git_reference_delete(stale);
      git_reference_free(stale);
    }
    if (git_remote_fetch(remote.get(), &refspecs, &opts, "gantry: fetch workspace") < 0) {
      std::string why = session.problem.empty() ? last_error_message() : session.problem;
      throw Error(
          scrub((session.refused_credentials ? "authentication failed for " : "cannot reach ") +
                    shown + ": " + why,
                options.credentials),
          ExitCode::kExternal);
    }
    git_oid id;
    if (git_reference_name_to_id(&id, repo.get(), tracking.c_str()) < 0)
      throw Error("branch '" + branch + "' not found in " + shown, ExitCode::kNotFound);
    git_object* raw_target = nullptr;
    check(git_object_lookup(&raw_target, repo.get(), &id, GIT_OBJECT_COMMIT), "reading the tip");
    ObjectPtr target(raw_target);
    std::string local = "refs/heads/" + branch;
    // Detach first so that the branch HEAD is on can be moved or deleted.
    check(git_repository_set_head_detached(repo.get(), &id), "detaching HEAD");
    git_reference* raw_ref = nullptr;
    check(git_reference_create(&raw_ref, repo.get(), local.c_str(), &id, 1,
                               "gantry: workspace at the remote tip"),
          "moving " + local);
    ReferencePtr moved(raw_ref);
    check(git_repository_set_head(repo.get(), local.c_str()), "checking out " + local);
    check(git_reset(repo.get(), target.get(), GIT_RESET_HARD, nullptr), "resetting the workspace");
    if (!discard_branch.empty() && discard_branch != branch) {
      git_reference* other = nullptr;
      if (git_branch_lookup(&other, repo.get(), discard_branch.c_str(), GIT_BRANCH_LOCAL) == 0) {
        git_branch_delete(other);
        git_reference_free(other);
      }
    }
  }
  return Repository::open(dir);
}

}  // namespace gantry::git
