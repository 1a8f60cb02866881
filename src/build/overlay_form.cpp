#include "build/overlay_form.h"

#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "core/error.h"

namespace gantry::build {

bool is_whiteout(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_opaque(const std::filesystem::path& dir) {
  char v[2] = {0, 0};
  return ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

std::vector<std::string> path_components(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (!part.empty() && part != ".") out.emplace_back(part);
  }
  return out;
}

std::vector<std::string> resolve_components(
    std::string_view path, bool follow_last,
    const std::function<std::optional<std::string>(const std::vector<std::string>&)>& link_target) {
  constexpr int kMaxLinks = 255;
  std::vector<std::string> todo = path_components(path);
  std::vector<std::string> done;  // resolved components, no symlinks
  int links = 0;
  size_t i = 0;
  while (i < todo.size()) {
    std::string part = todo[i++];
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    bool last = i == todo.size();
    done.push_back(part);
    std::optional<std::string> target;
    if (!last || follow_last) target = link_target(done);
    if (!target) continue;
    done.pop_back();
    if (++links > kMaxLinks)
      throw Error("too many levels of symbolic links in " + std::string(path));
    std::vector<std::string> rest = path_components(*target);
    rest.insert(rest.end(), todo.begin() + static_cast<std::ptrdiff_t>(i), todo.end());
    if (!target->empty() && target->front() == '/') done.clear();
    todo = std::move(rest);
    i = 0;
  }
  return done;
}

}  // namespace gantry::build
