// The whole loop, from a source change to the new image running, with real
// components only: docker-registry (TestRegistry), the shop example's Git
// repository served by `git daemon` (what the GantryDeployment reads) and by
// `git http-backend` with basic auth (what image automation pushes to),
// `gantry sandbox` as the cluster and `gantry controller` as its own process.
// The "CI" part runs the commands the examples/ci workflows run: `gantry
// version-tag`, `gantry build --push` of examples/shop/apps/*. Every
// hand-off is checked: the image digests in the registry, the commit in Git
// changing exactly the marker bytes, the Deployments' images in the cluster,
// the status of both resources. Then the unhappy paths of the same loop: a
// pre-release is not picked, a registry down for a while (no commit, status
// says why, recovers), a push rejected once (re-applied and pushed), and a
// manual change in the cluster repaired.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>

#include "oci/registry.h"
#include "support/busybox_image.h"
#include "support/controller_fixture.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kApps{"api", "worker", "frontend"};
constexpr const char* kNs = "shop-staging";

class LoopTest : public ControllerTest {
 protected:
  void SetUp() override {
    if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
    if (!busybox_available()) GTEST_SKIP() << "needs root, namespaces and busybox-static";
    ControllerTest::SetUp();
    if (HasFatalFailure()) return;
    registry_ = std::make_unique<TestRegistry>();
    // The apps' base image, made offline and pushed where their Dockerfiles find it.
    ProcessResult p = gantry({"push", busybox_base(dir_.path() / "base"), base_image()});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    // The repository: the shop example with its staging markers at 1.0.0,
    // tagged 1.0.0 (the first release).
    shop_ = dir_.path() / "shop-work";
    git_init(shop_);
    fs::copy(fs::path(GANTRY_SOURCE_DIR) / "examples/shop", shop_ / "shop",
             fs::copy_options::recursive);
    ProcessResult u =
        gantry({"update", (shop_ / "shop").string(), "--marker", "STAGING_IMAGE_TAG=1.0.0"});
    ASSERT_EQ(u.exit_code, 0) << u.err;
    git(shop_, {"add", "-A"});
    git(shop_, {"commit", "-q", "-m", "the shop"});
    git(shop_, {"tag", "1.0.0"});
    git(repos_, {"clone", "-q", "--bare", shop_.string(), bare().string()});
    git(shop_, {"remote", "add", "origin", bare().string()});
    for (const auto& app : kApps)
      staging_[app] = read_file(staging_config(app));
    http_ = std::make_unique<GitHttpServer>(repos_, "bot", "s3cret");
    http_->on_request([this](const http::ServerRequest& req) {
      // Someone else pushes once armed, just before image automation's push
      // learns the branch's tip: the ref advertisement of its push then
      // names a commit it lacks, and git refuses the push as not a fast
      // forward. Only image automation pushes over HTTP, so the first push
      // after arming is the one of the release that armed it.
      if (req.method == "GET" && req.param("service") == "git-receive-pack" &&
          race_.exchange(false))
        someone_else_pushes(bare(), dir_.path() / "other");
    });
    release("1.0.0");
    ASSERT_FALSE(HasFailure());
  }
  void TearDown() override {
    ControllerTest::TearDown();
    http_.reset();
  }

  std::string base_image() const { return registry_->host() + "/library/busybox:1.36"; }
  std::string repo(const std::string& app) const { return registry_->host() + "/shop/" + app; }
  fs::path bare() const { return repos_ / "shop.git"; }
  fs::path staging_config(const std::string& app) const {
    return shop_ / "shop/services" / app / "config/staging.yaml";
  }

  // What CI does for a release: build every app and push it at `tag`;
  // returns the digests gantry build printed.
  std::map<std::string, std::string> release(const std::string& tag) {
    std::map<std::string, std::string> digests;
    for (const auto& app : kApps)
      digests[app] = build_and_push(app, tag);
    return digests;
  }
  std::string build_and_push(const std::string& app, const std::string& tag) {
    ProcessResult b = gantry({"build", (shop_ / "shop/apps" / app).string(), "--build-arg",
                              "BASE_IMAGE=" + base_image(), "-t", repo(app) + ":" + tag, "--push",
                              "--cache-dir", (dir_.path() / "build-cache").string()});
    EXPECT_EQ(b.exit_code, 0) << b.err;
    std::string out = b.out;
    while (!out.empty() && out.back() == '\n')
      out.pop_back();
    std::string digest = out.substr(out.rfind('\n') + 1);
    // The registry holds exactly what the build printed.
    oci::Session session(oci::Session::Options{});
    auto head = session.registry(registry_->host()).head_manifest("shop/" + app, tag);
    EXPECT_TRUE(head && head->digest.str() == digest) << app << ":" << tag << " " << digest;
    return digest;
  }

