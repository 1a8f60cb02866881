#include "core/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "core/error.h"

namespace gantry {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path, size_t max_bytes) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw Error(Location{path.string()}, "file not found", ExitCode::kNotFound);
  if (fs::is_directory(status)) throw Error(Location{path.string()}, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(Location{path.string()}, std::string("cannot open: ") + std::strerror(errno));
  std::string data;
  auto size = fs::file_size(path, ec);
  if (!ec) {
    if (size > max_bytes)
      throw Error(Location{path.string()}, "file is " + std::to_string(size) +
                                               " bytes, over the limit of " +
                                               std::to_string(max_bytes));
    data.reserve(size);
  }
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > max_bytes)
      throw Error(Location{path.string()},
                  "file is over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return data;
}

void write_file_atomic(const fs::path& path, std::string_view data) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::random_device rd;
  fs::path tmp = dir / ("." + path.filename().string() + ".tmp" + std::to_string(rd()));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
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
  ::fsync(fd);
  ::close(fd);
  // Keep the mode of an existing file.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) ::chmod(tmp.c_str(), st.st_mode & 07777);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(Location{path.string()}, std::string("cannot replace: ") + std::strerror(e),
                ExitCode::kExternal);
  }
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
