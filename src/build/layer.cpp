#include "build/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t write_cb(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

bool is_opaque(const fs::path& dir) {
  char v[2] = {0, 0};
  ssize_t n = ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

// gzip with mtime 0, no file name, OS byte "unknown": stable output.
std::string gzip(const std::string& data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("zlib: cannot start compression", ExitCode::kInternal);
  gz_header header{};
  header.os = 255;
  deflateSetHeader(&zs, &header);
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 64);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int r = deflate(&zs, Z_FINISH);
  size_t used = zs.total_out;
  deflateEnd(&zs);
  if (r != Z_STREAM_END) throw Error("zlib: compression failed", ExitCode::kInternal);
  out.resize(used);
  return out;
}

}  // namespace

Layer write_layer(const fs::path& upper, int64_t epoch) {
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(upper); it != fs::recursive_directory_iterator();
       ++it)
    paths.push_back(it->path().lexically_relative(upper));  // never follows symlinks
  std::sort(paths.begin(), paths.end(),
            [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });

  std::string tar;
  std::unique_ptr<archive, WriteCloser> out(archive_write_new());
  archive_write_set_format_pax_restricted(out.get());
  archive_write_set_bytes_in_last_block(out.get(), 1);
  if (archive_write_open(out.get(), &tar, nullptr, write_cb, nullptr) != ARCHIVE_OK)
    throw Error("cannot start the layer tar", ExitCode::kInternal);
  std::map<std::pair<dev_t, ino_t>, std::string> seen;  // hard links
  auto add = [&](const std::string& name, const struct stat& st, const fs::path& full,
                 bool whiteout) {
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_uid(e.get(), st.st_uid);
    archive_entry_set_gid(e.get(), st.st_gid);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_mtime(e.get(), std::min<int64_t>(st.st_mtime, epoch), 0);
    std::string data;
    if (whiteout) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_perm(e.get(), 0);
      archive_entry_set_size(e.get(), 0);
      archive_write_header(out.get(), e.get());
      return;
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      auto key = std::make_pair(st.st_dev, st.st_ino);
      auto found = seen.find(key);
      if (found != seen.end()) {
        archive_entry_set_filetype(e.get(), AE_IFREG);
        archive_entry_set_hardlink(e.get(), found->second.c_str());
        archive_entry_set_size(e.get(), 0);
        archive_write_header(out.get(), e.get());
        return;
      }
      seen[key] = name;
    }
    if (S_ISREG(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      data = read_file(full, ~size_t{0} >> 1);
      archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    } else if (S_ISDIR(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), fs::read_symlink(full).c_str());
    } else if (S_ISFIFO(st.st_mode)) {
      archive_entry_set_filetype(e.get(), AE_IFIFO);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
      archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
      archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
    } else {
      return;  // sockets are not stored
    }
    if (archive_write_header(out.get(), e.get()) < ARCHIVE_WARN)
      throw Error("cannot add " + name + " to the layer: " + archive_error_string(out.get()));
    if (!data.empty()) archive_write_data(out.get(), data.data(), data.size());
  };
  for (const fs::path& rel : paths) {
    fs::path full = upper / rel;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) throw Error("cannot stat " + full.string());
    std::string name = rel.generic_string();
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {  // overlayfs deletion
      std::string parent = rel.parent_path().generic_string();
      add((parent.empty() ? "" : parent + "/") + ".wh." + rel.filename().string(), st, full, true);
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      add(name + "/", st, full, false);
      if (is_opaque(full)) add(name + "/.wh..wh..opq", st, full, true);
      continue;
    }
    add(name, st, full, false);
  }
  archive_write_close(out.get());
  Layer layer;
  layer.diff_id = "sha256:" + sha256_hex(tar);
  layer.blob = gzip(tar);
  layer.digest = "sha256:" + sha256_hex(layer.blob);
  return layer;
}

}  // namespace gantry::build
