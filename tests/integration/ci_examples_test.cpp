// The CI examples in examples/ci/ run for real, on this machine: the GitHub
// Actions workflow and the GitLab CI file are parsed with gantry's YAML
// reader and their steps are executed with bash in the order their CI would
// run them (GitHub: jobs in `needs` order, matrix expanded, env merged
// workflow -> job -> step, ${{ }} resolved by a small evaluator that knows
// only what the example uses and fails on anything else, $GITHUB_OUTPUT and
// job outputs handed on; GitLab: stages in order, variables with their
// precedence, parallel:matrix, dotenv reports). Only the step installing a
// gantry release is skipped: the gantry just built is on PATH instead.
//
// Peers are real: docker-registry with basic auth (the busybox base pushed
// to it), a Git server (`git http-backend` behind basic auth) holding a copy
// of examples/ with a release tag 1.5.0 and one later commit. Each job gets a
// fresh clone, as a runner would. `gh` (GitHub's API client) is the only
// stand-in: a script that records its arguments, since GitHub's API cannot
// run here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/base64.h"
#include "core/file.h"
#include "core/process.h"
#include "doc/value.h"
#include "doc/yaml.h"
#include "support/busybox_image.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/git_servers.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Vars = std::map<std::string, std::string>;

const char* const kApps[] = {"api", "worker", "frontend"};
const char* const kRegistryUser = "ci-pusher";
const char* const kRegistryPassword = "registry-Secret-7319";
const char* const kGitToken = "git-Token-5581";

std::string scalar_text(const doc::Value& v) {
  switch (v.type()) {
    case doc::Type::kString:
      return v.as_string();
    case doc::Type::kInt:
      return std::to_string(v.as_int());
    case doc::Type::kBool:
      return v.as_bool() ? "true" : "false";
    default:
      v.fail("a scalar was expected");
  }
}

// Fails (an exception the test reports) when a map holds a key the runner
// does not implement: a feature the examples start using must be taught here.
void only_keys(const doc::Value& map, const std::set<std::string>& known, const std::string& what) {
  for (const auto& m : map.as_map())
    if (!known.count(m.key))
      throw std::runtime_error(what + ": key \"" + m.key + "\" is not supported by this runner");
}

// Every combination of a matrix given as KEY: [values] (or KEY: value).
std::vector<Vars> expand_matrix(const doc::Value& matrix) {
  std::vector<Vars> out{{}};
  for (const auto& m : matrix.as_map()) {
    std::vector<Vars> next;
    std::vector<std::string> values;
    if (m.value.is_list())
      for (const auto& v : m.value.as_list())
        values.push_back(scalar_text(v));
    else
      values.push_back(scalar_text(m.value));
    for (const auto& partial : out)
      for (const auto& v : values) {
        Vars c = partial;
        c[m.key] = v;
        next.push_back(std::move(c));
      }
    out = std::move(next);
  }
  return out;
}

Vars parse_key_values(const std::string& text, const std::string& what) {
  Vars out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos || line.find("<<") != std::string::npos)
      throw std::runtime_error(what + ": unsupported line \"" + line + "\"");
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// Runs `script` with bash as GitHub and GitLab do (errexit, pipefail).
ProcessResult run_script(const fs::path& file, const std::string& script, const fs::path& cwd,
                         const Vars& env) {
  write_file_atomic(file, script);
  ProcessOptions o;
  o.cwd = cwd;
  o.timeout = std::chrono::minutes(5);
  for (const auto& [k, v] : env)
    o.extra_env.push_back(k + "=" + v);
  return run_process({"bash", "--noprofile", "--norc", "-eo", "pipefail", file.string()}, o);
}

// The ${{ }} expressions of the GitHub example: context paths
// (github.*, vars.*, secrets.*, matrix.*, needs.JOB.outputs.*,
// steps.ID.outputs.*), 'string literals' and `||`. Anything else throws.
struct GitHubContext {
  Vars github, vars, secrets, matrix;
  std::map<std::string, Vars> needs;  // only the jobs the current job needs
  std::map<std::string, Vars> steps;  // outputs of the steps run so far
};

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

