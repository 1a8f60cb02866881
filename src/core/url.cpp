#include "core/url.h"

#include <cctype>

namespace gantry {

std::string redact_url(std::string_view url) {
  std::string out(url);
  for (size_t pos = out.find("://"); pos != std::string::npos; pos = out.find("://", pos + 3)) {
    size_t start = pos + 3;
    size_t end = out.find_first_of("/?# \t\r\n'\"", start);
    if (end == std::string::npos) end = out.size();
    size_t at = out.rfind('@', end);
    if (at == std::string::npos || at < start) continue;
    // An ssh user name is no secret and says who logs in; anything else goes.
    size_t scheme = pos;
    while (scheme > 0 &&
           (std::isalnum(static_cast<unsigned char>(out[scheme - 1])) || out[scheme - 1] == '+'))
      --scheme;
    std::string_view name = std::string_view(out).substr(scheme, pos - scheme);
    bool ssh = name == "ssh" || name == "git+ssh" || name == "ssh+git";
    if (ssh && out.find(':', start) > at) continue;
    out.erase(start, at + 1 - start);
  }
  return out;
}

}  // namespace gantry
