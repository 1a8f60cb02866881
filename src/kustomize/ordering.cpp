// Output order: kustomize's "legacy" ordering. Kinds listed first come in
// that order, webhook configurations come last, every other kind sits in
// between; ties are broken by "group_version_kind", then namespace, then name.
#include <algorithm>
#include <cmath>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

int kind_rank(const std::string& kind) {
  static const char* first[] = {"Namespace",
                                "ResourceQuota",
                                "StorageClass",
                                "CustomResourceDefinition",
                                "ServiceAccount",
                                "PodSecurityPolicy",
                                "Role",
                                "ClusterRole",
                                "RoleBinding",
                                "ClusterRoleBinding",
                                "ConfigMap",
                                "Secret",
                                "Endpoints",
                                "Service",
                                "LimitRange",
                                "PriorityClass",
                                "PersistentVolume",
                                "PersistentVolumeClaim",
                                "Deployment",
                                "StatefulSet",
                                "CronJob",
                                "PodDisruptionBudget"};
  static const char* last[] = {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"};
  constexpr int n_first = static_cast<int>(std::size(first));
  for (int i = 0; i < n_first; ++i)
    if (kind == first[i]) return i - n_first;
  for (int i = 0; i < static_cast<int>(std::size(last)); ++i)
    if (kind == last[i]) return i + 1;
  return 0;
}

std::string gvk_key(const Gvk& g) {
  return (g.group.empty() ? std::string("~G") : g.group) + "_" +
         (g.version.empty() ? std::string("~V") : g.version) + "_" +
         (g.kind.empty() ? std::string("~K") : g.kind);
}

}  // namespace

void legacy_sort(ResList& list) {
  struct Key {
    int rank;
    std::string gvk;
    std::string rest;
  };
  std::vector<Key> keys;
  keys.reserve(list.size());
  for (const auto& r : list) {
    ResId id = r.cur_id();
    // An empty namespace sorts as "~X", after every real one (as kustomize).
    keys.push_back({kind_rank(id.gvk.kind), gvk_key(id.gvk),
                    (id.ns.empty() ? std::string("~X") : id.ns) + "|" + id.name});
  }
  std::vector<size_t> idx(list.size());
  for (size_t i = 0; i < idx.size(); ++i)
    idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    const Key& x = keys[a];
    const Key& y = keys[b];
    if (x.gvk != y.gvk) {
      if (x.rank != y.rank) return x.rank < y.rank;
      return x.gvk < y.gvk;
    }
    return x.rest < y.rest;
  });
  ResList out;
  out.reserve(list.size());
  for (size_t i : idx)
    out.push_back(std::move(list[i]));
  list = std::move(out);
}

void sort_keys(doc::Value& v) {
  if (v.is_float()) {
    // kustomize writes objects through JSON: a float with an integral value
    // comes back as an int (1e3 -> 1000).
    double d = v.as_float();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e18) {
      doc::SourceSpan span = v.span();
      v = doc::Value(static_cast<int64_t>(d));
      v.set_span(std::move(span));
    }
    return;
  }
  if (v.is_list()) {
    for (auto& e : v.as_list())
      sort_keys(e);
  } else if (v.is_map()) {
    auto& m = v.as_map();
    std::stable_sort(m.begin(), m.end(),
                     [](const doc::Member& a, const doc::Member& b) { return a.key < b.key; });
    for (auto& e : m)
      sort_keys(e.value);
  }
}

}  // namespace gantry::kustomize::detail
