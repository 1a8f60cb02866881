// Name reference updates: after names changed (prefix, suffix, hash,
// namespace), every field that refers to a renamed object by name follows
// it, as kustomize's nameReference configuration lists them.
#include <algorithm>
#include <unordered_map>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

struct Referrer {
  Gvk gvk;
  std::string path;
  std::vector<std::string> segs = split_path(path);
};

struct BackRef {
  Gvk target;
  std::vector<Referrer> referrers;
};

void add_pod_paths(std::vector<Referrer>& out, const std::vector<std::string>& suffixes,
                   bool with_pod_template) {
  for (const auto& s : suffixes) {
    out.push_back({{"", "v1", "Pod"}, "spec/" + s});
    if (with_pod_template) out.push_back({{"", "", "PodTemplate"}, "template/spec/" + s});
    for (const char* k : {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"})
      out.push_back({{"", "", k}, "spec/template/spec/" + s});
    out.push_back({{"", "", "CronJob"}, "spec/jobTemplate/spec/template/spec/" + s});
  }
}

const std::vector<BackRef>& back_refs() {
  static const std::vector<BackRef> refs = [] {
    std::vector<BackRef> v;
    for (const char* k : {"Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"})
      v.push_back(
          {{"", "", k}, {{{"", "", "HorizontalPodAutoscaler"}, "spec/scaleTargetRef/name"}}});

    BackRef cm{{"", "v1", "ConfigMap"}, {}};
    add_pod_paths(
        cm.referrers,
        {"volumes/configMap/name", "containers/env/valueFrom/configMapKeyRef/name",
         "initContainers/env/valueFrom/configMapKeyRef/name",
         "containers/envFrom/configMapRef/name", "initContainers/envFrom/configMapRef/name",
         "volumes/projected/sources/configMap/name"},
        true);
    cm.referrers.push_back({{"", "", "Node"}, "spec/configSource/configMap"});
    cm.referrers.push_back({{"", "", "Role"}, "rules/resourceNames"});
    cm.referrers.push_back({{"", "", "ClusterRole"}, "rules/resourceNames"});
    cm.referrers.push_back(
        {{"", "", "Ingress"},
         "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"});
    v.push_back(std::move(cm));

    BackRef secret{{"", "v1", "Secret"}, {}};
    add_pod_paths(secret.referrers,
                  {"volumes/secret/secretName", "containers/env/valueFrom/secretKeyRef/name",
                   "initContainers/env/valueFrom/secretKeyRef/name",
                   "containers/envFrom/secretRef/name", "initContainers/envFrom/secretRef/name",
                   "imagePullSecrets/name", "volumes/projected/sources/secret/name"},
                  true);
    auto& sr = secret.referrers;
    sr.push_back({{"", "", "Ingress"}, "spec/tls/secretName"});
    sr.push_back({{"", "", "Ingress"}, "metadata/annotations/ingress.kubernetes.io\\/auth-secret"});
    sr.push_back(
        {{"", "", "Ingress"}, "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"});
    sr.push_back({{"", "", "Ingress"},
                  "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"});
    sr.push_back({{"", "", "ServiceAccount"}, "imagePullSecrets/name"});
    for (const char* p : {"parameters/secretName", "parameters/adminSecretName",
                          "parameters/userSecretName", "parameters/secretRef"})
      sr.push_back({{"", "", "StorageClass"}, p});
    sr.push_back({{"", "", "Role"}, "rules/resourceNames"});
    sr.push_back({{"", "", "ClusterRole"}, "rules/resourceNames"});
    sr.push_back({{"serving.knative.dev", "v1", "Service"},
                  "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"});
    sr.push_back({{"", "", "PersistentVolume"}, "spec/azureFile/secretName"});
    v.push_back(std::move(secret));

    v.push_back({{"", "v1", "Service"},
                 {{{"apps", "", "StatefulSet"}, "spec/serviceName"},
                  {{"", "", "Ingress"}, "spec/rules/http/paths/backend/serviceName"},
                  {{"", "", "Ingress"}, "spec/backend/serviceName"},
                  {{"", "", "Ingress"}, "spec/rules/http/paths/backend/service/name"},
                  {{"", "", "Ingress"}, "spec/defaultBackend/service/name"},
                  {{"apiregistration.k8s.io", "", "APIService"}, "spec/service/name"},
                  {{"admissionregistration.k8s.io", "", "ValidatingWebhookConfiguration"},
                   "webhooks/clientConfig/service"},
                  {{"admissionregistration.k8s.io", "", "MutatingWebhookConfiguration"},
                   "webhooks/clientConfig/service"}}});
    v.push_back({{"rbac.authorization.k8s.io", "", "Role"},
                 {{{"rbac.authorization.k8s.io", "", "RoleBinding"}, "roleRef/name"}}});
    v.push_back({{"rbac.authorization.k8s.io", "", "ClusterRole"},
                 {{{"rbac.authorization.k8s.io", "", "RoleBinding"}, "roleRef/name"},
                  {{"rbac.authorization.k8s.io", "", "ClusterRoleBinding"}, "roleRef/name"}}});
    BackRef sa{{"", "v1", "ServiceAccount"},
               {{{"rbac.authorization.k8s.io", "", "RoleBinding"}, "subjects"},
                {{"rbac.authorization.k8s.io", "", "ClusterRoleBinding"}, "subjects"},
                {{"", "", "Pod"}, "spec/serviceAccountName"}}};
    for (const char* k : {"StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet"})
      sa.referrers.push_back({{"", "", k}, "spec/template/spec/serviceAccountName"});
    sa.referrers.push_back(
        {{"", "", "CronJob"}, "spec/jobTemplate/spec/template/spec/serviceAccountName"});
    v.push_back(std::move(sa));
    BackRef pvc{{"", "v1", "PersistentVolumeClaim"},
                {{{"", "", "Pod"}, "spec/volumes/persistentVolumeClaim/claimName"}}};
    for (const char* k : {"StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet"})
      pvc.referrers.push_back(
          {{"", "", k}, "spec/template/spec/volumes/persistentVolumeClaim/claimName"});
    pvc.referrers.push_back(
        {{"", "", "CronJob"},
         "spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName"});
    v.push_back(std::move(pvc));
    v.push_back({{"", "v1", "PersistentVolume"},
                 {{{"", "", "PersistentVolumeClaim"}, "spec/volumeName"},
                  {{"", "", "ClusterRole"}, "rules/resourceNames"}}});
    v.push_back({{"storage.k8s.io", "v1", "StorageClass"},
                 {{{"", "", "PersistentVolume"}, "spec/storageClassName"},
                  {{"", "", "PersistentVolumeClaim"}, "spec/storageClassName"},
                  {{"", "", "StatefulSet"}, "spec/volumeClaimTemplates/spec/storageClassName"}}});
    BackRef pc{{"scheduling.k8s.io", "v1", "PriorityClass"},
               {{{"", "", "Pod"}, "spec/priorityClassName"}}};
    for (const char* k : {"StatefulSet", "Deployment", "ReplicationController", "Job", "DaemonSet"})
      pc.referrers.push_back({{"", "", k}, "spec/template/spec/priorityClassName"});
    pc.referrers.push_back(
        {{"", "", "CronJob"}, "spec/jobTemplate/spec/template/spec/priorityClassName"});
    v.push_back(std::move(pc));
    v.push_back({{"networking.k8s.io", "v1", "IngressClass"},
                 {{{"", "", "Ingress"}, "spec/ingressClassName"}}});
    v.push_back({{"admissionregistration.k8s.io", "", "ValidatingAdmissionPolicy"},
                 {{{"admissionregistration.k8s.io", "", "ValidatingAdmissionPolicyBinding"},
                   "spec/policyName"}}});
    return v;
  }();
  return refs;
}

bool prev_gvk_selected(const Res& r, const Gvk& gvk) {
  return std::any_of(r.prev.begin(), r.prev.end(),
                     [&](const ResId& id) { return id.gvk.selected_by(gvk); });
}

bool same_ending(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const auto& shortest = a.size() <= b.size() ? a : b;
  const auto& longest = a.size() <= b.size() ? b : a;
  size_t diff = longest.size() - shortest.size();
  if (shortest.empty()) return diff == 0;
  for (size_t i = 0; i < shortest.size(); ++i)
    if (longest[i + diff] != shortest[i]) return false;
  return true;
}

class Updater {
 public:
  using Pred = std::function<bool(size_t)>;
  Updater(ResList& list, size_t referrer, const Gvk& target, const std::string& path,
          const Pred& candidate,
          const std::unordered_map<std::string, std::vector<size_t>>& by_prev)
      : list_(list),
        referrer_(referrer),
        target_(target),
        path_(path),
        candidate_(candidate),
        by_prev_(by_prev) {}

  void set(doc::Value& node) {
    if (node.is_null()) return;
    if (node.is_string()) {
      set_scalar(node);
    } else if (node.is_map()) {
      set_mapping(node);
    } else if (node.is_list()) {
      for (auto& e : node.as_list()) {
        if (e.is_string())
          set_scalar(e);
        else if (e.is_map())
          set_mapping(e);
      }
    }
  }

 private:
  // kustomize's selectReferral; -1 when there is nothing to update.
  long select_referral(const std::string& old_name, const Pred& in, bool with_ns) {
    const Res& referrer = list_[referrer_];
    ResId ref_id = referrer.cur_id();
    std::vector<size_t> c;
    auto it = by_prev_.find(old_name);
    if (it == by_prev_.end()) return -1;
    for (size_t i : it->second) {
      const Res& r = list_[i];
      if (!candidate_(i) || !in(i)) continue;
      if (!prev_gvk_selected(r, target_)) continue;
      if (path_.size() >= 12 && path_.compare(path_.size() - 12, 12, "roleRef/name") == 0) {
        const doc::Value* rr = referrer.obj.find("roleRef");
        if (rr && rr->find("apiGroup") && rr->find("kind")) {
          Gvk g{rr->get_string("apiGroup"), "", rr->get_string("kind")};
          if (!prev_gvk_selected(r, g)) continue;
        }
      }
      if (!ref_id.cluster_scoped()) {
        ResId id = r.cur_id();
        if (!id.cluster_scoped() && id.gvk.kind != "ServiceAccount" && !ref_id.ns_equals(id))
          continue;
      }
      c.push_back(i);
    }
    if (c.size() == 1) return static_cast<long>(c[0]);
    std::vector<size_t> c2;
    for (size_t i : c)
      if (same_ending(list_[i].prefixes, referrer.prefixes) &&
          same_ending(list_[i].suffixes, referrer.suffixes))
        c2.push_back(i);
    if (c2.size() == 1) return static_cast<long>(c2[0]);
    if (c2.empty()) return -1;
    bool identical = true;
    for (size_t i : c2) {
      if (list_[i].name() != list_[c2[0]].name()) identical = false;
      if (with_ns && list_[i].ns() != list_[c2[0]].ns()) identical = false;
    }
    if (identical) return static_cast<long>(c2[0]);
    std::string ids;
    for (size_t i : c2)
      ids += (ids.empty() ? "" : ", ") + list_[i].cur_id().str();
    throw Error(referrer.source, "updating name reference in '" + path_ + "' field of '" +
                                     ref_id.str() + "': found multiple possible referrals: " + ids);
  }

  void set_scalar(doc::Value& node) {
    long r = select_referral(
        node.as_string(), [](size_t) { return true; }, false);
    if (r < 0) return;
    node = doc::Value(list_[static_cast<size_t>(r)].name());
  }

  void set_mapping(doc::Value& node) {
    const doc::Value* name = node.find("name");
    if (!name) {
      throw Error(list_[referrer_].source,
                  "updating name reference in '" + path_ + "': no 'name' field in node");
    }
    Pred in = [](size_t) { return true; };
    if (const doc::Value* nsv = node.find("namespace")) {
      std::string ns = scalar_string(*nsv);
      // kustomize groups the candidates by original namespace first, then by
      // the current one when no original namespace matches.
      bool any_org = false;
      for (size_t i = 0; i < list_.size() && !any_org; ++i)
        if (candidate_(i) && list_[i].org_id().effective_ns() == ns) any_org = true;
      if (any_org)
        in = [this, ns](size_t i) { return list_[i].org_id().effective_ns() == ns; };
      else
        in = [this, ns](size_t i) { return list_[i].cur_id().effective_ns() == ns; };
    }
    std::string old = name->is_string() ? name->as_string() : scalar_string(*name);
    long r = select_referral(old, in, true);
    if (r < 0) return;
    const Res& ref = list_[static_cast<size_t>(r)];
    if (ref.name() == old && ref.ns().empty()) return;
    node.set("name", ref.name());
    if (ref.ns().empty()) return;
    node.set("namespace", ref.ns());
  }

  ResList& list_;
  size_t referrer_;
  const Gvk& target_;
  const std::string& path_;
  const Pred& candidate_;
  const std::unordered_map<std::string, std::vector<size_t>>& by_prev_;
};

}  // namespace

void fix_name_references(ResList& list, const std::vector<NameRefSpec>& extra) {
  std::vector<BackRef> custom;
  if (!extra.empty()) {
    custom = back_refs();
    for (const auto& e : extra) {
      std::vector<Referrer> refs;
      for (const auto& f : e.referrers)
        refs.push_back({f.gvk, f.path});
      auto it = std::find_if(custom.begin(), custom.end(),
                             [&](const BackRef& b) { return b.target == e.target; });
      if (it == custom.end()) {
        custom.push_back({e.target, std::move(refs)});
        continue;
      }
      for (auto& r : refs)
        if (std::none_of(it->referrers.begin(), it->referrers.end(),
                         [&](const Referrer& x) { return x.gvk == r.gvk && x.path == r.path; }))
          it->referrers.push_back(std::move(r));
    }
  }
  const std::vector<BackRef>& table = extra.empty() ? back_refs() : custom;
  // Resources by every earlier name: only renamed resources can be referral
  // targets (kustomize's previousNameMatches).
  std::unordered_map<std::string, std::vector<size_t>> by_prev;
  for (size_t i = 0; i < list.size(); ++i) {
    std::vector<std::string> seen;
    for (const auto& p : list[i].prev) {
      if (std::find(seen.begin(), seen.end(), p.name) != seen.end()) continue;
      seen.push_back(p.name);
      by_prev[p.name].push_back(i);
    }
  }
  if (by_prev.empty()) return;
  std::vector<ResId> cur(list.size());
  for (size_t i = 0; i < list.size(); ++i)
    cur[i] = list[i].cur_id();

  for (size_t ri = 0; ri < list.size(); ++ri) {
    Gvk org_gvk = list[ri].org_id().gvk;
    // What this referrer may refer to (kustomize's
    // SubsetThatCouldBeReferencedByResource).
    ResId rid = list[ri].cur_id();
    std::vector<std::string> rb_namespaces;
    if (rid.gvk.kind == "RoleBinding" || rid.gvk.kind == "ClusterRoleBinding") {
      if (const doc::Value* subjects = list[ri].obj.find("subjects");
          subjects && subjects->is_list())
        for (const auto& s : subjects->as_list())
          if (const doc::Value* ns = s.find("namespace"); ns && ns->is_string())
            rb_namespaces.push_back(ns->as_string());
    }
    Updater::Pred candidate = [&](size_t i) {
      if (rid.cluster_scoped()) return true;
      const ResId& id = cur[i];
      return id.cluster_scoped() || id.ns_equals(rid) ||
             std::find(rb_namespaces.begin(), rb_namespaces.end(), id.ns) != rb_namespaces.end();
    };
    for (const auto& br : table) {
      for (const auto& ref : br.referrers) {
        if (!org_gvk.selected_by(ref.gvk)) continue;
        const auto& path = ref.segs;
        Updater u(list, ri, br.target, ref.path, candidate, by_prev);
        visit_path(list[ri].obj, path, false, [&](doc::Value& node) { u.set(node); });
      }
    }
  }
}

}  // namespace gantry::kustomize::detail
