// Hostile or broken registries: a proxy in front of the real registry that
// returns wrong digests, truncated blobs, 401 without a challenge, malformed,
// oversized and unknown manifests. Each is a clear error, and nothing partial
// is left at the destination (no tag in a registry, no index entry or
// unverified blob in a layout).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oci/registry.h"
#include "support/fixtures.h"
#include "support/oci_cli.h"
#include "support/oci_servers.h"
#include "support/oci_testdata.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using Mode = FaultProxy::Mode;

class OciBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
    reg_ = std::make_unique<TestRegistry>();
    img_ = write_test_image(tmp_.path() / "src", "v1", 2, 200000, 21);
    ProcessResult r = gantry(
        {"push", "oci:" + (tmp_.path() / "src").string() + ":v1", reg_->host() + "/up/app:v1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  ProcessResult gantry(const std::vector<std::string>& args) {
    return gantry_cmd(args, tmp_.path() / "docker-config");
  }
  // Copies through the proxy into the registry and into a layout; both must
  // fail with `needle` in the error and leave nothing usable behind.
  void expect_rejected(Mode mode, const std::string& needle) {
    FaultProxy proxy("127.0.0.1", reg_->port(), mode);
    std::string src = proxy.host() + "/up/app:v1";
    std::string dst = reg_->host() + "/down/app:v1";
    ProcessResult to_reg = gantry({"copy", src, dst, "--retries", "1"});
    EXPECT_NE(to_reg.exit_code, 0);
    EXPECT_NE(to_reg.err.find(needle), std::string::npos) << to_reg.err;
    oci::Session session(oci::Session::Options{});
    EXPECT_FALSE(session.registry(reg_->host()).head_manifest("down/app", "v1").has_value())
        << "a tag was written after a failed copy";

    fs::path layout = tmp_.path() / "out";
    ProcessResult to_layout =
        gantry({"pull", src, "oci:" + layout.string() + ":v1", "--retries", "1"});
    EXPECT_NE(to_layout.exit_code, 0);
    EXPECT_NE(to_layout.err.find(needle), std::string::npos) << to_layout.err;
    if (fs::exists(layout / "index.json")) {
      EXPECT_EQ(read_text(layout / "index.json").find("\"v1\""), std::string::npos)
          << "the tag was written";
    }
    EXPECT_TRUE(layout_blobs_intact(layout)) << "an unverified blob was kept";
  }
  TempDir tmp_;
  std::unique_ptr<TestRegistry> reg_;
  TestImage img_;
};

TEST_F(OciBadInput, ProxyPassesThroughWhenHonest) {
  FaultProxy proxy("127.0.0.1", reg_->port(), Mode::kPass);
  ProcessResult r =
      gantry({"copy", proxy.host() + "/up/app:v1", reg_->host() + "/down/app:v1", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json_of(r).get_string("digest"), img_.digest);
  EXPECT_GE(proxy.blob_requests(), 3);
}

TEST_F(OciBadInput, WrongDigest) {
  expect_rejected(Mode::kWrongDigest, "wrong content");
}

TEST_F(OciBadInput, TruncatedBlob) {
  expect_rejected(Mode::kTruncatedBlob, "blob sha256:");
}

TEST_F(OciBadInput, UnauthorizedWithoutChallenge) {
  expect_rejected(Mode::kNoChallenge401, "401 Unauthorized without a WWW-Authenticate challenge");
}

TEST_F(OciBadInput, MalformedManifest) {
  expect_rejected(Mode::kMalformedManifest, "not valid JSON");
}

TEST_F(OciBadInput, ManifestOverTheLimit) {
  expect_rejected(Mode::kHugeManifest, "larger than the limit");
}

TEST_F(OciBadInput, UnknownMediaType) {
  expect_rejected(Mode::kUnknownMediaType,
                  "unknown manifest media type \"application/vnd.example.thing.v1+json\"");
}

TEST_F(OciBadInput, ManifestLimitIsConfigurable) {
  ProcessResult r = gantry({"inspect", reg_->host() + "/up/app:v1", "--manifest-limit", "100"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("larger than the limit of 100 bytes"), std::string::npos) << r.err;
}

TEST_F(OciBadInput, CorruptLocalLayoutBlobIsNotPushed) {
  fs::path src = tmp_.path() / "src";
  std::string layer = img_.layer_digests[0].substr(7);
  std::string data = read_text(src / "blobs" / "sha256" / layer);
  data[10] ^= 1;
  std::ofstream(src / "blobs" / "sha256" / layer, std::ios::binary) << data;
  ProcessResult r =
      gantry({"push", "oci:" + src.string() + ":v1", reg_->host() + "/corrupt/app:v1"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("DIGEST_INVALID"), std::string::npos) << r.err;
  oci::Session session(oci::Session::Options{});
  EXPECT_FALSE(session.registry(reg_->host()).head_manifest("corrupt/app", "v1").has_value());
}

}  // namespace
}  // namespace gantry::testing
