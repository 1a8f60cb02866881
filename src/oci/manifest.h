// OCI and Docker v2 media types, descriptors, image manifests and indexes.
//
// Manifests are kept as the exact bytes that were read: a copy puts the same
// bytes, so digests never change. Parsing only extracts what a copy or an
// inspect needs and rejects what it does not understand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "doc/value.h"
#include "oci/digest.h"

namespace gantry::oci {

namespace media {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerSchema1 =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

bool is_image_manifest(std::string_view t);
bool is_index(std::string_view t);
inline bool is_manifest(std::string_view t) {
  return is_image_manifest(t) || is_index(t);
}
// The Accept header value for manifest requests (all four supported types).
std::string accept_header();
}  // namespace media

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string os_version;
  // "linux/amd64", "linux/arm/v7"
  std::string str() const;
};

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::optional<Platform> platform;
  std::vector<std::pair<std::string, std::string>> annotations;
  std::string artifact_type;
  std::vector<std::string> urls;  // foreign layers
};

struct Manifest {
  std::string media_type;  // the effective media type
  std::string bytes;       // exactly as read
  Digest digest;           // sha256 of bytes
  // image manifests
  Descriptor config;
  std::vector<Descriptor> layers;
  // indexes / manifest lists
  std::vector<Descriptor> manifests;

  bool is_index() const { return media::is_index(media_type); }
  Descriptor descriptor() const;  // media type, digest and size of these bytes
};

inline constexpr size_t kDefaultManifestLimit = 4u << 20;

// Reads one descriptor object ("field" names it in errors).
Descriptor parse_descriptor(const doc::Value& v, std::string_view where, const std::string& field);
// The JSON object of a descriptor (OCI field order).
doc::Value descriptor_value(const Descriptor& d);

// Parses manifest bytes. The media type comes from the document's mediaType
// field, else from `content_type`, else from the structure (OCI). Docker
// schema 1, unknown media types and malformed documents are Errors naming
// `where` (kExternal when the bytes came from a registry, as the caller says).
Manifest parse_manifest(std::string bytes, std::string_view content_type, std::string_view where);

}  // namespace gantry::oci
