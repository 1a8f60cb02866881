// Discovery (legacy and aggregated) and the OpenAPI documents.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

namespace {

Value verbs_value(bool status, const ResourceType* t = nullptr) {
  Value v = Value::list();
  if (t && !status && !t->verbs.empty()) {
    for (const auto& s : t->verbs)
      v.push_back(s);
  } else if (status) {
    for (const char* s : {"get", "patch", "update"})
      v.push_back(s);
  } else {
    for (const char* s :
         {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"})
      v.push_back(s);
  }
  return v;
}

Value strings_value(const std::vector<std::string>& v) {
  Value out = Value::list();
  for (const auto& s : v)
    out.push_back(s);
  return out;
}

}  // namespace

void Api::Impl::serve_discovery(const http::ServerRequest& req, http::ServerResponse& res) {
  auto seg = path_segments(req.path);
  std::string accept = req.header("Accept");
  bool aggregated = accept.find("g=apidiscovery.k8s.io") != std::string::npos &&
                    accept.find("v=v2;") != std::string::npos &&
                    accept.find("as=APIGroupDiscoveryList") != std::string::npos;
  auto types = all_types();
  // Group -> versions in order of first appearance.
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& t : types) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == t.group; });
    if (it == groups.end()) {
      groups.push_back({t.group, {t.version}});
    } else if (std::find(it->second.begin(), it->second.end(), t.version) == it->second.end()) {
      it->second.push_back(t.version);
    }
  }
  auto resource_list = [&](const std::string& group, const std::string& version) {
    Value rs = Value::list();
    for (const auto& t : types) {
      if (t.group != group || t.version != version) continue;
      Value r = Value::object({{"name", t.resource},
                               {"singularName", t.singular},
                               {"namespaced", t.namespaced},
                               {"kind", t.kind},
                               {"verbs", verbs_value(false, &t)}});
      if (!t.short_names.empty()) r.set("shortNames", strings_value(t.short_names));
      if (!t.categories.empty()) r.set("categories", strings_value(t.categories));
      rs.push_back(std::move(r));
      if (t.status_subresource)
        rs.push_back(Value::object({{"name", t.resource + "/status"},
                                    {"singularName", ""},
                                    {"namespaced", t.namespaced},
                                    {"kind", t.kind},
                                    {"verbs", verbs_value(true)}}));
      if (has_scale(t))
        rs.push_back(Value::object({{"name", t.resource + "/scale"},
                                    {"singularName", ""},
                                    {"namespaced", t.namespaced},
                                    {"group", "autoscaling"},
                                    {"version", "v1"},
                                    {"kind", "Scale"},
                                    {"verbs", verbs_value(true)}}));
    }
    return rs;
  };
  auto aggregated_versions = [&](const std::string& group,
                                 const std::vector<std::string>& versions) {
    Value vs = Value::list();
    for (const auto& v : versions) {
      Value rs = Value::list();
      for (const auto& t : types) {
        if (t.group != group || t.version != v) continue;
        Value kind = Value::object({{"group", t.group}, {"version", t.version}, {"kind", t.kind}});
        Value r = Value::object({{"resource", t.resource},
                                 {"responseKind", kind},
                                 {"scope", t.namespaced ? "Namespaced" : "Cluster"},
                                 {"singularResource", t.singular},
                                 {"verbs", verbs_value(false, &t)}});
        if (!t.short_names.empty()) r.set("shortNames", strings_value(t.short_names));
        if (!t.categories.empty()) r.set("categories", strings_value(t.categories));
        Value subs = Value::list();
        if (t.status_subresource)
          subs.push_back(Value::object(
              {{"subresource", "status"}, {"responseKind", kind}, {"verbs", verbs_value(true)}}));
        if (has_scale(t))
          subs.push_back(Value::object(
              {{"subresource", "scale"},
               {"responseKind",
                Value::object({{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}})},
               {"verbs", verbs_value(true)}}));
        if (subs.size()) r.set("subresources", std::move(subs));
        rs.push_back(std::move(r));
      }
      vs.push_back(
          Value::object({{"version", v}, {"resources", std::move(rs)}, {"freshness", "Current"}}));
    }
    return vs;
  };
  auto group_value = [&](const std::string& name, const std::vector<std::string>& versions) {
    Value vs = Value::list();
    for (const auto& v : versions)
      vs.push_back(Value::object({{"groupVersion", name + "/" + v}, {"version", v}}));
    return Value::object(
        {{"name", name},
         {"versions", vs},
         {"preferredVersion",
          Value::object({{"groupVersion", name + "/" + versions[0]}, {"version", versions[0]}})}});
  };

  if (seg.size() == 1 && aggregated) {
    Value items = Value::list();
    for (const auto& [g, vs] : groups) {
      if ((seg[0] == "api") != g.empty()) continue;
      Value md = Value::map();
      if (!g.empty()) md.set("name", g);
      items.push_back(Value::object({{"metadata", md}, {"versions", aggregated_versions(g, vs)}}));
    }
    res.status = 200;
    res.content_type = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    res.body = doc::to_json(Value::object({{"kind", "APIGroupDiscoveryList"},
                                           {"apiVersion", "apidiscovery.k8s.io/v2"},
                                           {"metadata", Value::map()},
                                           {"items", items}}));
    return;
  }
  if (seg.size() == 1 && seg[0] == "api") {
    respond(res, 200,
            Value::object(
                {{"kind", "APIVersions"},
                 {"versions", Value(doc::List{Value("v1")})},
                 {"serverAddressByClientCIDRs",
                  Value(doc::List{Value::object(
                      {{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", opts.server_address}})})}}));
    return;
  }
  if (seg.size() == 1) {
    Value gs = Value::list();
    for (const auto& [g, vs] : groups)
      if (!g.empty()) gs.push_back(group_value(g, vs));
    respond(res, 200,
            Value::object({{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", gs}}));
    return;
  }
  std::string group = seg[0] == "api" ? "" : seg[1];
  auto git =
      std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == group; });
  if (git == groups.end())
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  if (seg[0] == "apis" && seg.size() == 2) {
    Value g = group_value(group, git->second);
    g.set("kind", "APIGroup");
    g.set("apiVersion", "v1");
    respond(res, 200, g);
    return;
  }
  std::string version = seg[0] == "api" ? seg[1] : seg[2];
  if (std::find(git->second.begin(), git->second.end(), version) == git->second.end())
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  respond(res, 200,
          Value::object({{"kind", "APIResourceList"},
                         {"apiVersion", "v1"},
                         {"groupVersion", group.empty() ? version : group + "/" + version},
                         {"resources", resource_list(group, version)}}));
}

bool Api::Impl::serve_openapi(const http::ServerRequest& req, http::ServerResponse& res) {
  auto seg = path_segments(req.path);
  if (seg.size() == 2 && seg[1] == "v2") {
    // An empty OpenAPI v2 document (zero protobuf bytes): clients find no
    // schema and skip client-side validation, as they do for unknown kinds.
    res.status = 200;
    res.content_type = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
    res.body.clear();
    return true;
  }
  if (seg.size() < 2 || seg[1] != "v3") return false;
  auto types = all_types();
  auto gv_doc = [&](const std::string& group, const std::string& version) {
    Value paths = Value::map();
    for (const auto& t : types) {
      if (t.group != group || t.version != version) continue;
      std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
      std::string item =
          base + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.resource + "/{name}";
      Value gvk = Value::object({{"group", t.group}, {"version", t.version}, {"kind", t.kind}});
      Value params = Value::list();
      for (const char* q : {"dryRun", "fieldManager", "fieldValidation", "force"})
        params.push_back(Value::object(
            {{"name", q}, {"in", "query"}, {"schema", Value::object({{"type", "string"}})}}));
      Value op = Value::object(
          {{"operationId", "patch" + t.kind},
           {"parameters", params},
           {"responses", Value::object({{"200", Value::object({{"description", "OK"}})}})},
           {"x-kubernetes-action", "patch"},
           {"x-kubernetes-group-version-kind", gvk}});
      paths.set(item, Value::object({{"patch", op}}));
    }
    return Value::object(
        {{"openapi", "3.0.0"},
         {"info", Value::object({{"title", "Kubernetes"}, {"version", "v1.32.0"}})},
         {"paths", paths},
         {"components", Value::object({{"schemas", Value::map()}})}});
  };
  std::set<std::pair<std::string, std::string>> gvs;
  for (const auto& t : types)
    gvs.insert({t.group, t.version});
  if (seg.size() == 2) {
    Value paths = Value::map();
    for (const auto& [g, v] : gvs) {
      std::string key = g.empty() ? "api/" + v : "apis/" + g + "/" + v;
      std::string hash = fnv_hash(doc::to_json(gv_doc(g, v)));
      paths.set(key,
                Value::object({{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash}}));
    }
    respond(res, 200, Value::object({{"paths", paths}}));
    return true;
  }
  std::string group, version;
  if (seg.size() == 4 && seg[2] == "api") {
    version = seg[3];
  } else if (seg.size() == 5 && seg[2] == "apis") {
    group = seg[3];
    version = seg[4];
  } else {
    return false;
  }
  if (!gvs.count({group, version})) return false;
  respond(res, 200, gv_doc(group, version));
  return true;
}

}  // namespace gantry::sandbox
