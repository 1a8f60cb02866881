// `gantry sandbox`: runs the sandbox API server over HTTPS until asked to stop.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>

#include "core/duration.h"

namespace gantry::sandbox {

struct SandboxOptions {
  std::string listen = "127.0.0.1:0";    // host:port; port 0 picks a free port
  std::filesystem::path data_dir;        // empty: state in memory only
  std::filesystem::path kubeconfig_out;  // empty: <data>/kubeconfig or a temp file
  std::chrono::milliseconds ready_delay{2000};
  // Changes kept for watches resuming from a resourceVersion; older ones get
  // 410 Gone (as kube-apiserver's watch cache does).
  size_t max_watch_events = 20000;
  // Name of the kubeconfig's context, cluster and user (e.g. the context a
  // project's target is pinned to).
  std::string context = "gantry-sandbox";
  // Empty: no request record. Otherwise one JSON line per request is appended
  // (sandbox/audit.h), flushed about every 100 ms and on stop.
  std::filesystem::path audit_log;
};

// Serves until `stop` becomes true. Prints the URL and kubeconfig path to `out`
// once the server accepts connections. Throws Error when it cannot start.
void run_sandbox(const SandboxOptions& options, const std::atomic<bool>& stop, std::ostream& out);

}  // namespace gantry::sandbox
