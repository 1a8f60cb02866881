#include "kube/deploy.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/parallel.h"
#include "kube/objects.h"
#include "kube/ownership.h"
#include "kube/readiness.h"

namespace gantry::kube {

using doc::Value;
using Clock = std::chrono::steady_clock;

namespace {

std::string meta_uid(const Value& obj) {
  const Value* v = obj.find_path({"metadata", "uid"});
  return v && v->is_string() ? v->as_string() : "";
}

std::string duration_text(std::chrono::milliseconds d) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s >= 60 && s % 60 == 0) return std::to_string(s / 60) + "m";
  if (s >= 1) return std::to_string(s) + "s";
  return std::to_string(d.count()) + "ms";
}

// Serialises events from worker threads.
class Events {
 public:
  explicit Events(const EventSink& sink) : sink_(sink) {}
  void emit(DeployEvent::Kind k, std::string subject, std::string text = {}) const {
    if (!sink_) return;
    std::lock_guard<std::mutex> lock(mu_);
    sink_(DeployEvent{k, std::move(subject), std::move(text)});
  }

 private:
  const EventSink& sink_;
  mutable std::mutex mu_;
};

bool needs_apply(Change c) {
  return c == Change::kCreate || c == Change::kUpdate || c == Change::kPending ||
         c == Change::kFailed;
}

WaitTarget wait_target(const PlannedObject& p) {
  return WaitTarget{*p.type, p.type->namespaced ? namespace_of(p.desired) : "", name_of(p.desired),
                    p.source};
}

