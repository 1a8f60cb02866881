// Running one RUN step: a process in new mount, pid, uts, ipc and (unless
// the host network is asked for) network namespaces, whose root filesystem
// is an overlayfs of read-only snapshot directories over a fresh upper
// directory that collects the step's changes (a copying snapshotter where
// overlayfs cannot be mounted). /proc, /dev, /sys, /etc/hosts and
// /etc/resolv.conf are provided; mount points the step needed but the image
// lacks are removed from the upper directory afterwards, so they never
// reach the layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "build/unpack.h"

namespace gantry::build {

struct ContainerMount {
  enum class Type { kBind, kTmpfs };
  Type type = Type::kBind;
  std::filesystem::path source;  // host file or directory (kBind)
  std::string target;            // absolute path inside the container
  bool readonly = false;
  uint64_t tmpfs_size = 0;  // bytes; 0: the kernel's default (kTmpfs)
};

struct ContainerSpec {
  // Snapshot directories (see unpack_snapshot), the base image's lowest
  // layer first. Empty for a stage FROM scratch.
  std::vector<std::filesystem::path> lowers;
  // An empty directory that receives the changes in overlayfs's upper-layer
  // form: deletions as 0/0 character devices, replaced directories marked
  // opaque (xattr trusted.overlay.opaque=y). write_layer() turns it into a
  // layer.
  std::filesystem::path upper;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "KEY=VALUE", exactly the process's environment
  std::string cwd = "/";         // created when missing (and kept, like BuildKit)
  // "uid[:gid]" or "name[:group]", names resolved with the container's
  // /etc/passwd and /etc/group; empty: root. Supplementary groups of a named
  // user come from /etc/group.
  std::string user;
  bool host_network = false;  // otherwise a new network namespace with lo up
  std::string hostname = "buildkitsandbox";
  std::vector<ContainerMount> mounts;  // applied in order, after the standard ones
  // Receives stdout and stderr together as they arrive. Never null.
  std::function<void(std::string_view)> output;
};

struct ContainerResult {
  int exit_code = 0;  // the process's exit status; 128+N when killed by signal N
  int signal = 0;     // N when killed by a signal, else 0
};

// Runs `spec.argv` to completion. Throws gantry::Error when the container
// cannot be set up (no privileges for namespaces, an unknown user, a
// missing executable is reported as exit code 127 with a message on the
// output, as a shell would).
ContainerResult run_container(const ContainerSpec& spec);

// Unpacks a layer blob into `dir` (created, must not exist or be empty) as
// an overlayfs lower layer: OCI whiteouts become 0/0 character devices and
// `.wh..wh..opq` marks its directory opaque. Limits as unpack_layer.
void unpack_snapshot(std::string_view blob, const std::filesystem::path& dir,
                     const UnpackLimits& limits = {});

// The uid, gid and supplementary groups `user` ("uid[:gid]" or
// "name[:group]") stands for in the filesystem of `lowers` + `upper` (the
// topmost /etc/passwd and /etc/group that is not whited out). Throws
// gantry::Error for a name that is not there.
struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  std::string home;  // the passwd entry's home directory; empty without an entry
};
ResolvedUser resolve_user(const std::vector<std::filesystem::path>& lowers,
                          const std::filesystem::path& upper, const std::string& user);

}  // namespace gantry::build
