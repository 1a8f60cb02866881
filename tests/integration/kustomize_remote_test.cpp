// Remote resources of kustomizations, built by the gantry binary against real
// servers on loopback — `git daemon`, smart HTTP (`git http-backend`) and a
// plain HTTP server for single files — and compared byte for byte with
// `kubectl kustomize` (kustomize v5.5, which runs the git CLI) on the same
// kustomizations and servers: a tag, a branch, a commit id, the default
// branch, a subdirectory, a remote base with its own remote base, an HTTP
// file; bad refs and unreachable hosts (the URL named, its credentials not);
// the cache reused offline with the servers gone; --load-restrictor.
//
// kustomize has no git:// scheme, so the kustomizations name the daemon's
// repositories as ssh://git-daemon.invalid/...: kubectl's git rewrites that
// prefix with url.insteadOf, gantry with --git-url-rewrite.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/file.h"
#include "core/process.h"
#include "http/server.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/git_servers.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFake = "ssh://git-daemon.invalid/";

std::string config_map(const std::string& name, const std::string& value) {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  v: \"" +
         value + "\"\n";
}

class KustomizeRemote : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(find_program("kubectl")) << "kubectl is not installed";
    repos_ = dir_.path() / "repos";
    fs::path org = repos_ / "org";
    fs::create_directories(org);
    // org/app.git: main c1 (v=1, tag v1), c2 (v=2), c3 (v=4); branch feature from c1 (v=3).
    fs::path seed = dir_.path() / "app-seed";
    git_init(seed);
    git_commit_file(seed, "base/kustomization.yaml", "resources:\n  - cm.yaml\n", "base");
    git_commit_file(seed, "outside.yaml", config_map("outside", "x"), "outside");
    git_commit_file(seed, "restricted/kustomization.yaml", "resources:\n  - ../outside.yaml\n",
                    "restricted");
    git_commit_file(seed, "base/cm.yaml", config_map("app", "1"), "v1");
    git(seed, {"tag", "v1"});
    git(seed, {"checkout", "-q", "-b", "feature"});
    git_commit_file(seed, "base/cm.yaml", config_map("app", "3"), "feature");
    git(seed, {"checkout", "-q", "main"});
    c2_ = git_commit_file(seed, "base/cm.yaml", config_map("app", "2"), "v2");
    git_commit_file(seed, "base/cm.yaml", config_map("app", "4"), "v4");
    git(dir_.path(), {"clone", "-q", "--bare", seed.string(), (org / "app.git").string()});
    // org/outer.git: an overlay whose base is app's base at v1 (a remote base of a remote base).
    fs::path outer = dir_.path() / "outer-seed";
    git_init(outer);
    git_commit_file(
        outer, "overlay/kustomization.yaml",
        std::string("namePrefix: outer-\nresources:\n  - ") + kFake + "org/app.git//base?ref=v1\n",
        "overlay");
    git(dir_.path(), {"clone", "-q", "--bare", outer.string(), (org / "outer.git").string()});
    // org/bad.git: a base listing its own repository (a cycle), and one climbing out of it.
    fs::path bad = dir_.path() / "bad-seed";
    git_init(bad);
    git_commit_file(bad, "loop/kustomization.yaml",
                    std::string("resources:\n  - ") + kFake + "org/bad.git\n", "loop");
    git_commit_file(bad, "kustomization.yaml", "resources:\n  - loop\n", "root");
    git_commit_file(bad, "climb/kustomization.yaml", "resources:\n  - ../../outside\n", "climb");
    git(dir_.path(), {"clone", "-q", "--bare", bad.string(), (org / "bad.git").string()});
    daemon_ = std::make_unique<GitDaemon>(repos_, false);
    daemon_url_ = daemon_->url("");
    git_config_ = dir_.write("gitconfig",
                             "[url \"" + daemon_->url("") + "\"]\n\tinsteadOf = " + kFake + "\n");
  }

  // A kustomization directory holding `kustomization`.
  fs::path kustomization(const std::string& name, const std::string& kustomization) {
    fs::path d = dir_.path() / "work" / name;
    fs::create_directories(d);
    write_file_atomic(d / "kustomization.yaml", kustomization);
    return d;
  }

  ProcessResult gantry(const fs::path& d, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"kustomize", d.string(), "--git-url-rewrite",
                                  std::string(kFake) + "=" + daemon_url_};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_gantry(args, {}, {"GANTRY_CACHE_DIR=" + (dir_.path() / "cache").string()});
  }

  ProcessResult kubectl(const fs::path& d, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"kubectl", "kustomize", d.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessOptions o;
    o.timeout = std::chrono::minutes(2);
    o.extra_env = {"GIT_CONFIG_GLOBAL=" + git_config_.string(), "GIT_CONFIG_NOSYSTEM=1",
                   "GIT_TERMINAL_PROMPT=0", "GIT_SSH_COMMAND=false"};
    return run_process(argv, o);
  }

  // gantry and kubectl both build `d` and print the same bytes; returns them.
  std::string same_as_kubectl(const fs::path& d, std::vector<std::string> extra = {}) {
    ProcessResult k = kubectl(d, extra);
    EXPECT_EQ(k.exit_code, 0) << "kubectl kustomize failed: " << k.err;
    ProcessResult g = gantry(d, extra);
    EXPECT_EQ(g.exit_code, 0) << "gantry kustomize failed: " << g.err;
    EXPECT_EQ(g.out, k.out) << "gantry and kubectl disagree on " << d;
    return g.out;
  }

  TempDir dir_;
  fs::path repos_, git_config_;
  std::string c2_;
  std::unique_ptr<GitDaemon> daemon_;
  std::string daemon_url_;  // git://127.0.0.1:PORT/ (kept after the daemon is stopped)
};

