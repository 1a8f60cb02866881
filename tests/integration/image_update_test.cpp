// Image automation in the controller with real components only: gantry
// sandbox as the cluster, docker-registry (TestRegistry) holding the image's
// tags, git http-backend serving the repository (basic auth), and
// `gantry controller` as its own process. Every hand-off is checked: the
// commit in Git changes exactly the marker's bytes, nothing is committed
// when nothing changed, a pre-release is not picked, a registry that is
// down for a scan makes Ready=False (no commit) and recovers, a push that
// races another push is re-applied and pushed once more. Then the same with
// Flux's ImageRepository, ImagePolicy, GitRepository and ImageUpdateAutomation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <regex>

#include "oci/registry.h"
#include "support/controller_fixture.h"
#include "support/oci_cli.h"
#include "support/oci_testdata.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

class ImageUpdateTest : public ControllerTest {
 protected:
  void SetUp() override {
    if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
    ControllerTest::SetUp();
    ProcessResult crds = gantry({"controller", "--crds", "--flux-crds"});
    ASSERT_EQ(crds.exit_code, 0) << crds.err;
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, crds.out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    registry_ = std::make_unique<TestRegistry>();
    write_test_image(dir_.path() / "img", "v0", 1, 256, 7);
    ProcessResult p =
        gantry_cmd({"push", "oci:" + (dir_.path() / "img").string() + ":v0", image() + ":1.0.0"},
                   dir_.path() / "docker-config");
    ASSERT_EQ(p.exit_code, 0) << p.err;
    // The repository with a marked image, served over smart HTTP with basic auth.
    git_root_ = dir_.path() / "http";
    fs::path seed = dir_.path() / "seed";
    git_init(seed);
    git_commit_file(seed, "deploy/web.yaml", web_yaml("1.0.0"), "web");
    git_commit_file(seed, "deploy/other.yaml", "kind: ConfigMap\ndata: {a: \"1.0.0\"}\n", "other");
    fs::create_directories(git_root_);
    git(git_root_, {"clone", "-q", "--bare", seed.string(), bare().string()});
    http_ = std::make_unique<GitHttpServer>(git_root_, "bot", "s3cret");
    http_->on_served([this](const http::ServerRequest& req) {
      // "Someone else pushed" right after the controller fetched.
      if (req.method == "POST" && req.path.find("git-upload-pack") != std::string::npos &&
          race_.exchange(false))
        someone_else_pushes(bare(), dir_.path() / "other");
    });
    apply(R"(apiVersion: v1
kind: Secret
metadata: {name: git-creds, namespace: default}
stringData: {username: bot, password: s3cret}
)");
  }
  void TearDown() override {
    ControllerTest::TearDown();
    http_.reset();
  }

  std::string image() const { return registry_->host() + "/acme/web"; }
  fs::path bare() const { return git_root_ / "app-images.git"; }
  std::string url() const { return http_->url("app-images.git"); }

  std::string web_yaml(const std::string& tag) const {
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n"
           "    spec:\n      containers:\n      - name: web\n        image: " +
           image() + ":" + tag +
           " # {\"$imagepolicy\": \"default:web\"}\n        env:\n        - {name: V, value: "
           "\"1.0.0\"}\n";
  }

  void tag(const std::string& t) {
    oci::Session session(oci::Session::Options{});
    oci::Registry& reg = session.registry(registry_->host());
    reg.put_manifest("acme/web", t, reg.get_manifest("acme/web", "1.0.0"));
  }

  void apply(const std::string& y) {
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, y);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void apply_image_update(const std::string& extra_spec = "", const std::string& interval = "1s") {
    apply(
        "apiVersion: gantry.dev/v1alpha1\nkind: GantryImageUpdate\nmetadata:\n  name: web\n"
        "  namespace: default\nspec:\n  interval: " +
        interval + "\n  git:\n    url: " + url() +
        "\n    branch: main\n    secretRef: {name: git-creds}\n  paths: [deploy]\n"
        "  policies:\n  - name: web\n    image: " +
        image() +
        "\n    policy: {semver: {range: \">=1.0.0\"}}\n  commit:\n"
        "    author: {name: Image Bot, email: bot@example.com}\n"
        "    messageTemplate: \"images: {values}\\n\\n{changes}\\n\"\n" +
        extra_spec);
  }

