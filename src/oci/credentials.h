// Registry credentials, found the way docker and podman find them:
// explicit flags first, then GANTRY_REGISTRY_USERNAME / GANTRY_REGISTRY_PASSWORD,
// then the auth file ($REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or
// ~/.docker/config.json): `credHelpers` for the registry, then `auths`,
// then `credsStore`. Helpers are the docker-credential-<name> programs.
//
// Credential values are secrets: nothing here puts them into errors.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace gantry::oci {

struct Credential {
  std::string username;
  std::string password;
  std::string identity_token;  // an OAuth2 refresh token ("<token>" user of helpers)
  bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

// "user:password" from a --creds flag; Error when there is no ':'.
Credential parse_creds_flag(std::string_view text);

// Normalises the keys of `auths`: "https://index.docker.io/v1/" -> "docker.io",
// "https://host:5000/v2/" -> "host:5000".
std::string normalize_auth_key(std::string_view key);

class CredentialStore {
 public:
  // `config` empty: the default location (see above). A missing file is not an error.
  explicit CredentialStore(std::filesystem::path config = {});
  static std::filesystem::path default_config_path();

  // Credentials for `registry` ("docker.io", "localhost:5000"); an empty
  // Credential when none are configured. Throws Error when a configured
  // helper fails (other than "not found") or the file is malformed.
  Credential lookup(std::string_view registry) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs docker-credential-<helper> get for `server`; nullopt when the helper
// has no credentials for it.
std::optional<Credential> run_credential_helper(std::string_view helper, std::string_view server);

}  // namespace gantry::oci
