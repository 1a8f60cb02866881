// OpenSSH known_hosts files: is this host key the one we know for this host?
//
// Supported entry forms (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): plain host
// patterns separated by commas with `*`, `?` and `!` negation, `[host]:port`
// for ports other than 22, hashed names (`|1|salt|hmac`, as written by
// `ssh-keygen -H` or HashKnownHosts), and the `@revoked` marker.
// `@cert-authority` lines are ignored (host certificates are not supported).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace gantry::git {

enum class HostKeyStatus {
  kMatch,     // an entry for the host lists exactly this key
  kUnknown,   // no entry for the host (or none with this key type)
  kMismatch,  // the host is listed with a key of this type, but a different one
  kRevoked,   // this key is marked @revoked
};

struct HostKeyCheck {
  HostKeyStatus status = HostKeyStatus::kUnknown;
  std::string key_type;     // "ssh-ed25519", from the key itself
  std::string fingerprint;  // "SHA256:..." as ssh-keygen -l prints it
};

// Checks `key` (the raw public key blob in SSH wire format, as a server
// presents it) for `host` and `port` against the text of a known_hosts file.
// Lines that cannot be parsed are skipped, like ssh does.
HostKeyCheck check_host_key(std::string_view known_hosts_text, std::string_view host, int port,
                            std::string_view key);

// Reads the file then checks as above; a missing file knows no host.
HostKeyCheck check_host_key_file(const std::filesystem::path& known_hosts, std::string_view host,
                                 int port, std::string_view key);

}  // namespace gantry::git
