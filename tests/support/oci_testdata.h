// Test images written straight into OCI layouts (without gantry's own code),
// and RS256 JWTs for a test token service.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gantry::testing {

struct TestImage {
  std::string manifest;  // exact bytes
  std::string digest;    // sha256:... of manifest
  std::string config_digest;
  std::vector<std::string> layer_digests;
  std::string platform;  // "linux/amd64"
};

// Adds an image with `layers` gzip layers (stored deflate blocks, so peers keep
// them byte for byte) of `layer_size` pseudo-random bytes (from `seed`) to the OCI layout at `dir`
// (created when missing). Tags it in index.json when `tag` is not empty.
TestImage write_test_image(const std::filesystem::path& dir, const std::string& tag, int layers,
                           size_t layer_size, uint32_t seed, const std::string& arch = "amd64");

// Adds an OCI image index over `images` (already in the layout) and tags it.
TestImage write_test_index(const std::filesystem::path& dir, const std::string& tag,
                           const std::vector<TestImage>& images);

// Writes a raw blob into the layout; returns its digest.
std::string write_blob(const std::filesystem::path& dir, const std::string& data);

// Adds an index.json entry (replacing one with the same tag).
void tag_in_layout(const std::filesystem::path& dir, const std::string& tag,
                   const std::string& media_type, const std::string& digest, size_t size);

// "sha256:<hex>"
std::string sha256_digest(const std::string& data);

// A JWT signed with RS256 by the PEM key, with the PEM certificate in the x5c header.
std::string sign_jwt(const std::filesystem::path& key_pem, const std::filesystem::path& cert_pem,
                     const std::string& claims_json);

std::string read_text(const std::filesystem::path& p);

}  // namespace gantry::testing