// Waits until the object is gone (404) or the deadline passes.
bool wait_gone(const Client& client, const ResourceType& t, const std::string& ns,
               const std::string& name, Clock::time_point deadline) {
  auto delay = std::chrono::milliseconds(50);
  while (Clock::now() < deadline) {
    if (!get(client, t, ns, name)) return true;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
  return false;
}

class Deployer {
 public:
  Deployer(const Client& c, const render::RenderResult& r, const Plan& p, const DeployOptions& o)
      : client_(c),
        render_(r),
        plan_(p),
        opt_(o),
        events_(o.on_event),
        done_(p.objects.size(), 0),
        by_item_(r.items.size()) {
    for (size_t i = 0; i < p.objects.size(); ++i)
      by_item_[p.objects[i].item].push_back(i);
  }

  DeployReport run() {
    apply_namespaces_and_crds();
    // Items in groups.
    std::vector<size_t> group;
    auto flush = [&] {
      if (!group.empty()) run_group(group);
      group.clear();
    };
    for (size_t i = 0; i < render_.items.size(); ++i) {
      const project::Item& item = render_.items[i].item;
      if (item.kind == project::Item::Kind::kBarrier) {
        flush();
        continue;
      }
      group.push_back(i);
      if (item.wait_readiness) flush();
    }
    flush();
    report_.unchanged = plan_.count(Change::kUnchanged);
    return std::move(report_);
  }

 private:
  void fail(const PlannedObject& p, std::string message) {
    events_.emit(DeployEvent::Kind::kFailed, p.name(), message);
    std::lock_guard<std::mutex> lock(mu_);
    report_.failures.push_back(ObjectProblem{p.name(), p.source, std::move(message)});
  }

  // Applies one object for real; true on success (else why in `why`, when given).
  bool apply_one(const PlannedObject& p, std::string* why = nullptr) {
    if (!p.type) {
      if (why) *why = p.error;
      fail(p, p.error);
      return false;
    }
    ApplyOptions ao;
    ao.field_manager = opt_.field_manager;
    ao.force = opt_.force_conflicts || (opt_.reclaim_owned_fields && p.live &&
                                        (has_manager(*p.live, opt_.field_manager) ||
                                         has_manager(*p.live, kCliFieldManager) ||
                                         has_manager(*p.live, kControllerFieldManager)));
    ao.want_result = false;
    ApplyResult r = apply(client_, *p.type, p.desired, ao);
    if (r.ok()) {
      events_.emit(DeployEvent::Kind::kApplied, p.name(),
                   p.hook.is_hook()              ? "hook applied"
                   : p.change == Change::kUpdate ? "configured"
                                                 : "created");
      std::lock_guard<std::mutex> lock(mu_);
      if (!p.hook.is_hook()) ++report_.applied;
      return true;
    }
    std::string msg = r.message;
    if (r.conflict())
      msg +=
          " (other field managers own these fields; gantry does not take them over unless "
          "--force-conflicts is given)";
    if (why) *why = msg;
    fail(p, msg);
    return false;
  }

  void apply_namespaces_and_crds() {
    std::vector<size_t> idx;
    for (size_t i = 0; i < plan_.objects.size(); ++i) {
      const PlannedObject& p = plan_.objects[i];
      if ((is_namespace(p.desired) || is_crd(p.desired)) && !p.hook.is_hook()) {
        done_[i] = 1;
        if (needs_apply(p.change)) idx.push_back(i);
      }
    }
    if (idx.empty()) return;
    events_.emit(DeployEvent::Kind::kGroup, "namespaces and CRDs",
                 std::to_string(idx.size()) + " objects");
    std::vector<char> ok(idx.size(), 0);
    parallel_for(idx.size(), opt_.jobs,
                 [&](size_t k) { ok[k] = apply_one(plan_.objects[idx[k]]); });
    std::vector<WaitTarget> crds;
    for (size_t k = 0; k < idx.size(); ++k)
      if (ok[k] && is_crd(plan_.objects[idx[k]].desired))
        crds.push_back(wait_target(plan_.objects[idx[k]]));
    if (!crds.empty()) {
      auto problems = wait_ready(client_, crds, opt_.timeout, opt_.jobs, opt_.on_event);
      report_.not_ready.insert(report_.not_ready.end(), problems.begin(), problems.end());
    }
  }

  bool item_changes(size_t item) const {
    for (size_t i : by_item_[item]) {
      const PlannedObject& p = plan_.objects[i];
      if (!p.hook.is_hook() && needs_apply(p.change)) return true;
    }
    return false;
  }

  // True when none of the item's other objects existed before this deploy.
  bool item_initial(size_t item) const {
    for (size_t i : by_item_[item]) {
      const PlannedObject& p = plan_.objects[i];
      if (!p.hook.is_hook() && p.live) return false;
    }
    return true;
  }

  // Runs the item's hooks of one phase, lowest weight first; false when one fails.
  bool run_hooks(size_t item, bool pre) {
    bool initial = item_initial(item);
    std::vector<size_t> hooks;
    for (size_t i : by_item_[item]) {
      const PlannedObject& p = plan_.objects[i];
      if (p.hook.is_hook() && (pre ? p.hook.runs_pre(initial) : p.hook.runs_post(initial)))
        hooks.push_back(i);
    }
    std::stable_sort(hooks.begin(), hooks.end(), [&](size_t a, size_t b) {
      return plan_.objects[a].hook.weight < plan_.objects[b].hook.weight;
    });
    for (size_t i : hooks) {
      const PlannedObject& p = plan_.objects[i];
      HookRun run;
      run.object = p.name();
      run.item = render_.items[item].item.rel_dir;
      run.phase = pre ? "pre-deploy" : "post-deploy";
      run.weight = p.hook.weight;
      auto t0 = Clock::now();
      // Records the hook's outcome; false when it failed.
      auto done = [&](std::string result, std::string message = {}, bool report = true) {
        run.result = std::move(result);
        run.message = std::move(message);
        run.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
        bool ok = run.result != "failed";
        if (!ok && report) fail(p, run.message);
        std::lock_guard<std::mutex> lock(mu_);
        report_.hooks.push_back(std::move(run));
        return ok;
      };
      if (!p.type) return done("failed", p.error);
      std::string ns = p.type->namespaced ? namespace_of(p.desired) : "";
      std::string name = name_of(p.desired);
      events_.emit(DeployEvent::Kind::kHook, p.name(),
                   std::string(pre ? "pre-deploy" : "post-deploy") + " hook, weight " +
                       std::to_string(p.hook.weight));
      if (p.hook.delete_before_creation && remove(client_, *p.type, ns, name) &&
          !wait_gone(client_, *p.type, ns, name, Clock::now() + opt_.timeout))
        return done("failed", "the previous hook object was not deleted within " +
                                  duration_text(opt_.timeout));
      if (std::string why; !apply_one(p, &why)) {
        done("failed", why, false);  // apply_one reported the failure
        return false;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++report_.hooks_run;
      }
      if (!p.hook.wait) {
        done("applied");
        continue;
      }
      auto problems = wait_ready(client_, {wait_target(p)}, opt_.timeout, 1, opt_.on_event);
      if (!problems.empty()) {
        if (p.hook.delete_on_failure) remove(client_, *p.type, ns, name);
        return done("failed", "hook did not succeed: " + problems[0].message);
      }
      if (p.hook.delete_on_success) remove(client_, *p.type, ns, name);
      done("succeeded");
    }
    return true;
  }

  void run_group(const std::vector<size_t>& items) {
    std::string names;
    for (size_t i : items)
      names += (names.empty() ? "" : ", ") + render_.items[i].item.rel_dir;
    events_.emit(DeployEvent::Kind::kGroup, names);
    // Pre-deploy hooks, item by item in parallel.
    std::vector<char> changes(items.size()), blocked(items.size(), 0);
    for (size_t k = 0; k < items.size(); ++k)
      changes[k] = item_changes(items[k]);
    parallel_for(items.size(), opt_.jobs, [&](size_t k) {
      if (changes[k] && !run_hooks(items[k], true)) blocked[k] = 1;
    });
    // Every changed object of the group.
    std::vector<size_t> todo;
    for (size_t k = 0; k < items.size(); ++k)
      for (size_t i : by_item_[items[k]]) {
        const PlannedObject& p = plan_.objects[i];
        if (done_[i] || p.hook.is_hook() || !needs_apply(p.change)) continue;
        if (blocked[k])
          fail(p, "not applied: a pre-deploy hook of its item failed");
        else
          todo.push_back(i);
      }
    std::vector<char> ok(plan_.objects.size(), 0);
    parallel_for(todo.size(), opt_.jobs,
                 [&](size_t k) { ok[todo[k]] = apply_one(plan_.objects[todo[k]]); });
    // Post-deploy hooks.
    parallel_for(items.size(), opt_.jobs, [&](size_t k) {
      if (changes[k] && !blocked[k]) run_hooks(items[k], false);
    });
    // Readiness.
    std::vector<WaitTarget> waits;
    for (size_t k = 0; k < items.size(); ++k) {
      if (blocked[k]) continue;
      if (!opt_.wait && !render_.items[items[k]].item.wait_readiness) continue;
      for (size_t i : by_item_[items[k]]) {
        const PlannedObject& p = plan_.objects[i];
        // Unchanged objects, and changed ones that were applied.
        if (!p.hook.is_hook() && p.type && (!needs_apply(p.change) || ok[i]))
          waits.push_back(wait_target(p));
      }
    }
    if (!waits.empty()) {
      auto problems = wait_ready(client_, waits, opt_.timeout, opt_.jobs, opt_.on_event);
      std::lock_guard<std::mutex> lock(mu_);
      report_.not_ready.insert(report_.not_ready.end(), problems.begin(), problems.end());
    }
  }

  const Client& client_;
  const render::RenderResult& render_;
  const Plan& plan_;
  const DeployOptions& opt_;
  Events events_;
  std::vector<char> done_;                    // applied with the namespaces and CRDs
  std::vector<std::vector<size_t>> by_item_;  // object indices of each item, in order
  std::mutex mu_;
  DeployReport report_;
};

}  // namespace

