// Repository::describe against the real `git describe --tags --always` on
// repositories built with the git CLI: lightweight and annotated tags, merges
// (with and without --first-parent), several --match globs, no tags at all,
// and the abbreviation length git picks for larger repositories.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "git/repository.h"
#include "support/fixtures.h"
#include "support/git_cli.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kGlobs = {"", "[0-9]*.[0-9]*.[0-9]*", "v*", "*.0", "nomatch*"};

// git describe with the same options, exactly as the course's Taskfile runs it.
std::string git_describe(const fs::path& dir, const git::DescribeOptions& o) {
  std::vector<std::string> args{"describe", "--tags", "--always"};
  if (o.first_parent) args.push_back("--first-parent");
  if (!o.match.empty()) args.insert(args.end(), {"--match", o.match});
  return git(dir, args);
}

// Compares every glob with and without --first-parent; returns how many differed.
void expect_same_as_git(const fs::path& dir) {
  git::Repository repo = git::Repository::open(dir);
  for (const auto& glob : kGlobs) {
    for (bool fp : {false, true}) {
      git::DescribeOptions o{glob, fp, true};
      SCOPED_TRACE("--match '" + glob + "'" + (fp ? " --first-parent" : ""));
      EXPECT_EQ(repo.describe(o), git_describe(dir, o));
    }
  }
}

TEST(Describe, NoTagsGivesTheAbbreviatedCommit) {
  TempDir t;
  git_init(t.path());
  git_commit_file(t.path(), "a", "1", "one");
  std::string head = git_commit_file(t.path(), "a", "2", "two");
  expect_same_as_git(t.path());
  EXPECT_EQ(git::Repository::open(t.path()).describe({}), head.substr(0, 7));
}

TEST(Describe, LightweightAndAnnotatedTagsOnALine) {
  TempDir t;
  git_init(t.path());
  git_commit_file(t.path(), "a", "1", "one");
  git(t.path(), {"tag", "1.0.0"});  // lightweight
  git_commit_file(t.path(), "a", "2", "two");
  git(t.path(), {"tag", "-a", "-m", "release 1.1.0", "1.1.0"});  // annotated
  git_commit_file(t.path(), "a", "3", "three");
  git(t.path(), {"tag", "v2-rc"});
  git_commit_file(t.path(), "a", "4", "four");
  git_commit_file(t.path(), "a", "5", "five");
  expect_same_as_git(t.path());
  git::Repository repo = git::Repository::open(t.path());
  std::string head = git(t.path(), {"rev-parse", "--short", "HEAD"});
  EXPECT_EQ(repo.describe({"[0-9]*.[0-9]*.[0-9]*", true, true}), "1.1.0-3-g" + head);
  // HEAD on a tag: the tag alone.
  git(t.path(), {"tag", "1.2.0"});
  expect_same_as_git(t.path());
  EXPECT_EQ(repo.describe({"[0-9]*.[0-9]*.[0-9]*", true, true}), "1.2.0");
}

TEST(Describe, TwoTagsOnOneCommitPreferTheAnnotatedOne) {
  TempDir t;
  git_init(t.path());
  git_commit_file(t.path(), "a", "1", "one");
  git(t.path(), {"tag", "1.0.1"});
  git(t.path(), {"tag", "-a", "-m", "annotated", "1.0.0"});
  git_commit_file(t.path(), "a", "2", "two");
  expect_same_as_git(t.path());
  EXPECT_EQ(git::Repository::open(t.path()).describe({}).substr(0, 9), "1.0.0-1-g");
}

// main: A(1.0.0) - B ------- M(merge) - D
//          \              /
// feature:  F1(2.0.0) - F2
TEST(Describe, MergesWithAndWithoutFirstParent) {
  TempDir t;
  git_init(t.path());
  git_commit_file(t.path(), "a", "1", "A");
  git(t.path(), {"tag", "-a", "-m", "one", "1.0.0"});
  git(t.path(), {"checkout", "-q", "-b", "feature"});
  git_commit_file(t.path(), "f", "1", "F1");
  git(t.path(), {"tag", "2.0.0"});
  git_commit_file(t.path(), "f", "2", "F2");
  git(t.path(), {"checkout", "-q", "main"});
  git_commit_file(t.path(), "a", "2", "B");
  git(t.path(), {"merge", "-q", "--no-ff", "-m", "merge feature", "feature"});
  git_commit_file(t.path(), "a", "3", "D");
  expect_same_as_git(t.path());
  git::Repository repo = git::Repository::open(t.path());
  // The side branch's tag is only seen when merges are followed.
  EXPECT_EQ(repo.describe({"[0-9]*.[0-9]*.[0-9]*", true, true}).substr(0, 8), "1.0.0-3-");
  EXPECT_EQ(repo.describe({"[0-9]*.[0-9]*.[0-9]*", false, true}).substr(0, 6), "2.0.0-");
}

