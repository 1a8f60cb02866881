// Projects with `git:` deployment items, rendered by the gantry binary
// against a real `git daemon`: the course's kluctl-gitops project (its
// GitHub URLs rewritten to a local mirror with --git-url-rewrite) for both
// clusters, kluctl's item forms, --offline with and without a cache, the
// --git-lock file, and bad input (unknown ref, unreachable server, missing
// subDir) failing with the item's file:line and nothing rendered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/file.h"
#include "doc/value.h"
#include "doc/yaml.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/git_servers.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// kluctl's install/controller and install/webui, reduced to what the course
// needs: kluctl-style projects (deployment.yaml + a manifests directory) whose
// objects live in the kluctl-system namespace the course's gitops project
// creates. The controller's manifest uses the parent's vars (args) and a
// template include from its own repository.
std::map<std::string, std::string> mirror_files(int replicas) {
  return {
      {"install/controller/deployment.yaml", "deployments:\n  - path: controller\n"},
      {"install/controller/controller/labels.j2", "app.kubernetes.io/name: kluctl-controller\n"},
      {"install/controller/controller/manager.yaml",
       "apiVersion: apps/v1\n"
       "kind: Deployment\n"
       "metadata:\n"
       "  name: kluctl-controller\n"
       "  namespace: kluctl-system\n"
       "  annotations:\n"
       "    example.com/cluster: \"{{ args.cluster_name }}\"\n"
       "spec:\n"
       "  replicas: " +
           std::to_string(replicas) +
           "\n"
           "  selector:\n"
           "    matchLabels:\n"
           "      {% include \"install/controller/controller/labels.j2\" %}\n"
           "  template:\n"
           "    metadata:\n"
           "      labels:\n"
           "        {% include \"install/controller/controller/labels.j2\" %}\n"
           "    spec:\n"
           "      containers:\n"
           "        - name: manager\n"
           "          image: ghcr.io/kluctl/kluctl:v2.24.1\n"},
      {"install/controller/controller/service-account.yaml",
       "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: kluctl-controller\n"
       "  namespace: kluctl-system\n"},
      {"install/webui/deployment.yaml", "deployments:\n  - path: webui\n"},
      {"install/webui/webui/service.yaml",
       "apiVersion: v1\nkind: Service\nmetadata:\n  name: kluctl-webui\n"
       "  namespace: kluctl-system\nspec:\n  ports:\n    - port: 8080\n"},
  };
}

struct Outcome {
  int code = 0;
  std::string out, err;
};

class GitItems : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path seed = dir_.path() / "seed";
    git_init(seed);
    for (const auto& [file, content] : mirror_files(1))
      git_commit_file(seed, file, content, "add " + file);
    git(seed, {"tag", "v2.24.1"});
    tag_commit_ = git(seed, {"rev-parse", "HEAD"});
    // main moves on after the tag: the tag's content must be what renders.
    git_commit_file(seed, "install/controller/controller/manager.yaml",
                    mirror_files(2).at("install/controller/controller/manager.yaml"),
                    "two replicas");
    fs::create_directories(dir_.path() / "repos" / "kluctl");
    git(dir_.path(), {"clone", "-q", "--bare", seed.string(),
                      (dir_.path() / "repos" / "kluctl" / "kluctl.git").string()});
    // A repository that is a project at its root (for `git: URL`).
    make_bare_repo(
        dir_.path() / "repos", "simple",
        {{"deployment.yaml", "deployments:\n  - path: cm\n"},
         {"cm/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: simple\n"}});
    daemon_ = std::make_unique<GitDaemon>(dir_.path() / "repos", false);
    rewrite_ = "https://github.com/kluctl/=" + daemon_->url("kluctl/");
  }

  // Kept as text: it outlives the daemon in the offline test.
  std::string rewrite() const { return rewrite_; }

  Outcome gantry(std::vector<std::string> args, const fs::path& cache) {
    ProcessResult r = run_gantry(args, {}, {"GANTRY_CACHE_DIR=" + cache.string()});
    std::cout << "  gantry exit " << r.exit_code << (r.err.empty() ? "" : ": " + r.err) << "\n";
    return {r.exit_code, r.out, r.err};
  }

  Outcome render_course(const std::string& target, const fs::path& cache,
                        std::vector<std::string> extra = {}, const std::string& rewrite_to = "") {
    std::vector<std::string> args{
        "render", "--project",         (course_dir() / "kluctl-gitops").string(),  "-t",
        target,   "--git-url-rewrite", rewrite_to.empty() ? rewrite() : rewrite_to};
    args.insert(args.end(), extra.begin(), extra.end());
    return gantry(args, cache);
  }

  // A project of its own: deployment.yaml with `items` (YAML lines).
  fs::path project(const std::string& name, const std::string& items) {
    fs::path p = dir_.path() / name;
    dir_.write(name + "/deployment.yaml", "deployments:\n" + items);
    return p;
  }

  TempDir dir_;
  std::string tag_commit_;
  std::string rewrite_;
  std::unique_ptr<GitDaemon> daemon_;
};

