// libFuzzer target: image references, repository names, layout locations and
// WWW-Authenticate challenges (all parsed from untrusted input).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "oci/auth.h"
#include "oci/copy.h"
#include "oci/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    gantry::oci::Reference r = gantry::oci::parse_reference(text);
    // A normalised reference parses to itself.
    gantry::oci::Reference again = gantry::oci::parse_reference(r.str());
    if (again.str() != r.str()) __builtin_trap();
  } catch (const gantry::Error&) {
  }
  try {
    gantry::oci::parse_repository(text);
  } catch (const gantry::Error&) {
  }
  try {
    gantry::oci::parse_location(text);
  } catch (const gantry::Error&) {
  }
  gantry::oci::parse_challenges(text);
  return 0;
}
