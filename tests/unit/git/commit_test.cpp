// Repository::commit_files and its checks, verified with the git CLI; the
// message template and --author parsing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/error.h"
#include "git/repository.h"
#include "support/fixtures.h"
#include "support/git_cli.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;

ExitCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return ExitCode::kOk;
}

class Commit : public ::testing::Test {
 protected:
  void SetUp() override {
    git_init(dir.path());
    git_commit_file(dir.path(), "deploy/a.yaml", "tag: 1.0.0\n", "one");
    git_commit_file(dir.path(), "deploy/b.yaml", "tag: 1.0.0\n", "two");
    git_commit_file(dir.path(), "other.txt", "x\n", "three");
    parent = git(dir.path(), {"rev-parse", "HEAD"});
  }
  TempDir dir;
  std::string parent;
};

TEST_F(Commit, CommitsExactlyTheGivenFilesAndLeavesOtherStagedChanges) {
  git::Repository repo = git::Repository::open(dir.path() / "deploy");
  std::vector<fs::path> files{dir.path() / "deploy/a.yaml"};
  repo.check_can_commit(files, "");
  dir.write("other.txt", "staged\n");
  git(dir.path(), {"add", "other.txt"});
  dir.write("deploy/a.yaml", "tag: 1.0.1\n");
  auto r = repo.commit_files(files, "bump a\n", {"Bot", "bot@example.com"}, "");
  ASSERT_TRUE(r.created);
  EXPECT_EQ(r.branch, "main");
  EXPECT_EQ(git(dir.path(), {"rev-parse", "HEAD"}), r.id);
  EXPECT_EQ(git(dir.path(), {"rev-parse", "HEAD^"}), parent);
  EXPECT_EQ(git(dir.path(), {"show", "--name-only", "--format=%an <%ae>|%cn <%ce>|%s", "HEAD"}),
            "Bot <bot@example.com>|Bot <bot@example.com>|bump a\n\ndeploy/a.yaml");
  EXPECT_EQ(git(dir.path(), {"show", "HEAD:deploy/a.yaml"}), "tag: 1.0.1");
  // other.txt is still staged, not committed; a.yaml is clean.
  EXPECT_EQ(git(dir.path(), {"status", "--porcelain"}), "M  other.txt");
}

TEST_F(Commit, NothingChangedCommitsNothing) {
  git::Repository repo = git::Repository::open(dir.path());
  auto r = repo.commit_files({dir.path() / "deploy/a.yaml"}, "m", {"Bot", "b@x"}, "");
  EXPECT_FALSE(r.created);
  EXPECT_EQ(git(dir.path(), {"rev-parse", "HEAD"}), parent);
}

TEST_F(Commit, OnANewBranchForAPullRequest) {
  git::Repository repo = git::Repository::open(dir.path());
  std::vector<fs::path> files{dir.path() / "deploy/b.yaml"};
  repo.check_can_commit(files, "gantry/bump");
  dir.write("deploy/b.yaml", "tag: 2.0.0\n");
  auto r = repo.commit_files(files, "bump b", {"Bot", "b@x"}, "gantry/bump");
  ASSERT_TRUE(r.created);
  EXPECT_EQ(r.branch, "gantry/bump");
  EXPECT_EQ(git(dir.path(), {"symbolic-ref", "HEAD"}), "refs/heads/gantry/bump");
  EXPECT_EQ(git(dir.path(), {"rev-parse", "main"}), parent);
  EXPECT_EQ(git(dir.path(), {"rev-parse", "gantry/bump^"}), parent);
  // The branch now exists and is checked out: committing on it again is fine,
  // but from another branch it is refused.
  repo.check_can_commit(files, "gantry/bump");
  git(dir.path(), {"checkout", "-q", "main"});
  EXPECT_EQ(code_of([&] { repo.check_can_commit(files, "gantry/bump"); }), ExitCode::kInvalidInput);
  EXPECT_EQ(code_of([&] { repo.check_can_commit(files, "bad..name"); }), ExitCode::kUsage);
}

TEST_F(Commit, RefusesFilesWithOtherChangesUntrackedFilesAndDetachedHead) {
  git::Repository repo = git::Repository::open(dir.path());
  dir.write("deploy/a.yaml", "tag: 1.0.0\nextra: edit\n");
  EXPECT_EQ(code_of([&] { repo.check_can_commit({dir.path() / "deploy/a.yaml"}, ""); }),
            ExitCode::kInvalidInput);
  git(dir.path(), {"add", "deploy/a.yaml"});  // staged counts too
  EXPECT_EQ(code_of([&] { repo.check_can_commit({dir.path() / "deploy/a.yaml"}, ""); }),
            ExitCode::kInvalidInput);
  dir.write("deploy/new.yaml", "x: 1\n");
  EXPECT_EQ(code_of([&] { repo.check_can_commit({dir.path() / "deploy/new.yaml"}, ""); }),
            ExitCode::kInvalidInput);
  TempDir outside;
  EXPECT_EQ(code_of([&] { repo.check_can_commit({outside.write("x.yaml", "x: 1\n")}, ""); }),
            ExitCode::kInvalidInput);
  git(dir.path(), {"checkout", "-q", "--detach", "HEAD"});
  EXPECT_EQ(code_of([&] { repo.check_can_commit({dir.path() / "deploy/b.yaml"}, ""); }),
            ExitCode::kInvalidInput);
  repo.check_can_commit({dir.path() / "deploy/b.yaml"}, "from-detached");
}

TEST_F(Commit, DefaultSignatureComesFromTheRepositoryConfig) {
  git(dir.path(), {"config", "user.name", "Repo User"});
  git(dir.path(), {"config", "user.email", "repo@example.com"});
  EXPECT_EQ(git::Repository::open(dir.path()).default_signature().str(),
            "Repo User <repo@example.com>");
}

TEST(CommitMessage, PlaceholdersAndBraces) {
  std::map<std::string, std::string> v{{"count", "2"}, {"changes", "- a\n- b"}};
  EXPECT_EQ(git::expand_message("bump {count}\n\n{changes}\n{{literal}}", v),
            "bump 2\n\n- a\n- b\n{literal}");
  EXPECT_EQ(git::expand_message("no placeholders", v), "no placeholders");
  try {
    git::expand_message("{nope}", v);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    EXPECT_NE(e.str().find("{nope}"), std::string::npos) << e.str();
    EXPECT_NE(e.str().find("{changes}"), std::string::npos) << e.str();
  }
  EXPECT_THROW(git::expand_message("open {count", v), Error);
}

TEST(CommitMessage, AuthorParsing) {
  EXPECT_EQ(git::parse_signature("CI Bot <ci@example.com>").str(), "CI Bot <ci@example.com>");
  EXPECT_EQ(git::parse_signature("  A  <a@b> ").name, "A");
  for (const char* bad : {"no email", "<a@b>", "A <>", "A <a@b", "A <a\n@b>"})
    EXPECT_EQ(code_of([&] { git::parse_signature(bad); }), ExitCode::kUsage) << bad;
}

}  // namespace
}  // namespace gantry::testing
