#include "kustomize/helm_chart.h"

#include <stdlib.h>

#include <chrono>
#include <set>
#include <string_view>

#include "core/file.h"
#include "core/process.h"
#include "doc/json.h"

namespace gantry::kustomize::detail {

namespace fs = std::filesystem;

namespace {

Location where_at(const doc::Value& v, const std::string& file) {
  return v.span().known() ? v.span().location() : Location{file};
}

// Like kubectl, which decodes the kustomization into Go types: a number where
// a string belongs is an error.
std::string str(const doc::Value& v, const std::string& what, const std::string& file) {
  if (v.is_null()) return {};
  if (!v.is_string())
    throw Error(where_at(v, file), what + " must be a string (quote it; in " + file + ")");
  return v.as_string();
}

bool boolean(const doc::Value& v, const std::string& what, const std::string& file) {
  if (v.is_null()) return false;
  if (!v.is_bool())
    throw Error(where_at(v, file), what + " must be true or false (in " + file + ")");
  return v.as_bool();
}

std::vector<std::string> str_list(const doc::Value& v, const std::string& what,
                                  const std::string& file) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (!v.is_list()) throw Error(where_at(v, file), what + " must be a list (in " + file + ")");
  for (const auto& e : v.as_list())
    out.push_back(str(e, what, file));
  return out;
}

// A temporary directory for helm's values file and, unless configHome is
// given, HELM_CONFIG_HOME; removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gantry-kustomize-helm-XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      throw Error("cannot create a temporary directory for helm", ExitCode::kExternal);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

enum class Kind { kNull, kMap, kList, kScalar };
Kind kind_of(const doc::Value& v) {
  if (v.is_null()) return Kind::kNull;
  if (v.is_map()) return Kind::kMap;
  if (v.is_list()) return Kind::kList;
  return Kind::kScalar;
}

// kyaml's merge2.Merge(src, dest) without a schema: maps merge key by key, a
// null in `src` removes the key, lists and scalars of `src` replace those of
// `dest`; a map, list or scalar against another of these is an error.
void merge_values(doc::Value& dest, const doc::Value& src, const std::string& path,
                  const Location& where) {
  for (const auto& m : src.as_map()) {
    std::string at = path.empty() ? m.key : path + "." + m.key;
    doc::Value* d = dest.find(m.key);
    if (m.value.is_null()) {
      dest.erase(m.key);
      continue;
    }
    if (!d || d->is_null()) {
      dest.set(m.key, m.value);
      continue;
    }
    if (kind_of(*d) != kind_of(m.value))
      throw Error(where, "could not merge values: " + at +
                             " is a mapping, a list or a scalar in one and another kind in the "
                             "other (wrong node kind)");
    if (m.value.is_map())
      merge_values(*d, m.value, at, where);
    else
      *d = m.value;
  }
}

fs::path abs_chart_home(const HelmChartSpec& c, const fs::path& dir) {
  std::string home = c.globals.chart_home.empty() ? "charts" : c.globals.chart_home;
  fs::path h = fs::path(home).is_absolute() ? fs::path(home) : dir / home;
  // kustomize keeps a chart pulled at a version from a repo in its own folder.
  if (!c.version.empty() && !c.repo.empty()) h /= c.name + "-" + c.version;
  return h.lexically_normal();
}

std::string join(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

std::string run_helm(const HelmRunner& runner, const HelmChartSpec& c,
                     const std::vector<std::string>& args, const fs::path& config_home) {
  std::vector<std::string> argv{runner.command};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(5);
  std::string home = config_home.string();
  opts.extra_env = {"HELM_CONFIG_HOME=" + home, "HELM_CACHE_HOME=" + home + "/.cache",
                    "HELM_DATA_HOME=" + home + "/.data"};
  std::string what = "helm chart " + c.name + ": '" + runner.command + " " + join(args) + "'";
  ProcessResult r;
  try {
    r = run_process(argv, opts);
  } catch (Error& e) {
    throw Error(c.where, what + " cannot run (is '" + runner.command + "' installed?): " + e.str(),
                ExitCode::kExternal);
  }
  if (r.timed_out) throw Error(c.where, what + " timed out", ExitCode::kExternal);
  if (r.exit_code != 0)
    throw Error(c.where, what + " failed (exit " + std::to_string(r.exit_code) + "): " + r.err,
                ExitCode::kExternal);
  return r.out;
}

void check_chart_name(const HelmChartSpec& c) {
  if (c.name.empty()) throw Error(c.where, "chart name cannot be empty");
  fs::path p(c.name);
  bool climbs = p.is_absolute() || c.name == ".";
  for (const auto& part : p)
    climbs = climbs || part == "..";
  if (climbs)
    throw Error(c.where, "chart name \"" + c.name +
                             "\" leaves the chart home (an absolute path, '.' or '..')");
}

}  // namespace

HelmGlobals parse_helm_globals(const doc::Value* v, const std::string& file) {
  HelmGlobals g;
  if (!v || v->is_null()) return g;
  if (!v->is_map()) throw Error(where_at(*v, file), "helmGlobals must be a mapping");
  for (const auto& m : v->as_map()) {
    if (m.key == "chartHome")
      g.chart_home = str(m.value, "helmGlobals.chartHome", file);
    else if (m.key == "configHome")
      g.config_home = str(m.value, "helmGlobals.configHome", file);
    else
      throw Error(where_at(m.value, file),
                  "helmGlobals field \"" + m.key + "\" in " + file + " is not supported");
  }
  return g;
}

HelmChartSpec parse_helm_chart(const doc::Value& e, const std::string& file, bool plugin) {
  const std::string what = plugin ? "HelmChartInflationGenerator" : "helmCharts";
  if (!e.is_map()) throw Error(where_at(e, file), what + " entries must be mappings");
  HelmChartSpec c;
  c.where = where_at(e, file);
  for (const auto& m : e.as_map()) {
    const std::string& k = m.key;
    std::string field = what + "." + k;
    if (k == "name")
      c.name = str(m.value, field, file);
    else if (k == "version")
      c.version = str(m.value, field, file);
    else if (k == "repo")
      c.repo = str(m.value, field, file);
    else if (k == "releaseName")
      c.release_name = str(m.value, field, file);
    else if (k == "namespace")
      c.ns = str(m.value, field, file);
    else if (k == "nameTemplate")
      c.name_template = str(m.value, field, file);
    else if (k == "valuesFile")
      c.values_file = str(m.value, field, file);
    else if (k == "valuesMerge")
      c.values_merge = str(m.value, field, file);
    else if (k == "kubeVersion")
      c.kube_version = str(m.value, field, file);
    else if (k == "additionalValuesFiles")
      c.additional_values_files = str_list(m.value, field, file);
    else if (k == "apiVersions")
      c.api_versions = str_list(m.value, field, file);
    else if (k == "includeCRDs")
      c.include_crds = boolean(m.value, field, file);
    else if (k == "skipHooks")
      c.skip_hooks = boolean(m.value, field, file);
    else if (k == "skipTests")
      c.skip_tests = boolean(m.value, field, file);
    else if (k == "debug")
      c.debug = boolean(m.value, field, file);
    else if (k == "valuesInline") {
      if (!m.value.is_null() && !m.value.is_map())
        throw Error(where_at(m.value, file), field + " must be a mapping (in " + file + ")");
      c.values_inline = m.value;
    } else if (plugin && k == "chartHome")
      c.globals.chart_home = str(m.value, field, file);
    else if (plugin && k == "configHome")
      c.globals.config_home = str(m.value, field, file);
    else if (plugin && (k == "apiVersion" || k == "kind" || k == "metadata"))
      continue;
    else
      throw Error(where_at(m.value, file),
                  what + " field \"" + k + "\" in " + file + " is not supported");
  }
  return c;
}

std::vector<HelmChartSpec> parse_legacy_helm_charts(const doc::Value& list, const std::string& file,
                                                    HelmGlobals& globals, bool globals_given) {
  std::vector<HelmChartSpec> out;
  if (list.is_null()) return out;
  if (!list.is_list())
    throw Error(where_at(list, file), "helmChartInflationGenerator must be a list");
  HelmGlobals legacy;
  for (const auto& e : list.as_list()) {
    if (!e.is_map())
      throw Error(where_at(e, file), "helmChartInflationGenerator entries must be mappings");
    HelmChartSpec c;
    c.where = where_at(e, file);
    for (const auto& m : e.as_map()) {
      const std::string& k = m.key;
      std::string field = "helmChartInflationGenerator." + k;
      if (k == "chartName")
        c.name = str(m.value, field, file);
      else if (k == "chartVersion")
        c.version = str(m.value, field, file);
      else if (k == "chartRepoUrl")
        c.repo = str(m.value, field, file);
      else if (k == "values")
        c.values_file = str(m.value, field, file);
      else if (k == "valuesMerge")
        c.values_merge = str(m.value, field, file);
      else if (k == "releaseName")
        c.release_name = str(m.value, field, file);
      else if (k == "valuesLocal") {
        if (!m.value.is_null() && !m.value.is_map())
          throw Error(where_at(m.value, file), field + " must be a mapping");
        c.values_inline = m.value;
      } else if (k == "chartHome") {
        if (std::string s = str(m.value, field, file); !s.empty()) legacy.chart_home = s;
      } else if (k == "helmHome") {
        if (std::string s = str(m.value, field, file); !s.empty()) legacy.config_home = s;
      } else if (k == "chartRepoName" || k == "helmBin" || k == "releaseNamespace" ||
                 k == "extraArgs") {
        continue;  // read but unused by kustomize v5.5 too
      } else {
        throw Error(where_at(m.value, file), "helmChartInflationGenerator field \"" + k + "\" in " +
                                                 file + " is not supported");
      }
    }
    out.push_back(std::move(c));
  }
  if (!globals_given && (!legacy.chart_home.empty() || !legacy.config_home.empty()))
    globals = legacy;
  return out;
}

void throw_helm_not_enabled(const HelmChartSpec& c) {
  throw Error(c.where, "trouble configuring builtin HelmChartInflationGenerator for chart \"" +
                           c.name +
                           "\": must specify --enable-helm (gantry kustomize --enable-helm "
                           "[--helm-command PATH])");
}

std::string inflate_helm_chart(HelmChartSpec c, const HelmRunner& runner) {
  if (runner.command.empty()) throw_helm_not_enabled(c);
  // kustomize sets the flags' values first and then reads the chart's
  // config over them: a chart's own kubeVersion / apiVersions win.
  if (c.kube_version.empty()) c.kube_version = runner.kube_version;
  if (c.api_versions.empty()) c.api_versions = runner.api_versions;
  check_chart_name(c);
  static const std::set<std::string> kMerges = {"override", "merge", "replace"};
  if (c.values_merge.empty()) c.values_merge = "override";
  if (!kMerges.count(c.values_merge))
    throw Error(c.where, "valuesMerge must be one of [merge override replace], not \"" +
                             c.values_merge + "\"");
  // Values files are read from within the kustomization's directory.
  std::vector<fs::path> additional;
  for (const auto& f : c.additional_values_files) {
    fs::path p = fs::path(f).is_absolute() ? fs::path(f) : runner.dir / f;
    p = p.lexically_normal();
    runner.load(p, c.where);  // checks it like kustomize's loader, before anything runs
    additional.push_back(p);
  }
  fs::path home = abs_chart_home(c, runner.dir);
  fs::path chart_dir = home / c.name;
  runner.check_dir(chart_dir, c.where);
  TempDir tmp;
  fs::path config_home =
      c.globals.config_home.empty() ? tmp.path() / "helm" : fs::path(c.globals.config_home);

  if (!fs::is_directory(chart_dir)) {
    if (c.repo.empty())
      throw Error(c.where,
                  "no repo specified for pull, no chart found at '" + chart_dir.string() + "'",
                  ExitCode::kNotFound);
    std::vector<std::string> pull{"pull", "--untar", "--untardir", home.string()};
    if (c.repo.rfind("oci://", 0) == 0) {
      std::string repo = c.repo;
      if (repo.ends_with("/")) repo.pop_back();
      pull.push_back(repo + "/" + c.name);
    } else {
      pull.insert(pull.end(), {"--repo", c.repo, c.name});
    }
    if (!c.version.empty()) pull.insert(pull.end(), {"--version", c.version});
    run_helm(runner, c, pull, config_home);
    if (!fs::is_directory(chart_dir))
      throw Error(c.where, "helm pull of chart " + c.name + " from " + c.repo +
                               " left no chart at " + chart_dir.string());
  }

  // The values file helm gets: the chart's values.yaml (or valuesFile) as
  // it is, or merged with valuesInline, or valuesInline alone (replace).
  fs::path values_file = c.values_file.empty()                   ? chart_dir / "values.yaml"
                         : fs::path(c.values_file).is_absolute() ? fs::path(c.values_file)
                                                                 : runner.dir / c.values_file;
  values_file = values_file.lexically_normal();
  std::string values_text;
  bool has_inline = c.values_inline.is_map() && !c.values_inline.as_map().empty();
  if (!has_inline) {
    values_text = runner.load(values_file, c.where);
  } else {
    doc::Value merged = c.values_inline;
    if (c.values_merge != "replace") {
      std::string text = runner.load(values_file, c.where);
      // Read as kustomize reads it (kyaml: `yes` stays a string).
      std::vector<doc::Value> docs = runner.parse(text, values_file.string());
      doc::Value file_values = docs.empty() ? doc::Value::map() : docs.front();
      if (file_values.is_null()) file_values = doc::Value::map();
      if (!file_values.is_map())
        throw Error(Location{values_file.string()}, "a helm values file must be a mapping");
      if (c.values_merge == "override") {
        merged = file_values;
        merge_values(merged, c.values_inline, "", c.where);
      } else {
        merge_values(merged, file_values, "", c.where);
      }
    }
    values_text = doc::to_json(merged);
  }
  fs::path tmp_values = tmp.path() / (c.name + "-kustomize-values.yaml");
  write_file_atomic(tmp_values, values_text);

  std::vector<std::string> args{"template"};
  if (!c.release_name.empty())
    args.push_back(c.release_name);
  else
    args.push_back("--generate-name");
  args.push_back(chart_dir.string());
  if (!c.ns.empty()) args.insert(args.end(), {"--namespace", c.ns});
  if (!c.name_template.empty()) args.insert(args.end(), {"--name-template", c.name_template});
  args.insert(args.end(), {"-f", tmp_values.string()});
  for (const auto& f : additional)
    args.insert(args.end(), {"-f", f.string()});
  for (const auto& v : c.api_versions)
    args.insert(args.end(), {"--api-versions", v});
  if (!c.kube_version.empty()) args.insert(args.end(), {"--kube-version", c.kube_version});
  if (c.include_crds) args.push_back("--include-crds");
  if (c.skip_tests) args.push_back("--skip-tests");
  if (c.skip_hooks) args.push_back("--no-hooks");
  if (c.debug) args.push_back("--debug");
  return run_helm(runner, c, args, config_home);
}

}  // namespace gantry::kustomize::detail
