// gantry copy: Copy an image between registries and OCI layouts (any combination).
#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "cli/oci_common.h"

namespace gantry::cli {

void add_copy_command(CLI::App& app, Action& action) {
  struct Flags {
    std::string src, dst;
    RegistryFlags reg;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "copy", "Copy an image between registries and OCI layouts (any combination)");
  cmd->add_option("source", f->src, "Image reference or oci:DIR[:TAG]")->required();
  cmd->add_option("destination", f->dst, "Image reference or oci:DIR[:TAG]")->required();
  add_registry_flags(cmd, f->reg, true);
  cmd->add_option("--platform", f->reg.platform,
                  "From an index copy only this platform's image (os/arch[/variant])");
  cmd->add_option("-j,--jobs", f->reg.jobs, "Parallel blob transfers (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->add_option(
      "--chunk-size", f->reg.chunk_size,
      "Upload blobs larger than this many bytes in chunks (PATCH); default: one request");
  cmd->callback(
      [f, &action] { action = [f] { return run_copy_like(f->src, f->dst, f->reg, "copy"); }; });
}

}  // namespace gantry::cli