  void apply(const std::string& y) {
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, y);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void apply_image_update() {
    apply(
        "apiVersion: gantry.dev/v1alpha1\nkind: GantryImageUpdate\nmetadata:\n  name: shop\n"
        "  namespace: default\nspec:\n  interval: 2s\n  git:\n    url: " +
        http_->url("shop.git") +
        "\n    branch: main\n    secretRef: {name: git-creds}\n  paths: [shop]\n"
        "  policies:\n  - name: api\n    image: " +
        repo("api") +
        "\n    policy: {semver: {range: \">=1.0.0\"}}\n"
        "  markers:\n  - {name: STAGING_IMAGE_TAG, policy: api}\n"
        "  commit:\n    author: {name: Image Bot, email: bot@example.com}\n");
  }

  std::string remote_head() const { return git(bare(), {"rev-parse", "refs/heads/main"}); }
  std::string remote_file(const std::string& file) const {
    return git_run(bare(), {"show", "main:" + file}).out;
  }
  std::string image_of(const std::string& app) const {
    return jsonpath({"deployment", app, "-n", kNs}, "{.spec.template.spec.containers[0].image}");
  }
  bool all_running(const std::string& tag) const {
    for (const auto& app : kApps)
      if (image_of(app) != repo(app) + ":" + tag) return false;
    return true;
  }
  std::string update_status(const std::string& path) const {
    return jsonpath({"gantryimageupdate", "shop", "-n", "default"}, path);
  }
  std::string update_reason() const {
    return update_status("{.status.conditions[?(@.type==\"Ready\")].reason}");
  }
  std::string deploy_status(const std::string& path) const {
    return jsonpath({"gantrydeployment", "shop-staging", "-n", "default"}, path);
  }
  void wait_scans() {
    for (int i = 0; i < 2; ++i) {
      std::string before = update_status("{.status.lastScanTime}");
      ASSERT_TRUE(within(20s, [&] { return update_status("{.status.lastScanTime}") != before; }))
          << log();
    }
  }

  // The Git change image automation must make for `tag`: the marker values
  // of the three staging configs, every other byte as it was.
  void expect_markers_only(const std::string& from, const std::string& to, const std::string& tag) {
    EXPECT_EQ(git(bare(), {"diff", "--name-only", from, to}),
              "shop/services/api/config/staging.yaml\n"
              "shop/services/frontend/config/staging.yaml\n"
              "shop/services/worker/config/staging.yaml");
    for (const auto& app : kApps)
      EXPECT_EQ(
          remote_file("shop/services/" + app + "/config/staging.yaml"),
          replace_all(staging_[app], "1.0.0 # STAGING_IMAGE_TAG", tag + " # STAGING_IMAGE_TAG"))
          << app;
    EXPECT_EQ(git(bare(), {"log", "-1", "--format=%an <%ae>", to}), "Image Bot <bot@example.com>");
  }

  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<GitHttpServer> http_;
  fs::path shop_;
  std::map<std::string, std::string> staging_;
  std::atomic<bool> race_{false};
};

