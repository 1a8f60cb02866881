// Writes: create, update, patch, server-side apply, scale, delete.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

Value Api::Impl::create(const http::ServerRequest& req, const ResourceType& t,
                        const std::string& ns, int& code) {
  bool dry = dry_run(req);
  Value body = parse_body(req, true);
  check_type_meta(t, body);
  check_crd_active(t);
  check_custom_resource(t, body, req);
  Value obj = prepare_create(t, std::move(body), ns);
  fill_service_account_token(t, obj);
  std::string name = meta_str(obj, "name");
  check_namespace(t, meta_str(obj, "namespace"), name);
  if (get(t, meta_str(obj, "namespace"), name))
    fail(409, "AlreadyExists", t.group_resource() + " \"" + name + "\" already exists",
         name_details(name, t.group, t.resource));
  record_update(nullptr, obj, t, manager_from(req), "", {});
  code = 201;
  Value stored = to_storage_version(t, std::move(obj));
  if (dry) return present(t, std::move(stored));
  ObjPtr p = put(t, std::move(stored), "ADDED", nullptr);
  if (t.kind == "CustomResourceDefinition" && !t.custom) rebuild_crd_types();
  return present(t, p);
}

ObjPtr Api::Impl::store_update(const ResourceType& t, const ObjPtr& cur, Value next, bool dry,
                               const std::string& manager_sub) {
  (void)manager_sub;
  Value& m = meta(next);
  const Value* cm = cur->find("metadata");
  for (const char* k :
       {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    const Value* v = cm->find(k);
    if (v) {
      m.set(k, *v);
    } else {
      m.erase(k);
    }
  }
  m.set("name", meta_str(*cur, "name"));
  if (t.namespaced) m.set("namespace", meta_str(*cur, "namespace"));
  if (t.has_generation) {
    int64_t gen = cm->find("generation") && cm->find("generation")->is_int()
                      ? cm->find("generation")->as_int()
                      : 1;
    if (spec_changed(*cur, next)) ++gen;
    m.set("generation", gen);
  }
  m.set("resourceVersion", meta_str(*cur, "resourceVersion"));
  if (next.equals(*cur)) return cur;
  if (dry) return std::make_shared<const Value>(std::move(next));
  return commit(t, cur, std::move(next));
}

Value Api::Impl::update(const http::ServerRequest& req, const ResourceType& t, const Route& r) {
  bool dry = dry_run(req);
  Value body = parse_body(req, true);
  check_type_meta(t, body);
  check_body_names(t, body, r);
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  std::string brv = meta_str(body, "resourceVersion");
  if (!brv.empty() && brv != meta_str(*cur, "resourceVersion")) rv_conflict(t, r.name);
  const Value seen = write_view(t, cur);
  Value next = split_status(t, r, seen, std::move(body));
  check_custom_resource(t, next, req);
  normalize(t, next);
  validate(t, next, false);
  record_update(&seen, next, t, manager_from(req), r.subresource,
                managed_base(seen, next, r.subresource));
  return present(t, store_update(t, cur, storage_form(t, cur, std::move(next), r.subresource), dry,
                                 r.subresource));
}

namespace {

std::string print_manager(const ManagedEntry& e) {
  std::string s = "\"" + e.manager + "\"";
  if (e.operation == "Update") s += " using " + e.api_version;
  return s;
}

}  // namespace

Value Api::Impl::patch(const http::ServerRequest& req, const ResourceType& t, const Route& r,
                       int& code) {
  std::string ct = req.header("Content-Type");
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && ct.back() == ' ')
    ct.pop_back();
  bool dry = dry_run(req);
  if (ct == "application/apply-patch+yaml") {
    Value applied = parse_body(req, true);
    return apply(req, t, r, applied, code);
  }
  bool strategic = ct == "application/strategic-merge-patch+json";
  if (!(ct == "application/json-patch+json" || ct == "application/merge-patch+json" ||
        (strategic && !t.custom)))
    fail(415, "UnsupportedMediaType",
         std::string(
             "the body of the request was in an unknown format - accepted media types include: "
             "application/json-patch+json, application/merge-patch+json, ") +
             (t.custom ? "" : "application/strategic-merge-patch+json, ") +
             "application/apply-patch+yaml");
  if (req.body.size() > kMaxBodyBytes)
    fail(413, "RequestEntityTooLarge",
         "Request entity too large: limit is " + std::to_string(kMaxBodyBytes));
  Value p;
  try {
    p = doc::parse_json(req.body, "patch");
  } catch (const Error& e) {
    bad_request("error decoding patch: " + e.why());
  }
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  const Value seen = write_view(t, cur);
  Value patched = seen;
  try {
    if (ct == "application/json-patch+json") {
      json_patch(patched, p);
    } else if (ct == "application/merge-patch+json") {
      json_merge_patch(patched, p);
    } else {
      strategic_merge_patch(patched, p, t);
    }
  } catch (const Error& e) {
    fail(422, "Invalid", e.why());
  }
  if (!patched.is_map()) fail(422, "Invalid", "the patch did not produce an object");
  std::string prv = meta_str(patched, "resourceVersion");
  if (!prv.empty() && prv != meta_str(*cur, "resourceVersion")) rv_conflict(t, r.name);
  if (meta_str(patched, "name") != r.name)
    bad_request("the name of the object (" + meta_str(patched, "name") +
                ") does not match the name on the URL (" + r.name + ")");
  Value next = split_status(t, r, seen, std::move(patched));
  next.set("apiVersion", seen.get_string("apiVersion"));
  next.set("kind", t.kind);
  check_custom_resource(t, next, req);
  normalize(t, next);
  validate(t, next, false);
  record_update(&seen, next, t, manager_from(req), r.subresource,
                managed_base(seen, next, r.subresource));
  return present(t, store_update(t, cur, storage_form(t, cur, std::move(next), r.subresource), dry,
                                 r.subresource));
}

