// Serving a resource: dispatch by verb, get, list (selectors, paging) and watch.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

namespace {

void check_field_selector(const ResourceType& t, const FieldSelector& sel) {
  static const std::map<std::string, std::set<std::string>> extra = {
      {"Pod",
       {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}},
      {"Secret", {"type"}},
      {"Namespace", {"status.phase"}},
      {"Event",
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}},
      {"Job", {"status.successful"}},
      {"ReplicaSet", {"status.replicas"}},
  };
  for (const auto& r : sel.requirements()) {
    if (r.key == "metadata.name" || r.key == "metadata.namespace") continue;
    auto it = t.custom ? extra.end() : extra.find(t.kind);
    if (it != extra.end() && it->second.count(r.key)) continue;
    bad_request("field label not supported: " + r.key);
  }
}

}  // namespace

Value Api::Impl::present(const ResourceType& t, Value v) const {
  if (converts(t)) return to_served_version(t, std::move(v));
  if (t.custom && v.get_string("apiVersion") != t.api_version())
    v.set("apiVersion", t.api_version());
  return v;
}

void Api::Impl::serve_resource(const http::ServerRequest& req, http::ServerResponse& res,
                               const Route& r) {
  auto found = find_type(r.group, r.version, r.resource);
  if (!found)
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  const ResourceType t = *found;
  if (t.group.empty() && t.resource == "pods" && r.subresource == "log" && req.method == "GET") {
    // No kubelet, no containers: an empty log at once (kubectl logs must not hang).
    std::lock_guard<std::mutex> lock(mu);
    if (!get(t, r.ns, r.name)) not_found(t, r.name);
    res.status = 200;
    res.content_type = "text/plain";
    res.body = "";
    return;
  }
  {
    bool is_watch_req = r.watch_prefix || truthy(req.param("watch"));
    std::string verb = req.method == "GET"
                           ? (r.name.empty() ? (is_watch_req ? "watch" : "list") : "get")
                       : req.method == "POST"   ? "create"
                       : req.method == "PUT"    ? "update"
                       : req.method == "PATCH"  ? "patch"
                       : req.method == "DELETE" ? (r.name.empty() ? "deletecollection" : "delete")
                                                : "";
    if (r.subresource.empty() && !allows(t, verb))
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
  }
  if (t.group.empty() && t.resource == "serviceaccounts" && r.subresource == "token") {
    if (req.method != "POST")
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    respond(res, 201, token_request(req, t, r));
    return;
  }
  if (t.review) {
    if (!r.name.empty() || (t.namespaced && r.ns.empty()))
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    respond(res, 201, answer_review(req, t, r.ns));
    return;
  }
  bool scale = r.subresource == "scale" && has_scale(t);
  if (!r.subresource.empty() && !scale && (r.subresource != "status" || !t.status_subresource))
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  if (t.namespaced && r.ns.empty() && !r.name.empty())
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  if (scale) {
    std::lock_guard<std::mutex> lock(mu);
    respond(res, 200, serve_scale(req, t, r));
    return;
  }
  bool is_watch = r.watch_prefix || truthy(req.param("watch"));
  std::unique_lock<std::mutex> lock(mu);
  int code = 200;
  if (req.method == "GET") {
    if (r.name.empty()) {
      if (is_watch) {
        watch(req, res, t, r.ns);
      } else {
        list(req, res, t, r.ns);
      }
      return;
    }
    ObjPtr obj = get(t, r.ns, r.name);
    if (!obj) not_found(t, r.name);
    if (wants_table(req)) {
      res.status = 200;
      res.content_type = "application/json";
      res.body =
          table_json(t, {obj}, req.param("includeObject"), meta_str(*obj, "resourceVersion"), "");
      return;
    }
    Value v = present(t, obj);
    lock.unlock();
    respond(res, 200, v);
    return;
  }
  Value out;
  if (req.method == "POST") {
    if (!r.name.empty() || (t.namespaced && r.ns.empty()))
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    out = create(req, t, r.ns, code);
  } else if (req.method == "PUT") {
    if (r.name.empty())
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    out = update(req, t, r);
  } else if (req.method == "PATCH") {
    if (r.name.empty())
      fail(405, "MethodNotAllowed",
           "the server does not allow this method on the requested resource");
    out = patch(req, t, r, code);
  } else if (req.method == "DELETE") {
    out = r.name.empty() ? remove_collection(req, t, r.ns) : remove(req, t, r);
  } else {
    fail(405, "MethodNotAllowed",
         "the server does not allow this method on the requested resource");
  }
  lock.unlock();
  respond(res, code, out);
}

