// Content digests of OCI blobs and manifests: "sha256:<64 hex>", computed
// while streaming (OpenSSL EVP) and compared before content is trusted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace gantry::oci {

class Digest {
 public:
  Digest() = default;
  // Parses "algorithm:hex". Accepts sha256 (64 hex) and sha512 (128 hex),
  // lower-case only, as the OCI spec registers them. Throws Error (kInvalidInput).
  static Digest parse(std::string_view text);
  static bool valid(std::string_view text);
  static Digest sha256_of(std::string_view data);

  const std::string& algorithm() const { return algorithm_; }
  const std::string& hex() const { return hex_; }
  std::string str() const { return empty() ? std::string() : algorithm_ + ":" + hex_; }
  bool empty() const { return hex_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) = default;
  friend bool operator<(const Digest& a, const Digest& b) { return a.str() < b.str(); }

 private:
  std::string algorithm_;
  std::string hex_;
};

// Streaming SHA-256 (or SHA-512 for "sha512" digests).
class Hasher {
 public:
  explicit Hasher(std::string_view algorithm = "sha256");
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(std::string_view data);
  void update(const void* data, size_t n);
  // Finishes and returns the digest; the hasher restarts afterwards.
  Digest finish();
  void reset();
  uint64_t bytes() const { return bytes_; }

 private:
  std::string algorithm_;
  evp_md_ctx_st* ctx_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace gantry::oci