Value Api::Impl::apply(const http::ServerRequest& req, const ResourceType& t, const Route& r,
                       const Value& applied_in, int& code) {
  bool dry = dry_run(req);
  std::string manager = req.param("fieldManager");
  if (manager.empty())
    invalid(
        pseudo_type("meta.k8s.io", "PatchOptions"), "",
        {{"fieldManager", "FieldValueRequired", "Required value: is required for apply patch"}});
  bool force = truthy(req.param("force"));
  if (!applied_in.is_map()) bad_request("the body of the request must be a YAML or JSON object");
  Value applied = applied_in;
  if (applied.get_string("kind").empty())
    bad_request("Object 'Kind' is missing in '" + doc::to_json(applied) + "'");
  if (applied.get_string("apiVersion").empty())
    bad_request("Object 'apiVersion' is missing in '" + doc::to_json(applied) + "'");
  check_type_meta(t, applied);
  check_body_names(t, applied, r);
  const bool status_sub = r.subresource == "status";
  ObjPtr cur = get(t, r.ns, r.name);
  std::string arv = meta_str(applied, "resourceVersion");
  if (!arv.empty() && (!cur || arv != meta_str(*cur, "resourceVersion"))) {
    if (!cur) not_found(t, r.name);
    rv_conflict(t, r.name);
  }
  if (!cur && status_sub) not_found(t, r.name);
  // What the applier owns.
  FieldSet owned = apply_set(applied, t);
  strip_ignored(owned, status_sub || !t.status_subresource, status_sub);
  // Clean the applied config of fields the server sets.
  Value clean = applied;
  if (Value* m = clean.find("metadata"); m && m->is_map())
    for (const char* k :
         {"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
          "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"})
      m->erase(k);
  if (status_sub) {
    Value only = Value::object({{"apiVersion", clean.get_string("apiVersion")}, {"kind", t.kind}});
    if (const Value* st = clean.find("status")) only.set("status", *st);
    clean = std::move(only);
  } else if (t.status_subresource) {
    clean.erase("status");
  }
  Value base;
  std::vector<ManagedEntry> entries;
  if (cur) {
    base = write_view(t, cur);
    entries = read_managed(*cur);
    meta(base).erase("managedFields");
  } else {
    base = Value::object({{"apiVersion", t.api_version()}, {"kind", t.kind}});
    meta(base).set("name", r.name);
    if (t.namespaced) meta(base).set("namespace", r.ns);
  }
  Value merged = base;
  apply_merge(merged, clean, t);
  merged.set("apiVersion", cur ? base.get_string("apiVersion") : t.api_version());
  // Conflicts: fields this apply changes that another manager owns.
  FieldSet changed = changed_set(&base, merged, t);
  strip_ignored(changed, status_sub || !t.status_subresource, status_sub);
  auto changed_paths = changed.members();
  std::vector<std::pair<size_t, std::vector<std::string>>> conflicts;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].same_owner(manager, "Apply", r.subresource)) continue;
    for (const auto& p : changed_paths)
      if (entries[i].fields.contains(p)) conflicts.push_back({i, p});
  }
  if (!conflicts.empty() && !force) {
    Value causes = Value::list();
    for (const auto& [i, p] : conflicts)
      causes.push_back(Value::object({{"type", "FieldManagerConflict"},
                                      {"message", "conflict with " + print_manager(entries[i])},
                                      {"field", path_string(p)}}));
    std::string msg;
    if (conflicts.size() == 1) {
      msg = "Apply failed with 1 conflict: conflict with " +
            print_manager(entries[conflicts[0].first]) + ": " + path_string(conflicts[0].second);
    } else {
      std::map<std::string, std::vector<std::string>> by_manager;
      for (const auto& [i, p] : conflicts)
        by_manager[print_manager(entries[i])].push_back(path_string(p));
      msg = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
      bool first = true;
      for (const auto& [m, paths] : by_manager) {
        if (!first) msg += "\n";
        first = false;
        msg += "conflicts with " + m + ":";
        for (const auto& p : paths)
          msg += "\n- " + p;
      }
    }
    fail(409, "Conflict", msg, Value::object({{"causes", causes}}));
  }
  for (const auto& [i, p] : conflicts)
    entries[i].fields.remove(p);
  // Fields this manager applied before and no longer applies, owned by no one else, go away.
  ManagedEntry* mine = nullptr;
  for (auto& e : entries)
    if (e.same_owner(manager, "Apply", r.subresource)) mine = &e;
  if (mine) {
    auto old = mine->fields.members();
    // Outer paths first: removing a list item takes its fields with it.
    std::sort(old.begin(), old.end(),
              [](const auto& a, const auto& b) { return a.size() < b.size(); });
    for (const auto& p : old) {
      // Kept while anyone (this applier included) still owns it or something below it.
      auto has_node = [&p](const FieldSet& set) {
        const FieldSet* n = &set;
        for (const auto& el : p) {
          auto it = n->children.find(el);
          if (it == n->children.end()) return false;
          n = &it->second;
        }
        return true;
      };
      bool kept = has_node(owned);
      for (const auto& e : entries)
        if (&e != mine) kept = kept || has_node(e.fields);
      // A list or map left empty by the removal goes too (structured-merge-diff
      // leaves it null, which the stored object does not keep).
      if (kept || !remove_path(merged, p, t) || p.size() < 2) continue;
      std::vector<std::string> parent(p.begin(), p.end() - 1);
      const Value* left = resolve(merged, parent, t);
      if (left && (left->is_list() || left->is_map()) && left->size() == 0 &&
          parent.back().rfind("f:", 0) == 0)
        remove_path(merged, parent, t);
    }
    if (!mine->fields.members().empty() && mine->fields.to_value().equals(owned.to_value())) {
      // unchanged ownership: keep the entry's time
    } else {
      mine->time = now_str();
    }
    mine->fields = owned;
    mine->api_version = applied.get_string("apiVersion");
  } else {
    entries.push_back(
        {manager, "Apply", applied.get_string("apiVersion"), now_str(), r.subresource, owned});
  }
  check_custom_resource(t, merged, req);
  if (!cur) {
    code = 201;
    check_crd_active(t);
    Value obj = prepare_create(t, std::move(merged), r.ns);
    fill_service_account_token(t, obj);
    check_namespace(t, r.ns, r.name);
    write_managed(obj, entries, t);
    Value stored = to_storage_version(t, std::move(obj));
    if (dry) return present(t, std::move(stored));
    ObjPtr p = put(t, std::move(stored), "ADDED", nullptr);
    if (t.kind == "CustomResourceDefinition" && !t.custom) rebuild_crd_types();
    return present(t, p);
  }
  if (t.status_subresource && !status_sub) take_status(merged, base);
  normalize(t, merged);
  validate(t, merged, false);
  write_managed(merged, entries, t);
  return present(t, store_update(t, cur, storage_form(t, cur, std::move(merged), r.subresource),
                                 dry, r.subresource));
}

