// A working checkout of one branch of a remote repository, kept in a
// directory between uses, for tools that edit files and push commits back
// (the controller's image automation).
#pragma once

#include <filesystem>
#include <string>

#include "git/repository.h"
#include "git/source.h"

namespace gantry::git {

// Makes `dir` a working repository whose remote "origin" is `url` and whose
// branch `branch` is checked out at the remote's current tip of that branch:
// created on first use (git init + remote), fetched afterwards; local
// commits and edits of tracked files from an earlier use are discarded (hard
// reset). A local branch `discard_branch` (when not empty and not `branch`)
// is deleted so that a commit can create it afresh. Credentials and CA file
// as for SourceCache::fetch. Throws Error: kNotFound when the remote has no
// such branch, kExternal when it cannot be reached (never with credentials).
Repository checkout_branch(const std::string& url, const std::string& branch,
                           const std::filesystem::path& dir, const FetchOptions& options,
                           const std::string& discard_branch = "");

}  // namespace gantry::git
