// Interop with a real peer: skopeo reads what gantry pushed, gantry copies
// what skopeo pushed, and both agree on every digest.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/process.h"
#include "support/fixtures.h"
#include "support/oci_cli.h"
#include "support/oci_testdata.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;

class OciSkopeo : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
    if (!find_program("skopeo")) GTEST_SKIP() << "skopeo is not installed";
    policy_ = tmp_.write("policy.json", "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
  }
  ProcessResult gantry(const std::vector<std::string>& args) {
    return gantry_cmd(args, tmp_.path() / "docker-config");
  }
  ProcessResult skopeo(std::vector<std::string> args) {
    std::vector<std::string> argv{"skopeo", "--policy", policy_.string(), "--tmpdir",
                                  tmp_.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions o;
    o.timeout = std::chrono::minutes(3);
    o.extra_env = {"REGISTRY_AUTH_FILE=" + (tmp_.path() / "auth.json").string(),
                   "HOME=" + tmp_.path().string()};
    return run_process(argv, o);
  }
  TempDir tmp_;
  fs::path policy_;
};

TEST_F(OciSkopeo, SkopeoReadsWhatGantryPushed) {
  TestRegistry reg;
  TestImage amd = write_test_image(tmp_.path() / "src", "", 2, 40000, 31, "amd64");
  TestImage arm = write_test_image(tmp_.path() / "src", "", 2, 40000, 32, "arm64");
  TestImage idx = write_test_index(tmp_.path() / "src", "v1", {amd, arm});
  TestImage single = write_test_image(tmp_.path() / "src", "single", 3, 40000, 33);
  ASSERT_EQ(
      gantry({"push", "oci:" + (tmp_.path() / "src").string() + ":v1", reg.host() + "/gp/multi:v1"})
          .exit_code,
      0);
  ASSERT_EQ(gantry({"push", "oci:" + (tmp_.path() / "src").string() + ":single",
                    reg.host() + "/gp/single:v1"})
                .exit_code,
            0);

  ProcessResult raw =
      skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + reg.host() + "/gp/multi:v1"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  EXPECT_EQ(sha256_digest(raw.out), idx.digest);
  ProcessResult info =
      skopeo({"inspect", "--tls-verify=false", "docker://" + reg.host() + "/gp/single:v1"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  doc::Value v = doc::parse_json(info.out, "skopeo inspect");
  EXPECT_EQ(v.get_string("Digest"), single.digest);
  EXPECT_EQ(v.find("Layers")->size(), 3u);
  EXPECT_EQ(v.get_string("Architecture"), "amd64");

  // skopeo copies all platforms out of the registry into a layout, unchanged.
  fs::path out = tmp_.path() / "skopeo-out";
  ProcessResult copied =
      skopeo({"copy", "--all", "--src-tls-verify=false", "docker://" + reg.host() + "/gp/multi:v1",
              "oci:" + out.string() + ":v1"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_TRUE(fs::exists(out / "blobs" / "sha256" / idx.digest.substr(7)));
  for (const auto& l : arm.layer_digests)
    EXPECT_TRUE(fs::exists(out / "blobs" / "sha256" / l.substr(7)));
  EXPECT_TRUE(layout_blobs_intact(out));
}

TEST_F(OciSkopeo, GantryCopiesWhatSkopeoPushed) {
  TestRegistry a;
  TestRegistry b;
  TestImage img = write_test_image(tmp_.path() / "src", "v1", 3, 40000, 34);
  ProcessResult pushed =
      skopeo({"copy", "--dest-tls-verify=false", "oci:" + (tmp_.path() / "src").string() + ":v1",
              "docker://" + a.host() + "/sk/app:v1"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  ProcessResult raw =
      skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + a.host() + "/sk/app:v1"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  std::string skopeo_digest = sha256_digest(raw.out);

  doc::Value c =
      json_of(gantry({"copy", a.host() + "/sk/app:v1", b.host() + "/gantry/app:v1", "-o", "json"}));
  EXPECT_EQ(c.get_string("digest"), skopeo_digest);
  doc::Value i = json_of(gantry({"inspect", b.host() + "/gantry/app:v1", "-o", "json"}));
  EXPECT_EQ(i.get_string("digest"), skopeo_digest);
  ProcessResult again =
      skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + b.host() + "/gantry/app:v1"});
  EXPECT_EQ(sha256_digest(again.out), skopeo_digest);

  ProcessResult pulled =
      gantry({"pull", a.host() + "/sk/app:v1", "oci:" + (tmp_.path() / "pulled").string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_TRUE(layout_blobs_intact(tmp_.path() / "pulled"));
  for (const auto& l : img.layer_digests)
    EXPECT_TRUE(fs::exists(tmp_.path() / "pulled" / "blobs" / "sha256" / l.substr(7)));
}

TEST_F(OciSkopeo, DockerV2ManifestsFromSkopeo) {
  TestRegistry reg;
  write_test_image(tmp_.path() / "src", "v1", 2, 30000, 35);
  ProcessResult pushed = skopeo({"copy", "--format", "v2s2", "--dest-tls-verify=false",
                                 "oci:" + (tmp_.path() / "src").string() + ":v1",
                                 "docker://" + reg.host() + "/d2/app:v1"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  ProcessResult raw =
      skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + reg.host() + "/d2/app:v1"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  doc::Value i = json_of(gantry({"inspect", reg.host() + "/d2/app:v1", "-o", "json"}));
  EXPECT_EQ(i.get_string("mediaType"), "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(i.get_string("digest"), sha256_digest(raw.out));
  doc::Value c = json_of(gantry(
      {"copy", reg.host() + "/d2/app:v1", "oci:" + (tmp_.path() / "d2").string(), "-o", "json"}));
  EXPECT_EQ(c.get_string("digest"), sha256_digest(raw.out));
  doc::Value back = json_of(gantry({"push", "oci:" + (tmp_.path() / "d2").string() + ":v1",
                                    reg.host() + "/d2/copy:v1", "-o", "json"}));
  EXPECT_EQ(back.get_string("digest"), sha256_digest(raw.out));
  ProcessResult again =
      skopeo({"inspect", "--raw", "--tls-verify=false", "docker://" + reg.host() + "/d2/copy:v1"});
  EXPECT_EQ(again.out, raw.out);
}

}  // namespace
}  // namespace gantry::testing
