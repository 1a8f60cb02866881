// The simulated controllers: garbage collection, dependents, events, reconcile loop.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

void Api::Impl::collect_garbage() {
  // uid -> (type, object) of everything stored.
  auto types = all_types();
  std::map<std::string, const ResourceType*> by_key;
  for (const auto& t : types)
    by_key.emplace(t.storage_key(), &t);
  std::map<std::string, ObjPtr> by_uid;
  std::vector<std::pair<const ResourceType*, ObjPtr>> dependents;
  for (const auto& [skey, objs] : store) {
    auto tit = by_key.find(skey);
    if (tit == by_key.end()) continue;
    for (const auto& [k, o] : objs) {
      by_uid[meta_str(*o, "uid")] = o;
      if (const Value* refs = o->find_path({"metadata", "ownerReferences"});
          refs && refs->is_list() && refs->size())
        dependents.push_back({tit->second, o});
    }
  }
  std::set<std::string> owners_with_dependents;
  for (const auto& [t, o] : dependents) {
    bool any_alive = false, foreground = false;
    std::vector<std::string> orphaned_by;
    for (const auto& ref : o->find_path({"metadata", "ownerReferences"})->as_list()) {
      std::string uid = ref.get_string("uid");
      auto oit = by_uid.find(uid);
      if (oit == by_uid.end()) continue;
      auto fins = finalizers(*oit->second);
      bool deleting = oit->second->find_path({"metadata", "deletionTimestamp"}) != nullptr;
      if (deleting && std::find(fins.begin(), fins.end(), "orphan") != fins.end()) {
        orphaned_by.push_back(uid);
        continue;
      }
      owners_with_dependents.insert(uid);
      if (deleting && std::find(fins.begin(), fins.end(), "foregroundDeletion") != fins.end()) {
        foreground = true;
        continue;
      }
      any_alive = true;
    }
    ObjPtr cur = get(*t, meta_str(*o, "namespace"), meta_str(*o, "name"));
    if (!cur) continue;
    if (!orphaned_by.empty()) {
      Value next = *cur;
      Value& refs = meta(next)["ownerReferences"];
      auto& l = refs.as_list();
      for (auto it = l.begin(); it != l.end();)
        it = std::find(orphaned_by.begin(), orphaned_by.end(), it->get_string("uid")) !=
                     orphaned_by.end()
                 ? l.erase(it)
                 : std::next(it);
      if (l.empty()) meta(next).erase("ownerReferences");
      cur = commit(*t, cur, std::move(next));
      if (!get(*t, meta_str(*o, "namespace"), meta_str(*o, "name"))) continue;
    }
    if (!any_alive && !cur->find_path({"metadata", "deletionTimestamp"})) {
      bool has_refs = cur->find_path({"metadata", "ownerReferences"}) != nullptr;
      if (has_refs) delete_object(*t, cur, foreground ? "Foreground" : "Background", false);
    }
  }
  // Owners waiting for their dependents (foreground) or for orphaning.
  for (const auto& [uid, o] : by_uid) {
    if (!o->find_path({"metadata", "deletionTimestamp"})) continue;
    auto fins = finalizers(*o);
    bool fg = std::find(fins.begin(), fins.end(), "foregroundDeletion") != fins.end();
    bool orphan = std::find(fins.begin(), fins.end(), "orphan") != fins.end();
    if (!fg && !orphan) continue;
    if (fg && owners_with_dependents.count(uid)) continue;
    const ResourceType* t = nullptr;
    std::string kind = o->get_string("kind");
    std::string av = o->get_string("apiVersion");
    std::string group = av.find('/') == std::string::npos ? "" : av.substr(0, av.find('/'));
    for (const auto& ty : types)
      if (ty.kind == kind && ty.group == group) t = &ty;
    if (!t) continue;
    ObjPtr cur = get(*t, meta_str(*o, "namespace"), meta_str(*o, "name"));
    if (!cur) continue;
    Value next = *cur;
    if (fg) remove_finalizer(next, "foregroundDeletion");
    if (orphan) remove_finalizer(next, "orphan");
    commit(*t, cur, std::move(next));
  }
}

