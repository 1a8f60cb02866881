#include "gitops/credentials.h"

#include <sys/stat.h>

#include "core/file.h"
#include "kube/objects.h"

namespace gantry::gitops {

std::optional<git::FetchOptions> git_options_from_secret(const kube::Client& client,
                                                         const std::string& ns,
                                                         const std::string& secret,
                                                         const std::filesystem::path& keys_dir) {
  git::FetchOptions fo;
  if (secret.empty()) return fo;
  auto s = kube::get_secret_data(client, ns, secret);
  if (!s) return std::nullopt;
  auto field = [&](const char* k) -> std::string {
    auto it = s->find(k);
    return it == s->end() ? "" : it->second;
  };
  fo.credentials.username = field("username");
  fo.credentials.password = field("password");
  if (fo.credentials.password.empty()) fo.credentials.password = field("token");
  std::string identity = field("identity"), known = field("known_hosts");
  if (!identity.empty()) {
    std::filesystem::path dir = keys_dir / (ns + "-" + secret);
    std::filesystem::create_directories(dir);
    ::chmod(dir.c_str(), 0700);
    write_file_atomic(dir / "identity", identity);
    ::chmod((dir / "identity").c_str(), 0600);
    fo.credentials.ssh_key = dir / "identity";
    if (!known.empty()) {
      write_file_atomic(dir / "known_hosts", known);
      fo.credentials.known_hosts = dir / "known_hosts";
    }
  }
  return fo;
}

}  // namespace gantry::gitops