namespace {

Value scale_of(const Value& o) {
  Value md = Value::map();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (std::string v = meta_str(o, k); !v.empty()) md.set(k, v);
  const Value* r = o.find_path({"spec", "replicas"});
  int64_t replicas = r && r->is_int() ? r->as_int() : 1;
  const Value* sr = o.find_path({"status", "replicas"});
  std::string sel;
  if (const Value* ml = o.find_path({"spec", "selector", "matchLabels"}); ml && ml->is_map())
    for (const auto& m : ml->as_map())
      sel +=
          (sel.empty() ? "" : ",") + m.key + "=" + (m.value.is_string() ? m.value.as_string() : "");
  return Value::object(
      {{"kind", "Scale"},
       {"apiVersion", "autoscaling/v1"},
       {"metadata", md},
       {"spec", Value::object({{"replicas", replicas}})},
       {"status",
        Value::object({{"replicas", sr && sr->is_int() ? sr->as_int() : 0}, {"selector", sel}})}});
}

}  // namespace

Value Api::Impl::serve_scale(const http::ServerRequest& req, const ResourceType& t,
                             const Route& r) {
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  Value scale = scale_of(*cur);
  if (req.method == "GET") return scale;
  if (req.method != "PUT" && req.method != "PATCH")
    fail(405, "MethodNotAllowed",
         "the server does not allow this method on the requested resource");
  bool dry = dry_run(req);
  Value next_scale = scale;
  if (req.method == "PUT") {
    next_scale = parse_body(req, false);
  } else {
    std::string ct = req.header("Content-Type");
    if (ct.rfind("application/json-patch+json", 0) != 0 &&
        ct.rfind("application/merge-patch+json", 0) != 0 &&
        ct.rfind("application/strategic-merge-patch+json", 0) != 0)
      fail(415, "UnsupportedMediaType",
           "the body of the request was in an unknown format - accepted media types include: "
           "application/json-patch+json, application/merge-patch+json, "
           "application/strategic-merge-patch+json");
    Value body;
    try {
      body = doc::parse_json(req.body, "patch");
    } catch (const Error& e) {
      bad_request("error decoding patch: " + e.why());
    }
    try {
      if (ct.rfind("application/json-patch+json", 0) == 0) {
        json_patch(next_scale, body);
      } else {
        json_merge_patch(next_scale, body);
      }
    } catch (const Error& e) {
      fail(422, "Invalid", e.why());
    }
  }
  const Value* replicas = next_scale.find_path({"spec", "replicas"});
  if (!replicas || !replicas->is_int() || replicas->as_int() < 0)
    invalid(pseudo_type("autoscaling", "Scale"), r.name,
            {{"spec.replicas", "FieldValueInvalid",
              "Invalid value: must be greater than or equal to 0"}});
  Value next = *cur;
  next["spec"].set("replicas", *replicas);
  record_update(cur.get(), next, t, manager_from(req), "scale", read_managed(*cur));
  return scale_of(*store_update(t, cur, std::move(next), dry, "scale"));
}

