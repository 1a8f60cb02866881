// Registry mirrors for pulls: "docker.io=127.0.0.1:5000" or
// "cgr.dev=mirror.example/cgr" sends every pull of an image of that registry
// to the mirror host, under an optional repository prefix, as BuildKit's
// registry mirrors do. The image keeps its name everywhere users see it;
// only the host (and path) that is asked changes. Pushes never use mirrors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oci/reference.h"

namespace gantry::oci {

struct Mirror {
  std::string registry;  // the mirrored registry, normalised ("docker.io")
  std::string host;      // host[:port] of the mirror
  std::string prefix;    // repository path prefix on the mirror, may be empty

  // "docker.io=127.0.0.1:5000/hub"
  std::string str() const;
};

// Parses REGISTRY=HOST[/PREFIX]. "index.docker.io" and "registry-1.docker.io"
// name docker.io. Throws Error (kUsage) saying what is wrong.
Mirror parse_mirror(std::string_view text);

// The reference to pull `ref` from: through the first mirror of its registry
// (repository under the mirror's prefix, same tag and digest), else `ref`.
Reference mirrored(const Reference& ref, const std::vector<Mirror>& mirrors);

}  // namespace gantry::oci
