// Helpers of the image-command integration tests: run gantry with an isolated
// auth configuration and read its JSON output.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"
#include "doc/json.h"
#include "support/fixtures.h"
#include "support/oci_testdata.h"
#include "support/registry.h"

namespace gantry::testing {

// Runs gantry with DOCKER_CONFIG pointing at `docker_config` (so the user's
// ~/.docker is never read) and the given extra environment.
inline ProcessResult gantry_cmd(const std::vector<std::string>& args,
                                const std::filesystem::path& docker_config,
                                std::vector<std::string> env = {}) {
  std::vector<std::string> argv{GANTRY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.timeout = std::chrono::minutes(3);
  o.extra_env = std::move(env);
  o.extra_env.push_back("DOCKER_CONFIG=" + docker_config.string());
  o.extra_env.push_back("REGISTRY_AUTH_FILE=");
  return run_process(argv, o);
}

inline doc::Value json_of(const ProcessResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return doc::parse_json(r.out, "gantry output");
}

// True when every blob file in the layout hashes to its name.
inline bool layout_blobs_intact(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir / "blobs" / "sha256")) return true;
  for (const auto& e : std::filesystem::directory_iterator(dir / "blobs" / "sha256")) {
    std::string name = e.path().filename().string();
    if (name.rfind(".tmp-", 0) == 0) return false;  // a leftover temporary file
    if (sha256_digest(read_text(e.path())) != "sha256:" + name) return false;
  }
  return true;
}

}  // namespace gantry::testing
