// Durations written the way Go and kubectl write them: "500ms", "2s", "1m30s".
#pragma once

#include <chrono>
#include <string>

namespace gantry {

// Parses "500ms", "2s", "1m", "1h30m", "0" (a bare number is seconds). Throws
// Error (kUsage) for anything else.
std::chrono::milliseconds parse_duration(const std::string& text);

}  // namespace gantry
