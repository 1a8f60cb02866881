#include "gitops/controller.h"

#include <malloc.h>
#include <sys/stat.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "core/base64.h"
#include "core/file.h"
#include "core/timestamp.h"
#include "doc/json.h"
#include "git/source.h"
#include "gitops/drift.h"
#include "gitops/queue.h"
#include "gitops/requests.h"
#include "gitops/resource.h"
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
  std::string handled_request;
  std::string discriminator;  // of the last render
  int failures = 0;           // consecutive
  std::vector<std::string> inventory;
  int64_t drift_repairs = 0;
  std::vector<Repair> recent;
  Value last_result;
  Condition ready{"Ready", "Unknown", "Progressing", "reconciliation has not finished yet"};
  std::string last_attempted, last_applied;
  std::vector<std::string> unsupported;
  bool suspended = false;
};

// A failure of one step, with the condition reason to report.
struct StepError {
  std::string reason;
  std::string message;
};

kube::ResourceType type_of_kind(const std::string& kind) {
  return kind == kKluctlKind ? kluctl_deployment_type() : gantry_deployment_type();
}

std::string short_commit(const std::string& c) {
  return c.substr(0, 12);
}

std::string revision_text(const GitSource& s, const std::string& commit) {
  std::string ref = !s.branch.empty() ? s.branch : !s.tag.empty() ? s.tag : "HEAD";
  return ref + "@sha1:" + commit;
}

}  // namespace

struct Controller::Impl {
  const kube::Client& client;
  ControllerOptions opt;
  kube::RestMapper mapper;
  git::SourceCache sources;
  WorkQueue queue;
  std::unique_ptr<DriftRepairer> drift;
  mutable std::mutex mu;
  std::map<std::string, State> states;
  std::vector<std::unique_ptr<kube::Watcher>> watchers;
  std::atomic<uint64_t> reconciles{0}, failures{0};

  Impl(const kube::Client& c, ControllerOptions o)
      : client(c),
        opt(std::move(o)),
        mapper(c, opt.cache_dir / "discovery"),
        sources(opt.cache_dir / "git") {
    drift = std::make_unique<DriftRepairer>(client, opt.field_manager,
                                            [this](const DriftRepair& r) { on_repair(r); });
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
      {
        std::lock_guard<std::mutex> lock(mu);
        states.erase(key);
      }
      drift->forget(key);
      queue.forget(key);
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

  void on_repair(const DriftRepair& r) {
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
      try {
        reconcile(*key);
      } catch (const std::exception& e) {
        log("error", "reconcile failed", {{"resource", *key}, {"error", e.what()}});
        queue.add_after(*key, std::chrono::seconds(10));
      }
      queue.done(*key);
    }
  }

  void reconcile(const std::string& key) {
    ++reconciles;
    auto parts = split_key(key);
    std::optional<Value> obj = kube::get(client, type_of_kind(parts[0]), parts[1], parts[2]);
    if (!obj) {
      std::lock_guard<std::mutex> lock(mu);
      states.erase(key);
      return;
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
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[key];
      st.seen_generation = d.generation;
      st.seen_request = d.requested_at;
      st.unsupported = d.unsupported;
    }
    if (d.deleting) return finalize(d);
    ensure_finalizer(d, *obj);
    if (d.suspend) return suspended(d, *obj);
    resume_if_suspended(d);

    try {
      sync_resource(d, *obj);
    } catch (const StepError& e) {
      fail(d, *obj, e);
    }
    // Give the render's and the plan's memory back to the system: the
    // controller is long-lived, and glibc keeps freed heap otherwise.
    malloc_trim(0);
  }

  void finalize(const DeploymentSpec& d) {
    if (!d.has_finalizer) return;
    drift->forget(d.key());
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
        kube::TargetObjects objs =
            kube::list_target_objects(client, mapper, disc, kube::OwnershipRule{}, {}, opt.jobs);
        kube::DeleteOptions del;
        del.jobs = opt.jobs;
        del.finalizer_timeout = d.timeout;
        kube::DeleteReport r = kube::delete_objects(client, objs.ours, del);
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
    drift->pause(d.key());
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
    if (was) drift->resume(d.key());
  }

