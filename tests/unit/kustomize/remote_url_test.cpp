// kustomize v5.5's remote URL grammar, with the inputs and expectations of
// kustomize's own api/internal/git/repospec_test.go (Permute, Smoke, Errors
// and the query parameters).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kustomize/remote.h"

namespace gantry::kustomize {
namespace {

TEST(RepoSpec, PermutationsOfHostRepoPathAndRef) {
  struct Host {
    const char *raw, *normalized;
  };
  const std::vector<Host> hosts = {
      {"gitHub.com/", "https://github.com/"},
      {"github.com:", "https://github.com/"},
      {"http://github.com/", "https://github.com/"},
      {"https://github.com/", "https://github.com/"},
      {"hTTps://github.com/", "https://github.com/"},
      {"https://git-codecommit.us-east-2.amazonaws.com/",
       "https://git-codecommit.us-east-2.amazonaws.com/"},
      {"https://fabrikops2.visualstudio.com/", "https://fabrikops2.visualstudio.com/"},
      {"ssh://git.example.com:7999/", "ssh://git.example.com:7999/"},
      {"git::https://gitlab.com/", "https://gitlab.com/"},
      {"git::http://git.example.com/", "http://git.example.com/"},
      {"git::https://git.example.com/", "https://git.example.com/"},
      {"git@github.com:", "git@github.com:"},
      {"git@github.com/", "git@github.com:"},
      {"git::git@github.com:", "git@github.com:"},
      {"org-12345@github.com:", "org-12345@github.com:"},
      {"org-12345@github.com/", "org-12345@github.com:"},
  };
  int n = 0;
  for (const auto& h : hosts)
    for (std::string repo : {"someOrg/someRepo", "kubernetes/website"})
      for (std::string path : {"README.md", "foo/krusty.txt", ""})
        for (std::string ref : {"group/version", "someBranch", "master", "v0.1.0", ""}) {
          std::string url =
              h.raw + repo + (path.empty() ? "" : "/" + path) + (ref.empty() ? "" : "?ref=" + ref);
          std::string why;
          auto spec = parse_repo_spec(url, &why);
          ASSERT_TRUE(spec) << url << ": " << why;
          EXPECT_EQ(spec->host, h.normalized) << url;
          EXPECT_EQ(spec->repo_path, repo) << url;
          EXPECT_EQ(spec->kust_root, path) << url;
          EXPECT_EQ(spec->ref, ref) << url;
          EXPECT_EQ(spec->raw, url);
          ++n;
        }
  EXPECT_EQ(n, 16 * 2 * 3 * 5);
}

TEST(RepoSpec, Smoke) {
  struct Case {
    const char *input, *clone, *host, *repo, *root, *ref;
  };
  const std::vector<Case> cases = {
      {"https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir",
       "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo",
       "https://git-codecommit.us-east-2.amazonaws.com/", "someorg/somerepo", "somedir", ""},
      {"https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir?ref=testbranch",
       "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo",
       "https://git-codecommit.us-east-2.amazonaws.com/", "someorg/somerepo", "somedir",
       "testbranch"},
      {"https://fabrikops2.visualstudio.com/someorg/somerepo?ref=master",
       "https://fabrikops2.visualstudio.com/someorg/somerepo",
       "https://fabrikops2.visualstudio.com/", "someorg/somerepo", "", "master"},
      {"http://github.com/someorg/somerepo/somedir", "https://github.com/someorg/somerepo",
       "https://github.com/", "someorg/somerepo", "somedir", ""},
      {"git@github.com:someorg/somerepo/somedir", "git@github.com:someorg/somerepo",
       "git@github.com:", "someorg/somerepo", "somedir", ""},
      {"http://github.com/someorg/somerepo.git/somedir", "https://github.com/someorg/somerepo.git",
       "https://github.com/", "someorg/somerepo.git", "somedir", ""},
      {"git@github.com:someorg/somerepo.git/somedir", "git@github.com:someorg/somerepo.git",
       "git@github.com:", "someorg/somerepo.git", "somedir", ""},
      {"git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git?ref=v0.1.0",
       "git@gitlab2.sqtools.ru:infra/kubernetes/thanos-base.git",
       "git@gitlab2.sqtools.ru:", "infra/kubernetes/thanos-base.git", "", "v0.1.0"},
      {"git@bitbucket.org:company/project.git//path?ref=branch",
       "git@bitbucket.org:company/project.git", "git@bitbucket.org:", "company/project.git", "path",
       "branch"},
      {"git@bitbucket.org/company/project.git//path?ref=branch",
       "git@bitbucket.org/company/project.git", "git@bitbucket.org/", "company/project.git", "path",
       "branch"},
      {"ssh://git@bitbucket.org/company/project.git//path?ref=branch",
       "ssh://git@bitbucket.org/company/project.git", "ssh://git@bitbucket.org/",
       "company/project.git", "path", "branch"},
      {"https://itfs.mycompany.com/collection/project/_git/somerepos",
       "https://itfs.mycompany.com/collection/project/_git/somerepos",
       "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "", ""},
      {"https://itfs.mycompany.com/collection/project/_git/somerepos?version=v1.0.0",
       "https://itfs.mycompany.com/collection/project/_git/somerepos",
       "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "", "v1.0.0"},
      {"https://itfs.mycompany.com/collection/project/_git/somerepos/somedir?version=v1.0.0",
       "https://itfs.mycompany.com/collection/project/_git/somerepos",
       "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "somedir", "v1.0.0"},
      {"git::https://itfs.mycompany.com/collection/project/_git/somerepos",
       "https://itfs.mycompany.com/collection/project/_git/somerepos",
       "https://itfs.mycompany.com/", "collection/project/_git/somerepos", "", ""},
      {"https://bitbucket.example.com/scm/project/repository.git",
       "https://bitbucket.example.com/scm/project/repository.git", "https://bitbucket.example.com/",
       "scm/project/repository.git", "", ""},
      {"ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somepath",
       "ssh://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo",
       "ssh://git-codecommit.us-east-2.amazonaws.com/", "someorg/somerepo", "somepath", ""},
      {"git@github.com/someorg/somerepo/somepath", "git@github.com:someorg/somerepo",
       "git@github.com:", "someorg/somerepo", "somepath", ""},
      {"https://github.com/kubernetes-sigs/kustomize//examples/multibases/dev/?ref=v1.0.6",
       "https://github.com/kubernetes-sigs/kustomize", "https://github.com/",
       "kubernetes-sigs/kustomize", "examples/multibases/dev/", "v1.0.6"},
      {"file://a/b/c/someRepo.git/somepath?ref=someBranch", "file://a/b/c/someRepo.git", "file://",
       "a/b/c/someRepo.git", "somepath", "someBranch"},
      {"file://a/b/c/someRepo//somepath?ref=someBranch", "file://a/b/c/someRepo", "file://",
       "a/b/c/someRepo", "somepath", "someBranch"},
      {"file://a/b/c/someRepo?ref=someBranch", "file://a/b/c/someRepo", "file://", "a/b/c/someRepo",
       "", "someBranch"},
      {"file:///a/b/c/someRepo?ref=someBranch", "file:///a/b/c/someRepo", "file://",
       "/a/b/c/someRepo", "", "someBranch"},
      {"ssh://git@github.com/kubernetes-sigs/kustomize//examples/multibases/dev?ref=v1.0.6",
       "git@github.com:kubernetes-sigs/kustomize", "git@github.com:", "kubernetes-sigs/kustomize",
       "examples/multibases/dev", "v1.0.6"},
      {"file:///a/b/c/someRepo", "file:///a/b/c/someRepo", "file://", "/a/b/c/someRepo", "", ""},
      {"file:///", "file:///", "file://", "/", "", ""},
      {"https://example.org/path/to/repo//examples/multibases/dev",
       "https://example.org/path/to/repo", "https://example.org/", "path/to/repo",
       "examples/multibases/dev", ""},
      {"https://example.org/path/to/repo.git/examples/multibases/dev",
       "https://example.org/path/to/repo.git", "https://example.org/", "path/to/repo.git",
       "examples/multibases/dev", ""},
      {"ssh://alice@example.com/path/to/repo//examples/multibases/dev",
       "ssh://alice@example.com/path/to/repo", "ssh://alice@example.com/", "path/to/repo",
       "examples/multibases/dev", ""},
      {"https://authority/org/repo?ref=group/version", "https://authority/org/repo",
       "https://authority/", "org/repo", "", "group/version"},
      {"https://authority/org/repo/?ref=includes_git/for_some_reason", "https://authority/org/repo",
       "https://authority/", "org/repo", "", "includes_git/for_some_reason"},
      {"https://authority/org/repo/?ref=includes.git/for_some_reason", "https://authority/org/repo",
       "https://authority/", "org/repo", "", "includes.git/for_some_reason"},
      {"https://authority/org/repo/%-invalid-uri-so-not-parsable-by-net/url.Parse",
       "https://authority/org/repo", "https://authority/", "org/repo",
       "%-invalid-uri-so-not-parsable-by-net/url.Parse", ""},
      {"ssh://myusername@bitbucket.org/ourteamname/ourrepositoryname.git//path?ref=branch",
       "ssh://myusername@bitbucket.org/ourteamname/ourrepositoryname.git",
       "ssh://myusername@bitbucket.org/", "ourteamname/ourrepositoryname.git", "path", "branch"},
      {"file://git@home/path/to/repository.git//path?ref=branch",
       "file://git@home/path/to/repository.git", "file://", "git@home/path/to/repository.git",
       "path", "branch"},
      {"http://git@home.com/path/to/repository.git//path?ref=branch",
       "http://git@home.com/path/to/repository.git", "http://git@home.com/",
       "path/to/repository.git", "path", "branch"},
      {"https://git@home.com/path/to/repository.git//path?ref=branch",
       "https://git@home.com/path/to/repository.git", "https://git@home.com/",
       "path/to/repository.git", "path", "branch"},
      {"ssh://git@ssh.github.com:443/YOUR-USERNAME/YOUR-REPOSITORY.git",
       "ssh://git@ssh.github.com:443/YOUR-USERNAME/YOUR-REPOSITORY.git",
       "ssh://git@ssh.github.com:443/", "YOUR-USERNAME/YOUR-REPOSITORY.git", "", ""},
      {"git@gitlab.com/user:name/YOUR-REPOSITORY.git/path",
       "git@gitlab.com/user:name/YOUR-REPOSITORY.git", "git@gitlab.com/",
       "user:name/YOUR-REPOSITORY.git", "path", ""},
      {"git@gitlab.com:gitlab-tests/sample-project.git",
       "git@gitlab.com:gitlab-tests/sample-project.git",
       "git@gitlab.com:", "gitlab-tests/sample-project.git", "", ""},
      {"git@gitlab.com:gitlab-tests/sample-project", "git@gitlab.com:gitlab-tests/sample-project",
       "git@gitlab.com:", "gitlab-tests/sample-project", "", ""},
      {"https://username@dev.azure.com/org/project/_git/repo//path/to/kustomization/root",
       "https://username@dev.azure.com/org/project/_git/repo", "https://username@dev.azure.com/",
       "org/project/_git/repo", "path/to/kustomization/root", ""},
      {"https://org.visualstudio.com/project/_git/repo/path/to/kustomization/root",
       "https://org.visualstudio.com/project/_git/repo", "https://org.visualstudio.com/",
       "project/_git/repo", "path/to/kustomization/root", ""},
      {"ssh://org-12345@github.com/kubernetes-sigs/kustomize",
       "org-12345@github.com:kubernetes-sigs/kustomize",
       "org-12345@github.com:", "kubernetes-sigs/kustomize", "", ""},
      {"org-12345@github.com/kubernetes-sigs/kustomize",
       "org-12345@github.com:kubernetes-sigs/kustomize",
       "org-12345@github.com:", "kubernetes-sigs/kustomize", "", ""},
      {"git@gist.github.com:bc7947cb727d7f9217e7862d961a1ffd.git",
       "git@gist.github.com:bc7947cb727d7f9217e7862d961a1ffd.git",
       "git@gist.github.com:", "bc7947cb727d7f9217e7862d961a1ffd.git", "", ""},
      {"https://gist.github.com/bc7947cb727d7f9217e7862d961a1ffd.git",
       "https://gist.github.com/bc7947cb727d7f9217e7862d961a1ffd.git", "https://gist.github.com/",
       "bc7947cb727d7f9217e7862d961a1ffd.git", "", ""},
  };
  for (const auto& c : cases) {
    std::string why;
    auto spec = parse_repo_spec(c.input, &why);
    ASSERT_TRUE(spec) << c.input << ": " << why;
    EXPECT_EQ(spec->clone_url(), c.clone) << c.input;
    EXPECT_EQ(spec->host, c.host) << c.input;
    EXPECT_EQ(spec->repo_path, c.repo) << c.input;
    EXPECT_EQ(spec->kust_root, c.root) << c.input;
    EXPECT_EQ(spec->ref, c.ref) << c.input;
  }
}

TEST(RepoSpec, NotGitUrlsSayWhy) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"/tmp", "uri looks like abs path"},
      {"../../tmp", "failed to parse scheme"},
      {"src/github.com/org/repo/path", "failed to parse scheme"},
      {"iauhsdiuashduas", "failed to parse scheme"},
      {"htxxxtp://github.com/", "failed to parse scheme"},
      {"ssh://git.example.com", "failed to parse repo path segment"},
      {"git::___", "failed to parse scheme"},
      {"https://host?ref=group/version/minor_version", "failed to parse repo path segment"},
      {"https://github.com/org/repo.git//path/../../exits/repo", "url path exits repo"},
      {"github.com!org/repo.git//path", "failed to parse scheme"},
      {"gh:org/repo", "failed to parse scheme"},
      {"https://github.com/thisisa404.yaml", "failed to parse repo path segment"},
      {"file:////tmp//path/to/whatever", "failed to parse repo path segment"},
      {"git@scp://github.com/org/repo.git//path", "failed to parse repo path segment"},
      {"git@ssh://github.com/org/repo.git//path", "failed to parse repo path segment"},
      // gantry's own: local paths stay local
      {"base", "failed to parse scheme"},
      {"deployment.yaml", "failed to parse scheme"},
  };
  for (const auto& [url, reason] : cases) {
    std::string why;
    EXPECT_FALSE(parse_repo_spec(url, &why)) << url;
    EXPECT_NE(why.find(reason), std::string::npos) << url << ": " << why;
  }
}

TEST(RepoSpec, QueryParameters) {
  struct Case {
    const char* query;
    const char* ref;
    bool submodules;
    long timeout_ms;
  };
  const std::vector<Case> cases = {
      {"", "", true, 27000},
      {"ref=v1.0.0", "v1.0.0", true, 27000},
      {"ref=kustomize/v4.5.7", "kustomize/v4.5.7", true, 27000},
      {"version=master", "master", true, 27000},
      {"version=master&ref=v1.0.0", "v1.0.0", true, 27000},
      {"version=master&submodules=", "master", true, 27000},
      {"version=master&submodules=maybe", "master", true, 27000},
      {"version=master&submodules=true", "master", true, 27000},
      {"version=master&submodules=false", "master", false, 27000},
      {"version=master&timeout=", "master", true, 27000},
      {"version=master&timeout=jiffy", "master", true, 27000},
      {"version=master&timeout=0", "master", true, 27000},
      {"version=master&timeout=0s", "master", true, 27000},
      {"version=master&timeout=61", "master", true, 61000},
      {"version=master&timeout=1m1s", "master", true, 61000},
      {"version=master&submodules=false&timeout=1m1s", "master", false, 61000},
      // Go's url.ParseQuery: %-escapes decoded; a malformed query keeps every default.
      {"ref=release%2F1.0", "release/1.0", true, 27000},
      {"ref=v1;x=y", "", true, 27000},
  };
  for (const auto& c : cases) {
    std::string url = std::string("https://github.com/org/repo") + (*c.query ? "?" : "") + c.query;
    auto spec = parse_repo_spec(url);
    ASSERT_TRUE(spec) << url;
    EXPECT_EQ(spec->ref, c.ref) << url;
    EXPECT_EQ(spec->submodules, c.submodules) << url;
    EXPECT_EQ(spec->timeout.count(), c.timeout_ms) << url;
  }
}

TEST(RemoteFileUrl, HttpAndHttpsOnly) {
  EXPECT_TRUE(is_remote_file_url("https://example.com/a.yaml"));
  EXPECT_TRUE(is_remote_file_url("HTTP://example.com/a.yaml"));
  EXPECT_FALSE(is_remote_file_url("github.com/org/repo"));
  EXPECT_FALSE(is_remote_file_url("git@github.com:org/repo"));
  EXPECT_FALSE(is_remote_file_url("ssh://host/org/repo"));
  EXPECT_FALSE(is_remote_file_url("deployment.yaml"));
}

}  // namespace
}  // namespace gantry::kustomize
