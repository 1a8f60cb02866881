#include "gitops/controller.h"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "core/digest.h"
#include "core/file.h"
#include "core/timestamp.h"
#include "doc/json.h"
#include "git/source.h"
#include "gitops/drift.h"
#include "gitops/history.h"
#include "gitops/image_update.h"
#include "gitops/metrics.h"
#include "gitops/queue.h"
#include "gitops/requests.h"
#include "gitops/resource.h"
#include "gitops/source_render.h"
#include "gitops/status.h"
#include "gitops/sync.h"
#include "kube/discovery.h"
#include "kube/objects.h"
#include "kube/ownership.h"
#include "kube/watch.h"
#include "render/render.h"

namespace gantry::gitops {

using doc::Value;
using std::chrono::milliseconds;

namespace {

// What the controller remembers of a resource between reconciles.
struct State {
  int64_t seen_generation = -1;  // generation of the last reconcile (any outcome)
  std::string seen_request;      // manual-request value seen last
  std::string applied_commit;    // last successful sync
  int64_t applied_generation = -1;
  std::string attempted_commit;  // last sync, any outcome
  int64_t attempted_generation = -1;
  std::string handled_request;
  std::string discriminator;  // of the last render
  int failures = 0;           // consecutive
  std::vector<std::string> inventory;
  std::vector<std::string> inventory_items;  // the item of each inventory entry
  Value history;                             // null until read from the status or written
  int64_t drift_repairs = 0;
  std::vector<Repair> recent;
  Value last_result;
  Condition ready{"Ready", "Unknown", "Progressing", "reconciliation has not finished yet"};
  std::string last_attempted, last_applied;
  std::vector<std::string> unsupported;
  bool suspended = false;
  GitSource source;         // of the last reconcile (webhooks match against it)
  std::string cluster_key;  // where its objects are (TargetCluster::key)
};

// A cluster that resources deploy to, as one user: the controller's own,
// one named by a kubeconfig Secret, or either while impersonating a
// ServiceAccount. Each has its own discovery and drift watches.
struct TargetCluster {
  std::string key;    // "" for the controller's own, as itself
  std::string label;  // for logs: "in-cluster", "kubeconfig Secret ns/name (https://...)"
  std::unique_ptr<kube::Client> own_client;  // null: the controller's own client
  const kube::Client* client = nullptr;
  std::unique_ptr<kube::RestMapper> own_mapper;
  kube::RestMapper* mapper = nullptr;
  std::unique_ptr<DriftRepairer> drift;
};

// A failure of one step, with the condition reason to report.
struct StepError {
  std::string reason;
  std::string message;
};

kube::ResourceType type_of_kind(const std::string& kind) {
  return kind == kKluctlKind ? kluctl_deployment_type() : gantry_deployment_type();
}

}  // namespace

struct Controller::Impl {
  const kube::Client& client;
  ControllerOptions opt;
  kube::RestMapper mapper;
  git::SourceCache sources;
  WorkQueue queue;
  Metrics metrics;
  mutable std::mutex clusters_mu;
  std::map<std::string, std::shared_ptr<TargetCluster>> clusters;  // by key
  std::shared_ptr<TargetCluster> home;
  mutable std::mutex mu;
  std::map<std::string, State> states;
  std::vector<std::unique_ptr<kube::Watcher>> watchers;
  std::atomic<uint64_t> reconciles{0}, failures{0};
  std::atomic<bool> leading{false}, watching{false};
  std::atomic<int64_t> heartbeat_ms{0};  // the main loop's last turn (steady clock)
  std::unique_ptr<ImageUpdater> images_;

  Impl(const kube::Client& c, ControllerOptions o)
      : client(c),
        opt(std::move(o)),
        mapper(c, opt.cache_dir / "discovery"),
        sources(opt.cache_dir / "git") {
    home = std::make_shared<TargetCluster>();
    home->label = client.access().in_cluster ? "in-cluster" : "context " + client.access().context;
    home->client = &client;
    home->mapper = &mapper;
    home->drift = make_drift(client);
    clusters[""] = home;
    ImageUpdaterOptions io;
    io.watch_namespaces = opt.watch_namespaces;
    io.cache_dir = opt.cache_dir;
    io.metrics = &metrics;
    io.log = [this](const std::string& level, const std::string& msg,
                    std::vector<std::pair<std::string, std::string>> fields) {
      log(level, msg, std::move(fields));
    };
    images_ = std::make_unique<ImageUpdater>(client, mapper, std::move(io));
    metrics.watch_restarts = [this] { return watch_restarts(); };
    metrics.leading = [this] { return !opt.leader_election || leading.load(); };
    metrics.resources = [this] {
      std::lock_guard<std::mutex> lock(mu);
      return states.size();
    };
  }

