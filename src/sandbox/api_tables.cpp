// Server-side tables (`kubectl get`'s as=Table): the columns and cells of
// the built-in kinds people read, and custom resources' additionalPrinterColumns.
#include "sandbox/api_internal.h"

namespace gantry::sandbox::internal {

namespace {

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
  } else if (t.kind == "HorizontalPodAutoscaler") {
    cols.insert(cols.end(), {"Reference", "Targets", "MinPods", "MaxPods", "Replicas"});
  }
  cols.push_back(t.kind == "CustomResourceDefinition" ? "Created At" : "Age");
  if (t.kind == "Node" && !t.custom) cols.push_back("Version");
}

// The TARGETS column of a (stored, autoscaling/v2) HorizontalPodAutoscaler:
// "current/target" per metric, resources named ("cpu: <unknown>/80%"), two
// shown and the rest counted, as kube-apiserver's table printer writes it.
std::string hpa_targets(const Value& o) {
  const Value* specs = o.find_path({"spec", "metrics"});
  if (!specs || !specs->is_list() || !specs->size()) return "<none>";
  const Value* statuses = o.find_path({"status", "currentMetrics"});
  auto text = [](const Value* v, std::string_view key, const std::string& fallback) {
    const Value* x = v && v->is_map() ? v->find(key) : nullptr;
    if (!x || x->is_null()) return fallback;
    return x->is_string() ? x->as_string() : doc::to_json(*x);
  };
  std::vector<std::string> list;
  size_t i = 0;
  for (const auto& m : specs->as_list()) {
    const Value* st =
        statuses && statuses->is_list() && i < statuses->size() ? &statuses->as_list()[i] : nullptr;
    ++i;
    std::string type = m.get_string("type");
    std::string key =
        type.empty() ? ""
                     : std::string(1, static_cast<char>(std::tolower(type[0]))) + type.substr(1);
    const Value* src = m.find(key);
    const Value* target = src && src->is_map() ? src->find("target") : nullptr;
    const Value* current = st && st->find(key) ? st->find(key)->find("current") : nullptr;
    if (!src || !target) {
      list.push_back("<unknown type>");
    } else if (type == "Resource" || type == "ContainerResource") {
      std::string name = src->get_string("name") + ": ";
      if (target->find("averageValue")) {
        list.push_back(name + text(current, "averageValue", "<unknown>") + "/" +
                       text(target, "averageValue", ""));
      } else {
        std::string cur = text(current, "averageUtilization", "");
        std::string want = text(target, "averageUtilization", "");
        list.push_back(name + (cur.empty() ? "<unknown>" : cur + "%") + "/" +
                       (want.empty() ? "<auto>" : want + "%"));
      }
    } else if (target->find("averageValue") && type != "Pods") {
      list.push_back(text(current, "averageValue", "<unknown>") + "/" +
                     text(target, "averageValue", "") + " (avg)");
    } else {
      std::string k = type == "Pods" ? "averageValue" : "value";
      list.push_back(text(current, k, "<unknown>") + "/" + text(target, k, ""));
    }
  }
  std::string out;
  for (size_t n = 0; n < list.size() && n < 2; ++n)
    out += (n ? ", " : "") + list[n];
  if (list.size() > 2) out += " + " + std::to_string(list.size() - 2) + " more...";
  return out;
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
  } else if (t.kind == "HorizontalPodAutoscaler") {
    const Value* ref = o.find_path({"spec", "scaleTargetRef"});
    cells.push_back((ref ? ref->get_string("kind") : "") + "/" +
                    (ref ? ref->get_string("name") : ""));
    cells.push_back(hpa_targets(o));
    cells.push_back(int_str(o.find_path({"spec", "minReplicas"}), "<unset>"));
    cells.push_back(
        static_cast<int64_t>(std::stoll(int_str(o.find_path({"spec", "maxReplicas"})))));
    cells.push_back(static_cast<int64_t>(std::stoll(int_str(sv("currentReplicas")))));
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

}  // namespace

bool wants_table(const http::ServerRequest& req) {
  return req.header("Accept").find("as=Table") != std::string::npos;
}

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

}  // namespace gantry::sandbox::internal
