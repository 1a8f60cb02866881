#include "kube/plan.h"

#include <map>
#include <mutex>
#include <set>

#include "core/parallel.h"
#include "kube/diff.h"
#include "kube/noop.h"
#include "kube/objects.h"

namespace gantry::kube {

using doc::Value;

std::string_view change_name(Change c) {
  switch (c) {
    case Change::kCreate:
      return "create";
    case Change::kUpdate:
      return "update";
    case Change::kUnchanged:
      return "unchanged";
    case Change::kPending:
      return "create (after its namespace or CRD)";
    case Change::kHook:
      return "hook";
    case Change::kFailed:
      return "failed";
  }
  return "?";
}

std::string PlannedObject::name() const {
  return describe(desired);
}
std::string Orphan::name() const {
  return describe(live);
}

size_t Plan::count(Change c) const {
  size_t n = 0;
  for (const auto& o : objects)
    n += o.change == c;
  return n;
}

bool Plan::has_changes() const {
  for (const auto& o : objects)
    if (o.change == Change::kCreate || o.change == Change::kUpdate || o.change == Change::kPending)
      return true;
  return false;
}

namespace {

std::string selector(const std::string& discriminator) {
  return std::string(render::kDiscriminatorLabel) + "=" + discriminator;
}

void compare(const Client& client, Plan& plan, const std::map<std::string, size_t>& by_identity,
             const PlanOptions& options);

}  // namespace

TargetObjects list_target_objects(const Client& client, RestMapper& mapper,
                                  const std::string& discriminator, const OwnershipRule& rule,
                                  const std::vector<std::string>& kinds, size_t jobs) {
  if (discriminator.empty())
    throw Error("the target has no discriminator, so gantry cannot tell its objects from others'",
                ExitCode::kUsage);
  std::vector<ResourceType> types;
  for (auto& t : mapper.listable())
    if (!never_listed_for_prune(t, kinds)) types.push_back(std::move(t));
  std::vector<std::vector<Value>> found(types.size());
  std::vector<char> forbidden(types.size(), 0);
  parallel_for(types.size(), jobs, [&](size_t i) {
    bool no = false;
    found[i] = list(client, types[i], "", selector(discriminator), nullptr, &no);
    forbidden[i] = no;
  });
  TargetObjects out;
  for (size_t i = 0; i < types.size(); ++i)
    if (forbidden[i])
      out.unlistable.push_back(types[i].group.empty() ? types[i].resource
                                                      : types[i].resource + "." + types[i].group);
  for (size_t i = 0; i < types.size(); ++i)
    for (Value& v : found[i]) {
      if (v.find_path({"metadata", "deletionTimestamp"})) continue;  // already going
      if (system_object(types[i], v)) continue;
      OwnershipVerdict verdict = ownership(v, rule);
      switch (verdict.kind) {
        case Ownership::kOurs:
          out.ours.push_back(Orphan{types[i], std::move(v)});
          break;
        case Ownership::kOwnedByObject:
          ++out.owned;
          break;
        case Ownership::kKeep:
        case Ownership::kForeign:
          out.kept.push_back(Kept{Orphan{types[i], std::move(v)}, std::move(verdict.why)});
          break;
      }
    }
  return out;
}

std::vector<std::string> rendered_kinds(const render::RenderResult& render) {
  std::set<std::string> kinds;
  for (const auto& item : render.items)
    for (const auto& obj : item.objects)
      kinds.insert(obj.body.get_string("kind"));
  return {kinds.begin(), kinds.end()};
}

Plan make_plan(const Client& client, RestMapper& mapper, const render::RenderResult& render,
               const PlanOptions& options) {
  Plan plan;
  plan.discriminator = render.target.discriminator;
  const std::string& default_ns = client.access().namespace_name;

  // 1. Objects in order; CRDs of the render registered before mapping.
  for (size_t i = 0; i < render.items.size(); ++i)
    for (const auto& obj : render.items[i].objects)
      if (is_crd(obj.body)) mapper.add_crd(obj.body);
  for (size_t i = 0; i < render.items.size(); ++i)
    for (const auto& obj : render.items[i].objects) {
      PlannedObject p;
      p.desired = obj.body;
      p.source = obj.source;
      p.item = i;
      try {
        p.hook = hook_spec(obj.body);
      } catch (Error& e) {
        e.set_location_if_unknown(obj.source);
        throw;
      }
      plan.objects.push_back(std::move(p));
    }
  parallel_for(plan.objects.size(), options.jobs, [&](size_t i) {
    PlannedObject& p = plan.objects[i];
    std::string api = p.desired.get_string("apiVersion"), kind = p.desired.get_string("kind");
    std::optional<ResourceType> t = mapper.find(api, kind);
    if (!t) {
      p.change = Change::kFailed;
      p.error = "the cluster does not serve kind " + kind + " in " + api +
                " (is its CustomResourceDefinition installed?)";
      return;
    }
    p.type = t;
    Value* md = p.desired.find("metadata");
    if (t->namespaced) {
      if (md && namespace_of(p.desired).empty()) md->set("namespace", default_ns);
    } else if (md) {
      md->erase("namespace");
    }
  });

  std::map<std::string, size_t> by_identity;
  for (size_t i = 0; i < plan.objects.size(); ++i)
    by_identity[identity(plan.objects[i].desired)] = i;
  if (options.compare) compare(client, plan, by_identity, options);
  if (options.list_orphans) {
    TargetObjects all = list_target_objects(client, mapper, plan.discriminator, options.ownership,
                                            rendered_kinds(render), options.jobs);
    for (auto& o : all.ours)
      if (!by_identity.count(identity(o.live))) plan.orphans.push_back(std::move(o));
    for (auto& k : all.kept)
      if (!by_identity.count(identity(k.object.live))) plan.kept.push_back(std::move(k));
    plan.orphans_listed = true;
  }
  return plan;
}

namespace {

void compare(const Client& client, Plan& plan, const std::map<std::string, size_t>& by_identity,
             const PlanOptions& options) {
  std::mutex mu;
  // 2. Live objects: labelled lists per (resource, namespace), then GETs.
  std::vector<std::pair<ResourceType, std::string>> lists;
  if (!plan.discriminator.empty()) {
    std::set<std::string> seen;
    for (const auto& p : plan.objects) {
      if (!p.type) continue;
      std::string ns = p.type->namespaced ? namespace_of(p.desired) : "";
      if (seen.insert(p.type->api_version() + "/" + p.type->kind + "/" + ns).second)
        lists.emplace_back(*p.type, ns);
    }
  }
  std::vector<char> found(plan.objects.size(), 0);
  parallel_for(lists.size(), options.jobs, [&](size_t i) {
    std::vector<Value> items;
    try {
      items = list(client, lists[i].first, lists[i].second, selector(plan.discriminator));
    } catch (const Error&) {
      return;  // e.g. the namespace does not exist yet, or a CRD is new: GETs decide
    }
    std::lock_guard<std::mutex> lock(mu);
    for (Value& v : items) {
      auto it = by_identity.find(identity(v));
      if (it == by_identity.end()) continue;
      plan.objects[it->second].live = std::move(v);
      found[it->second] = 1;
    }
  });
  // What the lists did not find: a GET each (needed for Namespaces and CRDs,
  // whose existence decides what can be dry-run, and for targets without a
  // discriminator). Without `dry_run_new`, other objects the labelled lists
  // did not find are taken as new: applying them creates them (or adopts an
  // unlabelled object of the same name, which the apply then reports).
  bool trust_lists = !options.dry_run_new && !plan.discriminator.empty();
  std::vector<char> assumed_new(plan.objects.size(), 0);
  auto fetch_one = [&](size_t i) {
    PlannedObject& p = plan.objects[i];
    if (!p.type || found[i]) return;
    if (trust_lists && !is_namespace(p.desired) && !is_crd(p.desired)) {
      assumed_new[i] = 1;
      return;
    }
    try {
      p.live = get(client, *p.type, p.type->namespaced ? namespace_of(p.desired) : "",
                   name_of(p.desired));
    } catch (const Error&) {
      // A namespace that does not exist yet answers 404 for its content; a
      // type served by a CRD that is not established yet answers 404 too.
      p.live.reset();
    }
  };
  parallel_for(plan.objects.size(), options.jobs, fetch_one);

  std::set<std::string> new_namespaces, new_groups_kinds;
  for (const auto& p : plan.objects) {
    if (p.live) continue;
    if (is_namespace(p.desired)) new_namespaces.insert(name_of(p.desired));
    if (is_crd(p.desired)) {
      const Value* spec = p.desired.find("spec");
      const Value* names = spec ? spec->find("names") : nullptr;
      if (spec && names)
        new_groups_kinds.insert(spec->get_string("group") + "/" + names->get_string("kind"));
    }
  }

  // 3. Dry runs.
  ApplyOptions dry;
  dry.dry_run = true;
  dry.field_manager = options.field_manager;
  parallel_for(plan.objects.size(), options.jobs, [&](size_t i) {
    PlannedObject& p = plan.objects[i];
    if (p.change == Change::kFailed) return;
    if (p.hook.is_hook()) {
      p.change = Change::kHook;
      return;
    }
    std::string ns = p.type->namespaced ? namespace_of(p.desired) : "";
    bool pending = (!ns.empty() && new_namespaces.count(ns)) ||
                   new_groups_kinds.count(p.type->group + "/" + p.type->kind);
    if (pending && !p.live) {
      p.change = Change::kPending;
      if (options.with_diffs) p.diff = object_diff(Value(), p.desired, p.name());
      return;
    }
    if (assumed_new[i]) {
      p.change = Change::kCreate;
      if (options.with_diffs) p.diff = object_diff(Value(), p.desired, p.name());
      return;
    }
    if (p.live && apply_is_noop(p.desired, *p.live, options.field_manager)) {
      p.change = Change::kUnchanged;
      return;
    }
    ApplyResult r = apply(client, *p.type, p.desired, dry);
    if (!r.ok()) {
      p.change = Change::kFailed;
      p.error = r.message;
      return;
    }
    p.result = std::move(r.object);
    Value before = p.live ? *p.live : Value();
    if (p.live && strip_server_fields(*p.live) == strip_server_fields(p.result)) {
      p.change = Change::kUnchanged;
      return;
    }
    p.change = p.live ? Change::kUpdate : Change::kCreate;
    if (options.with_diffs) p.diff = object_diff(before, p.result, p.name());
  });
}

}  // namespace

}  // namespace gantry::kube