  std::unique_ptr<DriftRepairer> make_drift(const kube::Client& c) {
    return std::make_unique<DriftRepairer>(c, opt.field_manager,
                                           [this](const DriftRepair& r) { on_repair(r); });
  }

  std::vector<std::shared_ptr<TargetCluster>> all_clusters() const {
    std::lock_guard<std::mutex> lock(clusters_mu);
    std::vector<std::shared_ptr<TargetCluster>> out;
    for (const auto& [k, c] : clusters)
      out.push_back(c);
    return out;
  }

  uint64_t watch_restarts() const {
    uint64_t n = 0;
    for (const auto& c : all_clusters())
      n += c->drift->watch_restarts();
    for (const auto& w : watchers)
      n += w->restarts();
    return n;
  }

  // The cluster a resource's state says its objects are on (its own if unknown).
  std::shared_ptr<TargetCluster> cluster_of(const std::string& key) {
    std::string ck;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = states.find(key);
      if (it != states.end()) ck = it->second.cluster_key;
    }
    std::lock_guard<std::mutex> lock(clusters_mu);
    auto it = clusters.find(ck);
    return it == clusters.end() ? home : it->second;
  }

  // The cluster `d` deploys to, as whom: connected on first use.
  std::shared_ptr<TargetCluster> cluster_for(const DeploymentSpec& d) {
    if (d.kubeconfig_secret.empty() && !d.context.empty() && d.context != "default")
      throw StepError{"UnsupportedContext",
                      "spec.context \"" + d.context +
                          "\" needs spec.kubeConfig.secretRef: without a kubeconfig only the "
                          "controller's own cluster (empty or \"default\") is known"};
    if (d.kubeconfig_secret.empty() && d.service_account.empty()) return home;
    kube::ClusterAccess access;
    std::string key, label;
    if (!d.kubeconfig_secret.empty()) {
      auto data = kube::get_secret_data(client, d.ns, d.kubeconfig_secret);
      std::string where = "spec.kubeConfig.secretRef: the Secret \"" + d.kubeconfig_secret + "\"";
      if (!data) throw StepError{"KubeConfigInvalid", where + " does not exist in " + d.ns};
      auto it = data->end();
      if (!d.kubeconfig_key.empty()) {
        it = data->find(d.kubeconfig_key);
      } else {
        it = data->find("value");
        if (it == data->end()) it = data->find("value.yaml");
      }
      if (it == data->end())
        throw StepError{"KubeConfigInvalid",
                        where + " has no key \"" +
                            (d.kubeconfig_key.empty() ? "value" : d.kubeconfig_key) + "\""};
      try {
        access = kube::parse_inline_cluster_access(it->second, d.context);
      } catch (const Error& e) {
        throw StepError{"KubeConfigInvalid", where + ": " + e.why()};
      }
      key = sha256_hex(it->second + "\n" + d.context);
      label = "kubeconfig Secret " + d.ns + "/" + d.kubeconfig_secret + " (" + access.server + ")";
    } else {
      access = client.access();
      key = "own";
      label = home->label;
    }
    if (!d.service_account.empty()) {
      // kube-apiserver adds the ServiceAccount's groups itself.
      access.impersonate_user = "system:serviceaccount:" + d.ns + ":" + d.service_account;
      access.impersonate_groups.clear();
      key += "|" + access.impersonate_user;
      label += " as " + access.impersonate_user;
    }
    std::lock_guard<std::mutex> lock(clusters_mu);
    auto& slot = clusters[key];
    if (!slot) {
      auto c = std::make_shared<TargetCluster>();
      c->key = key;
      c->label = label;
      try {
        c->own_client = std::make_unique<kube::Client>(std::move(access), opt.client_settings);
      } catch (const Error& e) {
        clusters.erase(key);
        throw StepError{"KubeConfigInvalid", label + ": " + e.why()};
      }
      c->client = c->own_client.get();
      c->own_mapper = std::make_unique<kube::RestMapper>(
          *c->client, opt.cache_dir / "discovery" / sha256_hex(key).substr(0, 16));
      c->mapper = c->own_mapper.get();
      c->drift = make_drift(*c->client);
      slot = c;
      log("info", "connected a target cluster", {{"cluster", label}});
    }
    return slot;
  }

