#include "build/early_push.h"

#include "core/error.h"
#include "oci/layout.h"

namespace gantry::build {

EarlyPush::EarlyPush(oci::Session& session, const Store& store,
                     std::vector<oci::ImageLocation> destinations, int jobs)
    : session_(session), store_(store), destinations_(std::move(destinations)) {
  for (int i = 0; i < std::max(1, jobs); ++i)
    workers_.emplace_back([this] { work(); });
}

EarlyPush::~EarlyPush() {
  {
    std::lock_guard g(mu_);
    stop_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  for (std::thread& t : workers_)
    t.join();
}

void EarlyPush::layer(const StepRecord& layer) {
  if (layer.digest.empty()) return;
  {
    std::lock_guard g(mu_);
    if (stop_ || !seen_.insert(layer.digest).second) return;
    queue_.push_back(layer);
  }
  cv_.notify_one();
}

void EarlyPush::finish() {
  std::unique_lock g(mu_);
  idle_.wait(g, [this] { return queue_.empty() && busy_ == 0; });
}

int EarlyPush::uploaded() const {
  std::lock_guard g(mu_);
  return uploaded_;
}

void EarlyPush::work() {
  for (;;) {
    StepRecord layer;
    {
      std::unique_lock g(mu_);
      cv_.wait(g, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      layer = queue_.front();
      queue_.pop_front();
      ++busy_;
    }
    int done = 0;
    for (const oci::ImageLocation& dst : destinations_) {
      try {
        oci::Descriptor d;
        d.media_type =
            layer.media_type.empty() ? std::string(oci::media::kOciLayerGzip) : layer.media_type;
        d.digest = oci::Digest::parse(layer.digest);
        d.size = layer.size;
        oci::Registry& reg = session_.registry(dst.ref.api_host(), dst.cred);
        if (reg.blob_size(dst.ref.repository, d.digest)) continue;
        std::filesystem::path blob = store_.blobs().blob_path(d.digest);
        reg.upload_blob(dst.ref.repository, d,
                        http::Body::file_range(blob, 0, static_cast<uint64_t>(d.size)));
        ++done;
      } catch (const std::exception&) {
        // Left for the final push, which uploads whatever is still missing.
      }
    }
    {
      std::lock_guard g(mu_);
      uploaded_ += done;
      --busy_;
    }
    idle_.notify_all();
  }
}

}  // namespace gantry::build
