#include "build/layered_view.h"

#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <set>

#include "core/error.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxLinks = 255;

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_opaque(const fs::path& dir) {
  char v[2] = {0, 0};
  return ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (!part.empty() && part != ".") out.emplace_back(part);
  }
  return out;
}

}  // namespace

std::optional<LayeredView::Entry> LayeredView::find_exact(const std::string& path) const {
  std::vector<std::string> parts = split(path);
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
  std::vector<std::string> todo = split(path);
  std::vector<std::string> done;
  int links = 0;
  size_t i = 0;
  while (i < todo.size()) {
    std::string part = todo[i++];
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string candidate;
    for (const std::string& d : done)
      candidate += "/" + d;
    candidate += "/" + part;
    bool last = i == todo.size();
    if (!last || follow_last) {
      auto e = find_exact(candidate);
      if (e && S_ISLNK(e->st.st_mode) && !e->host.empty()) {
        if (++links > kMaxLinks)
          throw Error("too many levels of symbolic links in " + std::string(path));
        std::string target = fs::read_symlink(e->host).string();
        std::vector<std::string> rest = split(target);
        rest.insert(rest.end(), todo.begin() + static_cast<std::ptrdiff_t>(i), todo.end());
        if (!target.empty() && target[0] == '/') done.clear();
        todo = std::move(rest);
        i = 0;
        continue;
      }
    }
    done.push_back(part);
  }
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
  std::vector<std::string> parts = split(dir);
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
