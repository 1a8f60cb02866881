// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"
//   Basic realm="Registry Realm"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::oci {

struct Challenge {
  std::string scheme;                                       // lower-case: "bearer", "basic"
  std::vector<std::pair<std::string, std::string>> params;  // names lower-case

  std::string param(std::string_view name) const;
};

// Parses one header value, which may hold several challenges. Malformed
// parts are skipped; an empty result means no usable challenge.
std::vector<Challenge> parse_challenges(std::string_view header);

// Scope strings of the token protocol: "repository:<name>:<actions>".
std::string repository_scope(std::string_view repository, std::string_view actions);

}  // namespace gantry::oci
