#include "sandbox/convert.h"

#include <strings.h>

#include "doc/json.h"

namespace gantry::sandbox {

namespace {

using doc::Value;

const char* kMetricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
const char* kCurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";
const char* kConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";
const char* kBehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";
const int64_t kDefaultCpuUtilization = 80;

bool is_hpa(const ResourceType& t) {
  return !t.custom && t.group == "autoscaling" && t.kind == "HorizontalPodAutoscaler";
}

const Value* field(const Value& o, std::string_view key) {
  const Value* v = o.is_map() ? o.find(key) : nullptr;
  return v && !v->is_null() ? v : nullptr;
}

const Value& field_or_empty(const Value& o, std::string_view key) {
  static const Value empty = Value::map();
  const Value* v = field(o, key);
  return v ? *v : empty;
}

void copy(Value& out, std::string_view out_key, const Value& in, std::string_view key) {
  if (const Value* v = field(in, key)) out.set(out_key, *v);
}

// A resource.Quantity that Go declares without a pointer: absent reads as "0".
Value quantity(const Value& in, std::string_view key) {
  const Value* v = field(in, key);
  return v ? *v : Value("0");
}

// encoding/json matches object keys exactly, else ignoring case.
const Value* field_ci(const Value& o, std::string_view key) {
  if (!o.is_map()) return nullptr;
  if (const Value* v = field(o, key)) return v;
  for (const auto& m : o.as_map())
    if (m.key.size() == key.size() && strncasecmp(m.key.c_str(), key.data(), key.size()) == 0)
      return m.value.is_null() ? nullptr : &m.value;
  return nullptr;
}

const char* kRoundTrip[] = {kMetricsAnnotation, kCurrentMetricsAnnotation, kConditionsAnnotation,
                            kBehaviorAnnotation};

std::string annotation(const Value& obj, const char* key) {
  const Value* a = obj.find_path({"metadata", "annotations"});
  return a && a->is_map() ? a->get_string(key) : "";
}

// Drops the round-trip annotations (and an annotations map left empty).
void drop_round_trip(Value& obj) {
  Value* md = obj.find("metadata");
  Value* a = md && md->is_map() ? md->find("annotations") : nullptr;
  if (!a || !a->is_map()) return;
  for (const char* k : kRoundTrip)
    a->erase(k);
  if (a->size() == 0) md->erase("annotations");
}

void set_annotation(Value& obj, const char* key, const Value& v) {
  Value& md = obj["metadata"];
  if (!md.is_map()) md = Value::map();
  Value& a = md["annotations"];
  if (!a.is_map()) a = Value::map();
  a.set(key, doc::to_json(v));
}

// A JSON list from an annotation, or null when it is missing or malformed
// (kube-apiserver fails the conversion then; the sandbox ignores it).
Value annotation_list(const Value& obj, const char* key) {
  std::string raw = annotation(obj, key);
  if (raw.empty()) return Value();
  try {
    Value v = doc::parse_json(raw, key);
    return v.is_list() ? v : Value();
  } catch (const std::exception&) {
    return Value();
  }
}

Value object_ref(const Value& r) {
  Value out = Value::object({{"kind", r.get_string("kind")}, {"name", r.get_string("name")}});
  copy(out, "apiVersion", r, "apiVersion");
  return out;
}

bool is_cpu_utilization(const Value& m) {
  const Value& res = field_or_empty(m, "resource");
  return m.get_string("type") == "Resource" && res.get_string("name") == "cpu" &&
         field(field_or_empty(res, "target"), "averageUtilization");
}

// v2 MetricIdentifier {name, selector} from v1 fields.
Value identifier(const Value& in, std::string_view selector_key) {
  Value id = Value::object({{"name", in.get_string("metricName")}});
  copy(id, "selector", in, selector_key);
  return id;
}

// v1 metricName/selector from a v2 source's metric identifier.
void put_identifier(Value& out, const Value& src, std::string_view selector_key) {
  const Value& id = field_or_empty(src, "metric");
  out.set("metricName", id.get_string("name"));
  copy(out, selector_key, id, "selector");
}

Value spec_metric_to_v1(const Value& m) {
  Value out = Value::object({{"type", m.get_string("type")}});
  if (const Value* o = field(m, "object")) {
    const Value& target = field_or_empty(*o, "target");
    Value v = Value::object({{"target", object_ref(field_or_empty(*o, "describedObject"))}});
    put_identifier(v, *o, "selector");
    v.set("targetValue", quantity(target, "value"));
    copy(v, "averageValue", target, "averageValue");
    out.set("object", std::move(v));
  }
  if (const Value* p = field(m, "pods")) {
    Value v = Value::map();
    put_identifier(v, *p, "selector");
    v.set("targetAverageValue", quantity(field_or_empty(*p, "target"), "averageValue"));
    out.set("pods", std::move(v));
  }
  for (const char* key : {"resource", "containerResource"}) {
    const Value* r = field(m, key);
    if (!r) continue;
    const Value& target = field_or_empty(*r, "target");
    Value v = Value::object({{"name", r->get_string("name")}});
    copy(v, "targetAverageUtilization", target, "averageUtilization");
    copy(v, "targetAverageValue", target, "averageValue");
    if (std::string_view(key) == "containerResource")
      v.set("container", r->get_string("container"));
    out.set(key, std::move(v));
  }
  if (const Value* e = field(m, "external")) {
    const Value& target = field_or_empty(*e, "target");
    Value v = Value::map();
    put_identifier(v, *e, "metricSelector");
    copy(v, "targetValue", target, "value");
    copy(v, "targetAverageValue", target, "averageValue");
    out.set("external", std::move(v));
  }
  return out;
}

Value spec_metric_to_v2(const Value& m) {
  Value out = Value::object({{"type", m.get_string("type")}});
  if (const Value* o = field(m, "object")) {
    Value target = Value::object({{"type", field(*o, "averageValue") ? "AverageValue" : "Value"},
                                  {"value", quantity(*o, "targetValue")}});
    copy(target, "averageValue", *o, "averageValue");
    out.set("object", Value::object({{"describedObject", object_ref(field_or_empty(*o, "target"))},
                                     {"metric", identifier(*o, "selector")},
                                     {"target", std::move(target)}}));
  }
  if (const Value* p = field(m, "pods"))
    out.set(
        "pods",
        Value::object(
            {{"metric", identifier(*p, "selector")},
             {"target", Value::object({{"type", "AverageValue"},
                                       {"averageValue", quantity(*p, "targetAverageValue")}})}}));
  for (const char* key : {"resource", "containerResource"}) {
    const Value* r = field(m, key);
    if (!r) continue;
    Value target = Value::object(
        {{"type", field(*r, "targetAverageUtilization") ? "Utilization" : "AverageValue"}});
    copy(target, "averageUtilization", *r, "targetAverageUtilization");
    copy(target, "averageValue", *r, "targetAverageValue");
    Value v = Value::object({{"name", r->get_string("name")}});
    if (std::string_view(key) == "containerResource")
      v.set("container", r->get_string("container"));
    v.set("target", std::move(target));
    out.set(key, std::move(v));
  }
  if (const Value* e = field(m, "external")) {
    Value target = Value::object({{"type", field(*e, "targetValue") ? "Value" : "AverageValue"}});
    copy(target, "value", *e, "targetValue");
    copy(target, "averageValue", *e, "targetAverageValue");
    out.set("external", Value::object({{"metric", identifier(*e, "metricSelector")},
                                       {"target", std::move(target)}}));
  }
  return out;
}

Value status_metric_to_v1(const Value& m) {
  Value out = Value::object({{"type", m.get_string("type")}});
  if (const Value* o = field(m, "object")) {
    const Value& cur = field_or_empty(*o, "current");
    Value v = Value::object({{"target", object_ref(field_or_empty(*o, "describedObject"))}});
    put_identifier(v, *o, "selector");
    v.set("currentValue", quantity(cur, "value"));
    copy(v, "averageValue", cur, "averageValue");
    out.set("object", std::move(v));
  }
  if (const Value* p = field(m, "pods")) {
    Value v = Value::map();
    put_identifier(v, *p, "selector");
    v.set("currentAverageValue", quantity(field_or_empty(*p, "current"), "averageValue"));
    out.set("pods", std::move(v));
  }
  for (const char* key : {"resource", "containerResource"}) {
    const Value* r = field(m, key);
    if (!r) continue;
    const Value& cur = field_or_empty(*r, "current");
    Value v = Value::object({{"name", r->get_string("name")}});
    copy(v, "currentAverageUtilization", cur, "averageUtilization");
    v.set("currentAverageValue", quantity(cur, "averageValue"));
    if (std::string_view(key) == "containerResource")
      v.set("container", r->get_string("container"));
    out.set(key, std::move(v));
  }
  if (const Value* e = field(m, "external")) {
    const Value& cur = field_or_empty(*e, "current");
    Value v = Value::map();
    put_identifier(v, *e, "metricSelector");
    v.set("currentValue", quantity(cur, "value"));
    copy(v, "currentAverageValue", cur, "averageValue");
    out.set("external", std::move(v));
  }
  return out;
}

Value status_metric_to_v2(const Value& m) {
  Value out = Value::object({{"type", m.get_string("type")}});
  if (const Value* o = field(m, "object")) {
    Value cur = Value::object({{"value", quantity(*o, "currentValue")}});
    copy(cur, "averageValue", *o, "averageValue");
    out.set("object",
            Value::object({{"metric", identifier(*o, "selector")},
                           {"current", std::move(cur)},
                           {"describedObject", object_ref(field_or_empty(*o, "target"))}}));
  }
  if (const Value* p = field(m, "pods"))
    out.set(
        "pods",
        Value::object(
            {{"metric", identifier(*p, "selector")},
             {"current", Value::object({{"averageValue", quantity(*p, "currentAverageValue")}})}}));
  for (const char* key : {"resource", "containerResource"}) {
    const Value* r = field(m, key);
    if (!r) continue;
    Value cur = Value::object({{"averageValue", quantity(*r, "currentAverageValue")}});
    copy(cur, "averageUtilization", *r, "currentAverageUtilization");
    Value v = Value::object({{"name", r->get_string("name")}});
    if (std::string_view(key) == "containerResource")
      v.set("container", r->get_string("container"));
    v.set("current", std::move(cur));
    out.set(key, std::move(v));
  }
  if (const Value* e = field(m, "external")) {
    Value cur = Value::object({{"value", quantity(*e, "currentValue")}});
    copy(cur, "averageValue", *e, "currentAverageValue");
    out.set("external", Value::object({{"metric", identifier(*e, "metricSelector")},
                                       {"current", std::move(cur)}}));
  }
  return out;
}

// The behavior annotation holds Go's internal HorizontalPodAutoscalerBehavior
// marshalled without json tags: Go field names, nil as null.
Value behavior_to_annotation(const Value& b) {
  auto rules = [](const Value* r) {
    if (!r || !r->is_map()) return Value();
    Value policies;
    if (const Value* ps = field(*r, "policies"); ps && ps->is_list()) {
      policies = Value::list();
      for (const auto& p : ps->as_list())
        policies.push_back(Value::object(
            {{"Type", p.get_string("type")},
             {"Value", field(p, "value") ? *field(p, "value") : 0},
             {"PeriodSeconds", field(p, "periodSeconds") ? *field(p, "periodSeconds") : 0}}));
    }
    const Value* window = field(*r, "stabilizationWindowSeconds");
    const Value* select = field(*r, "selectPolicy");
    return Value::object({{"StabilizationWindowSeconds", window ? *window : Value()},
                          {"SelectPolicy", select ? *select : Value()},
                          {"Policies", std::move(policies)}});
  };
  return Value::object(
      {{"ScaleUp", rules(field(b, "scaleUp"))}, {"ScaleDown", rules(field(b, "scaleDown"))}});
}

Value behavior_from_annotation(const Value& obj) {
  std::string raw = annotation(obj, kBehaviorAnnotation);
  if (raw.empty()) return Value();
  Value v;
  try {
    v = doc::parse_json(raw, kBehaviorAnnotation);
  } catch (const std::exception&) {
    return Value();
  }
  auto rules = [](const Value* r) {
    if (!r || !r->is_map()) return Value();
    Value out = Value::map();
    if (const Value* w = field_ci(*r, "StabilizationWindowSeconds"))
      out.set("stabilizationWindowSeconds", *w);
    if (const Value* s = field_ci(*r, "SelectPolicy")) out.set("selectPolicy", *s);
    if (const Value* ps = field_ci(*r, "Policies"); ps && ps->is_list()) {
      Value list = Value::list();
      for (const auto& p : ps->as_list()) {
        const Value* type = field_ci(p, "Type");
        const Value* value = field_ci(p, "Value");
        const Value* period = field_ci(p, "PeriodSeconds");
        list.push_back(Value::object({{"type", type ? *type : Value("")},
                                      {"value", value ? *value : Value(0)},
                                      {"periodSeconds", period ? *period : Value(0)}}));
      }
      out.set("policies", std::move(list));
    }
    return out;
  };
  Value out = Value::map();
  if (Value up = rules(field_ci(v, "ScaleUp")); !up.is_null()) out.set("scaleUp", std::move(up));
  if (Value down = rules(field_ci(v, "ScaleDown")); !down.is_null())
    out.set("scaleDown", std::move(down));
  return out.size() ? out : Value();
}

Value cpu_metric(const Value& utilization) {
  return Value::object(
      {{"type", "Resource"},
       {"resource",
        Value::object({{"name", "cpu"},
                       {"target", Value::object({{"type", "Utilization"},
                                                 {"averageUtilization", utilization}})}})}});
}

// apiVersion, kind, metadata, spec, status: the order kube-apiserver writes.
Value ordered(const Value& obj) {
  Value out = Value::map();
  for (const char* k : {"apiVersion", "kind", "metadata", "spec", "status"})
    if (const Value* v = obj.find(k)) out.set(k, *v);
  for (const auto& m : obj.as_map())
    if (!out.find(m.key)) out.set(m.key, m.value);
  return out;
}

Value hpa_to_v1(Value in) {
  Value out = in;
  out.set("apiVersion", "autoscaling/v1");
  drop_round_trip(out);
  const Value& spec = field_or_empty(in, "spec");
  const Value& status = field_or_empty(in, "status");
  Value v1spec =
      Value::object({{"scaleTargetRef", object_ref(field_or_empty(spec, "scaleTargetRef"))}});
  copy(v1spec, "minReplicas", spec, "minReplicas");
  v1spec.set("maxReplicas", field(spec, "maxReplicas") ? *field(spec, "maxReplicas") : Value(0));
  Value other = Value::list();
  bool cpu_seen = false;
  if (const Value* ms = field(spec, "metrics"); ms && ms->is_list()) {
    for (const auto& m : ms->as_list()) {
      const Value& res = field_or_empty(m, "resource");
      if (!cpu_seen && m.get_string("type") == "Resource" && res.get_string("name") == "cpu") {
        // The first CPU metric decides the percentage.
        cpu_seen = true;
        copy(v1spec, "targetCPUUtilizationPercentage", field_or_empty(res, "target"),
             "averageUtilization");
      }
      if (!is_cpu_utilization(m)) other.push_back(spec_metric_to_v1(m));
    }
  }
  out.set("spec", std::move(v1spec));
  Value v1status = Value::map();
  copy(v1status, "observedGeneration", status, "observedGeneration");
  copy(v1status, "lastScaleTime", status, "lastScaleTime");
  v1status.set("currentReplicas",
               field(status, "currentReplicas") ? *field(status, "currentReplicas") : Value(0));
  v1status.set("desiredReplicas",
               field(status, "desiredReplicas") ? *field(status, "desiredReplicas") : Value(0));
  Value current = Value::list();
  if (const Value* cm = field(status, "currentMetrics"); cm && cm->is_list()) {
    for (const auto& m : cm->as_list()) {
      const Value& res = field_or_empty(m, "resource");
      if (m.get_string("type") == "Resource" && res.get_string("name") == "cpu")
        copy(v1status, "currentCPUUtilizationPercentage", field_or_empty(res, "current"),
             "averageUtilization");
      current.push_back(status_metric_to_v1(m));
    }
  }
  out.set("status", std::move(v1status));
  if (other.size()) set_annotation(out, kMetricsAnnotation, other);
  if (current.size()) set_annotation(out, kCurrentMetricsAnnotation, current);
  if (const Value* b = field(spec, "behavior"))
    set_annotation(out, kBehaviorAnnotation, behavior_to_annotation(*b));
  if (const Value* c = field(status, "conditions"); c && c->is_list() && c->size())
    set_annotation(out, kConditionsAnnotation, *c);
  return ordered(out);
}

Value hpa_to_v2(Value in) {
  Value out = in;
  out.set("apiVersion", "autoscaling/v2");
  const Value& spec = field_or_empty(in, "spec");
  const Value& status = field_or_empty(in, "status");
  Value v2spec =
      Value::object({{"scaleTargetRef", object_ref(field_or_empty(spec, "scaleTargetRef"))}});
  copy(v2spec, "minReplicas", spec, "minReplicas");
  v2spec.set("maxReplicas", field(spec, "maxReplicas") ? *field(spec, "maxReplicas") : Value(0));
  Value metrics = Value::list();
  Value other = annotation_list(in, kMetricsAnnotation);
  if (other.is_list())
    for (const auto& m : other.as_list())
      metrics.push_back(spec_metric_to_v2(m));
  // The CPU percentage goes after the metrics of the annotation.
  if (const Value* pct = field(spec, "targetCPUUtilizationPercentage"))
    metrics.push_back(cpu_metric(*pct));
  // autoscaling/v1's implicit default, made explicit.
  if (!metrics.size()) metrics.push_back(cpu_metric(kDefaultCpuUtilization));
  v2spec.set("metrics", std::move(metrics));
  if (Value b = behavior_from_annotation(in); !b.is_null()) v2spec.set("behavior", std::move(b));
  out.set("spec", std::move(v2spec));
  if (in.find("status")) {
    Value v2status = Value::map();
    copy(v2status, "observedGeneration", status, "observedGeneration");
    copy(v2status, "lastScaleTime", status, "lastScaleTime");
    copy(v2status, "currentReplicas", status, "currentReplicas");
    v2status.set("desiredReplicas",
                 field(status, "desiredReplicas") ? *field(status, "desiredReplicas") : Value(0));
    Value current = annotation_list(in, kCurrentMetricsAnnotation);
    if (current.is_list()) {
      Value list = Value::list();
      for (const auto& m : current.as_list())
        list.push_back(status_metric_to_v2(m));
      v2status.set("currentMetrics", std::move(list));
    } else if (const Value* pct = field(status, "currentCPUUtilizationPercentage")) {
      v2status.set(
          "currentMetrics",
          Value(doc::List{Value::object(
              {{"type", "Resource"},
               {"resource",
                Value::object({{"name", "cpu"},
                               {"current", Value::object({{"averageUtilization", *pct}})}})}})}));
    }
    Value conds = annotation_list(in, kConditionsAnnotation);
    if (conds.is_list()) v2status.set("conditions", std::move(conds));
    out.set("status", std::move(v2status));
  }
  drop_round_trip(out);
  return ordered(out);
}

// GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: unset parts of a
// given scaling rule take the defaults.
void default_rules(Value& rules, bool up) {
  if (!rules.is_map()) rules = Value::map();
  if (!field(rules, "stabilizationWindowSeconds"))
    rules.set("stabilizationWindowSeconds", up ? 0 : 300);
  if (!field(rules, "selectPolicy")) rules.set("selectPolicy", "Max");
  if (!field(rules, "policies")) {
    Value p = Value::list();
    if (up) p.push_back(Value::object({{"type", "Pods"}, {"value", 4}, {"periodSeconds", 15}}));
    p.push_back(Value::object({{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}));
    rules.set("policies", std::move(p));
  }
}

}  // namespace

bool converts(const ResourceType& t) {
  return !t.storage_version.empty() && t.storage_version != t.version;
}

doc::Value to_served_version(const ResourceType& t, doc::Value stored) {
  if (!converts(t) || !is_hpa(t) || !stored.is_map()) return stored;
  return hpa_to_v1(std::move(stored));
}

doc::Value to_storage_version(const ResourceType& t, doc::Value obj) {
  if (!converts(t) || !is_hpa(t) || !obj.is_map()) return obj;
  Value v2 = hpa_to_v2(std::move(obj));
  default_hpa("v2", v2);
  return v2;
}

void default_hpa(const std::string& version, doc::Value& obj) {
  Value& spec = obj["spec"];
  if (!spec.is_map()) spec = Value::map();
  if (!field(spec, "minReplicas")) spec.set("minReplicas", 1);
  if (version != "v2") return;
  if (const Value* m = field(spec, "metrics"); !m || !m->is_list() || !m->size())
    spec.set("metrics", Value(doc::List{cpu_metric(kDefaultCpuUtilization)}));
  if (Value* b = spec.find("behavior"); b && b->is_map()) {
    default_rules((*b)["scaleUp"], true);
    default_rules((*b)["scaleDown"], false);
  }
}

}  // namespace gantry::sandbox
