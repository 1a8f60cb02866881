// Internal to the build executor: what a stage has accumulated so far and
// what all stages of one build share. The step implementations (config,
// COPY/ADD, RUN) take these; builder.cpp drives them.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "build/builder.h"
#include "build/context.h"
#include "build/dockerfile.h"
#include "build/early_push.h"
#include "build/expand.h"
#include "build/image_config.h"
#include "build/layered_view.h"
#include "build/stages.h"
#include "build/store.h"

namespace gantry::build {

struct StageState {
  ImageConfig config;
  std::vector<StepRecord> layers;                         // one per config.diff_ids entry
  std::string key;                                        // the cache key of everything so far
  std::vector<std::pair<std::string, std::string>> args;  // ARGs in scope, in order
  std::string platform;
  bool cmd_set_here = false;  // CMD given in this stage (ENTRYPOINT then keeps it)
};

struct BuildRun {
  BuildRun(const BuildOptions& o, oci::Session& se, Store& st, BuildContext& c, const Dockerfile& d,
           const StageGraph& g, std::function<void(const BuildEvent&)> e, std::string cr,
           std::atomic<int>& steps)
      : opts(o),
        session(se),
        store(st),
        context(c),
        df(d),
        graph(g),
        emit(std::move(e)),
        created(std::move(cr)),
        next_step(steps) {}
  const BuildOptions& opts;
  oci::Session& session;
  Store& store;
  BuildContext& context;
  const Dockerfile& df;
  const StageGraph& graph;
  std::function<void(const BuildEvent&)> emit;  // serialised
  std::string created;                          // rfc3339(epoch)
  std::string label_prefix;  // before stage names in events: the platform when several
  // The platform being built (TARGETPLATFORM), whatever a stage's FROM --platform says.
  std::string target_platform;
  std::map<size_t, std::shared_future<StageState>> stages;  // results of earlier stages
  std::atomic<int>& next_step;                              // shared by the platforms of one build
  std::atomic<int> cached{0};
  std::mutex pull_mu;
  std::map<std::string, StageState> pulled;  // base images by reference + platform
  std::set<std::string> used_args;
  std::mutex args_mu;
  std::map<std::string, StepRecord> steps_seen;  // every layer step's key and record
  EarlyPush* early_push = nullptr;               // with --push: layers go out as they are made
  std::mutex steps_mu;
};

// The value of a variable for expansion in a stage: ENV first, then ARGs.
Lookup stage_lookup(const StageState& s);
Location where(const BuildRun& run, const Instruction& ins);

// The snapshot directories of a stage's layers (unpacked when missing).
std::vector<std::filesystem::path> snapshots(BuildRun& run, const StageState& s);

// The base image `ref` for `platform` ("scratch" is empty), pulled into the store.
StageState pull_base(BuildRun& run, const std::string& ref, const std::string& platform,
                     const Location& at);

// Instructions that only change the config (ENV, ARG, LABEL, USER, EXPOSE,
// VOLUME, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, STOPSIGNAL, ONBUILD,
// MAINTAINER). Returns false when `ins` is not one of them.
bool apply_config_step(BuildRun& run, StageState& s, const Instruction& ins);

// Steps that make a layer. Each adds it to `s` (or nothing when the step
// changed nothing) and returns true when it came from the cache.
bool run_workdir(BuildRun& run, StageState& s, const Instruction& ins);
bool run_copy(BuildRun& run, StageState& s, const Instruction& ins);
bool run_run(BuildRun& run, StageState& s, const Instruction& ins, int step);

// Shared by the layer-producing steps: looks up `key`; on a miss calls
// `make(upper)` to fill an empty upper directory, writes and stores the
// layer. Appends the layer to `s` (unless empty) and the history entry.
bool layer_step(BuildRun& run, StageState& s, const std::string& key, const std::string& created_by,
                const std::function<void(const std::filesystem::path& upper)>& make);

// Copies `path` of a stage (or of the build context when `stage` is null)
// into the directory `into`, owners and modes kept: a directory's contents,
// or the file itself.
void materialize(BuildRun& run, const StageState* stage, const std::string& path,
                 const std::filesystem::path& into, const Location& at);

// The state of an earlier stage, or of an image, named by --from.
StageState from_state(BuildRun& run, const StageState& s, const std::string& from,
                      const Location& at);

}  // namespace gantry::build
