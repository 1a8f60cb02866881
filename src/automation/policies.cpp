#include "automation/policies.h"

#include <optional>

#include "core/file.h"
#include "doc/yaml.h"

namespace gantry::automation {

namespace {

using doc::Value;

Location where_of(const Value& v, const std::string& file) {
  return v.span().known() ? v.span().location() : Location{file, 0, 0};
}

// Fails on a key of `m` that is not in `allowed`.
void only_keys(const Value& m, std::initializer_list<std::string_view> allowed,
               const std::string& what) {
  for (const auto& member : m.as_map()) {
    bool ok = false;
    for (auto a : allowed)
      ok = ok || member.key == a;
    if (ok) continue;
    std::string list;
    for (auto a : allowed)
      list += (list.empty() ? "" : ", ") + std::string(a);
    Location at = member.key_span.known() ? member.key_span.location() : m.span().location();
    throw Error(at, "unknown field '" + member.key + "' in " + what + " (known: " + list + ")");
  }
}

const Value& need_map(const Value& parent, std::string_view key, const std::string& what) {
  const Value* v = parent.find(key);
  if (!v) parent.fail(what + " needs '" + std::string(key) + "'");
  if (!v->is_map()) v->fail("'" + std::string(key) + "' of " + what + " must be a mapping");
  return *v;
}

std::string need_string(const Value& parent, std::string_view key, const std::string& what) {
  const Value* v = parent.find(key);
  if (!v || v->is_null()) parent.fail(what + " needs '" + std::string(key) + "'");
  if (!v->is_string() || v->as_string().empty())
    v->fail("'" + std::string(key) + "' of " + what + " must be a non-empty string");
  return v->as_string();
}

std::string opt_string(const Value& parent, std::string_view key, const std::string& what) {
  const Value* v = parent.find(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) v->fail("'" + std::string(key) + "' of " + what + " must be a string");
  return v->as_string();
}

SortOrder order_of(const Value& kind, const std::string& what) {
  if (kind.is_null()) return SortOrder::kAsc;
  if (!kind.is_map()) kind.fail(what + " must be a mapping ({order: asc|desc})");
  only_keys(kind, {"order"}, what);
  std::string o = opt_string(kind, "order", what);
  if (o.empty() || o == "asc") return SortOrder::kAsc;
  if (o == "desc") return SortOrder::kDesc;
  kind.find("order")->fail("order of " + what + " must be asc or desc, not '" + o + "'");
}

// `policy:` and `filterTags:` of one policy (both spellings share them).
TagPolicy tag_policy(const Value& holder, const std::string& what, bool strict) {
  const Value& p = need_map(holder, "policy", what);
  TagFilter filter;
  if (const Value* f = holder.find("filterTags"); f && !f->is_null()) {
    if (!f->is_map()) f->fail("filterTags of " + what + " must be a mapping");
    only_keys(*f, {"pattern", "extract"}, "filterTags of " + what);
    filter.pattern = opt_string(*f, "pattern", "filterTags");
    filter.extract = opt_string(*f, "extract", "filterTags");
  }
  if (p.size() != 1)
    p.fail("policy of " + what + " must have exactly one of semver, numerical, alphabetical");
  const doc::Member& kind = p.as_map().front();
  Location at = kind.key_span.known() ? kind.key_span.location() : p.span().location();
  try {
    if (kind.key == "semver") {
      if (!kind.value.is_map()) kind.value.fail("semver must be a mapping ({range: ...})");
      if (strict) only_keys(kind.value, {"range"}, "semver policy");
      return TagPolicy::semver(need_string(kind.value, "range", "semver policy"), filter);
    }
    if (kind.key == "numerical")
      return TagPolicy::numerical(order_of(kind.value, "numerical policy"), filter);
    if (kind.key == "alphabetical")
      return TagPolicy::alphabetical(order_of(kind.value, "alphabetical policy"), filter);
  } catch (Error& e) {
    e.set_location_if_unknown(at);
    e.add_context(what);
    throw;
  }
  throw Error(at, "unknown policy kind '" + kind.key + "' in " + what +
                      " (use semver, numerical or alphabetical)");
}

// digestReflectionPolicy: whether digests are pinned (anything but Never).
bool reflects_digest(const Value& holder, const std::string& what) {
  std::string v = opt_string(holder, "digestReflectionPolicy", what);
  if (v.empty() || v == "Never") return false;
  if (v == "IfNotPresent" || v == "Always") return true;
  holder.find("digestReflectionPolicy")
      ->fail("digestReflectionPolicy of " + what + " must be Never, IfNotPresent or Always, not '" +
             v + "'");
}

struct FluxRepository {
  std::string image;
  Location where;
};

std::string meta_namespace(const Value& doc) {
  const Value* ns = doc.find_path({"metadata", "namespace"});
  return ns && ns->is_string() && !ns->as_string().empty() ? ns->as_string() : "default";
}

}  // namespace

// The policies of all `docs` (from one or more files, named `what` in errors
// that have no better place): an ImagePolicy may refer to an ImageRepository
// of any of them.
std::vector<ImagePolicy> policies_of(const std::vector<Value>& docs, const std::string& what) {
  const std::string filename = what;
  std::vector<ImagePolicy> out;
  std::map<std::string, FluxRepository> repos;  // "ns:name" of ImageRepositories
  std::vector<const Value*> flux_policies;
  for (const Value& d : docs) {
    if (d.is_null()) continue;
    if (!d.is_map())
      d.fail("a policy file holds mappings (policies: [...] or Flux ImagePolicy objects)");
    if (const Value* list = d.find("policies")) {
      only_keys(d, {"policies"}, "the policy file");
      if (!list->is_list()) list->fail("'policies' must be a list");
      for (const Value& item : list->as_list()) {
        if (!item.is_map()) item.fail("each policy must be a mapping");
        std::string what = "policy";
        if (const Value* n = item.find("name"); n && n->is_string())
          what = "policy '" + n->as_string() + "'";
        only_keys(item,
                  {"name", "namespace", "image", "policy", "filterTags", "digestReflectionPolicy"},
                  what);
        std::string name = need_string(item, "name", what);
        std::string ns = opt_string(item, "namespace", what);
        std::string image = need_string(item, "image", what);
        out.push_back(ImagePolicy{ns.empty() ? "default" : ns, name, image,
                                  tag_policy(item, what, true), where_of(item, filename),
                                  reflects_digest(item, what)});
      }
      continue;
    }
    std::string api = d.get_string("apiVersion");
    std::string kind = d.get_string("kind");
    if (kind.empty())
      d.fail("not a policy file: expected 'policies:' or Flux ImageRepository/ImagePolicy objects");
    if (api.rfind("image.toolkit.fluxcd.io/", 0) != 0) continue;  // another kind of object
    std::string name;
    if (const Value* n = d.find_path({"metadata", "name"}); n && n->is_string())
      name = n->as_string();
    if (name.empty()) d.fail(kind + " needs metadata.name");
    std::string key = meta_namespace(d) + ":" + name;
    if (kind == "ImageRepository") {
      const Value& spec = need_map(d, "spec", "ImageRepository " + key);
      repos[key] = FluxRepository{need_string(spec, "image", "ImageRepository " + key),
                                  where_of(d, filename)};
    } else if (kind == "ImagePolicy") {
      flux_policies.push_back(&d);
    }
  }
  for (const Value* d : flux_policies) {
    std::string ns = meta_namespace(*d);
    std::string name = d->find_path({"metadata", "name"})->as_string();
    std::string what = "ImagePolicy " + ns + ":" + name;
    const Value& spec = need_map(*d, "spec", what);
    const Value& ref = need_map(spec, "imageRepositoryRef", what);
    std::string rname = need_string(ref, "name", "imageRepositoryRef");
    std::string rns = opt_string(ref, "namespace", "imageRepositoryRef");
    std::string rkey = (rns.empty() ? ns : rns) + ":" + rname;
    auto it = repos.find(rkey);
    if (it == repos.end())
      ref.fail(what + " refers to ImageRepository " + rkey + ", which the file does not define");
    out.push_back(ImagePolicy{ns, name, it->second.image, tag_policy(spec, what, false),
                              where_of(*d, filename), reflects_digest(spec, what)});
  }
  std::map<std::string, Location> seen;
  for (const auto& p : out)
    if (auto [it, fresh] = seen.emplace(p.key(), p.where); !fresh)
      throw Error(p.where,
                  "policy " + p.key() + " is defined twice (also at " + it->second.str() + ")");
  if (out.empty())
    throw Error(Location{what, 0, 0},
                "no policies in the file (expected 'policies:' or Flux ImagePolicy objects)");
  return out;
}

namespace {

// Whether a file found in a policy directory can hold policies: other YAML
// there (templates, plain manifests) is not read at all.
bool may_hold_policies(std::string_view text) {
  return text.find("image.toolkit.fluxcd.io/") != std::string_view::npos ||
         text.find("policies:") != std::string_view::npos;
}

}  // namespace

std::vector<ImagePolicy> parse_policies(std::string_view text, const std::string& filename) {
  return policies_of(doc::parse_yaml_stream(text, filename), filename);
}

std::vector<ImagePolicy> load_policies(const std::vector<std::filesystem::path>& paths) {
  std::vector<Value> docs;
  std::string names;
  for (const auto& path : paths) {
    std::error_code ec;
    bool dir = std::filesystem::is_directory(path, ec);
    if (!dir && !std::filesystem::is_regular_file(path, ec))
      throw Error(Location{path.string(), 0, 0}, "policy file not found", ExitCode::kNotFound);
    names += (names.empty() ? "" : ", ") + path.string();
    std::vector<std::filesystem::path> files{path};
    if (dir) files = find_yaml_files(path);
    for (const auto& file : files) {
      std::string text = read_file(file, 16u << 20);
      if (dir && !may_hold_policies(text)) continue;
      for (auto& d : doc::parse_yaml_stream(text, file.string()))
        docs.push_back(std::move(d));
    }
  }
  return policies_of(docs, names);
}

std::map<std::string, PolicyImage> resolve_policies(const std::vector<ImagePolicy>& policies,
                                                    const TagLister& list,
                                                    const DigestLookup& digest_of) {
  std::map<std::string, std::vector<std::string>> tags_of;  // per repository, asked once
  std::map<std::string, PolicyImage> out;
  for (const auto& p : policies) {
    try {
      auto it = tags_of.find(p.image);
      if (it == tags_of.end()) it = tags_of.emplace(p.image, list(p.image)).first;
      PolicyImage img{p.image, p.policy.select_or_throw(it->second, p.image)};
      if (digest_of) img.digest = digest_of(img.image, img.tag);
      img.pin = p.reflect_digest;
      out[p.key()] = std::move(img);
    } catch (Error& e) {
      e.add_context("policy " + p.key());
      e.set_location_if_unknown(p.where);
      throw;
    }
  }
  return out;
}

}  // namespace gantry::automation