  std::string remote_head(const std::string& branch = "main") const {
    return git(bare(), {"rev-parse", "refs/heads/" + branch});
  }
  std::string remote_file(const std::string& file, const std::string& rev = "main") const {
    return git_run(bare(), {"show", rev + ":" + file}).out;  // every byte, final newline too
  }
  std::string st(const std::string& kind, const std::string& path) const {
    return jsonpath({kind, "web", "-n", "default"}, path);
  }
  std::string reason(const std::string& kind = "gantryimageupdate") const {
    return st(kind, "{.status.conditions[?(@.type==\"Ready\")].reason}");
  }
  // Waits for two more scans after now.
  void wait_scans(const std::string& kind = "gantryimageupdate") {
    for (int i = 0; i < 2; ++i) {
      std::string before = st(kind, "{.status.lastScanTime}");
      ASSERT_TRUE(within(20s, [&] { return st(kind, "{.status.lastScanTime}") != before; }))
          << log();
    }
  }

  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<GitHttpServer> http_;
  fs::path git_root_;
  std::atomic<bool> race_{false};
};

TEST_F(ImageUpdateTest, CommitsTheMarkerBytesAndNothingElse) {
  std::string initial = remote_head();
  start_controller({"--listen", "127.0.0.1:0"});
  apply_image_update();
  // Nothing newer than what Git holds: no commit, Ready with NoChanges.
  ASSERT_TRUE(within(30s, [&] { return reason() == "NoChanges"; })) << reason() << log();
  EXPECT_EQ(remote_head(), initial);
  // A release and a pre-release: the policy without pre-releases picks 1.1.0.
  tag("1.1.0");
  tag("2.0.0-rc.1");
  ASSERT_TRUE(within(30s, [&] { return remote_head() != initial; })) << log();
  std::string pushed = remote_head();
  EXPECT_EQ(remote_file("deploy/web.yaml"), web_yaml("1.1.0"));  // every other byte as it was
  EXPECT_EQ(remote_file("deploy/other.yaml"), "kind: ConfigMap\ndata: {a: \"1.0.0\"}\n");
  EXPECT_EQ(git(bare(), {"rev-parse", "main~1"}), initial);
  EXPECT_EQ(git(bare(), {"log", "-1", "--format=%an <%ae>", "main"}),
            "Image Bot <bot@example.com>");
  EXPECT_EQ(git(bare(), {"log", "-1", "--format=%B", "main"}),
            "images: " + image() + ":1.1.0\n\n- deploy/web.yaml:10: " + image() + ":1.0.0 -> " +
                image() + ":1.1.0\n");
  EXPECT_EQ(git(bare(), {"diff", "--name-only", "main~1", "main"}), "deploy/web.yaml");
  ASSERT_TRUE(within(20s, [&] { return reason() == "Pushed" || reason() == "NoChanges"; }));
  EXPECT_EQ(st("gantryimageupdate", "{.status.lastPushCommit}"), pushed);
  EXPECT_EQ(st("gantryimageupdate", "{.status.latestImages[0].tag}"), "1.1.0");
  EXPECT_EQ(st("gantryimageupdate", "{.status.latestImages[0].policy}"), "default:web");
  EXPECT_THAT(st("gantryimageupdate", "{.status.latestImages[0].digest}"), HasSubstr("sha256:"));
  // Further scans find nothing new: no more commits.
  wait_scans();
  EXPECT_EQ(remote_head(), pushed);
  EXPECT_EQ(reason(), "NoChanges");
  // The scans and commits are counted on /metrics.
  std::smatch port;
  std::string l = log();
  ASSERT_TRUE(std::regex_search(l, port, std::regex("\"listen\":\"[^\"]*:([0-9]+)\""))) << l;
  ProcessResult m = run_process({"curl", "-s", "http://127.0.0.1:" + port[1].str() + "/metrics"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const std::string labels = "{kind=\"GantryImageUpdate\",namespace=\"default\",name=\"web\",";
  EXPECT_THAT(m.out, HasSubstr("gantry_image_commits_total" + labels + "result=\"pushed\"} 1\n"));
  EXPECT_THAT(m.out, HasSubstr("gantry_image_commits_total" + labels + "result=\"unchanged\"}"));
  EXPECT_THAT(m.out, HasSubstr("gantry_image_scans_total" + labels + "result=\"success\"}"));
}

TEST_F(ImageUpdateTest, CourseMarkersAndImagesEntriesAreSetToo) {
  // The course's `# STAGING_IMAGE_TAG` markers and a kustomization's images: entry.
  fs::path other = dir_.path() / "course";
  git(dir_.path(), {"clone", "-q", bare().string(), other.string()});
  const std::string config = "api:\n  version: 1.0.0 # STAGING_IMAGE_TAG\n  replicas: 1\n";
  const std::string digest_pin = "pin: none # WEB_DIGEST\n";
  auto kustomization = [&](const std::string& t) {
    return "resources: [web.yaml]\nimages:\n- name: " + image() + "\n  newTag: " + t + "\n";
  };
  git_commit_file(other, "deploy/config/staging.yaml", config, "config");
  git_commit_file(other, "deploy/pin.yaml", digest_pin, "pin");
  git_commit_file(other, "deploy/kustomization.yaml", kustomization("1.0.0"), "kustomization");
  git(other, {"push", "-q", "origin", "main"});
  std::string initial = remote_head();
  start_controller();
  apply_image_update(
      "  markers:\n  - {name: STAGING_IMAGE_TAG, policy: web}\n"
      "  - {name: WEB_DIGEST, policy: default:web, field: digest}\n  updateImages: true\n");
  tag("1.1.0");
  tag("1.2.0-rc.1");  // a pre-release: never picked by `>=1.0.0`
  ASSERT_TRUE(within(30s, [&] { return remote_head() != initial; })) << reason() << log();
  EXPECT_EQ(remote_file("deploy/config/staging.yaml"),
            "api:\n  version: 1.1.0 # STAGING_IMAGE_TAG\n  replicas: 1\n");
  EXPECT_EQ(remote_file("deploy/kustomization.yaml"), kustomization("1.1.0"));
  EXPECT_EQ(remote_file("deploy/web.yaml"), web_yaml("1.1.0"));
  std::string digest = st("gantryimageupdate", "{.status.latestImages[0].digest}");
  ASSERT_THAT(digest, HasSubstr("sha256:"));
  EXPECT_EQ(remote_file("deploy/pin.yaml"), "pin: " + digest + " # WEB_DIGEST\n");
  EXPECT_EQ(remote_file("deploy/other.yaml"), "kind: ConfigMap\ndata: {a: \"1.0.0\"}\n");
  EXPECT_EQ(git(bare(), {"rev-parse", "main~1"}), initial);  // one commit for all of it
  // A marker naming a policy the resource does not have: Ready=False, no commit.
  std::string pushed = remote_head();
  apply_image_update("  markers:\n  - {name: STAGING_IMAGE_TAG, policy: api}\n");
  ASSERT_TRUE(within(30s, [&] { return reason() == "InvalidSpec"; })) << reason() << log();
  EXPECT_THAT(st("gantryimageupdate", "{.status.conditions[?(@.type==\"Ready\")].message}"),
              HasSubstr("marker STAGING_IMAGE_TAG names policy default:api"));
  EXPECT_EQ(remote_head(), pushed);
}

TEST_F(ImageUpdateTest, RegistryDownForAScanThenRecovers) {
  start_controller();
  apply_image_update();
  ASSERT_TRUE(within(30s, [&] { return reason() == "NoChanges"; })) << reason() << log();
  std::string before = remote_head();
  registry_->stop();
  ASSERT_TRUE(within(30s, [&] { return reason() == "ScanFailed"; })) << reason() << log();
  EXPECT_EQ(st("gantryimageupdate", "{.status.conditions[?(@.type==\"Ready\")].status}"), "False");
  EXPECT_THAT(st("gantryimageupdate", "{.status.conditions[?(@.type==\"Ready\")].message}"),
              HasSubstr(registry_->host()));
  EXPECT_EQ(remote_head(), before);  // no commit while the registry is down
  registry_->start();
  tag("1.2.0");
  ASSERT_TRUE(within(30s, [&] { return remote_head() != before; })) << log();
  EXPECT_EQ(remote_file("deploy/web.yaml"), web_yaml("1.2.0"));
  ASSERT_TRUE(within(20s, [&] {
    return st("gantryimageupdate", "{.status.conditions[?(@.type==\"Ready\")].status}") == "True";
  }));
}

TEST_F(ImageUpdateTest, PushRejectedOnceIsReappliedOntoTheNewTip) {
  std::string initial = remote_head();
  tag("1.3.0");
  race_ = true;  // someone else pushes right after the controller's fetch
  start_controller();
  apply_image_update();
  ASSERT_TRUE(within(30s, [&] {
    return git_run(bare(), {"rev-parse", "main~2"}).exit_code == 0 &&
           remote_file("deploy/web.yaml") == web_yaml("1.3.0");
  })) << log();
  EXPECT_FALSE(race_.load());
  // Ours on top of theirs, theirs on top of the initial commit.
  EXPECT_EQ(git(bare(), {"rev-parse", "main~2"}), initial);
  EXPECT_EQ(git(bare(), {"log", "-1", "--format=%s", "main~1"}), "someone else's change");
  EXPECT_EQ(remote_file("README.md"), "someone else\n");
  EXPECT_EQ(git(bare(), {"diff", "--name-only", "main~1", "main"}), "deploy/web.yaml");
  ASSERT_TRUE(within(20s, [&] {
    return st("gantryimageupdate", "{.status.lastPushCommit}") == remote_head();
  })) << log();
}

TEST_F(ImageUpdateTest, PushesToANewBranchForReview) {
  std::string initial = remote_head();
  tag("1.4.0");
  start_controller();
  apply_image_update("  push: {branch: image-updates}\n");
  ASSERT_TRUE(within(30s, [&] {
    return git_run(bare(), {"rev-parse", "refs/heads/image-updates"}).exit_code == 0;
  })) << log();
  EXPECT_EQ(remote_head(), initial);  // main untouched
  EXPECT_EQ(remote_file("deploy/web.yaml", "image-updates"), web_yaml("1.4.0"));
  EXPECT_EQ(git(bare(), {"rev-parse", "image-updates~1"}), initial);
  // The next update goes on top of the review branch.
  std::string first = remote_head("image-updates");
  tag("1.4.1");
  ASSERT_TRUE(within(30s, [&] { return remote_head("image-updates") != first; })) << log();
  EXPECT_EQ(git(bare(), {"rev-parse", "image-updates~1"}), first);
  EXPECT_EQ(remote_file("deploy/web.yaml", "image-updates"), web_yaml("1.4.1"));
  EXPECT_EQ(remote_head(), initial);
}

TEST_F(ImageUpdateTest, RegistryWebhookScansAtOnce) {
  apply(R"(apiVersion: v1
kind: Secret
metadata: {name: hook, namespace: default}
stringData: {token: hook-secret}
)");
  std::string initial = remote_head();
  start_controller({"--listen", "127.0.0.1:0", "--webhook-secret", "default/hook"});
  apply_image_update("", "1h");  // only the first run and the webhook scan
  ASSERT_TRUE(within(30s, [&] { return reason() == "NoChanges"; })) << reason() << log();
  tag("1.5.0");
  std::smatch port;
  std::string l = log();
  ASSERT_TRUE(std::regex_search(l, port, std::regex("\"listen\":\"[^\"]*:([0-9]+)\""))) << l;
  std::string hook = "http://127.0.0.1:" + port[1].str() + "/hooks/registry";
  // A wrong token is refused and starts nothing.
  ProcessResult bad = run_process({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X",
                                   "POST", "-H", "Authorization: Bearer nope", "-d", "{}", hook});
  EXPECT_EQ(bad.out, "401");
  ProcessResult ok = run_process(
      {"curl", "-s", "-X", "POST", "-H", "Authorization: Bearer hook-secret", "-H",
       "Content-Type: application/json", "-d",
       R"({"events":[{"action":"push","target":{"repository":"acme/web","tag":"1.5.0"}}]})", hook});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr("GantryImageUpdate/default/web"));
  ASSERT_TRUE(within(20s, [&] { return remote_head() != initial; })) << log();
  EXPECT_EQ(remote_file("deploy/web.yaml"), web_yaml("1.5.0"));
}

TEST_F(ImageUpdateTest, OnlyTheLeaderRunsIt) {
  apply("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: gantry-system\n");  // the Lease's
  auto [a, b] = leader_pair({});
  ASSERT_FALSE(HasFailure());
  std::string initial = remote_head();
  tag("1.6.0");
  apply_image_update();
  ASSERT_TRUE(within(30s, [&] { return remote_head() != initial; })) << a->log();
  EXPECT_EQ(git(bare(), {"rev-parse", "main~1"}), initial);  // one commit, by one replica
  wait_scans();
  EXPECT_THAT(a->log(), HasSubstr("image automation done"));
  EXPECT_EQ(b->log().find("image automation"), std::string::npos) << b->log();
}

TEST_F(ImageUpdateTest, FluxObjectsReadUnchanged) {
  std::string initial = remote_head();
  tag("1.1.0");
  tag("2.0.0-rc.1");
  apply(R"(apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: web, namespace: default}
spec:
  interval: 1m
  url: )" +
        url() + R"(
  ref: {branch: main}
  secretRef: {name: git-creds}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: web, namespace: default}
spec:
  image: )" +
        image() + R"(
  interval: 1m
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: web, namespace: default}
spec:
  imageRepositoryRef: {name: web}
  policy:
    semver: {range: ">=1.0.0"}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: {name: web, namespace: default}
