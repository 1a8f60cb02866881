// git::push against real servers on loopback (git daemon, git http-backend
// behind basic auth, sshd), the result checked with the git CLI on the bare
// repository: plain pushes, the non-fast-forward retry, conflicts, refused
// credentials and host keys, and servers that do not accept pushes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "core/error.h"
#include "git/remote.h"
#include "git/repository.h"
#include "http/server.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/git_servers.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

const std::map<std::string, std::string> kFiles = {
    {"deploy/app.yaml", "image: ghcr.io/acme/app:1.0.0\nreplicas: 2\n"}, {"README.md", "hello\n"}};

// A clone of `url` in dir/name whose deploy/app.yaml gets `tag`, committed by gantry.
git::Repository clone_and_commit(const fs::path& dir, const std::string& name,
                                 const std::string& url, const std::string& tag,
                                 const fs::path& source = {}) {
  fs::path wt = dir / name;
  git(dir, {"clone", "-q", source.empty() ? url : source.string(), wt.string()});
  if (!source.empty()) git(wt, {"remote", "set-url", "origin", url});
  git::Repository repo = git::Repository::open(wt);
  std::vector<fs::path> files{wt / "deploy/app.yaml"};
  repo.check_can_commit(files, "");
  std::string text = read_file(files[0]);
  text.replace(text.find("1.0.0"), 5, tag);
  write_file_atomic(files[0], text);
  EXPECT_TRUE(
      repo.commit_files(files, "bump app to " + tag, {"Bot", "bot@example.com"}, "").created);
  return repo;
}

std::string error_of(const std::function<void()>& f, ExitCode* code = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (code) *code = e.code();
    std::cout << "  error: " << e.str() << "\n";
    return e.str();
  }
  return "no error";
}

TEST(RedactUrl, RemovesUserInfoButKeepsAnSshUser) {
  EXPECT_EQ(git::redact_url("https://user:pw@host/x.git"), "https://host/x.git");
  EXPECT_EQ(git::redact_url("https://ghp_token@github.com/a/b"), "https://github.com/a/b");
  EXPECT_EQ(git::redact_url("failed for 'http://a:b@h:1/r' and https://c@d/e"),
            "failed for 'http://h:1/r' and https://d/e");
  EXPECT_EQ(git::redact_url("ssh://git@host:2222/r.git"), "ssh://git@host:2222/r.git");
  EXPECT_EQ(git::redact_url("ssh://git:pw@host/r.git"), "ssh://host/r.git");
  EXPECT_EQ(git::redact_url("git@github.com:a/b.git"), "git@github.com:a/b.git");
  EXPECT_EQ(git::redact_url("https://host/a@b"), "https://host/a@b");
}

TEST(Push, GitDaemon) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  GitDaemon daemon(t.path() / "srv", true);
  git::Repository repo = clone_and_commit(t.path(), "wt", daemon.url("repo.git"), "1.1.0");
  git::PushResult r = git::push(repo, {});
  EXPECT_EQ(r.url, daemon.url("repo.git"));
  EXPECT_EQ(r.branch, "main");
  EXPECT_FALSE(r.rebased);
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), r.commit);
  EXPECT_EQ(git(bare, {"log", "-1", "--format=%an|%s", "main"}), "Bot|bump app to 1.1.0");
  EXPECT_EQ(git(bare, {"show", "main:deploy/app.yaml"}),
            "image: ghcr.io/acme/app:1.1.0\nreplicas: 2");
}

