#include "oci/mirror.h"

#include "core/error.h"

namespace gantry::oci {

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw Error("invalid registry mirror \"" + std::string(text.substr(0, 300)) + "\": " + why +
                  " (expected REGISTRY=HOST[:PORT][/PREFIX], e.g. docker.io=127.0.0.1:5000)",
              ExitCode::kUsage);
}

bool is_docker_hub(std::string_view host) {
  return host == kDockerHub || host == "index.docker.io" || host == "registry-1.docker.io";
}

// True when `host` is read as a registry host by the reference grammar (a
// dot, a port, localhost or an IPv6 literal), so "host/path" names it.
bool names_registry(std::string_view host, std::string_view path) {
  try {
    Reference r = parse_repository(std::string(host) + "/" + std::string(path));
    return r.registry == host || (is_docker_hub(host) && r.registry == kDockerHub);
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

std::string Mirror::str() const {
  return registry + "=" + host + (prefix.empty() ? "" : "/" + prefix);
}

Mirror parse_mirror(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos) bad(text, "there is no '='");
  std::string_view registry = text.substr(0, eq);
  std::string_view target = text.substr(eq + 1);
  if (registry.empty()) bad(text, "the registry is empty");
  if (target.empty()) bad(text, "the mirror is empty");
  if (registry.find('/') != std::string_view::npos)
    bad(text, "the registry is a host[:port] without a path");
  if (!names_registry(registry, "x"))
    bad(text, "\"" + std::string(registry) + "\" is not a registry host (it needs a dot, a port " +
                  "or to be localhost)");
  Mirror m;
  m.registry = is_docker_hub(registry) ? std::string(kDockerHub) : std::string(registry);
  auto slash = target.find('/');
  std::string_view host = target.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : target.substr(slash + 1);
  if (slash != std::string_view::npos && prefix.empty()) bad(text, "the prefix after '/' is empty");
  if (!names_registry(host, prefix.empty() ? "x" : prefix))
    bad(text, "\"" + std::string(target) +
                  "\" is not HOST[:PORT][/PREFIX] (the host needs a dot, a port or to be "
                  "localhost; the prefix lower-case path components)");
  m.host = is_docker_hub(host) ? std::string(kDockerHub) : std::string(host);
  m.prefix = std::string(prefix);
  return m;
}

Reference mirrored(const Reference& ref, const std::vector<Mirror>& mirrors) {
  for (const Mirror& m : mirrors) {
    if (m.registry != ref.registry) continue;
    Reference out = ref;
    out.registry = m.host;
    if (!m.prefix.empty()) out.repository = m.prefix + "/" + ref.repository;
    return out;
  }
  return ref;
}

}  // namespace gantry::oci