Value Api::Impl::delete_object(const ResourceType& t, const ObjPtr& cur, const std::string& policy,
                               bool dry) {
  if (cur->find_path({"metadata", "deletionTimestamp"})) return present(t, cur);
  Value next = *cur;
  auto fins = finalizers(next);
  auto add_fin = [&](const std::string& f) {
    if (std::find(fins.begin(), fins.end(), f) != fins.end()) return;
    Value& l = meta(next)["finalizers"];
    if (!l.is_list()) l = Value::list();
    l.push_back(f);
    fins.push_back(f);
  };
  bool is_ns = t.kind == "Namespace" && !t.custom;
  if (policy == "Foreground") add_fin("foregroundDeletion");
  if (policy == "Orphan") add_fin("orphan");
  if (!fins.empty() || is_ns) {
    meta(next).set("deletionTimestamp", now_str());
    meta(next).set("deletionGracePeriodSeconds", 0);
    if (t.has_generation) {
      const Value* g = cur->find_path({"metadata", "generation"});
      meta(next).set("generation", (g && g->is_int() ? g->as_int() : 1) + 1);
    }
    if (is_ns) next["status"].set("phase", "Terminating");
    if (dry) return present(t, std::move(next));
    return present(t, put(t, std::move(next), "MODIFIED", cur));
  }
  if (dry) return present(t, cur);
  ObjPtr last = erase(t, cur);
  if (t.kind == "Pod" && !t.custom) return present(t, last);
  Value d = name_details(meta_str(*cur, "name"), t.group, t.resource);
  d.set("uid", meta_str(*cur, "uid"));
  return Value::object({{"kind", "Status"},
                        {"apiVersion", "v1"},
                        {"metadata", Value::map()},
                        {"status", "Success"},
                        {"details", d}});
}

