// Test fixture: a running `gantry sandbox` (the real binary) on a free port,
// with helpers to drive it through kubectl and raw HTTPS (the curl binary).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/process.h"
#include "support/fixtures.h"

namespace gantry::testing {

class Sandbox {
 public:
  struct Options {
    std::string ready_delay = "300ms";
    std::filesystem::path data_dir;  // empty: in memory
    std::vector<std::string> extra_args;
    std::string listen = "127.0.0.1:0";  // a fixed port to start again where a server was
  };
  struct Response {
    int status = 0;
    std::string body;
  };

  Sandbox() : Sandbox(Options{}) {}
  // Starts the binary and waits until /readyz answers (throws std::runtime_error otherwise).
  explicit Sandbox(Options options);
  // Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its files.
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const std::filesystem::path& kubeconfig() const { return kubeconfig_; }
  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  const std::filesystem::path& ca_file() const { return ca_file_; }
  pid_t pid() const { return pid_; }
  // Everything the server printed on stdout so far (after start: URL and kubeconfig lines).
  const std::string& banner() const { return banner_; }
  const std::filesystem::path& work_dir() const { return dir_.path(); }

  // `kubectl --kubeconfig <kubeconfig> args...` with a private discovery cache.
  ProcessResult kubectl(const std::vector<std::string>& args,
                        std::optional<std::string> input = std::nullopt) const;

  // One HTTPS request. `token` empty: the sandbox's token; "-": none.
  Response request(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& content_type = "application/json",
                   const std::string& token = "",
                   const std::vector<std::string>& headers = {}) const;

  // Sends SIGTERM and waits for the process to exit; returns its exit status.
  int stop();

 private:
  TempDir dir_;
  std::filesystem::path kubeconfig_, ca_file_;
  std::string url_, token_, banner_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

}  // namespace gantry::testing
