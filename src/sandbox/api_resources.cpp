// Serving a resource: dispatch by verb, get, list (tables, selectors) and watch.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

namespace {

bool wants_table(const http::ServerRequest& req) {
  return req.header("Accept").find("as=Table") != std::string::npos;
}

std::string int_str(const Value* v, const std::string& fallback = "0") {
  return v && v->is_int() ? std::to_string(v->as_int()) : fallback;
}

std::string condition_status(const Value& obj, const std::string& type) {
  const Value* conds = obj.find_path({"status", "conditions"});
  if (conds && conds->is_list())
    for (const auto& c : conds->as_list())
      if (c.get_string("type") == type) return c.get_string("status");
  return "";
}

// Columns and cells of `kubectl get` for the kinds whose output people read.
void table_columns(const ResourceType& t, std::vector<std::string>& cols) {
  cols = {"Name"};
  if (t.custom) {
  } else if (t.kind == "Deployment") {
    cols.insert(cols.end(), {"Ready", "Up-to-date", "Available"});
  } else if (t.kind == "StatefulSet") {
    cols.insert(cols.end(), {"Ready"});
  } else if (t.kind == "DaemonSet") {
    cols.insert(cols.end(), {"Desired", "Current", "Ready", "Up-to-date", "Available"});
  } else if (t.kind == "Pod") {
    cols.insert(cols.end(), {"Ready", "Status", "Restarts"});
  } else if (t.kind == "ConfigMap") {
    cols.insert(cols.end(), {"Data"});
  } else if (t.kind == "Secret") {
    cols.insert(cols.end(), {"Type", "Data"});
  } else if (t.kind == "Namespace") {
    cols.insert(cols.end(), {"Status"});
  } else if (t.kind == "Service") {
    cols.insert(cols.end(), {"Type", "Cluster-IP", "External-IP", "Port(s)"});
  } else if (t.kind == "Job") {
    cols.insert(cols.end(), {"Status", "Completions"});
  } else if (t.kind == "PersistentVolumeClaim") {
    cols.insert(cols.end(), {"Status"});
  } else if (t.kind == "Node") {
    cols.insert(cols.end(), {"Status", "Roles"});
  }
  cols.push_back(t.kind == "CustomResourceDefinition" ? "Created At" : "Age");
  if (t.kind == "Node" && !t.custom) cols.push_back("Version");
}

Value table_cells(const ResourceType& t, const Value& o) {
  Value cells = Value::list();
  cells.push_back(meta_str(o, "name"));
  const Value* st = o.find("status");
  auto sv = [&](std::string_view k) { return st ? st->find(k) : nullptr; };
  const Value* replicas = o.find_path({"spec", "replicas"});
  std::string want = int_str(replicas, "1");
  if (t.custom) {
  } else if (t.kind == "Deployment") {
    cells.push_back(int_str(sv("readyReplicas")) + "/" + want);
    cells.push_back(static_cast<int64_t>(std::stoll(int_str(sv("updatedReplicas")))));
    cells.push_back(static_cast<int64_t>(std::stoll(int_str(sv("availableReplicas")))));
  } else if (t.kind == "StatefulSet") {
    cells.push_back(int_str(sv("readyReplicas")) + "/" + want);
  } else if (t.kind == "DaemonSet") {
    for (const char* k : {"desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                          "updatedNumberScheduled", "numberAvailable"})
      cells.push_back(static_cast<int64_t>(std::stoll(int_str(sv(k)))));
  } else if (t.kind == "Pod") {
    size_t n = 0;
    if (const Value* cs = o.find_path({"spec", "containers"}); cs && cs->is_list()) n = cs->size();
    bool ready = condition_status(o, "Ready") == "True";
    cells.push_back(std::to_string(ready ? n : 0) + "/" + std::to_string(n));
    cells.push_back(st ? st->get_string("phase", "Pending") : "Pending");
    cells.push_back(0);
  } else if (t.kind == "ConfigMap" || t.kind == "Secret") {
    if (t.kind == "Secret") cells.push_back(o.get_string("type", "Opaque"));
    size_t n = 0;
    if (const Value* d = o.find("data"); d && d->is_map()) n += d->size();
    if (const Value* d = o.find("binaryData"); d && d->is_map()) n += d->size();
    if (const Value* d = o.find("stringData"); d && d->is_map()) n += d->size();
    cells.push_back(static_cast<int64_t>(n));
  } else if (t.kind == "Namespace") {
    cells.push_back(st ? st->get_string("phase", "Active") : "Active");
  } else if (t.kind == "Service") {
    const Value* spec = o.find("spec");
    cells.push_back(spec ? spec->get_string("type", "ClusterIP") : "ClusterIP");
    cells.push_back(spec ? spec->get_string("clusterIP", "<none>") : "<none>");
    cells.push_back("<none>");
    std::string ports;
    if (const Value* ps = spec ? spec->find("ports") : nullptr; ps && ps->is_list())
      for (const auto& p : ps->as_list())
        ports += (ports.empty() ? "" : ",") + int_str(p.find("port")) + "/" +
                 p.get_string("protocol", "TCP");
    cells.push_back(ports.empty() ? "<none>" : ports);
  } else if (t.kind == "Job") {
    std::string s = condition_status(o, "Complete") == "True" ? "Complete"
                    : condition_status(o, "Failed") == "True" ? "Failed"
                                                              : "Running";
    cells.push_back(s);
    cells.push_back(int_str(sv("succeeded")) + "/" +
                    int_str(o.find_path({"spec", "completions"}), "1"));
  } else if (t.kind == "PersistentVolumeClaim") {
    cells.push_back(st ? st->get_string("phase", "Pending") : "Pending");
  } else if (t.kind == "Node") {
    cells.push_back(condition_status(o, "Ready") == "True" ? "Ready" : "NotReady");
    std::string roles;
    if (const Value* l = o.find_path({"metadata", "labels"}); l && l->is_map())
      for (const auto& m : l->as_map())
        if (m.key.rfind("node-role.kubernetes.io/", 0) == 0)
          roles += (roles.empty() ? "" : ",") + m.key.substr(24);
    cells.push_back(roles.empty() ? "<none>" : roles);
  }
  if (t.kind == "CustomResourceDefinition") {
    cells.push_back(meta_str(o, "creationTimestamp"));
  } else {
    cells.push_back(human_age(meta_str(o, "creationTimestamp")));
  }
  if (t.kind == "Node" && !t.custom) {
    const Value* v = o.find_path({"status", "nodeInfo", "kubeletVersion"});
    cells.push_back(v && v->is_string() ? v->as_string() : "");
  }
  return cells;
}

// The subset of JSONPath printer columns use: .a.b, .a[0], .a[?(@.k=="v")].b
const Value* json_path(const Value& root, const std::string& path) {
  const Value* cur = &root;
  size_t i = 0;
  while (cur && i < path.size()) {
    if (path[i] == '.') {
      ++i;
      size_t j = i;
      while (j < path.size() && path[j] != '.' && path[j] != '[')
        ++j;
      if (j > i) cur = cur->find(path.substr(i, j - i));
      i = j;
    } else if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string::npos) return nullptr;
      std::string inner = path.substr(i + 1, close - i - 1);
      i = close + 1;
      if (!cur->is_list()) return nullptr;
      if (inner.rfind("?(@.", 0) == 0 && inner.back() == ')') {
        std::string cond = inner.substr(4, inner.size() - 5);
        size_t eq = cond.find("==");
        if (eq == std::string::npos) return nullptr;
        std::string key = cond.substr(0, eq), want = cond.substr(eq + 2);
        if (want.size() >= 2 && (want.front() == '"' || want.front() == '\''))
          want = want.substr(1, want.size() - 2);
        const Value* found = nullptr;
        for (const auto& item : cur->as_list())
          if (item.get_string(key) == want) {
            found = &item;
            break;
          }
        cur = found;
      } else {
        try {
          size_t idx = std::stoul(inner);
          cur = idx < cur->size() ? &cur->as_list()[idx] : nullptr;
        } catch (const std::exception&) {
          return nullptr;
        }
      }
    } else {
      return nullptr;
    }
  }
  return cur;
}

std::string custom_table_json(const ResourceType& t, const std::vector<ObjPtr>& objs,
                              const std::string& include, const std::string& rv,
                              const std::string& cont);

std::string table_json(const ResourceType& t, const std::vector<ObjPtr>& objs,
                       const std::string& include, const std::string& rv, const std::string& cont) {
  if (t.custom && t.printer_columns) return custom_table_json(t, objs, include, rv, cont);
  std::vector<std::string> cols;
  table_columns(t, cols);
  Value defs = Value::list();
  for (const auto& c : cols) {
    bool is_name = c == "Name";
    std::string type = "string";
    if (c == "Up-to-date" || c == "Available" || c == "Data" || c == "Restarts" || c == "Desired" ||
        c == "Current")
      type = "integer";
    if (c == "Created At") type = "date";
    defs.push_back(Value::object({{"name", c},
                                  {"type", type},
                                  {"format", is_name ? "name" : ""},
                                  {"description", ""},
                                  {"priority", 0}}));
  }
  Value md = Value::object({{"resourceVersion", rv}});
  if (!cont.empty()) md.set("continue", cont);
  std::string out =
      "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":" + doc::to_json(md) +
      ",\"columnDefinitions\":" + doc::to_json(defs) + ",\"rows\":[";
  bool first = true;
  for (const auto& o : objs) {
    if (!first) out += ",";
    first = false;
    out += "{\"cells\":" + doc::to_json(table_cells(t, *o));
    if (include == "Object") {
      out += ",\"object\":" + doc::to_json(*o);
    } else if (include != "None") {
      Value m = o->find("metadata") ? *o->find("metadata") : Value::map();
      m.erase("managedFields");
      out += ",\"object\":" + doc::to_json(Value::object({{"kind", "PartialObjectMetadata"},
                                                          {"apiVersion", "meta.k8s.io/v1"},
                                                          {"metadata", m}}));
    }
    out += "}";
  }
  out += "]}";
  return out;
}

std::string row_object(const Value& o, const std::string& include) {
  if (include == "None") return "";
  if (include == "Object") return ",\"object\":" + doc::to_json(o);
  Value m = o.find("metadata") ? *o.find("metadata") : Value::map();
  m.erase("managedFields");
  return ",\"object\":" + doc::to_json(Value::object({{"kind", "PartialObjectMetadata"},
                                                      {"apiVersion", "meta.k8s.io/v1"},
                                                      {"metadata", m}}));
}

// Tables of custom resources with additionalPrinterColumns.
std::string custom_table_json(const ResourceType& t, const std::vector<ObjPtr>& objs,
                              const std::string& include, const std::string& rv,
                              const std::string& cont) {
  Value defs = Value::list();
  defs.push_back(Value::object({{"name", "Name"},
                                {"type", "string"},
                                {"format", "name"},
                                {"description", "Name must be unique within a namespace."},
                                {"priority", 0}}));
  const auto& cols = t.printer_columns->as_list();
  for (const auto& c : cols) {
    const Value* prio = c.find("priority");
    defs.push_back(Value::object({{"name", c.get_string("name")},
                                  {"type", c.get_string("type", "string")},
                                  {"format", c.get_string("format")},
                                  {"description", c.get_string("description")},
                                  {"priority", prio && prio->is_int() ? prio->as_int() : 0}}));
  }
  Value md = Value::object({{"resourceVersion", rv}});
  if (!cont.empty()) md.set("continue", cont);
  std::string out =
      "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":" + doc::to_json(md) +
      ",\"columnDefinitions\":" + doc::to_json(defs) + ",\"rows\":[";
  for (size_t r = 0; r < objs.size(); ++r) {
    const Value& o = *objs[r];
    Value cells = Value::list();
    cells.push_back(meta_str(o, "name"));
    for (const auto& c : cols) {
      const Value* v = json_path(o, c.get_string("jsonPath"));
      if (!v || v->is_null()) {
        cells.push_back(Value());
      } else if (c.get_string("type") == "date" && v->is_string()) {
        cells.push_back(human_age(v->as_string()));
      } else if (v->is_scalar()) {
        cells.push_back(*v);
      } else {
        cells.push_back(doc::to_json(*v));
      }
    }
    out += (r ? "," : "") + std::string("{\"cells\":") + doc::to_json(cells) +
           row_object(o, include) + "}";
  }
  out += "]}";
  return out;
}

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

Value Api::Impl::present(const ResourceType& t, const ObjPtr& obj) const {
  Value v = *obj;
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
      out += t.custom && o->get_string("apiVersion") != t.api_version()
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