std::string eval_operand(const std::string& op, const GitHubContext& c) {
  if (op.size() >= 2 && op.front() == '\'' && op.back() == '\'') {
    std::string body = op.substr(1, op.size() - 2);
    if (body.find('\'') != std::string::npos)
      throw std::runtime_error("expression: escaped quotes are not supported: " + op);
    return body;
  }
  std::vector<std::string> parts;
  std::stringstream ss(op);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty() || !std::all_of(p.begin(), p.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
        }))
      throw std::runtime_error("expression: unsupported operand \"" + op + "\"");
    parts.push_back(p);
  }
  auto need = [&](const Vars& m, const std::string& key, bool required) -> std::string {
    auto it = m.find(key);
    if (it != m.end()) return it->second;
    if (required) throw std::runtime_error("expression: " + op + " is not defined");
    return "";
  };
  if (parts.size() == 2 && parts[0] == "github") return need(c.github, parts[1], true);
  if (parts.size() == 2 && parts[0] == "vars") return need(c.vars, parts[1], false);
  if (parts.size() == 2 && parts[0] == "secrets") return need(c.secrets, parts[1], true);
  if (parts.size() == 2 && parts[0] == "matrix") return need(c.matrix, parts[1], true);
  if (parts.size() == 4 && parts[0] == "needs" && parts[2] == "outputs") {
    auto job = c.needs.find(parts[1]);
    if (job == c.needs.end())
      throw std::runtime_error("expression: " + op + ": job " + parts[1] + " is not in needs");
    return need(job->second, parts[3], true);
  }
  if (parts.size() == 4 && parts[0] == "steps" && parts[2] == "outputs") {
    auto step = c.steps.find(parts[1]);
    if (step == c.steps.end())
      throw std::runtime_error("expression: " + op + ": no earlier step has id " + parts[1]);
    return need(step->second, parts[3], false);  // an output never written is empty
  }
  throw std::runtime_error("expression: unsupported context in \"" + op + "\"");
}

std::string eval_expression(const std::string& expr, const GitHubContext& c) {
  std::string result;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t bar = expr.find("||", start);
    std::string op = trim(expr.substr(start, bar == std::string::npos ? bar : bar - start));
    if (op.empty()) throw std::runtime_error("expression: empty operand in \"" + expr + "\"");
    std::string v = eval_operand(op, c);
    if (first || result.empty()) result = v;
    first = false;
    if (bar == std::string::npos) return result;
    start = bar + 2;
  }
}

std::string substitute(const std::string& text, const GitHubContext& c) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("${{", pos);
    if (open == std::string::npos) return out + text.substr(pos);
    size_t close = text.find("}}", open);
    if (close == std::string::npos) throw std::runtime_error("unterminated ${{ in " + text);
    out +=
        text.substr(pos, open - pos) + eval_expression(text.substr(open + 3, close - open - 3), c);
    pos = close + 2;
  }
}

// One run of a CI file: what a user's pipeline would have done.
struct PipelineRun {
  std::string image_tag;
  int executed = 0;  // steps (GitHub) or job scripts (GitLab) run
  int skipped_installs = 0;
  std::vector<std::string> logs;  // every script's output
};

