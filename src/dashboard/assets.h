// The dashboard's static files (HTML, JavaScript, CSS), embedded in the
// binary at build time from src/dashboard/assets/ (cmake/embed_assets.cmake):
// no CDN and no files on disk at run time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::dashboard {

struct EmbeddedFile {
  std::string_view name;  // "app.js"
  std::string_view bytes;
};

// Every embedded file (defined in the generated source).
const std::vector<EmbeddedFile>& embedded_files();

struct Asset {
  std::string_view bytes;
  std::string content_type;
};

// The asset served at `path` ("/" is index.html, "/assets/app.js"); nullopt
// for anything else.
std::optional<Asset> find_asset(std::string_view path);

}  // namespace gantry::dashboard
