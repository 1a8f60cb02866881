#include "support/oci_testdata.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/base64.h"
#include "core/digest.h"

namespace gantry::testing {

namespace fs = std::filesystem;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sha256_digest(const std::string& data) {
  return "sha256:" + sha256_hex(data);
}

namespace {

void ensure_layout(const fs::path& dir) {
  fs::create_directories(dir / "blobs" / "sha256");
  if (!fs::exists(dir / "oci-layout"))
    std::ofstream(dir / "oci-layout") << "{\"imageLayoutVersion\":\"1.0.0\"}";
  if (!fs::exists(dir / "index.json"))
    std::ofstream(dir / "index.json") << "{\"schemaVersion\":2,\"manifests\":[]}";
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(&s[i], &v, 8);
  }
  for (; i < n; ++i)
    s[i] = static_cast<char>(rng());
  return s;
}

std::string b64url(std::string_view s) {
  std::string b = base64_encode(s);
  for (char& c : b) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!b.empty() && b.back() == '=')
    b.pop_back();
  return b;
}

uint32_t crc32(const std::string& data) {
  static uint32_t table[256];
  static bool init = [] {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return true;
  }();
  (void)init;
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data)
    c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// A valid gzip stream of `data` in stored (uncompressed) deflate blocks, so
// peers that sniff compression (skopeo) keep layers byte for byte.
std::string gzip_stored(const std::string& data) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  size_t pos = 0;
  do {
    size_t n = std::min<size_t>(65535, data.size() - pos);
    bool last = pos + n == data.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(n & 0xFF);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(~n & 0xFF);
    out += static_cast<char>((~n >> 8) & 0xFF);
    out.append(data, pos, n);
    pos += n;
  } while (pos < data.size());
  put_le32(out, crc32(data));
  put_le32(out, static_cast<uint32_t>(data.size()));
  return out;
}

}  // namespace

std::string write_blob(const fs::path& dir, const std::string& data) {
  ensure_layout(dir);
  std::string d = sha256_digest(data);
  std::ofstream(dir / "blobs" / "sha256" / d.substr(7), std::ios::binary) << data;
  return d;
}

void tag_in_layout(const fs::path& dir, const std::string& tag, const std::string& media_type,
                   const std::string& digest, size_t size) {
  ensure_layout(dir);
  // index.json is rewritten from the entries this helper wrote (one per line in a side file).
  fs::path side = dir / ".test-tags";
  std::vector<std::string> lines;
  {
    std::ifstream in(side);
    std::string l;
    while (std::getline(in, l))
      if (l.find("\"org.opencontainers.image.ref.name\":\"" + tag + "\"") == std::string::npos)
        lines.push_back(l);
  }
  lines.push_back("{\"mediaType\":\"" + media_type + "\",\"digest\":\"" + digest +
                  "\",\"size\":" + std::to_string(size) +
                  ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}");
  std::ofstream out(side);
  std::string idx = "{\"schemaVersion\":2,\"manifests\":[";
  for (size_t i = 0; i < lines.size(); ++i) {
    out << lines[i] << "\n";
    idx += (i ? "," : "") + lines[i];
  }
  idx += "]}";
  std::ofstream(dir / "index.json") << idx;
}

TestImage write_test_image(const fs::path& dir, const std::string& tag, int layers,
                           size_t layer_size, uint32_t seed, const std::string& arch) {
  ensure_layout(dir);
  TestImage img;
  img.platform = "linux/" + arch;
  std::string layer_json;
  std::string diff_ids;
  for (int i = 0; i < layers; ++i) {
    std::string raw = random_bytes(layer_size, seed * 1000u + static_cast<uint32_t>(i));
    std::string data = gzip_stored(raw);
    std::string d = write_blob(dir, data);
    img.layer_digests.push_back(d);
    layer_json += std::string(i ? "," : "") +
                  "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" +
                  d + "\",\"size\":" + std::to_string(data.size()) + "}";
    diff_ids += std::string(i ? "," : "") + "\"" + sha256_digest(raw) + "\"";
  }
  std::string config =
      "{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\"," +
      "\"config\":{\"Env\":[\"SEED=" + std::to_string(seed) +
      "\"]},\"rootfs\":{\"type\":\"layers\"," + "\"diff_ids\":[" + diff_ids + "]}}";
  img.config_digest = write_blob(dir, config);
  img.manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/"
      "vnd.oci.image.manifest.v1+json\",\"config\":{" +
      std::string("\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"") +
      img.config_digest + "\",\"size\":" + std::to_string(config.size()) + "},\"layers\":[" +
      layer_json + "]}";
  img.digest = write_blob(dir, img.manifest);
  if (!tag.empty())
    tag_in_layout(dir, tag, "application/vnd.oci.image.manifest.v1+json", img.digest,
                  img.manifest.size());
  return img;
}

TestImage write_test_index(const fs::path& dir, const std::string& tag,
                           const std::vector<TestImage>& images) {
  TestImage idx;
  std::string list;
  for (size_t i = 0; i < images.size(); ++i) {
    auto slash = images[i].platform.find('/');
    list += std::string(i ? "," : "") +
            "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" +
            images[i].digest + "\",\"size\":" + std::to_string(images[i].manifest.size()) +
            ",\"platform\":{\"architecture\":\"" + images[i].platform.substr(slash + 1) +
            "\",\"os\":\"" + images[i].platform.substr(0, slash) + "\"}}";
  }
  idx.manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/"
      "vnd.oci.image.index.v1+json\",\"manifests\":[" +
      list + "]}";
  idx.digest = write_blob(dir, idx.manifest);
  if (!tag.empty())
    tag_in_layout(dir, tag, "application/vnd.oci.image.index.v1+json", idx.digest,
                  idx.manifest.size());
  return idx;
}

std::string sign_jwt(const fs::path& key_pem, const fs::path& cert_pem,
                     const std::string& claims_json) {
  std::string cert_text = read_text(cert_pem);
  BIO* cb = BIO_new_mem_buf(cert_text.data(), static_cast<int>(cert_text.size()));
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  if (!cert) throw std::runtime_error("cannot read " + cert_pem.string());
  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert, &der);
  std::string der_s(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  X509_free(cert);

  std::string header =
      "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"" + base64_encode(der_s) + "\"]}";
  std::string input = b64url(header) + "." + b64url(claims_json);

  std::string key_text = read_text(key_pem);
  BIO* kb = BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  if (!pkey) throw std::runtime_error("cannot read " + key_pem.string());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t sig_len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) != 1 ||
      EVP_DigestSign(ctx, nullptr, &sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    throw std::runtime_error("signing failed");
  sig.resize(sig_len);
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    throw std::runtime_error("signing failed");
  sig.resize(sig_len);
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return input + "." + b64url(sig);
}

}  // namespace gantry::testing
