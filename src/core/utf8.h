// UTF-8 decoding, validation and encoding (strict: no overlong forms, no
// surrogates, nothing above U+10FFFF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gantry {

// Decodes the sequence starting at s[i] into `cp` and returns its length in
// bytes; 0 when the bytes there are not valid UTF-8 (or i is past the end).
size_t utf8_decode(std::string_view s, size_t i, uint32_t& cp);

// True when all of `s` is valid UTF-8.
bool utf8_valid(std::string_view s);

// Appends `cp` encoded as UTF-8; surrogates and values above U+10FFFF are
// written as U+FFFD.
void utf8_append(std::string& out, uint32_t cp);

}  // namespace gantry
