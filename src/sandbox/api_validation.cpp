// Admission: namespaces, names and labels, custom resource schemas, defaults on create.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

namespace {

// A map[string]string as Go's %#v prints it (keys sorted), as
// kube-apiserver's validation messages show bad values.
std::string go_string_map(const Value* m) {
  if (!m || !m->is_map()) return "map[string]string(nil)";
  std::map<std::string, std::string> sorted;
  for (const auto& e : m->as_map())
    sorted[e.key] = e.value.is_string() ? e.value.as_string() : doc::to_json(e.value);
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : sorted) {
    out += (first ? "" : ", ") + doc::to_json(Value(k)) + ":" + doc::to_json(Value(v));
    first = false;
  }
  return out + "}";
}

Value crd_condition(const std::string& type, const std::string& reason,
                    const std::string& message) {
  return Value::object({{"type", type},
                        {"status", "True"},
                        {"lastTransitionTime", now_str()},
                        {"reason", reason},
                        {"message", message}});
}

}  // namespace

void Api::Impl::check_namespace(const ResourceType& t, const std::string& ns,
                                const std::string& name) {
  if (!t.namespaced) return;
  ObjPtr nsobj = get(ns_type(), "", ns);
  if (!nsobj)
    fail(404, "NotFound", "namespaces \"" + ns + "\" not found",
         name_details(ns, "", "namespaces"));
  if (nsobj->find_path({"metadata", "deletionTimestamp"})) {
    Value d = name_details(name, t.group, t.resource);
    d.set("causes",
          Value(doc::List{Value::object({{"reason", "NamespaceTerminating"},
                                         {"message", "namespace " + ns + " is being terminated"},
                                         {"field", "metadata.namespace"}})}));
    fail(403, "Forbidden",
         t.group_resource() + " \"" + name +
             "\" is forbidden: unable to create new content in namespace " + ns +
             " because it is being terminated",
         std::move(d));
  }
}

