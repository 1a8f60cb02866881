// kustomize's `vars`: each var names an object and a field of it; once the
// whole build is done (hashes added, name references fixed), $(NAME) in the
// var-reference fields of every object becomes that field's value.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {

namespace {

std::string opt_string(const doc::Value& m, std::string_view key, const std::string& file) {
  return optional_string(m, key, "vars: ", file);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// kyaml's SmarterPathSplitter: splits at '.' outside of [...].
std::vector<std::string> split_field_path(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : path) {
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
    if (c == '.' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  // "ports[0]" is "ports" then "0".
  std::vector<std::string> res;
  for (const auto& f : out) {
    size_t open = f.rfind('[');
    if (!f.empty() && f.back() == ']' && open != std::string::npos && open + 2 < f.size() &&
        std::all_of(f.begin() + static_cast<long>(open) + 1, f.end() - 1,
                    [](char c) { return c >= '0' && c <= '9'; })) {
      if (open > 0) res.push_back(f.substr(0, open));
      res.push_back(f.substr(open + 1, f.size() - open - 2));
      continue;
    }
    res.push_back(f);
  }
  return res;
}

const doc::Value* lookup(const doc::Value& obj, const std::vector<std::string>& fields) {
  const doc::Value* node = &obj;
  for (const auto& f : fields) {
    if (node->is_map()) {
      node = node->find(f);
    } else if (node->is_list()) {
      const auto& items = node->as_list();
      if (f.size() > 2 && f.front() == '[' && f.back() == ']' && f.find('=') != std::string::npos) {
        size_t eq = f.find('=');
        std::string key = f.substr(1, eq - 1), value = f.substr(eq + 1, f.size() - eq - 2);
        const doc::Value* found = nullptr;
        for (const auto& e : items) {
          const doc::Value* k = e.is_map() ? e.find(key) : nullptr;
          if (k && k->is_scalar() && scalar_string(*k) == value) {
            found = &e;
            break;
          }
        }
        node = found;
      } else if (!f.empty() &&
                 std::all_of(f.begin(), f.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        size_t i = std::strtoul(f.c_str(), nullptr, 10);
        node = i < items.size() ? &items[i] : nullptr;
      } else {
        node = nullptr;
      }
    } else {
      node = nullptr;
    }
    if (!node) return nullptr;
  }
  return node;
}

std::string var_str(const Var& v) {
  return "'" + v.name + "' (objref " + v.target.str() + ", fieldpath " + v.field_path + ")";
}

// kustomize's $(VAR) expansion: "$$" is a literal "$", "$(NAME)" of a known
// var is its value (the value itself, typed, when it is the whole string),
// anything else stays as written.
doc::Value expand(const std::string& in, const std::map<std::string, doc::Value>& values) {
  std::string out;
  size_t checkpoint = 0;
  for (size_t cur = 0; cur < in.size(); ++cur) {
    if (in[cur] != '$' || cur + 1 >= in.size()) continue;
    out.append(in, checkpoint, cur - checkpoint);
    std::string_view rest = std::string_view(in).substr(cur + 1);
    size_t advance = 1;
    if (rest[0] == '$') {
      out += '$';
    } else if (rest[0] == '(') {
      size_t close = rest.find(')', 1);
      if (close == std::string_view::npos) {
        out += "$(";
      } else {
        std::string name(rest.substr(1, close - 1));
        advance = close + 1;
        auto it = values.find(name);
        if (it != values.end() && in.size() == name.size() + 3) return it->second;
        out += it != values.end() ? scalar_string(it->second) : "$(" + name + ")";
      }
    } else {
      out += '$';
      out += rest[0];
    }
    cur += advance;
    checkpoint = cur + 1;
  }
  if (checkpoint < in.size()) out.append(in, checkpoint, std::string::npos);
  return doc::Value(out);
}

void substitute(doc::Value& node, const std::map<std::string, doc::Value>& values,
                const std::string& what) {
  if (node.is_null()) return;
  if (node.is_string()) {
    node = expand(node.as_string(), values);
    return;
  }
  if (node.is_map()) {
    for (auto& m : node.as_map())
      if (m.value.is_string()) m.value = expand(m.value.as_string(), values);
    return;
  }
  if (node.is_list()) {
    for (auto& e : node.as_list()) {
      if (!e.is_string())
        throw Error(e.span().known() ? e.span().location() : Location{what},
                    "vars: invalid value type in " + what + ": expected a string");
      e = expand(e.as_string(), values);
    }
  }
}

}  // namespace

Var parse_var(const doc::Value& v, const std::string& file) {
  if (!v.is_map())
    throw Error(where_of(v, file), "vars entries must be mappings (in " + file + ")");
  Var out;
  out.where = where_of(v, file);
  for (const auto& m : v.as_map()) {
    std::string key = lower(m.key);
    if (key != "name" && key != "objref" && key != "fieldref")
      throw Error(m.key_span.known() ? m.key_span.location() : Location{file},
                  "vars field \"" + m.key + "\" is not supported (in " + file + ")");
  }
  const doc::Value* name = find_key_any_case(v, "name");
  if (!name || !name->is_string() || name->as_string().empty())
    throw Error(out.where, "vars entries need a name (in " + file + ")");
  out.name = name->as_string();
  const doc::Value* ref = find_key_any_case(v, "objref");
  if (!ref || !ref->is_map())
    throw Error(out.where, "var '" + out.name + "' needs an objref (in " + file + ")");
  for (const auto& m : ref->as_map()) {
    std::string key = lower(m.key);
    std::string value = opt_string(*ref, m.key, file);
    if (key == "apiversion") {
      // applied below: it wins over group and version
    } else if (key == "group") {
      out.target.gvk.group = value;
    } else if (key == "version") {
      out.target.gvk.version = value;
    } else if (key == "kind") {
      out.target.gvk.kind = value;
    } else if (key == "name") {
      out.target.name = value;
    } else if (key == "namespace") {
      out.target.ns = value;
    } else {
      throw Error(m.key_span.known() ? m.key_span.location() : Location{file},
                  "vars objref field \"" + m.key + "\" is not supported (in " + file + ")");
    }
  }
  // apiVersion wins over group/version, as in kustomize.
  if (const doc::Value* av = find_key_any_case(*ref, "apiVersion"); av && av->is_string()) {
    std::string value = av->as_string();
    size_t slash = value.find('/');
    if (slash == std::string::npos) {
      out.target.gvk.version = value;
    } else {
      out.target.gvk.group = value.substr(0, slash);
      out.target.gvk.version = value.substr(slash + 1);
    }
  }
  out.field_path = "metadata.name";
  if (const doc::Value* fr = find_key_any_case(v, "fieldref"); fr && !fr->is_null()) {
    if (!fr->is_map()) throw Error(where_of(*fr, file), "vars fieldref must be a mapping");
    for (const auto& m : fr->as_map()) {
      std::string key = lower(m.key);
      if (key != "fieldpath")
        throw Error(m.key_span.known() ? m.key_span.location() : Location{file},
                    "vars fieldref field \"" + m.key + "\" is not supported (in " + file + ")");
      std::string p = opt_string(*fr, m.key, file);
      if (!p.empty()) out.field_path = p;
    }
  }
  return out;
}

void bind_vars(ResList& list, const std::vector<Var>& vars) {
  for (const auto& v : vars) {
    // An empty namespace matches any namespace (kustomize's GvknEquals).
    bool with_ns = !v.target.ns.empty() || v.target.cluster_scoped();
    std::vector<size_t> matched;
    for (size_t i = 0; i < list.size(); ++i) {
      auto same = [&](const ResId& id) {
        return id.name == v.target.name && id.gvk == v.target.gvk &&
               (!with_ns || id.ns_equals(v.target));
      };
      const Res& r = list[i];
      if (same(r.cur_id()) || std::any_of(r.prev.begin(), r.prev.end(), same)) matched.push_back(i);
    }
    if (matched.size() > 1)
      throw Error(v.where, "found " + std::to_string(matched.size()) + " resId matches for var " +
                               var_str(v) + " (unable to disambiguate)");
    if (matched.size() == 1) list[matched[0]].ref_vars.push_back(v.name);
  }
}

void resolve_vars(ResList& list, const std::map<std::string, Var>& vars,
                  const std::vector<FieldSpec>& specs) {
  if (vars.empty()) return;
  std::map<std::string, doc::Value> values;
  for (const auto& [name, v] : vars) {
    const Res* holder = nullptr;
    for (const auto& r : list) {
      if (std::find(r.ref_vars.begin(), r.ref_vars.end(), name) != r.ref_vars.end()) {
        holder = &r;
        break;
      }
    }
    if (!holder)
      throw Error(v.where, "var " + var_str(v) +
                               " cannot be mapped to a field in the set of known resources");
    const doc::Value* field = lookup(holder->obj, split_field_path(v.field_path));
    if (!field)
      throw Error(v.where, "field specified in var " + var_str(v) +
                               " not found in corresponding resource " + holder->cur_id().str());
    // Only scalars replace; a map or list value leaves $(NAME) as it is.
    if (field->is_scalar()) values.emplace(name, field->is_null() ? doc::Value("null") : *field);
  }
  for (auto& r : list) {
    Gvk g = Gvk::of(r.obj);
    for (const auto& fs : specs) {
      if (!g.selected_by(fs.gvk)) continue;
      visit_path(r.obj, split_path(fs.path), false, [&](doc::Value& node) {
        substitute(node, values, r.cur_id().str() + " " + fs.path);
      });
    }
  }
}

const std::vector<FieldSpec>& var_reference_specs() {
  static const std::vector<FieldSpec> specs = [] {
    std::vector<FieldSpec> v;
    auto add = [&](const char* kind, const std::string& path) {
      v.push_back(FieldSpec{Gvk{"", "", kind}, path, false});
    };
    auto pod = [&](const char* kind, const std::string& spec, const std::string& nfs) {
      for (const char* c : {"containers", "initContainers"})
        for (const char* f : {"args", "command", "env/value", "volumeMounts/mountPath"})
          add(kind, spec + c + "/" + f);
      add(kind, nfs);
    };
    // The order of kustomize's varreference.go.
    pod("CronJob", "spec/jobTemplate/spec/template/spec/",
        "spec/jobTemplate/spec/template/volumes/nfs/server");
    pod("DaemonSet", "spec/template/spec/", "spec/template/spec/volumes/nfs/server");
    pod("Deployment", "spec/template/spec/", "spec/template/spec/volumes/nfs/server");
    add("Deployment", "spec/template/metadata/annotations");
    add("Ingress", "spec/rules/host");
    add("Ingress", "spec/tls/hosts");
    add("Ingress", "spec/tls/secretName");
    pod("Job", "spec/template/spec/", "spec/template/spec/volumes/nfs/server");
    pod("Pod", "spec/", "spec/volumes/nfs/server");
    pod("ReplicaSet", "spec/template/spec/", "spec/template/spec/volumes/nfs/server");
    add("Service", "spec/ports/port");
    add("Service", "spec/ports/targetPort");
    pod("StatefulSet", "spec/template/spec/", "spec/volumeClaimTemplates/spec/nfs/server");
    add("PersistentVolume", "spec/nfs/server");
    v.push_back(FieldSpec{Gvk{}, "metadata/labels", false});
    v.push_back(FieldSpec{Gvk{}, "metadata/annotations", false});
    return v;
  }();
  return specs;
}

}  // namespace gantry::kustomize::detail
