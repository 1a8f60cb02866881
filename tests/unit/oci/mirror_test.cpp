#include "oci/mirror.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace gantry::oci {
namespace {

std::string through(const std::vector<Mirror>& mirrors, const std::string& ref) {
  return mirrored(parse_reference(ref), mirrors).str();
}

TEST(Mirror, ParsesRegistryHostAndPrefix) {
  Mirror m = parse_mirror("docker.io=127.0.0.1:5000");
  EXPECT_EQ(m.registry, "docker.io");
  EXPECT_EQ(m.host, "127.0.0.1:5000");
  EXPECT_EQ(m.prefix, "");
  m = parse_mirror("cgr.dev=mirror.example.com/cache/cgr");
  EXPECT_EQ(m.registry, "cgr.dev");
  EXPECT_EQ(m.host, "mirror.example.com");
  EXPECT_EQ(m.prefix, "cache/cgr");
  EXPECT_EQ(m.str(), "cgr.dev=mirror.example.com/cache/cgr");
  EXPECT_EQ(parse_mirror("localhost:5001=[::1]:5000").host, "[::1]:5000");
  // Docker Hub's other names are docker.io.
  EXPECT_EQ(parse_mirror("index.docker.io=localhost:5000").registry, "docker.io");
  EXPECT_EQ(parse_mirror("registry-1.docker.io=localhost:5000").registry, "docker.io");
}

TEST(Mirror, RefusesMalformedMirrors) {
  for (const char* bad : {"docker.io", "=127.0.0.1:5000", "docker.io=", "golang=127.0.0.1:5000",
                          "docker.io/library=127.0.0.1:5000", "docker.io=mirror",
                          "docker.io=127.0.0.1:5000/", "docker.io=127.0.0.1:5000/Upper",
                          "docker.io=127.0.0.1:port", "docker.io=127.0.0.1:5000 /x"}) {
    SCOPED_TRACE(bad);
    try {
      parse_mirror(bad);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kUsage);
      EXPECT_NE(std::string(e.what()).find("REGISTRY=HOST"), std::string::npos) << e.what();
    }
  }
}

TEST(Mirror, DockerHubMirrorTakesShortLibraryAndFullNames) {
  std::vector<Mirror> ms{parse_mirror("docker.io=127.0.0.1:5000")};
  EXPECT_EQ(through(ms, "golang:1.19-bullseye"), "127.0.0.1:5000/library/golang:1.19-bullseye");
  EXPECT_EQ(through(ms, "library/python:3.12-slim"), "127.0.0.1:5000/library/python:3.12-slim");
  EXPECT_EQ(through(ms, "docker.io/library/node:20.14-bullseye-slim"),
            "127.0.0.1:5000/library/node:20.14-bullseye-slim");
  EXPECT_EQ(through(ms, "index.docker.io/migrate/migrate:v4.17.1"),
            "127.0.0.1:5000/migrate/migrate:v4.17.1");
  EXPECT_EQ(through(ms, "nginxinc/nginx-unprivileged:1.23-alpine-perl"),
            "127.0.0.1:5000/nginxinc/nginx-unprivileged:1.23-alpine-perl");
  EXPECT_EQ(through(ms, "postgres"), "127.0.0.1:5000/library/postgres:latest");
}

TEST(Mirror, KeepsTagAndDigestAndAddsThePrefix) {
  std::string dg = "sha256:" + std::string(64, 'a');
  std::vector<Mirror> ms{parse_mirror("docker.io=mirror.local:5000/hub")};
  EXPECT_EQ(through(ms, "golang:1.19@" + dg), "mirror.local:5000/hub/library/golang:1.19@" + dg);
  EXPECT_EQ(through(ms, "busybox@" + dg), "mirror.local:5000/hub/library/busybox@" + dg);
}

TEST(Mirror, OnlyTheMirroredRegistryMovesAndTheFirstMirrorWins) {
  std::vector<Mirror> ms{parse_mirror("cgr.dev=127.0.0.1:5000/cgr"),
                         parse_mirror("cgr.dev=127.0.0.1:6000"),
                         parse_mirror("docker.io=127.0.0.1:7000")};
  EXPECT_EQ(through(ms, "cgr.dev/chainguard/static:latest"),
            "127.0.0.1:5000/cgr/chainguard/static:latest");
  EXPECT_EQ(through(ms, "ghcr.io/org/app:1"), "ghcr.io/org/app:1");
  EXPECT_EQ(through(ms, "cgr.dev.example.com/x:1"), "cgr.dev.example.com/x:1");
  EXPECT_EQ(through(ms, "alpine:3"), "127.0.0.1:7000/library/alpine:3");
  EXPECT_EQ(through({}, "alpine:3"), "docker.io/library/alpine:3");
  // The original reference is not changed.
  Reference r = parse_reference("cgr.dev/chainguard/static");
  Reference m = mirrored(r, ms);
  EXPECT_EQ(r.registry, "cgr.dev");
  EXPECT_EQ(m.api_host(), "127.0.0.1:5000");
  EXPECT_EQ(m.repository, "cgr/chainguard/static");
}

}  // namespace
}  // namespace gantry::oci
