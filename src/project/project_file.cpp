#include "project/project_file.h"

#include <algorithm>

#include "core/file.h"
#include "doc/merge.h"
#include "doc/yaml.h"
#include "project/fields.h"
#include "template/engine.h"

namespace gantry::project {

namespace fs = std::filesystem;

namespace {}  // namespace

ProjectFile load_project_file(const fs::path& root_in) {
  ProjectFile p;
  p.root = fs::absolute(root_in).lexically_normal();
  if (!fs::is_directory(p.root))
    throw Error(Location{p.root.string()}, "project directory not found", ExitCode::kNotFound);
  for (const char* name : {".gantry.yaml", ".gantry.yml", ".kluctl.yaml", ".kluctl.yml"}) {
    if (fs::exists(p.root / name)) {
      p.file = (p.root / name).string();
      break;
    }
  }
  if (p.file.empty()) return p;

  doc::Value top = doc::parse_yaml(read_file(p.file), p.file);
  if (top.is_null()) return p;
  if (!top.is_map()) top.fail("the project file must be a mapping");
  check_fields(top, {"targets", "args", "discriminator", "secretsConfig", "aws", "gitops"},
               "the project file");

  if (const doc::Value* targets = top.find("targets"); targets && !targets->is_null()) {
    for (const auto& t : targets->as_list()) {
      if (!t.is_map()) t.fail("a target must be a mapping with at least a name");
      check_fields(t,
                   {"name", "context", "args", "discriminator", "images", "sealingConfig", "aws"},
                   "a target");
      Target target;
      target.where = t.span().location();
      target.name = string_field(t, "name");
      if (target.name.empty()) t.fail("a target needs a name");
      target.context = string_field(t, "context");
      target.discriminator = string_field(t, "discriminator");
      if (const doc::Value* a = t.find("args"); a && !a->is_null()) {
        if (!a->is_map()) a->fail("target args must be a mapping");
        target.args = *a;
      } else {
        target.args = doc::Value::map();
      }
      for (const auto& other : p.targets)
        if (other.name == target.name)
          t.fail("target \"" + target.name + "\" is defined twice (first at " + other.where.str() +
                 ")");
      p.targets.push_back(std::move(target));
    }
  }
  if (const doc::Value* args = top.find("args"); args && !args->is_null()) {
    for (const auto& a : args->as_list()) {
      if (!a.is_map()) a.fail("an arg must be a mapping with a name");
      check_fields(a, {"name", "default"}, "an arg");
      ArgSpec spec;
      spec.where = a.span().location();
      spec.name = string_field(a, "name");
      if (spec.name.empty()) a.fail("an arg needs a name");
      if (const doc::Value* d = a.find("default")) spec.default_value = *d;
      p.args.push_back(std::move(spec));
    }
  }
  p.discriminator = string_field(top, "discriminator");
  return p;
}

CliArg parse_cli_arg(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw Error("argument \"" + std::string(text) + "\" must look like name=value",
                ExitCode::kUsage);
  std::string name(text.substr(0, eq));
  std::string_view raw = text.substr(eq + 1);
  doc::Value value;
  try {
    value = doc::parse_yaml(raw, "-a " + name);
    if (!value.is_scalar()) value = doc::Value(raw);  // only scalars are parsed
  } catch (const Error&) {
    value = doc::Value(raw);
  }
  if (raw.empty()) value = doc::Value("");
  return {std::move(name), std::move(value)};
}

doc::Value ResolvedTarget::base_context() const {
  doc::Value target = doc::Value::map();
  target.set("name", name.empty() ? doc::Value() : doc::Value(name));
  target.set("context", context.empty() ? doc::Value() : doc::Value(context));
  target.set("args", args);
  if (!discriminator.empty()) target.set("discriminator", discriminator);
  doc::Value ctx = doc::Value::map();
  ctx.set("args", args);
  ctx.set("target", std::move(target));
  return ctx;
}

ResolvedTarget resolve_target(const ProjectFile& project, std::string_view target_name,
                              const std::vector<CliArg>& cli_args, const tmpl::Engine& engine) {
  ResolvedTarget r;
  const Target* target = nullptr;
  if (!project.targets.empty() || !target_name.empty()) {
    for (const auto& t : project.targets)
      if (t.name == target_name) target = &t;
    if (!target) {
      std::string known;
      for (const auto& t : project.targets)
        known += (known.empty() ? "" : ", ") + t.name;
      std::string why = target_name.empty() ? "no target given (use -t NAME)"
                                            : "unknown target \"" + std::string(target_name) + "\"";
      why += known.empty() ? "; the project defines no targets" : "; known targets: " + known;
      throw Error(Location{project.file.empty() ? project.root.string() : project.file}, why,
                  target_name.empty() ? ExitCode::kUsage : ExitCode::kNotFound);
    }
  }
  r.args = doc::Value::map();
  for (const auto& spec : project.args)
    if (spec.default_value) r.args.set(spec.name, *spec.default_value);
  if (target) {
    r.name = target->name;
    r.context = target->context;
    doc::deep_merge(r.args, target->args);
  }
  for (const auto& [name, value] : cli_args)
    r.args.set(name, value);
  for (const auto& spec : project.args) {
    if (!r.args.contains(spec.name))
      throw Error(spec.where, "argument \"" + spec.name + "\" is required" +
                                  (target ? " but target \"" + target->name + "\" does not set it"
                                          : std::string()) +
                                  " (set it with -a " + spec.name + "=VALUE)");
  }
  std::string disc =
      target && !target->discriminator.empty() ? target->discriminator : project.discriminator;
  if (!disc.empty()) {
    std::string where = project.file.empty() ? "discriminator" : project.file;
    try {
      r.discriminator = engine.render(disc, where, r.base_context());
    } catch (Error& e) {
      e.add_context("rendering the discriminator");
      throw;
    }
    auto trim = [](std::string& s) {
      while (!s.empty() && (s.back() == ' ' || s.back() == '\n'))
        s.pop_back();
      while (!s.empty() && (s.front() == ' ' || s.front() == '\n'))
        s.erase(s.begin());
    };
    trim(r.discriminator);
  }
  return r;
}

}  // namespace gantry::project
