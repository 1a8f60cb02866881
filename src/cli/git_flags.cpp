#include "cli/git_flags.h"

#include <CLI/CLI.hpp>

#include <cstdlib>

#include "kube/discovery.h"

namespace gantry::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

git::Credentials git_credentials(const std::string& ssh_key_flag,
                                 const std::string& known_hosts_flag) {
  git::Credentials c;
  c.username = env("GANTRY_GIT_USERNAME");
  c.password = env("GANTRY_GIT_TOKEN");
  if (c.password.empty()) c.password = env("GANTRY_GIT_PASSWORD");
  c.ssh_key = ssh_key_flag.empty() ? env("GANTRY_GIT_SSH_KEY") : ssh_key_flag;
  c.ssh_passphrase = env("GANTRY_GIT_SSH_PASSPHRASE");
  c.known_hosts = known_hosts_flag.empty() ? env("GANTRY_GIT_KNOWN_HOSTS") : known_hosts_flag;
  return c;
}

std::string git_ca_file(const std::string& ca_file_flag) {
  return ca_file_flag.empty() ? env("GANTRY_GIT_CA_FILE") : ca_file_flag;
}

project::GitOptions GitSourceFlags::options() const {
  project::GitOptions o;
  o.cache_dir = kube::default_cache_dir() / "git";
  o.fetch.credentials = git_credentials(ssh_key, known_hosts);
  o.fetch.ca_file = git_ca_file(ca_file);
  o.fetch.offline = offline;
  for (const auto& r : url_rewrites)
    o.rewrites.push_back(project::parse_git_url_rewrite(r));
  if (!lock_file.empty()) o.pins = project::read_git_lock(lock_file);
  return o;
}

void add_git_source_flags(CLI::App* cmd, GitSourceFlags& f, const std::string& lock_help) {
  const char* group = "Git sources (git: items, remote kustomize bases)";
  cmd->add_option("--git-url-rewrite", f.url_rewrites,
                  "Fetch Git URLs starting with FROM from TO instead: FROM=TO (repeatable; the "
                  "longest FROM wins), e.g. for a mirror")
      ->group(group);
  cmd->add_flag("--offline", f.offline,
                "Use only the Git cache ($GANTRY_CACHE_DIR/git); a ref it lacks is an error")
      ->group(group);
  cmd->add_option("--git-lock", f.lock_file, lock_help)->group(group);
  cmd->add_option("--git-ssh-key", f.ssh_key,
                  "Private key file for ssh Git URLs (or GANTRY_GIT_SSH_KEY)")
      ->group(group);
  cmd->add_option("--git-known-hosts", f.known_hosts,
                  "known_hosts file for ssh Git URLs (or GANTRY_GIT_KNOWN_HOSTS; default "
                  "~/.ssh/known_hosts)")
      ->group(group);
  cmd->add_option("--git-ca-file", f.ca_file,
                  "PEM CAs trusted for https Git URLs instead of the system's (or "
                  "GANTRY_GIT_CA_FILE)")
      ->group(group);
}

}  // namespace gantry::cli
