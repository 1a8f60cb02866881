// gantry push: Push an image from an OCI layout (oci:DIR[:TAG]) to a registry.
#include "cli/command.h"
#include "cli/oci_common.h"

namespace gantry::cli {

void add_push_command(CLI::App& app, Action& action) {
  add_copy_like_command(
      app, action,
      {"push", "Push an image from an OCI layout (oci:DIR[:TAG]) to a registry", "oci:DIR[:TAG]",
       "Image reference (registry/repository:tag)", false, false});
}

}  // namespace gantry::cli
