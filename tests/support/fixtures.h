// Shared test fixtures: temporary directories, files, running the gantry binary.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/process.h"

namespace gantry::testing {

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

// Runs the built gantry binary with `args` (cwd optional).
ProcessResult run_gantry(const std::vector<std::string>& args,
                         const std::filesystem::path& cwd = {});

// The message (Error::str()) of the gantry::Error `f` throws, or "<no error>".
std::string error_text(const std::function<void()>& f);

// Paths of the repository and of the course's example configuration.
std::filesystem::path source_dir();
std::filesystem::path course_dir();

}  // namespace gantry::testing