class CiExamples : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!busybox_available()) GTEST_SKIP() << "needs root, namespaces and /bin/busybox";
    if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
    RegistryConfig cfg;
    cfg.user = kRegistryUser;
    cfg.password = kRegistryPassword;
    registry_.emplace(cfg);
    authfile_ = t_.write("auth.json",
                         "{\"auths\":{\"" + registry_->host() + "\":{\"auth\":\"" +
                             base64_encode(std::string(kRegistryUser) + ":" + kRegistryPassword) +
                             "\"}}}\n");
    // The busybox base, made offline and pushed as a user's mirror would hold it.
    fs::path base_ctx = t_.path() / "busybox-base";
    ProcessResult s = run_process(
        {"bash", (source_dir() / "scripts/busybox-base.sh").string(), base_ctx.string()});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    base_image_ = registry_->host() + "/library/busybox:1.36";
    ProcessResult b = gantry({"build", base_ctx.string(), "-t", base_image_, "--push", "--authfile",
                              authfile_.string()});
    ASSERT_EQ(b.exit_code, 0) << b.err;

    // The user's repository: examples/ at release 1.5.0, then one more commit.
    fs::path seed = t_.path() / "seed";
    git_init(seed);
    fs::copy(source_dir() / "examples", seed / "examples", fs::copy_options::recursive);
    git(seed, {"add", "-A"});
    git(seed, {"commit", "-q", "-m", "the shop"});
    release_sha_ = git(seed, {"rev-parse", "HEAD"});
    git(seed, {"tag", "-a", "1.5.0", "-m", "release 1.5.0"});
    main_sha_ = git_commit_file(seed, "README.md", "The shop.\n", "docs: a README");
    fs::create_directories(t_.path() / "git/acme");
    bare_ = t_.path() / "git/acme/shop.git";
    git(t_.path(), {"clone", "-q", "--bare", seed.string(), bare_.string()});

    // gh: records its arguments (GitHub's API is not here).
    fs::create_directories(t_.path() / "stubs");
    write_file_atomic(t_.path() / "stubs/gh", "#!/bin/sh\nprintf '%s\\n' \"$@\" >> \"" +
                                                  (t_.path() / "gh.calls").string() + "\"\n");
    fs::permissions(t_.path() / "stubs/gh", fs::perms::owner_all);
  }

  ProcessResult gantry(const std::vector<std::string>& args) {
    return run_gantry(args, {}, {"XDG_CACHE_HOME=" + (t_.path() / "cache").string()});
  }

  // What every script sees besides the CI's own variables: the built gantry
  // first on PATH, a HOME and cache of the test's own, no git credentials
  // from the test's environment.
  Vars runner_env(const fs::path& job_dir) {
    fs::create_directories(job_dir / "home");
    std::string path = fs::path(GANTRY_BINARY).parent_path().string() + ":" +
                       (t_.path() / "stubs").string() + ":" +
                       (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
    return {{"PATH", path},
            {"HOME", (job_dir / "home").string()},
            {"XDG_CACHE_HOME", (t_.path() / "cache").string()},
            {"GIT_CONFIG_NOSYSTEM", "1"},
            {"GIT_TERMINAL_PROMPT", "0"},
            {"GANTRY_GIT_USERNAME", ""},
            {"GANTRY_GIT_PASSWORD", ""},
            {"GANTRY_GIT_TOKEN", ""},
            {"REGISTRY_AUTH_FILE", ""},
            {"DOCKER_CONFIG", ""},
            {"CI", "true"}};
  }

  // A runner's checkout: a fresh clone whose origin is the Git server, on
  // main (`branch`) or detached at `ref`.
  void checkout(const fs::path& dir, const std::string& origin, const std::string& ref,
                bool branch) {
    git(t_.path(), {"clone", "-q", bare_.string(), dir.string()});
    git(dir, {"remote", "set-url", "origin", origin});
    if (!branch) git(dir, {"checkout", "-q", "--detach", ref});
  }

  PipelineRun run_github(const std::string& origin, bool release) {
    const doc::Value wf =
        doc::read_yaml_file((source_dir() / "examples/ci/github/image-ci.yml").string()).at(0);
    // gantry reads plain YAML as kubectl does (YAML 1.1 booleans), so the key
    // `on` comes back as "true"; GitHub reads it as the string "on".
    only_keys(wf, {"name", "on", "true", "permissions", "env", "jobs"}, "workflow");
    const std::string ref = release ? "refs/tags/1.5.0" : "refs/heads/main";
    const std::string sha = release ? release_sha_ : main_sha_;
    GitHubContext ctx;
    ctx.github = {{"ref", ref}, {"sha", sha}, {"repository", "acme/shop"}};
    ctx.vars = {{"REGISTRY", registry_->host()}, {"BASE_IMAGE", base_image_}};
    ctx.secrets = {{"REGISTRY_USERNAME", kRegistryUser},
                   {"REGISTRY_PASSWORD", kRegistryPassword},
                   {"GITHUB_TOKEN", kGitToken}};

    // Jobs in `needs` order.
    const doc::Value& jobs = *wf.find("jobs");
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> needs;
    for (const auto& j : jobs.as_map()) {
      const doc::Value* n = j.value.find("needs");
      if (n && n->is_list())
        for (const auto& x : n->as_list())
          needs[j.key].push_back(x.as_string());
      else if (n)
        needs[j.key].push_back(n->as_string());
    }
    while (order.size() < jobs.size()) {
      size_t before = order.size();
      for (const auto& j : jobs.as_map()) {
        if (std::count(order.begin(), order.end(), j.key)) continue;
        bool ready = std::all_of(needs[j.key].begin(), needs[j.key].end(), [&](const auto& n) {
          return std::count(order.begin(), order.end(), n) > 0;
        });
        if (ready) order.push_back(j.key);
      }
      if (order.size() == before) throw std::runtime_error("jobs: a needs cycle or unknown job");
    }

    PipelineRun run;
    std::map<std::string, Vars> job_outputs;
    for (const auto& name : order) {
      const doc::Value& job = *jobs.find(name);
      only_keys(job, {"runs-on", "needs", "outputs", "strategy", "env", "steps"}, "job " + name);
      std::vector<Vars> combos{{}};
      if (const doc::Value* st = job.find("strategy")) {
        only_keys(*st, {"matrix"}, "strategy");
        combos = expand_matrix(*st->find("matrix"));
      }
      for (size_t ci = 0; ci < combos.size(); ++ci) {
        fs::path job_dir = t_.path() / "gh" / (name + "-" + std::to_string(ci));
        fs::path ws = job_dir / "ws", temp = job_dir / "tmp";
        fs::create_directories(temp);
        ctx.matrix = combos[ci];
        ctx.needs.clear();
        for (const auto& n : needs[name])
          ctx.needs[n] = job_outputs[n];
        ctx.steps.clear();
        Vars env = runner_env(job_dir);
        env.insert({{"GITHUB_ACTIONS", "true"},
                    {"GITHUB_REF", ref},
                    {"GITHUB_SHA", sha},
                    {"GITHUB_REPOSITORY", "acme/shop"},
                    {"GITHUB_WORKSPACE", ws.string()},
                    {"RUNNER_TEMP", temp.string()}});
        for (const doc::Value* block : {wf.find("env"), job.find("env")})
          if (block)
            for (const auto& m : block->as_map())
              env[m.key] = substitute(scalar_text(m.value), ctx);
        int index = 0;
        for (const auto& step : job.find("steps")->as_list()) {
          ++index;
          only_keys(step, {"name", "id", "uses", "with", "run", "env"}, "step");
          if (const doc::Value* uses = step.find("uses")) {
            if (uses->as_string().rfind("actions/checkout@", 0) != 0)
              throw std::runtime_error("uses: " + uses->as_string() + " is not supported");
            // The test clones everything; a shallow checkout (the action's
            // default) would hide the tags gantry version-tag needs.
            const doc::Value* depth = step.find_path({"with", "fetch-depth"});
            if (!depth || scalar_text(*depth) != "0")
              throw std::runtime_error("job " + name + ": checkout without fetch-depth: 0");
            checkout(ws, origin, "1.5.0", !release);
            ++run.executed;
            continue;
          }
          std::string id = step.get_string("id");
          if (id == "install-gantry") {
            ++run.skipped_installs;
            continue;
          }
          Vars step_env = env;
          if (const doc::Value* e = step.find("env"))
            for (const auto& m : e->as_map())
              step_env[m.key] = substitute(scalar_text(m.value), ctx);
          fs::path out_file = temp / ("output-" + std::to_string(index));
          write_file_atomic(out_file, "");
          step_env["GITHUB_OUTPUT"] = out_file.string();
          step_env["GITHUB_PATH"] = (temp / "path").string();
          std::string script = step.find("run")->as_string();
          EXPECT_THAT(script, Not(HasSubstr("${{")))
              << "expressions belong in env:, not in run: (" << name << ")";
          ProcessResult r =
              run_script(temp / ("step-" + std::to_string(index) + ".sh"), script, ws, step_env);
          run.logs.push_back(r.out + r.err);
          ++run.executed;
          if (r.exit_code != 0)
            throw std::runtime_error("job " + name + " step \"" + step.get_string("name") +
                                     "\" failed (" + std::to_string(r.exit_code) + "):\n" + r.out +
                                     r.err);
          if (!id.empty()) ctx.steps[id] = parse_key_values(read_file(out_file), "GITHUB_OUTPUT");
        }
        if (const doc::Value* outs = job.find("outputs"))
          for (const auto& m : outs->as_map())
            job_outputs[name][m.key] = substitute(scalar_text(m.value), ctx);
      }
    }
    run.image_tag = job_outputs["version-tag"]["image_tag"];
    return run;
  }

  PipelineRun run_gitlab(const std::string& server_url, bool release) {
    const doc::Value ci =
        doc::read_yaml_file((source_dir() / "examples/ci/gitlab/.gitlab-ci.yml").string()).at(0);
    const std::set<std::string> reserved{"workflow", "stages", "variables", "default"};
    // The project's CI/CD variables (they win over the file's) and the
    // predefined ones of a pipeline for main or for the tag 1.5.0.
    const std::string sha = release ? release_sha_ : main_sha_;
    Vars project{{"REGISTRY", registry_->host()},
                 {"BASE_IMAGE", base_image_},
                 {"REGISTRY_USER", kRegistryUser},
                 {"REGISTRY_PASSWORD", kRegistryPassword},
                 {"GANTRY_GIT_TOKEN", kGitToken}};
    Vars predefined{{"GITLAB_CI", "true"},           {"CI_COMMIT_SHA", sha},
                    {"CI_DEFAULT_BRANCH", "main"},   {"CI_SERVER_URL", server_url},
                    {"CI_SERVER_HOST", "127.0.0.1"}, {"CI_PROJECT_PATH", "acme/shop"}};
    if (release) {
      predefined["CI_COMMIT_TAG"] = "1.5.0";
      predefined["CI_COMMIT_REF_NAME"] = "1.5.0";
    } else {
      predefined["CI_COMMIT_BRANCH"] = "main";
      predefined["CI_COMMIT_REF_NAME"] = "main";
    }
    // The test clones everything; GitLab's default shallow clone would hide
    // the tags gantry version-tag needs.
    if (ci.find_path({"variables", "GIT_DEPTH"}) == nullptr ||
        scalar_text(*ci.find_path({"variables", "GIT_DEPTH"})) != "0")
      throw std::runtime_error("variables: GIT_DEPTH must be \"0\"");
    const doc::Value* defaults = ci.find("default");
    if (defaults) only_keys(*defaults, {"image", "before_script"}, "default");

    std::vector<std::string> stages;
    for (const auto& s : ci.find("stages")->as_list())
      stages.push_back(s.as_string());
    std::vector<std::string> jobs;  // by stage, then in file order
    for (const auto& stage : stages)
      for (const auto& m : ci.as_map())
        if (!reserved.count(m.key) && m.value.get_string("stage") == stage) jobs.push_back(m.key);
    for (const auto& m : ci.as_map())
      if (!reserved.count(m.key) && !std::count(jobs.begin(), jobs.end(), m.key))
        throw std::runtime_error("job " + m.key + " has no known stage");

    PipelineRun run;
    std::map<std::string, Vars> dotenv;
    for (const auto& name : jobs) {
      const doc::Value& job = *ci.find(name);
      only_keys(job, {"stage", "needs", "parallel", "script", "variables", "artifacts"},
                "job " + name);
      std::vector<std::string> needs;
      if (const doc::Value* n = job.find("needs"))
        for (const auto& x : n->as_list())
          needs.push_back(x.as_string());
      else
        for (const auto& [j, _] : dotenv)
          needs.push_back(j);
      std::vector<Vars> combos{{}};
      if (const doc::Value* p = job.find("parallel")) {
        only_keys(*p, {"matrix"}, "parallel");
        combos.clear();
        for (const auto& entry : p->find("matrix")->as_list())
          for (auto& c : expand_matrix(entry))
            combos.push_back(std::move(c));
      }
      for (size_t ci_index = 0; ci_index < combos.size(); ++ci_index) {
        fs::path job_dir = t_.path() / "gl" / (name + "-" + std::to_string(ci_index));
        fs::path ws = job_dir / "ws";
        checkout(ws, "http://gitlab-ci-token@127.0.0.1/acme/shop.git", sha, false);
        // Precedence, lowest first: predefined, the file's global variables,
        // the job's, its matrix, dotenv reports it needs, project variables.
        Vars env = runner_env(job_dir);
        for (const auto& [k, v] : predefined)
          env[k] = v;
        env["CI_PROJECT_DIR"] = ws.string();
        for (const doc::Value* block : {ci.find("variables"), job.find("variables")})
          if (block)
            for (const auto& m : block->as_map()) {
              env[m.key] = scalar_text(m.value);
              if (env[m.key].find('$') != std::string::npos)  // GitLab would expand it
                throw std::runtime_error("variable " + m.key + ": $ expansion is not supported");
            }
        for (const auto& [k, v] : combos[ci_index])
          env[k] = v;
        for (const auto& n : needs)
          for (const auto& [k, v] : dotenv[n])
            env[k] = v;
        for (const auto& [k, v] : project)
          env[k] = v;
        if (defaults && defaults->find("before_script")) ++run.skipped_installs;
        std::string script;
        for (const auto& line : job.find("script")->as_list())
          script += line.as_string() + "\n";
        ProcessResult r = run_script(job_dir / "script.sh", script, ws, env);
        run.logs.push_back(r.out + r.err);
        ++run.executed;
        if (r.exit_code != 0)
          throw std::runtime_error("job " + name + " failed (" + std::to_string(r.exit_code) +
                                   "):\n" + r.out + r.err);
        if (const doc::Value* a = job.find("artifacts")) {
          only_keys(*a, {"reports"}, "artifacts");
          only_keys(*a->find("reports"), {"dotenv"}, "artifacts:reports");
          Vars values = parse_key_values(
              read_file(ws / a->find("reports")->find("dotenv")->as_string()), "dotenv");
          dotenv[name].insert(values.begin(), values.end());
        }
      }
    }
    run.image_tag = dotenv["version-tag"]["IMAGE_TAG"];
    return run;
  }

  // The file at `path` in commit `rev` of the server's repository.
  std::string show(const std::string& rev, const std::string& path) {
    return git(bare_, {"show", rev + ":" + path});
  }

  // `original` with the value of each line ending in `# MARKER` set to `tag`.
  static std::string bumped(const std::string& original, const std::string& marker,
                            const std::string& tag) {
    std::string out;
    std::istringstream in(original);
    for (std::string line; std::getline(in, line);) {
      std::string suffix = " # " + marker;
      if (line.size() > suffix.size() &&
          line.compare(line.size() - suffix.size(), suffix.size(), suffix) == 0) {
        size_t colon = line.find(": ");
        line = line.substr(0, colon + 2) + tag + suffix;
      }
      out += line + "\n";
    }
    return out;
  }

  // Every hand-off of a pipeline run: the tag, the images, the commit.
  void check_pipeline(const PipelineRun& run, bool release, const std::string& expected_author) {
    const std::string sha = release ? release_sha_ : main_sha_;
    // The tag: what git describe prints for the commit built.
    fs::path ref_clone = t_.path() / ("describe-" + std::to_string(release));
    checkout(ref_clone, bare_.string(), sha, false);
    std::string described = git(ref_clone, {"describe", "--tags", "--always", "--first-parent",
                                            "--match", "[0-9]*.[0-9]*.[0-9]*"});
    EXPECT_EQ(run.image_tag, described);
    if (release)
      EXPECT_EQ(run.image_tag, "1.5.0");
    else
      EXPECT_EQ(run.image_tag, "1.5.0-1-g" + main_sha_.substr(0, 7));

    // The images: each in the registry at that tag, the digest the build printed.
    std::string all_logs;
    for (const auto& l : run.logs)
      all_logs += l;
    for (const char* app : kApps) {
      ProcessResult r =
          run_process({"skopeo", "inspect", "--tls-verify=false", "--creds",
                       std::string(kRegistryUser) + ":" + kRegistryPassword, "--format",
                       "{{.Digest}} {{index .Labels \"org.opencontainers.image.revision\"}}",
                       "docker://" + registry_->host() + "/shop/" + app + ":" + run.image_tag});
      ASSERT_EQ(r.exit_code, 0) << app << ": " << r.err;
      std::string line = trim(r.out.substr(0, r.out.find('\n')));
      std::string digest = line.substr(0, line.find(' '));
      EXPECT_EQ(digest.rfind("sha256:", 0), 0u) << line;
      EXPECT_EQ(line.substr(line.find(' ') + 1), sha) << app << ": the commit it was built from";
      EXPECT_THAT(all_logs, HasSubstr(digest + "\n")) << app;
    }

    // The commit: on its own branch, child of the commit built, changing
    // exactly the marked values.
    std::string branch = "gantry/image-tags-" + run.image_tag;
    EXPECT_EQ(git(bare_, {"rev-parse", branch + "^"}), sha);
    EXPECT_EQ(git(bare_, {"rev-parse", "main"}), main_sha_) << "main itself is not pushed to";
    std::set<std::string> expected_files;
    for (const char* app : kApps) {
      expected_files.insert("examples/shop/services/" + std::string(app) + "/config/staging.yaml");
      if (release)
        expected_files.insert("examples/shop/services/" + std::string(app) +
                              "/config/production.yaml");
    }
    std::string names = git(bare_, {"diff", "--name-only", sha, branch});
    std::set<std::string> changed;
    std::istringstream in(names);
    for (std::string l; std::getline(in, l);)
      changed.insert(l);
    EXPECT_EQ(changed, expected_files);
    for (const auto& f : expected_files) {
      std::string marker =
          f.find("staging") != std::string::npos ? "STAGING_IMAGE_TAG" : "PRODUCTION_IMAGE_TAG";
      std::string before = show(sha, f) + "\n";  // git() drops the last newline
      std::string after = show(branch, f) + "\n";
      EXPECT_NE(before, after) << f;
      EXPECT_EQ(after, bumped(before, marker, run.image_tag)) << f;
    }
    EXPECT_EQ(git(bare_, {"log", "-1", "--format=%s", branch}),
              "Update image tags to (" + run.image_tag + ")");
    EXPECT_EQ(git(bare_, {"log", "-1", "--format=%an <%ae>", branch}), expected_author);

    // Secrets: never in any step's output.
    EXPECT_THAT(all_logs, Not(HasSubstr(kRegistryPassword)));
    EXPECT_THAT(all_logs, Not(HasSubstr(kGitToken)));
    EXPECT_THAT(
        all_logs,
        Not(HasSubstr(base64_encode(std::string(kRegistryUser) + ":" + kRegistryPassword))));
  }

  void github(bool release) {
    GitHttpServer server(t_.path() / "git", "x-access-token", kGitToken);
    PipelineRun run;
    try {
      run = run_github(server.url("acme/shop.git"), release);
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    // version-tag: checkout + tag; build x3: checkout, login, build; update:
    // checkout, update, pull request. One install step per job run is skipped.
    EXPECT_EQ(run.executed, 2 + 3 * 3 + 3);
    EXPECT_EQ(run.skipped_installs, 5);
    check_pipeline(run, release,
                   "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>");
    std::string calls = read_file(t_.path() / "gh.calls");
    EXPECT_EQ(calls, "pr\ncreate\n--base\nmain\n--head\ngantry/image-tags-" + run.image_tag +
                         "\n--title\nUpdate image tags to (" + run.image_tag +
                         ")\n--body\nMade by gantry update in the image-ci workflow.\n");
  }

  void gitlab(bool release) {
    GitHttpServer server(t_.path() / "git", "oauth2", kGitToken);
    std::string url = server.url("");
    url.pop_back();  // CI_SERVER_URL has no trailing slash
    PipelineRun run;
    try {
      run = run_gitlab(url, release);
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
    // version-tag, build x3, update-tags; before_script (the install) skipped in each.
    EXPECT_EQ(run.executed, 1 + 3 + 1);
    EXPECT_EQ(run.skipped_installs, 5);
    check_pipeline(run, release, "GitLab CI <gitlab-ci@127.0.0.1>");
    EXPECT_GT(server.served(), 0);
  }

  TempDir t_;
  std::optional<TestRegistry> registry_;
  fs::path authfile_, bare_;
  std::string base_image_, release_sha_, main_sha_;
};

TEST_F(CiExamples, GitHubPushToMain) {
  github(false);
}

TEST_F(CiExamples, GitHubReleaseTag) {
  github(true);
}

TEST_F(CiExamples, GitLabPushToMain) {
  gitlab(false);
}

TEST_F(CiExamples, GitLabReleaseTag) {
  gitlab(true);
}

}  // namespace
}  // namespace gantry::testing

