// Patch targets: group/version/kind (exact), name and namespace (anchored
// regular expressions, run with RE2), label and annotation selectors.
#include <re2/re2.h>

#include <algorithm>
#include <memory>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

Selector parse_selector(const doc::Value& v, const std::string& file) {
  if (!v.is_map())
    throw Error(v.span().known() ? v.span().location() : Location{file},
                "a patch target must be a mapping");
  Selector s;
  for (const auto& m : v.as_map()) {
    std::string val = m.value.is_null() ? std::string() : scalar_string(m.value);
    if (m.key == "group")
      s.gvk.group = val;
    else if (m.key == "version")
      s.gvk.version = val;
    else if (m.key == "kind")
      s.gvk.kind = val;
    else if (m.key == "name")
      s.name = val;
    else if (m.key == "namespace")
      s.ns = val;
    else if (m.key == "labelSelector")
      s.label_selector = val;
    else if (m.key == "annotationSelector")
      s.annotation_selector = val;
    else
      throw Error(m.key_span.known() ? m.key_span.location() : Location{file},
                  "unknown field \"" + m.key + "\" in patch target (in " + file + ")");
  }
  return s;
}

namespace {

std::unique_ptr<RE2> compile(const std::string& pattern, const Location& where) {
  if (pattern.empty()) return nullptr;
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>("(?:" + pattern + ")", opts);
  if (!re->ok())
    throw Error(where,
                "invalid regular expression \"" + pattern + "\" in patch target: " + re->error());
  return re;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// Splits at commas outside parentheses.
std::vector<std::string> split_requirements(const std::string& s) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty() || !out.empty()) out.push_back(trim(cur));
  return out;
}

std::vector<std::string> split_set(const std::string& inner) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : inner) {
    if (c == ',') {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

}  // namespace

bool match_label_selector(const doc::Value* labels, const std::string& selector,
                          const Location& where) {
  if (trim(selector).empty()) return true;
  auto get = [&](const std::string& k, std::string& out) {
    if (!labels || !labels->is_map()) return false;
    const doc::Value* v = labels->find(k);
    if (!v) return false;
    out = scalar_string(*v);
    return true;
  };
  for (const std::string& req : split_requirements(selector)) {
    if (req.empty()) throw Error(where, "invalid selector \"" + selector + "\"");
    std::string value;
    if (req[0] == '!') {
      if (get(trim(req.substr(1)), value)) return false;
      continue;
    }
    size_t ne = req.find("!=");
    size_t eq = req.find('=');
    size_t sp = req.find(' ');
    if (ne != std::string::npos) {
      std::string k = trim(req.substr(0, ne)), v = trim(req.substr(ne + 2));
      if (get(k, value) && value == v) return false;
      continue;
    }
    if (eq != std::string::npos) {
      std::string k = trim(req.substr(0, eq));
      size_t vstart = eq + 1;
      if (vstart < req.size() && req[vstart] == '=') ++vstart;
      std::string v = trim(req.substr(vstart));
      if (!get(k, value) || value != v) return false;
      continue;
    }
    if (sp != std::string::npos) {
      std::string k = trim(req.substr(0, sp));
      std::string rest = trim(req.substr(sp));
      bool notin = rest.rfind("notin", 0) == 0;
      bool in = !notin && rest.rfind("in", 0) == 0;
      size_t open = rest.find('('), close = rest.rfind(')');
      if ((!in && !notin) || open == std::string::npos || close == std::string::npos ||
          close < open)
        throw Error(where, "invalid selector \"" + selector + "\"");
      auto set = split_set(rest.substr(open + 1, close - open - 1));
      bool has = get(k, value);
      bool member = has && std::find(set.begin(), set.end(), value) != set.end();
      if (in && !member) return false;
      if (notin && member) return false;
      continue;
    }
    if (!get(req, value)) return false;
  }
  return true;
}

std::vector<size_t> select(const ResList& list, const Selector& s, const Location& where) {
  auto name_re = compile(s.name, where);
  auto ns_re = compile(s.ns, where);
  std::vector<size_t> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const Res& r = list[i];
    ResId cur = r.cur_id(), org = r.org_id();
    if (ns_re && !RE2::FullMatch(org.effective_ns(), *ns_re) &&
        !RE2::FullMatch(cur.effective_ns(), *ns_re))
      continue;
    if (name_re && !RE2::FullMatch(org.name, *name_re) && !RE2::FullMatch(cur.name, *name_re))
      continue;
    if (!cur.gvk.selected_by(s.gvk)) continue;
    const doc::Value* meta = r.obj.find("metadata");
    if (!s.label_selector.empty() &&
        !match_label_selector(meta ? meta->find("labels") : nullptr, s.label_selector, where))
      continue;
    if (!s.annotation_selector.empty() &&
        !match_label_selector(meta ? meta->find("annotations") : nullptr, s.annotation_selector,
                              where))
      continue;
    out.push_back(i);
  }
  return out;
}

}  // namespace gantry::kustomize::detail