// The dependents of Services and workloads, as kube-controller-manager keeps
// them (what each controller does is written down in sandbox/dependents.h).
void Api::Impl::sync_dependents() {
  // Only owners something happened to since the last pass need work: the
  // owner changed, one of its dependents changed, or (a Service) a Pod of its
  // namespace changed. A full pass when the change log does not reach back
  // that far.
  bool everything = dependents_rv == 0 || events.empty() || events.front().rv > dependents_rv + 1;
  std::set<std::string> touched;  // uids of changed objects and of their controllers
  std::map<std::string, std::vector<ObjPtr>> pods_changed;  // namespace -> Pods that changed
  std::set<std::string> services_gone;                      // "ns/name" of deleted Services
  if (!everything)
    for (auto it = events.rbegin(); it != events.rend() && it->rv > dependents_rv; ++it) {
      for (const ObjPtr* p : {&it->obj, &it->prev}) {
        if (!*p) continue;
        touched.insert(meta_str(**p, "uid"));
        if (const Value* refs = (*p)->find_path({"metadata", "ownerReferences"});
            refs && refs->is_list())
          for (const auto& ref : refs->as_list())
            touched.insert(ref.get_string("uid"));
      }
      if (it->skey == "/pods") {
        auto& v = pods_changed[meta_str(*it->obj, "namespace")];
        v.push_back(it->obj);
        if (it->prev) v.push_back(it->prev);
      }
      if (it->skey == "/services" && it->type == "DELETED")
        services_gone.insert(meta_str(*it->obj, "namespace") + "/" + meta_str(*it->obj, "name"));
    }
  // A Service's endpoints change only when a Pod its selector matches
  // (before or after the change) changed.
  auto pods_concern = [&](const Value& svc) {
    auto it = pods_changed.find(meta_str(svc, "namespace"));
    if (it == pods_changed.end()) return false;
    const Value* sel = svc.find_path({"spec", "selector"});
    if (!sel) return false;
    for (const auto& p : it->second) {
      const Value* labels = p->find_path({"metadata", "labels"});
      if (labels && selector_matches(*sel, *labels)) return true;
    }
    return false;
  };
  auto wanted = [&](const ResourceType& t, const Value& o) {
    return everything || touched.count(meta_str(o, "uid")) ||
           (t.kind == "Service" && pods_concern(o));
  };
  auto type_of = [](const std::string& group, const std::string& resource) -> const ResourceType* {
    for (const auto& t : builtin_types())
      if (t.group == group && t.resource == resource) return &t;
    return nullptr;
  };
  auto objects_of = [&](const ResourceType* t) {
    std::vector<ObjPtr> out;
    if (!t) return out;
    if (auto it = store.find(t->storage_key()); it != store.end())
      for (const auto& [k, o] : it->second)
        out.push_back(o);
    return out;
  };
  static const std::vector<std::pair<const char*, const char*>> owner_types = {
      {"", "services"},  {"apps", "deployments"},  {"apps", "replicasets"},
      {"batch", "jobs"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}};
  std::vector<std::pair<const ResourceType*, ObjPtr>> todo;
  std::set<std::string> todo_uids, todo_ns;
  for (const auto& [g, r] : owner_types) {
    const ResourceType* t = type_of(g, r);
    for (const auto& o : objects_of(t))
      if (wanted(*t, *o) && !o->find_path({"metadata", "deletionTimestamp"})) {
        todo.emplace_back(t, o);
        todo_uids.insert(meta_str(*o, "uid"));
        todo_ns.insert(meta_str(*o, "namespace"));
      }
  }
  std::set<std::string> ending_namespaces;
  for (const auto& n : objects_of(&ns_type()))
    if (n->find_path({"metadata", "deletionTimestamp"}))
      ending_namespaces.insert(meta_str(*n, "name"));
  // Pods by namespace and dependents by the uid of their controller, for the owners at hand.
  std::map<std::string, std::vector<const Value*>> pods_by_ns;
  std::vector<ObjPtr> all_pods =
      todo.empty() ? std::vector<ObjPtr>{} : objects_of(type_of("", "pods"));
  for (const auto& p : all_pods)
    if (todo_ns.count(meta_str(*p, "namespace")))
      pods_by_ns[meta_str(*p, "namespace")].push_back(p.get());
  std::map<std::string, std::vector<std::pair<const ResourceType*, ObjPtr>>> owned;
  for (const auto& [g, r] : std::initializer_list<std::pair<const char*, const char*>>{
           {"apps", "replicasets"},
           {"", "pods"},
           {"discovery.k8s.io", "endpointslices"},
           {"apps", "controllerrevisions"}}) {
    if (todo.empty()) break;
    const ResourceType* t = type_of(g, r);
    for (const auto& o : objects_of(t))
      if (const Value* refs = o->find_path({"metadata", "ownerReferences"});
          refs && refs->is_list())
        for (const auto& ref : refs->as_list())
          if (const Value* c = ref.find("controller"); c && c->is_bool() && c->as_bool())
            if (todo_uids.count(ref.get_string("uid")))
              owned[ref.get_string("uid")].push_back({t, o});
  }
  const std::vector<std::pair<const ResourceType*, ObjPtr>> none;
  static const std::vector<const Value*> no_pods;
  for (const auto& [t, o] : todo) {
    if (ending_namespaces.count(meta_str(*o, "namespace"))) continue;
    // A finished Job keeps its Pods as they are.
    if (t->kind == "Job")
      if (const Value* conds = o->find_path({"status", "conditions"}); conds && conds->size())
        continue;
    auto oit = owned.find(meta_str(*o, "uid"));
    auto pit = pods_by_ns.find(meta_str(*o, "namespace"));
    try {
      sync_owner(*t, o, oit == owned.end() ? none : oit->second,
                 pit == pods_by_ns.end() ? no_pods : pit->second);
    } catch (const Error&) {
      // An owner of a shape no controller understands gets no dependents.
    }
  }
  // The endpoints controller deletes the Endpoints of a Service that is gone.
  const ResourceType* ep = type_of("", "endpoints");
  const ResourceType* svc = type_of("", "services");
  if (!everything && services_gone.empty()) return;
  for (const auto& e : objects_of(ep)) {
    std::string key = meta_str(*e, "namespace") + "/" + meta_str(*e, "name");
    if (!everything && !services_gone.count(key)) continue;
    bool ours = false;
    for (const auto& m : read_managed(*e))
      ours = ours || m.manager == "kube-controller-manager";
    if (ours && !get(*svc, meta_str(*e, "namespace"), meta_str(*e, "name")) &&
        !e->find_path({"metadata", "deletionTimestamp"}))
      delete_object(*ep, e, "Background", false);
  }
}

