// Remote resources of a kustomization, with kustomize v5.5's URL grammar
// (api/internal/git/repospec.go): Git repositories named by URL
// (`https://host/org/repo//path?ref=v1`, `git@host:org/repo`,
// `github.com/org/repo/path?ref=v1`, `ssh://`, `file://`, Azure's `_git/`,
// go-getter's `git::` prefix) and HTTP(S) URLs of single files.
//
// The engine (floor 3) only parses; fetching is done by a RemoteLoader the
// caller injects (render/kustomize_remote.h: Git through the shared Git
// cache, files through the HTTP client).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace gantry::kustomize {

// A Git repository, the ref to check out and the kustomization root in it.
struct RepoSpec {
  std::string raw;         // the entry as written (may hold credentials: show redact_url(raw))
  std::string host;        // "https://github.com/", "git@github.com:", "file://", ...
  std::string repo_path;   // "org/repo", "org/repo.git", "org/project/_git/repo"
  std::string kust_root;   // "path/to/base" in the repository ("" = its root)
  std::string ref;         // ?ref= (or ?version=); "" = the default branch
  bool submodules = true;  // ?submodules= (gantry clones none; see docs)
  std::chrono::milliseconds timeout{27'000};  // ?timeout= (seconds or a Go duration)

  // What `git clone` is given: host + repo_path.
  std::string clone_url() const { return host + repo_path; }
};

// Parses `entry` like kustomize's NewRepoSpecFromURL. nullopt (with the
// reason kustomize gives in `why`, e.g. "failed to parse scheme") when it is
// not a Git URL: the entry is then a local path.
std::optional<RepoSpec> parse_repo_spec(const std::string& entry, std::string* why = nullptr);

// True for an http:// or https:// URL (kustomize's IsRemoteFile): such a
// resource is first fetched as a single file.
bool is_remote_file_url(const std::string& entry);

struct RemoteFile {
  long status = 0;  // HTTP status
  std::string body;
};

// Fetches what remote resources name. Implementations throw gantry::Error
// (with URLs shown without credentials) when a server cannot be reached or a
// ref does not exist.
class RemoteLoader {
 public:
  virtual ~RemoteLoader() = default;
  // GET of an http(s) URL; any status is returned, transport failures throw.
  virtual RemoteFile get(const std::string& url) = 0;
  // The files of spec.clone_url() at spec.ref: a directory holding that
  // commit's tree, read only (spec.kust_root is resolved by the engine).
  virtual std::filesystem::path fetch(const RepoSpec& spec) = 0;
};

}  // namespace gantry::kustomize
