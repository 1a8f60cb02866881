// Image automation in the controller: for each GantryImageUpdate (and Flux
// ImageUpdateAutomation), on its interval or when asked, list the tags of
// the policies' image repositories, pick with the tag policies
// (automation/policy.h), check out the Git branch in a workspace of the
// controller's cache, apply the byte-precise update of automation/update.h
// (setters `# {"$imagepolicy": ...}`, then nothing else is touched), commit
// with the templated message and author, and push (git/remote.h: one
// re-apply onto the remote tip when the push is rejected). Nothing is
// committed when nothing changed. Status: Ready (reason), lastScanTime,
// latestImages, lastPushCommit/lastPushTime; Flux's ImagePolicy objects get
// status.latestRef as Flux's image-reflector-controller writes it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "doc/value.h"
#include "gitops/metrics.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace gantry::gitops {

struct ImageUpdaterOptions {
  std::vector<std::string> watch_namespaces;  // empty: all
  std::filesystem::path cache_dir;            // workspaces below cache_dir/image-updates
  Metrics* metrics = nullptr;
  std::function<void(const std::string& level, const std::string& message,
                     std::vector<std::pair<std::string, std::string>> fields)>
      log;
};

// Every GantryImageUpdate and ImageUpdateAutomation of `ns` ("" all
// namespaces), for the kinds the cluster serves: each object with its type.
std::vector<std::pair<kube::ResourceType, doc::Value>> list_image_updates(
    const kube::Client& client, kube::RestMapper& mapper, const std::string& ns);

class ImageUpdater {
 public:
  // `mapper` tells which kinds the cluster serves (GantryImageUpdate, Flux's).
  ImageUpdater(const kube::Client& client, kube::RestMapper& mapper, ImageUpdaterOptions options);
  ~ImageUpdater();
  ImageUpdater(const ImageUpdater&) = delete;
  ImageUpdater& operator=(const ImageUpdater&) = delete;

  // Whether the cluster serves GantryImageUpdate or ImageUpdateAutomation.
  bool served() const;
  // Lists the resources and runs those that are due (interval passed, spec
  // changed, a manual request annotation); returns how many ran.
  size_t run_due();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::gitops
