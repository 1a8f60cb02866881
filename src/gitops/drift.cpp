#include "gitops/drift.h"

#include "core/base64.h"
#include "doc/json.h"
#include "kube/noop.h"
#include "kube/objects.h"
#include "render/render.h"

namespace gantry::gitops {

using doc::Value;

namespace {

std::string type_key(const kube::ResourceType& t) {
  return t.group + "/" + t.version + "/" + t.resource;
}

std::string short_json(const Value& v) {
  std::string s = v.is_string() ? v.as_string() : doc::to_json(v);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

std::string diff_at(const Value& want, const Value& live, const std::string& path) {
  if (want.is_map()) {
    if (!live.is_map()) return path + ": changed";
    for (const auto& m : want.as_map()) {
      std::string p = path.empty() ? m.key : path + "." + m.key;
      const Value* l = live.find(m.key);
      if (!l) return p + ": removed";
      std::string d = diff_at(m.value, *l, p);
      if (!d.empty()) return d;
    }
    return {};
  }
  if (want.is_list()) {
    if (!live.is_list() || live.size() != want.size()) return path + ": list changed";
    for (size_t i = 0; i < want.size(); ++i) {
      const Value& w = want.as_list()[i];
      std::string label = w.is_map() && !w.get_string("name").empty()
                              ? "[name=" + w.get_string("name") + "]"
                              : "[" + std::to_string(i) + "]";
      std::string d = diff_at(w, live.as_list()[i], path + label);
      if (!d.empty()) return d;
    }
    return {};
  }
  if (!want.equals(live)) return path + ": " + short_json(want) + " -> " + short_json(live);
  return {};
}

}  // namespace

Value as_stored(Value desired) {
  // The API server stores a Secret's stringData as base64 data.
  if (desired.get_string("kind") != "Secret" || desired.get_string("apiVersion") != "v1")
    return desired;
  const Value* found = desired.find("stringData");
  if (!found || !found->is_map()) return desired;
  Value string_data = *found;  // a copy: inserting "data" may move the map's members
  desired.erase("stringData");
  Value data =
      desired.find("data") && desired.find("data")->is_map() ? *desired.find("data") : Value::map();
  for (const auto& m : string_data.as_map())
    if (m.value.is_string()) data.set(m.key, base64_encode(m.value.as_string()));
  desired.set("data", std::move(data));
  return desired;
}

std::string first_difference(const Value& desired, const Value& live) {
  return without_secret_values(desired.get_string("kind"), diff_at(desired, live, ""));
}

std::string without_secret_values(std::string_view kind, const std::string& change) {
  if (kind != "Secret") return change;
  for (std::string_view field : {"data", "stringData"}) {
    if (change.compare(0, field.size(), field) != 0) continue;
    char next = change.size() > field.size() ? change[field.size()] : '\0';
    if (next != '.' && next != ':') continue;
    // Keys of a Secret are [-._a-zA-Z0-9]+: the first ": " ends the path.
    return change.substr(0, change.find(": ")) + ": value changed (hidden)";
  }
  return change;
}

DriftRepairer::DriftRepairer(const kube::Client& client, std::string field_manager,
                             std::function<void(const DriftRepair&)> on_repair)
    : client_(client), manager_(std::move(field_manager)), on_repair_(std::move(on_repair)) {
  for (int i = 0; i < 2; ++i)
    workers_.emplace_back([this] { repair_loop(); });
}

DriftRepairer::~DriftRepairer() {
  stop();
}

void DriftRepairer::stop() {
  if (stopped_.exchange(true)) return;
  repairs_queue_.shutdown();
  std::map<std::string, std::unique_ptr<kube::Watcher>> watchers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    watchers.swap(watchers_);
  }
  for (auto& [k, w] : watchers)
    w->stop();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
}

void DriftRepairer::set_desired(const std::string& owner, std::vector<DesiredObject> objects) {
  std::vector<kube::ResourceType> new_types;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : by_owner_[owner])
      objects_.erase(id);
    std::set<std::string>& ids = by_owner_[owner];
    ids.clear();
    for (auto& o : objects) {
      std::string id = kube::identity(o.object);
      std::string tk = type_key(o.type);
      if (!watchers_.count(tk)) {
        watchers_[tk] = nullptr;
        new_types.push_back(o.type);
      }
      ids.insert(id);
      objects_[id] = Owned{owner, std::move(o.type), doc::to_json(o.object)};
    }
  }
  for (const auto& t : new_types) {
    kube::WatchOptions wo;
    wo.label_selector = std::string(render::kDiscriminatorLabel);
    std::string tk = type_key(t);
    auto w = std::make_unique<kube::Watcher>(
        client_, t, wo, [this, tk](const kube::WatchEvent& ev) { on_event(ev, tk); });
    w->start();
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      w->stop();
      continue;
    }
    watchers_[tk] = std::move(w);
  }
}

