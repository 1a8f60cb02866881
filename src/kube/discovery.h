// Discovery and REST mapping: which resource serves a kind, in which scope.
//
// The resource list is read with the aggregated discovery API (two requests,
// /api and /apis; the legacy per-group endpoints when the server lacks it) and
// cached on disk per server (`<cache>/discovery/<server>.json`, kept 10
// minutes). A kind missing from the cache triggers one refresh from the
// server before it is reported unknown; CRDs applied in the same run are
// added with add() so their objects map before discovery shows them.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/client.h"

namespace gantry::kube {

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string kind;
  std::string resource;  // plural, lower case
  bool namespaced = true;
  std::vector<std::string> verbs;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  bool has_verb(std::string_view verb) const;
  // "/api/v1" or "/apis/GROUP/VERSION"
  std::string base_path() const;
  // The collection path ("…/namespaces/NS/RESOURCE"; ns ignored for cluster scope,
  // "" ns of a namespaced type lists across all namespaces).
  std::string collection_path(std::string_view ns) const;
  std::string object_path(std::string_view ns, std::string_view name) const;
};

// $GANTRY_CACHE_DIR, else $XDG_CACHE_HOME/gantry, else ~/.cache/gantry.
std::filesystem::path default_cache_dir();

class RestMapper {
 public:
  // cache_dir empty: no disk cache.
  RestMapper(const Client& client, std::filesystem::path cache_dir);

  // The resource for apiVersion + kind, refreshing discovery once on a miss;
  // nullopt when the server does not serve it. Thread-safe.
  std::optional<ResourceType> find(std::string_view api_version, std::string_view kind);

  // Every resource type in its group's preferred version that can be listed
  // and deleted (what prune and delete look through). Read from the server
  // (once per run), never from the disk cache alone.
  std::vector<ResourceType> listable();

  // Registers the kinds a CustomResourceDefinition object defines.
  void add_crd(const doc::Value& crd);

  // Reads discovery from the server now (and rewrites the cache).
  void refresh();

  // Forgets that discovery was read from the server: the next miss, or the
  // next listable(), reads it again. Long-running callers (the controller)
  // call it before each sync so that resource types added since are seen.
  void expire();

 private:
  struct Entry {
    ResourceType type;
    bool preferred = false;
  };
  void load_locked();
  void fetch_locked();
  const Client& client_;
  std::filesystem::path cache_file_;
  std::mutex mu_;
  bool loaded_ = false;
  bool refreshed_ = false;  // fetched from the server during this run
  std::vector<Entry> entries_;
};

}  // namespace gantry::kube