TEST(Push, NonFastForwardIsRebasedOnceAndPushed) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  GitDaemon daemon(t.path() / "srv", true);
  git::Repository repo = clone_and_commit(t.path(), "ours", daemon.url("repo.git"), "1.2.0");
  // Someone else pushes first, to another file.
  git(t.path(), {"clone", "-q", daemon.url("repo.git"), (t.path() / "theirs").string()});
  std::string theirs = git_commit_file(t.path() / "theirs", "README.md", "changed\n", "docs");
  git(t.path() / "theirs", {"push", "-q", "origin", "main"});

  git::PushResult r = git::push(repo, {});
  EXPECT_TRUE(r.rebased);
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), r.commit);
  EXPECT_EQ(git(bare, {"rev-parse", "main^"}), theirs);
  EXPECT_EQ(git(bare, {"log", "--format=%s", "main"}),
            "bump app to 1.2.0\ndocs\nadd deploy/app.yaml\nadd README.md");
  EXPECT_EQ(git(bare, {"show", "main:deploy/app.yaml"}),
            "image: ghcr.io/acme/app:1.2.0\nreplicas: 2");
  EXPECT_EQ(git(bare, {"show", "main:README.md"}), "changed");
  // The local branch and working tree moved along, clean.
  fs::path wt = t.path() / "ours";
  EXPECT_EQ(git(wt, {"rev-parse", "main"}), r.commit);
  EXPECT_EQ(read_file(wt / "README.md"), "changed\n");
  EXPECT_EQ(git(wt, {"status", "--porcelain"}), "");
}

TEST(Push, ConflictWithTheRemoteIsAClearErrorAndChangesNothing) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  GitDaemon daemon(t.path() / "srv", true);
  git::Repository repo = clone_and_commit(t.path(), "ours", daemon.url("repo.git"), "1.3.0");
  fs::path wt = t.path() / "ours";
  std::string ours = git(wt, {"rev-parse", "HEAD"});
  git(t.path(), {"clone", "-q", daemon.url("repo.git"), (t.path() / "theirs").string()});
  std::string theirs =
      git_commit_file(t.path() / "theirs", "deploy/app.yaml",
                      "image: ghcr.io/acme/app:9.9.9\nreplicas: 2\n", "manual bump");
  git(t.path() / "theirs", {"push", "-q", "origin", "main"});

  ExitCode code = ExitCode::kOk;
  std::string msg = error_of([&] { git::push(repo, {}); }, &code);
  EXPECT_EQ(code, ExitCode::kInvalidInput) << msg;
  EXPECT_THAT(msg, HasSubstr("deploy/app.yaml"));
  EXPECT_THAT(msg, HasSubstr(daemon.url("repo.git")));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), theirs);
  EXPECT_EQ(git(wt, {"rev-parse", "HEAD"}), ours);
  EXPECT_EQ(git(wt, {"status", "--porcelain"}), "");
}

TEST(Push, DaemonWithoutReceivePackIsRefusedClearly) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  std::string before = git(bare, {"rev-parse", "main"});
  GitDaemon daemon(t.path() / "srv", false);
  git::Repository repo = clone_and_commit(t.path(), "wt", daemon.url("repo.git"), "1.4.0");
  ExitCode code = ExitCode::kOk;
  std::string msg = error_of([&] { git::push(repo, {}); }, &code);
  EXPECT_EQ(code, ExitCode::kExternal) << msg;
  EXPECT_THAT(msg, HasSubstr("pushing main to " + daemon.url("repo.git")));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

TEST(Push, UnknownRemoteAndDetachedHead) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  git::Repository repo = clone_and_commit(t.path(), "wt", bare.string(), "1.5.0");
  ExitCode code = ExitCode::kOk;
  git::PushOptions o;
  o.remote = "upstream";
  EXPECT_THAT(error_of([&] { git::push(repo, o); }, &code), HasSubstr("upstream"));
  EXPECT_EQ(code, ExitCode::kNotFound);
  git(t.path() / "wt", {"checkout", "-q", "--detach"});
  EXPECT_THAT(error_of([&] { git::push(repo, {}); }, &code), HasSubstr("detached"));
}

TEST(Push, SmartHttpWithBasicAuth) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  GitHttpServer http(t.path() / "srv", "ci", "s3cret-pw");
  git::Repository repo = clone_and_commit(t.path(), "wt", http.url("repo.git"), "2.0.0", bare);
  git::PushOptions o;
  o.credentials.username = "ci";
  o.credentials.password = "s3cret-pw";
  git::PushResult r = git::push(repo, o);
  EXPECT_EQ(r.url, http.url("repo.git"));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), r.commit);
  EXPECT_EQ(git(bare, {"show", "main:deploy/app.yaml"}),
            "image: ghcr.io/acme/app:2.0.0\nreplicas: 2");
  EXPECT_GT(http.served(), 0);
}

