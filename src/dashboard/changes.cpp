#include "dashboard/changes.h"

#include "dashboard/views.h"
#include "doc/yaml.h"
#include "kube/objects.h"

namespace gantry::dashboard {

using doc::Value;

namespace {

Value identity(const Value& o) {
  return Value::object({{"kind", o.get_string("kind")},
                        {"namespace", kube::namespace_of(o)},
                        {"name", kube::name_of(o)}});
}

}  // namespace

Value changes_view(const gitops::Preview& preview) {
  const kube::Plan& plan = preview.plan;
  Value objects = Value::list();
  for (const auto& p : plan.objects) {
    Value o = identity(p.desired);
    o.set("change", std::string(kube::change_name(p.change)));
    o.set("diff", p.change == kube::Change::kUnchanged ? std::string() : p.diff);
    o.set("error", p.error);
    objects.push_back(std::move(o));
  }
  Value deletions = Value::list();
  for (const auto& o : plan.orphans)
    deletions.push_back(identity(o.live));
  auto n = [&](kube::Change c) { return static_cast<int64_t>(plan.count(c)); };
  Value counts = Value::object({{"create", n(kube::Change::kCreate)},
                                {"update", n(kube::Change::kUpdate)},
                                {"unchanged", n(kube::Change::kUnchanged)},
                                {"pending", n(kube::Change::kPending)},
                                {"hook", n(kube::Change::kHook)},
                                {"failed", n(kube::Change::kFailed)},
                                {"delete", static_cast<int64_t>(plan.orphans.size())}});
  bool pending = plan.has_changes() || !plan.orphans.empty();
  return Value::object({{"revision", preview.revision},
                        {"commit", preview.commit},
                        {"counts", counts},
                        {"pending", pending},
                        {"objects", objects},
                        {"deletions", deletions}});
}

Value desired_view(const gitops::Preview& preview, const std::string& kind, const std::string& ns,
                   const std::string& name) {
  for (const auto& p : preview.plan.objects) {
    if (p.desired.get_string("kind") != kind || kube::name_of(p.desired) != name ||
        kube::namespace_of(p.desired) != ns)
      continue;
    return Value::object({{"revision", preview.revision},
                          {"change", std::string(kube::change_name(p.change))},
                          {"desiredYaml", doc::to_yaml(masked_object(p.desired))},
                          {"diff", p.change == kube::Change::kUnchanged ? std::string() : p.diff},
                          {"error", p.error}});
  }
  return Value();
}

}  // namespace gantry::dashboard
