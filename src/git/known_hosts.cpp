#include "git/known_hosts.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cctype>
#include <sstream>
#include <vector>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"

namespace gantry::git {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// `*` and `?` glob, as OpenSSH's match_pattern (the text is already lower case).
bool glob(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*')
    ++pi;
  return pi == p.size();
}

// HMAC-SHA1 of `name` keyed with the base64 salt, compared with the base64 hash.
bool hashed_match(std::string_view entry, const std::string& name) {
  // |1|salt|hash
  size_t bar = entry.find('|', 3);
  if (entry.substr(0, 3) != "|1|" || bar == std::string_view::npos) return false;
  auto salt = base64_decode(entry.substr(3, bar - 3));
  auto want = base64_decode(entry.substr(bar + 1));
  if (!salt || !want || want->size() != SHA_DIGEST_LENGTH) return false;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()),
       reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &len);
  return len == want->size() && std::string(reinterpret_cast<char*>(mac), len) == *want;
}

// OpenSSH's match_hostname: a comma-separated list where a matching negated
// pattern rules the entry out.
bool hosts_match(std::string_view field, const std::string& name) {
  if (field.substr(0, 3) == "|1|") return hashed_match(field, name);
  bool matched = false;
  std::string list = lower(field);
  std::istringstream in(list);
  for (std::string pattern; std::getline(in, pattern, ',');) {
    bool negated = !pattern.empty() && pattern[0] == '!';
    if (negated) pattern.erase(0, 1);
    if (!glob(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

// The key type named inside an SSH wire-format public key blob.
std::string blob_type(std::string_view blob) {
  if (blob.size() < 4) return {};
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i)
    n = (n << 8) | static_cast<unsigned char>(blob[static_cast<size_t>(i)]);
  if (n > blob.size() - 4) return {};
  return std::string(blob.substr(4, n));
}

std::string fingerprint(std::string_view blob) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(blob.data()), blob.size(), md);
  std::string b64 = base64_encode(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
  while (!b64.empty() && b64.back() == '=')
    b64.pop_back();
  return "SHA256:" + b64;
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string f; in >> f;)
    out.push_back(f);
  return out;
}

}  // namespace

HostKeyCheck check_host_key(std::string_view text, std::string_view host, int port,
                            std::string_view key) {
  HostKeyCheck result;
  result.key_type = blob_type(key);
  result.fingerprint = fingerprint(key);
  std::string name = lower(host);
  if (port != 22) name = "[" + name + "]:" + std::to_string(port);

  bool listed_same_type = false, matched = false;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    auto f = fields(line);
    if (f.empty() || f[0][0] == '#') continue;
    std::string marker;
    if (f[0][0] == '@') {
      marker = f[0];
      f.erase(f.begin());
    }
    if (f.size() < 3 || marker == "@cert-authority") continue;
    if (!hosts_match(f[0], name)) continue;
    auto blob = base64_decode(f[2]);
    if (!blob || blob_type(*blob) != f[1]) continue;  // unparsable: skipped like ssh does
    bool same_key = *blob == key;
    if (marker == "@revoked") {
      if (same_key) {
        result.status = HostKeyStatus::kRevoked;
        return result;
      }
      continue;
    }
    if (!marker.empty()) continue;
    if (f[1] == result.key_type) listed_same_type = true;
    if (same_key) matched = true;
  }
  result.status = matched            ? HostKeyStatus::kMatch
                  : listed_same_type ? HostKeyStatus::kMismatch
                                     : HostKeyStatus::kUnknown;
  return result;
}

HostKeyCheck check_host_key_file(const std::filesystem::path& known_hosts, std::string_view host,
                                 int port, std::string_view key) {
  std::error_code ec;
  std::string text;
  if (std::filesystem::exists(known_hosts, ec)) text = read_file(known_hosts, 64u << 20);
  return check_host_key(text, host, port, key);
}

}  // namespace gantry::git
