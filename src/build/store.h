// The build cache directory (default $XDG_CACHE_HOME/gantry/build):
//   blobs/        an OCI layout: layer, config and manifest blobs, base images
//   snapshots/    one directory per layer diff ID in overlayfs lower form
//   steps/        one record per step cache key: the layer a step produced
//   mounts/       RUN --mount=type=cache directories by id
//   context/      stat caches of build contexts
//   tmp/          work directories, removed when done
// Everything is written to tmp/ and renamed into place, so concurrent builds
// and interrupted ones never see half an entry.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "oci/layout.h"

namespace gantry::build {

// What one layer-producing step left behind.
struct StepRecord {
  std::string digest;   // of the compressed layer; empty: the step changed nothing
  std::string diff_id;  // of the uncompressed tar
  int64_t size = 0;
  std::string media_type;
};

class Store {
 public:
  explicit Store(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  const oci::Layout& blobs() const { return blobs_; }

  std::optional<StepRecord> find_step(const std::string& key) const;
  // Moves `file` (under tmp/, its content matching `d`) into the blob store.
  void adopt_blob(const std::filesystem::path& file, const oci::Descriptor& d) const;
  // The stored blob of a layer by its diff ID (a step that made the same
  // files as an earlier one reuses its blob instead of compressing again).
  std::optional<StepRecord> find_layer(const std::string& diff_id) const;
  void put_step(const std::string& key, const StepRecord& record) const;

  // The snapshot directory of a layer, unpacked from its blob when missing.
  std::filesystem::path snapshot(const StepRecord& layer);
  // Moves a directory holding exactly the layer's content (an upper
  // directory) into place as its snapshot; removes it if one exists.
  void adopt_snapshot(const std::filesystem::path& upper, const std::string& diff_id);

  // A new empty directory under tmp/; removed by the caller (TempDir).
  std::filesystem::path temp_dir(const std::string& prefix) const;
  // The directory of a cache mount (created when missing).
  std::filesystem::path cache_mount(const std::string& id) const;
  std::filesystem::path context_cache(const std::filesystem::path& context) const;

 private:
  std::filesystem::path dir_;
  oci::Layout blobs_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<std::mutex>> unpacking_;
};

// Removes its directory (recursively) when destroyed.
class TempDir {
 public:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// $XDG_CACHE_HOME/gantry/build, or ~/.cache/gantry/build.
std::filesystem::path default_cache_dir();

}  // namespace gantry::build
