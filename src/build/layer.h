// A layer from the upper directory of an overlayfs snapshot: a tar with
// entries sorted by path, deletions as OCI whiteouts (overlayfs marks them
// as 0/0 character devices; an opaque directory, xattr
// trusted.overlay.opaque=y, gets `.wh..wh..opq`), hard links kept, numeric
// owners without names, every mtime clamped to `epoch`, and gzip without a
// name or timestamp, so the same files give the same digest every time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace gantry::build {

struct Layer {
  std::string blob;     // gzip-compressed tar
  std::string digest;   // "sha256:…" of blob
  std::string diff_id;  // "sha256:…" of the uncompressed tar
};

// A layer written to a file.
struct LayerFile {
  std::string digest;   // "sha256:…" of the compressed file
  std::string diff_id;  // "sha256:…" of the uncompressed tar
  int64_t size = 0;     // of the compressed file
};

// Streams the layer of `upper` into the file `out` (created): the tar is
// cut into fixed 1 MiB chunks as it is produced, each compressed in
// parallel (libdeflate, level 1) into its own gzip member, and the members
// are written in order while both digests are computed — memory stays a few
// MiB per core whatever the layer's size. `epoch` is SOURCE_DATE_EPOCH
// (seconds); later mtimes are clamped to it. The output does not depend on
// the number of threads.
LayerFile write_layer_file(const std::filesystem::path& upper, int64_t epoch,
                           const std::filesystem::path& out);

// Only the layer's diff ID: the tar streamed through SHA-256, nothing
// compressed or written. A caller with a blob for that diff ID already (the
// same files as an earlier layer, a rebuild with --no-cache, unchanged files
// under a changed base) then skips the compression, the costly part.
std::string layer_diff_id(const std::filesystem::path& upper, int64_t epoch);

// The same, in memory (for small layers and tests).
Layer write_layer(const std::filesystem::path& upper, int64_t epoch);

}  // namespace gantry::build
