#include "oci/credentials.h"

#include <cctype>
#include <cstdlib>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "core/process.h"
#include "doc/json.h"

namespace gantry::oci {

namespace fs = std::filesystem;

Credential parse_creds_flag(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0)
    throw Error("credentials must be given as USERNAME:PASSWORD", ExitCode::kUsage);
  Credential c;
  c.username = std::string(text.substr(0, colon));
  c.password = std::string(text.substr(colon + 1));
  return c;
}

std::string normalize_auth_key(std::string_view key) {
  std::string_view k = key;
  if (auto p = k.find("://"); p != std::string_view::npos) k = k.substr(p + 3);
  k = k.substr(0, k.find('/'));
  std::string out(k);
  if (out == "index.docker.io" || out == "registry-1.docker.io" || out == "registry.hub.docker.com")
    out = "docker.io";
  return out;
}

fs::path CredentialStore::default_config_path() {
  if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) return f;
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) return fs::path(d) / "config.json";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".docker" / "config.json";
  return {};
}

CredentialStore::CredentialStore(fs::path config)
    : path_(config.empty() ? default_config_path() : std::move(config)) {}

std::optional<Credential> run_credential_helper(std::string_view helper, std::string_view server) {
  for (char c : helper)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      throw Error("invalid credential helper name \"" + std::string(helper) + "\"");
  std::string prog = "docker-credential-" + std::string(helper);
  if (!find_program(prog))
    throw Error("credential helper " + prog + " is configured but not installed",
                ExitCode::kExternal);
  ProcessOptions opts;
  opts.input = std::string(server);
  opts.timeout = std::chrono::seconds(60);
  ProcessResult r = run_process({prog, "get"}, opts);
  if (r.timed_out) throw Error(prog + " get timed out", ExitCode::kExternal);
  if (r.exit_code != 0) {
    if (r.out.find("credentials not found") != std::string::npos ||
        r.err.find("credentials not found") != std::string::npos)
      return std::nullopt;
    // The helper's output may echo secrets; report only the exit status.
    throw Error(prog + " get failed with exit code " + std::to_string(r.exit_code),
                ExitCode::kExternal);
  }
  doc::Value v;
  try {
    v = doc::parse_json(r.out, prog);
  } catch (const Error&) {
    throw Error(prog + " get printed something that is not JSON", ExitCode::kExternal);
  }
  Credential c;
  std::string user = v.get_string("Username");
  std::string secret = v.get_string("Secret");
  if (user == "<token>") {
    c.identity_token = secret;
  } else {
    c.username = user;
    c.password = secret;
  }
  if (c.empty()) return std::nullopt;
  return c;
}

Credential CredentialStore::lookup(std::string_view registry) const {
  if (path_.empty() || !fs::exists(path_)) return {};
  doc::Value cfg;
  try {
    cfg = doc::parse_json(read_file(path_, 16u << 20), path_.string());
  } catch (Error& e) {
    // Never echo the file's content (it holds secrets): location and a short reason only.
    throw Error(e.where(), "malformed auth file: " + e.why().substr(0, 120),
                ExitCode::kInvalidInput);
  }
  std::string reg = normalize_auth_key(registry);
  std::string server = reg == "docker.io" ? "https://index.docker.io/v1/" : reg;
  if (const doc::Value* helpers = cfg.find("credHelpers"); helpers && helpers->is_map()) {
    for (const auto& m : helpers->as_map()) {
      if (normalize_auth_key(m.key) == reg && m.value.is_string()) {
        if (auto c = run_credential_helper(m.value.as_string(), server)) return *c;
        return {};
      }
    }
  }
  if (const doc::Value* auths = cfg.find("auths"); auths && auths->is_map()) {
    for (const auto& m : auths->as_map()) {
      if (normalize_auth_key(m.key) != reg || !m.value.is_map()) continue;
      Credential c;
      std::string auth = m.value.get_string("auth");
      if (!auth.empty()) {
        auto decoded = base64_decode(auth);
        auto colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos)
          throw Error(path_.string() + ": auths[\"" + m.key +
                      "\"].auth is not base64 of user:password");
        c.username = decoded->substr(0, colon);
        c.password = decoded->substr(colon + 1);
      } else {
        c.username = m.value.get_string("username");
        c.password = m.value.get_string("password");
      }
      c.identity_token = m.value.get_string("identitytoken");
      if (!c.empty()) return c;
    }
  }
  if (const doc::Value* store = cfg.find("credsStore");
      store && store->is_string() && !store->as_string().empty()) {
    if (auto c = run_credential_helper(store->as_string(), server)) return *c;
  }
  return {};
}

}  // namespace gantry::oci
