// The step cache in a registry (or an OCI layout): `--cache-to REF` pushes
// the records of every step this build ran or reused, with their layers, as
// an OCI image manifest whose config (media type
// application/vnd.gantry.build.cache.v1+json) maps step keys to layers;
// `--cache-from REF` pulls it before the build and adds its records to the
// local cache, so another machine (a CI runner with an empty cache) skips
// every step whose key matches. Keys hold only content digests and resolved
// instructions, never local paths, so they match across machines.
#pragma once

#include <map>
#include <string>

#include "build/store.h"
#include "oci/registry.h"

namespace gantry::build {

inline constexpr std::string_view kCacheConfigType = "application/vnd.gantry.build.cache.v1+json";

// Pushes `steps` (key -> record) and their layers to `ref` (a registry
// reference or oci:DIR[:TAG]). Throws Error when the push fails.
void export_cache(oci::Session& session, Store& store,
                  const std::map<std::string, StepRecord>& steps, const std::string& ref, int jobs);

// Pulls the cache at `ref` into `store`: its layers into the blob store and
// its records as steps (existing local records win). Returns how many
// records it added. Throws Error (kNotFound when `ref` does not exist).
size_t import_cache(oci::Session& session, Store& store, const std::string& ref, int jobs);

// BuildKit's spelling `type=registry,ref=REF[,mode=max]` (or a plain REF) -> REF.
std::string cache_ref(const std::string& flag, const std::string& name);

}  // namespace gantry::build
