// Content digests and message authentication (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace gantry {

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex HMAC-SHA-256 of `data` under `key` (GitHub's
// X-Hub-Signature-256 is "sha256=" and this).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// a == b in time that depends on the sizes only (for secrets and signatures).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace gantry