std::vector<ObjectProblem> wait_ready(const Client& client, const std::vector<WaitTarget>& targets,
                                      std::chrono::milliseconds timeout, size_t jobs,
                                      const EventSink& on_event) {
  Events events(on_event);
  auto deadline = Clock::now() + timeout;
  struct State {
    bool done = false;
    Readiness last{Readiness::State::kProgressing, "not read yet"};
  };
  std::vector<State> st(targets.size());
  std::vector<ObjectProblem> problems;
  std::mutex mu;
  auto label = [&](const WaitTarget& t) {
    return t.type.kind + " " + (t.ns.empty() ? "" : t.ns + "/") + t.name;
  };
  auto delay = std::chrono::milliseconds(100);
  bool announced = false;
  for (;;) {
    parallel_for(targets.size(), jobs, [&](size_t i) {
      if (st[i].done) return;
      const WaitTarget& t = targets[i];
      std::optional<Value> live;
      try {
        live = get(client, t.type, t.ns, t.name);
      } catch (const Error& e) {
        st[i].last = Readiness{Readiness::State::kProgressing, e.why()};
        return;
      }
      if (!live) {
        st[i].last = Readiness{Readiness::State::kProgressing, "not found"};
        return;
      }
      st[i].last = readiness(*live);
      if (st[i].last.ready()) {
        st[i].done = true;
        events.emit(DeployEvent::Kind::kReady, label(t));
      } else if (st[i].last.failed()) {
        st[i].done = true;
        events.emit(DeployEvent::Kind::kNotReady, label(t), st[i].last.reason);
        std::lock_guard<std::mutex> lock(mu);
        problems.push_back(ObjectProblem{label(t), t.source, st[i].last.reason});
      }
    });
    size_t pending = 0;
    for (const auto& s : st)
      pending += !s.done;
    if (pending == 0) break;
    if (Clock::now() >= deadline) {
      for (size_t i = 0; i < targets.size(); ++i)
        if (!st[i].done) {
          std::string msg = "not ready after " + duration_text(timeout) + ": " + st[i].last.reason;
          events.emit(DeployEvent::Kind::kNotReady, label(targets[i]), msg);
          problems.push_back(ObjectProblem{label(targets[i]), targets[i].source, msg});
        }
      break;
    }
    if (!announced) {
      events.emit(DeployEvent::Kind::kWaiting, std::to_string(pending) + " objects",
                  "waiting for readiness (timeout " + duration_text(timeout) + ")");
      announced = true;
    }
    std::this_thread::sleep_for(
        std::min(delay, std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - Clock::now() + std::chrono::milliseconds(1))));
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
  return problems;
}

