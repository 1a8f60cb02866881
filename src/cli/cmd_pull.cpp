// gantry pull: Pull an image (all platforms of an index) from a registry into an OCI layout.
#include "cli/command.h"
#include "cli/oci_common.h"

namespace gantry::cli {

void add_pull_command(CLI::App& app, Action& action) {
  add_copy_like_command(
      app, action,
      {"pull", "Pull an image (all platforms of an index) from a registry into an OCI layout",
       "Image reference", "oci:DIR[:TAG]", true, false});
}

}  // namespace gantry::cli
