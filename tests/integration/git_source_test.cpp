// git::SourceCache against real servers on loopback (git daemon, smart HTTP
// through git http-backend with basic auth, sshd with a key and known_hosts):
// every ref kind, incremental and force-pushed updates, offline mode,
// concurrency and errors, each result checked with the git CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <set>
#include <string>
#include <thread>

#include "core/error.h"
#include "core/file.h"
#include "git/source.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/git_servers.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

struct Failure {
  ExitCode code = ExitCode::kOk;
  std::string text = "no error";
};

Failure failure_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    std::cout << "  error: " << e.str() << "\n";
    return {e.code(), e.str()};
  }
  return {};
}

// Every file below `dir` (relative, sorted, directories left out).
std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it)
    if (!it->is_directory() || it->is_symlink())
      out.insert(it->path().lexically_relative(dir).string());
  return out;
}

std::set<std::string> files_of(const fs::path& repo, const std::string& commit) {
  std::set<std::string> out;
  std::string list = git(repo, {"ls-tree", "-r", "--name-only", commit});
  std::istringstream in(list);
  for (std::string line; std::getline(in, line);)
    out.insert(line);
  return out;
}

// `git -C repo ARGS` with `input` on stdin; returns stdout without the final newline.
std::string git_input(const fs::path& repo, const std::vector<std::string>& args,
                      const std::string& input) {
  std::vector<std::string> argv{"git", "-C", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.input = input;
  o.extra_env = git_env();
  ProcessResult r = run_process(argv, o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

class GitSource : public ::testing::Test {
 protected:
  void SetUp() override {
    bare = make_bare_repo(t.path() / "srv", "repo", {{"README.md", "hello\n"}});
    work = t.path() / "work";
    git(t.path(), {"clone", "-q", bare.string(), work.string()});
    t.write("work/deploy/app.yaml", "replicas: 1\n");
    t.write("work/bin/run.sh", "#!/bin/sh\necho run\n");
    fs::permissions(work / "bin/run.sh", fs::perms::owner_exec, fs::perm_options::add);
    fs::create_symlink("../README.md", work / "deploy/readme-link");
    fs::create_symlink("../../../etc/passwd", work / "deploy/escape");
    git(work, {"add", "-A"});
    git(work, {"commit", "-q", "-m", "app"});
    git(work, {"tag", "-a", "-m", "release", "v1.0.0"});
    git(work, {"tag", "light"});
    git_commit_file(work, "deploy/app.yaml", "replicas: 2\n", "scale");
    git(work, {"push", "-q", "--tags", "origin", "main"});
    git(work, {"checkout", "-q", "-b", "dev"});
    git_commit_file(work, "deploy/app.yaml", "replicas: 3\n", "dev scale");
    git(work, {"push", "-q", "origin", "dev"});
    git(work, {"checkout", "-q", "main"});
  }

  // Commits `content` to `file` on main in the work clone and pushes it.
  std::string push_change(const std::string& file, const std::string& content) {
    std::string id = git_commit_file(work, file, content, "change " + file);
    git(work, {"push", "-q", "origin", "main"});
    return id;
  }

  git::SourceCache cache_at(const std::string& name) { return git::SourceCache(t.path() / name); }

  TempDir t;
  fs::path bare, work;
  git::FetchOptions none;
};

TEST_F(GitSource, DefaultBranchBranchAndTagsOverGitDaemon) {
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  git::SourceCache cache(t.path() / "cache");

  git::FetchedSource main = cache.fetch(url, {}, none);
  EXPECT_EQ(main.url, url);
  EXPECT_EQ(main.commit, git(bare, {"rev-parse", "main"}));
  EXPECT_EQ(main.tree, t.path() / "cache" / "trees" / main.commit);
  EXPECT_EQ(files_in(main.tree), files_of(bare, main.commit));
  EXPECT_EQ(read_file(main.tree / "deploy/app.yaml"), "replicas: 2\n");
  // The executable bit is kept; symlinks stay symlinks, escaping ones included, as stored.
  EXPECT_EQ(fs::status(main.tree / "bin/run.sh").permissions() & fs::perms::owner_exec,
            fs::perms::owner_exec);
  EXPECT_EQ(fs::status(main.tree / "README.md").permissions() & fs::perms::owner_exec,
            fs::perms::none);
  EXPECT_TRUE(fs::is_symlink(main.tree / "deploy/readme-link"));
  EXPECT_EQ(fs::read_symlink(main.tree / "deploy/readme-link"), "../README.md");
  EXPECT_EQ(read_file(main.tree / "deploy/readme-link"), "hello\n");
  EXPECT_EQ(fs::read_symlink(main.tree / "deploy/escape"), "../../../etc/passwd");

  git::FetchedSource dev = cache.fetch(url, {.branch = "dev"}, none);
  EXPECT_EQ(dev.commit, git(bare, {"rev-parse", "dev"}));
  EXPECT_EQ(read_file(dev.tree / "deploy/app.yaml"), "replicas: 3\n");

  git::FetchedSource annotated = cache.fetch(url, {.tag = "v1.0.0"}, none);
  EXPECT_EQ(annotated.commit, git(bare, {"rev-parse", "v1.0.0^{commit}"}));
  EXPECT_NE(annotated.commit, git(bare, {"rev-parse", "v1.0.0"}));  // the tag object is peeled
  EXPECT_EQ(read_file(annotated.tree / "deploy/app.yaml"), "replicas: 1\n");
  git::FetchedSource light = cache.fetch(url, {.tag = "light"}, none);
  EXPECT_EQ(light.commit, annotated.commit);
  EXPECT_EQ(light.tree, annotated.tree);
  EXPECT_EQ(light.objects_received, 0u);  // the cache had it all

  // One bare repository for the URL; no temporary tree left behind.
  EXPECT_EQ(cache.repository_path(url).parent_path(), t.path() / "cache" / "repos");
  EXPECT_TRUE(fs::is_directory(cache.repository_path(url)));
  for (const auto& e : fs::directory_iterator(t.path() / "cache" / "trees"))
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
}

TEST_F(GitSource, CommitIdsAdvertisedOrNot) {
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  std::string tip = git(bare, {"rev-parse", "main"});
  std::string older = git(bare, {"rev-parse", "main~1"});  // not advertised by any ref
  {
    // The daemon refuses unadvertised ids: found among the fetched branches and tags.
    git::SourceCache cache = cache_at("c1");
    git::FetchedSource s = cache.fetch(url, {.commit = older}, none);
    EXPECT_EQ(s.commit, older);
    EXPECT_EQ(read_file(s.tree / "deploy/app.yaml"), "replicas: 1\n");
    EXPECT_EQ(cache.fetch(url, {.commit = tip}, none).commit, tip);
    // An abbreviation is looked up in the cache.
    EXPECT_EQ(cache.fetch(url, {.commit = tip.substr(0, 8)}, none).commit, tip);
  }
  {
    // The server allows any reachable id: only that commit's objects come.
    git(bare, {"config", "uploadpack.allowReachableSHA1InWant", "true"});
    git::SourceCache cache = cache_at("c2");
    git::FetchedSource s = cache.fetch(url, {.commit = older}, none);
    EXPECT_EQ(s.commit, older);
    // Fetched by id: no branch was fetched.
    std::string refs = git(cache.repository_path(url), {"for-each-ref", "--format=%(refname)"});
    EXPECT_THAT(refs, HasSubstr("refs/gantry/commits/" + older));
    EXPECT_THAT(refs, Not(HasSubstr("refs/heads/")));
    // An abbreviation of an id the cache lacks fetches branches and tags first.
    git::SourceCache fresh = cache_at("c3");
    EXPECT_EQ(fresh.fetch(url, {.commit = git(bare, {"rev-parse", "--short", "dev"})}, none).commit,
              git(bare, {"rev-parse", "dev"}));
  }
}

TEST_F(GitSource, NewCommitsAreFetchedIncrementally) {
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  git::FetchedSource first = cache.fetch(url, {.branch = "main"}, none);
  EXPECT_GT(first.objects_received, 5u);
  fs::path marker = cache.repository_path(url) / "gantry-test-marker";
  write_file_atomic(marker, "same repository\n");

  // Nothing changed: no objects, the same tree.
  git::FetchedSource again = cache.fetch(url, {.branch = "main"}, none);
  EXPECT_EQ(again.commit, first.commit);
  EXPECT_EQ(again.tree, first.tree);
  EXPECT_EQ(again.objects_received, 0u);

  std::string next = push_change("deploy/app.yaml", "replicas: 5\n");
  git::FetchedSource updated = cache.fetch(url, {.branch = "main"}, none);
  EXPECT_EQ(updated.commit, next);
  EXPECT_EQ(read_file(updated.tree / "deploy/app.yaml"), "replicas: 5\n");
  // Only the new commit, its two trees and the blob; the bare repository was reused.
  EXPECT_GE(updated.objects_received, 1u);
  EXPECT_LE(updated.objects_received, 4u);
  EXPECT_TRUE(fs::exists(marker));
  // The old tree stays for readers still using it.
  EXPECT_EQ(read_file(first.tree / "deploy/app.yaml"), "replicas: 2\n");
}

TEST_F(GitSource, ForcePushedHistoryIsFollowed) {
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  git::FetchedSource before = cache.fetch(url, {.branch = "main"}, none);
  git(work, {"reset", "-q", "--hard", "HEAD~1"});
  std::string rewritten = git_commit_file(work, "deploy/app.yaml", "replicas: 9\n", "rewrite");
  git(work, {"push", "-q", "--force", "origin", "main"});
  git::FetchedSource after = cache.fetch(url, {.branch = "main"}, none);
  EXPECT_EQ(after.commit, rewritten);
  EXPECT_NE(after.commit, before.commit);
  EXPECT_EQ(read_file(after.tree / "deploy/app.yaml"), "replicas: 9\n");
  EXPECT_EQ(git(cache.repository_path(url), {"rev-parse", "refs/heads/main"}), rewritten);
  // The default branch follows too, and the old commit is still served from the cache.
  EXPECT_EQ(cache.fetch(url, {}, none).commit, rewritten);
  git::FetchOptions offline{.offline = true};
  EXPECT_EQ(cache.fetch(url, {.commit = before.commit}, offline).commit, before.commit);
}

TEST_F(GitSource, UnknownRefsAreNotFound) {
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  Failure branch = failure_of([&] { cache.fetch(url, {.branch = "nope"}, none); });
  EXPECT_EQ(branch.code, ExitCode::kNotFound);
  EXPECT_THAT(branch.text, HasSubstr("branch 'nope' not found in " + url));
  Failure tag = failure_of([&] { cache.fetch(url, {.tag = "v9.9.9"}, none); });
  EXPECT_EQ(tag.code, ExitCode::kNotFound);
  EXPECT_THAT(tag.text, HasSubstr("tag 'v9.9.9' not found in " + url));
  std::string id(40, 'e');
  Failure commit = failure_of([&] { cache.fetch(url, {.commit = id}, none); });
  EXPECT_EQ(commit.code, ExitCode::kNotFound);
  EXPECT_THAT(commit.text, HasSubstr("commit '" + id + "' not found in " + url));
  Failure resolved = failure_of([&] { cache.resolve(url, {.branch = "nope"}, none); });
  EXPECT_EQ(resolved.code, ExitCode::kNotFound);
  EXPECT_THAT(resolved.text, HasSubstr("branch 'nope' not found in " + url));
  // Malformed refs are refused before any connection.
  EXPECT_EQ(failure_of([&] { cache.fetch(url, {.branch = "a", .tag = "b"}, none); }).code,
            ExitCode::kInvalidInput);
  EXPECT_EQ(failure_of([&] { cache.fetch(url, {.branch = "refs/*:x"}, none); }).code,
            ExitCode::kInvalidInput);
  EXPECT_EQ(failure_of([&] { cache.fetch(url, {.commit = "xyz"}, none); }).code,
            ExitCode::kInvalidInput);
}

TEST_F(GitSource, UnreachableServerNamesTheUrl) {
  int port = free_port();  // nothing listens there
  git::SourceCache cache(t.path() / "cache");
  std::string url = "git://127.0.0.1:" + std::to_string(port) + "/repo.git";
  Failure f = failure_of([&] { cache.fetch(url, {.branch = "main"}, none); });
  EXPECT_EQ(f.code, ExitCode::kExternal);
  EXPECT_THAT(f.text, HasSubstr("cannot reach " + url));
  git::FetchOptions o;
  o.credentials.password = "s3cr3t-pw";
  std::string with_pw = "http://deployer:s3cr3t-pw@127.0.0.1:" + std::to_string(port) + "/r.git";
  Failure r = failure_of([&] { cache.resolve(with_pw, {}, o); });
  EXPECT_EQ(r.code, ExitCode::kExternal);
  EXPECT_THAT(r.text,
              HasSubstr("cannot reach http://127.0.0.1:" + std::to_string(port) + "/r.git"));
  EXPECT_THAT(r.text, Not(HasSubstr("s3cr3t")));
}

TEST_F(GitSource, SmartHttpWithBasicAuth) {
  GitHttpServer http(t.path() / "srv", "deployer", "pa55-w0rd");
  std::string url = http.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  git::FetchOptions good;
  good.credentials.username = "deployer";
  good.credentials.password = "pa55-w0rd";
  git::FetchedSource s = cache.fetch(url, {.branch = "dev"}, good);
  EXPECT_EQ(s.commit, git(bare, {"rev-parse", "dev"}));
  EXPECT_EQ(read_file(s.tree / "deploy/app.yaml"), "replicas: 3\n");
  EXPECT_EQ(cache.resolve(url, {.tag = "v1.0.0"}, good), git(bare, {"rev-parse", "v1.0.0^{}"}));

  git::FetchOptions wrong;
  wrong.credentials.username = "deployer";
  wrong.credentials.password = "not-the-pa55";
  std::string id = git(bare, {"rev-parse", "main"});
  for (const auto& call : std::vector<std::function<void()>>{
           [&] { cache.fetch(url, {.branch = "main"}, wrong); },
           [&] { cache.resolve(url, {}, wrong); }, [&] { cache.fetch(url, {}, none); }}) {
    Failure f = failure_of(call);
    EXPECT_EQ(f.code, ExitCode::kExternal);
    EXPECT_THAT(f.text, HasSubstr("authentication failed for " + url));
    EXPECT_THAT(f.text, Not(HasSubstr("not-the-pa55")));
  }
  // Credentials in the URL work and never show.
  std::string in_url = "http://deployer:pa55-w0rd@" + url.substr(url.find("://") + 3);
  git::FetchedSource u = cache.fetch(in_url, {.branch = "main"}, none);
  EXPECT_EQ(u.url, url);
  EXPECT_EQ(u.commit, id);
  EXPECT_EQ(cache.repository_path(in_url), cache.repository_path(url));
}

TEST_F(GitSource, HttpsWithATokenAndTheServersCa) {
  GitHttpServer https(t.path() / "srv", "x-access-token", "ghs_tok3n", true);
  std::string url = https.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  git::FetchOptions o;
  o.credentials.password = "ghs_tok3n";  // a token: the user name defaults to x-access-token
  // The system's CAs do not know the test CA: refused before any credential is sent.
  Failure untrusted = failure_of([&] { cache.fetch(url, {}, o); });
  EXPECT_EQ(untrusted.code, ExitCode::kExternal);
  EXPECT_THAT(untrusted.text, HasSubstr("cannot reach " + url));
  EXPECT_THAT(untrusted.text, HasSubstr("certificate"));
  EXPECT_EQ(https.served(), 0);
  o.ca_file = https.ca_file();
  git::FetchedSource s = cache.fetch(url, {}, o);
  EXPECT_EQ(s.commit, git(bare, {"rev-parse", "main"}));
  EXPECT_EQ(cache.resolve(url, {.branch = "dev"}, o), git(bare, {"rev-parse", "dev"}));
}

TEST_F(GitSource, SshWithKeyAndKnownHosts) {
  if (!SshServer::available()) GTEST_SKIP() << "sshd (openssh-server) is not installed";
  SshServer ssh;
  std::string url = ssh.url(bare);
  git::SourceCache cache(t.path() / "cache");
  git::FetchOptions o;
  o.credentials.ssh_key = ssh.client_key();
  o.credentials.known_hosts = t.write("known_hosts", ssh.known_hosts_line());
  git::FetchedSource s = cache.fetch(url, {.tag = "v1.0.0"}, o);
  EXPECT_EQ(s.commit, git(bare, {"rev-parse", "v1.0.0^{}"}));
  EXPECT_EQ(cache.resolve(url, {.branch = "main"}, o), git(bare, {"rev-parse", "main"}));

  git::FetchOptions unknown = o;
  unknown.credentials.known_hosts = t.write("empty", "");
  Failure f = failure_of([&] { cache.fetch(url, {.branch = "main"}, unknown); });
  EXPECT_EQ(f.code, ExitCode::kExternal);
  EXPECT_THAT(f.text, HasSubstr("cannot reach " + url));
  EXPECT_THAT(f.text, HasSubstr("is not in"));

  git::FetchOptions other_key = o;
  other_key.credentials.ssh_key = t.path() / "other_key";
  SshServer::keygen(other_key.credentials.ssh_key);
  Failure k = failure_of([&] { cache.fetch(url, {.branch = "main"}, other_key); });
  EXPECT_EQ(k.code, ExitCode::kExternal);
  EXPECT_THAT(k.text, HasSubstr("authentication failed for " + url));
}

TEST_F(GitSource, OfflineServesOnlyWhatTheCacheHolds) {
  git::SourceCache cache(t.path() / "cache");
  std::string url;
  git::FetchedSource online;
  {
    GitDaemon daemon(t.path() / "srv", false);
    url = daemon.url("repo.git");
    online = cache.fetch(url, {.branch = "main"}, none);
  }  // the server is gone
  git::FetchOptions offline{.offline = true};
  git::FetchedSource s = cache.fetch(url, {.branch = "main"}, offline);
  EXPECT_EQ(s.commit, online.commit);
  EXPECT_EQ(s.tree, online.tree);
  EXPECT_EQ(cache.resolve(url, {.branch = "main"}, offline), online.commit);
  for (const git::SourceRef& ref :
       {git::SourceRef{.branch = "dev"}, git::SourceRef{.tag = "v1.0.0"}, git::SourceRef{}}) {
    Failure f = failure_of([&] { cache.fetch(url, ref, offline); });
    EXPECT_EQ(f.code, ExitCode::kNotFound) << f.text;
    EXPECT_THAT(f.text, HasSubstr("is not in the cache of " + url + " (offline)"));
  }
  // A URL never fetched: nothing is created for it.
  Failure never = failure_of([&] { cache.fetch("git://127.0.0.1:1/x.git", {}, offline); });
  EXPECT_EQ(never.code, ExitCode::kNotFound);
  EXPECT_FALSE(fs::exists(cache.repository_path("git://127.0.0.1:1/x.git")));
  // Online again, the server being unreachable is an error, not a silent cache hit.
  EXPECT_EQ(failure_of([&] { cache.fetch(url, {.branch = "main"}, none); }).code,
            ExitCode::kExternal);
}

TEST_F(GitSource, ConcurrentFetchesOfOneUrl) {
  GitDaemon daemon(t.path() / "srv", false);
  GitHttpServer http(t.path() / "srv", "u", "p");
  git::FetchOptions creds;
  creds.credentials.username = "u";
  creds.credentials.password = "p";
  git::SourceCache cache(t.path() / "cache");
  std::string url = daemon.url("repo.git");
  std::vector<git::FetchedSource> results(4);
  std::vector<std::string> errors(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        // Two threads on the daemon's URL, two on the HTTP URL, all the same commit.
        results[i] = i < 2 ? cache.fetch(url, {.branch = "main"}, none)
                           : cache.fetch(http.url("repo.git"), {.branch = "main"}, creds);
      } catch (const Error& e) {
        errors[i] = e.str();
      }
    });
  for (auto& th : threads)
    th.join();
  std::string id = git(bare, {"rev-parse", "main"});
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(errors[i], "") << i;
    EXPECT_EQ(results[i].commit, id) << i;
    EXPECT_EQ(results[i].tree, results[0].tree) << i;
  }
  EXPECT_EQ(files_in(results[0].tree), files_of(bare, id));
}

