// gantry push / pull / copy / tags / inspect against the real registry
// (Debian docker-registry): plain HTTP, TLS with a test CA, htpasswd and token
// auth, mounts, two registries, a multi-platform index, tag pagination.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/base64.h"
#include "oci/copy.h"
#include "oci/registry.h"
#include "support/fixtures.h"
#include "support/oci_cli.h"
#include "support/oci_servers.h"
#include "support/oci_testdata.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;

class OciRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
  }
  ProcessResult gantry(const std::vector<std::string>& args, std::vector<std::string> env = {}) {
    return gantry_cmd(args, tmp_.path() / "docker-config", std::move(env));
  }
  fs::path dir(const std::string& name) { return tmp_.path() / name; }
  TempDir tmp_;
};

TEST_F(OciRegistry, PushPullInspectTagsOverPlainHttp) {
  TestRegistry reg;
  TestImage img = write_test_image(dir("src"), "v1", 3, 70000, 1);
  std::string ref = reg.host() + "/team/app:v1";

  doc::Value pushed =
      json_of(gantry({"push", "oci:" + dir("src").string() + ":v1", ref, "-o", "json"}));
  EXPECT_EQ(pushed.get_string("digest"), img.digest);
  EXPECT_EQ(pushed.find("blobs")->find("copied")->as_int(), 4);

  // Pushing again uploads nothing.
  doc::Value again =
      json_of(gantry({"push", "oci:" + dir("src").string() + ":v1", ref, "-o", "json"}));
  EXPECT_EQ(again.find("blobs")->find("existing")->as_int(), 4);
  EXPECT_EQ(again.find("blobs")->find("copied")->as_int(), 0);

  doc::Value inspected = json_of(gantry({"inspect", ref, "-o", "json"}));
  EXPECT_EQ(inspected.get_string("digest"), img.digest);
  EXPECT_EQ(inspected.get_string("platform"), "linux/amd64");
  EXPECT_EQ(inspected.find("layers")->size(), 3u);
  ProcessResult raw = gantry({"inspect", "--raw", ref});
  EXPECT_EQ(raw.out, img.manifest);

  ProcessResult pulled = gantry({"pull", ref, "oci:" + dir("pulled").string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_NE(pulled.out.find(img.digest), std::string::npos);
  for (const auto& l : img.layer_digests)
    EXPECT_EQ(read_text(dir("pulled") / "blobs" / "sha256" / l.substr(7)),
              read_text(dir("src") / "blobs" / "sha256" / l.substr(7)));
  EXPECT_TRUE(layout_blobs_intact(dir("pulled")));
  // The pulled layout is tagged like the source and can be inspected.
  doc::Value local =
      json_of(gantry({"inspect", "oci:" + dir("pulled").string() + ":v1", "-o", "json"}));
  EXPECT_EQ(local.get_string("digest"), img.digest);

  ProcessResult tags = gantry({"tags", reg.host() + "/team/app"});
  ASSERT_EQ(tags.exit_code, 0) << tags.err;
  EXPECT_EQ(tags.out, "v1\n");
}

TEST_F(OciRegistry, MultiPlatformIndex) {
  TestRegistry reg;
  TestImage amd = write_test_image(dir("src"), "", 2, 30000, 10, "amd64");
  TestImage arm = write_test_image(dir("src"), "", 2, 30000, 11, "arm64");
  TestImage idx = write_test_index(dir("src"), "multi", {amd, arm});
  std::string ref = reg.host() + "/multi/app:1.0";
  doc::Value pushed =
      json_of(gantry({"push", "oci:" + dir("src").string() + ":multi", ref, "-o", "json"}));
  EXPECT_EQ(pushed.get_string("digest"), idx.digest);
  ASSERT_EQ(pushed.find("platforms")->size(), 2u);
  EXPECT_EQ(pushed.find("platforms")->as_list()[1].as_string(), "linux/arm64");
  EXPECT_EQ(pushed.find("blobs")->find("copied")->as_int(), 6);

  doc::Value inspected = json_of(gantry({"inspect", ref, "-o", "json"}));
  EXPECT_EQ(inspected.get_string("mediaType"), "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(inspected.find("manifests")->size(), 2u);
  // One platform by digest.
  doc::Value one =
      json_of(gantry({"inspect", reg.host() + "/multi/app@" + arm.digest, "-o", "json"}));
  EXPECT_EQ(one.get_string("platform"), "linux/arm64");

  ProcessResult pulled = gantry({"pull", ref, "oci:" + dir("pulled").string() + ":x"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  for (const auto& img : {amd, arm}) {
    EXPECT_TRUE(fs::exists(dir("pulled") / "blobs" / "sha256" / img.digest.substr(7)));
    for (const auto& l : img.layer_digests)
      EXPECT_TRUE(fs::exists(dir("pulled") / "blobs" / "sha256" / l.substr(7)));
  }
  EXPECT_TRUE(layout_blobs_intact(dir("pulled")));
  doc::Value local =
      json_of(gantry({"inspect", "oci:" + dir("pulled").string() + ":x", "-o", "json"}));
  EXPECT_EQ(local.get_string("digest"), idx.digest);

  // One platform only.
  doc::Value one_platform = json_of(gantry({"pull", ref, "oci:" + dir("arm").string() + ":arm",
                                            "--platform", "linux/arm64", "-o", "json"}));
  EXPECT_EQ(one_platform.get_string("digest"), arm.digest);
  EXPECT_FALSE(fs::exists(dir("arm") / "blobs" / "sha256" / amd.layer_digests[0].substr(7)));
  ProcessResult none =
      gantry({"copy", ref, reg.host() + "/multi/s390x:1", "--platform", "linux/s390x"});
  EXPECT_EQ(none.exit_code, 5);
  EXPECT_NE(none.err.find("linux/amd64, linux/arm64"), std::string::npos) << none.err;

  // Layout to layout keeps the digest too.
  doc::Value l2l = json_of(gantry({"copy", "oci:" + dir("pulled").string() + ":x",
                                   "oci:" + dir("again").string() + ":y", "-o", "json"}));
  EXPECT_EQ(l2l.get_string("digest"), idx.digest);
}

TEST_F(OciRegistry, CopyMountsWithinARegistryAndCopiesBetweenTwo) {
  TestRegistry a;
  TestRegistry b;
  TestImage img = write_test_image(dir("src"), "v1", 3, 50000, 2);
  ASSERT_EQ(
      gantry({"push", "oci:" + dir("src").string() + ":v1", a.host() + "/one/app:v1"}).exit_code,
      0);

  doc::Value mounted =
      json_of(gantry({"copy", a.host() + "/one/app:v1", a.host() + "/two/app:v2", "-o", "json"}));
  EXPECT_EQ(mounted.get_string("digest"), img.digest);
  EXPECT_EQ(mounted.find("blobs")->find("mounted")->as_int(), 4);
  EXPECT_EQ(mounted.find("blobs")->find("copied")->as_int(), 0);

  doc::Value across = json_of(gantry({"copy", "docker://" + a.host() + "/two/app:v2",
                                      b.host() + "/three/app:v3", "-o", "json", "-j", "2"}));
  EXPECT_EQ(across.get_string("digest"), img.digest);
  EXPECT_EQ(across.find("blobs")->find("copied")->as_int(), 4);
  EXPECT_GT(across.find("bytesCopied")->as_int(), 150000);

  ProcessResult pulled =
      gantry({"pull", b.host() + "/three/app:v3", "oci:" + dir("back").string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  EXPECT_TRUE(layout_blobs_intact(dir("back")));
  doc::Value back =
      json_of(gantry({"inspect", "oci:" + dir("back").string() + ":v3", "-o", "json"}));
  EXPECT_EQ(back.get_string("digest"), img.digest);
}

TEST_F(OciRegistry, ChunkedUpload) {
  TestRegistry reg;
  TestImage img = write_test_image(dir("src"), "v1", 2, 300000, 3);
  doc::Value pushed =
      json_of(gantry({"push", "oci:" + dir("src").string() + ":v1", reg.host() + "/chunked/app:v1",
                      "--chunk-size", "65536", "-o", "json"}));
  EXPECT_EQ(pushed.get_string("digest"), img.digest);
  ProcessResult pulled =
      gantry({"pull", reg.host() + "/chunked/app:v1", "oci:" + dir("back").string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.err;
  for (const auto& l : img.layer_digests)
    EXPECT_EQ(read_text(dir("back") / "blobs" / "sha256" / l.substr(7)),
              read_text(dir("src") / "blobs" / "sha256" / l.substr(7)));
}

TEST_F(OciRegistry, TagPaginationFollowsLinks) {
  TestRegistry reg;
  write_test_image(dir("src"), "v0", 1, 1000, 4);
  ASSERT_EQ(gantry({"push", "oci:" + dir("src").string() + ":v0", reg.host() + "/paged/app:v0"})
                .exit_code,
            0);
  // 24 more tags on the same manifest, through the library.
  oci::Session::Options so;
  oci::Session session(so);
  oci::Registry& r = session.registry(reg.host());
  oci::Manifest m = r.get_manifest("paged/app", "v0");
  for (int i = 1; i < 25; ++i)
    r.put_manifest("paged/app", "v" + std::to_string(i), m);

  doc::Value all =
      json_of(gantry({"tags", reg.host() + "/paged/app", "--page-size", "7", "-o", "json"}));
  ASSERT_EQ(all.find("tags")->size(), 25u);
  std::set<std::string> seen;
  for (const auto& t : all.find("tags")->as_list())
    seen.insert(t.as_string());
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_TRUE(seen.count("v24"));
  // One page really is smaller: the registry honours n=.
  oci::Session::Options small;
  small.tags_page_size = 7;
  oci::Session s2(small);
  EXPECT_EQ(s2.registry(reg.host()).list_tags("paged/app").size(), 25u);
}

TEST_F(OciRegistry, TlsWithTestCa) {
  RegistryConfig cfg;
  cfg.tls = true;
  TestRegistry reg(cfg);
  write_test_image(dir("src"), "v1", 1, 5000, 5);
  std::string src = "oci:" + dir("src").string() + ":v1";
  std::string ref = reg.host() + "/tls/app:v1";
  // Loopback alone does not make an untrusted certificate acceptable: the
  // https attempt fails and plain http is refused by the TLS server.
  ProcessResult untrusted = gantry({"push", src, ref});
  EXPECT_EQ(untrusted.exit_code, 4);
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;
  ProcessResult trusted = gantry({"push", src, ref, "--ca-file", reg.ca_file().string()});
  ASSERT_EQ(trusted.exit_code, 0) << trusted.err;
  ProcessResult insecure = gantry({"inspect", ref, "--insecure"});
  EXPECT_EQ(insecure.exit_code, 0) << insecure.err;
  ProcessResult pulled =
      gantry({"pull", ref, "oci:" + dir("back").string(), "--ca-file", reg.ca_file().string()});
  EXPECT_EQ(pulled.exit_code, 0) << pulled.err;
}

TEST_F(OciRegistry, HtpasswdBasicAuth) {
  RegistryConfig cfg;
  cfg.user = "alice";
  cfg.password = "S3cret-pw-123";
  TestRegistry reg(cfg);
  write_test_image(dir("src"), "v1", 1, 5000, 6);
  std::string src = "oci:" + dir("src").string() + ":v1";
  std::string ref = reg.host() + "/private/app:v1";

  ProcessResult anon = gantry({"push", src, ref});
  EXPECT_EQ(anon.exit_code, 4);
  EXPECT_NE(anon.err.find("requires authentication"), std::string::npos) << anon.err;

  ProcessResult wrong = gantry({"push", src, ref, "--creds", "alice:wrong-pw-456"});
  EXPECT_EQ(wrong.exit_code, 4);
  EXPECT_NE(wrong.err.find("rejected"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find("wrong-pw-456"), std::string::npos);

  ProcessResult ok = gantry({"push", src, ref, "--creds", "alice:S3cret-pw-123"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.err.find("S3cret"), std::string::npos);

  // From the docker config file.
  fs::create_directories(dir("docker-config"));
  std::ofstream(dir("docker-config") / "config.json")
      << "{\"auths\":{\"" << reg.host() << "\":{\"auth\":\"" << base64_encode("alice:S3cret-pw-123")
      << "\"}}}";
  ProcessResult tags = gantry({"tags", reg.host() + "/private/app"});
  ASSERT_EQ(tags.exit_code, 0) << tags.err;
  EXPECT_EQ(tags.out, "v1\n");

  // From the environment.
  fs::remove(dir("docker-config") / "config.json");
  ProcessResult env = gantry({"inspect", ref}, {"GANTRY_REGISTRY_USERNAME=alice",
                                                "GANTRY_REGISTRY_PASSWORD=S3cret-pw-123"});
  EXPECT_EQ(env.exit_code, 0) << env.err;

  // A missing image under auth: clear error, no secret.
  ProcessResult missing =
      gantry({"inspect", reg.host() + "/private/nope:v9", "--creds", "alice:S3cret-pw-123"});
  EXPECT_EQ(missing.exit_code, 5) << missing.err;
  EXPECT_EQ(missing.err.find("S3cret"), std::string::npos);
  EXPECT_EQ(missing.out.find("S3cret"), std::string::npos);
}

TEST_F(OciRegistry, TokenAuthWithMountScopes) {
  SigningKey key = make_signing_key(dir("keys"), "token-signer");
  TokenServer tokens(key, "gantry-test-registry", "gantry-test-issuer", "bob", "T0ken-pw-789");
  RegistryConfig cfg;
  cfg.token =
      RegistryConfig::Token{tokens.realm(), "gantry-test-registry", "gantry-test-issuer", key.cert};
  TestRegistry reg(cfg);
  write_test_image(dir("src"), "v1", 2, 20000, 7);
  std::string src = "oci:" + dir("src").string() + ":v1";

  ProcessResult anon = gantry({"push", src, reg.host() + "/tok/app:v1"});
  EXPECT_EQ(anon.exit_code, 4);
  EXPECT_NE(anon.err.find("token service"), std::string::npos) << anon.err;

  ProcessResult ok = gantry(
      {"push", src, reg.host() + "/tok/app:v1", "--creds", "bob:T0ken-pw-789", "-o", "json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;

  ProcessResult mount =
      gantry({"copy", reg.host() + "/tok/app:v1", reg.host() + "/tok/other:v1", "--src-creds",
              "bob:T0ken-pw-789", "--dest-creds", "bob:T0ken-pw-789", "-o", "json"});
  ASSERT_EQ(mount.exit_code, 0) << mount.err;
  doc::Value v = json_of(mount);
  EXPECT_EQ(v.find("blobs")->find("mounted")->as_int(), 3);
  bool saw_mount_scope = false;
  for (const auto& s : tokens.scopes())
    if (s == "repository:tok/app:pull") saw_mount_scope = true;
  EXPECT_TRUE(saw_mount_scope);
  for (const auto& out : {ok.out, ok.err, mount.out, mount.err}) {
    EXPECT_EQ(out.find("T0ken-pw"), std::string::npos);
    EXPECT_EQ(out.find("eyJ"), std::string::npos);  // no JWT
  }
  ProcessResult tags = gantry({"tags", reg.host() + "/tok/other", "--creds", "bob:T0ken-pw-789"});
  EXPECT_EQ(tags.out, "v1\n") << tags.err;
}

TEST_F(OciRegistry, UsageErrors) {
  EXPECT_EQ(gantry({"push", "localhost:1/a:b", "localhost:1/c:d"}).exit_code, 2);
  EXPECT_EQ(gantry({"pull", "localhost:1/a:b", "localhost:1/c:d"}).exit_code, 2);
  ProcessResult bad = gantry({"inspect", "Not/A:Valid:Ref"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("invalid image reference"), std::string::npos) << bad.err;
  ProcessResult nolayout =
      gantry({"push", "oci:" + dir("none").string() + ":v1", "localhost:1/c:d"});
  EXPECT_EQ(nolayout.exit_code, 5) << nolayout.err;
}

}  // namespace
}  // namespace gantry::testing