void Api::Impl::sync_owner(const ResourceType& t, const ObjPtr& owner,
                           const std::vector<std::pair<const ResourceType*, ObjPtr>>& owned,
                           const std::vector<const Value*>& pods) {
  std::vector<Dependent> want = dependents_of(*owner, pods);
  std::string ns = meta_str(*owner, "namespace");
  std::set<std::string> matched;                 // uids of existing dependents that are wanted
  std::map<std::string, size_t> generated_seen;  // resource -> existing ones used
  int64_t revision = 0;                          // a Deployment's newest ReplicaSet revision
  for (const auto& [dt, d] : owned)
    if (dt->kind == "ReplicaSet") {
      std::string r = d->find_path({"metadata", "annotations"})
                          ? d->find_path({"metadata", "annotations"})
                                ->get_string("deployment.kubernetes.io/revision", "0")
                          : "0";
      revision = std::max<int64_t>(revision, std::atoll(r.c_str()));
    }
  for (auto& w : want) {
    const ResourceType* dt = nullptr;
    for (const auto& bt : builtin_types())
      if (bt.group == w.group && bt.resource == w.resource) dt = &bt;
    if (!dt) continue;
    ObjPtr cur;
    if (w.generated) {
      std::vector<ObjPtr> same;
      for (const auto& [ot, o] : owned)
        if (ot == dt && !o->find_path({"metadata", "deletionTimestamp"})) same.push_back(o);
      size_t& used = generated_seen[w.resource];
      if (used < same.size()) cur = same[used];
      ++used;
    } else {
      cur = get(*dt, ns, meta_str(w.object, "name"));
    }
    if (!cur) {
      if (dt->kind == "ReplicaSet")
        w.object["metadata"]["annotations"].set("deployment.kubernetes.io/revision",
                                                std::to_string(revision + 1));
      create_dependent(*dt, std::move(w.object));
      continue;
    }
    matched.insert(meta_str(*cur, "uid"));
    if (w.update_existing) update_dependent(*dt, cur, w.object);
  }
  // What the owner no longer wants: old ReplicaSets of a Deployment are scaled
  // to 0 and kept as its history; old ControllerRevisions are kept; the rest goes.
  std::vector<ObjPtr> history;
  for (const auto& [dt, d] : owned) {
    if (matched.count(meta_str(*d, "uid")) || d->find_path({"metadata", "deletionTimestamp"}))
      continue;
    if (dt->kind == "ControllerRevision") continue;
    if (dt->kind == "ReplicaSet" && t.kind == "Deployment") {
      history.push_back(d);
      if (int_at(*d, {"spec", "replicas"}, 1) != 0) {
        Value zero = *d;
        zero["spec"].set("replicas", 0);
        update_dependent(*dt, d, zero);
      }
      continue;
    }
    delete_object(*dt, d, "Background", false);
  }
  int64_t limit = int_at(*owner, {"spec", "revisionHistoryLimit"}, 10);
  if (static_cast<int64_t>(history.size()) > limit) {
    auto rev = [](const ObjPtr& o) {
      const Value* a = o->find_path({"metadata", "annotations"});
      return std::atoll(a ? a->get_string("deployment.kubernetes.io/revision", "0").c_str() : "0");
    };
    std::sort(history.begin(), history.end(),
              [&](const ObjPtr& a, const ObjPtr& b) { return rev(a) < rev(b); });
    const ResourceType* rs = nullptr;
    for (const auto& bt : builtin_types())
      if (bt.kind == "ReplicaSet") rs = &bt;
    for (size_t i = 0; i + limit < history.size(); ++i)
      delete_object(*rs, history[i], "Background", false);
  }
}

