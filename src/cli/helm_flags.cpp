#include "cli/helm_flags.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <map>

#include "core/error.h"
#include "core/file.h"

namespace gantry::cli {

namespace {

std::string env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? v : "";
}

// The entry for `match` (HOST[/PATH]), created on first use.
render::HelmRepoCredential& entry(std::map<std::string, render::HelmRepoCredential>& m,
                                  std::string match) {
  while (!match.empty() && match.back() == '/')
    match.pop_back();
  auto& e = m[match];
  e.match = match;
  return e;
}

// Splits HOST[/PATH]=VALUE; Error(kUsage) naming the flag otherwise (the
// value may be a secret, so it is not repeated).
std::pair<std::string, std::string> split(const std::string& text, const std::string& flag) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(flag + " must be HOST[/PATH]=VALUE", ExitCode::kUsage);
  return {text.substr(0, eq), text.substr(eq + 1)};
}

void from_env(std::map<std::string, render::HelmRepoCredential>& m, const std::string& prefix) {
  std::string host = env(prefix + "HOST");
  if (host.empty()) return;
  std::string path = env(prefix + "PATH");
  if (!path.empty() && path.front() != '/') path = "/" + path;
  auto& e = entry(m, host + path);
  if (auto v = env(prefix + "USERNAME"); !v.empty()) e.username = v;
  if (auto v = env(prefix + "PASSWORD"); !v.empty()) e.password = v;
  if (auto v = env(prefix + "CA_FILE"); !v.empty()) e.ca_file = v;
  if (env(prefix + "INSECURE_SKIP_TLS_VERIFY") == "true") e.insecure = true;
}

}  // namespace

render::ChartPullOptions HelmFlags::options() const {
  std::map<std::string, render::HelmRepoCredential> m;
  from_env(m, "GANTRY_HELM_");
  for (int i = 1; i < 100; ++i)
    from_env(m, "GANTRY_HELM_" + std::to_string(i) + "_");
  for (const auto& u : usernames) {
    auto [match, v] = split(u, "--helm-username");
    entry(m, match).username = v;
  }
  for (const auto& p : passwords) {
    auto [match, v] = split(p, "--helm-password");
    entry(m, match).password = v;
  }
  for (const auto& c : ca_files) {
    auto [match, v] = split(c, "--helm-ca-file");
    entry(m, match).ca_file = v;
  }
  for (const auto& i : insecure)
    entry(m, i).insecure = true;
  render::ChartPullOptions o;
  for (auto& [k, v] : m)
    o.repos.push_back(std::move(v));
  o.oci.insecure_registries = insecure_registries;
  if (!registry_ca_file.empty()) o.oci.ca_pem = read_file(registry_ca_file, 4u << 20);
  o.oci.auth_file = authfile;
  return o;
}

void add_helm_flags(CLI::App* cmd, HelmFlags& f) {
  cmd->add_option("--helm-username", f.usernames,
                  "User for a chart repository: HOST[/PATH]=USER (repeatable)");
  cmd->add_option("--helm-password", f.passwords,
                  "Password for a chart repository: HOST[/PATH]=PASSWORD (repeatable; visible "
                  "to other local users, prefer GANTRY_HELM_PASSWORD)");
  cmd->add_option("--helm-ca-file", f.ca_files,
                  "CA bundle (PEM) trusted for a chart repository: HOST[/PATH]=FILE (repeatable)");
  cmd->add_option("--helm-insecure-skip-tls-verify", f.insecure,
                  "Skip TLS verification for a chart repository: HOST[/PATH] (repeatable)");
  cmd->add_option("--insecure-registry", f.insecure_registries,
                  "OCI registry (HOST[:PORT]) reached over plain HTTP or unverified TLS "
                  "(repeatable; loopback registries may use plain HTTP anyway)");
  cmd->add_option("--registry-ca-file", f.registry_ca_file,
                  "CA bundle (PEM) trusted for OCI registries");
  cmd->add_option("--authfile", f.authfile,
                  "Registry auth file (default: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json "
                  "or ~/.docker/config.json)");
}

}  // namespace gantry::cli
