// Header-only (shared by unit and integration tests): the real `git` CLI as the
// reference and the tool that builds test repositories, isolated from the
// user's configuration (no global or system config, fixed identity, a commit
// date that moves one minute per commit so history has a real order).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"

namespace gantry::testing {

// The environment every git CLI call of the tests runs with.
inline std::vector<std::string> git_env() {
  return {"GIT_CONFIG_GLOBAL=/dev/null",
          "GIT_CONFIG_NOSYSTEM=1",
          "GIT_AUTHOR_NAME=Test Author",
          "GIT_AUTHOR_EMAIL=author@example.com",
          "GIT_COMMITTER_NAME=Test Committer",
          "GIT_COMMITTER_EMAIL=committer@example.com",
          "GIT_TERMINAL_PROMPT=0",
          "GIT_SSH_COMMAND=false"};
}

// Runs `git -C dir args...`; the date of commits and tags made by it is one
// minute after the previous call's.
inline ProcessResult git_run(const std::filesystem::path& dir, const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env = {}) {
  static std::atomic<long> clock{1700000000};
  std::string date = "@" + std::to_string(clock += 60) + " +0000";
  std::vector<std::string> argv{"git", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.timeout = std::chrono::minutes(2);
  o.extra_env = git_env();
  o.extra_env.push_back("GIT_AUTHOR_DATE=" + date);
  o.extra_env.push_back("GIT_COMMITTER_DATE=" + date);
  o.extra_env.insert(o.extra_env.end(), extra_env.begin(), extra_env.end());
  return run_process(argv, o);
}

// Like git_run, but a failure fails the test; returns stdout without the final newline.
inline std::string git(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  ProcessResult r = git_run(dir, args);
  std::string cmd = "git";
  for (const auto& a : args)
    cmd += " " + a;
  EXPECT_EQ(r.exit_code, 0) << cmd << " in " << dir.string() << ": " << r.err;
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

// Writes `content` to dir/file and commits it with `message`; returns the commit id.
inline std::string git_commit_file(const std::filesystem::path& dir, const std::string& file,
                                   const std::string& content, const std::string& message) {
  std::filesystem::path p = dir / file;
  std::filesystem::create_directories(p.parent_path());
  {
    FILE* f = std::fopen(p.c_str(), "wb");
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
  }
  git(dir, {"add", file});
  git(dir, {"commit", "-q", "-m", message});
  return git(dir, {"rev-parse", "HEAD"});
}

// A new repository with branch `main` in `dir`.
inline void git_init(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  git(dir, {"init", "-q", "-b", "main"});
}

// "Someone else pushes": a commit of README.md ("someone else's change")
// pushed to main of the repository at `remote` from a clone kept in `clone`.
inline void someone_else_pushes(const std::filesystem::path& remote,
                                const std::filesystem::path& clone) {
  if (!std::filesystem::exists(clone))
    git(clone.parent_path(), {"clone", "-q", remote.string(), clone.string()});
  git(clone, {"pull", "-q", "origin", "main"});
  git_commit_file(clone, "README.md", "someone else\n", "someone else's change");
  git(clone, {"push", "-q", "origin", "main"});
}

}  // namespace gantry::testing