TEST_F(GitSource, ResolveIsLsRemote) {
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  auto ls_remote = [&](const std::string& pattern) {
    std::string out = git(t.path(), {"ls-remote", url, pattern});
    return out.substr(0, out.find('\t'));
  };
  EXPECT_EQ(cache.resolve(url, {}, none), ls_remote("HEAD"));
  EXPECT_EQ(cache.resolve(url, {.branch = "dev"}, none), ls_remote("refs/heads/dev"));
  EXPECT_EQ(cache.resolve(url, {.tag = "v1.0.0"}, none), ls_remote("refs/tags/v1.0.0^{}"));
  EXPECT_EQ(cache.resolve(url, {.tag = "light"}, none), ls_remote("refs/tags/light"));
  std::string id = git(bare, {"rev-parse", "dev"});
  EXPECT_EQ(cache.resolve(url, {.commit = id}, none), id);
  EXPECT_FALSE(fs::exists(t.path() / "cache"));  // nothing fetched, nothing written
  std::string next = push_change("README.md", "next\n");
  EXPECT_EQ(cache.resolve(url, {.branch = "main"}, none), next);
}

TEST_F(GitSource, PruneKeepsTheLastTrees) {
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  git::FetchedSource a = cache.fetch(url, {.tag = "v1.0.0"}, none);
  git::FetchedSource b = cache.fetch(url, {.branch = "dev"}, none);
  git::FetchedSource c = cache.fetch(url, {.branch = "main"}, none);
  EXPECT_EQ(cache.prune_trees(2), 1u);
  EXPECT_FALSE(fs::exists(a.tree));
  EXPECT_TRUE(fs::exists(b.tree));
  EXPECT_TRUE(fs::exists(c.tree));
  // Fetched again, the tree comes back from the cache without the server's objects.
  git::FetchedSource again = cache.fetch(url, {.tag = "v1.0.0"}, none);
  EXPECT_EQ(again.tree, a.tree);
  EXPECT_EQ(again.objects_received, 0u);
  EXPECT_EQ(read_file(again.tree / "deploy/app.yaml"), "replicas: 1\n");
}