void Api::Impl::emit_event(const Value& involved, const std::string& type,
                           const std::string& reason, const std::string& message,
                           const std::string& component) {
  static const ResourceType* events = [] {
    for (const auto& t : builtin_types())
      if (t.group.empty() && t.resource == "events") return &t;
    return static_cast<const ResourceType*>(nullptr);
  }();
  if (!events) return;
  std::string ns = meta_str(involved, "namespace");
  if (ns.empty()) ns = "default";
  std::string name = meta_str(involved, "name");
  std::string now = now_str();
  Value ev = Value::object({{"apiVersion", "v1"}, {"kind", "Event"}});
  Value& md = meta(ev);
  md.set("name", name + "." + random_suffix(16));
  md.set("namespace", ns);
  md.set("uid", new_uid());
  md.set("creationTimestamp", now);
  Value ref = Value::object({{"apiVersion", involved.get_string("apiVersion")},
                             {"kind", involved.get_string("kind")},
                             {"name", name},
                             {"uid", meta_str(involved, "uid")}});
  if (!meta_str(involved, "namespace").empty()) ref.set("namespace", ns);
  if (std::string rv = meta_str(involved, "resourceVersion"); !rv.empty())
    ref.set("resourceVersion", rv);
  ev.set("involvedObject", ref);
  ev.set("reason", reason);
  ev.set("message", message);
  ev.set("source", Value::object({{"component", component}}));
  ev.set("firstTimestamp", now);
  ev.set("lastTimestamp", now);
  ev.set("count", 1);
  ev.set("type", type);
  ev.set("eventTime", Value());
  ev.set("reportingComponent", component);
  ev.set("reportingInstance", "");
  record_update(nullptr, ev, *events, component, "", {});
  put(*events, std::move(ev), "ADDED", nullptr);
}

