// `gantry build`: executes a Dockerfile without a daemon. Stages form a
// graph and independent stages build in parallel; every layer-producing
// step is cached under a key of its parent, its instruction with resolved
// arguments and the digest of what it reads; the image is written
// reproducibly (timestamps clamped to the epoch, fixed field order) to OCI
// layouts and registries.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oci/manifest.h"
#include "oci/registry.h"

namespace gantry::build {

struct SecretSource {
  std::string id;
  std::filesystem::path file;  // src=
  std::string env;             // env=: the value of this environment variable
};

struct BuildOptions {
  std::filesystem::path context = ".";
  std::filesystem::path dockerfile;  // empty: <context>/Dockerfile
  std::string dockerfile_text;       // used instead of reading `dockerfile` when set ("-")
  std::string target;                // empty: the last stage
  std::map<std::string, std::string> build_args;
  std::vector<std::string> tags;  // registry references (pushed with `push`) or oci:DIR[:TAG]
  bool push = false;
  std::vector<std::string> outputs;  // oci:DIR[:TAG]
  std::filesystem::path cache_dir;   // empty: default_cache_dir()
  bool no_cache = false;
  // The step cache in registries (or OCI layouts): pulled before the build
  // from each `cache_from` (a missing one is a warning), pushed after it to
  // `cache_to` (every step this build ran or reused, with its layer).
  std::vector<std::string> cache_from;
  std::string cache_to;
  std::vector<SecretSource> secrets;
  // "os/arch[/variant]", or several comma-separated: an OCI index of one
  // image per platform. Empty: this machine's.
  std::string platform;
  // Every timestamp is at most this (SOURCE_DATE_EPOCH). Unset: the commit
  // time of the Git HEAD the context is in, else 0.
  std::optional<int64_t> epoch;
  // org.opencontainers.image.revision / source / created from Git.
  bool revision_labels = false;
  std::string network = "none";  // default for RUN: none (own namespace) or host
  std::map<std::string, std::string> labels;
  // Without a Dockerfile: FROM `from`, then each --add, then the entrypoint.
  struct Files {
    std::string from;
    std::vector<std::pair<std::string, std::string>> add;  // SRC (context) -> DEST
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::string user;
    std::string workdir;
    std::vector<std::string> env;
  };
  std::optional<Files> files;
  int jobs = 4;  // parallel blob transfers
};

struct BuildEvent {
  enum class Type {
    kStep,     // a step starts: text is the instruction
    kCached,   // the step's result came from the cache
    kDone,     // the step finished: seconds, bytes of its layer
    kOutput,   // a line of a RUN step's output
    kError,    // the step failed: text says why
    kExport,   // the image was written to `text`
    kWarning,  // text
    kCache,    // the registry cache was imported or exported: text says what
  };
  BuildEvent() = default;
  BuildEvent(Type t, int n, std::string st, std::string tx, double sec = 0, int64_t b = 0)
      : type(t), step(n), stage(std::move(st)), text(std::move(tx)), seconds(sec), bytes(b) {}
  Type type = Type::kStep;
  int step = 0;       // 1-based, in the order steps start
  std::string stage;  // "[build 2/5]"
  std::string text;
  double seconds = 0;
  int64_t bytes = 0;
};

struct BuildResult {
  oci::Descriptor manifest;  // of the image (or of the index for several platforms)
  std::string config_digest;
  int steps = 0;
  int cached = 0;
  std::vector<std::string> written;  // where the image went
};

// Builds the image. Events arrive on several threads, one call at a time.
// Throws gantry::Error naming Dockerfile:line for a failing step; nothing is
// tagged or pushed unless every stage succeeded.
BuildResult build_image(oci::Session& session, const BuildOptions& opts,
                        const std::function<void(const BuildEvent&)>& on_event);

// The platform gantry runs on ("linux/amd64").
std::string host_platform();

}  // namespace gantry::build