spec:
  interval: 1s
  sourceRef: {kind: GitRepository, name: web}
  git:
    checkout:
      ref: {branch: main}
    commit:
      author: {name: fluxcdbot, email: fluxcdbot@users.noreply.github.com}
      messageTemplate: '{{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}'
    push: {branch: main}
  update:
    path: ./deploy
    strategy: Setters
)");
  start_controller();
  ASSERT_TRUE(within(30s, [&] { return remote_head() != initial; })) << log();
  EXPECT_EQ(remote_file("deploy/web.yaml"), web_yaml("1.1.0"));
  EXPECT_EQ(git(bare(), {"log", "-1", "--format=%an <%ae>", "main"}),
            "fluxcdbot <fluxcdbot@users.noreply.github.com>");
  ASSERT_TRUE(within(20s, [&] {
    return st("imagepolicy", "{.status.latestRef.tag}") == "1.1.0" &&
           st("imageupdateautomation", "{.status.lastPushCommit}") == remote_head();
  })) << log();
  EXPECT_EQ(st("imagepolicy", "{.status.latestRef.name}"), image());
  // The Go message template is not expanded; the status says so.
  EXPECT_THAT(st("imageupdateautomation", "{.status.unsupportedFields}"),
              HasSubstr("messageTemplate"));
  std::string pushed = remote_head();
  wait_scans("imageupdateautomation");
  EXPECT_EQ(remote_head(), pushed);
  EXPECT_EQ(reason("imageupdateautomation"), "NoChanges");
}

}  // namespace
}  // namespace gantry::testing
