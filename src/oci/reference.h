// Image references, parsed and normalised the way docker does:
//   nginx                 -> docker.io/library/nginx:latest
//   index.docker.io/x/y   -> docker.io/x/y:latest
//   localhost:5000/a/b:1  -> localhost:5000/a/b:1
//   host/a@sha256:...     -> digest reference (a tag may be given too; the digest wins)
#pragma once

#include <string>
#include <string_view>

namespace gantry::oci {

inline constexpr std::string_view kDockerHub = "docker.io";

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000", "[::1]:5000", "ghcr.io"
  std::string repository;  // "library/nginx"
  std::string tag;         // empty when only a digest was given (or for repository names)
  std::string digest;      // "sha256:..." or empty

  // "registry/repository"
  std::string name() const { return registry + "/" + repository; }
  // What to ask the registry for: the digest if set, else the tag.
  std::string identifier() const { return digest.empty() ? tag : digest; }
  // Normalised full form: registry/repository[:tag][@digest].
  std::string str() const;
  // The host (and port) to connect to: docker.io is served by registry-1.docker.io.
  std::string api_host() const;
  // True for localhost, 127.0.0.0/8 and [::1] registries.
  bool is_loopback() const;
};

// Parses an image reference; a reference without tag and digest gets the tag
// "latest". Throws Error (kInvalidInput) saying what is wrong.
Reference parse_reference(std::string_view text);

// Parses a repository name without tag or digest (for tag listing).
Reference parse_repository(std::string_view text);

// True when `host` (with an optional port) is a loopback address or localhost.
bool is_loopback_host(std::string_view host);

}  // namespace gantry::oci
