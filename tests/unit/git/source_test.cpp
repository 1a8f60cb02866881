// The pure parts of git::SourceCache: how refs are shown, where a URL is
// cached, and refs refused before any connection is made.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/digest.h"
#include "core/error.h"
#include "git/source.h"
#include "support/fixtures.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(GitSourceRef, Str) {
  EXPECT_EQ(git::SourceRef{}.str(), "default branch");
  EXPECT_EQ(git::SourceRef{.branch = "main"}.str(), "branch main");
  EXPECT_EQ(git::SourceRef{.tag = "v1.2.0"}.str(), "tag v1.2.0");
  EXPECT_EQ(git::SourceRef{.commit = "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d"}.str(),
            "commit 1a2b3c4");
  EXPECT_EQ(git::SourceRef{.commit = "1a2b"}.str(), "commit 1a2b");
}

TEST(GitSourceCache, RepositoryPathIsTheHashOfTheRedactedUrl) {
  git::SourceCache cache("/var/cache/gantry/git");
  std::string url = "https://github.com/acme/deploy.git";
  EXPECT_EQ(cache.root(), "/var/cache/gantry/git");
  EXPECT_EQ(cache.repository_path(url),
            fs::path("/var/cache/gantry/git/repos") / (sha256_hex(url) + ".git"));
  EXPECT_EQ(cache.repository_path("https://bot:ghp_secret@github.com/acme/deploy.git"),
            cache.repository_path(url));
  EXPECT_NE(cache.repository_path("https://github.com/acme/other.git"), cache.repository_path(url));
}

TEST(GitSourceCache, MalformedRefsAreRefusedBeforeConnecting) {
  TempDir t;
  git::SourceCache cache(t.path());
  std::string url = "git://127.0.0.1:1/repo.git";  // never contacted
  auto code_of = [&](const git::SourceRef& ref, std::string* text = nullptr) {
    try {
      cache.fetch(url, ref, {});
    } catch (const Error& e) {
      if (text) *text = e.str();
      return e.code();
    }
    return ExitCode::kOk;
  };
  std::string text;
  EXPECT_EQ(code_of({.branch = "main", .commit = "abcd"}, &text), ExitCode::kInvalidInput);
  EXPECT_THAT(text, HasSubstr("not several"));
  EXPECT_EQ(code_of({.commit = "abc"}), ExitCode::kInvalidInput);  // too short
  EXPECT_EQ(code_of({.commit = "not-hex-at-all"}), ExitCode::kInvalidInput);
  EXPECT_EQ(code_of({.commit = std::string(41, 'a')}), ExitCode::kInvalidInput);
  EXPECT_EQ(code_of({.branch = "a..b"}), ExitCode::kInvalidInput);
  EXPECT_EQ(code_of({.branch = "x:refs/heads/y"}), ExitCode::kInvalidInput);
  EXPECT_EQ(code_of({.tag = "v*"}), ExitCode::kInvalidInput);
  // A full commit id resolves to itself, without the server.
  std::string id = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
  EXPECT_EQ(cache.resolve(url, {.commit = id}, {}), "abcdef0123456789abcdef0123456789abcdef01");
  EXPECT_FALSE(fs::exists(t.path() / "repos"));
}

}  // namespace
}  // namespace gantry::testing
