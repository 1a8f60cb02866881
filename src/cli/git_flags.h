// Git access flags and environment shared by the commands that reach Git
// servers: `update --push` and the project commands whose `git:` items are
// fetched (render, diff, deploy, prune, delete), and `kustomize` for remote bases.
//
// Secrets come from the environment only: GANTRY_GIT_USERNAME,
// GANTRY_GIT_TOKEN (else GANTRY_GIT_PASSWORD), GANTRY_GIT_SSH_PASSPHRASE.
// Files may be flags or environment: the ssh key (GANTRY_GIT_SSH_KEY),
// known_hosts (GANTRY_GIT_KNOWN_HOSTS, default ~/.ssh/known_hosts) and the
// https CA file (GANTRY_GIT_CA_FILE).
#pragma once

#include <string>
#include <vector>

#include "git/remote.h"
#include "project/git_sources.h"

namespace CLI {
class App;
}

namespace gantry::cli {

// Credentials from the environment, with the key and known_hosts files from
// flags when given (else the environment).
git::Credentials git_credentials(const std::string& ssh_key_flag,
                                 const std::string& known_hosts_flag);
// The CA file flag, else GANTRY_GIT_CA_FILE, else empty (the system's CAs).
std::string git_ca_file(const std::string& ca_file_flag);

// How a project's git: items are fetched.
struct GitSourceFlags {
  std::vector<std::string> url_rewrites;  // FROM=TO
  bool offline = false;
  std::string lock_file;
  std::string ssh_key, known_hosts, ca_file;

  // The options for render::RenderRequest::git: the cache under
  // $GANTRY_CACHE_DIR/git, credentials, rewrites, and the pins of the lock
  // file when it exists. Throws Error(kUsage) for a malformed rewrite and an
  // Error with file:line for a malformed lock file.
  project::GitOptions options() const;
};

// --git-url-rewrite, --offline, --git-lock, --git-ssh-key, --git-known-hosts, --git-ca-file.
// `lock_help` says what --git-lock does for this command.
void add_git_source_flags(CLI::App* cmd, GitSourceFlags& f, const std::string& lock_help);

}  // namespace gantry::cli
