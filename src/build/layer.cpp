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
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "build/overlay_form.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "oci/digest.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

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

// gzip with mtime 0, no file name, OS "unknown": the tar is cut into fixed
// 1 MiB chunks, each compressed in parallel (libdeflate, level 1) into its
// own gzip member; the members are concatenated (RFC 1952 allows several;
// Go's, containerd's, libarchive's and zlib's readers read them all). Fixed
// chunking makes the output independent of the number of threads.
constexpr size_t kChunk = 1 << 20;

// Where the tar stream goes.
class TarSink {
 public:
  virtual ~TarSink() = default;
  virtual void write(const char* p, size_t n) = 0;
};

// Only the digest of the tar (its diff ID).
class HashSink : public TarSink {
 public:
  void write(const char* p, size_t n) override { hash_.update(p, n); }
  std::string finish() { return hash_.finish().str(); }

 private:
  oci::Hasher hash_;
};

// Chunks in, compressed members out to `fd` in order; both digests on the way.
class GzipPipeline : public TarSink {
 public:
  explicit GzipPipeline(int fd)
      : fd_(fd), workers_(std::max(1u, std::thread::hardware_concurrency())) {
    limit_ = workers_ * 2 + 2;
    for (size_t i = 0; i < workers_; ++i)
      threads_.emplace_back([this] { compress_loop(); });
    threads_.emplace_back([this] { write_loop(); });
    current_ = take_buffer();
  }
  ~GzipPipeline() override { stop(); }

  void write(const char* p, size_t n) override {
    while (n > 0) {
      size_t take = std::min(n, kChunk - current_len_);
      std::memcpy(current_.get() + current_len_, p, take);
      current_len_ += take;
      p += take;
      n -= take;
      if (current_len_ == kChunk) submit();
    }
  }

  LayerFile finish() {
    if (current_len_ > 0 || next_ == 0) submit();
    {
      std::unique_lock g(mu_);
      written_cv_.wait(g, [this] { return written_ == next_ || failed_; });
    }
    stop();
    if (!error_.empty()) throw Error(error_, ExitCode::kExternal);
    LayerFile f;
    f.diff_id = raw_hash_.finish().str();
    f.digest = gz_hash_.finish().str();
    f.size = static_cast<int64_t>(bytes_);
    return f;
  }

 private:
  struct Slot {
    std::unique_ptr<char[]> raw;
    size_t raw_len = 0;
    std::unique_ptr<char[]> gz;
    size_t gz_len = 0;
    bool done = false;
  };

  std::unique_ptr<char[]> take_buffer() {
    std::lock_guard g(mu_);
    if (!free_.empty()) {
      auto b = std::move(free_.back());
      free_.pop_back();
      return b;
    }
    return std::unique_ptr<char[]>(new char[kChunk]);  // not zeroed
  }

  void submit() {
    std::unique_lock g(mu_);
    space_cv_.wait(g, [this] { return next_ - written_ < limit_ || failed_; });
    if (failed_) throw Error(error_, ExitCode::kExternal);
    Slot& s = slots_[next_];
    s.raw = std::move(current_);
    s.raw_len = current_len_;
    pending_.push_back(next_++);
    g.unlock();
    work_cv_.notify_one();
    current_ = take_buffer();
    current_len_ = 0;
  }

  void compress_loop() {
    libdeflate_compressor* c = libdeflate_alloc_compressor(1);
    for (;;) {
      size_t i;
      Slot* s;
      std::unique_ptr<char[]> out;
      {
        std::unique_lock g(mu_);
        work_cv_.wait(g, [this] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) break;
        i = pending_.front();
        pending_.pop_front();
        s = &slots_[i];
        if (!gz_free_.empty()) {
          out = std::move(gz_free_.back());
          gz_free_.pop_back();
        }
      }
      size_t bound = c ? libdeflate_gzip_compress_bound(c, kChunk) : 0;
      if (!out) out.reset(new char[bound]);  // not zeroed
      size_t n = c ? libdeflate_gzip_compress(c, s->raw.get(), s->raw_len, out.get(), bound) : 0;
      {
        std::lock_guard g(mu_);
        if (n == 0) fail("libdeflate: compression failed");
        s->gz = std::move(out);
        s->gz_len = n;
        s->done = true;
      }
      done_cv_.notify_all();
    }
    if (c) libdeflate_free_compressor(c);
  }

  void write_loop() {
    for (;;) {
      Slot* s;
      {
        std::unique_lock g(mu_);
        done_cv_.wait(g, [this] {
          auto it = slots_.find(written_);
          return stopping_ || failed_ || (it != slots_.end() && it->second.done);
        });
        auto it = slots_.find(written_);
        if (failed_ || it == slots_.end() || !it->second.done) break;
        s = &it->second;
      }
      raw_hash_.update(s->raw.get(), s->raw_len);
      gz_hash_.update(s->gz.get(), s->gz_len);
      size_t off = 0;
      while (off < s->gz_len) {
        ssize_t w = ::write(fd_, s->gz.get() + off, s->gz_len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          std::lock_guard g(mu_);
          fail("cannot write the layer: " + std::string(std::strerror(errno)));
          break;
        }
        off += static_cast<size_t>(w);
      }
      {
        std::lock_guard g(mu_);
        bytes_ += s->gz_len;
        free_.push_back(std::move(s->raw));
        gz_free_.push_back(std::move(s->gz));
        slots_.erase(written_++);
      }
      space_cv_.notify_all();
      written_cv_.notify_all();
    }
    space_cv_.notify_all();
    written_cv_.notify_all();
  }

