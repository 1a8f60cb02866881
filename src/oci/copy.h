// Copying images between registries and OCI layouts, in any combination.
//
// Order makes failures harmless: all blobs first (in parallel, each verified),
// then the manifests of an index's platforms (by digest), then the top
// manifest or tag last. A copy that fails leaves no tag or index entry at the
// destination, so nothing refers to content that is not there.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oci/credentials.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry.h"

namespace gantry::oci {

// Where an image is: a registry reference, or "oci:DIR[:TAG]".
struct ImageLocation {
  enum class Kind { kRegistry, kLayout };
  Kind kind = Kind::kRegistry;
  Reference ref;                   // kRegistry
  std::filesystem::path dir;       // kLayout
  std::string tag;                 // kLayout: the ref.name annotation (may be empty)
  std::optional<Credential> cred;  // kRegistry: explicit credentials

  bool is_layout() const { return kind == Kind::kLayout; }
  std::string str() const;
};

// "oci:DIR", "oci:DIR:TAG", "docker://REF" or a plain image reference.
ImageLocation parse_location(std::string_view text);

struct TransferEvent {
  enum class Type { kStart, kProgress, kDone, kExists, kMounted, kManifest };
  Type type = Type::kStart;
  std::string digest;
  std::string media_type;
  int64_t size = 0;
  uint64_t bytes = 0;  // kProgress: bytes moved so far
};

struct CopyOptions {
  int jobs = 4;  // parallel blob transfers
  // "os/arch[/variant]": from an index copy only this platform's image (the
  // destination then holds that image manifest, not the index).
  std::string platform;
  // Called from worker threads, one call at a time.
  std::function<void(const TransferEvent&)> on_event;
};

struct CopyResult {
  Descriptor top;                      // what the destination tag now points to
  std::vector<std::string> platforms;  // of an index, in order
  int blobs_copied = 0, blobs_existing = 0, blobs_mounted = 0;
  uint64_t bytes_copied = 0;
  int manifests = 0;
};

CopyResult copy_image(Session& session, const ImageLocation& src, const ImageLocation& dst,
                      const CopyOptions& opts = {});

// Reads the top manifest of a location (a registry or a layout).
Manifest read_manifest(Session& session, const ImageLocation& loc);
// Reads a manifest by digest (verified) from a location.
Manifest read_manifest(Session& session, const ImageLocation& loc, const Descriptor& d);
// Reads a small blob (config) fully, verified.
std::string read_small_blob(Session& session, const ImageLocation& loc, const Descriptor& d,
                            size_t limit = kDefaultManifestLimit);

}  // namespace gantry::oci
