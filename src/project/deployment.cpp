#include "project/deployment.h"

#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "core/file.h"
#include "doc/merge.h"
#include "doc/yaml.h"
#include "project/fields.h"
#include "template/engine.h"

namespace gantry::project {

namespace fs = std::filesystem;

namespace {

// What a deployment.yaml passes down to the items it contains.
struct Scope {
  doc::Value vars;
  doc::Value common_labels = doc::Value::map();
  doc::Value common_annotations = doc::Value::map();
  std::string override_namespace;
  std::vector<std::string> tags;
};

std::vector<std::string> string_list(const doc::Value* v, std::string_view what) {
  std::vector<std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_list()) v->fail(std::string(what) + " must be a list of strings");
  for (const auto& e : v->as_list()) {
    if (!e.is_string()) e.fail(std::string(what) + " must be a list of strings");
    out.push_back(e.as_string());
  }
  return out;
}

void add_tags(std::vector<std::string>& tags, const std::vector<std::string>& more) {
  for (const auto& t : more)
    if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
}

std::string last_element(const std::string& rel) {
  fs::path p(rel);
  auto name = p.filename().string();
  return name.empty() ? rel : name;
}

bool truthy_when(const doc::Value& entry, const doc::Value& vars, const tmpl::Engine& engine) {
  const doc::Value* when = entry.find("when");
  if (!when || when->is_null()) return true;
  if (when->is_bool()) return when->as_bool();
  if (!when->is_string()) when->fail("\"when\" must be a template condition (a string)");
  std::string name = when->span().known() ? when->span().location().str() : "when";
  return engine.evaluate_condition(when->as_string(), name, vars);
}

class Loader {
 public:
  Loader(const fs::path& root, const tmpl::Engine& engine, const LoadLimits& limits,
         GitSources* git)
      : root_(root), engine_(&engine), limits_(limits), git_(git) {}

  void load(const fs::path& dir, Scope scope, std::vector<Item>& out) {
    fs::path canonical = fs::weakly_canonical(dir);
    for (const auto& seen : chain_) {
      if (seen == canonical) {
        std::string cycle;
        for (const auto& c : chain_)
          cycle += rel(c) + " -> ";
        throw Error(Location{(dir / "deployment.yaml").string()},
                    "cyclic include: " + cycle + rel(canonical));
      }
    }
    if (chain_.size() >= limits_.max_include_depth)
      throw Error(
          Location{dir.string()},
          "includes nested deeper than " + std::to_string(limits_.max_include_depth) + " levels");
    chain_.push_back(canonical);

    fs::path file = dir / "deployment.yaml";
    if (!fs::exists(file) && fs::exists(dir / "deployment.yml")) file = dir / "deployment.yml";
    if (!fs::exists(file))
      throw Error(Location{file.string()}, "deployment.yaml not found", ExitCode::kNotFound);
    std::string text = engine_->render(read_file(file), file.string(), scope.vars);
    doc::Value d = doc::parse_yaml(text, file.string());
    if (d.is_null()) d = doc::Value::map();
    if (!d.is_map()) d.fail("a deployment.yaml must be a mapping");
    check_fields(d,
                 {"vars", "deployments", "commonLabels", "commonAnnotations", "overrideNamespace",
                  "tags", "args", "ignoreForDiff", "templateExcludes"},
                 "deployment.yaml");

    load_vars(d.find("vars"), dir, scope.vars);
    if (const doc::Value* l = d.find("commonLabels")) merge_string_map(scope.common_labels, *l);
    if (const doc::Value* a = d.find("commonAnnotations"))
      merge_string_map(scope.common_annotations, *a);
    if (const doc::Value* ns = d.find("overrideNamespace"); ns && !ns->is_null()) {
      if (!ns->is_string()) ns->fail("overrideNamespace must be a string");
      scope.override_namespace = ns->as_string();
    }
    add_tags(scope.tags, string_list(d.find("tags"), "tags"));

    if (const doc::Value* items = d.find("deployments"); items && !items->is_null()) {
      if (!items->is_list()) items->fail("deployments must be a list of items");
      for (const auto& entry : items->as_list())
        load_item(entry, dir, scope, out);
    }
    chain_.pop_back();
  }

 private:
  std::string rel(const fs::path& p) const {
    auto r = p.lexically_relative(fs::weakly_canonical(root_)).string();
    return r.empty() || r == "." ? "." : r;
  }

  void merge_string_map(doc::Value& dst, const doc::Value& src) {
    if (src.is_null()) return;
    if (!src.is_map()) src.fail("expected a mapping of strings");
    for (const auto& m : src.as_map()) {
      if (!m.value.is_scalar() || m.value.is_null())
        m.value.fail("the value of \"" + m.key + "\" must be a string");
      dst.set(m.key, m.value);
    }
  }

