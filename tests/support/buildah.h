// buildah as the reference runtime for images gantry builds: its own storage
// (--root/--runroot under a test directory, vfs driver), containers made
// from OCI layouts or registries, commands run with `--isolation chroot`.
// Needs root, like gantry build's RUN.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"

namespace gantry::testing {

class Buildah {
 public:
  explicit Buildah(std::filesystem::path dir);
  ~Buildah();
  Buildah(const Buildah&) = delete;
  Buildah& operator=(const Buildah&) = delete;

  static bool available();

  // buildah with the test's storage options and ARGS.
  ProcessResult run(std::vector<std::string> args);
  // A container of the image at `location` ("oci:DIR[:TAG]" or a registry
  // reference); returns its name. A failure is a test failure.
  std::string container_from(const std::string& location);
  // Runs `argv` in `container` as the image's user, in its working directory.
  ProcessResult exec(const std::string& container, const std::vector<std::string>& argv);
  // The container's root directory on the host (buildah mount).
  std::filesystem::path mount(const std::string& container);

 private:
  std::filesystem::path dir_;
  int containers_ = 0;
  std::vector<std::filesystem::path> links_;
};

}  // namespace gantry::testing
