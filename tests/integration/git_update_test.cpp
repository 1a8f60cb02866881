// The gantry binary end to end with Git: `gantry version-tag` against
// `git describe`, and `gantry update --commit [--push]` against real servers
// (git daemon, smart HTTP with basic auth, sshd), every result checked with
// the git CLI. gantry runs with its own HOME so the user's git configuration
// is never read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/file.h"
#include "core/process.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/git_servers.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const std::map<std::string, std::string> kFiles = {
    {"deploy/staging/values.yaml",
     "image:\n  repository: ghcr.io/acme/api\n  tag: 1.0.0 # STAGING_IMAGE_TAG\n"},
    {"deploy/prod/values.yaml", "image:\n  tag: 0.9.0 # PROD_IMAGE_TAG\n"},
    {"README.md", "docs\n"}};

class GitUpdate : public ::testing::Test {
 protected:
  // gantry with HOME (and so the global git config) in the test directory.
  ProcessResult gantry(const std::vector<std::string>& args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv{GANTRY_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions o;
    o.cwd = t.path();
    o.timeout = std::chrono::minutes(2);
    o.extra_env = {"HOME=" + (t.path() / "home").string(),
                   "XDG_CONFIG_HOME=" + (t.path() / "home").string(),
                   "GANTRY_GIT_USERNAME=",
                   "GANTRY_GIT_PASSWORD=",
                   "GANTRY_GIT_TOKEN=",
                   "GANTRY_GIT_SSH_KEY=",
                   "GANTRY_GIT_KNOWN_HOSTS=",
                   "GANTRY_GIT_CA_FILE="};
    for (const auto& e : env) {  // a given variable replaces its default above
      std::string name = e.substr(0, e.find('=') + 1);
      std::erase_if(o.extra_env, [&](const std::string& d) { return d.rfind(name, 0) == 0; });
      o.extra_env.push_back(e);
    }
    return run_process(argv, o);
  }
  // A clone in t/wt of the bare repository, its origin set to `url`.
  fs::path clone(const std::string& url) {
    fs::path wt = t.path() / "wt";
    git(t.path(), {"clone", "-q", bare.string(), wt.string()});
    git(wt, {"remote", "set-url", "origin", url});
    return wt;
  }
  void SetUp() override {
    fs::create_directories(t.path() / "home");
    bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
    before = git(bare, {"rev-parse", "main"});
  }
  TempDir t;
  fs::path bare;
  std::string before;
};

TEST_F(GitUpdate, VersionTagIsGitDescribe) {
  fs::path wt = clone(bare.string());
  git(wt, {"tag", "-a", "-m", "r", "1.4.0"});
  git_commit_file(wt, "README.md", "more\n", "docs");
  git(wt, {"tag", "nightly"});
  git_commit_file(wt, "README.md", "again\n", "docs");
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{},
        {"--first-parent", "--match", "[0-9]*.[0-9]*.[0-9]*"},
        {"--match", "night*"},
        {"--match", "9*"}}) {
    std::vector<std::string> args{"version-tag", "wt/deploy"};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<std::string> gargs{"describe", "--tags", "--always"};
    gargs.insert(gargs.end(), flags.begin(), flags.end());
    ProcessResult r = gantry(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, git(wt, gargs) + "\n");
  }
  EXPECT_EQ(gantry({"version-tag", "wt", "--first-parent", "--match", "[0-9]*.[0-9]*.[0-9]*"}).out,
            "1.4.0-2-g" + git(wt, {"rev-parse", "--short", "HEAD"}) + "\n");
  ProcessResult none = gantry({"version-tag", (t.path() / "home").string()});
  EXPECT_EQ(none.exit_code, 5) << none.err;
  EXPECT_THAT(none.err, HasSubstr("no git repository"));
  EXPECT_EQ(gantry({"--version"}).out.rfind("gantry ", 0), 0u);
}

TEST_F(GitUpdate, CommitWithTheDefaultMessageAndAuthor) {
  fs::path wt = clone(bare.string());
  ProcessResult r = gantry({"update", "wt/deploy", "--marker", "STAGING_IMAGE_TAG=1.2.3",
                            "--marker", "PROD_IMAGE_TAG=1.2.3", "--commit"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("committed "));
  EXPECT_EQ(git(wt, {"log", "-1", "--format=%an <%ae>%n%B"}),
            "gantry <gantry@localhost>\ngantry: update image tags\n\n"
            "- deploy/prod/values.yaml:2: 0.9.0 -> 1.2.3\n"
            "- deploy/staging/values.yaml:3: 1.0.0 -> 1.2.3\n");
  EXPECT_EQ(git(wt, {"show", "--format=", "--name-only", "HEAD"}),
            "deploy/prod/values.yaml\ndeploy/staging/values.yaml");
  EXPECT_EQ(git(wt, {"status", "--porcelain"}), "");
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);  // no --push: nothing pushed
}