void Api::Impl::list(const http::ServerRequest& req, http::ServerResponse& res,
                     const ResourceType& t, const std::string& ns) {
  LabelSelector lsel;
  FieldSelector fsel;
  try {
    lsel = LabelSelector::parse(req.param("labelSelector"));
  } catch (const Error& e) {
    bad_request("unable to parse requirement: " + e.why());
  }
  try {
    fsel = FieldSelector::parse(req.param("fieldSelector"));
  } catch (const Error& e) {
    bad_request(e.why());
  }
  check_field_selector(t, fsel);
  size_t limit = 0;
  if (std::string l = req.param("limit"); !l.empty()) {
    try {
      limit = std::stoul(l);
    } catch (const std::exception&) {
      bad_request("invalid limit: " + l);
    }
  }
  std::string start;
  if (std::string c = req.param("continue"); !c.empty()) {
    auto dec = base64_decode(c);
    if (!dec) fail(400, "BadRequest", "continue key is not valid: illegal base64 data");
    start = *dec;
  }
  std::vector<ObjPtr> items;
  std::string next;
  auto sit = store.find(t.storage_key());
  if (sit != store.end()) {
    auto& objs = sit->second;
    auto it = start.empty() ? (ns.empty() ? objs.begin() : objs.lower_bound(okey(ns, "")))
                            : objs.upper_bound(start);
    for (; it != objs.end(); ++it) {
      const Value& o = *it->second;
      if (!ns.empty() && meta_str(o, "namespace") != ns) break;
      if (!lsel.matches(o.find_path({"metadata", "labels"}))) continue;
      if (!fsel.empty() && !fsel.matches(o)) continue;
      if (limit && items.size() == limit) {
        next = base64_encode(std::prev(it)->first);
        break;
      }
      items.push_back(it->second);
    }
  }
  std::string rvs = std::to_string(rv);
  bool table = wants_table(req);
  std::string include = req.param("includeObject");
  mu.unlock();
  res.status = 200;
  res.content_type = "application/json";
  if (table) {
    res.body = table_json(t, items, include, rvs, next);
  } else {
    std::string& out = res.body;
    Value md = Value::object({{"resourceVersion", rvs}});
    if (!next.empty()) md.set("continue", next);
    out = "{\"kind\":\"" + t.kind + "List\",\"apiVersion\":\"" + t.api_version() +
          "\",\"metadata\":" + doc::to_json(md) + ",\"items\":[";
    bool first = true;
    for (const auto& o : items) {
      if (!first) out += ",";
      first = false;
      out += (t.custom || converts(t)) && o->get_string("apiVersion") != t.api_version()
                 ? doc::to_json(present(t, o))
                 : doc::to_json(*o);
    }
    out += "]}";
  }
  mu.lock();
}

