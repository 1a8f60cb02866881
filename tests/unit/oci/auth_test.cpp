#include <gtest/gtest.h>

#include "core/error.h"
#include "oci/auth.h"
#include "oci/digest.h"

using gantry::oci::parse_challenges;

TEST(Challenge, Bearer) {
  auto c = parse_challenges(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:library/nginx:pull");
}

TEST(Challenge, BasicAndCase) {
  auto c = parse_challenges(R"(BASIC Realm="Registry Realm")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "Registry Realm");
}

TEST(Challenge, SeveralAndEscapes) {
  auto c = parse_challenges(
      R"(Bearer realm="https://a/t\"x", error="insufficient_scope" , Basic realm=r2)");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].param("realm"), "https://a/t\"x");
  EXPECT_EQ(c[0].param("error"), "insufficient_scope");
  EXPECT_EQ(c[1].scheme, "basic");
  EXPECT_EQ(c[1].param("realm"), "r2");
}

TEST(Challenge, ScopeWithCommas) {
  auto c = parse_challenges(R"(Bearer realm="x",scope="repository:a:pull,push")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("scope"), "repository:a:pull,push");
}

TEST(Challenge, GarbageDoesNotCrash) {
  for (const char* s :
       {"", ",,,", "=", "\"", "Bearer realm=\"unterminated", "Bearer ,realm", "= = =", "a=b=c"}) {
    EXPECT_NO_THROW(parse_challenges(s)) << s;
  }
  EXPECT_TRUE(parse_challenges("").empty());
}

TEST(Challenge, Scope) {
  EXPECT_EQ(gantry::oci::repository_scope("a/b", "pull,push"), "repository:a/b:pull,push");
}

TEST(Digest, ParseAndHash) {
  using gantry::oci::Digest;
  auto d = Digest::sha256_of("hello");
  EXPECT_EQ(d.str(), "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(Digest::parse(d.str()), d);
  EXPECT_THROW(Digest::parse("sha256:abc"), gantry::Error);
  EXPECT_THROW(Digest::parse("md5:0123456789abcdef0123456789abcdef"), gantry::Error);
  EXPECT_FALSE(Digest::valid("sha256:" + std::string(64, 'G')));
  EXPECT_TRUE(Digest::valid("sha512:" + std::string(128, 'a')));
  gantry::oci::Hasher h;
  h.update("hel");
  h.update("lo");
  EXPECT_EQ(h.bytes(), 5u);
  EXPECT_EQ(h.finish(), d);
  EXPECT_EQ(h.bytes(), 0u);
}
