// Shared test fixtures: temporary directories, files, running the gantry binary.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/process.h"

namespace gantry::testing {

// How often `what` occurs in `s` (overlapping occurrences counted).
inline size_t count_of(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1))
    ++n;
  return n;
}

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/relative, creating parent directories.
  std::filesystem::path write(std::string_view relative, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// A server program for tests: started in its own process group with stdin
// from /dev/null and stdout+stderr appended to `log`; stopped on destruction
// (SIGTERM to the group, SIGKILL after 5 s).
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::filesystem::path& log,
                    const std::vector<std::string>& extra_env = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Everything the program wrote so far.
  std::string log() const;
  void stop();

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// Runs the built gantry binary with `args` (cwd optional, "NAME=value"
// environment additions optional).
ProcessResult run_gantry(const std::vector<std::string>& args,
                         const std::filesystem::path& cwd = {},
                         const std::vector<std::string>& env = {});

// The message (Error::str()) of the gantry::Error `f` throws, or "<no error>".
std::string error_text(const std::function<void()>& f);

// The helm binary tests use as the reference: $GANTRY_TEST_HELM at build
// time (build/tools/helm/helm, installed by scripts/install-deps.sh), else
// helm from PATH; "" when there is none.
std::string helm_binary();

// Runs helm_binary() with `args`, its config, cache and data kept below
// `home` (not the user's).
ProcessResult run_helm(std::vector<std::string> args, const std::filesystem::path& home);

// Paths of the repository and of the course's example configuration.
std::filesystem::path source_dir();
std::filesystem::path course_dir();

}  // namespace gantry::testing
