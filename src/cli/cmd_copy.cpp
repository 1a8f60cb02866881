// gantry copy: Copy an image between registries and OCI layouts (any combination).
#include "cli/command.h"
#include "cli/oci_common.h"

namespace gantry::cli {

void add_copy_command(CLI::App& app, Action& action) {
  add_copy_like_command(
      app, action,
      {"copy", "Copy an image between registries and OCI layouts (any combination)",
       "Image reference or oci:DIR[:TAG]", "Image reference or oci:DIR[:TAG]", true, true});
}

}  // namespace gantry::cli
