// gitops::uninstall (declared in gitops/install.h): removing what install
// created without leaving GantryDeployments stuck on a finalizer that no
// controller will ever remove.
#include <functional>
#include <set>
#include <thread>

#include "core/error.h"
#include "doc/json.h"
#include "gitops/install.h"
#include "gitops/requests.h"
#include "gitops/resource.h"
#include "kube/objects.h"
#include "kube/ownership.h"
#include "kube/plan.h"

namespace gantry::gitops {

using doc::Value;
using Clock = std::chrono::steady_clock;

namespace {

kube::ResourceType type_of(const DeploymentRow& row) {
  return row.kind == kKluctlKind ? kluctl_deployment_type() : gantry_deployment_type();
}

bool has_finalizer(const Value& object) {
  if (const Value* f = object.find_path({"metadata", "finalizers"}); f && f->is_list())
    for (const auto& x : f->as_list())
      if (x.is_string() && x.as_string() == kFinalizer) return true;
  return false;
}

// Polls `done` every 250 ms until it returns true or `deadline` passes.
bool wait_until(Clock::time_point deadline, const std::function<bool()>& done) {
  while (true) {
    if (done()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

void emit(const UninstallOptions& o, kube::DeployEvent::Kind kind, std::string subject,
          std::string text) {
  if (o.on_event) o.on_event(kube::DeployEvent{kind, std::move(subject), std::move(text)});
}

// Deletes every deployment resource while the controller still runs: each
// is first marked spec.delete=true and waited for until the controller has
// put its finalizer on it, so that its finalizer deletes the target.
void delete_deployments(const kube::Client& client, kube::RestMapper& mapper,
                        const UninstallOptions& o, Clock::time_point deadline,
                        UninstallReport& report) {
  std::vector<DeploymentRow> rows = list_deployments(client, mapper, "");
  for (const auto& row : rows) {
    if (has_finalizer(row.object)) continue;
    Value patch = Value::object({{"spec", Value::object({{"delete", true}})}});
    kube::Response r = client.send("PATCH", type_of(row).object_path(row.ns, row.name),
                                   doc::to_json(patch), "application/merge-patch+json");
    if (!r.ok() && r.status != 404)
      throw Error(
          "setting spec.delete of " + row.kind + " " + row.ns + "/" + row.name + ": " + r.message(),
          ExitCode::kExternal);
  }
  for (const auto& row : rows) {
    bool marked = wait_until(deadline, [&] {
      std::optional<Value> live = kube::get(client, type_of(row), row.ns, row.name);
      return !live || has_finalizer(*live);
    });
    if (!marked)
      throw Error(row.kind + " " + row.ns + "/" + row.name + " got no " + std::string(kFinalizer) +
                      " finalizer in time; is the controller running? (uninstall without "
                      "--delete-workloads keeps the workloads)",
                  ExitCode::kExternal);
  }
  for (const auto& row : rows)
    if (kube::remove(client, type_of(row), row.ns, row.name)) {
      ++report.deployments_deleted;
      emit(o, kube::DeployEvent::Kind::kDeleted, row.kind + " " + row.ns + "/" + row.name,
           "waiting for the controller to delete its target");
    }
  wait_until(deadline, [&] { return list_deployments(client, mapper, "").empty(); });
  for (const auto& row : list_deployments(client, mapper, ""))
    report.remaining.push_back(row.kind + " " + row.ns + "/" + row.name);
}

}  // namespace

UninstallReport uninstall(const kube::Client& client, kube::RestMapper& mapper,
                          const UninstallOptions& o) {
  UninstallReport report;
  auto deadline = Clock::now() + o.timeout;
  if (o.delete_workloads) {
    delete_deployments(client, mapper, o, deadline, report);
    if (!report.remaining.empty()) return report;  // the controller is still needed
  }

  // What install created: labelled with its discriminator, applied by gantry
  // (install --apply) or kubectl (install -o yaml | kubectl apply).
  kube::OwnershipRule rule;
  for (const char* m : {"kubectl", "kubectl-client-side-apply", "kubectl-create"})
    rule.managers.emplace_back(m);
  kube::TargetObjects found =
      kube::list_target_objects(client, mapper, install_discriminator(o.ns), rule, {}, o.jobs);
  for (const auto& k : found.kept)
    report.kept.push_back(k.object.name() + ": " + k.why);

  // 1. The controller, so that it cannot put a finalizer back.
  std::vector<kube::Orphan> controller, rest;
  for (auto& obj : found.ours)
    (obj.type.kind == "Deployment" ? controller : rest).push_back(std::move(obj));
  kube::DeleteOptions del;
  del.jobs = o.jobs;
  del.finalizer_timeout = o.timeout;
  del.on_event = o.on_event;
  if (!controller.empty()) {
    report.removed = kube::delete_objects(client, controller, del);
    std::optional<kube::ResourceType> pods = mapper.find("v1", "Pod");
    bool gone = !pods || wait_until(deadline, [&] {
      return kube::list(client, *pods, o.ns, "app.kubernetes.io/name=gantry-controller").empty();
    });
    if (!gone)
      throw Error("the controller's Pods in namespace " + o.ns + " did not stop in time",
                  ExitCode::kExternal);
  }

  // 2. No finalizer of a controller that is gone may stay behind.
  std::set<std::string> namespaces_in_use;
  for (const auto& row : list_deployments(client, mapper, "")) {
    if (has_finalizer(row.object)) {
      set_delete_finalizer(client, type_of(row), row.ns, row.name, false);
      ++report.finalizers_removed;
    }
    namespaces_in_use.insert(row.ns);
  }

  // 3. The rest; CRDs only when asked, and never a Namespace that still holds
  // deployment resources (deleting it would delete them).
  std::vector<kube::Orphan> victims;
  for (auto& obj : rest) {
    if (kube::is_crd(obj.live) && !o.crds) {
      report.kept.push_back(obj.name() + ": CRDs stay unless --crds");
      continue;
    }
    if (kube::is_namespace(obj.live) && !o.crds &&
        namespaces_in_use.count(kube::name_of(obj.live))) {
      report.kept.push_back(obj.name() + ": it holds GantryDeployments or KluctlDeployments");
      continue;
    }
    victims.push_back(std::move(obj));
  }
  kube::DeleteReport more = kube::delete_objects(client, victims, del);
  report.removed.deleted += more.deleted;
  report.removed.failures.insert(report.removed.failures.end(), more.failures.begin(),
                                 more.failures.end());
  return report;
}

}  // namespace gantry::gitops
