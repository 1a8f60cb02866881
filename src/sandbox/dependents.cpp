#include "sandbox/dependents.h"

#include <algorithm>
#include <cstdint>

#include "doc/json.h"

namespace gantry::sandbox {

using doc::Value;

namespace {

std::string str(const Value& obj, std::initializer_list<std::string_view> path) {
  const Value* v = obj.find_path(path);
  return v && v->is_string() ? v->as_string() : "";
}

int64_t int_or(const Value& obj, std::initializer_list<std::string_view> path, int64_t fallback) {
  const Value* v = obj.find_path(path);
  return v && v->is_int() ? v->as_int() : fallback;
}

Value map_at(const Value& obj, std::initializer_list<std::string_view> path) {
  const Value* v = obj.find_path(path);
  return v && v->is_map() ? *v : Value::map();
}

// The controller reference every owned dependent carries.
Value controller_ref(const Value& owner) {
  Value ref = Value::object({{"apiVersion", owner.get_string("apiVersion")},
                             {"kind", owner.get_string("kind")},
                             {"name", str(owner, {"metadata", "name"})},
                             {"uid", str(owner, {"metadata", "uid"})},
                             {"controller", true},
                             {"blockOwnerDeletion", true}});
  return Value(doc::List{std::move(ref)});
}

Value object_head(const std::string& api_version, const std::string& kind, const Value& owner) {
  return Value::object(
      {{"apiVersion", api_version},
       {"kind", kind},
       {"metadata", Value::object({{"namespace", str(owner, {"metadata", "namespace"})}})}});
}

// A Pod from a template: its labels (plus `extra`), annotations and spec.
Value pod_from(const Value& owner, const Value& tmpl, const Value& extra_labels) {
  Value pod = object_head("v1", "Pod", owner);
  Value& md = pod["metadata"];
  Value labels = map_at(tmpl, {"metadata", "labels"});
  for (const auto& m : extra_labels.as_map())
    labels.set(m.key, m.value);
  md.set("labels", std::move(labels));
  if (const Value* a = tmpl.find_path({"metadata", "annotations"}); a && a->is_map())
    md.set("annotations", *a);
  md.set("ownerReferences", controller_ref(owner));
  pod.set("spec", map_at(tmpl, {"spec"}));
  return pod;
}

Dependent generated_pod(const Value& owner, const Value& tmpl, const Value& extra_labels) {
  Value pod = pod_from(owner, tmpl, extra_labels);
  pod["metadata"].set("generateName", str(owner, {"metadata", "name"}) + "-");
  return Dependent{"", "pods", std::move(pod), true, false};
}

bool pod_ready(const Value& pod) {
  const Value* conds = pod.find_path({"status", "conditions"});
  if (!conds || !conds->is_list()) return false;
  for (const auto& c : conds->as_list())
    if (c.get_string("type") == "Ready") return c.get_string("status") == "True";
  return false;
}

// The port a Service port reaches on a Pod: targetPort as a number, a named
// container port, or the Service's port.
int64_t target_port(const Value& svc_port, const Value& pod) {
  const Value* tp = svc_port.find("targetPort");
  if (tp && tp->is_int()) return tp->as_int();
  if (tp && tp->is_string()) {
    if (const Value* cs = pod.find_path({"spec", "containers"}); cs && cs->is_list())
      for (const auto& c : cs->as_list())
        if (const Value* ps = c.find("ports"); ps && ps->is_list())
          for (const auto& p : ps->as_list())
            if (p.get_string("name") == tp->as_string()) return int_or(p, {"containerPort"}, 0);
    return 0;
  }
  return int_or(svc_port, {"port"}, 0);
}

void service_dependents(const Value& svc, const std::vector<const Value*>& pods,
                        std::vector<Dependent>& out) {
  Value selector = map_at(svc, {"spec", "selector"});
  if (selector.size() == 0 || str(svc, {"spec", "type"}) == "ExternalName") return;
  std::string name = str(svc, {"metadata", "name"});
  bool headless = str(svc, {"spec", "clusterIP"}) == "None";
  Value labels = map_at(svc, {"metadata", "labels"});
  if (headless) labels.set("service.kubernetes.io/headless", "");

  std::vector<const Value*> members;
  for (const Value* p : pods)
    if (!p->find_path({"metadata", "deletionTimestamp"}) &&
        selector_matches(selector, map_at(*p, {"metadata", "labels"})) &&
        !str(*p, {"status", "podIP"}).empty())
      members.push_back(p);
  const Value* svc_ports = svc.find_path({"spec", "ports"});
  auto ports_for = [&](const Value* pod, bool slice) {
    Value ports = Value::list();
    if (svc_ports && svc_ports->is_list())
      for (const auto& sp : svc_ports->as_list()) {
        Value p = Value::map();
        if (!sp.get_string("name").empty() || slice) p.set("name", sp.get_string("name"));
        int64_t port = pod ? target_port(sp, *pod) : int_or(sp, {"port"}, 0);
        if (port) p.set("port", port);
        p.set("protocol", sp.get_string("protocol", "TCP"));
        ports.push_back(std::move(p));
      }
    return ports;
  };
  auto target_ref = [](const Value& pod) {
    return Value::object({{"kind", "Pod"},
                          {"namespace", str(pod, {"metadata", "namespace"})},
                          {"name", str(pod, {"metadata", "name"})},
                          {"uid", str(pod, {"metadata", "uid"})}});
  };

  // Endpoints: no owner; the controller deletes it with its Service.
  Value ep = object_head("v1", "Endpoints", svc);
  ep["metadata"].set("name", name);
  ep["metadata"].set("labels", labels);
  if (!members.empty()) {
    Value ready = Value::list(), not_ready = Value::list();
    for (const Value* p : members)
      (pod_ready(*p) ? ready : not_ready)
          .push_back(
              Value::object({{"ip", str(*p, {"status", "podIP"})}, {"targetRef", target_ref(*p)}}));
    Value subset = Value::map();
    if (ready.size()) subset.set("addresses", std::move(ready));
    if (not_ready.size()) subset.set("notReadyAddresses", std::move(not_ready));
    subset.set("ports", ports_for(members.front(), false));
    ep.set("subsets", Value(doc::List{std::move(subset)}));
  }
  out.push_back(Dependent{"", "endpoints", std::move(ep), false, true});

  // One EndpointSlice (the controller splits at 100 endpoints; the sandbox
  // never has that many per Service).
  Value slice = object_head("discovery.k8s.io/v1", "EndpointSlice", svc);
  Value slice_labels = labels;
  slice_labels.set("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
  slice_labels.set("kubernetes.io/service-name", name);
  slice["metadata"].set("generateName", name + "-");
  slice["metadata"].set("labels", std::move(slice_labels));
  slice["metadata"].set("ownerReferences", controller_ref(svc));
  slice.set("addressType", "IPv4");
  Value endpoints = Value::list();
  for (const Value* p : members) {
    bool ready = pod_ready(*p);
    endpoints.push_back(Value::object(
        {{"addresses", Value(doc::List{Value(str(*p, {"status", "podIP"}))})},
         {"conditions",
          Value::object({{"ready", ready}, {"serving", ready}, {"terminating", false}})},
         {"targetRef", target_ref(*p)}}));
  }
  slice.set("endpoints", std::move(endpoints));
  slice.set("ports", ports_for(members.empty() ? nullptr : members.front(), true));
  out.push_back(Dependent{"discovery.k8s.io", "endpointslices", std::move(slice), true, true});
}

// A template with extra labels, as the controllers stamp it.
Value labelled_template(const Value& tmpl, const std::string& key, const std::string& value) {
  Value t = tmpl.is_map() ? tmpl : Value::map();
  Value& md = t["metadata"];
  if (!md.is_map()) md = Value::map();
  Value& labels = md["labels"];
  if (!labels.is_map()) labels = Value::map();
  labels.set(key, value);
  return t;
}

Value controller_revision(const Value& owner, const Value& tmpl, const std::string& hash,
                          const std::string& label_key) {
  Value cr = object_head("apps/v1", "ControllerRevision", owner);
  Value labels = map_at(tmpl, {"metadata", "labels"});
  labels.set(label_key, hash);
  cr["metadata"].set("name", str(owner, {"metadata", "name"}) + "-" + hash);
  cr["metadata"].set("labels", std::move(labels));
  cr["metadata"].set("ownerReferences", controller_ref(owner));
  Value patch_tmpl = tmpl;
  patch_tmpl.set("$patch", "replace");
  cr.set("data", Value::object({{"spec", Value::object({{"template", std::move(patch_tmpl)}})}}));
  cr.set("revision", int64_t{1});
  return cr;
}

uint32_t fnv32a(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

bool selector_matches(const Value& selector, const Value& labels) {
  if (!selector.is_map() || selector.size() == 0) return false;
  for (const auto& m : selector.as_map()) {
    const Value* v = labels.is_map() ? labels.find(m.key) : nullptr;
    if (!v || !v->equals(m.value)) return false;
  }
  return true;
}

std::string template_hash(const Value& v) {
  uint32_t h = fnv32a(doc::to_json(doc::sorted_keys(v)));
  // rand.SafeEncodeString: no vowels, no look-alike characters.
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string digits = std::to_string(h), out;
  for (char d : digits)
    out += alphabet[static_cast<unsigned char>(d) % (sizeof alphabet - 1)];
  return out;
}

std::string pod_ip(const std::string& uid) {
  uint32_t h = fnv32a(uid);
  return "10.244." + std::to_string((h >> 8) % 256) + "." + std::to_string(h % 254 + 1);
}

std::vector<Dependent> dependents_of(const Value& owner, const std::vector<const Value*>& pods) {
  std::vector<Dependent> out;
  std::string api = owner.get_string("apiVersion"), kind = owner.get_string("kind");
  std::string name = str(owner, {"metadata", "name"});
  Value tmpl = map_at(owner, {"spec", "template"});
  if (api == "v1" && kind == "Service") {
    service_dependents(owner, pods, out);
  } else if (api == "apps/v1" && kind == "Deployment") {
    std::string hash = template_hash(tmpl);
    Value rs = object_head("apps/v1", "ReplicaSet", owner);
    Value rs_tmpl = labelled_template(tmpl, "pod-template-hash", hash);
    int64_t replicas = int_or(owner, {"spec", "replicas"}, 1);
    rs["metadata"].set("name", name + "-" + hash);
    rs["metadata"].set("labels", map_at(rs_tmpl, {"metadata", "labels"}));
    rs["metadata"].set(
        "annotations",
        Value::object({{"deployment.kubernetes.io/desired-replicas", std::to_string(replicas)},
                       {"deployment.kubernetes.io/max-replicas", std::to_string(replicas + 1)}}));
    rs["metadata"].set("ownerReferences", controller_ref(owner));
    Value selector = map_at(owner, {"spec", "selector"});
    Value& ml = selector["matchLabels"];
    if (!ml.is_map()) ml = Value::map();
    ml.set("pod-template-hash", hash);
    rs.set("spec", Value::object({{"replicas", replicas},
                                  {"selector", std::move(selector)},
                                  {"template", std::move(rs_tmpl)}}));
    out.push_back(Dependent{"apps", "replicasets", std::move(rs), false, true});
  } else if (api == "apps/v1" && kind == "ReplicaSet") {
    int64_t replicas = int_or(owner, {"spec", "replicas"}, 1);
    for (int64_t i = 0; i < replicas; ++i)
      out.push_back(generated_pod(owner, tmpl, Value::map()));
  } else if (api == "batch/v1" && kind == "Job") {
    const Value* suspend = owner.find_path({"spec", "suspend"});
    if (suspend && suspend->is_bool() && suspend->as_bool()) return out;
    std::string uid = str(owner, {"metadata", "uid"});
    Value extra = Value::object({{"batch.kubernetes.io/controller-uid", uid},
                                 {"batch.kubernetes.io/job-name", name},
                                 {"controller-uid", uid},
                                 {"job-name", name}});
    int64_t n = std::min(int_or(owner, {"spec", "parallelism"}, 1),
                         int_or(owner, {"spec", "completions"}, 1));
    for (int64_t i = 0; i < n; ++i)
      out.push_back(generated_pod(owner, tmpl, extra));
  } else if (api == "apps/v1" && kind == "StatefulSet") {
    std::string hash = template_hash(tmpl);
    out.push_back(Dependent{"apps", "controllerrevisions",
                            controller_revision(owner, tmpl, hash, "controller.kubernetes.io/hash"),
                            false, false});
    int64_t replicas = int_or(owner, {"spec", "replicas"}, 1);
    for (int64_t i = 0; i < replicas; ++i) {
      std::string pod_name = name + "-" + std::to_string(i);
      Value extra = Value::object({{"apps.kubernetes.io/pod-index", std::to_string(i)},
                                   {"controller-revision-hash", name + "-" + hash},
                                   {"statefulset.kubernetes.io/pod-name", pod_name}});
      Value pod = pod_from(owner, tmpl, extra);
      pod["metadata"].set("name", pod_name);
      pod["spec"].set("hostname", pod_name);
      out.push_back(Dependent{"", "pods", std::move(pod), false, false});
    }
  } else if (api == "apps/v1" && kind == "DaemonSet") {
    std::string hash = template_hash(tmpl);
    out.push_back(Dependent{"apps", "controllerrevisions",
                            controller_revision(owner, tmpl, hash, "controller-revision-hash"),
                            false, false});
    Value extra = Value::object({{"controller-revision-hash", hash},
                                 {"pod-template-generation",
                                  std::to_string(int_or(owner, {"metadata", "generation"}, 1))}});
    out.push_back(generated_pod(owner, tmpl, extra));
  }
  return out;
}

}  // namespace gantry::sandbox
