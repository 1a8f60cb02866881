#include "kube/discovery.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "core/error.h"
#include "core/file.h"
#include "core/parallel.h"
#include "doc/json.h"
#include "doc/string_list.h"

namespace gantry::kube {

namespace fs = std::filesystem;
using doc::Value;

namespace {

constexpr int64_t kCacheSeconds = 600;
constexpr std::string_view kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json";

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Response get_ok(const Client& c, const std::string& path, std::string_view accept) {
  Response r = c.send("GET", path, {}, "application/json", accept);
  if (!r.ok())
    throw Error("discovery GET " + path + " on " + c.access().server + ": " + r.message(),
                ExitCode::kExternal);
  return r;
}

}  // namespace

bool ResourceType::has_verb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

std::string ResourceType::base_path() const {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string ResourceType::collection_path(std::string_view ns) const {
  if (namespaced && !ns.empty())
    return base_path() + "/namespaces/" + std::string(ns) + "/" + resource;
  return base_path() + "/" + resource;
}

std::string ResourceType::object_path(std::string_view ns, std::string_view name) const {
  return collection_path(ns) + "/" + std::string(name);
}

fs::path default_cache_dir() {
  if (const char* d = std::getenv("GANTRY_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "gantry";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/tmp") / ".cache" / "gantry";
}

RestMapper::RestMapper(const Client& client, fs::path cache_dir) : client_(client) {
  if (!cache_dir.empty()) {
    std::string name = client.access().server;
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
    cache_file_ = cache_dir / "discovery" / (name + ".json");
  }
}

void RestMapper::load_locked() {
  if (loaded_) return;
  loaded_ = true;
  if (!cache_file_.empty() && fs::exists(cache_file_)) {
    try {
      Value v = doc::parse_json(read_file(cache_file_), cache_file_.string());
      const Value* at = v.find("fetched");
      const Value* rs = v.find("resources");
      if (at && at->is_int() && now_seconds() - at->as_int() < kCacheSeconds && rs &&
          rs->is_list()) {
        for (const Value& r : rs->as_list()) {
          Entry e;
          e.type.group = r.get_string("group");
          e.type.version = r.get_string("version");
          e.type.kind = r.get_string("kind");
          e.type.resource = r.get_string("resource");
          const Value* ns = r.find("namespaced");
          e.type.namespaced = ns && ns->is_bool() && ns->as_bool();
          e.type.verbs = doc::strings_of(r.find("verbs"));
          const Value* pref = r.find("preferred");
          e.preferred = pref && pref->is_bool() && pref->as_bool();
          entries_.push_back(std::move(e));
        }
        return;
      }
    } catch (const Error&) {
      // A damaged cache is ignored and rewritten.
    }
  }
  fetch_locked();
}

void RestMapper::fetch_locked() {
  std::vector<Entry> found;
  auto add_resource = [&](const std::string& group, const std::string& version, bool preferred,
                          const std::string& resource, const std::string& kind, bool namespaced,
                          std::vector<std::string> verbs) {
    if (resource.find('/') != std::string::npos || kind.empty()) return;  // subresources
    Entry e;
    e.type = ResourceType{group, version, kind, resource, namespaced, std::move(verbs)};
    e.preferred = preferred;
    found.push_back(std::move(e));
  };
  bool aggregated = true;
  for (const std::string root : {"/api", "/apis"}) {
    Response r = get_ok(client_, root, kAggregatedAccept);
    Value v = r.json();
    if (v.get_string("kind") != "APIGroupDiscoveryList") {
      aggregated = false;
      break;
    }
    if (const Value* items = v.find("items"); items && items->is_list()) {
      for (const Value& g : items->as_list()) {
        const Value* md = g.find("metadata");
        std::string group = md ? md->get_string("name") : "";
        const Value* versions = g.find("versions");
        if (!versions || !versions->is_list()) continue;
        bool first = true;
        for (const Value& ver : versions->as_list()) {
          std::string version = ver.get_string("version");
          if (const Value* rs = ver.find("resources"); rs && rs->is_list())
            for (const Value& res : rs->as_list()) {
              const Value* rk = res.find("responseKind");
              std::string kind = rk ? rk->get_string("kind") : "";
              add_resource(group, version, first, res.get_string("resource"), kind,
                           res.get_string("scope") == "Namespaced",
                           doc::strings_of(res.find("verbs")));
            }
          first = false;
        }
      }
    }
  }
  if (!aggregated) {
    found.clear();
    // Legacy discovery: /api/v1, then every group version of /apis.
    struct GV {
      std::string group, version;
      bool preferred;
    };
    std::vector<GV> gvs{{"", "v1", true}};
    Value groups = get_ok(client_, "/apis", "application/json").json();
    if (const Value* gs = groups.find("groups"); gs && gs->is_list())
      for (const Value& g : gs->as_list()) {
        std::string name = g.get_string("name");
        const Value* pv = g.find("preferredVersion");
        std::string pref = pv ? pv->get_string("version") : "";
        if (const Value* vs = g.find("versions"); vs && vs->is_list())
          for (const Value& ver : vs->as_list()) {
            std::string version = ver.get_string("version");
            gvs.push_back({name, version, version == pref});
          }
      }
    std::vector<Value> lists(gvs.size());
    parallel_for(gvs.size(), 8, [&](size_t i) {
      std::string path = gvs[i].group.empty() ? "/api/" + gvs[i].version
                                              : "/apis/" + gvs[i].group + "/" + gvs[i].version;
      Response r = client_.send("GET", path);
      if (r.ok()) lists[i] = r.json();  // a group version that is not served is skipped
    });
    for (size_t i = 0; i < gvs.size(); ++i)
      if (const Value* rs = lists[i].find("resources"); rs && rs->is_list())
        for (const Value& res : rs->as_list()) {
          const Value* ns = res.find("namespaced");
          add_resource(gvs[i].group, gvs[i].version, gvs[i].preferred, res.get_string("name"),
                       res.get_string("kind"), ns && ns->is_bool() && ns->as_bool(),
                       doc::strings_of(res.find("verbs")));
        }
  }
  // Keep kinds registered from CRDs of this run that the server does not show yet.
  for (auto& e : entries_) {
    bool known = std::any_of(found.begin(), found.end(), [&](const Entry& f) {
      return f.type.group == e.type.group && f.type.version == e.type.version &&
             f.type.kind == e.type.kind;
    });
    if (!known) found.push_back(e);
  }
  entries_ = std::move(found);
  refreshed_ = true;
  if (cache_file_.empty()) return;
  Value rs = Value::list();
  for (const auto& e : entries_) {
    Value verbs = Value::list();
    for (const auto& v : e.type.verbs)
      verbs.push_back(v);
    rs.push_back(Value::object({{"group", e.type.group},
                                {"version", e.type.version},
                                {"kind", e.type.kind},
                                {"resource", e.type.resource},
                                {"namespaced", e.type.namespaced},
                                {"verbs", verbs},
                                {"preferred", e.preferred}}));
  }
  try {
    fs::create_directories(cache_file_.parent_path());
    write_file_atomic(cache_file_,
                      doc::to_json(Value::object({{"fetched", now_seconds()}, {"resources", rs}})));
  } catch (const std::exception&) {
    // The cache is an optimisation; a read-only home does not stop a deploy.
  }
}

std::optional<ResourceType> RestMapper::find(std::string_view api_version, std::string_view kind) {
  std::string group, version;
  if (size_t slash = api_version.find('/'); slash == std::string_view::npos) {
    version = api_version;
  } else {
    group = api_version.substr(0, slash);
    version = api_version.substr(slash + 1);
  }
  std::lock_guard<std::mutex> lock(mu_);
  load_locked();
  for (int round = 0; round < 2; ++round) {
    for (const auto& e : entries_)
      if (e.type.group == group && e.type.version == version && e.type.kind == kind) return e.type;
    if (refreshed_) break;
    fetch_locked();
  }
  return std::nullopt;
}

void RestMapper::expire() {
  std::lock_guard<std::mutex> lock(mu_);
  refreshed_ = false;
}

std::vector<ResourceType> RestMapper::listable() {
  std::lock_guard<std::mutex> lock(mu_);
  // Always the server's current list: a cache written before a CRD was
  // installed would hide its objects from prune and delete.
  if (!refreshed_) fetch_locked();
  std::vector<ResourceType> out;
  for (const auto& e : entries_)
    if (e.preferred && e.type.has_verb("list") && e.type.has_verb("delete")) out.push_back(e.type);
  return out;
}

void RestMapper::add_crd(const Value& crd) {
  const Value* spec = crd.find("spec");
  if (!spec) return;
  const Value* names = spec->find("names");
  std::string group = spec->get_string("group");
  std::string plural = names ? names->get_string("plural") : "";
  std::string kind = names ? names->get_string("kind") : "";
  bool namespaced = spec->get_string("scope", "Namespaced") == "Namespaced";
  const Value* versions = spec->find("versions");
  if (group.empty() || plural.empty() || kind.empty() || !versions || !versions->is_list()) return;
  std::lock_guard<std::mutex> lock(mu_);
  load_locked();
  bool first = true;
  for (const Value& v : versions->as_list()) {
    const Value* served = v.find("served");
    if (served && served->is_bool() && !served->as_bool()) continue;
    std::string version = v.get_string("name");
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
      return e.type.group == group && e.type.version == version && e.type.kind == kind;
    });
    if (it == entries_.end()) {
      Entry e;
      e.type = ResourceType{
          group,
          version,
          kind,
          plural,
          namespaced,
          {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}};
      e.preferred = first;
      entries_.push_back(std::move(e));
    }
    first = false;
  }
}

void RestMapper::refresh() {
  std::lock_guard<std::mutex> lock(mu_);
  loaded_ = true;
  fetch_locked();
}

}  // namespace gantry::kube
