// Pushing a branch to a remote through libgit2, over https (basic
// credentials or a token), git:// and ssh (a key file, the server's host key
// checked against known_hosts).
//
// Secrets given here never appear in errors or logs: URLs are shown without
// their user-info part (an ssh user name is kept), and any occurrence of the password, token or key
// passphrase in a message from libgit2 or a server is replaced by "***".
#pragma once

#include <filesystem>
#include <string>

#include "core/url.h"
#include "git/repository.h"

namespace gantry::git {

struct Credentials {
  // https: sent as basic credentials when the server asks (401). A token is a
  // password; username defaults to "x-access-token" when only a password is set.
  std::string username;
  std::string password;
  // ssh: the private key file (its ".pub" beside it is used when present);
  // the user name comes from the URL (ssh://NAME@host/...), else username, else "git".
  std::filesystem::path ssh_key;
  std::string ssh_passphrase;
  // ssh: the known_hosts file the server's host key must be listed in
  // (empty: ~/.ssh/known_hosts). An unknown or different key is refused.
  std::filesystem::path known_hosts;
};

struct PushOptions {
  std::string remote = "origin";  // a remote configured in the repository
  std::string branch;             // local branch pushed to the same name; empty: the current
  Credentials credentials;
  // https: a PEM file of the certificate authorities trusted instead of the
  // system's. libgit2 keeps this for the whole process. Empty: the system's.
  std::filesystem::path ca_file;
};

struct PushResult {
  std::string url;       // the remote's push URL without credentials
  std::string branch;    // the branch pushed (same name on both sides)
  std::string commit;    // the commit the remote branch now points at
  bool rebased = false;  // the first push was not a fast-forward; our commit was re-applied
};

// Pushes `options.branch` to the same branch of `options.remote`. When the
// remote refuses because its branch moved on (not a fast-forward), fetches
// it, re-applies the local branch's last commit on top of the remote tip
// (a cherry-pick; the local branch and working tree move to the result) and
// pushes once more. Throws Error(kExternal) naming the URL (never with
// credentials) when the remote cannot be reached, refuses the credentials or
// the push, or moved on again; Error(kInvalidInput) when re-applying the
// commit conflicts with the remote's changes (nothing local is changed then);
// Error(kNotFound) for an unknown remote.
PushResult push(Repository& repo, const PushOptions& options);

// (core/url.h) URLs without credentials, as every message of this folder shows them.
using ::gantry::redact_url;

}  // namespace gantry::git
