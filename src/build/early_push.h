// With `--push`, layers go to the destination registries while later steps
// still run: each layer a step makes (or finds in the cache), and each base
// image layer, is queued as soon as it is in the store and uploaded by a few
// worker threads (skipped when the repository has it). Best effort: a
// failed upload is left for the final push, which checks and uploads every
// blob the image needs anyway, so nothing is pushed twice and nothing is
// missed.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "build/store.h"
#include "oci/copy.h"
#include "oci/registry.h"

namespace gantry::build {

class EarlyPush {
 public:
  // `destinations`: the registry locations the image will be pushed to.
  EarlyPush(oci::Session& session, const Store& store, std::vector<oci::ImageLocation> destinations,
            int jobs);
  ~EarlyPush();
  EarlyPush(const EarlyPush&) = delete;
  EarlyPush& operator=(const EarlyPush&) = delete;

  // Queues a layer (once per digest; layers without a blob are ignored).
  void layer(const StepRecord& layer);
  // Waits until every queued upload is done (or failed).
  void finish();
  // Blobs uploaded by this object (not those the registry had).
  int uploaded() const;

 private:
  void work();

  oci::Session& session_;
  const Store& store_;
  std::vector<oci::ImageLocation> destinations_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_;
  std::deque<StepRecord> queue_;
  std::set<std::string> seen_;
  int busy_ = 0, uploaded_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace gantry::build
