// Base64 (RFC 4648, standard alphabet, padded).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gantry {

std::string base64_encode(std::string_view data);
// Decodes padded or unpadded input; nullopt when it is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace gantry
