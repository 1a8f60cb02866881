// The gantry command line: parses argv with CLI11 and dispatches to one
// command per file (cli/cmd_*.cpp). Returns the process exit code.
#pragma once

namespace gantry::cli {

int run(int argc, char** argv);

}  // namespace gantry::cli
