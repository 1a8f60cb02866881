#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/base64.h"
#include "core/error.h"
#include "oci/credentials.h"
#include "support/fixtures.h"

using namespace gantry::oci;
namespace fs = std::filesystem;

TEST(Credentials, NormalizeKeys) {
  EXPECT_EQ(normalize_auth_key("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(normalize_auth_key("registry-1.docker.io"), "docker.io");
  EXPECT_EQ(normalize_auth_key("http://localhost:5000/v2/"), "localhost:5000");
  EXPECT_EQ(normalize_auth_key("ghcr.io"), "ghcr.io");
}

TEST(Credentials, CredsFlag) {
  auto c = parse_creds_flag("user:pa:ss");
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(c.password, "pa:ss");
  EXPECT_THROW(parse_creds_flag("nocolon"), gantry::Error);
  EXPECT_THROW(parse_creds_flag(":x"), gantry::Error);
}

TEST(Credentials, AuthsEntries) {
  gantry::testing::TempDir tmp;
  auto cfg = tmp.write("config.json", R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": ")" +
                                          gantry::base64_encode("hub:hubpw") + R"("},
      "localhost:5000": {"auth": ")" + gantry::base64_encode("u:p:w") +
                                          R"("},
      "ghcr.io": {"username": "gh", "password": "ghpw"},
      "quay.io": {"identitytoken": "refresh-me"}
    }})");
  CredentialStore s(cfg);
  EXPECT_EQ(s.lookup("docker.io").username, "hub");
  EXPECT_EQ(s.lookup("docker.io").password, "hubpw");
  EXPECT_EQ(s.lookup("localhost:5000").password, "p:w");
  EXPECT_EQ(s.lookup("ghcr.io").username, "gh");
  EXPECT_EQ(s.lookup("quay.io").identity_token, "refresh-me");
  EXPECT_TRUE(s.lookup("other.io").empty());
}

TEST(Credentials, MissingFileIsEmpty) {
  CredentialStore s("/nonexistent/config.json");
  EXPECT_TRUE(s.lookup("x.io").empty());
}

TEST(Credentials, MalformedFileErrorHasNoSecrets) {
  gantry::testing::TempDir tmp;
  auto cfg =
      tmp.write("config.json", R"({"auths": {"x.io": {"auth": "c2VjcmV0OnMzY3IzdA=="}}, broken)");
  CredentialStore s(cfg);
  try {
    s.lookup("x.io");
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_EQ(e.str().find("c2VjcmV0"), std::string::npos) << e.str();
    EXPECT_NE(e.str().find("config.json"), std::string::npos) << e.str();
  }
}

// A docker-credential-<name> helper on PATH, as docker runs them.
class HelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = tmp_.path() / "bin";
    fs::create_directories(bin_);
    auto script = tmp_.write("bin/docker-credential-fake", R"(#!/bin/sh
read server
case "$server" in
  helped.io) echo '{"ServerURL":"helped.io","Username":"helper-user","Secret":"helper-secret"}' ;;
  store.io) echo '{"ServerURL":"store.io","Username":"<token>","Secret":"identity"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hubhelper","Secret":"s"}' ;;
  broken.io) echo 'secret-in-output' ; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
)");
    fs::permissions(script, fs::perms::owner_all);
    old_path_ = std::getenv("PATH");
    setenv("PATH", (bin_.string() + ":" + old_path_).c_str(), 1);
  }
  void TearDown() override { setenv("PATH", old_path_.c_str(), 1); }
  gantry::testing::TempDir tmp_;
  fs::path bin_;
  std::string old_path_;
};

TEST_F(HelperTest, CredHelpersAndCredsStore) {
  auto cfg = tmp_.write("config.json", R"({
    "auths": {"helped.io": {"auth": ")" + gantry::base64_encode("ignored:x") +
                                           R"("}},
    "credHelpers": {"helped.io": "fake", "broken.io": "fake", "missing.io": "fake"},
    "credsStore": "fake"})");
  CredentialStore s(cfg);
  auto c = s.lookup("helped.io");  // credHelpers wins over auths
  EXPECT_EQ(c.username, "helper-user");
  EXPECT_EQ(c.password, "helper-secret");
  auto t = s.lookup("store.io");  // credsStore
  EXPECT_EQ(t.identity_token, "identity");
  EXPECT_EQ(s.lookup("docker.io").username, "hubhelper");
  EXPECT_TRUE(s.lookup("missing.io").empty());  // "not found" is not an error
  try {
    s.lookup("broken.io");
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_EQ(e.str().find("secret-in-output"), std::string::npos) << e.str();
    EXPECT_NE(e.str().find("docker-credential-fake"), std::string::npos) << e.str();
  }
}

TEST_F(HelperTest, MissingHelperIsAnError) {
  auto cfg = tmp_.write("config.json", R"({"credsStore": "nonexistent"})");
  CredentialStore s(cfg);
  EXPECT_THROW(s.lookup("x.io"), gantry::Error);
}