  void load_vars(const doc::Value* vars, const fs::path& dir, doc::Value& ctx) {
    if (!vars || vars->is_null()) return;
    if (!vars->is_list()) vars->fail("vars must be a list of entries (file: or values:)");
    for (const auto& entry : vars->as_list()) {
      if (!entry.is_map()) entry.fail("a vars entry must be a mapping with file: or values:");
      check_fields(entry, {"file", "values", "ignoreMissing", "when", "noOverride"},
                   "a vars entry");
      if (!truthy_when(entry, ctx, *engine_)) continue;
      doc::Value loaded;
      if (const doc::Value* f = entry.find("file")) {
        if (!f->is_string()) f->fail("vars file must be a path");
        fs::path path = resolve_in_project(dir, f->as_string(), *f);
        if (!fs::exists(path)) {
          const doc::Value* ignore = entry.find("ignoreMissing");
          if (ignore && ignore->is_bool() && ignore->as_bool()) continue;
          throw Error(
              f->span().location(),
              "vars file \"" + f->as_string() + "\" not found (looked for " + path.string() + ")",
              ExitCode::kNotFound);
        }
        std::string text = engine_->render(read_file(path), path.string(), ctx);
        loaded = doc::parse_yaml(text, path.string());
        if (loaded.is_null()) continue;
        if (!loaded.is_map()) loaded.fail("a vars file must hold a mapping");
      } else if (const doc::Value* v = entry.find("values")) {
        if (!v->is_map()) v->fail("vars values must be a mapping");
        loaded = *v;
      } else {
        entry.fail("a vars entry needs file: or values:");
      }
      const doc::Value* no_override = entry.find("noOverride");
      if (no_override && no_override->is_bool() && no_override->as_bool()) {
        doc::Value merged = loaded;
        doc::deep_merge(merged, ctx);
        ctx = std::move(merged);
      } else {
        doc::deep_merge(ctx, loaded);
      }
    }
  }

  // A path named in a deployment.yaml: relative to its directory, and never
  // outside the project root.
  fs::path resolve_in_project(const fs::path& dir, const std::string& relative,
                              const doc::Value& at) const {
    try {
      fs::path rel_to_root = fs::path(dir).lexically_relative(root_);
      return join_within(root_, (rel_to_root / relative).lexically_normal().string());
    } catch (Error& e) {
      throw Error(at.span().location(), e.why());
    }
  }

  void load_item(const doc::Value& entry, const fs::path& dir, const Scope& scope,
                 std::vector<Item>& out) {
    if (!entry.is_map())
      entry.fail("a deployment item must be a mapping (path:, include: or barrier:)");
    check_fields(
        entry,
        {"path", "include", "barrier", "git", "tags", "when", "waitReadiness", "vars", "message"},
        "a deployment item",
        // kluctl fields that do not change what gets rendered
        {"alwaysDeploy", "skipDeleteIfTags", "onlyRender", "deleteObjects"});
    if (!truthy_when(entry, scope.vars, *engine_)) return;

    if (const doc::Value* b = entry.find("barrier")) {
      if (!b->is_bool()) b->fail("barrier must be true or false");
      if (!b->as_bool()) return;
      Item item;
      item.kind = Item::Kind::kBarrier;
      item.barrier_message = entry.get_string("message");
      item.where = entry.span().location();
      item.tags = scope.tags;
      out.push_back(std::move(item));
      return;
    }
    const doc::Value* path = entry.find("path");
    const doc::Value* include = entry.find("include");
    if (const doc::Value* g = entry.find("git")) {
      if (path || include)
        entry.fail("a deployment item needs exactly one of path:, include:, git: or barrier:");
      load_git_item(entry, *g, dir, scope, out);
      return;
    }
    if ((path != nullptr) == (include != nullptr))
      entry.fail("a deployment item needs exactly one of path:, include:, git: or barrier:");
    const doc::Value& target = path ? *path : *include;
    if (!target.is_string() || target.as_string().empty())
      target.fail(std::string(path ? "path" : "include") + " must be a directory name");
    fs::path item_dir = resolve_in_project(dir, target.as_string(), target);
    if (!fs::is_directory(item_dir))
      throw Error(target.span().location(),
                  "directory \"" + target.as_string() + "\" not found (looked for " +
                      item_dir.string() + ")",
                  ExitCode::kNotFound);
    std::string rel_dir = item_dir.lexically_relative(root_).string();

    Scope child = scope;
    std::vector<std::string> own_tags = string_list(entry.find("tags"), "tags");
    if (own_tags.empty()) own_tags.push_back(last_element(rel_dir));
    add_tags(child.tags, own_tags);
    load_vars(entry.find("vars"), dir, child.vars);

    if (include) {
      try {
        load(item_dir, std::move(child), out);
      } catch (Error& e) {
        // Point at this include: line when the failure (a cycle, a missing
        // deployment.yaml) has no position of its own.
        if (e.where().line == 0) {
          Error located(target.span().location(), e.why(), e.code());
          const auto& ctx = e.context();
          for (auto c = ctx.rbegin(); c != ctx.rend(); ++c)
            located.add_context(*c);
          throw located;
        }
        throw;
      }
      return;
    }
    Item item;
    item.kind = Item::Kind::kPath;
    item.dir = item_dir;
    item.rel_dir = rel_dir;
    item.tags = std::move(child.tags);
    if (const doc::Value* w = entry.find("waitReadiness"); w && !w->is_null()) {
      if (!w->is_bool()) w->fail("waitReadiness must be true or false");
      item.wait_readiness = w->as_bool();
    }
    item.vars = std::move(child.vars);
    item.common_labels = std::move(child.common_labels);
    item.common_annotations = std::move(child.common_annotations);
    item.override_namespace = std::move(child.override_namespace);
    item.where = entry.span().location();
    item.source_root = root_;
    item.source = source_;
    out.push_back(std::move(item));
  }

