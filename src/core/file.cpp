#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "core/error.h"
#include "core/parallel.h"

namespace gantry {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path, size_t max_bytes) {
  // Plain POSIX calls: open, fstat, read until a short read. Commands that
  // scan thousands of files (gantry update) spend most of their time here.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    if (e == ENOENT || e == ENOTDIR)
      throw Error(Location{path.string()}, "file not found", ExitCode::kNotFound);
    throw Error(Location{path.string()}, std::string("cannot open: ") + std::strerror(e));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw Error(Location{path.string()}, std::string("cannot open: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw Error(Location{path.string()}, "is a directory, not a file");
  bool regular = S_ISREG(st.st_mode);
  size_t size = regular ? static_cast<size_t>(st.st_size) : 0;
  if (size > max_bytes)
    throw Error(Location{path.string()}, "file is " + std::to_string(size) +
                                             " bytes, over the limit of " +
                                             std::to_string(max_bytes));
  std::string data;
  // One byte more than the size, so a file read whole ends in a short read.
  size_t chunk = regular ? size + 1 : 65536;
  size_t used = 0;
  while (true) {
    data.resize(used + chunk);
    ssize_t n = ::read(fd, data.data() + used, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(Location{path.string()}, std::string("cannot read: ") + std::strerror(errno));
    }
    used += static_cast<size_t>(n);
    if (used > max_bytes)
      throw Error(Location{path.string()},
                  "file is over the limit of " + std::to_string(max_bytes) + " bytes");
    if (n == 0 || (regular && static_cast<size_t>(n) < chunk)) break;
    chunk = 65536;
  }
  data.resize(used);
  return data;
}

namespace {

// The process's umask, read once from /proc without changing it (umask(2)
// can only be read by setting it, which races with other threads); 0777
// when unknown, so callers fchmod to be safe.
mode_t process_umask() {
  static const mode_t mask = [] {
    int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return static_cast<mode_t>(0777);
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return static_cast<mode_t>(0777);
    buf[n] = 0;
    const char* p = std::strstr(buf, "\nUmask:");
    if (!p) return static_cast<mode_t>(0777);
    return static_cast<mode_t>(std::strtoul(p + 7, nullptr, 8));
  }();
  return mask;
}

// Writes `data` to a new temporary file beside `path`; returns its path and,
// when `fd_out` is given, leaves it open there (else fsyncs and closes it).
fs::path write_temp(const fs::path& path, std::string_view data, int* fd_out) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::random_device rd;
  fs::path tmp = dir / ("." + path.filename().string() + ".tmp" + std::to_string(rd()));
  // Keep the mode of an existing file: create with it, and fchmod only when
  // the umask took bits away (an fchmod is one more inode update per file).
  struct stat st {};
  bool existed = ::stat(path.c_str(), &st) == 0;
  mode_t mode = existed ? (st.st_mode & 07777) : 0644;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    throw Error(Location{path.string()}, std::string("cannot write: ") + std::strerror(errno),
                ExitCode::kExternal);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error(Location{path.string()}, std::string("cannot write: ") + std::strerror(e),
                  ExitCode::kExternal);
    }
    off += static_cast<size_t>(n);
  }
  if (existed && (mode & process_umask()) != 0) ::fchmod(fd, mode);
  if (fd_out) {
    *fd_out = fd;
  } else {
    ::fsync(fd);
    ::close(fd);
  }
  return tmp;
}

void replace(const fs::path& tmp, const fs::path& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(Location{path.string()}, std::string("cannot replace: ") + std::strerror(e),
                ExitCode::kExternal);
  }
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view data) {
  replace(write_temp(path, data, nullptr), path);
}

void write_files_atomic(const std::vector<std::pair<fs::path, std::string_view>>& files) {
  // Temporary files and renames run on several threads: creating and
  // replacing files is I/O latency, which overlaps well.
  std::vector<fs::path> temps(files.size());
  std::vector<int> fds(files.size(), -1);
  auto discard = [&] {
    for (size_t i = 0; i < files.size(); ++i) {
      if (fds[i] >= 0) ::close(fds[i]);
      if (!temps[i].empty()) ::unlink(temps[i].c_str());
    }
  };
  try {
    parallel_for(files.size(), kFileJobs, [&](size_t i) {
      temps[i] = write_temp(files[i].first, files[i].second, &fds[i]);
    });
    // One sync per filesystem instead of one fsync per file (each costs a
    // journal commit): every new content is on disk before the first rename.
    std::vector<dev_t> synced;
    for (size_t i = 0; i < fds.size(); ++i) {
      struct stat st {};
      if (::fstat(fds[i], &st) != 0) continue;
      if (std::find(synced.begin(), synced.end(), st.st_dev) != synced.end()) continue;
      if (::syncfs(fds[i]) != 0)
        throw Error(Location{files[i].first.string()},
                    std::string("cannot sync: ") + std::strerror(errno), ExitCode::kExternal);
      synced.push_back(st.st_dev);
    }
  } catch (...) {
    discard();
    throw;
  }
  for (int& fd : fds) {
    ::close(fd);
    fd = -1;
  }
  parallel_for(files.size(), kFileJobs, [&](size_t i) { replace(temps[i], files[i].first); });
}

fs::path join_within(const fs::path& root, std::string_view relative) {
  fs::path rel(relative);
  if (rel.is_absolute())
    throw Error("path \"" + std::string(relative) + "\" is absolute; it must be relative to " +
                root.string());
  fs::path joined = (root / rel).lexically_normal();
  if (!is_within(root, joined))
    throw Error("path \"" + std::string(relative) + "\" escapes its root " + root.string());
  return joined;
}

bool is_within(const fs::path& root, const fs::path& path) {
  fs::path r = fs::absolute(root).lexically_normal();
  fs::path p = fs::absolute(path).lexically_normal();
  auto rs = r.string();
  auto ps = p.string();
  while (rs.size() > 1 && rs.back() == '/')
    rs.pop_back();
  while (ps.size() > 1 && ps.back() == '/')
    ps.pop_back();
  if (ps == rs) return true;
  if (rs == "/") return true;
  return ps.size() > rs.size() && ps.compare(0, rs.size(), rs) == 0 && ps[rs.size()] == '/';
}

}  // namespace gantry
