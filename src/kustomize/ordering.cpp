// Output order: kustomize's "legacy" ordering. Kinds listed first come in
// that order, webhook configurations come last, every other kind sits in
// between; ties are broken by "group_version_kind", then namespace, then name.
#include <algorithm>
#include <cmath>
#include <map>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

const std::vector<std::string>& default_first() {
  static const std::vector<std::string> v = {"Namespace",
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
  return v;
}

const std::vector<std::string>& default_last() {
  static const std::vector<std::string> v = {"MutatingWebhookConfiguration",
                                             "ValidatingWebhookConfiguration"};
  return v;
}

// kustomize's type orders: kinds of `first` rank below zero in their order,
// kinds of `last` above, every other kind zero (a kind in both: `last`).
std::map<std::string, int> kind_ranks(const std::vector<std::string>& first,
                                      const std::vector<std::string>& last) {
  std::map<std::string, int> m;
  int n = static_cast<int>(first.size());
  for (int i = 0; i < n; ++i)
    m[first[static_cast<size_t>(i)]] = i - n;
  for (size_t i = 0; i < last.size(); ++i)
    m[last[i]] = static_cast<int>(i) + 1;
  return m;
}

std::string gvk_key(const Gvk& g) {
  return (g.group.empty() ? std::string("~G") : g.group) + "_" +
         (g.version.empty() ? std::string("~V") : g.version) + "_" +
         (g.kind.empty() ? std::string("~K") : g.kind);
}

}  // namespace

void legacy_sort(ResList& list, const std::vector<std::string>* first,
                 const std::vector<std::string>* last) {
  static const std::map<std::string, int> kDefault = kind_ranks(default_first(), default_last());
  std::map<std::string, int> custom;
  if (first || last)
    custom = kind_ranks(first ? *first : std::vector<std::string>{},
                        last ? *last : std::vector<std::string>{});
  const std::map<std::string, int>& ranks = first || last ? custom : kDefault;
  auto kind_rank = [&](const std::string& kind) {
    auto it = ranks.find(kind);
    return it == ranks.end() ? 0 : it->second;
  };
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

SortOptions parse_sort_options(const doc::Value& v, const std::string& file) {
  if (!v.is_map())
    throw Error(where_of(v, file), "sortOptions must be a mapping (in " + file + ")");
  SortOptions o;
  std::string order = optional_string(v, "order", "sortOptions.", file);
  const doc::Value* legacy = v.find("legacySortOptions");
  for (const auto& m : v.as_map())
    if (m.key != "order" && m.key != "legacySortOptions")
      throw Error(where_of(m.value, file),
                  "sortOptions field \"" + m.key + "\" is not supported (in " + file + ")");
  if (order != "fifo" && order != "legacy")
    throw Error(where_of(v, file), "the field 'sortOptions.order' must be one of [fifo, legacy]");
  o.fifo = order == "fifo";
  if (legacy && !legacy->is_null()) {
    if (o.fifo)
      throw Error(where_of(*legacy, file),
                  "the field 'sortOptions.legacySortOptions' is set but the selected sort order "
                  "is 'fifo', not 'legacy'");
    if (!legacy->is_map())
      throw Error(where_of(*legacy, file), "sortOptions.legacySortOptions must be a mapping");
    o.custom = true;
    for (const auto& m : legacy->as_map()) {
      if (m.key != "orderFirst" && m.key != "orderLast")
        throw Error(where_of(m.value, file), "sortOptions.legacySortOptions field \"" + m.key +
                                                 "\" is not supported (in " + file + ")");
      if (m.value.is_null()) continue;
      if (!m.value.is_list())
        throw Error(where_of(m.value, file), "sortOptions." + m.key + " must be a list");
      auto& out = m.key == "orderFirst" ? o.first : o.last;
      for (const auto& e : m.value.as_list()) {
        if (!e.is_string())
          throw Error(where_of(e, file), "sortOptions." + m.key + " entries must be strings");
        out.push_back(e.as_string());
      }
    }
  }
  return o;
}

void apply_sort_options(ResList& list, const SortOptions& o) {
  if (o.fifo) return;
  if (o.custom)
    legacy_sort(list, &o.first, &o.last);
  else
    legacy_sort(list);
}

namespace {

// Code points of a UTF-8 string (an invalid byte stands for itself).
std::vector<char32_t> code_points(const std::string& s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n <= 0 || i + static_cast<size_t>(n) >= s.size()) {
      out.push_back(c);
      ++i;
      continue;
    }
    char32_t cp = c & (0x3F >> n);
    for (int k = 1; k <= n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
    out.push_back(cp);
    i += static_cast<size_t>(n) + 1;
  }
  return out;
}

bool is_letter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0xC0;  // non-ASCII: letters
}
bool is_digit(char32_t c) {
  return c >= '0' && c <= '9';
}

}  // namespace

// The order go-yaml v2 writes map keys in (kubectl kustomize prints objects
// through sigs.k8s.io/yaml's JSONToYAML): rune by rune, a non-letter sorts
// before a letter, and runs of digits compare as numbers ("a9" < "a10").
bool yaml_key_less(const std::string& a_str, const std::string& b_str) {
  std::vector<char32_t> a = code_points(a_str), b = code_points(b_str);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i] == b[i]) continue;
    bool al = is_letter(a[i]), bl = is_letter(b[i]);
    if (al && bl) return a[i] < b[i];
    if (al || bl) return bl;
    int64_t an = 0, bn = 0;
    if (a[i] == '0' || b[i] == '0') {
      for (size_t j = i; j-- > 0 && is_digit(a[j]);) {
        if (a[j] != '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    size_t ai = i, bi = i;
    for (; ai < a.size() && is_digit(a[ai]); ++ai)
      an = an * 10 + static_cast<int64_t>(a[ai] - '0');
    for (; bi < b.size() && is_digit(b[bi]); ++bi)
      bn = bn * 10 + static_cast<int64_t>(b[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return a[i] < b[i];
  }
  return a.size() < b.size();
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
    std::stable_sort(m.begin(), m.end(), [](const doc::Member& a, const doc::Member& b) {
      return yaml_key_less(a.key, b.key);
    });
    for (auto& e : m)
      sort_keys(e.value);
  }
}

}  // namespace gantry::kustomize::detail