void DriftRepairer::forget(const std::string& owner) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& id : by_owner_[owner])
    objects_.erase(id);
  by_owner_.erase(owner);
  paused_.erase(owner);
  noted_.erase(owner);
}

void DriftRepairer::pause(const std::string& owner) {
  std::lock_guard<std::mutex> lock(mu_);
  paused_.insert(owner);
}

void DriftRepairer::resume(const std::string& owner) {
  std::set<std::string> ids;
  std::vector<std::pair<std::string, Owned>> check;
  {
    std::lock_guard<std::mutex> lock(mu_);
    paused_.erase(owner);
    ids.swap(noted_[owner]);
    noted_.erase(owner);
    for (const auto& id : ids)
      if (auto it = objects_.find(id); it != objects_.end() && it->second.owner == owner)
        check.emplace_back(id, it->second);
  }
  for (const auto& [id, o] : check) {
    std::optional<Value> live;
    try {
      Value desired = doc::parse_json(o.desired_json);
      live = kube::get(client_, o.type, kube::namespace_of(desired), kube::name_of(desired));
    } catch (const Error&) {
      continue;  // unreachable now: the next event or interval catches it
    }
    std::lock_guard<std::mutex> lock(mu_);
    consider(id, live ? &*live : nullptr, !live);
  }
}

bool DriftRepairer::synced() const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, w] : watchers_)
    if (!w || !w->synced()) return false;
  return true;
}

uint64_t DriftRepairer::watch_restarts() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [k, w] : watchers_)
    if (w) n += w->restarts();
  return n;
}

void DriftRepairer::on_event(const kube::WatchEvent& ev, const std::string&) {
  std::string id = kube::identity(ev.object);

  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(id);
  if (it == objects_.end()) return;
  if (paused_.count(it->second.owner)) {
    noted_[it->second.owner].insert(id);
    return;
  }
  bool deleted = ev.type == kube::WatchEvent::Type::kDeleted;
  consider(id, deleted ? nullptr : &ev.object, deleted);
}

// Called with mu_ held.
void DriftRepairer::consider(const std::string& id, const Value* live, bool deleted) {
  auto it = objects_.find(id);
  if (it == objects_.end()) return;
  if (deleted || !live) {
    pending_change_[id] = "deleted";
  } else if (live->find_path({"metadata", "deletionTimestamp"})) {
    return;  // being deleted: repaired when it is gone
  } else if (Value desired = as_stored(doc::parse_json(it->second.desired_json));
             !kube::apply_is_noop(desired, *live, manager_)) {
    std::string d = first_difference(desired, *live);
    pending_change_[id] = d.empty() ? "fields owned by gantry changed" : d;
  } else {
    return;
  }
  repairs_queue_.add(id);
}

void DriftRepairer::repair_loop() {
  while (auto id = repairs_queue_.get()) {
    try {
      repair(*id);
    } catch (const std::exception&) {
      // Reported through on_repair where it can be; never fatal for the loop.
    }
    repairs_queue_.done(*id);
  }
}

void DriftRepairer::repair(const std::string& id) {
  Owned o;
  std::string change;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(id);
    if (it == objects_.end() || paused_.count(it->second.owner)) return;
    o = it->second;
    change = pending_change_[id];
    pending_change_.erase(id);
  }
  Value desired = doc::parse_json(o.desired_json);
  std::string before;  // resourceVersion seen, to tell a real repair from a no-op apply
  std::optional<Value> live;
  if (change != "deleted") {
    live = kube::get(client_, o.type, kube::namespace_of(desired), kube::name_of(desired));
    if (live)
      before = live->find_path({"metadata", "resourceVersion"})
                   ? live->find_path({"metadata", "resourceVersion"})->as_string()
                   : "";
  }
  kube::ApplyOptions ao;
  ao.field_manager = manager_;
  ao.force = true;  // take back what was applied; the object is ours (it is desired)
  kube::ApplyResult r = kube::apply(client_, o.type, desired, ao);
  DriftRepair rep{o.owner, kube::describe(desired), change, r.ok(), r.ok() ? "" : r.message};
  if (r.ok()) {
    const Value* rv = r.object.find_path({"metadata", "resourceVersion"});
    if (live && rv && rv->is_string() && rv->as_string() == before) return;  // nothing changed
    ++repairs_;
  }
  if (on_repair_) on_repair_(rep);
}

}  // namespace gantry::gitops