TEST(Describe, ManyMergesAndTags) {
  TempDir t;
  git_init(t.path());
  git_commit_file(t.path(), "a", "0", "root");
  for (int i = 1; i <= 6; ++i) {
    std::string n = std::to_string(i);
    git(t.path(), {"checkout", "-q", "-b", "topic" + n});
    git_commit_file(t.path(), "t" + n, "x", "topic " + n);
    if (i % 2) git(t.path(), {"tag", "0." + n + ".0-topic"});
    git_commit_file(t.path(), "t" + n, "y", "topic " + n + " more");
    git(t.path(), {"checkout", "-q", "main"});
    git_commit_file(t.path(), "a", n, "main " + n);
    if (i % 3 == 0) git(t.path(), {"tag", "-a", "-m", "r", "1." + n + ".0"});
    git(t.path(), {"merge", "-q", "--no-ff", "-m", "merge " + n, "topic" + n});
  }
  expect_same_as_git(t.path());
}

TEST(Describe, NoMatchWithoutAlwaysIsNotFound) {
  TempDir t;
  git_init(t.path());
  git_commit_file(t.path(), "a", "1", "one");
  git(t.path(), {"tag", "v1"});
  EXPECT_NE(git_run(t.path(), {"describe", "--tags", "--match", "[0-9]*"}).exit_code, 0);
  try {
    git::Repository::open(t.path()).describe({"[0-9]*", false, false});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotFound);
    EXPECT_NE(e.str().find("[0-9]*"), std::string::npos) << e.str();
  }
}

TEST(Describe, EmptyRepositoryAndNoRepository) {
  TempDir t;
  EXPECT_THROW(git::Repository::open(t.path()), Error);
  git_init(t.path() / "r");
  try {
    git::Repository::open(t.path() / "r").describe({});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotFound);
  }
}

TEST(Describe, OpensFromASubdirectory) {
  TempDir t;
  git_init(t.path());
  git_commit_file(t.path(), "deploy/x.yaml", "a: 1\n", "one");
  git(t.path(), {"tag", "3.0.0"});
  EXPECT_EQ(git::Repository::open(t.path() / "deploy").describe({}), "3.0.0");
}

// Over 2^14 packed objects git abbreviates to 8 digits; core.abbrev wins over that.
TEST(Describe, AbbreviationGrowsWithTheRepositoryLikeGit) {
  TempDir t;
  git_init(t.path());
  std::string stream;
  const int n = 16500;
  for (int i = 0; i < n; ++i) {
    std::string d = "blob " + std::to_string(i) + "\n";
    stream +=
        "blob\nmark :" + std::to_string(i + 1) + "\ndata " + std::to_string(d.size()) + "\n" + d;
  }
  stream += "commit refs/heads/main\ncommitter a <a@b> 1700000000 +0000\ndata 4\nbig\n";
  for (int i = 0; i < n; ++i)
    stream += "M 100644 :" + std::to_string(i + 1) + " f" + std::to_string(i) + "\n";
  stream += "\n";
  ProcessOptions o;
  o.cwd = t.path();
  o.input = stream;
  o.extra_env = git_env();
  ASSERT_EQ(run_process({"git", "fast-import", "--quiet"}, o).exit_code, 0);
  git(t.path(), {"repack", "-adq"});
  git(t.path(), {"reset", "-q", "--hard"});
  git::Repository repo = git::Repository::open(t.path());
  EXPECT_EQ(repo.describe({}), git_describe(t.path(), {}));
  EXPECT_EQ(repo.describe({}).size(), 8u);
  git(t.path(), {"config", "core.abbrev", "12"});
  EXPECT_EQ(git::Repository::open(t.path()).describe({}), git_describe(t.path(), {}));
  EXPECT_EQ(git::Repository::open(t.path()).describe({}).size(), 12u);
}

}  // namespace
}  // namespace gantry::testing
