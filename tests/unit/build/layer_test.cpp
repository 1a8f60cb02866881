#include "build/layer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "build/unpack.h"
#include "core/error.h"
#include "core/file.h"
#include "core/process.h"

namespace gantry::build {
namespace {
namespace fs = std::filesystem;

class LayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gantry-layer-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An upper directory: files, a hard link, a symlink, a deletion.
  fs::path make_upper(const std::string& name, fs::file_time_type mtime) {
    fs::path up = dir_ / name;
    fs::create_directories(up / "app/sub");
    write_file_atomic(up / "app/main.sh", "echo hi\n");
    write_file_atomic(up / "app/sub/data", "data");
    fs::create_hard_link(up / "app/sub/data", up / "app/data-link");
    fs::create_symlink("main.sh", up / "app/run");
    fs::permissions(up / "app/main.sh", fs::perms(0755));
    if (::mknod((up / "app/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) deletions_ = false;
    for (const auto& e : fs::recursive_directory_iterator(up))
      if (!e.is_symlink()) fs::last_write_time(e.path(), mtime);
    fs::last_write_time(up / "app", mtime);
    return up;
  }
  fs::path dir_;
  bool deletions_ = true;
};

TEST_F(LayerTest, SameFilesSameDigestWhateverTheClock) {
  auto now = fs::file_time_type::clock::now();
  Layer a = write_layer(make_upper("a", now), 1700000000);
  Layer b = write_layer(make_upper("b", now - std::chrono::hours(5)), 1700000000);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.diff_id, b.diff_id);
  EXPECT_NE(a.digest, a.diff_id);
  EXPECT_EQ(a.digest.substr(0, 7), "sha256:");
  Layer c = write_layer(make_upper("c", now), 1600000000);
  EXPECT_NE(a.digest, c.digest);  // the epoch is in the tar
}

TEST_F(LayerTest, RoundTripThroughUnpackAppliesDeletions) {
  fs::path up = make_upper("up", fs::file_time_type::clock::now());
  ASSERT_TRUE(deletions_) << "mknod of a whiteout needs root";
  Layer layer = write_layer(up, 1700000000);
  fs::path root = dir_ / "root";
  fs::create_directories(root / "app");
  write_file_atomic(root / "app/gone", "old");
  unpack_layer(layer.blob, root);
  EXPECT_FALSE(fs::exists(root / "app/gone"));
  EXPECT_EQ(read_file(root / "app/main.sh"), "echo hi\n");
  EXPECT_EQ(fs::status(root / "app/main.sh").permissions() & fs::perms::all, fs::perms(0755));
  EXPECT_TRUE(fs::equivalent(root / "app/data-link", root / "app/sub/data"));
  EXPECT_EQ(fs::read_symlink(root / "app/run"), "main.sh");
  struct stat st {};
  ASSERT_EQ(::stat((root / "app/main.sh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1700000000);
}

TEST_F(LayerTest, ExtendedAttributesAreKeptAndOverlaysOwnAreNot) {
  fs::path up = dir_ / "xattrs";
  fs::create_directories(up / "bin");
  write_file_atomic(up / "bin/ping", "binary");
  write_file_atomic(up / "bin/plain", "binary");
  if (::lsetxattr((up / "bin/ping").c_str(), "user.origin", "course", 6, 0) != 0)
    GTEST_SKIP() << "this file system has no user.* extended attributes";
  // A file capability (VFS_CAP_REVISION_2, cap_net_raw permitted+effective): needs root.
  const unsigned char cap[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  bool caps =
      ::lsetxattr((up / "bin/ping").c_str(), "security.capability", cap, sizeof cap, 0) == 0;
  bool overlay = ::lsetxattr(up.c_str(), "trusted.overlay.origin", "x", 1, 0) == 0;
  Layer layer = write_layer(up, 1700000000);
  fs::path root = dir_ / "xattrs-root";
  fs::create_directories(root);
  unpack_layer(layer.blob, root);
  char buf[64];
  ssize_t n = ::lgetxattr((root / "bin/ping").c_str(), "user.origin", buf, sizeof buf);
  ASSERT_EQ(n, 6);
  EXPECT_EQ(std::string(buf, 6), "course");
  EXPECT_LT(::lgetxattr((root / "bin/plain").c_str(), "user.origin", buf, sizeof buf), 0);
  if (caps) {
    n = ::lgetxattr((root / "bin/ping").c_str(), "security.capability", buf, sizeof buf);
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof cap));
    EXPECT_EQ(std::memcmp(buf, cap, sizeof cap), 0);
  }
  if (overlay) {
    EXPECT_LT(::lgetxattr(root.c_str(), "trusted.overlay.origin", buf, sizeof buf), 0);
  }
  // As PAX SCHILY.xattr records, which Go's archive/tar (containerd, Docker) reads.
  fs::path blob = dir_ / "xattrs.tar.gz";
  write_file_atomic(blob, layer.blob);
  ProcessResult tar = run_process({"sh", "-c", "gzip -dc " + blob.string() + " | strings"});
  EXPECT_NE(tar.out.find("SCHILY.xattr.user.origin=course"), std::string::npos) << tar.out;
  EXPECT_EQ(tar.out.find("LIBARCHIVE.xattr"), std::string::npos);
  // The same attributes give the same digest.
  EXPECT_EQ(write_layer(up, 1700000000).digest, layer.digest);
}

}  // namespace
}  // namespace gantry::build
