// Running external programs (helm, git hooks, test peers) without a shell.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gantry {

struct ProcessResult {
  int exit_code = -1;  // exit status, or 128+signal when killed by a signal
  std::string out;     // captured stdout
  std::string err;     // captured stderr
  bool timed_out = false;
};

struct ProcessOptions {
  std::filesystem::path cwd;             // empty: inherit
  std::optional<std::string> input;      // written to stdin, then closed
  std::chrono::milliseconds timeout{0};  // 0: none; on expiry the child is killed
  std::vector<std::string> extra_env;    // "NAME=value" added to (or replacing in) the environment
};

// Runs argv[0] (searched in PATH) with argv, capturing stdout and stderr.
// Throws Error (kExternal) only when the program cannot be started at all;
// a non-zero exit is reported in the result.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts = {});

// Full path of `name` found in PATH, or nullopt.
std::optional<std::filesystem::path> find_program(const std::string& name);

}  // namespace gantry