  git::FetchOptions fetch_options(const DeploymentSpec& d) {
    git::FetchOptions fo;
    if (d.source.secret.empty()) return fo;
    kube::ResourceType secrets;
    secrets.version = "v1";
    secrets.kind = "Secret";
    secrets.resource = "secrets";
    std::optional<Value> s = kube::get(client, secrets, d.ns, d.source.secret);
    if (!s)
      throw StepError{"FetchFailed", "the Secret \"" + d.source.secret + "\" named in " +
                                         "spec.source.git.secretRef does not exist in namespace " +
                                         d.ns};
    auto field = [&](const char* k) -> std::string {
      const Value* v = s->find_path({"data", k});
      if (!v || !v->is_string()) return {};
      auto dec = base64_decode(v->as_string());
      return dec ? *dec : "";
    };
    fo.credentials.username = field("username");
    fo.credentials.password = field("password");
    if (fo.credentials.password.empty()) fo.credentials.password = field("token");
    std::string identity = field("identity"), known = field("known_hosts");
    if (!identity.empty()) {
      std::filesystem::path dir = opt.cache_dir / "keys" / (d.ns + "-" + d.source.secret);
      std::filesystem::create_directories(dir);
      ::chmod(dir.c_str(), 0700);
      write_file_atomic(dir / "identity", identity);
      ::chmod((dir / "identity").c_str(), 0600);
      fo.credentials.ssh_key = dir / "identity";
      if (!known.empty()) {
        write_file_atomic(dir / "known_hosts", known);
        fo.credentials.known_hosts = dir / "known_hosts";
      }
    }
    return fo;
  }

  static git::SourceRef source_ref(const GitSource& s) {
    git::SourceRef r;
    r.branch = s.branch;
    r.tag = s.tag;
    r.commit = s.commit;
    return r;
  }

  // Fetches the source (the resolved commit in `commit` when given) and renders the target.
  render::RenderResult render_source(const DeploymentSpec& d, std::string* commit) {
    git::FetchedSource src;
    try {
      src = sources.fetch(d.source.url, source_ref(d.source), fetch_options(d));
    } catch (const Error& e) {
      throw StepError{"FetchFailed", e.str()};
    }
    if (commit) *commit = src.commit;
    std::filesystem::path dir = src.tree / d.source.path;
    if (!std::filesystem::is_directory(dir))
      throw StepError{"SourceInvalid", "the path \"" + d.source.path + "\" does not exist in " +
                                           src.url + " at " + short_commit(src.commit)};
    render::RenderRequest req;
    req.project_dir = dir;
    req.target = d.target;
    if (d.args.is_map())
      for (const auto& m : d.args.as_map())
        req.args.emplace_back(m.key, m.value);
    req.selection.include_tags = d.include_tags;
    req.selection.exclude_tags = d.exclude_tags;
    req.selection.include_dirs = d.include_dirs;
    req.selection.exclude_dirs = d.exclude_dirs;
    try {
      return render::render_project(req);
    } catch (const Error& e) {
      // Paths inside the cached tree, shown as they are in the repository.
      std::string msg = e.str();
      std::string prefix = (src.tree.string() + "/");
      for (size_t p; (p = msg.find(prefix)) != std::string::npos;)
        msg.erase(p, prefix.size());
      throw StepError{"RenderFailed", msg + " (commit " + short_commit(src.commit) + ")"};
    }
  }

