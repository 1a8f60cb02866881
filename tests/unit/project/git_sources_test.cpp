// project/git_sources.h without a server: the git: item forms of kluctl and
// their errors, URL rewrites, and the lock file's round trip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/file.h"
#include "doc/yaml.h"
#include "project/git_sources.h"
#include "support/fixtures.h"

namespace gantry::project {
namespace {

using ::testing::HasSubstr;

GitItem parse(const std::string& yaml) {
  doc::Value v = doc::parse_yaml(yaml, "deployment.yaml");
  return parse_git_item(*v.find("git"));
}

std::string error_of(const std::string& yaml) {
  return testing::error_text([&] { parse(yaml); });
}

TEST(GitItem, StringFormIsTheDefaultBranchOfTheWholeRepository) {
  GitItem g = parse("git: https://example.com/a.git\n");
  EXPECT_EQ(g.url, "https://example.com/a.git");
  EXPECT_EQ(g.ref.str(), "default branch");
  EXPECT_EQ(g.sub_dir, "");
}

TEST(GitItem, MapFormWithEachRefKind) {
  GitItem g = parse("git:\n  url: u\n  ref: {tag: v1}\n  subDir: a/b/\n");
  EXPECT_EQ(g.ref.ref.tag, "v1");
  EXPECT_EQ(g.sub_dir, "a/b");
  EXPECT_EQ(parse("git: {url: u, ref: {branch: main}}").ref.str(), "branch main");
  EXPECT_EQ(parse("git: {url: u, ref: {commit: 0123abcd}}").ref.ref.commit, "0123abcd");
  // kluctl's older string ref: a branch or a tag; refs/ prefixes decide.
  EXPECT_EQ(parse("git: {url: u, ref: v1}").ref.str(), "ref v1");
  EXPECT_EQ(parse("git: {url: u, ref: refs/tags/v1}").ref.str(), "tag v1");
  EXPECT_EQ(parse("git: {url: u, ref: refs/heads/x}").ref.str(), "branch x");
}

TEST(GitItem, MalformedEntriesFailAtTheirLine) {
  EXPECT_THAT(error_of("git:\n  url: u\n  ref: {tag: v1, branch: b}\n"),
              HasSubstr("deployment.yaml:3"));
  EXPECT_THAT(error_of("git:\n  url: u\n  ref: {tag: v1, branch: b}\n"),
              HasSubstr("exactly one of branch, tag or commit"));
  EXPECT_THAT(error_of("git: {url: u, subDir: ../x}"), HasSubstr("inside the repository"));
  EXPECT_THAT(error_of("git: {url: u, subDir: /etc}"), HasSubstr("inside the repository"));
  EXPECT_THAT(error_of("git: {url: u, path: x}"), HasSubstr("path"));
  EXPECT_THAT(error_of("git: {ref: {tag: v1}}"), HasSubstr("needs a url"));
  EXPECT_THAT(error_of("git: [u]"), HasSubstr("git must be a URL"));
}

TEST(GitUrlRewrite, LongestPrefixWins) {
  std::vector<GitUrlRewrite> r{parse_git_url_rewrite("https://github.com/=git://m/gh/"),
                               parse_git_url_rewrite("https://github.com/kluctl/=git://k/")};
  EXPECT_EQ(rewrite_git_url(r, "https://github.com/kluctl/kluctl.git"), "git://k/kluctl.git");
  EXPECT_EQ(rewrite_git_url(r, "https://github.com/x/y.git"), "git://m/gh/x/y.git");
  EXPECT_EQ(rewrite_git_url(r, "https://gitlab.com/x/y.git"), "https://gitlab.com/x/y.git");
  EXPECT_EQ(parse_git_url_rewrite("a=b=c").to, "b=c");
  EXPECT_THAT(testing::error_text([] { parse_git_url_rewrite("no-equals"); }),
              HasSubstr("FROM=TO"));
  EXPECT_THAT(testing::error_text([] { parse_git_url_rewrite("=x"); }), HasSubstr("FROM=TO"));
}

TEST(GitLock, RoundTripAndBadEntries) {
  testing::TempDir d;
  std::string id(40, 'a');
  GitLockEntry a{"https://e.com/a.git", {}, id};
  a.ref.ref.tag = "v1";
  GitLockEntry b{"https://e.com/b.git", {}, id};
  b.ref.name = "old-style";
  GitLockEntry c{"https://e.com/c.git", {}, id};  // default branch
  write_git_lock(d.path() / "lock.yaml", {a, b, c});
  std::vector<GitLockEntry> back = read_git_lock(d.path() / "lock.yaml");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].url, a.url);
  EXPECT_TRUE(back[0].ref == a.ref);
  EXPECT_TRUE(back[1].ref == b.ref);
  EXPECT_TRUE(back[2].ref == c.ref);
  EXPECT_EQ(back[2].commit, id);

  EXPECT_TRUE(read_git_lock(d.path() / "missing.yaml").empty());
  d.write("bad.yaml", "gitSources:\n  - url: u\n    commit: abc\n");
  EXPECT_THAT(testing::error_text([&] { read_git_lock(d.path() / "bad.yaml"); }),
              HasSubstr("bad.yaml:2"));
}

}  // namespace
}  // namespace gantry::project
