// The on-disk form overlayfs uses for layers, which gantry's snapshot and
// upper directories share: a deletion is a 0/0 character device, a
// directory that hides the ones below it has trusted.overlay.opaque=y.
// And the path splitting every image path walk uses.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::build {

bool is_whiteout(const struct stat& st);
bool is_opaque(const std::filesystem::path& dir);

// The components of a '/'-separated path, without empty ones and ".".
std::vector<std::string> path_components(std::string_view path);

// Resolves `path` inside a root as if the root were `/`: `..` stops at the
// root, symbolic links of the components (of the last one only when
// `follow_last`) are followed, at most 255 of them. `link_target(path)`
// gets the resolved components so far plus the next one and returns the
// link's target when that is a symbolic link. Returns the components.
std::vector<std::string> resolve_components(
    std::string_view path, bool follow_last,
    const std::function<std::optional<std::string>(const std::vector<std::string>&)>& link_target);

}  // namespace gantry::build
