// The policy file of `gantry update --policies FILE`: which image repository
// each named policy watches and how it picks a tag. Two spellings, mixable in
// one multi-document YAML file:
//
//   policies:                      # gantry's own
//   - name: api
//     namespace: flux-system       # optional, default "default"
//     image: ghcr.io/acme/api
//     policy: {semver: {range: ">=1.0.0"}}   # or numerical/alphabetical: {order: asc|desc}
//     filterTags: {pattern: '^v(?P<v>.*)', extract: '$v'}   # optional
//     digestReflectionPolicy: IfNotPresent   # optional: Never (default), IfNotPresent, Always
//
// and Flux's own objects (apiVersion image.toolkit.fluxcd.io/*): ImageRepository
// (metadata.name/namespace, spec.image) and ImagePolicy (metadata.name/namespace,
// spec.imageRepositoryRef.{name,namespace}, spec.policy, spec.filterTags,
// spec.digestReflectionPolicy).
// Other Kubernetes kinds in the file are skipped.
//
// Resolving a policy (listing tags) is the caller's job: this file has no
// network code; resolve_policies() takes the tag lister as a function.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "automation/policy.h"
#include "automation/update.h"
#include "core/error.h"
#include "doc/value.h"

namespace gantry::automation {

struct ImagePolicy {
  std::string namespace_name = "default";
  std::string name;
  std::string image;  // the repository, as written: "ghcr.io/acme/api"
  TagPolicy policy;
  Location where;
  // Flux's digestReflectionPolicy other than Never: whole-image setters pin
  // the digest (`REPO:TAG@DIGEST`).
  bool reflect_digest = false;  // file:line of the policy's definition

  // "NAMESPACE:NAME", what setter markers refer to.
  std::string key() const { return namespace_name + ":" + name; }
};

// Parses a policy file's text. Throws Error (file:line, kInvalidInput) for
// text that is not YAML, an unknown or missing field, a policy with no kind
// or two kinds, an invalid range or regex, duplicate names, an ImagePolicy
// naming a missing ImageRepository, or a file that defines no policy at all.
std::vector<ImagePolicy> parse_policies(std::string_view text, const std::string& filename);

// The policies of already parsed documents (gantry's `policies:` and Flux's
// objects, as above; `what` names them in errors without a better place),
// e.g. objects read from a cluster. Throws like parse_policies.
std::vector<ImagePolicy> policies_of(const std::vector<doc::Value>& docs, const std::string& what);

// Reads policy files, and directories (every *.yaml / *.yml below them that
// mentions image.toolkit.fluxcd.io/ or policies:; other YAML there is not
// read), as one set: an ImagePolicy may refer to an ImageRepository in
// another file. A missing path is kNotFound; names must be unique across all.
std::vector<ImagePolicy> load_policies(const std::vector<std::filesystem::path>& paths);

// Lists the tags of an image repository ("ghcr.io/acme/api"); throws Error.
using TagLister = std::function<std::vector<std::string>(const std::string& image)>;

// The manifest digest (`sha256:…`) of IMAGE:TAG; throws Error.
using DigestLookup = std::function<std::string(const std::string& image, const std::string& tag)>;

// Picks each policy's tag from the tags `list` returns (asked once per
// repository), and, when `digest_of` is given, the digest of the picked tag
// (for `:digest` setters and digest reflection). Errors from either and "no
// tag matches" are rethrown with the policy's name and location as context.
std::map<std::string, PolicyImage> resolve_policies(const std::vector<ImagePolicy>& policies,
                                                    const TagLister& list,
                                                    const DigestLookup& digest_of = {});

}  // namespace gantry::automation
