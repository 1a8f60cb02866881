#include "build/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/file.h"

namespace gantry::build {
namespace {
namespace fs = std::filesystem;

struct Entry {
  std::string path;
  char type = 'f';   // f file, d dir, l symlink, h hard link
  std::string data;  // file content or link target
  int mode = 0644;
};

std::string make_tar(const std::vector<Entry>& entries, bool gzip = false) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  std::vector<char> buf(1 << 20);
  size_t used = 0;
  archive_write_open_memory(a, buf.data(), buf.size(), &used);
  for (const Entry& e : entries) {
    archive_entry* en = archive_entry_new();
    archive_entry_set_pathname(en, e.path.c_str());
    archive_entry_set_perm(en, static_cast<mode_t>(e.mode));
    if (e.type == 'f') {
      archive_entry_set_filetype(en, AE_IFREG);
      archive_entry_set_size(en, static_cast<la_int64_t>(e.data.size()));
    } else if (e.type == 'd') {
      archive_entry_set_filetype(en, AE_IFDIR);
    } else if (e.type == 'l') {
      archive_entry_set_filetype(en, AE_IFLNK);
      archive_entry_set_symlink(en, e.data.c_str());
    } else {
      archive_entry_set_filetype(en, AE_IFREG);
      archive_entry_set_hardlink(en, e.data.c_str());
    }
    archive_write_header(a, en);
    if (e.type == 'f') archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(en);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buf.data(), used);
}

class Unpack : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gantry-unpack-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "root");
    root_ = dir_ / "root";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_, root_;
};

TEST_F(Unpack, FilesLinksAndWhiteouts) {
  unpack_layer(make_tar({{"etc/", 'd', "", 0755},
                         {"etc/hostname", 'f', "box\n", 0600},
                         {"usr/bin/tool", 'f', "#!/bin/sh\n", 0755},
                         {"bin", 'l', "usr/bin"},
                         {"etc/alias", 'h', "etc/hostname"},
                         {"var/cache/a", 'f', "1"},
                         {"var/cache/b", 'f', "2"}},
                        true),
               root_);
  EXPECT_EQ(read_file(root_ / "etc/hostname"), "box\n");
  EXPECT_EQ(fs::status(root_ / "etc/hostname").permissions() & fs::perms::all, fs::perms(0600));
  EXPECT_EQ(fs::read_symlink(root_ / "bin"), "usr/bin");
  EXPECT_TRUE(fs::equivalent(root_ / "etc/alias", root_ / "etc/hostname"));
  // A later layer: writes through the /bin symlink land in usr/bin, whiteouts delete.
  unpack_layer(make_tar({{"bin/other", 'f', "x"},
                         {"etc/.wh.hostname", 'f', ""},
                         {"var/cache/.wh..wh..opq", 'f', ""},
                         {"var/cache/c", 'f', "3"}}),
               root_);
  EXPECT_EQ(read_file(root_ / "usr/bin/other"), "x");
  EXPECT_FALSE(fs::exists(root_ / "etc/hostname"));
  EXPECT_FALSE(fs::exists(root_ / "var/cache/a"));
  EXPECT_FALSE(fs::exists(root_ / "var/cache/b"));
  EXPECT_EQ(read_file(root_ / "var/cache/c"), "3");
  EXPECT_FALSE(fs::exists(root_ / "etc/.wh.hostname"));
}

TEST_F(Unpack, NothingEscapesTheRoot) {
  EXPECT_THROW(unpack_layer(make_tar({{"../evil", 'f', "x"}}), root_), Error);
  EXPECT_THROW(unpack_layer(make_tar({{"a/../../evil", 'f', "x"}}), root_), Error);
  EXPECT_FALSE(fs::exists(dir_ / "evil"));
  // An absolute symlink is followed as if the root were "/".
  unpack_layer(make_tar({{"up", 'l', "/"},
                         {"dotdot", 'l', "../../.."},
                         {"up/inside", 'f', "1"},
                         {"dotdot/also", 'f', "2"}}),
               root_);
  EXPECT_EQ(read_file(root_ / "inside"), "1");
  EXPECT_EQ(read_file(root_ / "also"), "2");
  EXPECT_FALSE(fs::exists(dir_ / "inside"));
  EXPECT_FALSE(fs::exists(dir_ / "also"));
  EXPECT_THROW(unpack_layer(make_tar({{"h", 'h', "../../etc/passwd"}}), root_), Error);
  EXPECT_EQ(resolve_in_root(root_, "/dotdot/x/../y", true), root_ / "y");
}

TEST_F(Unpack, GarbageIsAnError) {
  EXPECT_THROW(unpack_layer("this is not a tar archive at all, not even close.........", root_),
               Error);
}

}  // namespace
}  // namespace gantry::build
