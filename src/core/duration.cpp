#include "core/duration.h"

#include <cctype>

#include "core/error.h"

namespace gantry {

std::chrono::milliseconds parse_duration(const std::string& text) {
  if (text.empty()) throw Error("empty duration", ExitCode::kUsage);
  if (text.find_first_not_of("0123456789") == std::string::npos)
    return std::chrono::seconds(std::stoll(text));
  double total_ms = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.'))
      ++j;
    if (j == i)
      throw Error("invalid duration \"" + text + "\" (examples: 500ms, 2s, 1m30s)",
                  ExitCode::kUsage);
    double n = std::stod(text.substr(i, j - i));
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
      throw Error("invalid duration \"" + text + "\" (examples: 500ms, 2s, 1m30s)",
                  ExitCode::kUsage);
    }
    i = k;
  }
  return std::chrono::milliseconds(static_cast<long long>(total_ms));
}

}  // namespace gantry
