#include <gtest/gtest.h>

#include "core/error.h"
#include "oci/reference.h"

using gantry::oci::parse_reference;
using gantry::oci::parse_repository;

namespace {

std::string norm(std::string_view s) {
  return parse_reference(s).str();
}

const char* kDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

}  // namespace

TEST(Reference, DockerHubNormalisation) {
  EXPECT_EQ(norm("nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(norm("nginx:1.25"), "docker.io/library/nginx:1.25");
  EXPECT_EQ(norm("bitnami/nginx"), "docker.io/bitnami/nginx:latest");
  EXPECT_EQ(norm("docker.io/nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(norm("index.docker.io/nginx"), "docker.io/library/nginx:latest");
  EXPECT_EQ(norm("index.docker.io/a/b:c"), "docker.io/a/b:c");
  EXPECT_EQ(parse_reference("nginx").api_host(), "registry-1.docker.io");
}

TEST(Reference, RegistriesAndPorts) {
  auto r = parse_reference("localhost:5000/team/app:v1");
  EXPECT_EQ(r.registry, "localhost:5000");
  EXPECT_EQ(r.repository, "team/app");
  EXPECT_EQ(r.tag, "v1");
  EXPECT_TRUE(r.is_loopback());
  EXPECT_EQ(parse_reference("localhost/app").registry, "localhost");
  EXPECT_EQ(parse_reference("ghcr.io/o/r").registry, "ghcr.io");
  EXPECT_EQ(parse_reference("127.0.0.1:5000/x").registry, "127.0.0.1:5000");
  EXPECT_TRUE(parse_reference("127.0.0.1:5000/x").is_loopback());
  EXPECT_EQ(parse_reference("[::1]:5000/x").registry, "[::1]:5000");
  EXPECT_TRUE(parse_reference("[::1]:5000/x").is_loopback());
  EXPECT_FALSE(parse_reference("ghcr.io/o/r").is_loopback());
  // A first component with upper case letters is a host.
  EXPECT_EQ(parse_reference("Registry/x").registry, "Registry");
  // Without '.', ':' or localhost the first component is a path.
  EXPECT_EQ(parse_reference("team/app").registry, "docker.io");
  EXPECT_EQ(parse_reference("team/app").repository, "team/app");
}

TEST(Reference, TagsAndDigests) {
  auto r = parse_reference(std::string("localhost:5000/app@") + kDigest);
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(r.digest, kDigest);
  EXPECT_EQ(r.identifier(), kDigest);
  auto both = parse_reference(std::string("app:1.0@") + kDigest);
  EXPECT_EQ(both.tag, "1.0");
  EXPECT_EQ(both.identifier(), kDigest);
  EXPECT_EQ(both.str(), std::string("docker.io/library/app:1.0@") + kDigest);
  EXPECT_EQ(parse_reference("a:" + std::string(128, 'x')).tag.size(), 128u);
  EXPECT_EQ(parse_reference("a:_x.Y-1").tag, "_x.Y-1");
}

TEST(Reference, PathComponents) {
  EXPECT_NO_THROW(parse_reference("a__b/c-d/e.f/g---h"));
  EXPECT_THROW(parse_reference("a___b"), gantry::Error);
  EXPECT_THROW(parse_reference("a..b"), gantry::Error);
  EXPECT_THROW(parse_reference("-a"), gantry::Error);
  EXPECT_THROW(parse_reference("a-"), gantry::Error);
  EXPECT_THROW(parse_reference("a//b"), gantry::Error);
  EXPECT_THROW(parse_reference("host.io/"), gantry::Error);
}

TEST(Reference, RejectsInvalid) {
  for (const char* bad :
       {"", "UPPER", "docker.io/Upper/x", "a:", "a:-tag", "a@sha256:abc", "a@md5:0123", "a b",
        "a\nb", "host:port/x", "host:99999999/x", "-host.io/x", "[::1/x", "a:b:c", "a@", ":tag",
        "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    EXPECT_THROW(parse_reference(bad), gantry::Error) << "accepted: " << bad;
  }
  EXPECT_THROW(parse_reference("a:" + std::string(129, 'x')), gantry::Error);
  EXPECT_THROW(parse_reference("h.io/" + std::string(260, 'a')), gantry::Error);
  EXPECT_THROW(parse_reference(std::string("a@sha256:") + std::string(64, 'A')), gantry::Error);
}

TEST(Reference, ErrorsSayWhat) {
  try {
    parse_reference("Foo/Bar");
    FAIL();
  } catch (const gantry::Error& e) {
    EXPECT_NE(e.why().find("lower-case"), std::string::npos) << e.why();
    EXPECT_EQ(e.code(), gantry::ExitCode::kInvalidInput);
  }
}

TEST(Reference, Repository) {
  auto r = parse_repository("localhost:5000/team/app");
  EXPECT_EQ(r.name(), "localhost:5000/team/app");
  EXPECT_EQ(r.tag, "");
  EXPECT_EQ(parse_repository("alpine").name(), "docker.io/library/alpine");
  EXPECT_THROW(parse_repository("alpine:3"), gantry::Error);
  EXPECT_THROW(parse_repository(std::string("alpine@") + kDigest), gantry::Error);
}

TEST(Reference, Loopback) {
  using gantry::oci::is_loopback_host;
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1:5000"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("[::1]:80"));
  EXPECT_FALSE(is_loopback_host("127.example.com"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost.evil.com"));
}
