// Unpacking an image layer (a tar, gzip or zstd compressed or not) into a
// root directory, as container runtimes apply layers: OCI whiteouts
// (`.wh.NAME` deletes NAME, `.wh..wh..opq` empties the directory), hard
// links, ownership, modes, times and xattrs kept. Entry paths are resolved
// inside the root (symlinks followed as if the root were `/`), so no entry,
// link target or `..` can write outside it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

namespace gantry::build {

struct UnpackLimits {
  uint64_t max_entries = 1'000'000;
  uint64_t max_bytes = 64ull << 30;  // uncompressed
};

// What OCI whiteout entries become.
enum class Whiteouts {
  kApply,    // delete what they name (applying a layer onto a root filesystem)
  kOverlay,  // overlayfs form: 0/0 character devices and the opaque xattr (a snapshot)
  kKeep,     // ordinary files (an archive ADD extracts, which is not a layer)
};

// Applies the layer in `blob` on top of `root`. Throws gantry::Error naming
// the entry for a malformed archive, a path that escapes the root or a limit.
void unpack_layer(std::string_view blob, const std::filesystem::path& root,
                  const UnpackLimits& limits = {}, Whiteouts whiteouts = Whiteouts::kApply);

// The real path of `relative` (a path inside an image, absolute or not)
// under `root`, with symlinks of existing components followed inside the
// root; the last component is not followed when `follow_last` is false.
std::filesystem::path resolve_in_root(const std::filesystem::path& root, std::string_view relative,
                                      bool follow_last);

}  // namespace gantry::build