void Api::Impl::create_dependent(const ResourceType& t, Value obj) {
  Value& md = meta(obj);
  if (md.get_string("name").empty())
    md.set("name", md.get_string("generateName") + random_suffix(5));
  md.set("uid", new_uid());
  md.set("creationTimestamp", now_str());
  if (t.has_generation) md.set("generation", 1);
  if (t.kind == "Pod") obj.set("status", Value::object({{"phase", "Pending"}}));
  record_update(nullptr, obj, t, "kube-controller-manager", "", {});
  // What the owner's controller (and the scheduler, for a Pod) records.
  Value owner;
  if (const Value* refs = obj.find_path({"metadata", "ownerReferences"});
      refs && refs->is_list() && refs->size())
    owner = refs->as_list()[0];
  std::string owner_kind = owner.is_map() ? owner.get_string("kind") : "";
  Value involved = Value::object(
      {{"apiVersion", owner.is_map() ? owner.get_string("apiVersion") : ""}, {"kind", owner_kind}});
  meta(involved).set("name", owner.is_map() ? owner.get_string("name") : "");
  meta(involved).set("namespace", meta_str(obj, "namespace"));
  meta(involved).set("uid", owner.is_map() ? owner.get_string("uid") : "");
  std::string name = meta_str(obj, "name");
  ObjPtr stored = put(t, std::move(obj), "ADDED", nullptr);
  if (t.kind == "Pod" && !owner_kind.empty()) {
    std::string component = owner_kind == "ReplicaSet"    ? "replicaset-controller"
                            : owner_kind == "Job"         ? "job-controller"
                            : owner_kind == "StatefulSet" ? "statefulset-controller"
                            : owner_kind == "DaemonSet"   ? "daemonset-controller"
                                                          : "";
    if (!component.empty())
      emit_event(involved, "Normal", "SuccessfulCreate",
                 owner_kind == "StatefulSet" ? "create Pod " + name + " in StatefulSet " +
                                                   meta_str(involved, "name") + " successful"
                                             : "Created pod: " + name,
                 component);
    emit_event(
        *stored, "Normal", "Scheduled",
        "Successfully assigned " + meta_str(*stored, "namespace") + "/" + name + " to sandbox",
        "default-scheduler");
  } else if (t.kind == "ReplicaSet" && owner_kind == "Deployment") {
    emit_event(involved, "Normal", "ScalingReplicaSet",
               "Scaled up replica set " + name + " from 0 to " +
                   std::to_string(int_at(*stored, {"spec", "replicas"}, 1)),
               "deployment-controller");
  }
}

void Api::Impl::update_dependent(const ResourceType& t, const ObjPtr& cur, const Value& want) {
  if (t.kind == "ReplicaSet") {
    // The deployment controller scaling its ReplicaSet says so on the Deployment.
    int64_t from = int_at(*cur, {"spec", "replicas"}, 1),
            to = int_at(want, {"spec", "replicas"}, 1);
    const Value* refs = cur->find_path({"metadata", "ownerReferences"});
    if (from != to && refs && refs->is_list() && refs->size() &&
        refs->as_list()[0].get_string("kind") == "Deployment") {
      const Value& o = refs->as_list()[0];
      Value involved =
          Value::object({{"apiVersion", o.get_string("apiVersion")}, {"kind", "Deployment"}});
      meta(involved).set("name", o.get_string("name"));
      meta(involved).set("namespace", meta_str(*cur, "namespace"));
      meta(involved).set("uid", o.get_string("uid"));
      emit_event(involved, "Normal", "ScalingReplicaSet",
                 std::string(to > from ? "Scaled up" : "Scaled down") + " replica set " +
                     meta_str(*cur, "name") + " from " + std::to_string(from) + " to " +
                     std::to_string(to),
                 "deployment-controller");
    }
  }
  Value next = *cur;
  Value& md = meta(next);
  const Value* wmd = want.find("metadata");
  for (const char* k : {"labels", "ownerReferences"})
    if (const Value* v = wmd ? wmd->find(k) : nullptr) {
      md.set(k, *v);
    } else {
      md.erase(k);
    }
  if (const Value* ann = wmd ? wmd->find("annotations") : nullptr; ann && ann->is_map())
    for (const auto& m : ann->as_map())
      md["annotations"].set(m.key, m.value);
  for (const auto& m : want.as_map())
    if (m.key != "apiVersion" && m.key != "kind" && m.key != "metadata" && m.key != "status")
      next.set(m.key, m.value);
  // Fields the controller stopped setting (an Endpoints whose last Pod went).
  for (const char* k : {"subsets"})
    if (!want.find(k)) next.erase(k);
  if (next.equals(*cur)) return;
  record_update(cur.get(), next, t, "kube-controller-manager", "", read_managed(*cur));
  store_update(t, cur, std::move(next), false, "");
}