TEST(Push, SmartHttpRefusedCredentialsNameTheUrlButNotThePassword) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  std::string before = git(bare, {"rev-parse", "main"});
  GitHttpServer http(t.path() / "srv", "ci", "right-pw");
  git::Repository repo = clone_and_commit(t.path(), "wt", http.url("repo.git"), "2.1.0", bare);

  git::PushOptions o;
  o.credentials.username = "ci";
  o.credentials.password = "wrong-pw-123";
  ExitCode code = ExitCode::kOk;
  std::string msg = error_of([&] { git::push(repo, o); }, &code);
  EXPECT_EQ(code, ExitCode::kExternal);
  EXPECT_THAT(msg, HasSubstr(http.url("repo.git")));
  EXPECT_THAT(msg, HasSubstr("refused the credentials"));
  EXPECT_THAT(msg, Not(HasSubstr("wrong-pw-123")));

  // No credentials at all.
  msg = error_of([&] { git::push(repo, {}); }, &code);
  EXPECT_THAT(msg, HasSubstr("asks for credentials"));

  // Credentials inside the remote URL never show.
  std::string with_pw = "http://ci:url-pw-456@" + http.url("repo.git").substr(7);
  git(t.path() / "wt", {"remote", "set-url", "origin", with_pw});
  msg = error_of([&] { git::push(repo, {}); }, &code);
  EXPECT_EQ(code, ExitCode::kExternal);
  EXPECT_THAT(msg, Not(HasSubstr("url-pw-456")));
  EXPECT_THAT(msg, HasSubstr("refused the credentials in the remote's URL"));
  EXPECT_THAT(msg, HasSubstr(http.url("repo.git")));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

// libgit2 keeps the CA setting for the process: the untrusted case uses another CA.
TEST(Push, HttpsTrustsTheGivenCaOnly) {
  TempDir t;
  fs::path bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
  std::string before = git(bare, {"rev-parse", "main"});
  GitHttpServer https(t.path() / "srv", "ci", "tls-token", true);
  git::Repository repo = clone_and_commit(t.path(), "wt", https.url("repo.git"), "2.2.0", bare);
  git::PushOptions o;
  o.credentials.password = "tls-token";
  o.credentials.username = "ci";
  o.ca_file = t.write("other-ca.pem", http::generate_ca("someone else", 2).cert_pem);
  ExitCode code = ExitCode::kOk;
  std::string msg = error_of([&] { git::push(repo, o); }, &code);
  EXPECT_EQ(code, ExitCode::kExternal);
  EXPECT_THAT(msg, HasSubstr("pushing main to " + https.url("repo.git")));
  EXPECT_THAT(msg, Not(HasSubstr("tls-token")));
  EXPECT_EQ(https.served(), 0);
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);

  o.ca_file = https.ca_file();
  git::PushResult r = git::push(repo, o);
  EXPECT_EQ(r.url, https.url("repo.git"));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), r.commit);
  EXPECT_EQ(git(bare, {"show", "main:deploy/app.yaml"}),
            "image: ghcr.io/acme/app:2.2.0\nreplicas: 2");
}

class SshPush : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SshServer::available()) GTEST_SKIP() << "sshd (openssh-server) is not installed";
    ssh.emplace();
    bare = make_bare_repo(t.path() / "srv", "repo", kFiles);
    before = git(bare, {"rev-parse", "main"});
  }
  git::PushOptions options(const std::string& known_hosts) {
    git::PushOptions o;
    o.credentials.ssh_key = ssh->client_key();
    o.credentials.known_hosts = t.write("known_hosts", known_hosts);
    return o;
  }
  TempDir t;
  std::optional<SshServer> ssh;
  fs::path bare;
  std::string before;
};

