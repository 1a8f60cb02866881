// The OCI image configuration a build starts from (the base image's) and
// changes step by step: the runtime config (Env, Cmd, Entrypoint, User,
// WorkingDir, Labels, ExposedPorts, Volumes, StopSignal, Healthcheck,
// OnBuild, Shell), the layers' diff IDs and the history. Written with a
// fixed field order and the build's epoch as every timestamp, so the same
// build gives the same bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "doc/value.h"

namespace gantry::build {

struct ImageConfig {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;
  std::string user;
  std::string working_dir;
  std::string stop_signal;
  std::vector<std::string> env;  // "KEY=VALUE", in order
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> shell;  // empty: ["/bin/sh", "-c"]
  std::map<std::string, std::string> labels;
  std::set<std::string> exposed_ports;  // "80/tcp"
  std::set<std::string> volumes;
  std::optional<doc::Value> healthcheck;
  std::vector<std::string> onbuild;
  std::vector<std::string> diff_ids;
  doc::Value history = doc::Value::list();

  // Reads a config blob (OCI or Docker); unknown fields are dropped.
  static ImageConfig parse(std::string_view json, std::string_view where);
  // The config blob. `created` is an RFC 3339 time.
  std::string to_json(const std::string& created) const;

  std::optional<std::string> get_env(std::string_view key) const;
  void set_env(const std::string& key, const std::string& value);
  void add_history(const std::string& created_by, bool empty_layer, const std::string& created);
};

// "1970-01-01T00:00:00Z" for an epoch in seconds.
std::string rfc3339(int64_t epoch);

}  // namespace gantry::build