TEST_F(KustomizeRemote, TagBranchCommitAndDefaultBranchOfASubdirectory) {
  const std::map<std::string, std::string> cases = {
      {"tag", "?ref=v1"}, {"branch", "?ref=feature"}, {"commit", "?ref=" + c2_},
      {"default", ""},    {"version", "?version=v1"},
  };
  std::map<std::string, std::string> values = {
      {"tag", "1"}, {"branch", "3"}, {"commit", "2"}, {"default", "4"}, {"version", "1"}};
  for (const auto& [name, query] : cases) {
    SCOPED_TRACE(name);
    fs::path d = kustomization(
        name, "resources:\n  - " + std::string(kFake) + "org/app.git//base" + query + "\n");
    std::string out = same_as_kubectl(d);
    EXPECT_NE(out.find("v: \"" + values[name] + "\""), std::string::npos) << out;
  }
}

TEST_F(KustomizeRemote, ARemoteBaseWithItsOwnRemoteBase) {
  fs::path d = kustomization(
      "nested", "namespace: team\nbuildMetadata: [originAnnotations]\nresources:\n  - " +
                    std::string(kFake) + "org/outer//overlay\n");
  std::string out = same_as_kubectl(d);
  EXPECT_NE(out.find("repo: " + std::string(kFake) + "org/app.git"), std::string::npos) << out;
  EXPECT_NE(out.find("name: outer-app"), std::string::npos) << out;
  EXPECT_NE(out.find("namespace: team"), std::string::npos) << out;
}

TEST_F(KustomizeRemote, SmartHttpWithCredentialsInTheUrl) {
  GitHttpServer http(repos_, "alice", "s3cret-pw");
  std::string url = http.url("org/app.git//base?ref=v1");
  url.insert(url.find("://") + 3, "alice:s3cret-pw@");
  fs::path d = kustomization("http", "resources:\n  - " + url + "\n");
  std::string out = same_as_kubectl(d);
  EXPECT_NE(out.find("v: \"1\""), std::string::npos) << out;
  EXPECT_GT(http.served(), 0);
}

TEST_F(KustomizeRemote, HttpFileResource) {
  http::Server files({}, [](const http::ServerRequest& req, http::ServerResponse& res) {
    if (req.path == "/cm.yaml") {
      res.body = config_map("from-http", "h");
    } else {
      res.status = 404;
      res.body = "not found\n";
    }
  });
  files.start();
  std::string base = "http://127.0.0.1:" + std::to_string(files.port());
  fs::path d = kustomization("file",
                             "namePrefix: p-\nbuildMetadata: [originAnnotations]\n"
                             "resources:\n  - " +
                                 base + "/cm.yaml\n  - " + std::string(kFake) +
                                 "org/app.git//base?ref=v1\n");
  std::string out = same_as_kubectl(d);
  EXPECT_NE(out.find("name: p-from-http"), std::string::npos) << out;
  EXPECT_NE(out.find("path: http:/127.0.0.1:"), std::string::npos) << out;

  // A missing file (not a Git URL either) fails in both, naming the URL.
  fs::path missing = kustomization("missing", "resources:\n  - " + base + "/none.yaml\n");
  EXPECT_NE(kubectl(missing).exit_code, 0);
  ProcessResult g = gantry(missing);
  EXPECT_NE(g.exit_code, 0);
  EXPECT_NE(g.err.find(base + "/none.yaml"), std::string::npos) << g.err;
  EXPECT_NE(g.err.find("404"), std::string::npos) << g.err;
  files.stop();
}

