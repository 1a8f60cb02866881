// Private to src/git/: owning handles for libgit2 objects and error helpers.
#pragma once

#include <git2.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "git/remote.h"
#include "git/repository.h"

namespace gantry::git {

// Calls git_libgit2_init() once per process (never shut down: handles may
// live in static objects until exit).
void ensure_libgit2();

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
template <class T, auto Free>
using Handle = std::unique_ptr<T, Deleter<Free>>;

using RepositoryPtr = Handle<git_repository, git_repository_free>;
using ObjectPtr = Handle<git_object, git_object_free>;
using CommitPtr = Handle<git_commit, git_commit_free>;
using TreePtr = Handle<git_tree, git_tree_free>;
using IndexPtr = Handle<git_index, git_index_free>;
using ReferencePtr = Handle<git_reference, git_reference_free>;
using SignaturePtr = Handle<git_signature, git_signature_free>;
using RemotePtr = Handle<git_remote, git_remote_free>;
using ConfigPtr = Handle<git_config, git_config_free>;
using DescribePtr = Handle<git_describe_result, git_describe_result_free>;

// A git_buf filled by libgit2 and disposed of here.
struct Buf {
  git_buf buf = GIT_BUF_INIT;
  Buf() = default;
  ~Buf() { git_buf_dispose(&buf); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  std::string str() const { return buf.ptr ? std::string(buf.ptr, buf.size) : std::string(); }
};

// libgit2's last error message ("unknown error" when there is none).
std::string last_error_message();

// Throws Error(code) "what: <libgit2 message>" when rc < 0.
void check(int rc, const std::string& what, ExitCode code = ExitCode::kExternal);

// The repository internals the rest of this folder needs.
struct Repository::Impl {
  RepositoryPtr repo;
  std::filesystem::path workdir;
};

struct Access {
  static git_repository* raw(const Repository& r) { return r.impl_->repo.get(); }
};

// HEAD's commit; throws Error(kNotFound) when HEAD has none.
CommitPtr head_commit(git_repository* repo);

// The hex id of an oid.
std::string hex(const git_oid& oid);

// What the remote callbacks (remote.cpp) learn during one connection.
struct Session {
  const Credentials* creds = nullptr;
  std::string url;  // the remote's URL as configured (may hold user info)
  int userpass_tries = 0;
  int ssh_tries = 0;
  std::string problem;               // why we refused (authentication, host key), shown to the user
  bool refused_credentials = false;  // problem is about credentials (missing or refused)
  std::vector<std::string> rejected;  // "refs/heads/x: reason" from the server
};

// Callbacks for git_remote_* calls with `s` as payload: credentials from
// s.creds (https basic/token, ssh key; each tried once), ssh host keys checked
// against known_hosts, TLS left to libgit2, rejected push updates recorded.
git_remote_callbacks callbacks(Session& s);

// `text` with URL user info removed and every secret of `c` replaced by "***".
std::string scrub(std::string text, const Credentials& c);

// Trusts the certificate authorities of `ca_file` (PEM) for https instead of
// the system's, for the whole process; nothing when empty. Throws
// Error(kNotFound) when the file is missing.
void use_ca_file(const std::filesystem::path& ca_file);

}  // namespace gantry::git
