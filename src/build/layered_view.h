// A read-only view of a stage's filesystem as overlayfs would show it,
// computed from its snapshot directories (lowest first) without mounting
// anything: deletions (0/0 character devices) hide what is below them, an
// opaque directory hides the directories of the same path below it, and
// symbolic links resolve inside the view. COPY uses it to find where its
// destination really is and to read the sources of COPY --from.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::build {

class LayeredView {
 public:
  explicit LayeredView(std::vector<std::filesystem::path> layers) : layers_(std::move(layers)) {}

  struct Entry {
    std::string path;            // the image path after resolving links ("/a/b")
    std::filesystem::path host;  // the file in the topmost snapshot that has it
    struct stat st {};
  };

  // Looks up an image path; symlinks of the directories on the way are
  // followed inside the view, the last component only when `follow_last`.
  // nullopt when it does not exist.
  std::optional<Entry> lookup(std::string_view path, bool follow_last = true) const;

  // The image path `path` resolves to (links of its parents followed, and of
  // the last component when `follow_last`), whether it exists or not.
  std::string resolve(std::string_view path, bool follow_last) const;

  // Names in a directory (an already resolved path), merged over the
  // layers, sorted.
  std::vector<std::string> list(const std::string& dir) const;

 private:
  // The entry for a path that has no symlinks in its parents.
  std::optional<Entry> find_exact(const std::string& path) const;

  std::vector<std::filesystem::path> layers_;
};

}  // namespace gantry::build
