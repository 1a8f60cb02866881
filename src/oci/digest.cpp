#include "oci/digest.h"

#include <openssl/evp.h>

#include "core/error.h"

namespace gantry::oci {

namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

const EVP_MD* md_for(std::string_view algorithm) {
  if (algorithm == "sha256") return EVP_sha256();
  if (algorithm == "sha512") return EVP_sha512();
  throw Error("unsupported digest algorithm \"" + std::string(algorithm) + "\"");
}

}  // namespace

bool Digest::valid(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view algo = text.substr(0, colon), hex = text.substr(colon + 1);
  if (algo == "sha256") return hex.size() == 64 && is_lower_hex(hex);
  if (algo == "sha512") return hex.size() == 128 && is_lower_hex(hex);
  return false;
}

Digest Digest::parse(std::string_view text) {
  if (!valid(text)) {
    std::string shown(text.substr(0, 80));
    throw Error("invalid digest \"" + shown + (text.size() > 80 ? "..." : "") +
                "\" (expected sha256:<64 lower-case hex digits>)");
  }
  Digest d;
  auto colon = text.find(':');
  d.algorithm_ = std::string(text.substr(0, colon));
  d.hex_ = std::string(text.substr(colon + 1));
  return d;
}

Digest Digest::sha256_of(std::string_view data) {
  Hasher h;
  h.update(data);
  return h.finish();
}

Hasher::Hasher(std::string_view algorithm) : algorithm_(algorithm), ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, md_for(algorithm_), nullptr) != 1)
    throw Error("cannot initialise " + algorithm_, ExitCode::kInternal);
}

Hasher::~Hasher() {
  EVP_MD_CTX_free(ctx_);
}

void Hasher::update(std::string_view data) {
  update(data.data(), data.size());
}

void Hasher::update(const void* data, size_t n) {
  if (n == 0) return;
  if (EVP_DigestUpdate(ctx_, data, n) != 1)
    throw Error("digest update failed", ExitCode::kInternal);
  bytes_ += n;
}

Digest Hasher::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, md, &len) != 1) throw Error("digest failed", ExitCode::kInternal);
  static const char* hex = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  reset();
  return Digest::parse(algorithm_ + ":" + out);
}

void Hasher::reset() {
  EVP_DigestInit_ex(ctx_, md_for(algorithm_), nullptr);
  bytes_ = 0;
}

}  // namespace gantry::oci