TEST_F(SshPush, KeyAndKnownHost) {
  git::Repository repo = clone_and_commit(t.path(), "wt", ssh->url(bare), "3.0.0", bare);
  git::PushResult r = git::push(repo, options(ssh->known_hosts_line()));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), r.commit) << ssh->log();
  EXPECT_EQ(git(bare, {"show", "main:deploy/app.yaml"}),
            "image: ghcr.io/acme/app:3.0.0\nreplicas: 2");
}

TEST_F(SshPush, HashedKnownHosts) {
  git::Repository repo = clone_and_commit(t.path(), "wt", ssh->url(bare), "3.1.0", bare);
  git::PushOptions o = options(ssh->known_hosts_line());
  ProcessResult h = run_process({"ssh-keygen", "-H", "-f", o.credentials.known_hosts.string()});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  ASSERT_THAT(read_file(o.credentials.known_hosts), Not(HasSubstr("127.0.0.1")));
  git::PushResult r = git::push(repo, o);
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), r.commit) << ssh->log();
}

TEST_F(SshPush, UnknownHostIsRefused) {
  git::Repository repo = clone_and_commit(t.path(), "wt", ssh->url(bare), "3.2.0", bare);
  ExitCode code = ExitCode::kOk;
  std::string msg = error_of([&] { git::push(repo, options("")); }, &code);
  EXPECT_EQ(code, ExitCode::kExternal);
  EXPECT_THAT(msg, HasSubstr("[127.0.0.1]:" + std::to_string(ssh->port()) + " is not in"));
  EXPECT_THAT(msg, HasSubstr("SHA256:"));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

TEST_F(SshPush, ChangedHostKeyIsRefused) {
  git::Repository repo = clone_and_commit(t.path(), "wt", ssh->url(bare), "3.3.0", bare);
  SshServer::keygen(t.path() / "other");
  std::string other = read_file(t.path() / "other.pub");
  std::string line =
      "[127.0.0.1]:" + std::to_string(ssh->port()) + " " + other.substr(0, other.rfind(' ')) + "\n";
  ExitCode code = ExitCode::kOk;
  std::string msg = error_of([&] { git::push(repo, options(line)); }, &code);
  EXPECT_EQ(code, ExitCode::kExternal);
  EXPECT_THAT(msg, HasSubstr("does not match"));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

TEST_F(SshPush, WrongClientKeyIsRefused) {
  git::Repository repo = clone_and_commit(t.path(), "wt", ssh->url(bare), "3.4.0", bare);
  SshServer::keygen(t.path() / "stranger");
  git::PushOptions o = options(ssh->known_hosts_line());
  o.credentials.ssh_key = t.path() / "stranger";
  ExitCode code = ExitCode::kOk;
  std::string msg = error_of([&] { git::push(repo, o); }, &code);
  EXPECT_EQ(code, ExitCode::kExternal);
  EXPECT_THAT(msg, HasSubstr("refused the ssh key"));
  EXPECT_THAT(msg, HasSubstr(ssh->url(bare)));
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

// An RSA key works where libssh2 signs with SHA-2; otherwise the error says why it fails.
TEST_F(SshPush, RsaKeyPushesOrExplainsTheSha1Refusal) {
  git::Repository repo = clone_and_commit(t.path(), "wt", ssh->url(bare), "3.5.0", bare);
  SshServer::keygen(t.path() / "rsa", "rsa");
  ssh->authorize(t.path() / "rsa.pub");
  git::PushOptions o = options(ssh->known_hosts_line());
  o.credentials.ssh_key = t.path() / "rsa";
  std::string msg = error_of([&] { git::push(repo, o); });
  if (msg != "no error")
    EXPECT_THAT(msg, HasSubstr("SHA-1, which OpenSSH 8.8 and later refuse"));
  else
    EXPECT_EQ(git(bare, {"rev-parse", "main"}), git(t.path() / "wt", {"rev-parse", "HEAD"}));
}

}  // namespace
}  // namespace gantry::testing
