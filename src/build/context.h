// The build context: the directory COPY and ADD read from, with the files
// .dockerignore excludes left out, COPY sources matched like BuildKit does
// (wildcards per path, a directory copies its contents), and content
// digests of what a step reads, for its cache key. File digests are kept in
// a stat cache (size, mtime, ctime, inode), so an unchanged rebuild reads no
// file content.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "build/dockerignore.h"
#include "core/error.h"

namespace gantry::build {

class BuildContext {
 public:
  // `stat_cache` (may be empty) is the file that keeps content digests between builds.
  BuildContext(std::filesystem::path root, IgnoreRules ignore, std::filesystem::path stat_cache);
  ~BuildContext();
  BuildContext(const BuildContext&) = delete;
  BuildContext& operator=(const BuildContext&) = delete;

  const std::filesystem::path& root() const { return root_; }

  // The context paths (relative, '/'-separated, "." for the root) a COPY
  // source names: one path, or every path a wildcard matches, sorted.
  // Throws at `where` when the source leaves the context, is excluded or
  // matches nothing.
  std::vector<std::string> match(std::string_view source, const Location& where) const;

  // Every path below `rel` (itself first when it is a file), not excluded
  // by .dockerignore nor by `excludes` (patterns relative to `rel`), sorted;
  // directories included.
  std::vector<std::string> walk(std::string_view rel,
                                const std::vector<std::string>& excludes = {}) const;

  // The digest of paths (as walk() returns them): names, types, modes,
  // link targets and file contents.
  std::string digest(const std::vector<std::string>& paths) const;

  // Writes the stat cache back (when it changed).
  void save() const;

 private:
  std::string file_digest(const std::string& rel, const struct stat& st) const;

  std::filesystem::path root_;
  IgnoreRules ignore_;
  std::filesystem::path cache_path_;
  struct CacheEntry {
    int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
    uint64_t ino = 0;
    std::string sha;
  };
  mutable std::mutex mu_;
  mutable std::map<std::string, CacheEntry> cache_;
  mutable bool dirty_ = false;
};

}  // namespace gantry::build