void Api::Impl::validate(const ResourceType& t, Value& obj, bool creating) {
  std::vector<Cause> causes;
  std::string name = meta_str(obj, "name");
  if (name.empty()) {
    causes.push_back({"metadata.name", "FieldValueRequired",
                      "Required value: name or generateName is required"});
  } else {
    for (const auto& why : name_problems(t, name))
      causes.push_back(
          {"metadata.name", "FieldValueInvalid", "Invalid value: \"" + name + "\": " + why});
  }
  if (const Value* labels = obj.find_path({"metadata", "labels"}); labels && labels->is_map()) {
    for (const auto& m : labels->as_map()) {
      if (!valid_qualified_name(m.key))
        causes.push_back(
            {"metadata.labels", "FieldValueInvalid",
             "Invalid value: \"" + m.key +
                 "\": name part must consist of alphanumeric characters, '-', '_' or '.', "
                 "and must start and end with an alphanumeric character"});
      std::string v = m.value.is_string() ? m.value.as_string() : "";
      if (!m.value.is_string() || !valid_label_value(v))
        causes.push_back(
            {"metadata.labels", "FieldValueInvalid",
             "Invalid value: \"" + v +
                 "\": a valid label must be an empty string or consist of alphanumeric "
                 "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                 "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                 "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"});
    }
  }
  if (!t.custom && (t.kind == "Deployment" || t.kind == "ReplicaSet" || t.kind == "StatefulSet" ||
                    t.kind == "DaemonSet")) {
    // As kube-apiserver validates the workload specs: no selector selects
    // nothing (so the template's labels do not match either), an empty one
    // is invalid; bad values print as Go's %#v prints them.
    const Value* sel = obj.find_path({"spec", "selector"});
    const Value* tl = obj.find_path({"spec", "template", "metadata", "labels"});
    bool missing = !sel || !sel->is_map();
    if (missing) {
      causes.push_back({"spec.selector", "FieldValueRequired", "Required value"});
    } else if (sel->size() == 0) {
      std::string kind = t.kind == "ReplicaSet" ? "deployment" : t.kind;
      std::transform(kind.begin(), kind.end(), kind.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      causes.push_back({"spec.selector", "FieldValueInvalid",
                        "Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
                        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector "
                        "is invalid for " +
                            kind});
    }
    if (missing || (sel->size() > 0 && !LabelSelector::from_object(*sel).matches(tl)))
      causes.push_back({"spec.template.metadata.labels", "FieldValueInvalid",
                        "Invalid value: " + go_string_map(tl) +
                            ": `selector` does not match template `labels`"});
  }
  if (t.kind == "HorizontalPodAutoscaler" && !t.custom) {
    // validateHorizontalPodAutoscalerSpec (both versions name these alike).
    const Value* min = obj.find_path({"spec", "minReplicas"});
    const Value* max = obj.find_path({"spec", "maxReplicas"});
    int64_t maxv = max && max->is_int() ? max->as_int() : 0;
    if (min && min->is_int() && min->as_int() < 1)
      causes.push_back({"spec.minReplicas", "FieldValueInvalid",
                        "Invalid value: " + std::to_string(min->as_int()) +
                            ": must be greater than or equal to 1"});
    if (maxv < 1)
      causes.push_back({"spec.maxReplicas", "FieldValueInvalid",
                        "Invalid value: " + std::to_string(maxv) + ": must be greater than 0"});
    if (min && min->is_int() && maxv < min->as_int())
      causes.push_back({"spec.maxReplicas", "FieldValueInvalid",
                        "Invalid value: " + std::to_string(maxv) +
                            ": must be greater than or equal to `minReplicas`"});
    const Value* ref = obj.find_path({"spec", "scaleTargetRef"});
    for (const char* k : {"kind", "name"})
      if (!ref || ref->get_string(k).empty())
        causes.push_back(
            {std::string("spec.scaleTargetRef.") + k, "FieldValueRequired", "Required value"});
  }
  if (t.kind == "CustomResourceDefinition" && !t.custom) {
    const Value* spec = obj.find("spec");
    std::string group = spec ? spec->get_string("group") : "";
    const Value* names = spec ? spec->find("names") : nullptr;
    std::string plural = names ? names->get_string("plural") : "";
    if (!name.empty() && name != plural + "." + group)
      causes.push_back(
          {"metadata.name", "FieldValueInvalid",
           "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group"});
    if (group.empty()) causes.push_back({"spec.group", "FieldValueRequired", "Required value"});
    if (plural.empty())
      causes.push_back({"spec.names.plural", "FieldValueRequired", "Required value"});
    if (!names || names->get_string("kind").empty())
      causes.push_back({"spec.names.kind", "FieldValueRequired", "Required value"});
    const Value* versions = spec ? spec->find("versions") : nullptr;
    if (!versions || !versions->is_list() || versions->size() == 0) {
      causes.push_back(
          {"spec.versions", "FieldValueInvalid",
           "Invalid value: null: must have exactly one version marked as storage version"});
    } else {
      int storage = 0;
      for (const auto& v : versions->as_list()) {
        const Value* s = v.find("storage");
        storage += s && s->is_bool() && s->as_bool();
      }
      if (storage != 1)
        causes.push_back({"spec.versions", "FieldValueInvalid",
                          "Invalid value: " + doc::to_json(*versions) +
                              ": must have exactly one version marked as storage version"});
    }
  }
  (void)creating;
  if (!causes.empty()) invalid(t, name, causes);
}

namespace {}  // namespace

namespace {}  // namespace

Value Api::Impl::prepare_create(const ResourceType& t, Value obj, const std::string& ns) {
  Value& m = meta(obj);
  if (m.get_string("name").empty() && !m.get_string("generateName").empty())
    m.set("name", m.get_string("generateName") + random_suffix(5));
  if (t.namespaced) {
    std::string body_ns = m.get_string("namespace");
    if (!body_ns.empty() && !ns.empty() && body_ns != ns)
      bad_request(
          "the namespace of the provided object does not match the namespace sent on the request");
    if (body_ns.empty()) m.set("namespace", ns);
  } else {
    m.erase("namespace");
  }
  normalize(t, obj);
  validate(t, obj, true);
  Value& md = meta(obj);
  md.set("uid", new_uid());
  md.set("creationTimestamp", now_str());
  md.erase("resourceVersion");
  md.erase("deletionTimestamp");
  md.erase("deletionGracePeriodSeconds");
  md.erase("selfLink");
  if (t.has_generation) {
    md.set("generation", 1);
  } else {
    md.erase("generation");
  }
  if (t.status_subresource) obj.erase("status");
  if (t.custom) return obj;
  if (t.kind == "Namespace") {
    Value& labels = md["labels"];
    if (!labels.is_map()) labels = Value::map();
    labels.set("kubernetes.io/metadata.name", md.get_string("name"));
    obj.set("spec", Value::object({{"finalizers", Value(doc::List{Value("kubernetes")})}}));
    obj.set("status", Value::object({{"phase", "Active"}}));
  } else if (t.kind == "Pod" || t.kind == "PersistentVolumeClaim") {
    obj.set("status", Value::object({{"phase", "Pending"}}));
  } else if (t.kind == "Service") {
    Value& spec = obj["spec"];
    if (!spec.is_map()) spec = Value::map();
    if (spec.get_string("type").empty()) spec.set("type", "ClusterIP");
    if (spec.get_string("type") != "ExternalName" && !spec.find("clusterIP")) {
      static std::atomic<unsigned> next_ip{10};
      unsigned n = next_ip++;
      std::string ip =
          "10.96." + std::to_string((n / 250) % 250) + "." + std::to_string(n % 250 + 1);
      spec.set("clusterIP", ip);
      spec.set("clusterIPs", Value(doc::List{Value(ip)}));
    }
    obj.set("status", Value::object({{"loadBalancer", Value::map()}}));
  } else if (t.kind == "CustomResourceDefinition") {
    if (finalizers(obj).empty())
      md.set("finalizers", Value(doc::List{Value("customresourcecleanup.apiextensions.k8s.io")}));
    Value status = Value::map();
    Value conds = Value::list();
    conds.push_back(crd_condition("NamesAccepted", "NoConflicts", "no conflicts found"));
    conds.push_back(crd_condition("Established", "InitialNamesAccepted",
                                  "the initial names have been accepted"));
    status.set("conditions", conds);
    Value accepted =
        obj.find_path({"spec", "names"}) ? *obj.find_path({"spec", "names"}) : Value::map();
    if (accepted.get_string("singular").empty()) {
      std::string s;
      for (char c : accepted.get_string("kind"))
        s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      accepted.set("singular", s);
    }
    if (accepted.get_string("listKind").empty())
      accepted.set("listKind", accepted.get_string("kind") + "List");
    status.set("acceptedNames", accepted);
    Value stored = Value::list();
    if (const Value* vs = obj.find_path({"spec", "versions"}); vs && vs->is_list())
      for (const auto& v : vs->as_list())
        if (const Value* s = v.find("storage"); s && s->is_bool() && s->as_bool())
          stored.push_back(v.get_string("name"));
    status.set("storedVersions", stored);
    obj.set("status", status);
  }
  return obj;
}

namespace internal {

// Structural-schema checks of custom resources: types, required fields,
// enums; unknown fields are pruned, or rejected under fieldValidation=Strict.
struct SchemaCheck {
  std::vector<Cause> causes;
  std::vector<std::string> unknown;

  static std::string type_of(const Value& v) {
    switch (v.type()) {
      case doc::Type::kMap:
        return "object";
      case doc::Type::kList:
        return "array";
      case doc::Type::kString:
        return "string";
      case doc::Type::kInt:
        return "integer";
      case doc::Type::kFloat:
        return "number";
      case doc::Type::kBool:
        return "boolean";
      default:
        return "null";
    }
  }

  void check(Value& v, const Value& schema, const std::string& path, bool root) {
    if (!schema.is_map()) return;
    const Value* pu = schema.find("x-kubernetes-preserve-unknown-fields");
    bool preserve = pu && pu->is_bool() && pu->as_bool();
    const Value* ios = schema.find("x-kubernetes-int-or-string");
    std::string want = schema.get_string("type");
    if (v.is_null()) {
      const Value* nullable = schema.find("nullable");
      if (!(nullable && nullable->is_bool() && nullable->as_bool()) && !want.empty())
        causes.push_back({path, "FieldValueTypeInvalid",
                          "Invalid value: \"null\": " + path + " in body must be of type " + want +
                              ": \"null\""});
      return;
    }
    if (ios && ios->is_bool() && ios->as_bool()) {
      if (!v.is_int() && !v.is_string())
        causes.push_back({path, "FieldValueTypeInvalid",
                          "Invalid value: \"" + type_of(v) + "\": " + path +
                              " in body must be of type integer-or-string"});
      return;
    }
    std::string have = type_of(v);
    if (!want.empty() && want != have && !(want == "number" && have == "integer")) {
      causes.push_back({path, "FieldValueTypeInvalid",
                        "Invalid value: \"" + have + "\": " + path + " in body must be of type " +
                            want + ": \"" + have + "\""});
      return;
    }
    if (const Value* en = schema.find("enum"); en && en->is_list()) {
      bool ok = false;
      std::string allowed;
      for (const auto& e : en->as_list()) {
        ok = ok || e.equals(v);
        allowed += (allowed.empty() ? "" : ", ") + doc::to_json(e);
      }
      if (!ok)
        causes.push_back(
            {path, "FieldValueNotSupported",
             "Unsupported value: " + doc::to_json(v) + ": supported values: " + allowed});
    }
    if (v.is_map()) {
      const Value* props = schema.find("properties");
      const Value* additional = schema.find("additionalProperties");
      if (const Value* req = schema.find("required"); req && req->is_list())
        for (const auto& r : req->as_list())
          if (r.is_string() && !v.find(r.as_string()))
            causes.push_back({(path.empty() ? "" : path + ".") + r.as_string(),
                              "FieldValueRequired", "Required value"});
      auto& members = v.as_map();
      for (auto it = members.begin(); it != members.end();) {
        std::string child = (path.empty() ? "" : path + ".") + it->key;
        if (root && (it->key == "apiVersion" || it->key == "kind" || it->key == "metadata")) {
          ++it;
          continue;
        }
        const Value* ps = props ? props->find(it->key) : nullptr;
        if (!ps && additional && additional->is_map()) ps = additional;
        if (ps) {
          check(it->value, *ps, child, false);
          ++it;
        } else if (preserve || (additional && additional->is_bool() && additional->as_bool())) {
          ++it;
        } else {
          unknown.push_back(child);
          it = members.erase(it);
        }
      }
    } else if (v.is_list()) {
      if (const Value* items = schema.find("items"))
        for (size_t i = 0; i < v.size(); ++i)
          check(v.as_list()[i], *items, path + "[" + std::to_string(i) + "]", false);
    }
  }
};

void check_custom_resource(const ResourceType& t, Value& obj, const http::ServerRequest& req) {
  if (!t.custom || !t.schema) return;
  SchemaCheck c;
  c.check(obj, *t.schema, "", true);
  if (!c.unknown.empty() && req.param("fieldValidation") == "Strict") {
    std::string msg = t.kind + " in version \"" + t.version + "\" cannot be handled as a " +
                      t.kind + ": strict decoding error: ";
    for (size_t i = 0; i < c.unknown.size(); ++i)
      msg += (i ? ", " : "") + std::string("unknown field \"") + c.unknown[i] + "\"";
    bad_request(msg);
  }
  if (!c.causes.empty()) invalid(t, meta_str(obj, "name"), c.causes);
}

}  // namespace internal

}  // namespace gantry::sandbox
