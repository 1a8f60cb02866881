// libFuzzer target: kustomization resource entries parsed as kustomize's
// remote URLs (kustomize/remote.h), and the redaction of URLs shown in
// errors (core/url.h) — both read text from untrusted kustomizations.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/url.h"
#include "kustomize/remote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (auto spec = gantry::kustomize::parse_repo_spec(text, &why)) {
    // A parsed URL names a repository, and its directory never climbs out of it.
    if (spec->repo_path.empty() || spec->host.empty()) __builtin_trap();
    if (spec->clone_url() != spec->host + spec->repo_path) __builtin_trap();
    if (spec->kust_root == ".." || spec->kust_root.rfind("../", 0) == 0) __builtin_trap();
    if (!spec->kust_root.empty() && spec->kust_root[0] == '/') __builtin_trap();
  } else if (why.empty()) {
    __builtin_trap();  // a refusal always says why
  }
  // Redaction is idempotent: a redacted URL has nothing left to remove.
  std::string once = gantry::redact_url(text);
  if (gantry::redact_url(once) != once) __builtin_trap();
  return 0;
}
