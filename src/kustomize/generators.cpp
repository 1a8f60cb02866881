// configMapGenerator / secretGenerator and the content-hash name suffix.
//
// The hash is kustomize's: the hex SHA-256 of Go's encoding/json of
// {"kind", "name", "data"[, "binaryData"]} for ConfigMaps and {"kind",
// "name", "type", "data"[, "stringData"]} for Secrets, where "name" is
// always "" (a quirk of kustomize's field lookup) (sorted keys, HTML
// characters escaped as Go does), of which the first 10 hex digits are kept
// with 0,1,3,a,e mapped to g,h,k,m,t.
#include "kustomize/generators.h"

#include <cstdlib>
#include <filesystem>

#include "core/base64.h"
#include "core/digest.h"
#include "core/utf8.h"
#include "doc/json.h"

namespace gantry::kustomize::detail {

namespace {

// What kustomize's getNodeValues yields for a field: the map, the scalar
// value as a string, or "" when missing.
doc::Value node_value(const doc::Value& obj, std::initializer_list<std::string_view> path) {
  const doc::Value* v = obj.find_path(path);
  if (!v) return doc::Value("");
  if (v->is_map() || v->is_list()) return *v;
  if (v->is_null()) return doc::Value("null");
  return doc::Value(scalar_string(*v));
}

}  // namespace

std::string content_hash(const doc::Value& obj) {
  std::string kind = obj.get_string("kind");
  doc::Value m = doc::Value::map();
  if (kind == "ConfigMap") {
    m.set("kind", "ConfigMap");
    // kustomize looks the name up as one field literally called
    // "metadata/name", which never exists: the hash always covers "".
    m.set("name", "");
    m.set("data", node_value(obj, {"data"}));
    doc::Value bd = node_value(obj, {"binaryData"});
    if (bd.is_map()) m.set("binaryData", bd);
  } else if (kind == "Secret") {
    m.set("kind", "Secret");
    m.set("type", node_value(obj, {"type"}));
    m.set("name", "");  // see above
    m.set("data", node_value(obj, {"data"}));
    doc::Value sd = node_value(obj, {"stringData"});
    if (sd.is_map()) m.set("stringData", sd);
  } else {
    m = obj;
  }
  // Go's encoding/json of the map: keys sorted, HTML characters escaped.
  std::string hex = sha256_hex(doc::to_json(doc::sorted_keys(m)));
  std::string enc = hex.substr(0, 10);
  for (char& c : enc) {
    switch (c) {
      case '0':
        c = 'g';
        break;
      case '1':
        c = 'h';
        break;
      case '3':
        c = 'k';
        break;
      case 'a':
        c = 'm';
        break;
      case 'e':
        c = 't';
        break;
      default:
        break;
    }
  }
  return enc;
}

void apply_hash_suffixes(ResList& list, bool keep_pending) {
  for (auto& r : list) {
    if (!r.needs_hash) continue;
    std::string h = content_hash(r.obj);
    r.store_previous_id();
    r.set_name(r.name() + "-" + h);
    r.needs_hash = keep_pending;
  }
}

namespace {

// kustomize's encodeBase64 for Secret data: lines of 70 characters, each
// ending in a newline once there is more than one line.
std::string secret_base64(std::string_view s) {
  std::string in = base64_encode(s);
  constexpr size_t kLine = 70;
  size_t lines = in.size() / kLine + 1;
  if (lines <= 1) return in;
  std::string out;
  out.reserve(in.size() + lines);
  for (size_t i = 0; i < in.size(); i += kLine) {
    out.append(in, i, kLine);
    out += '\n';
  }
  return out;
}

bool valid_env_name(const std::string& k) {
  if (k.empty()) return false;
  if (std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

bool valid_config_key(const std::string& k) {
  if (k.empty() || k.size() > 253) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::string remove_quotes(const std::string& s) {
  if (s.size() < 2 || s.front() != s.back()) return s;
  if (s.front() == '"' || s.front() == '\'') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

Res generate(const GeneratorArgs& g, const GeneratorOptions& global, const FileReader& read) {
  bool secret = g.kind == "Secret";
  std::vector<std::pair<std::string, std::string>> kvs;
  auto add = [&](const std::string& k, std::string v, const std::string& origin) {
    if (!valid_config_key(k))
      throw Error(g.where, g.kind + "Generator " + g.name + ": \"" + k +
                               "\" is not a valid key name (from " + origin + ")");
    for (const auto& [ek, ev] : kvs)
      if (ek == k)
        throw Error(g.where, g.kind + "Generator " + g.name + ": cannot add key " + k +
                                 ", another key by that name already exists");
    kvs.emplace_back(k, std::move(v));
  };
  for (const auto& env : g.envs) {
    std::string text = read(env);
    size_t line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line_no == 0 && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
      ++line_no;
      size_t b = line.find_first_not_of(" \t\v\f");
      if (b == std::string::npos) continue;
      line = line.substr(b);
      if (line[0] == '#') continue;
      size_t eq = line.find('=');
      std::string key = line.substr(0, eq);
      if (!valid_env_name(key))
        throw Error(Location{env, static_cast<uint32_t>(line_no)},
                    "\"" + key + "\" is not a valid key name in env file " + env);
      std::string value;
      if (eq != std::string::npos) {
        value = line.substr(eq + 1);
      } else if (const char* e = std::getenv(key.c_str())) {
        value = e;
      }
      add(key, value, env);
    }
  }
  for (const auto& lit : g.literals) {
    size_t eq = lit.find('=');
    if (eq == 0 || eq == std::string::npos)
      throw Error(g.where, "invalid literal source " + lit + ", expected key=value");
    add(lit.substr(0, eq), remove_quotes(lit.substr(eq + 1)), "literals");
  }
  for (const auto& f : g.files) {
    std::string key, path = f;
    size_t eq = f.find('=');
    if (eq != std::string::npos) {
      key = f.substr(0, eq);
      path = f.substr(eq + 1);
      if (key.empty()) throw Error(g.where, "file source " + f + " has an empty key");
    } else {
      key = std::filesystem::path(path).filename().string();
    }
    add(key, read(path), path);
  }

  doc::Value obj = doc::Value::map();
  obj.set("apiVersion", "v1");
  obj.set("kind", g.kind);
  doc::Value meta = doc::Value::map();
  meta.set("name", g.name);
  if (!g.ns.empty()) meta.set("namespace", g.ns);
  doc::Value labels = doc::Value::map(), annotations = doc::Value::map();
  auto merge_strings = [](doc::Value& dst, const doc::Value& src) {
    if (!src.is_map()) return;
    for (const auto& m : src.as_map())
      dst.set(m.key, scalar_string(m.value));
  };
  merge_strings(labels, global.labels);
  merge_strings(labels, g.labels);
  merge_strings(annotations, global.annotations);
  merge_strings(annotations, g.annotations);
  if (!labels.as_map().empty()) meta.set("labels", labels);
  if (!annotations.as_map().empty()) meta.set("annotations", annotations);
  obj.set("metadata", meta);
  doc::Value data = doc::Value::map(), binary = doc::Value::map();
  for (auto& [k, v] : kvs) {
    if (secret)
      data.set(k, secret_base64(v));
    else if (utf8_valid(v))
      data.set(k, v);
    else
      binary.set(k, base64_encode(v));
  }
  if (!data.as_map().empty()) obj.set("data", data);
  if (!binary.as_map().empty()) obj.set("binaryData", binary);
  if (secret) obj.set("type", g.type.empty() ? std::string("Opaque") : g.type);
  bool immutable = global.immutable || g.immutable.value_or(false);
  if (immutable) obj.set("immutable", true);

  Res r;
  r.obj = std::move(obj);
  r.source = g.where;
  r.needs_hash = !(global.disable_hash || g.disable_hash.value_or(false));
  r.behavior = g.behavior.empty() ? "create" : g.behavior;
  return r;
}

}  // namespace gantry::kustomize::detail