TEST_F(LoopTest, SourceChangeBecomesTheRunningImageAndTheLoopSurvivesFailures) {
  start_controller({"--listen", "127.0.0.1:0"});
  apply(R"(apiVersion: v1
kind: Secret
metadata: {name: git-creds, namespace: default}
stringData: {username: bot, password: s3cret}
)");
  apply(
      "apiVersion: gantry.dev/v1alpha1\nkind: GantryDeployment\nmetadata:\n"
      "  name: shop-staging\n  namespace: default\nspec:\n  source:\n    git:\n      url: " +
      daemon_->url("shop.git") + "\n      path: shop\n  target: staging\n  args: {registry: " +
      registry_->host() + "/shop}\n  interval: 2s\n  retryInterval: 1s\n  prune: true\n");
  apply_image_update();
  ASSERT_TRUE(within(60s, [&] { return all_running("1.0.0"); }))
      << image_of("api") << ready_message("shop-staging") << log();
  ASSERT_TRUE(within(30s, [&] { return update_reason() == "NoChanges"; })) << log();
  std::string initial = remote_head();

  // 1. A source change, released as 1.1.0 the way examples/ci does it.
  put_file(shop_ / "shop/apps/api/data/products.json",
           "{\"items\": [{\"id\": 1, \"name\": \"teapot\", \"price\": 21}]}\n");
  git(shop_, {"commit", "-q", "-am", "api: teapots cost more"});
  git(shop_, {"tag", "1.1.0"});
  git(shop_, {"push", "-q", "origin", "main", "--tags"});
  auto pushed_at = Clock::now();
  std::string source_commit = remote_head();
  ProcessResult vt =
      gantry({"version-tag", shop_.string(), "--match", "[0-9]*.[0-9]*.[0-9]*", "--first-parent"});
  ASSERT_EQ(vt.exit_code, 0) << vt.err;
  ASSERT_EQ(vt.out, "1.1.0\n");
  std::map<std::string, std::string> digests = release("1.1.0");
  EXPECT_THAT(digests["api"], HasSubstr("sha256:"));
  // 2. Image automation commits the new tag: exactly the marker bytes.
  ASSERT_TRUE(within(60s,
                     [&] {
                       return git(bare(), {"log", "-1", "--format=%an", "main"}) == "Image Bot";
                     }))
      << update_reason() << log();
  std::string bot_commit = remote_head();
  EXPECT_EQ(git(bare(), {"rev-parse", "main~1"}), source_commit);
  expect_markers_only(source_commit, bot_commit, "1.1.0");
  EXPECT_EQ(update_status("{.status.lastPushCommit}"), bot_commit);
  EXPECT_EQ(update_status("{.status.latestImages[0].tag}"), "1.1.0");
  EXPECT_EQ(update_status("{.status.latestImages[0].digest}"), digests["api"]);
  // 3. The controller deploys it.
  ASSERT_TRUE(within(60s, [&] { return all_running("1.1.0"); }))
      << image_of("api") << ready_message("shop-staging") << log();
  auto loop_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - pushed_at).count();
  std::cerr << "loop: git push of the source change -> new images running: " << loop_ms << " ms\n";
  RecordProperty("push_to_running_ms", std::to_string(loop_ms));
  ASSERT_TRUE(within(30s, [&] {
    return deploy_status("{.status.lastAppliedRevision}").find(bot_commit) != std::string::npos;
  })) << deploy_status("{.status.lastAppliedRevision}");
  EXPECT_EQ(ready("shop-staging"), "True") << ready_message("shop-staging");
  EXPECT_NE(initial, bot_commit);

  // 4. A pre-release is never picked: no commit.
  std::string head = remote_head();
  build_and_push("api", "1.2.0-rc.1");
  wait_scans();
  EXPECT_EQ(remote_head(), head);
  EXPECT_EQ(update_status("{.status.latestImages[0].tag}"), "1.1.0");

  // 5. The registry is down for a while: Ready=False with why, no commit; it recovers.
  registry_->stop();
  ASSERT_TRUE(within(30s, [&] { return update_reason() == "ScanFailed"; })) << log();
  EXPECT_THAT(update_status("{.status.conditions[?(@.type==\"Ready\")].message}"),
              HasSubstr(registry_->host()));
  EXPECT_EQ(remote_head(), head);
  registry_->start();
  ASSERT_TRUE(within(30s, [&] { return update_reason() == "NoChanges"; })) << log();

  // 6. Release 1.2.0 while someone else pushes just before image
  //    automation does: its push is rejected once, re-applied and pushed.
  race_ = true;
  release("1.2.0");
  ASSERT_TRUE(within(60s,
                     [&] {
                       return git(bare(), {"log", "-1", "--format=%an", "main"}) == "Image Bot" &&
                              remote_head() != head;
                     }))
      << update_reason() << log();
  EXPECT_FALSE(race_);
  // The status is written when the run ends, just after its push.
  EXPECT_TRUE(within(20s, [&] {
    return update_status("{.status.conditions[?(@.type==\"Ready\")].message}")
               .find("re-applied onto the remote's newer commits") != std::string::npos;
  })) << update_status("{.status.conditions[?(@.type==\"Ready\")].message}");
  EXPECT_EQ(git(bare(), {"log", "-1", "--format=%s", "main~1"}), "someone else's change");
  expect_markers_only("main~1", "main", "1.2.0");
  ASSERT_TRUE(within(60s, [&] { return all_running("1.2.0"); })) << log();

  // 7. A manual change in the cluster is repaired.
  ProcessResult scale = sandbox_.kubectl({"scale", "deployment", "api", "-n", kNs, "--replicas=4"});
  ASSERT_EQ(scale.exit_code, 0) << scale.err;
  ASSERT_TRUE(within(30s, [&] {
    return jsonpath({"deployment", "api", "-n", kNs}, "{.spec.replicas}") == "1";
  })) << log();
  EXPECT_NE(deploy_status("{.status.driftRepairs}"), "");
}

}  // namespace
}  // namespace gantry::testing
