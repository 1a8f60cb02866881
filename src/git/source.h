// Git sources: a ref (branch, tag, commit or the default branch) of a remote
// repository, fetched into a local cache and materialised as a plain
// directory holding exactly that commit's files. Used by the GitOps
// controller and by project `git:` items.
//
// Cache layout under the root given to SourceCache:
//   repos/<sha256 of the redacted URL>.git  one bare repository per URL; refs/heads/* and
//                                            refs/tags/* mirror the server's as last fetched,
//                                            refs/gantry/HEAD its default branch,
//                                            refs/gantry/commits/<id> commits fetched by id
//   repos/<same>.lock                        serialises fetches of one URL across processes
//   repos/<same>.used                        the last commits fetched (for prune_trees)
//   trees/<commit id>/                       a commit's files, written once, never changed
//
// Transports and credentials are those of push() (remote.h): https with basic
// credentials or a token and an optional CA file, git://, ssh with a key whose
// server host key is checked against known_hosts. Errors never contain
// passwords, tokens or passphrases, and URLs are shown without user info.
//
// Trees: regular files keep their executable bit (0755, else 0644); symlinks
// are written as symlinks with the target stored in Git, unchanged, even when
// it points outside the tree (absolute, or `..` climbing above the tree's
// root): readers that must stay inside the tree have to resolve paths with
// that in mind (e.g. core's join_within/is_within) rather than follow links
// blindly. Blobs are written as stored (no .gitattributes filters, no Git LFS
// smudging, no line-ending conversion).
//
// Not supported: submodules (a submodule's directory is left empty, like
// `git clone` without --recurse-submodules), shallow fetches, and partial
// clones. Deleted branches are not pruned from the cache.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "git/remote.h"

namespace gantry::git {

// What to check out: exactly one of branch, tag, commit; all empty = the
// remote's default branch (its HEAD). A commit is a full 40-hex id or an
// abbreviation of at least 4 hex digits.
struct SourceRef {
  std::string branch{}, tag{}, commit{};  // initialised: designated initializers may name one
  // "branch main", "tag v1.2.0", "commit 1a2b3c4" (7 digits), "default branch".
  std::string str() const;
};

struct FetchedSource {
  std::string url;             // without credentials (redact_url)
  std::string commit;          // full 40-hex id the ref resolved to
  std::filesystem::path tree;  // a directory holding exactly that commit's files (read-only use;
                               // shared with other callers; never modified by callers)
  std::size_t objects_received = 0;  // objects downloaded by this call (0: the cache had them)
};

struct FetchOptions {
  Credentials credentials{};        // https basic/token, ssh key + known_hosts
  std::filesystem::path ca_file{};  // https: like PushOptions::ca_file (process-wide)
  bool offline = false;             // use only what the cache holds; error if the ref is not there
};

class SourceCache {
 public:
  // A cache in `root` (e.g. $GANTRY_CACHE_DIR/git); created on first use.
  explicit SourceCache(std::filesystem::path root);
  ~SourceCache();
  SourceCache(const SourceCache&) = delete;
  SourceCache& operator=(const SourceCache&) = delete;

  const std::filesystem::path& root() const;

  // Resolves `ref` on `url` to a commit, fetching only what the cache lacks
  // into the URL's bare repository with force refspecs (so a history
  // rewritten on the server is followed), then writes that commit's tree once
  // to trees/<commit>/ (into a temporary directory, then renamed, so readers
  // never see half a tree) and returns it. A commit id the server does not
  // advertise is fetched by id when the server allows it, else looked up
  // among all fetched branches and tags. Offline: only the cache is used (the
  // last fetched position of a branch, tag or default branch).
  //
  // Thread-safe: calls for different URLs run in parallel, calls for the same
  // URL are serialised (across processes too).
  //
  // Throws gantry::Error: kExternal "cannot reach <url>: ..." when the server
  // cannot be reached, fails, or is not trusted (TLS certificate, ssh host key
  // not in known_hosts); kExternal "authentication failed for <url>: ..." when
  // credentials are missing or refused; kNotFound "branch 'x' not found in
  // <url>" (likewise tag, commit, default branch; offline: "... is not in the
  // cache of <url> (offline)"); kInvalidInput for a malformed ref or a tree
  // gantry refuses to write (an entry named ".." or ".git", a tag that is not
  // a commit).
  FetchedSource fetch(const std::string& url, const SourceRef& ref, const FetchOptions& options);

  // The commit `ref` points at on the server (like `git ls-remote`), without
  // fetching objects or writing anything; used to skip work when nothing
  // changed. A full commit id is returned as given (lowercased) without asking
  // the server; an abbreviated one is resolved as fetch() does. Offline: from
  // the cache. Throws like fetch().
  std::string resolve(const std::string& url, const SourceRef& ref, const FetchOptions& options);

  // Disk hygiene: removes every tree that is not among the last `keep`
  // distinct commits fetched for each URL of this cache (the history is kept
  // beside each bare repository, 100 commits at most). A tree a reader still
  // uses must be kept by the caller choosing `keep` large enough. Returns how
  // many trees were removed.
  std::size_t prune_trees(std::size_t keep);

  // The bare repository that caches `url` (whether or not it exists yet).
  std::filesystem::path repository_path(const std::string& url) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::git