// "Kind/namespace/name" -> object, for every document of a render.
std::map<std::string, doc::Value> by_key(const std::string& yaml) {
  std::map<std::string, doc::Value> out;
  for (auto& d : doc::parse_yaml_stream(yaml, "render output")) {
    if (d.is_null()) continue;
    std::string key = d.get_string("kind") + "/" + d["metadata"].get_string("namespace") + "/" +
                      d["metadata"].get_string("name");
    out.emplace(key, std::move(d));
  }
  return out;
}

// spec.replicas of the kluctl-controller Deployment in a render's output.
int64_t controller_replicas(const std::string& yaml) {
  return by_key(yaml)
      .at("Deployment/kluctl-system/kluctl-controller")
      .find_path({"spec", "replicas"})
      ->as_int();
}

TEST_F(GitItems, CourseGitopsProjectRendersForBothClustersFromTheMirror) {
  TempDir cache;
  for (const std::string cluster : {"staging", "production"}) {
    SCOPED_TRACE(cluster);
    Outcome r = render_course(cluster, cache.path());
    ASSERT_EQ(r.code, 0) << r.err;
    auto objects = by_key(r.out);
    std::vector<std::string> keys;
    for (const auto& [k, v] : objects)
      keys.push_back(k);
    EXPECT_THAT(
        keys,
        ::testing::UnorderedElementsAre(
            "Namespace//kluctl-gitops", "Namespace//kluctl-system",
            "Deployment/kluctl-system/kluctl-controller",
            "ServiceAccount/kluctl-system/kluctl-controller", "Service/kluctl-system/kluctl-webui",
            "KluctlDeployment/kluctl-gitops/gitops", "KluctlDeployment/kluctl-gitops/demo-app"));
    for (const auto& [k, v] : objects)
      EXPECT_EQ(v.find_path({"metadata", "labels"})->get_string("gantry.dev/discriminator"),
                "gitops-" + cluster)
          << k;

    // The course's own objects.
    const doc::Value& gitops = objects.at("KluctlDeployment/kluctl-gitops/gitops");
    EXPECT_EQ(gitops.find_path({"spec", "target"})->as_string(), cluster);
    EXPECT_EQ(gitops.find_path({"spec", "args", "cluster_name"})->as_string(), cluster);
    EXPECT_EQ(gitops.find_path({"spec", "source", "git", "path"})->as_string(),
              "14-cicd/kluctl-gitops");
    const doc::Value& demo = objects.at("KluctlDeployment/kluctl-gitops/demo-app");
    EXPECT_EQ(demo.find_path({"spec", "target"})->as_string(), cluster);
    EXPECT_EQ(demo.find_path({"spec", "source", "git", "path"})->as_string(),
              "12-deploying-to-multiple-environments/kluctl");

    // The git items' objects: the tag's content (not main's), the parent's
    // args in its templates, its own template include resolved in its tree.
    const doc::Value& controller = objects.at("Deployment/kluctl-system/kluctl-controller");
    EXPECT_EQ(controller.find_path({"spec", "replicas"})->as_int(), 1);
    EXPECT_EQ(controller.find_path({"metadata", "annotations"})->get_string("example.com/cluster"),
              cluster);
    EXPECT_EQ(controller.find_path({"spec", "selector", "matchLabels"})
                  ->get_string("app.kubernetes.io/name"),
              "kluctl-controller");
  }
  // One bare repository for the one URL, in the cache under $GANTRY_CACHE_DIR/git.
  size_t repos = 0;
  for (const auto& e : fs::directory_iterator(cache.path() / "git" / "repos"))
    repos += e.path().extension() == ".git";
  EXPECT_EQ(repos, 1u);
}

TEST_F(GitItems, ItemFormsOfKluctl) {
  TempDir cache;
  std::string url = daemon_->url("kluctl/kluctl.git");
  fs::path p = project("forms",
                       "  - git: " + daemon_->url("simple.git") +
                           "\n"  // the whole repository at its default branch
                           "  - git:\n"
                           "      url: " +
                           url +
                           "\n"
                           "      ref: v2.24.1\n"  // kluctl's older string ref: a tag here
                           "      subDir: install/webui\n"
                           "  - git:\n"
                           "      url: " +
                           url +
                           "\n"
                           "      ref: {branch: main}\n"
                           "      subDir: install/controller/\n"
                           "    tags: [controller]\n");
  Outcome r = gantry({"render", "--project", p.string(), "-a", "cluster_name=dev"}, cache.path());
  ASSERT_EQ(r.code, 0) << r.err;
  auto objects = by_key(r.out);
  EXPECT_EQ(objects.size(), 4u);
  EXPECT_EQ(objects.count("ConfigMap//simple"), 1u);
  EXPECT_EQ(objects.at("Deployment/kluctl-system/kluctl-controller")
                .find_path({"spec", "replicas"})
                ->as_int(),
            2);  // main
  // Tags select items inside a git include.
  r = gantry(
      {"render", "--project", p.string(), "-a", "cluster_name=dev", "--include-tag", "controller"},
      cache.path());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(by_key(r.out).size(), 2u);
}