TEST_F(KustomizeRemote, BadRefAndUnreachableHostNameTheUrlButNotItsCredentials) {
  fs::path bad = kustomization(
      "badref", "resources:\n  - " + std::string(kFake) + "org/app.git//base?ref=v9\n");
  EXPECT_NE(kubectl(bad).exit_code, 0);
  ProcessResult g = gantry(bad);
  EXPECT_EQ(g.exit_code, 5) << g.err;  // not found
  EXPECT_NE(g.err.find("org/app.git//base?ref=v9"), std::string::npos) << g.err;
  EXPECT_NE(g.err.find("'v9'"), std::string::npos) << g.err;

  int port = free_port();
  std::string url = "http://bob:t0psecret@127.0.0.1:" + std::to_string(port) + "/org/app.git//base";
  fs::path gone = kustomization("unreachable", "resources:\n  - " + url + "\n");
  EXPECT_NE(kubectl(gone).exit_code, 0);
  g = gantry(gone);
  EXPECT_EQ(g.exit_code, 4) << g.err;  // external
  EXPECT_NE(g.err.find("127.0.0.1:" + std::to_string(port) + "/org/app.git//base"),
            std::string::npos)
      << g.err;
  EXPECT_EQ(g.err.find("t0psecret"), std::string::npos) << g.err;
}

TEST_F(KustomizeRemote, CyclesAndBasesOutsideTheRepositoryFail) {
  dir_.write("work/outside/kustomization.yaml", "resources:\n  - cm.yaml\n");
  dir_.write("work/outside/cm.yaml", config_map("outside", "o"));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cycle", "cycle detected: URI '" + std::string(kFake) + "org/bad.git'"},
      {"climb", "escapes the root"},
  };
  for (const auto& [name, message] : cases) {
    SCOPED_TRACE(name);
    std::string entry = std::string(kFake) + "org/bad.git" + (name == "cycle" ? "" : "//climb");
    fs::path d = kustomization(name, "resources:\n  - " + entry + "\n");
    EXPECT_NE(kubectl(d).exit_code, 0);
    ProcessResult g = gantry(d);
    EXPECT_NE(g.exit_code, 0);
    EXPECT_NE(g.err.find(message), std::string::npos) << g.err;
  }
}

TEST_F(KustomizeRemote, TheCacheServesASecondBuildOfflineWithTheServerGone) {
  fs::path d =
      kustomization("cached", "resources:\n  - " + std::string(kFake) + "org/outer//overlay\n  - " +
                                  std::string(kFake) + "org/app.git//base?ref=feature\n");
  ProcessResult first = gantry(d);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  daemon_.reset();
  ProcessResult offline = gantry(d, {"--offline"});
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_EQ(offline.out, first.out);
  // Without --offline the fetch needs the server: proof that nothing else was used.
  ProcessResult online = gantry(d);
  EXPECT_EQ(online.exit_code, 4) << online.err;
}

TEST_F(KustomizeRemote, LoadRestrictor) {
  dir_.write("work/shared.yaml", config_map("shared", "s"));
  fs::path d = kustomization("restrict", "resources:\n  - ../shared.yaml\n");
  EXPECT_NE(kubectl(d).exit_code, 0);
  ProcessResult g = gantry(d);
  EXPECT_NE(g.exit_code, 0);
  EXPECT_NE(g.err.find("is not in or below"), std::string::npos) << g.err;
  std::string out = same_as_kubectl(d, {"--load-restrictor", "LoadRestrictionsNone"});
  EXPECT_NE(out.find("name: shared"), std::string::npos) << out;

  // A remote base keeps the default restrictions inside its repository, whatever the flag.
  fs::path r = kustomization("remote-restricted",
                             "resources:\n  - " + std::string(kFake) + "org/app.git//restricted\n");
  EXPECT_NE(kubectl(r, {"--load-restrictor", "LoadRestrictionsNone"}).exit_code, 0);
  g = gantry(r, {"--load-restrictor", "LoadRestrictionsNone"});
  EXPECT_NE(g.exit_code, 0);
  EXPECT_NE(g.err.find("is not in or below"), std::string::npos) << g.err;

  g = gantry(d, {"--load-restrictor", "Bogus"});
  EXPECT_EQ(g.exit_code, 2) << g.err;
}

// render's kustomization items fetch remote bases the same way, through the
// project's Git options, and lock their commits with --git-lock.
TEST_F(KustomizeRemote, RenderItemsAndTheGitLock) {
  fs::path project = dir_.path() / "project";
  dir_.write("project/deployment.yaml", "deployments:\n  - path: app\n");
  dir_.write("project/app/kustomization.yaml",
             std::string("resources:\n  - ") + kFake + "org/app.git//base?ref=feature\n");
  fs::path lock = dir_.path() / "lock.yaml";
  ProcessResult r =
      run_gantry({"render", "--project", project.string(), "--git-url-rewrite",
                  std::string(kFake) + "=" + daemon_url_, "--git-lock", lock.string()},
                 {}, {"GANTRY_CACHE_DIR=" + (dir_.path() / "cache").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("name: app"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("v: \"3\""), std::string::npos) << r.out;
  std::string locked = read_file(lock);
  EXPECT_NE(locked.find(std::string("url: ") + kFake + "org/app.git"), std::string::npos) << locked;
  EXPECT_NE(locked.find("ref: feature"), std::string::npos) << locked;
  EXPECT_NE(locked.find(git(repos_ / "org" / "app.git", {"rev-parse", "feature"})),
            std::string::npos)
      << locked;
}

}  // namespace
}  // namespace gantry::testing