TEST_F(GitSource, HostileTreeEntriesAreRefused) {
  // Trees git itself never writes, made by hand on the server: a directory
  // named ".." (which would land beside the tree) and a file named ".git".
  std::string blob = git_input(bare, {"hash-object", "-w", "--stdin"}, "pwned\n");
  std::string inner = git_input(bare, {"mktree"}, "100644 blob " + blob + "\tescaped\n");
  std::string dotdot = git_input(bare, {"mktree"}, "040000 tree " + inner + "\t..\n");
  std::string dotgit = git_input(bare, {"mktree"}, "100644 blob " + blob + "\t.git\n");
  for (const auto& [branch, tree] : {std::pair<std::string, std::string>{"dotdot", dotdot},
                                     std::pair<std::string, std::string>{"dotgit", dotgit}}) {
    std::string commit = git(bare, {"commit-tree", "-m", "hostile", tree});
    git(bare, {"update-ref", "refs/heads/" + branch, commit});
  }
  GitDaemon daemon(t.path() / "srv", false);
  std::string url = daemon.url("repo.git");
  git::SourceCache cache(t.path() / "cache");
  for (const std::string branch : {"dotdot", "dotgit"}) {
    Failure f = failure_of([&] { cache.fetch(url, {.branch = branch}, none); });
    EXPECT_EQ(f.code, ExitCode::kInvalidInput) << f.text;
    EXPECT_THAT(f.text, HasSubstr("refuses to write"));
    EXPECT_THAT(f.text, HasSubstr(url));
  }
  EXPECT_FALSE(fs::exists(t.path() / "cache" / "trees" / "escaped"));
  EXPECT_FALSE(fs::exists(t.path() / "cache" / "escaped"));
  EXPECT_TRUE(fs::is_empty(t.path() / "cache" / "trees"));  // no half tree, no temporary left
}

}  // namespace
}  // namespace gantry::testing
