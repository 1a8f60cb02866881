// OCI image layout directories (oci:DIR[:TAG]): an `oci-layout` file,
// `index.json` and content-addressed `blobs/<alg>/<hex>`.
//
// Writes are crash-safe: blobs go to a temporary file, are verified against
// their digest and size, then renamed into place; index.json is replaced
// atomically and last, so a failed copy leaves no tag pointing at missing
// content.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "oci/digest.h"
#include "oci/manifest.h"

namespace gantry::oci {

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

// Streams one blob into a layout. Data is hashed as it is written; commit()
// checks digest and size and moves the file into place. Destroying an
// uncommitted writer removes the temporary file.
class BlobWriter {
 public:
  // `hash` false: the caller verifies the digest itself (a registry download
  // does) and commit() checks only the size.
  BlobWriter(std::filesystem::path final_path, Descriptor expected, bool hash = true);
  ~BlobWriter();
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  void write(std::string_view chunk);
  // Starts over (a download is being retried from the beginning).
  void restart();
  void commit();

 private:
  std::filesystem::path final_;
  std::filesystem::path tmp_;
  Descriptor expected_;
  int fd_ = -1;
  Hasher hasher_;
  bool hash_ = true;
  uint64_t written_ = 0;
  bool committed_ = false;
};

class Layout {
 public:
  // Opens an existing layout; throws Error (kNotFound / kInvalidInput) when
  // the directory is not one.
  static Layout open(const std::filesystem::path& dir);
  // Opens or creates (directory, oci-layout, empty index.json).
  static Layout open_or_create(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path blob_path(const Digest& d) const;
  // True when the blob exists with the given size (size < 0: any size).
  bool has_blob(const Digest& d, int64_t size = -1) const;
  std::unique_ptr<BlobWriter> write_blob(const Descriptor& d, bool hash = true) const;
  void put_blob(const Descriptor& d, std::string_view bytes) const;
  // Reads a blob (at most max_bytes) and verifies its digest.
  std::string read_blob(const Digest& d, size_t max_bytes) const;

  // The index.json document.
  doc::Value read_index() const;
  // The descriptor tagged `tag`; an empty tag selects the only manifest of
  // the index. A tag starting with "sha256:" selects by digest.
  Descriptor resolve(std::string_view tag) const;
  // Adds (or replaces) the index entry for `tag` (none when empty), atomically.
  void set_tag(std::string_view tag, const Descriptor& d) const;

 private:
  explicit Layout(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

}  // namespace gantry::oci