  void sync_resource(const DeploymentSpec& d, const Value& obj) {
    if (!d.context.empty() && d.context != "default")
      throw StepError{"UnsupportedContext",
                      "spec.context \"" + d.context +
                          "\": only the controller's own cluster (empty or \"default\") is "
                          "supported"};
    std::string commit;
    try {
      commit = sources.resolve(d.source.url, source_ref(d.source), fetch_options(d));
    } catch (const Error& e) {
      throw StepError{"FetchFailed", e.str()};
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      bool same = commit == st.applied_commit && d.generation == st.applied_generation &&
                  d.requested_at == st.handled_request && st.failures == 0;
      if (same && drift->synced()) {
        queue.add_after(d.key(), d.interval);
        return;  // nothing changed in Git; the watches look after the cluster
      }
    }
    mapper.expire();  // CRDs installed since the last sync are found
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
    drift->pause(d.key());
    try {
      report = sync(client, mapper, rendered, so);
    } catch (const Error& e) {
      drift->resume(d.key());
      throw StepError{"ApplyFailed", e.str()};
    }
    std::vector<DesiredObject> desired;
    std::vector<std::string> inventory;
    for (const auto& p : report.plan.objects) {
      if (!p.type || p.hook.is_hook()) continue;
      inventory.push_back(p.name());
      if (p.change != kube::Change::kFailed) desired.push_back(DesiredObject{*p.type, p.desired});
    }
    std::sort(inventory.begin(), inventory.end());

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
    int failures_now = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      State& st = states[d.key()];
      st.discriminator = rendered.target.discriminator;
      st.inventory = inventory;
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
    if (!d.dry_run) drift->set_desired(d.key(), std::move(desired));
    drift->resume(d.key());
    write_current_status(d, &obj);
    if (report.changed_anything || !ok)
      record_event(client, d, ok ? "Normal" : "Warning",
                   ok ? "ReconciliationSucceeded" : "ReconciliationFailed",
                   (ok ? "deployed " : "failed to deploy ") + rev + ": " + summary);
    log(ok ? "info" : "warn", ok ? "reconciled" : "reconcile failed",
        {{"resource", d.key()}, {"revision", rev}, {"result", summary}});
    queue.add_after(d.key(), ok ? d.interval : backoff(d, failures_now));
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
    for (const auto& t : types) {
      kube::WatchOptions wo;
      wo.ns = opt.watch_namespace;
      auto w = std::make_unique<kube::Watcher>(
          client, t, wo, [this](const kube::WatchEvent& ev) { on_resource_event(ev); });
      w->start();
      watchers.push_back(std::move(w));
      log("info", "watching",
          {{"resource", t.resource + "." + t.group},
           {"namespace", opt.watch_namespace.empty() ? "*" : opt.watch_namespace}});
    }
  }

  bool run(const std::atomic<bool>& stop) {
    std::unique_ptr<LeaderElector> elector;
    std::atomic<bool> lost{false};
    std::thread keeper;
    if (opt.leader_election) {
      elector = std::make_unique<LeaderElector>(client, opt.leader);
      log("info", "waiting to lead",
          {{"lease", opt.leader.ns + "/" + opt.leader.name}, {"identity", elector->identity()}});
      if (!elector->acquire(stop)) return true;
      log("info", "leading", {{"identity", elector->identity()}});
      keeper = std::thread([&] {
        if (!elector->keep(stop)) lost = true;
      });
    }
    start_watches();
    std::vector<std::thread> workers;
    for (size_t i = 0; i < std::max<size_t>(1, opt.concurrency); ++i)
      workers.emplace_back([this] { worker(); });
    while (!stop.load() && !lost.load())
      std::this_thread::sleep_for(milliseconds(100));
    if (lost.load()) log("error", "leadership lost: stopping at once");
    log("info", "stopping: finishing reconciles in flight");
    queue.shutdown();
    for (auto& w : watchers)
      w->stop();
    for (auto& t : workers)
      t.join();
    drift->stop();
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
  s.drift_repairs = impl_->drift->repairs();
  s.watch_restarts = impl_->drift->watch_restarts();
  for (const auto& w : impl_->watchers)
    s.watch_restarts += w->restarts();
  return s;
}

}  // namespace gantry::gitops