TEST_F(GitUpdate, MessageTemplateAuthorAndRepositoryConfig) {
  fs::path wt = clone(bare.string());
  git(wt, {"config", "user.name", "Repo Bot"});
  git(wt, {"config", "user.email", "repo-bot@example.com"});
  ProcessResult r = gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=2.0.0", "--commit",
                            "--message", "deploy {values} ({count} change, {files})\n\n{changes}"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(git(wt, {"log", "-1", "--format=%an <%ae>|%s"}),
            "Repo Bot <repo-bot@example.com>|deploy 2.0.0 (1 change, deploy/staging/values.yaml)");
  r = gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=2.0.1", "--commit", "--author",
              "CI <ci@example.com>"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(git(wt, {"log", "-1", "--format=%an <%ae>|%cn"}), "CI <ci@example.com>|CI");
  // A bad template or author is refused before anything is written.
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"--message", "{oops}"}, {"--author", "nobody"}}) {
    std::vector<std::string> args{"update", "wt", "--marker", "STAGING_IMAGE_TAG=9", "--commit"};
    args.insert(args.end(), bad.begin(), bad.end());
    r = gantry(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(git(wt, {"status", "--porcelain"}), "");
  }
}

TEST_F(GitUpdate, NothingChangedCommitsNothing) {
  fs::path wt = clone(bare.string());
  ProcessResult r =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=1.0.0", "--commit", "--push"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "no changes\n");
  EXPECT_EQ(git(wt, {"rev-parse", "HEAD"}), before);
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

TEST_F(GitUpdate, OtherEditsInAChangedFileStopBeforeWriting) {
  fs::path wt = clone(bare.string());
  std::string edited = read_file(wt / "deploy/staging/values.yaml") + "extra: 1\n";
  write_file_atomic(wt / "deploy/staging/values.yaml", edited);
  ProcessResult r = gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=3.0.0", "--commit"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("deploy/staging/values.yaml: has uncommitted changes"));
  EXPECT_EQ(read_file(wt / "deploy/staging/values.yaml"), edited);
  EXPECT_EQ(git(wt, {"rev-parse", "HEAD"}), before);
  EXPECT_EQ(gantry({"update", "wt", "--push", "--marker", "X=1"}).exit_code, 2);
}

TEST_F(GitUpdate, PushToGitDaemonAndToANewBranch) {
  GitDaemon daemon(t.path() / "srv", true);
  fs::path wt = clone(daemon.url("repo.git"));
  ProcessResult r =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=4.0.0", "--commit", "--push"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pushed main to " + daemon.url("repo.git")));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), git(wt, {"rev-parse", "HEAD"}));
  EXPECT_THAT(git(bare, {"show", "main:deploy/staging/values.yaml"}), HasSubstr("tag: 4.0.0 #"));

  r = gantry({"update", "wt", "--marker", "PROD_IMAGE_TAG=4.0.0", "--commit", "--push", "--branch",
              "gantry/prod-4.0.0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pushed gantry/prod-4.0.0"));
  EXPECT_EQ(git(bare, {"rev-parse", "gantry/prod-4.0.0^"}), git(bare, {"rev-parse", "main"}));
  EXPECT_THAT(git(bare, {"show", "gantry/prod-4.0.0:deploy/prod/values.yaml"}),
              HasSubstr("tag: 4.0.0 #"));
  EXPECT_THAT(git(bare, {"show", "main:deploy/prod/values.yaml"}), HasSubstr("tag: 0.9.0 #"));
}

TEST_F(GitUpdate, SomeoneElsePushedFirst) {
  GitDaemon daemon(t.path() / "srv", true);
  fs::path wt = clone(daemon.url("repo.git"));
  git(t.path(), {"clone", "-q", daemon.url("repo.git"), (t.path() / "other").string()});
  std::string theirs = git_commit_file(t.path() / "other", "README.md", "new docs\n", "docs");
  git(t.path() / "other", {"push", "-q", "origin", "main"});
  ProcessResult r =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=5.0.0", "--commit", "--push"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("re-applied"));
  EXPECT_EQ(git(bare, {"log", "--format=%s", "-2", "main"}), "gantry: update image tags\ndocs");
  EXPECT_EQ(git(bare, {"rev-parse", "main^"}), theirs);
  EXPECT_THAT(git(bare, {"show", "main:deploy/staging/values.yaml"}), HasSubstr("tag: 5.0.0 #"));
}

