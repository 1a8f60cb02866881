#include "build/layered_view.h"

#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>

#include "build/overlay_form.h"
#include "core/error.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {}  // namespace

std::optional<LayeredView::Entry> LayeredView::find_exact(const std::string& path) const {
  std::vector<std::string> parts = path_components(path);
  for (size_t i = layers_.size(); i-- > 0;) {
    const fs::path& layer = layers_[i];
    // Is the path, or one of its parents, deleted, replaced or made opaque here?
    fs::path host = layer;
    bool stop = false;
    for (size_t k = 0; k < parts.size(); ++k) {
      host /= parts[k];
      struct stat st {};
      if (::lstat(host.c_str(), &st) != 0) break;
      if (is_whiteout(st)) return std::nullopt;
      if (k + 1 == parts.size()) return Entry{path, host, st};
      if (!S_ISDIR(st.st_mode)) return std::nullopt;  // a file replaced the directory
      if (is_opaque(host)) stop = true;
    }
    if (parts.empty()) {
      struct stat st {};
      if (::lstat(layer.c_str(), &st) == 0) return Entry{"/", layer, st};
    }
    if (stop) return std::nullopt;
  }
  if (parts.empty()) {
    Entry root;
    root.path = "/";
    root.st.st_mode = S_IFDIR | 0755;
    return root;
  }
  return std::nullopt;
}

std::string LayeredView::resolve(std::string_view path, bool follow_last) const {
  std::vector<std::string> done = resolve_components(
      path, follow_last, [&](const std::vector<std::string>& parts) -> std::optional<std::string> {
        std::string candidate;
        for (const std::string& d : parts)
          candidate += "/" + d;
        auto e = find_exact(candidate);
        if (!e || !S_ISLNK(e->st.st_mode) || e->host.empty()) return std::nullopt;
        return fs::read_symlink(e->host).string();
      });
  std::string out;
  for (const std::string& d : done)
    out += "/" + d;
  return out.empty() ? "/" : out;
}

std::optional<LayeredView::Entry> LayeredView::lookup(std::string_view path,
                                                      bool follow_last) const {
  return find_exact(resolve(path, follow_last));
}

std::vector<std::string> LayeredView::list(const std::string& dir) const {
  std::set<std::string> names, hidden;
  std::vector<std::string> parts = path_components(dir);
  for (size_t i = layers_.size(); i-- > 0;) {
    fs::path host = layers_[i];
    bool present = true, last_layer = false;
    for (size_t k = 0; k < parts.size(); ++k) {
      host /= parts[k];
      struct stat st {};
      if (::lstat(host.c_str(), &st) != 0) {
        present = false;
        break;
      }
      if (is_whiteout(st) || !S_ISDIR(st.st_mode)) return {names.begin(), names.end()};
      if (is_opaque(host)) last_layer = true;  // hides the layers below for this subtree
    }
    if (present) {
      std::error_code ec;
      for (auto it = fs::directory_iterator(host, ec); !ec && it != fs::directory_iterator();
           it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (hidden.count(name) || names.count(name)) continue;
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && is_whiteout(st))
          hidden.insert(name);
        else
          names.insert(name);
      }
    }
    if (last_layer) break;
  }
  return {names.begin(), names.end()};
}

}  // namespace gantry::build
