#include "build/dockerignore.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace gantry::build {
namespace {

TEST(DockerIgnore, Clean) {
  EXPECT_EQ(clean_relative("/foo/"), "foo");
  EXPECT_EQ(clean_relative("./a//b/../c"), "a/c");
  EXPECT_EQ(clean_relative("../x"), "x");
  EXPECT_EQ(clean_relative("/"), ".");
}

TEST(DockerIgnore, Glob) {
  struct Case {
    const char* pattern;
    const char* path;
    bool match;
  };
  const Case cases[] = {
      {"*.md", "README.md", true},
      {"*.md", "docs/README.md", false},
      {"*/temp*", "a/temporary", true},
      {"*/temp*", "a/b/temp", false},
      {"temp?", "temp1", true},
      {"temp?", "temp/", false},
      {"**/*.go", "main.go", true},
      {"**/*.go", "a/b/main.go", true},
      {"a/**", "a/b/c", true},
      {"a/**/z", "a/z", true},
      {"a/**/z", "a/b/c/z", true},
      {"a/**/z", "a/b/cz", false},
      {"[a-c]x", "bx", true},
      {"[^a-c]x", "bx", false},
      {"[^a-c]x", "dx", true},
      {"\\*x", "*x", true},
      {"\\*x", "ax", false},
      {"[z-a]", "b", false},
  };
  for (const Case& c : cases)
    EXPECT_EQ(glob_match(c.pattern, c.path), c.match) << c.pattern << " " << c.path;
}

TEST(DockerIgnore, RulesExceptionsAndParents) {
  IgnoreRules r = IgnoreRules::parse(
      "# comment\n\n/node_modules\n*.md\n!README.md\n./build/\n**/*.tmp\ndocs\n!docs/keep.txt\n");
  EXPECT_TRUE(r.excludes("node_modules"));
  EXPECT_TRUE(r.excludes("node_modules/x/index.js"));
  EXPECT_FALSE(r.excludes("src/node_modules"));
  EXPECT_TRUE(r.excludes("CHANGES.md"));
  EXPECT_FALSE(r.excludes("README.md"));
  EXPECT_FALSE(r.excludes("src/notes.md"));
  EXPECT_TRUE(r.excludes("build/out.o"));
  EXPECT_TRUE(r.excludes("a/b/c.tmp"));
  EXPECT_TRUE(r.excludes("docs/other.txt"));
  EXPECT_FALSE(r.excludes("docs/keep.txt"));
  EXPECT_FALSE(r.excludes("main.go"));
  EXPECT_TRUE(r.has_exceptions());
}

TEST(DockerIgnore, BadLinesNameTheLine) {
  try {
    IgnoreRules::parse("a\n!\n");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where().line, 2u);
  }
  EXPECT_THROW(IgnoreRules::parse("[abc\n"), Error);
}

}  // namespace
}  // namespace gantry::build