  // A git: item: the project at subDir of the fetched commit, loaded like an
  // include with the commit's tree as root (and template search path).
  void load_git_item(const doc::Value& entry, const doc::Value& g, const fs::path& dir,
                     const Scope& scope, std::vector<Item>& out) {
    GitItem git_item = parse_git_item(g);
    git_item.where = entry.span().location();  // the "- git:" line
    if (!git_)
      throw Error(git_item.where, "git items cannot be fetched here (no Git sources configured)",
                  ExitCode::kUsage);
    ResolvedGitItem resolved = git_->fetch(git_item);

    Scope child = scope;
    add_tags(child.tags, string_list(entry.find("tags"), "tags"));
    load_vars(entry.find("vars"), dir, child.vars);

    auto& engine = engines_[resolved.root];
    if (!engine) engine = std::make_unique<tmpl::Engine>(std::vector<fs::path>{resolved.root});
    fs::path saved_root = std::exchange(root_, resolved.root);
    const tmpl::Engine* saved_engine = std::exchange(engine_, engine.get());
    std::string saved_source = std::exchange(source_, resolved.description);
    try {
      load(resolved.dir, std::move(child), out);
    } catch (Error& e) {
      root_ = saved_root;
      engine_ = saved_engine;
      source_ = saved_source;
      e.add_context("including " + resolved.description);
      if (e.where().line == 0) {
        Error located(git_item.where, e.why(), e.code());
        const auto& ctx = e.context();
        for (auto c = ctx.rbegin(); c != ctx.rend(); ++c)
          located.add_context(*c);
        throw located;
      }
      throw;
    }
    root_ = saved_root;
    engine_ = saved_engine;
    source_ = saved_source;
  }

  fs::path root_;  // the current source's root: the project, or a git item's tree
  const tmpl::Engine* engine_;
  LoadLimits limits_;
  GitSources* git_;
  std::string source_;                                         // Item::source of the current source
  std::map<fs::path, std::unique_ptr<tmpl::Engine>> engines_;  // by git tree
  std::vector<fs::path> chain_;
};

bool dir_matches(const std::string& rel_dir, std::string pattern) {
  while (!pattern.empty() && pattern.back() == '/')
    pattern.pop_back();
  while (pattern.rfind("./", 0) == 0)
    pattern.erase(0, 2);
  if (pattern.empty() || pattern == ".") return true;
  return rel_dir == pattern ||
         (rel_dir.size() > pattern.size() && rel_dir.compare(0, pattern.size(), pattern) == 0 &&
          rel_dir[pattern.size()] == '/');
}

bool has_any(const std::vector<std::string>& tags, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted)
    if (std::find(tags.begin(), tags.end(), w) != tags.end()) return true;
  return false;
}

}  // namespace

Deployment load_deployment(const fs::path& root, const doc::Value& base_context,
                           const tmpl::Engine& engine, const LoadLimits& limits, GitSources* git) {
  Deployment d;
  d.root = fs::absolute(root).lexically_normal();
  Scope scope;
  scope.vars = base_context;
  Loader loader(d.root, engine, limits, git);
  loader.load(d.root, std::move(scope), d.items);
  return d;
}

bool Selection::selects(const Item& item) const {
  if (item.kind == Item::Kind::kBarrier) return true;
  if (!include_tags.empty() && !has_any(item.tags, include_tags)) return false;
  if (has_any(item.tags, exclude_tags)) return false;
  if (!include_dirs.empty() &&
      std::none_of(include_dirs.begin(), include_dirs.end(),
                   [&](const std::string& d) { return dir_matches(item.rel_dir, d); }))
    return false;
  for (const auto& d : exclude_dirs)
    if (dir_matches(item.rel_dir, d)) return false;
  return true;
}

}  // namespace gantry::project