namespace {

struct DeleteOpts {
  std::string policy;
  std::string uid, rv;
};

DeleteOpts delete_options(const http::ServerRequest& req) {
  DeleteOpts o;
  o.policy = req.param("propagationPolicy");
  if (!req.body.empty()) {
    Value body = parse_body(req, true);
    if (body.is_map()) {
      if (std::string p = body.get_string("propagationPolicy"); !p.empty()) o.policy = p;
      if (const Value* orphan = body.find("orphanDependents"); orphan && orphan->is_bool())
        o.policy = orphan->as_bool() ? "Orphan" : "Background";
      if (const Value* pre = body.find("preconditions"); pre && pre->is_map()) {
        o.uid = pre->get_string("uid");
        o.rv = pre->get_string("resourceVersion");
      }
    }
  }
  if (!o.policy.empty() && o.policy != "Foreground" && o.policy != "Background" &&
      o.policy != "Orphan")
    fail(422, "Invalid",
         "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"" +
             o.policy + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
  return o;
}

}  // namespace

Value Api::Impl::remove(const http::ServerRequest& req, const ResourceType& t, const Route& r) {
  if (!r.subresource.empty())
    fail(405, "MethodNotAllowed",
         "the server does not allow this method on the requested resource");
  bool dry = dry_run(req);
  DeleteOpts o = delete_options(req);
  ObjPtr cur = get(t, r.ns, r.name);
  if (!cur) not_found(t, r.name);
  if (!t.custom && t.kind == "Namespace" &&
      (r.name == "default" || r.name == "kube-system" || r.name == "kube-public"))
    fail(403, "Forbidden",
         "namespaces \"" + r.name + "\" is forbidden: this namespace may not be deleted",
         name_details(r.name, "", "namespaces"));
  if (!o.uid.empty() && o.uid != meta_str(*cur, "uid"))
    fail(409, "Conflict",
         "Operation cannot be fulfilled on " + t.group_resource() + " \"" + r.name +
             "\": Precondition failed: UID in precondition: " + o.uid +
             ", UID in object meta: " + meta_str(*cur, "uid"),
         name_details(r.name, t.group, t.resource));
  if (!o.rv.empty() && o.rv != meta_str(*cur, "resourceVersion"))
    fail(409, "Conflict",
         "Operation cannot be fulfilled on " + t.group_resource() + " \"" + r.name +
             "\": Precondition failed: ResourceVersion in precondition: " + o.rv +
             ", ResourceVersion in object meta: " + meta_str(*cur, "resourceVersion"),
         name_details(r.name, t.group, t.resource));
  return delete_object(t, cur, o.policy, dry);
}

Value Api::Impl::remove_collection(const http::ServerRequest& req, const ResourceType& t,
                                   const std::string& ns) {
  bool dry = dry_run(req);
  DeleteOpts o = delete_options(req);
  LabelSelector lsel;
  FieldSelector fsel;
  try {
    lsel = LabelSelector::parse(req.param("labelSelector"));
    fsel = FieldSelector::parse(req.param("fieldSelector"));
  } catch (const Error& e) {
    bad_request(e.why());
  }
  std::vector<ObjPtr> victims;
  auto sit = store.find(t.storage_key());
  if (sit != store.end())
    for (const auto& [k, obj] : sit->second) {
      if (!ns.empty() && meta_str(*obj, "namespace") != ns) continue;
      if (lsel.matches(obj->find_path({"metadata", "labels"})) && fsel.matches(*obj))
        victims.push_back(obj);
    }
  Value items = Value::list();
  for (const auto& v : victims) {
    delete_object(t, v, o.policy, dry);
    items.push_back(present(t, v));
  }
  return Value::object({{"kind", t.kind + "List"},
                        {"apiVersion", t.api_version()},
                        {"metadata", Value::object({{"resourceVersion", std::to_string(rv)}})},
                        {"items", items}});
}

// ---------------------------------------------------------------------------
// Simulated controllers, garbage collection, namespace termination

}  // namespace gantry::sandbox
