// gantry push: Push an image from an OCI layout (oci:DIR[:TAG]) to a registry.
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/oci_common.h"

namespace gantry::cli {

void add_push_command(CLI::App& app, Action& action) {
  struct Flags {
    std::string src, dst;
    RegistryFlags reg;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd =
      app.add_subcommand("push", "Push an image from an OCI layout (oci:DIR[:TAG]) to a registry");
  cmd->add_option("source", f->src, "oci:DIR[:TAG]")->required();
  cmd->add_option("destination", f->dst, "Image reference (registry/repository:tag)")->required();
  add_registry_flags(cmd, f->reg, false);
  cmd->add_option("-j,--jobs", f->reg.jobs, "Parallel blob transfers (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->add_option(
      "--chunk-size", f->reg.chunk_size,
      "Upload blobs larger than this many bytes in chunks (PATCH); default: one request");
  cmd->callback(
      [f, &action] { action = [f] { return run_copy_like(f->src, f->dst, f->reg, "push"); }; });
}

}  // namespace gantry::cli
