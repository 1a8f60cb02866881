#include "build/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "build/overlay_form.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "core/parallel.h"

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

// A file's content; the memory is reused between files and never zeroed.
struct Buffer {
  std::unique_ptr<char[]> bytes;
  size_t capacity = 0;
  size_t len = 0;
  const char* data() const { return bytes.get(); }
  size_t size() const { return len; }
  bool empty() const { return len == 0; }
  void clear() { len = 0; }
};

void read_into(const fs::path& path, const struct stat& st, Buffer& buf) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw Error("cannot read " + path.string(), ExitCode::kExternal);
  size_t want = static_cast<size_t>(st.st_size);
  if (buf.capacity < want) {
    buf.bytes.reset(new char[want]);
    buf.capacity = want;
  }
  buf.len = want;
  size_t got = 0;
  while (got < want) {
    ssize_t n = ::read(fd, buf.bytes.get() + got, want - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got != buf.size())
    throw Error(path.string() + " changed while it was read", ExitCode::kExternal);
}

// gzip with mtime 0, no file name, OS "unknown": the data is cut into fixed
// 1 MiB chunks, each compressed in parallel (libdeflate, level 1) into its
// own gzip member; the members are concatenated (RFC 1952 allows several;
// Go's, containerd's, libarchive's and zlib's readers read them all). Fixed
// chunking makes the output independent of the number of threads.
constexpr size_t kChunk = 1 << 20;

std::string gzip(const std::string& data) {
  size_t chunks = std::max<size_t>(1, (data.size() + kChunk - 1) / kChunk);
  std::vector<std::string> parts(chunks);
  size_t jobs = std::max(1u, std::thread::hardware_concurrency());
  parallel_for(chunks, jobs, [&](size_t i) {
    size_t begin = std::min(data.size(), i * kChunk), end = std::min(data.size(), begin + kChunk);
    libdeflate_compressor* c = libdeflate_alloc_compressor(1);
    if (!c) throw Error("libdeflate: cannot start compression", ExitCode::kInternal);
    std::string& out = parts[i];
    out.resize(libdeflate_gzip_compress_bound(c, end - begin));
    size_t n =
        libdeflate_gzip_compress(c, data.data() + begin, end - begin, out.data(), out.size());
    libdeflate_free_compressor(c);
    if (n == 0) throw Error("libdeflate: compression failed", ExitCode::kInternal);
    out.resize(n);
  });
  size_t total = 0;
  for (const std::string& p : parts)
    total += p.size();
  std::string out;
  out.reserve(total);
  for (std::string& p : parts) {
    out += p;
    std::string().swap(p);
  }
  return out;
}

}  // namespace

Layer write_layer(const fs::path& upper, int64_t epoch) {
  std::string tar = layer_tar(upper, epoch);
  return compress_layer(tar, diff_id_of(tar));
}

std::string diff_id_of(const std::string& tar) {
  return "sha256:" + sha256_hex(tar);
}

Layer compress_layer(const std::string& tar, const std::string& diff_id) {
  Layer layer;
  layer.blob = gzip(tar);
  layer.digest = "sha256:" + sha256_hex(layer.blob);
  layer.diff_id = diff_id;
  return layer;
}

std::string layer_tar(const fs::path& upper, int64_t epoch) {
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(upper); it != fs::recursive_directory_iterator();
       ++it)
    paths.push_back(it->path().lexically_relative(upper));  // never follows symlinks
  std::sort(paths.begin(), paths.end(),
            [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });

  // Reserve what the tar will take, so it is not copied while it grows.
  uint64_t estimate = 1024;
  for (const fs::path& rel : paths) {
    struct stat st {};
    if (::lstat((upper / rel).c_str(), &st) == 0 && S_ISREG(st.st_mode))
      estimate += static_cast<uint64_t>(st.st_size) + 511;
    estimate += 1024 + rel.native().size();
  }
  std::string tar;
  tar.reserve(estimate);
  Buffer data;  // one file's content
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
    data.clear();
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
      read_into(full, st, data);
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
  return tar;
}

}  // namespace gantry::build
