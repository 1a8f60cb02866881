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

// `epoch` is SOURCE_DATE_EPOCH (seconds); later mtimes are clamped to it.
Layer write_layer(const std::filesystem::path& upper, int64_t epoch);

// The two halves of write_layer: the uncompressed tar, and its digest with
// the compressed blob (gzip in parallel, deterministic). A caller that
// already has a blob for the tar's diff ID can skip the compression.
std::string layer_tar(const std::filesystem::path& upper, int64_t epoch);
std::string diff_id_of(const std::string& tar);
Layer compress_layer(const std::string& tar, const std::string& diff_id);

}  // namespace gantry::build
