// A base image for build tests made without network: a root filesystem of
// Debian's busybox-static (/bin/busybox and a link per applet), /etc/passwd
// with root and `app` (1000), /etc/group with `app` and `extra` (2000, app
// a member), /tmp — written to an OCI layout by `gantry build` FROM scratch.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "core/file.h"
#include "core/process.h"
#include "support/fixtures.h"

namespace gantry::testing {

// Writes a file, creating its directories.
inline void put_file(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::create_directories(path.parent_path());
  write_file_atomic(path, content);
}

// Root, /bin/busybox, and namespaces gantry build's RUN needs (a container
// without CAP_SYS_ADMIN cannot make them).
inline bool busybox_available() {
  if (!std::filesystem::exists("/bin/busybox") || ::geteuid() != 0) return false;
  return run_process({"unshare", "-m", "-p", "-f", "-u", "-i", "-n", "true"}).exit_code == 0;
}

inline void make_busybox_rootfs(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  fs::create_directories(root / "bin");
  fs::create_directories(root / "etc");
  fs::create_directories(root / "tmp");
  fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit);
  fs::copy_file("/bin/busybox", root / "bin/busybox", fs::copy_options::overwrite_existing);
  ProcessResult list = run_process({"/bin/busybox", "--list"});
  size_t start = 0;
  while (start < list.out.size()) {
    size_t nl = list.out.find('\n', start);
    std::string applet = list.out.substr(start, nl - start);
    start = nl == std::string::npos ? list.out.size() : nl + 1;
    std::error_code ec;
    if (!applet.empty() && applet != "busybox")
      fs::create_symlink("busybox", root / "bin" / applet, ec);
  }
  put_file(root / "etc/passwd",
           "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
  put_file(root / "etc/group", "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
}

// Builds the base image into oci:<dir>/base:latest and returns that location.
inline std::string busybox_base(const std::filesystem::path& dir) {
  make_busybox_rootfs(dir / "ctx/rootfs");
  put_file(dir / "ctx/Dockerfile", "FROM scratch\nCOPY rootfs/ /\nCMD [\"/bin/sh\"]\n");
  std::string loc = "oci:" + (dir / "base").string() + ":latest";
  ProcessResult r = run_gantry(
      {"build", (dir / "ctx").string(), "--cache-dir", (dir / "base-cache").string(), "-o", loc});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return loc;
}

}  // namespace gantry::testing