TEST_F(GitItems, OfflineUsesOnlyTheCache) {
  TempDir cache;
  Outcome r = render_course("staging", cache.path(), {"--offline"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("clusters/deployment.yaml:3"));
  EXPECT_THAT(r.err, HasSubstr("https://github.com/kluctl/kluctl.git (tag v2.24.1)"));
  EXPECT_THAT(r.err, HasSubstr("offline"));

  ASSERT_EQ(render_course("staging", cache.path()).code, 0);
  std::string online = render_course("production", cache.path()).out;
  daemon_.reset();  // the server is gone: offline needs only the cache
  r = render_course("production", cache.path(), {"--offline"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, online);
}

TEST_F(GitItems, LockPinsCommits) {
  TempDir cache;
  fs::path lock = dir_.path() / "git-lock.yaml";
  ASSERT_EQ(render_course("staging", cache.path(), {"--git-lock", lock.string()}).code, 0);
  doc::Value l = doc::parse_yaml(read_file(lock), lock.string());
  ASSERT_EQ(l["gitSources"].size(), 1u) << read_file(lock);
  const doc::Value& e = l["gitSources"].as_list()[0];
  EXPECT_EQ(e.get_string("url"), "https://github.com/kluctl/kluctl.git");
  EXPECT_EQ(e.find("ref")->get_string("tag"), "v2.24.1");
  EXPECT_EQ(e.get_string("commit"), tag_commit_);

  // The tag moves on the server; the lock keeps the old commit.
  fs::path bare = dir_.path() / "repos" / "kluctl" / "kluctl.git";
  git(bare, {"tag", "-f", "v2.24.1", "main"});
  Outcome pinned = render_course("staging", cache.path(), {"--git-lock", lock.string()});
  ASSERT_EQ(pinned.code, 0) << pinned.err;
  EXPECT_EQ(controller_replicas(pinned.out), 1);
  EXPECT_EQ(
      doc::parse_yaml(read_file(lock), "lock")["gitSources"].as_list()[0].get_string("commit"),
      tag_commit_);
  Outcome moved = render_course("staging", cache.path());
  ASSERT_EQ(moved.code, 0) << moved.err;
  EXPECT_EQ(controller_replicas(moved.out), 2);
}

TEST_F(GitItems, BadInputNamesTheItemAndRendersNothing) {
  TempDir cache;
  std::string url = daemon_->url("kluctl/kluctl.git");
  struct Case {
    std::string name, item, want;
    int code;
  };
  std::vector<Case> cases{
      {"unknown-ref", "      ref: {tag: v9.9.9}\n      subDir: install/webui\n",
       "tag 'v9.9.9' not found", 5},
      {"missing-subdir", "      ref: {tag: v2.24.1}\n      subDir: install/nope\n",
       "subDir \"install/nope\" not found", 5},
      {"no-deployment-yaml", "      ref: {tag: v2.24.1}\n      subDir: install/webui/webui\n",
       "deployment.yaml not found", 5},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::path p = project(c.name, "  - path: local\n  - git:\n      url: " + url + "\n" + c.item);
    dir_.write(c.name + "/local/cm.yaml",
               "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: local\n");
    Outcome r = gantry({"render", "--project", p.string()}, cache.path());
    EXPECT_EQ(r.code, c.code);
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr(c.want));
    EXPECT_THAT(r.err, HasSubstr("deployment.yaml:3"));
    EXPECT_THAT(r.err, HasSubstr("kluctl/kluctl.git"));
  }

  // Unreachable: the rewrite points at a port nothing listens on.
  int closed = free_port();
  Outcome r = render_course("staging", cache.path(), {},
                            "https://github.com/=git://127.0.0.1:" + std::to_string(closed) + "/");
  EXPECT_EQ(r.code, 4);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("clusters/deployment.yaml:3"));
  EXPECT_THAT(r.err, HasSubstr("cannot reach"));
  EXPECT_THAT(r.err, HasSubstr("rewritten to git://127.0.0.1:" + std::to_string(closed)));
}

}  // namespace
}  // namespace gantry::testing