  void fail(const std::string& why) {  // with mu_ held
    if (!failed_) error_ = why;
    failed_ = true;
  }

  void stop() {
    {
      std::lock_guard g(mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    work_cv_.notify_all();
    done_cv_.notify_all();
    for (std::thread& t : threads_)
      t.join();
  }

  int fd_;
  size_t workers_, limit_ = 0;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_, space_cv_, written_cv_;
  std::deque<size_t> pending_;
  std::map<size_t, Slot> slots_;
  std::vector<std::unique_ptr<char[]>> free_, gz_free_;
  std::unique_ptr<char[]> current_;
  size_t current_len_ = 0;
  size_t next_ = 0, written_ = 0;
  uint64_t bytes_ = 0;
  bool stopping_ = false, failed_ = false;
  std::string error_;
  oci::Hasher raw_hash_, gz_hash_;
};

// Extended attributes (file capabilities, user.*), sorted by name, as PAX
// SCHILY.xattr records (what Docker, containerd and BuildKit write and read);
// overlayfs' own trusted.overlay.* are never stored.
void add_xattrs(archive_entry* e, const fs::path& full) {
  ssize_t len = ::llistxattr(full.c_str(), nullptr, 0);
  if (len <= 0) return;
  std::string names(static_cast<size_t>(len), '\0');
  len = ::llistxattr(full.c_str(), names.data(), names.size());
  if (len <= 0) return;
  names.resize(static_cast<size_t>(len));
  std::vector<std::string> sorted;
  for (size_t i = 0; i < names.size();) {
    std::string name(names.c_str() + i);
    i += name.size() + 1;
    if (!name.empty() && name.rfind("trusted.overlay.", 0) != 0) sorted.push_back(name);
  }
  std::sort(sorted.begin(), sorted.end());
  for (const std::string& name : sorted) {
    ssize_t vlen = ::lgetxattr(full.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) continue;
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = ::lgetxattr(full.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) continue;
    archive_entry_xattr_add_entry(e, name.c_str(), value.data(), static_cast<size_t>(vlen));
  }
}

la_ssize_t write_cb(archive*, void* client, const void* buf, size_t n) {
  try {  // never through libarchive's C frames; finish() reports the failure
    static_cast<TarSink*>(client)->write(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    return -1;
  }
}

// The layer tar of `upper`, streamed into `sink`.
void write_tar(const fs::path& upper, int64_t epoch, TarSink& sink) {
  std::vector<fs::path> paths;
  for (auto it = fs::recursive_directory_iterator(upper); it != fs::recursive_directory_iterator();
       ++it)
    paths.push_back(it->path().lexically_relative(upper));  // never follows symlinks
  std::sort(paths.begin(), paths.end(),
            [](const fs::path& a, const fs::path& b) { return a.string() < b.string(); });

  Buffer data;  // one file's content
  std::unique_ptr<archive, WriteCloser> out(archive_write_new());
  archive_write_set_format_pax_restricted(out.get());
  archive_write_set_bytes_per_block(out.get(), 0);  // straight to the pipeline, no blocking
  archive_write_set_option(out.get(), "pax", "xattrheader", "SCHILY");
  if (archive_write_open(out.get(), &sink, nullptr, write_cb, nullptr) != ARCHIVE_OK)
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
    add_xattrs(e.get(), full);
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
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    throw Error("cannot finish the layer tar: " + std::string(archive_error_string(out.get())),
                ExitCode::kExternal);
}

}  // namespace

std::string layer_diff_id(const fs::path& upper, int64_t epoch) {
  HashSink sink;
  write_tar(upper, epoch, sink);
  return sink.finish();
}

LayerFile write_layer_file(const fs::path& upper, int64_t epoch, const fs::path& out_file) {
  int fd = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw Error("cannot create " + out_file.string() + ": " + std::strerror(errno),
                ExitCode::kExternal);
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  GzipPipeline pipeline(fd);
  write_tar(upper, epoch, pipeline);
  return pipeline.finish();
}

Layer write_layer(const fs::path& upper, int64_t epoch) {
  fs::path file = upper.parent_path() / (upper.filename().string() + ".layer.tar.gz");
  LayerFile f = write_layer_file(upper, epoch, file);
  Layer layer{read_file(file, 1u << 30), f.digest, f.diff_id};
  fs::remove(file);
  return layer;
}

}  // namespace gantry::build
