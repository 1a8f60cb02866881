#include "core/duration.h"

#include <cctype>

#include "core/error.h"

namespace gantry {

namespace {

// About 285 years: larger durations would overflow milliseconds in 64 bits.
constexpr double kMaxMs = 9e15;

[[noreturn]] void invalid(const std::string& text) {
  throw Error("invalid duration \"" + text + "\" (examples: 500ms, 2s, 1m30s)", ExitCode::kUsage);
}

}  // namespace

std::chrono::milliseconds parse_duration(const std::string& text) {
  if (text.empty()) throw Error("empty duration", ExitCode::kUsage);
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 12) invalid(text);  // kMaxMs / 1000 has 13 digits
    return std::chrono::seconds(std::stoll(text));
  }
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.'))
      ++j;
    if (j == i) invalid(text);
    std::string number = text.substr(i, j - i);
    // Digits with at most one dot and at least one digit ("." or "1..2" are not numbers).
    if (number.find_first_of("0123456789") == std::string::npos ||
        number.find('.') != number.rfind('.') || number.size() > 24)
      invalid(text);
    double n = std::stod(number);
    size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k])))
      ++k;
    std::string unit = text.substr(j, k - j);
    if (unit == "ms") {
      total_ms += n;
    } else if (unit == "s") {
      total_ms += n * 1000;
    } else if (unit == "m") {
      total_ms += n * 60000;
    } else if (unit == "h") {
      total_ms += n * 3600000;
    } else {
      invalid(text);
    }
    if (total_ms > kMaxMs) invalid(text);
    i = k;
  }
  return std::chrono::milliseconds(static_cast<long long>(total_ms));
}

}  // namespace gantry
