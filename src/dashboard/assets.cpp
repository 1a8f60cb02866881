#include "dashboard/assets.h"

namespace gantry::dashboard {

namespace {

std::string content_type(std::string_view name) {
  auto ends = [&](std::string_view s) {
    return name.size() >= s.size() && name.substr(name.size() - s.size()) == s;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

}  // namespace

std::optional<Asset> find_asset(std::string_view path) {
  std::string_view name;
  if (path == "/" || path == "/index.html") {
    name = "index.html";
  } else if (path.substr(0, 8) == "/assets/") {
    name = path.substr(8);
    if (name == "index.html") return std::nullopt;  // served at "/" only
  } else {
    return std::nullopt;
  }
  for (const auto& f : embedded_files())
    if (f.name == name) return Asset{f.bytes, content_type(name)};
  return std::nullopt;
}

}  // namespace gantry::dashboard
