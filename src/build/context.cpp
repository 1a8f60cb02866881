#include "build/context.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "core/digest.h"
#include "core/file.h"
#include "core/parallel.h"
#include "oci/digest.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

bool has_wildcard(std::string_view s) {
  return s.find_first_of("*?[") != std::string_view::npos;
}

std::string join(const std::string& dir, const std::string& name) {
  return dir == "." ? name : dir + "/" + name;
}

int64_t ns(const struct timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

std::string hash_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw Error("cannot read " + path.string(), ExitCode::kNotFound);
  oci::Hasher h;
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      ::close(fd);
      throw Error("cannot read " + path.string());
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return h.finish().hex();
}

}  // namespace

BuildContext::BuildContext(fs::path root, IgnoreRules ignore, fs::path stat_cache)
    : root_(std::move(root)), ignore_(std::move(ignore)), cache_path_(std::move(stat_cache)) {
  if (cache_path_.empty()) return;
  std::error_code ec;
  if (!fs::exists(cache_path_, ec)) return;
  std::string text;
  try {
    text = read_file(cache_path_, 512u << 20);
  } catch (const Error&) {
    return;  // a cache that cannot be read is rebuilt
  }
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    CacheEntry e;
    std::string path;
    if (!(l >> e.ino >> e.size >> e.mtime_ns >> e.ctime_ns >> e.sha)) continue;
    l.get();
    std::getline(l, path);
    if (e.sha.size() == 64 && !path.empty()) cache_[path] = e;
  }
}

BuildContext::~BuildContext() = default;

void BuildContext::save() const {
  std::lock_guard lock(mu_);
  if (!dirty_ || cache_path_.empty()) return;
  std::string out;
  for (const auto& [path, e] : cache_)
    out += std::to_string(e.ino) + ' ' + std::to_string(e.size) + ' ' + std::to_string(e.mtime_ns) +
           ' ' + std::to_string(e.ctime_ns) + ' ' + e.sha + ' ' + path + '\n';
  fs::create_directories(cache_path_.parent_path());
  write_file_atomic(cache_path_, out);
  dirty_ = false;
}

std::vector<std::string> BuildContext::match(std::string_view source, const Location& where) const {
  std::string clean = clean_relative(source);
  if (clean == ".." || clean.rfind("../", 0) == 0)
    throw Error(where, "COPY source " + std::string(source) + " is outside the build context");
  std::vector<std::string> out;
  if (!has_wildcard(clean)) {
    struct stat st {};
    if (::lstat((root_ / clean).c_str(), &st) != 0 || (clean != "." && ignore_.excludes(clean)))
      throw Error(
          where,
          "COPY source " + std::string(source) + " not found in the build context" +
              (clean != "." && ignore_.excludes(clean) ? " (excluded by .dockerignore)" : ""),
          ExitCode::kNotFound);
    out.push_back(clean);
    return out;
  }
  // Walk from the longest directory prefix without wildcards; a matching
  // directory is taken whole.
  std::string prefix = ".";
  size_t cut = clean.rfind('/', clean.find_first_of("*?["));
  if (cut != std::string::npos && cut > 0) prefix = clean.substr(0, cut);
  std::vector<std::string> stack{prefix};
  while (!stack.empty()) {
    std::string dir = stack.back();
    stack.pop_back();
    std::error_code ec;
    for (auto it = fs::directory_iterator(root_ / dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      std::string rel = join(dir, it->path().filename().string());
      if (ignore_.excludes(rel) && !ignore_.has_exceptions()) continue;
      if (glob_match(clean, rel)) {
        if (!ignore_.excludes(rel)) out.push_back(rel);
        continue;
      }
      if (it->is_directory(ec) && !it->is_symlink(ec)) stack.push_back(rel);
    }
  }
  if (out.empty())
    throw Error(where,
                "COPY source " + std::string(source) + " matches no file in the build context",
                ExitCode::kNotFound);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> BuildContext::walk(std::string_view rel,
                                            const std::vector<std::string>& excludes) const {
  std::string start(rel);
  std::vector<std::string> out;
  auto excluded = [&](const std::string& path) {
    if (path != "." && ignore_.excludes(path)) return true;
    if (excludes.empty()) return false;
    std::string inner = start == "." ? path : path.substr(std::min(path.size(), start.size() + 1));
    for (const std::string& p : excludes)
      if (!inner.empty() && glob_match(clean_relative(p), inner)) return true;
    return false;
  };
  struct stat st {};
  if (::lstat((root_ / start).c_str(), &st) != 0) return out;
  out.push_back(start);
  if (!S_ISDIR(st.st_mode)) return out;
  std::vector<std::string> stack{start};
  while (!stack.empty()) {
    std::string dir = stack.back();
    stack.pop_back();
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = fs::directory_iterator(root_ / dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
      names.push_back(it->path().filename().string());
    for (const std::string& name : names) {
      std::string path = join(dir, name);
      bool is_dir = ::lstat((root_ / path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      // An excluded directory may still hold exceptions ("!dir/keep").
      if (excluded(path) && !(is_dir && ignore_.has_exceptions())) continue;
      if (!excluded(path)) out.push_back(path);
      if (is_dir) stack.push_back(path);
    }
  }
  std::sort(out.begin() + 1, out.end());
  return out;
}

std::string BuildContext::file_digest(const std::string& rel, const struct stat& st) const {
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(rel);
    if (it != cache_.end() && it->second.ino == st.st_ino && it->second.size == st.st_size &&
        it->second.mtime_ns == ns(st.st_mtim) && it->second.ctime_ns == ns(st.st_ctim))
      return it->second.sha;
  }
  std::string sha = hash_file(root_ / rel);
  std::lock_guard lock(mu_);
  cache_[rel] = CacheEntry{st.st_size, ns(st.st_mtim), ns(st.st_ctim), st.st_ino, sha};
  dirty_ = true;
  return sha;
}

std::string BuildContext::digest(const std::vector<std::string>& paths) const {
  std::vector<std::string> lines(paths.size());
  parallel_for(paths.size(), kFileJobs, [&](size_t i) {
    const std::string& rel = paths[i];
    struct stat st {};
    if (::lstat((root_ / rel).c_str(), &st) != 0)
      throw Error("cannot read " + (root_ / rel).string(), ExitCode::kNotFound);
    std::string line = rel + '\0' + std::to_string(st.st_mode) + '\0';
    if (S_ISREG(st.st_mode))
      line += file_digest(rel, st);
    else if (S_ISLNK(st.st_mode))
      line += fs::read_symlink(root_ / rel).string();
    lines[i] = std::move(line) + '\n';
  });
  std::string all;
  for (const std::string& l : lines)
    all += l;
  return sha256_hex(all);
}

}  // namespace gantry::build
