// Timestamps as Kubernetes writes them: RFC 3339 in UTC, whole seconds
// ("2026-12-05T10:04:05Z").
#pragma once

#include <chrono>
#include <string>

namespace gantry {

std::string utc_timestamp(std::chrono::system_clock::time_point t);
inline std::string utc_now() {
  return utc_timestamp(std::chrono::system_clock::now());
}

}  // namespace gantry
