// Git sources named by a project's `git:` deployment items (kluctl's git
// includes): URL rewrites (mirrors), fetching into the shared Git cache,
// offline use, and the lock of resolved commits.
//
//   deployments:
//     - git: https://github.com/example/repo.git        # default branch, whole repository
//     - git:
//         url: https://github.com/kluctl/kluctl.git
//         ref: {tag: v2.24.1}                            # or {branch: x}, {commit: 1a2b3c4}
//         subDir: install/controller                     # a directory with a deployment.yaml
//
// kluctl's older string form `ref: NAME` names a branch or a tag (the branch
// wins when both exist; "refs/heads/x" and "refs/tags/x" say which).
//
// Lock file (`--git-lock FILE`), YAML, one entry per distinct url and ref:
//
//   gitSources:
//     - url: https://github.com/kluctl/kluctl.git   # as the project names it (before rewrites)
//       ref: {tag: v2.24.1}                          # as the item names it ({} = default branch)
//       commit: 0123456789abcdef0123456789abcdef01234567
//
// An item whose url and ref are in the lock is fetched at the locked commit
// instead of resolving its ref; other items resolve their ref as usual.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "doc/value.h"
#include "git/source.h"

namespace gantry::project {

// A ref as a git: item names it: a SourceRef, or kluctl's older string form
// (`name`: a branch or a tag, decided on fetch).
struct GitItemRef {
  git::SourceRef ref;
  std::string name;  // the string form; empty when `ref` is used
  // "tag v2.24.1", "default branch", "ref v1" (the string form).
  std::string str() const;
  bool operator==(const GitItemRef& o) const;
};

// `git: URL` or `git: {url, ref, subDir}` of a deployment item. Throws an
// Error at the offending field for a malformed entry (unknown fields, more
// than one of branch/tag/commit, an absolute or climbing subDir).
struct GitItem {
  std::string url;  // as written in the project
  GitItemRef ref;
  std::string sub_dir;            // "" = the repository's root
  Location where;                 // the item's `git:` entry
  std::string what = "git item";  // how errors name it ("repository" for kustomize's remote bases)
};
GitItem parse_git_item(const doc::Value& git);

// `--git-url-rewrite FROM=TO`: a URL starting with FROM has that prefix
// replaced by TO (like git's url.TO.insteadOf = FROM); the longest matching
// FROM wins. Throws Error(kUsage) for text without '=' or an empty FROM.
struct GitUrlRewrite {
  std::string from, to;
};
GitUrlRewrite parse_git_url_rewrite(std::string_view text);
std::string rewrite_git_url(const std::vector<GitUrlRewrite>& rewrites, const std::string& url);

struct GitLockEntry {
  std::string url;  // as the project names it
  GitItemRef ref;
  std::string commit;  // full id
};

// Reads a lock file; a missing file is an empty lock. Throws Error with
// file:line for malformed content.
std::vector<GitLockEntry> read_git_lock(const std::filesystem::path& file);
// Writes `entries` (atomically) in the format above.
void write_git_lock(const std::filesystem::path& file, const std::vector<GitLockEntry>& entries);

struct GitOptions {
  // Root of the Git cache (e.g. $GANTRY_CACHE_DIR/git), shared with the
  // controller's sources. Empty: projects with git: items are refused.
  std::filesystem::path cache_dir;
  git::FetchOptions fetch;  // credentials, CA file, offline
  std::vector<GitUrlRewrite> rewrites;
  std::vector<GitLockEntry> pins;  // from a lock file
};

// What a git: item resolved to.
struct ResolvedGitItem {
  std::string url;             // the URL fetched (rewritten, without credentials)
  std::string commit;          // full id
  std::filesystem::path root;  // the commit's files (the cache's tree; read-only)
  std::filesystem::path dir;   // root/subDir, checked to be a directory
  // "https://github.com/kluctl/kluctl.git (tag v2.24.1, commit 1a2b3c4)", as written.
  std::string description;
};

// Fetches the git: items of one load, each distinct url+ref once, and
// remembers what each resolved to for the lock.
class GitSources {
 public:
  explicit GitSources(GitOptions options);
  ~GitSources();
  GitSources(const GitSources&) = delete;
  GitSources& operator=(const GitSources&) = delete;

  // Fetches `item` (rewritten URL; the locked commit when pinned) and checks
  // its subDir. Throws Error at item.where naming the item's URL and ref:
  // kNotFound for an unknown ref, a missing subDir, or (offline) a ref the
  // cache lacks; kExternal when the server cannot be reached or refuses;
  // kUsage when no cache directory is configured.
  ResolvedGitItem fetch(const GitItem& item);

  // One entry per distinct url+ref fetched, in first-use order.
  const std::vector<GitLockEntry>& lock() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::project