DeployReport deploy(const Client& client, const render::RenderResult& render, const Plan& plan,
                    const DeployOptions& options) {
  return Deployer(client, render, plan, options).run();
}

DeleteReport delete_objects(const Client& client, const std::vector<Orphan>& objects,
                            const DeleteOptions& options) {
  Events events(options.on_event);
  DeleteReport report;
  std::mutex mu;
  for (int round = 0; round < kDeletionRounds; ++round) {
    std::vector<size_t> idx;
    for (size_t i = 0; i < objects.size(); ++i)
      if (deletion_round(objects[i].type) == round) idx.push_back(i);
    std::vector<char> deleted(idx.size(), 0);
    parallel_for(idx.size(), options.jobs, [&](size_t k) {
      const Orphan& o = objects[idx[k]];
      try {
        remove(client, o.type, o.type.namespaced ? namespace_of(o.live) : "", name_of(o.live));
        deleted[k] = 1;
        events.emit(DeployEvent::Kind::kDeleted, o.name());
        std::lock_guard<std::mutex> lock(mu);
        ++report.deleted;
      } catch (const Error& e) {
        events.emit(DeployEvent::Kind::kFailed, o.name(), e.why());
        std::lock_guard<std::mutex> lock(mu);
        report.failures.push_back(ObjectProblem{o.name(), {}, e.why()});
      }
    });
    if (round != 0) continue;
    // Custom resources with finalizers go only when their operator has
    // finished with them: wait before the next round deletes workloads that
    // may be that operator.
    std::vector<size_t> going;
    for (size_t k = 0; k < idx.size(); ++k)
      if (deleted[k]) going.push_back(idx[k]);
    auto deadline = Clock::now() + options.finalizer_timeout;
    auto delay = std::chrono::milliseconds(100);
    bool announced = false;
    while (!going.empty()) {
      std::vector<std::optional<Value>> live(going.size());
      parallel_for(going.size(), options.jobs, [&](size_t k) {
        const Orphan& o = objects[going[k]];
        try {
          live[k] =
              get(client, o.type, o.type.namespaced ? namespace_of(o.live) : "", name_of(o.live));
        } catch (const Error&) {
          live[k] = o.live;  // no answer this time: taken as still there, asked again
        }
      });
      std::vector<size_t> still;
      for (size_t k = 0; k < going.size(); ++k)
        if (live[k] && meta_uid(*live[k]) == meta_uid(objects[going[k]].live))
          still.push_back(going[k]);
      going = std::move(still);
      if (going.empty()) break;
      if (Clock::now() >= deadline) {
        for (size_t i : going) {
          std::string fins;
          if (const Value* f = objects[i].live.find_path({"metadata", "finalizers"});
              f && f->is_list())
            for (const auto& x : f->as_list())
              fins += (fins.empty() ? "" : ", ") + (x.is_string() ? x.as_string() : "?");
          std::string msg = "still terminating after " + duration_text(options.finalizer_timeout) +
                            (fins.empty() ? "" : " (finalizers: " + fins + ")");
          events.emit(DeployEvent::Kind::kFailed, objects[i].name(), msg);
          report.failures.push_back(ObjectProblem{objects[i].name(), {}, msg});
        }
        break;
      }
      if (!announced) {
        events.emit(DeployEvent::Kind::kWaiting, std::to_string(going.size()) + " objects",
                    "waiting for their finalizers before deleting workloads");
        announced = true;
      }
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
    }
  }
  return report;
}

}  // namespace gantry::kube