void Api::Impl::watch(const http::ServerRequest& req, http::ServerResponse& res,
                      const ResourceType& t, const std::string& ns) {
  LabelSelector lsel;
  FieldSelector fsel;
  try {
    lsel = LabelSelector::parse(req.param("labelSelector"));
    fsel = FieldSelector::parse(req.param("fieldSelector"));
  } catch (const Error& e) {
    bad_request(e.why());
  }
  check_field_selector(t, fsel);
  std::string rvp = req.param("resourceVersion");
  bool bookmarks = truthy(req.param("allowWatchBookmarks"));
  bool send_initial = truthy(req.param("sendInitialEvents"));
  int timeout = 1800;
  if (std::string ts = req.param("timeoutSeconds"); !ts.empty()) {
    try {
      timeout = std::stoi(ts);
    } catch (const std::exception&) {
    }
  }
  std::vector<ObjPtr> initial;
  uint64_t start = rv;
  bool expired = false;
  if (rvp.empty() || rvp == "0" || send_initial) {
    auto sit = store.find(t.storage_key());
    if (sit != store.end())
      for (const auto& [k, o] : sit->second)
        initial.push_back(o);
  } else {
    try {
      start = std::stoull(rvp);
    } catch (const std::exception&) {
      bad_request("invalid resource version: " + rvp);
    }
    uint64_t oldest = events.empty() ? rv : events.front().rv;
    if (start + 1 < oldest) expired = true;
    if (start > rv) start = rv;
  }
  auto match = [lsel, fsel, ns](const Value& o) {
    if (!ns.empty() && meta_str(o, "namespace") != ns) return false;
    return lsel.matches(o.find_path({"metadata", "labels"})) && fsel.matches(o);
  };
  res.status = 200;
  res.content_type = "application/json;stream=watch";
  uint64_t oldest_for_msg = events.empty() ? rv : events.front().rv;
  res.stream = [this, t, initial, start, expired, bookmarks, send_initial, timeout, match, rvp,
                oldest_for_msg](http::StreamWriter& w) {
    ++open_watches;
    struct Guard {
      std::atomic<int>& n;
      ~Guard() { --n; }
    } guard{open_watches};
    auto last_write = Clock::now();
    auto send = [&](const std::string& type, const std::string& obj) {
      last_write = Clock::now();
      return w.write("{\"type\":\"" + type + "\",\"object\":" + obj + "}\n");
    };
    if (expired) {
      send("ERROR", doc::to_json(status_object(410, "Expired",
                                               "too old resource version: " + rvp + " (" +
                                                   std::to_string(oldest_for_msg) + ")")));
      return;
    }
    for (const auto& o : initial)
      if (match(*o) && !send("ADDED", doc::to_json(present(t, o)))) return;
    auto bookmark = [&](uint64_t at, bool initial_end) {
      Value md = Value::object({{"resourceVersion", std::to_string(at)}});
      if (initial_end)
        md.set("annotations", Value::object({{"k8s.io/initial-events-end", "true"}}));
      return send("BOOKMARK",
                  doc::to_json(Value::object(
                      {{"kind", t.kind}, {"apiVersion", t.api_version()}, {"metadata", md}})));
    };
    if (send_initial && !bookmark(start, true)) return;
    uint64_t last = start;
    auto deadline = Clock::now() + std::chrono::seconds(timeout);
    auto last_bookmark = Clock::now();
    const std::string skey = t.storage_key();
    while (true) {
      std::vector<Event> batch;
      uint64_t oldest_kept = 0;
      {
        std::unique_lock<std::mutex> lk(mu);
        auto until = std::min(deadline, Clock::now() + std::chrono::seconds(1));
        cv.wait_until(lk, until,
                      [&] { return stopping || (!events.empty() && events.back().rv > last); });
        if (stopping) return;
        // Changes this watch has not sent yet fell out of the kept history
        // (a slow reader): like kube-apiserver, end it with 410 Gone rather
        // than skip them, so the client lists again.
        if (!events.empty() && events.front().rv > last + 1) oldest_kept = events.front().rv;
        for (auto it = events.rbegin(); oldest_kept == 0 && it != events.rend() && it->rv > last;
             ++it)
          if (it->skey == skey) batch.push_back(*it);
        if (!events.empty() && events.back().rv > last) last = events.back().rv;
      }
      if (oldest_kept) {
        send("ERROR",
             doc::to_json(status_object(410, "Expired",
                                        "too old resource version: " + std::to_string(last) + " (" +
                                            std::to_string(oldest_kept) + ")")));
        return;
      }
      std::reverse(batch.begin(), batch.end());
      for (const auto& ev : batch) {
        bool cur = match(*ev.obj);
        std::string type;
        const ObjPtr* which = &ev.obj;
        if (ev.type == "MODIFIED") {
          bool prev = ev.prev && match(*ev.prev);
          if (cur && prev) type = "MODIFIED";
          if (cur && !prev) type = "ADDED";
          if (!cur && prev) type = "DELETED";
        } else if (cur) {
          type = ev.type;
        }
        if (type.empty()) continue;
        if (!send(type, doc::to_json(present(t, *which)))) return;
      }
      auto now = Clock::now();
      if (now >= deadline) return;
      if (bookmarks && now - last_bookmark > std::chrono::seconds(5)) {
        if (!bookmark(last, false)) return;
        last_bookmark = now;
      } else if (now - last_write > std::chrono::seconds(10)) {
        // A newline between events (JSON stream decoders skip whitespace)
        // notices clients that went away, so their thread is freed.
        last_write = now;
        if (!w.write("\n")) return;
      }
    }
  };
}

}  // namespace gantry::sandbox