namespace gantry::testing {
namespace {

// The evaluator resolves what the GitHub example uses and refuses the rest,
// so an example that starts using more fails CiExamples instead of running
// with a wrong value.
TEST(CiExamplesExpressions, ResolveWhatTheExampleUsesAndRefuseTheRest) {
  GitHubContext c;
  c.github = {{"ref", "refs/heads/main"}};
  c.vars = {{"REGISTRY", "127.0.0.1:5000"}};
  c.secrets = {{"TOKEN", "t"}};
  c.matrix = {{"app", "api"}};
  c.needs = {{"version-tag", {{"image_tag", "1.5.0"}}}};
  c.steps = {{"update", {}}};
  EXPECT_EQ(substitute("${{ vars.REGISTRY || 'ghcr.io/acme' }}", c), "127.0.0.1:5000");
  EXPECT_EQ(substitute("${{ vars.BASE_IMAGE || 'busybox:1.36' }}", c), "busybox:1.36");
  EXPECT_EQ(substitute("x-${{ matrix.app }}-${{ needs.version-tag.outputs.image_tag }}", c),
            "x-api-1.5.0");
  EXPECT_EQ(substitute("${{ steps.update.outputs.branch }}", c), "");
  EXPECT_EQ(substitute("${{ github.ref }}", c), "refs/heads/main");
  for (const char* bad :
       {"${{ matrix.app == 'api' }}", "${{ format('{0}', matrix.app) }}", "${{ env.APP }}",
        "${{ github.event.head_commit.message }}", "${{ secrets.MISSING }}",
        "${{ matrix.missing }}", "${{ needs.build.outputs.x }}", "${{ steps.other.outputs.x }}",
        "${{ !vars.REGISTRY }}", "${{ 'it''s' }}", "${{ vars.REGISTRY ||  }}", "${{ github.ref"})
    EXPECT_THROW(substitute(bad, c), std::runtime_error) << bad;
}

}  // namespace
}  // namespace gantry::testing