TEST_F(GitUpdate, DaemonWithoutPushRightsFailsClearly) {
  GitDaemon daemon(t.path() / "srv", false);
  clone(daemon.url("repo.git"));
  ProcessResult r =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=6.0.0", "--commit", "--push"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("pushing main to " + daemon.url("repo.git")));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

TEST_F(GitUpdate, SmartHttpWithCredentialsFromTheEnvironment) {
  GitHttpServer http(t.path() / "srv", "deployer", "pa55-w0rd");
  fs::path wt = clone(http.url("repo.git"));
  ProcessResult bad =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=7.0.0", "--commit", "--push"},
             {"GANTRY_GIT_USERNAME=deployer", "GANTRY_GIT_PASSWORD=not-the-pa55"});
  EXPECT_EQ(bad.exit_code, 4);
  EXPECT_THAT(bad.err, HasSubstr(http.url("repo.git")));
  EXPECT_THAT(bad.err, HasSubstr("the server refused the credentials of user deployer"));
  EXPECT_THAT(bad.err + bad.out, Not(HasSubstr("not-the-pa55")));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
  // The commit was made; pushing it again later (with the right token) works.
  git(wt, {"reset", "-q", "--hard", "HEAD^"});
  ProcessResult good =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=7.0.0", "--commit", "--push"},
             {"GANTRY_GIT_USERNAME=deployer", "GANTRY_GIT_TOKEN=pa55-w0rd"});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), git(wt, {"rev-parse", "HEAD"}));
  EXPECT_THAT(git(bare, {"show", "main:deploy/staging/values.yaml"}), HasSubstr("tag: 7.0.0 #"));
}

TEST_F(GitUpdate, HttpsWithATokenAndTheServersCa) {
  GitHttpServer https(t.path() / "srv", "x-access-token", "ghs_tok3n", true);
  fs::path wt = clone(https.url("repo.git"));
  // The system's CAs do not know the test CA: refused before any credential is sent.
  ProcessResult untrusted =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=7.5.0", "--commit", "--push"},
             {"GANTRY_GIT_TOKEN=ghs_tok3n"});
  EXPECT_EQ(untrusted.exit_code, 4);
  EXPECT_THAT(untrusted.err, HasSubstr("pushing main to " + https.url("repo.git")));
  EXPECT_THAT(untrusted.err, HasSubstr("certificate"));
  EXPECT_EQ(https.served(), 0);
  git(wt, {"reset", "-q", "--hard", "HEAD^"});
  ProcessResult r = gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=7.5.0", "--commit",
                            "--push", "--git-ca-file", https.ca_file().string()},
                           {"GANTRY_GIT_TOKEN=ghs_tok3n"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("ghs_tok3n")));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), git(wt, {"rev-parse", "HEAD"}));
  EXPECT_THAT(git(bare, {"show", "main:deploy/staging/values.yaml"}), HasSubstr("tag: 7.5.0 #"));
}

TEST_F(GitUpdate, SshWithKeyAndKnownHosts) {
  if (!SshServer::available()) GTEST_SKIP() << "sshd (openssh-server) is not installed";
  SshServer ssh;
  fs::path wt = clone(ssh.url(bare));
  fs::path known = t.write("known_hosts", ssh.known_hosts_line());
  ProcessResult unknown = gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=8.0.0", "--commit",
                                  "--push", "--ssh-key", ssh.client_key().string(), "--known-hosts",
                                  t.write("empty", "").string()});
  EXPECT_EQ(unknown.exit_code, 4);
  EXPECT_THAT(unknown.err, HasSubstr("is not in"));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
  git(wt, {"reset", "-q", "--hard", "HEAD^"});
  ProcessResult r =
      gantry({"update", "wt", "--marker", "STAGING_IMAGE_TAG=8.0.0", "--commit", "--push"},
             {"GANTRY_GIT_SSH_KEY=" + ssh.client_key().string(),
              "GANTRY_GIT_KNOWN_HOSTS=" + known.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << ssh.log();
  EXPECT_THAT(r.out, HasSubstr("pushed main to " + ssh.url(bare)));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), git(wt, {"rev-parse", "HEAD"}));
}

}  // namespace
}  // namespace gantry::testing