  // Records where `d`'s objects are; a resource that moved is forgotten by
  // the drift repair of its previous cluster.
  void place(const DeploymentSpec& d, const std::shared_ptr<TargetCluster>& c) {
    std::string before;
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      before = st.cluster_key;
      st.cluster_key = c->key;
    }
    if (before == c->key) return;
    std::lock_guard<std::mutex> lock(clusters_mu);
    if (auto it = clusters.find(before); it != clusters.end()) it->second->drift->forget(d.key());
  }

  void log(const std::string& level, const std::string& msg,
           std::vector<std::pair<std::string, std::string>> fields = {}) const {
    if (opt.log) opt.log(LogRecord{level, msg, std::move(fields)});
  }

  // ---- events from the API -------------------------------------------------

  void on_resource_event(const kube::WatchEvent& ev) {
    const Value& o = ev.object;
    std::string key = o.get_string("kind") + "/" + kube::namespace_of(o) + "/" + kube::name_of(o);
    if (ev.type == kube::WatchEvent::Type::kDeleted) {
      cluster_of(key)->drift->forget(key);
      {
        std::lock_guard<std::mutex> lock(mu);
        states.erase(key);
      }
      queue.forget(key);
      metrics.forget(labels_of(key));
      log("info", "resource deleted", {{"resource", key}});
      return;
    }
    const Value* gen = o.find_path({"metadata", "generation"});
    int64_t generation = gen && gen->is_int() ? gen->as_int() : 0;
    std::string request;
    if (const Value* a = o.find_path({"metadata", "annotations"}); a && a->is_map()) {
      request = a->get_string(kRequestAnnotation);
      if (request.empty()) request = a->get_string(kKluctlRequestAnnotation);
    }
    bool deleting = o.find_path({"metadata", "deletionTimestamp"}) != nullptr;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = states.find(key);
      // Our own status writes change neither generation nor annotations: no work.
      if (it != states.end() && !deleting && it->second.seen_generation == generation &&
          it->second.seen_request == request)
        return;
    }
    queue.add(key);
  }

  static ResourceLabels labels_of(const std::string& key) {
    auto p = split_key(key);
    return ResourceLabels{p[0], p[1], p[2]};
  }

  void on_repair(const DriftRepair& r) {
    metrics.drift_repaired(labels_of(r.owner), r.ok);
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = states.find(r.owner);
      if (it == states.end()) return;
      if (r.ok) {
        ++it->second.drift_repairs;
        it->second.recent.push_back(Repair{r.object, r.change, utc_now()});
        if (it->second.recent.size() > 10) it->second.recent.erase(it->second.recent.begin());
      }
    }
    log(r.ok ? "info" : "warn", r.ok ? "drift repaired" : "drift repair failed",
        {{"resource", r.owner}, {"object", r.object}, {"change", r.change}, {"error", r.error}});
    // The status and an Event say so.
    auto parts = split_key(r.owner);
    try {
      std::optional<Value> obj = kube::get(client, type_of_kind(parts[0]), parts[1], parts[2]);
      if (!obj) return;
      DeploymentSpec d = parse_deployment(*obj);
      record_event(client, d, r.ok ? "Normal" : "Warning",
                   r.ok ? "DriftRepaired" : "DriftRepairFailed",
                   r.object + ": " + (r.ok ? r.change : r.error));
      write_current_status(d, &*obj);
    } catch (const Error& e) {
      log("warn", "status after a repair not written", {{"resource", r.owner}, {"error", e.why()}});
    }
  }

  static std::vector<std::string> split_key(const std::string& key) {
    std::vector<std::string> out;
    size_t a = key.find('/'), b = key.find('/', a + 1);
    out.push_back(key.substr(0, a));
    out.push_back(key.substr(a + 1, b - a - 1));
    out.push_back(key.substr(b + 1));
    return out;
  }

  // ---- status ----------------------------------------------------------------

  void write_current_status(const DeploymentSpec& d, const Value* obj,
                            const Condition* reconciling = nullptr,
                            const Condition* stalled = nullptr) {
    StatusUpdate u;
    {
      std::lock_guard<std::mutex> lock(mu);
      const State& st = states[d.key()];
      u.observed_generation = d.generation;
      u.conditions.push_back(st.ready);
      u.conditions.push_back(reconciling ? *reconciling
                                         : Condition{"Reconciling", "False", st.ready.reason, ""});
      u.conditions.push_back(stalled ? *stalled
                                     : Condition{"Stalled", "False", st.ready.reason, ""});
      u.last_attempted_revision = st.last_attempted;
      u.last_applied_revision = st.last_applied;
      u.handled_request = st.handled_request;
      u.last_result = st.last_result;
      u.inventory = st.inventory;
      u.inventory_items = st.inventory_items;
      u.history = st.history;
      u.drift_repairs = st.drift_repairs;
      u.recent_repairs = st.recent;
      u.unsupported = st.unsupported;
    }
    const Value* old = obj ? obj->find("status") : nullptr;
    write_status(client, d, status_value(u, old));
  }

  // ---- the reconcile ---------------------------------------------------------

  void worker() {
    while (auto key = queue.get()) {
      auto t0 = std::chrono::steady_clock::now();
      std::string result;
      try {
        result = reconcile(*key);
      } catch (const std::exception& e) {
        result = "error";
        log("error", "reconcile failed", {{"resource", *key}, {"error", e.what()}});
        queue.add_after(*key, std::chrono::seconds(10));
      }
      if (!result.empty())
        metrics.reconcile_done(
            labels_of(*key), result,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      queue.done(*key);
    }
  }

  // One reconcile; returns its result for the metrics ("success",
  // "unchanged", "failure", "suspended", "deleted", "invalid"), "" when the
  // resource is gone.
  std::string reconcile(const std::string& key) {
    ++reconciles;
    auto parts = split_key(key);
    std::optional<Value> obj = kube::get(client, type_of_kind(parts[0]), parts[1], parts[2]);
    if (!obj) {
      std::lock_guard<std::mutex> lock(mu);
      states.erase(key);
      return "";
    }
    DeploymentSpec d;
    try {
      d = parse_deployment(*obj);
    } catch (const Error& e) {
      // An invalid spec cannot succeed until someone edits it: Stalled.
      d.kind = parts[0];
      d.api_version = obj->get_string("apiVersion");
      d.ns = parts[1];
      d.name = parts[2];
      const Value* uid = obj->find_path({"metadata", "uid"});
      d.uid = uid && uid->is_string() ? uid->as_string() : "";
      const Value* g = obj->find_path({"metadata", "generation"});
      d.generation = g && g->is_int() ? g->as_int() : 0;
      Condition stalled{"Stalled", "True", "InvalidSpec", e.why()};
      {
        std::lock_guard<std::mutex> lock(mu);
        State& st = states[key];
        st.seen_generation = d.generation;
        st.ready = Condition{"Ready", "False", "InvalidSpec", e.why()};
      }
      write_current_status(d, &*obj, nullptr, &stalled);
      record_event(client, d, "Warning", "InvalidSpec", e.why());
      return "invalid";
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[key];
      st.seen_generation = d.generation;
      st.seen_request = d.requested_at;
      st.unsupported = d.unsupported;
      st.source = d.source;
    }
    if (d.deleting) {
      finalize(d);
      return "deleted";
    }
    ensure_finalizer(d, *obj);
    if (d.suspend) {
      suspended(d, *obj);
      return "suspended";
    }
    resume_if_suspended(d);

    std::string result;
    try {
      result = sync_resource(d, *obj);
    } catch (const StepError& e) {
      fail(d, *obj, e);
      result = "failure";
    }
    // Give the render's and the plan's memory back to the system: the
    // controller is long-lived, and glibc keeps freed heap otherwise.
    malloc_trim(0);
    return result;
  }

  void finalize(const DeploymentSpec& d) {
    if (!d.has_finalizer) return;
    cluster_of(d.key())->drift->forget(d.key());
    std::string disc;
    {
      std::lock_guard<std::mutex> lock(mu);
      disc = states[d.key()].discriminator;
    }
    if (d.delete_on_removal) {
      if (disc.empty()) {
        try {
          disc = render_source(d, nullptr).target.discriminator;
        } catch (const StepError& e) {
          log("error", "cannot delete the target's objects",
              {{"resource", d.key()}, {"error", e.message}});
          record_event(client, d, "Warning", "DeleteFailed",
                       "cannot render the target to find its objects: " + e.message);
          queue.add_after(d.key(), std::chrono::seconds(30));
          return;
        }
      }
      if (!disc.empty()) {
        std::shared_ptr<TargetCluster> c;
        try {
          c = cluster_for(d);
        } catch (const StepError& e) {
          record_event(client, d, "Warning", "DeleteFailed", e.message);
          queue.add_after(d.key(), std::chrono::seconds(30));
          return;
        }
        kube::TargetObjects objs = kube::list_target_objects(*c->client, *c->mapper, disc,
                                                             kube::OwnershipRule{}, {}, opt.jobs);
        kube::DeleteOptions del;
        del.jobs = opt.jobs;
        del.finalizer_timeout = d.timeout;
        kube::DeleteReport r = kube::delete_objects(*c->client, objs.ours, del);
        log("info", "deleted the target's objects",
            {{"resource", d.key()},
             {"deleted", std::to_string(r.deleted)},
             {"failed", std::to_string(r.failures.size())}});
        if (!r.failures.empty()) {
          record_event(client, d, "Warning", "DeleteFailed",
                       r.failures.front().object + ": " + r.failures.front().message);
          queue.add_after(d.key(), std::chrono::seconds(10));
          return;
        }
      }
    }
    set_finalizer(d, false);
    std::lock_guard<std::mutex> lock(mu);
    states.erase(d.key());
  }

  void set_finalizer(const DeploymentSpec& d, bool present) {
    set_delete_finalizer(client, type_of_kind(d.kind), d.ns, d.name, present);
  }

  void ensure_finalizer(const DeploymentSpec& d, const Value&) {
    if (d.delete_on_removal && !d.has_finalizer) set_finalizer(d, true);
    if (!d.delete_on_removal && d.has_finalizer) set_finalizer(d, false);
  }

  void suspended(const DeploymentSpec& d, const Value& obj) {
    cluster_of(d.key())->drift->pause(d.key());
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      st.suspended = true;
      if (!d.requested_at.empty()) st.handled_request = d.requested_at;
    }
    Condition reconciling{"Reconciling", "False", "Suspended", "reconciliation is suspended"};
    write_current_status(d, &obj, &reconciling);
    log("info", "suspended", {{"resource", d.key()}});
  }

  void resume_if_suspended(const DeploymentSpec& d) {
    bool was = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      was = st.suspended;
      st.suspended = false;
    }
    if (was) cluster_of(d.key())->drift->resume(d.key());
  }

  git::FetchOptions fetch_options(const DeploymentSpec& d) {
    try {
      return source_fetch_options(client, d, opt.cache_dir);
    } catch (const SourceError& e) {
      throw StepError{e.reason, e.message};
    }
  }

  // Fetches the source (the resolved commit in `commit` when given) and renders the target.
  render::RenderResult render_source(const DeploymentSpec& d, std::string* commit) {
    double fetch_seconds = -1;
    try {
      auto r = render_deployment_source(client, sources, d, opt.cache_dir, commit, &fetch_seconds);
      metrics.git_fetch("fetch", fetch_seconds);
      return r;
    } catch (const SourceError& e) {
      if (fetch_seconds >= 0) metrics.git_fetch("fetch", fetch_seconds);
      throw StepError{e.reason, e.message};
    }
  }

  static double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  // Why this deploy runs (gitops/history.h), from what this process
  // remembers and, after a restart, from the resource's status.
  Trigger trigger_for(const DeploymentSpec& d, const Value& obj, const std::string& commit) {
    const Value* status = obj.find("status");
    auto status_string = [&](std::string_view k) {
      return status && status->is_map() ? status->get_string(k) : std::string();
    };
    TriggerInput in;
    in.requested_at = d.requested_at;
    in.requested_by = requested_by(d.requested_by, d.requested_at);
    std::lock_guard<std::mutex> lock(mu);
    const State& st = states[d.key()];
    in.handled_request =
        st.handled_request.empty() ? status_string("lastHandledReconcileAt") : st.handled_request;
    std::string applied = status_string("lastAppliedRevision");
    if (st.attempted_generation >= 0) {
      in.deployed_before = true;
      in.generation_changed = d.generation != st.attempted_generation;
      in.commit_changed = commit != st.attempted_commit;
    } else {
      const Value* g = status && status->is_map() ? status->find("observedGeneration") : nullptr;
      in.deployed_before = !applied.empty();
      in.generation_changed = g && g->is_int() && g->as_int() != d.generation;
      in.commit_changed = applied.find(commit) == std::string::npos;
    }
    in.last_failed = st.failures > 0;
    return trigger_of(in);
  }

  std::string sync_resource(const DeploymentSpec& d, const Value& obj) {
    std::shared_ptr<TargetCluster> cluster = cluster_for(d);
    place(d, cluster);
    DriftRepairer& drift = *cluster->drift;
    std::string commit;
    auto t0 = std::chrono::steady_clock::now();
    try {
      commit = sources.resolve(d.source.url, source_ref(d.source), fetch_options(d));
    } catch (const Error& e) {
      throw StepError{"FetchFailed", e.str()};
    }
    metrics.git_fetch("resolve", seconds_since(t0));
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      bool same = commit == st.applied_commit && d.generation == st.applied_generation &&
                  d.requested_at == st.handled_request && st.failures == 0;
      if (same && drift.synced()) {
        queue.add_after(d.key(), d.interval);
        return "unchanged";  // nothing changed in Git; the watches look after the cluster
      }
    }
    cluster->mapper->expire();  // CRDs installed since the last sync are found
    std::string started = utc_now();
    Trigger trigger = trigger_for(d, obj, commit);
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      st.attempted_commit = commit;
      st.attempted_generation = d.generation;
    }
    std::string rev = revision_text(d.source, commit);
    Condition reconciling{"Reconciling", "True", "Progressing", "deploying " + rev};
    {
      std::lock_guard<std::mutex> lock(mu);
      states[d.key()].last_attempted = rev;
    }
    write_current_status(d, &obj, &reconciling);

    std::string fetched_commit;
    render::RenderResult rendered = render_source(d, &fetched_commit);
    rev = revision_text(d.source, fetched_commit);

    SyncOptions so;
    so.jobs = opt.jobs;
    so.prune = d.prune;
    so.dry_run = d.dry_run;
    so.force_conflicts = d.force_conflicts;
    so.reclaim_owned_fields = true;
    so.timeout = d.timeout;
    so.field_manager = opt.field_manager;
    SyncReport report;
    drift.pause(d.key());
    try {
      report = sync(*cluster->client, *cluster->mapper, rendered, so);
    } catch (const Error& e) {
      drift.resume(d.key());
      throw StepError{"ApplyFailed", e.str()};
    }
    std::vector<DesiredObject> desired;
    std::vector<std::pair<std::string, std::string>> named;  // name, item
    for (const auto& p : report.plan.objects) {
      if (!p.type || p.hook.is_hook()) continue;
      named.emplace_back(p.name(), p.item < rendered.items.size()
                                       ? rendered.items[p.item].item.rel_dir
                                       : std::string());
      if (p.change != kube::Change::kFailed) desired.push_back(DesiredObject{*p.type, p.desired});
    }
    std::sort(named.begin(), named.end());
    std::vector<std::string> inventory, inventory_items;
    for (auto& [n, item] : named) {
      inventory.push_back(std::move(n));
      inventory_items.push_back(std::move(item));
    }

    auto failures_list = report.failures();
    Value fl = Value::list();
    for (const auto& f : failures_list)
      fl.push_back(Value::object({{"object", f.object},
                                  {"source", f.source.known() ? f.source.str() : ""},
                                  {"message", f.message}}));
    for (const auto& f : report.deploy.not_ready)
      fl.push_back(Value::object({{"object", f.object}, {"message", "not ready: " + f.message}}));
    Value result = Value::object({{"revision", rev},
                                  {"applied", static_cast<int64_t>(report.deploy.applied)},
                                  {"unchanged", static_cast<int64_t>(report.deploy.unchanged)},
                                  {"pruned", static_cast<int64_t>(report.pruned.deleted)},
                                  {"hooks", static_cast<int64_t>(report.deploy.hooks_run)},
                                  {"failed", static_cast<int64_t>(fl.size())},
                                  {"failures", fl},
                                  {"dryRun", d.dry_run},
                                  {"durationMs", static_cast<int64_t>(report.duration.count())},
                                  {"time", utc_now()}});
    bool ok = report.ok();
    std::string summary = "applied " + std::to_string(report.deploy.applied) + ", unchanged " +
                          std::to_string(report.deploy.unchanged) + ", pruned " +
                          std::to_string(report.pruned.deleted) + ", failed " +
                          std::to_string(fl.size());
    DeployRecord record;
    record.revision = rev;
    record.started = started;
    record.finished = utc_now();
    record.applied = static_cast<int64_t>(report.deploy.applied);
    record.unchanged = static_cast<int64_t>(report.deploy.unchanged);
    record.pruned = static_cast<int64_t>(report.pruned.deleted);
    record.failed = static_cast<int64_t>(fl.size());
    record.result = !report.ok() ? "failed" : d.dry_run ? "dry run" : "succeeded";
    if (fl.size())
      record.message =
          fl.as_list()[0].get_string("object") + ": " + fl.as_list()[0].get_string("message");
    record.trigger = trigger;
    record.hooks = report.deploy.hooks;
    int failures_now = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      st.discriminator = rendered.target.discriminator;
      st.inventory = inventory;
      st.inventory_items = inventory_items;
      if (st.history.is_null()) st.history = history_of(obj.find("status"));
      st.history = add_to_history(st.history, history_entry(record));
      st.last_result = result;
      st.handled_request = d.requested_at;
      if (ok) {
        st.failures = 0;
        st.applied_commit = fetched_commit;
        st.applied_generation = d.generation;
        st.last_applied = rev;
        st.ready = Condition{"Ready", "True", "ReconciliationSucceeded",
                             (d.dry_run ? "dry run of " : "deployed ") + rev + ": " + summary};
      } else {
        failures_now = ++st.failures;
        std::string first = fl.size() ? fl.as_list()[0].get_string("object") + ": " +
                                            fl.as_list()[0].get_string("message")
                                      : "";
        st.ready = Condition{"Ready", "False",
                             report.deploy.not_ready.empty() ? "ApplyFailed" : "HealthCheckFailed",
                             rev + ": " + summary + (first.empty() ? "" : "; " + first)};
      }
    }
    if (!ok) ++failures;
    // Repairs start only now: a repair's own status write must see this
    // reconcile's outcome, never the state before it.
    metrics.managed_objects(labels_of(d.key()), inventory.size());
    if (ok && !d.dry_run)
      metrics.applied(
          labels_of(d.key()), rev,
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count());
    if (!d.dry_run) drift.set_desired(d.key(), std::move(desired));
    drift.resume(d.key());
    write_current_status(d, &obj);
    if (report.changed_anything || !ok)
      record_event(client, d, ok ? "Normal" : "Warning",
                   ok ? "ReconciliationSucceeded" : "ReconciliationFailed",
                   (ok ? "deployed " : "failed to deploy ") + rev + ": " + summary);
    log(ok ? "info" : "warn", ok ? "reconciled" : "reconcile failed",
        {{"resource", d.key()}, {"revision", rev}, {"result", summary}});
    queue.add_after(d.key(), ok ? d.interval : backoff(d, failures_now));
    return ok ? "success" : "failure";
  }

  milliseconds backoff(const DeploymentSpec& d, int failures_now) const {
    milliseconds cap = std::max(d.interval, d.retry_interval);
    milliseconds delay = d.retry_interval;
    for (int i = 1; i < failures_now && delay < cap; ++i)
      delay *= 2;
    return std::min(delay, cap);
  }

  void fail(const DeploymentSpec& d, const Value& obj, const StepError& e) {
    ++failures;
    int n = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      n = ++st.failures;
      st.ready = Condition{"Ready", "False", e.reason, e.message};
      st.handled_request = d.requested_at;
    }
    bool stalled = e.reason == "UnsupportedContext";
    Condition st_cond{"Stalled", stalled ? "True" : "False", e.reason, stalled ? e.message : ""};
    try {
      write_current_status(d, &obj, nullptr, &st_cond);
    } catch (const Error& we) {
      log("warn", "status not written", {{"resource", d.key()}, {"error", we.why()}});
    }
    record_event(client, d, "Warning", e.reason, e.message);
    milliseconds next = backoff(d, n);
    log("warn", "reconcile failed",
        {{"resource", d.key()},
         {"reason", e.reason},
         {"error", e.message},
         {"retryIn", std::to_string(next.count()) + "ms"}});
    if (!stalled) queue.add_after(d.key(), next);
  }

  // ---- running -----------------------------------------------------------------

  void start_watches() {
    if (!mapper.find(std::string(kGroup) + "/" + std::string(kVersion), kKind))
      throw Error(
          "the cluster does not serve gantrydeployments.gantry.dev; install the CRD with "
          "`gantry controller --crds | kubectl apply --server-side -f -`",
          ExitCode::kNotFound);
    std::vector<kube::ResourceType> types{gantry_deployment_type()};
    if (opt.kluctl &&
        mapper.find(std::string(kKluctlGroup) + "/" + std::string(kKluctlVersion), kKluctlKind))
      types.push_back(kluctl_deployment_type());
    std::vector<std::string> namespaces = opt.watch_namespaces;
    if (namespaces.empty()) namespaces.push_back("");
    for (const auto& t : types)
      for (const auto& ns : namespaces) {
        kube::WatchOptions wo;
        wo.ns = ns;
        auto w = std::make_unique<kube::Watcher>(
            client, t, wo, [this](const kube::WatchEvent& ev) { on_resource_event(ev); });
        w->start();
        watchers.push_back(std::move(w));
        log("info", "watching",
            {{"resource", t.resource + "." + t.group}, {"namespace", ns.empty() ? "*" : ns}});
      }
    watching = true;
  }

  void beat() {
    heartbeat_ms = std::chrono::duration_cast<milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  }

  bool ready(std::string* why) const {
    if (opt.leader_election && !leading.load()) return true;  // a standby has nothing to sync
    if (!watching.load()) {
      if (why) *why = "not watching yet";
      return false;
    }
    for (const auto& w : watchers)
      if (!w->synced()) {
        if (why) *why = "the resource watches have not listed yet";
        return false;
      }
    for (const auto& c : all_clusters())
      if (!c->drift->synced()) {
        if (why) *why = "drift watches of " + c->label + " have not listed yet";
        return false;
      }
    return true;
  }

  bool run(const std::atomic<bool>& stop) {
    std::unique_ptr<LeaderElector> elector;
    std::atomic<bool> lost{false};
    std::thread keeper;
    if (opt.leader_election) {
      elector = std::make_unique<LeaderElector>(client, opt.leader);
      log("info", "waiting to lead",
          {{"lease", opt.leader.ns + "/" + opt.leader.name}, {"identity", elector->identity()}});
      std::atomic<bool> acquired{false};
      std::thread waiter([&] { acquired = elector->acquire(stop); });
      while (!acquired.load() && !stop.load()) {
        beat();
        std::this_thread::sleep_for(milliseconds(100));
      }
      waiter.join();
      if (!acquired.load()) return true;
      leading = true;
      log("info", "leading", {{"identity", elector->identity()}});
      keeper = std::thread([&] {
        if (!elector->keep(stop)) lost = true;
        leading = false;
      });
    }
    start_watches();
    std::vector<std::thread> workers;
    for (size_t i = 0; i < std::max<size_t>(1, opt.concurrency); ++i)
      workers.emplace_back([this] { worker(); });
    // Image automation: one thread looks each second at which resources are due.
    std::thread images;
    if (images_->served()) {
      log("info", "image automation on");
      images = std::thread([&] {
        while (!stop.load() && !lost.load()) {
          try {
            images_->run_due();
          } catch (const Error& e) {
            log("warn", "image automation: listing failed", {{"error", e.why()}});
          }
          for (int i = 0; i < 10 && !stop.load() && !lost.load(); ++i)
            std::this_thread::sleep_for(milliseconds(100));
        }
      });
    }
    while (!stop.load() && !lost.load()) {
      beat();
      std::this_thread::sleep_for(milliseconds(100));
    }
    if (lost.load()) log("error", "leadership lost: stopping at once");
    log("info", "stopping: finishing reconciles in flight");
    queue.shutdown();
    if (images.joinable()) images.join();
    for (auto& w : watchers)
      w->stop();
    for (auto& t : workers)
      t.join();
    for (const auto& c : all_clusters())
      c->drift->stop();
    if (keeper.joinable()) keeper.join();
    if (elector && !lost.load()) elector->release();
    log("info", "stopped");
    return !lost.load();
  }
};

Controller::Controller(const kube::Client& client, ControllerOptions options)
    : impl_(std::make_unique<Impl>(client, std::move(options))) {}

Controller::~Controller() = default;

bool Controller::run(const std::atomic<bool>& stop) {
  return impl_->run(stop);
}

ControllerStats Controller::stats() const {
  ControllerStats s;
  s.reconciles = impl_->reconciles.load();
  s.failures = impl_->failures.load();
  for (const auto& c : impl_->all_clusters())
    s.drift_repairs += c->drift->repairs();
  s.watch_restarts = impl_->watch_restarts();
  return s;
}

std::string Controller::metrics_text() const {
  return impl_->metrics.text();
}

bool Controller::ready(std::string* why) const {
  return impl_->ready(why);
}

bool Controller::alive() const {
  auto now =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  int64_t last = impl_->heartbeat_ms.load();
  return last == 0 || now - last < 30'000;
}

}  // namespace gantry::gitops
