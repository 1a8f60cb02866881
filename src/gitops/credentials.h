// Git credentials from a Secret named by a resource (spec...secretRef): the
// keys username + password (or token) for https, identity (+ known_hosts)
// for ssh, as Flux and kluctl name them. Key files are written below
// `keys_dir` (0600) because libgit2 reads ssh keys from files.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "git/source.h"
#include "kube/client.h"

namespace gantry::gitops {

// nullopt when the Secret does not exist; no Secret named: empty options.
std::optional<git::FetchOptions> git_options_from_secret(const kube::Client& client,
                                                         const std::string& ns,
                                                         const std::string& secret,
                                                         const std::filesystem::path& keys_dir);

}  // namespace gantry::gitops