void Api::Impl::reconcile() {
  auto types = all_types();
  // Terminating namespaces: delete their content, then the namespace.
  if (auto nit = store.find(ns_type().storage_key()); nit != store.end()) {
    std::vector<ObjPtr> ending;
    for (const auto& [k, o] : nit->second)
      if (o->find_path({"metadata", "deletionTimestamp"})) ending.push_back(o);
    for (const auto& nsobj : ending) {
      if (!settled_terminating(*nsobj)) continue;
      std::string ns = meta_str(*nsobj, "name");
      bool remaining = false;
      for (const auto& t : types) {
        if (!t.namespaced || converts(t)) continue;  // one pass per storage
        auto sit = store.find(t.storage_key());
        if (sit == store.end()) continue;
        std::vector<ObjPtr> victims;
        for (auto it = sit->second.lower_bound(okey(ns, "")); it != sit->second.end(); ++it) {
          if (meta_str(*it->second, "namespace") != ns) break;
          victims.push_back(it->second);
        }
        for (const auto& v : victims) {
          remaining = true;
          delete_object(t, v, "Background", false);
        }
      }
      if (remaining) continue;
      ObjPtr cur = get(ns_type(), "", ns);
      if (!cur) continue;
      if (finalizers(*cur).empty()) {
        erase(ns_type(), cur);
      }
    }
  }
  // Terminating CRDs: delete their custom resources, then drop the cleanup finalizer.
  if (auto cit = store.find(crd_type().storage_key()); cit != store.end()) {
    std::vector<ObjPtr> ending;
    for (const auto& [k, o] : cit->second)
      if (o->find_path({"metadata", "deletionTimestamp"})) ending.push_back(o);
    for (const auto& crd : ending) {
      auto fins = finalizers(*crd);
      const std::string fin = "customresourcecleanup.apiextensions.k8s.io";
      if (std::find(fins.begin(), fins.end(), fin) == fins.end() || !settled_terminating(*crd))
        continue;
      auto crd_types_of = types_from_crd(*crd);
      bool remaining = false;
      if (!crd_types_of.empty()) {
        const ResourceType& ct = crd_types_of.front();
        if (auto sit = store.find(ct.storage_key()); sit != store.end()) {
          std::vector<ObjPtr> victims;
          for (const auto& [k, o] : sit->second)
            victims.push_back(o);
          for (const auto& v : victims) {
            remaining = true;
            delete_object(ct, v, "Background", false);
          }
        }
      }
      if (remaining) continue;
      Value next = *crd;
      remove_finalizer(next, fin);
      commit(crd_type(), crd, std::move(next));
    }
  }
  // Garbage collection and the dependents depend only on stored state: run
  // them when that changed.
  if (rv != gc_rv) {
    uint64_t before = rv;  // changes made by this pass get another pass (cascades)
    collect_garbage();
    gc_rv = before;
  }
  if (rv != dependents_rv) {
    uint64_t before = rv;
    sync_dependents();
    dependents_rv = before;
  }
  for (const auto& t : types) {
    if (t.custom) continue;
    auto sit = store.find(t.storage_key());
    if (sit == store.end()) continue;
    if (!(t.kind == "Deployment" || t.kind == "StatefulSet" || t.kind == "DaemonSet" ||
          t.kind == "ReplicaSet" || t.kind == "Job" || t.kind == "Pod" ||
          t.kind == "PersistentVolumeClaim"))
      continue;
    // A status only changes when its object changes or its rollout clock
    // runs out: skip the others (this pass runs ten times a second).
    auto now = Clock::now();
    std::vector<ObjPtr> objs;
    for (const auto& [k, o] : sit->second) {
      auto cit = status_checked.find(meta_str(*o, "uid"));
      if (cit != status_checked.end() && cit->second.first == meta_str(*o, "resourceVersion") &&
          now < cit->second.second)
        continue;
      objs.push_back(o);
    }
    for (const auto& o : objs) {
      try {
        run_controllers(t, o);
      } catch (const Error&) {
        // An object of a shape no controller understands keeps its status.
      }
      ObjPtr cur = get(t, meta_str(*o, "namespace"), meta_str(*o, "name"));
      if (!cur) continue;
      std::string key =
          meta_str(*cur, "uid") + "/" + std::to_string(int_at(*cur, {"metadata", "generation"}, 0));
      auto pit = progress.find(key);
      Clock::time_point due = Clock::time_point::max();
      if (pit != progress.end() && now < pit->second + opts.ready_delay)
        due = pit->second + opts.ready_delay;
      status_checked[meta_str(*cur, "uid")] = {meta_str(*cur, "resourceVersion"), due};
    }
  }
  run_autoscalers();
  if (status_checked.size() > 200000) status_checked.clear();
  // Forget rollout clocks of objects that are gone or moved on.
  if (progress.size() > 100000) progress.clear();
  if (terminating.size() > 100000) terminating.clear();
}

// ---------------------------------------------------------------------------
// Api

Api::Api(ApiOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Api::~Api() {
  shutdown();
}

}  // namespace gantry::sandbox
