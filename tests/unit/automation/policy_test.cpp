// Tag policies: semver versions and ranges (pre-release rules, v-prefixes,
// wildcards, tilde, caret, hyphen, OR), numerical and alphabetical orders,
// filterTags pattern and extract, ties, empty results and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "automation/policy.h"
#include "core/error.h"
#include "support/fixtures.h"

namespace gantry::automation {
namespace {

using ::testing::HasSubstr;
using Tags = std::vector<std::string>;

std::string semver_pick(std::string_view range, const Tags& tags) {
  return TagPolicy::semver(range).select(tags).value_or("<none>");
}

bool in_range(std::string_view range, std::string_view version) {
  auto v = SemVer::parse(version);
  EXPECT_TRUE(v) << version;
  return v && SemverRange::parse(range).matches(*v);
}

using testing::error_text;

TEST(SemVer, ParsesLeniently) {
  auto v = SemVer::parse("v1.2.3-rc.1+build.5");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 2u);
  EXPECT_EQ(v->patch, 3u);
  EXPECT_EQ(v->pre, (std::vector<std::string>{"rc", "1"}));
  EXPECT_EQ(v->build, "build.5");
  EXPECT_EQ(SemVer::parse("1.2")->str(), "1.2.0");
  EXPECT_EQ(SemVer::parse("V7")->str(), "7.0.0");
  EXPECT_EQ(SemVer::parse("1.0.0-alpha-1.x")->str(), "1.0.0-alpha-1.x");
  for (const char* bad : {"", "v", "latest", "1.2.3.4", "1..2", "1.2.", ".1", "1.2.3-", "1.2.3+",
                          "1.2.3-01", "1.2.3-a..b", "1.2.3-a_b", "main-abc123", "-1.2.3", "1.a",
                          "99999999999999999999.0.0", "vv1"})
    EXPECT_FALSE(SemVer::parse(bad)) << bad;
}

TEST(SemVer, OrdersLikeTheSpec) {
  // semver.org item 11, in ascending order.
  std::vector<std::string> order{"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                 "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
                                 "1.0.1",        "1.1.0",         "1.10.0",           "2.0.0"};
  for (size_t i = 0; i + 1 < order.size(); ++i)
    EXPECT_LT(compare(*SemVer::parse(order[i]), *SemVer::parse(order[i + 1])), 0)
        << order[i] << " < " << order[i + 1];
  EXPECT_EQ(compare(*SemVer::parse("1.0.0+a"), *SemVer::parse("v1.0.0+b")), 0);
}

TEST(SemverRange, Comparators) {
  EXPECT_TRUE(in_range(">=1.0.0", "1.0.0"));
  EXPECT_FALSE(in_range(">1.0.0", "1.0.0"));
  EXPECT_TRUE(in_range(">1.0.0", "1.0.1"));
  EXPECT_TRUE(in_range("<2", "1.99.99"));
  EXPECT_FALSE(in_range("<2", "2.0.0"));
  EXPECT_TRUE(in_range("<=2.1", "2.1.9"));
  EXPECT_FALSE(in_range("<=2.1", "2.2.0"));
  EXPECT_TRUE(in_range("=<2.1.0", "2.1.0"));
  EXPECT_TRUE(in_range("=>2.1.0", "2.1.0"));
  EXPECT_TRUE(in_range("=1.2.3", "1.2.3"));
  EXPECT_TRUE(in_range("1.2.3", "v1.2.3"));
  EXPECT_FALSE(in_range("1.2.3", "1.2.4"));
  EXPECT_TRUE(in_range("!=1.2.3", "1.2.4"));
  EXPECT_FALSE(in_range("!=1.2.3", "1.2.3"));
  EXPECT_FALSE(in_range("!=1.2", "1.2.7"));
  EXPECT_TRUE(in_range("!=1.2", "1.3.0"));
  EXPECT_TRUE(in_range(">1.2", "1.3.0"));
  EXPECT_FALSE(in_range(">1.2", "1.2.9"));
  EXPECT_TRUE(in_range(">= 1.0.0, < 2.0.0", "1.5.0"));
  EXPECT_TRUE(in_range(">=1.0.0 <2.0.0", "1.9.9"));
  EXPECT_FALSE(in_range(">=1.0.0 <2.0.0", "2.0.0"));
  EXPECT_TRUE(in_range("v1.2.x", "1.2.0"));
}

TEST(SemverRange, WildcardsTildeCaretHyphenOr) {
  EXPECT_TRUE(in_range("1.x", "1.9.0"));
  EXPECT_FALSE(in_range("1.x", "2.0.0"));
  EXPECT_TRUE(in_range("1.2.*", "1.2.99"));
  EXPECT_FALSE(in_range("1.2.X", "1.3.0"));
  EXPECT_TRUE(in_range("1.2", "1.2.5"));
  EXPECT_TRUE(in_range("*", "0.0.1"));
  EXPECT_TRUE(in_range("x", "99.0.0"));
  EXPECT_TRUE(in_range("~1.2.3", "1.2.9"));
  EXPECT_FALSE(in_range("~1.2.3", "1.3.0"));
  EXPECT_FALSE(in_range("~1.2.3", "1.2.2"));
  EXPECT_TRUE(in_range("~1", "1.9.0"));
  EXPECT_FALSE(in_range("~1", "2.0.0"));
  EXPECT_TRUE(in_range("~>1.2", "1.2.4"));
  EXPECT_TRUE(in_range("^1.2.3", "1.9.0"));
  EXPECT_FALSE(in_range("^1.2.3", "2.0.0"));
  EXPECT_FALSE(in_range("^1.2.3", "1.2.2"));
  EXPECT_TRUE(in_range("^1.2", "1.2.0"));
  EXPECT_TRUE(in_range("^0.2.3", "0.2.9"));
  EXPECT_FALSE(in_range("^0.2.3", "0.3.0"));
  EXPECT_TRUE(in_range("^0.0.3", "0.0.3"));
  EXPECT_FALSE(in_range("^0.0.3", "0.0.4"));
  EXPECT_TRUE(in_range("^0.0", "0.0.9"));
  EXPECT_FALSE(in_range("^0.0", "0.1.0"));
  EXPECT_TRUE(in_range("^0", "0.9.0"));
  EXPECT_FALSE(in_range("^0", "1.0.0"));
  EXPECT_TRUE(in_range("1.2 - 1.4.5", "1.4.5"));
  EXPECT_FALSE(in_range("1.2 - 1.4.5", "1.4.6"));
  EXPECT_FALSE(in_range("1.2 - 1.4.5", "1.1.9"));
  EXPECT_TRUE(in_range("1.2.3 - 2", "2.9.0"));
  EXPECT_FALSE(in_range("1.2.3 - 2", "3.0.0"));
  EXPECT_TRUE(in_range("1.x || >=3.0.0", "3.1.0"));
  EXPECT_TRUE(in_range("1.x || >=3.0.0", "1.1.0"));
  EXPECT_FALSE(in_range("1.x || >=3.0.0", "2.1.0"));
}

TEST(SemverRange, PreReleasesOnlyWhenAskedFor) {
  // Not named: no pre-release passes, even where the numbers would.
  EXPECT_FALSE(in_range(">=1.0.0", "1.5.0-rc.1"));
  EXPECT_FALSE(in_range("*", "1.0.0-alpha"));
  EXPECT_FALSE(in_range("^1.0.0", "1.2.0-beta"));
  EXPECT_FALSE(in_range("<2.0.0", "2.0.0-rc.1"));
  // Named on the same MAJOR.MINOR.PATCH: later pre-releases of it pass.
  EXPECT_TRUE(in_range(">=1.2.3-rc.1", "1.2.3-rc.2"));
  EXPECT_FALSE(in_range(">=1.2.3-rc.2", "1.2.3-rc.1"));
  EXPECT_FALSE(in_range(">=1.2.3-rc.1", "1.2.4-rc.1"));
  EXPECT_TRUE(in_range(">=1.2.3-rc.1", "1.2.4"));
  EXPECT_TRUE(in_range("~1.2.3-beta.2", "1.2.3-beta.4"));
  EXPECT_FALSE(in_range("~1.2.3-beta.2", "1.2.4-beta.1"));
  EXPECT_TRUE(in_range("1.0.0-alpha.1 - 1.1.0", "1.0.0-alpha.2"));
  // Only the alternative that names it admits it.
  EXPECT_FALSE(in_range(">=2.0.0 || =1.0.0-rc.1", "2.1.0-rc.1"));
  EXPECT_TRUE(in_range(">=2.0.0 || =1.0.0-rc.1", "1.0.0-rc.1"));
  // -0 asks for every pre-release.
  EXPECT_TRUE(in_range(">=1.0.0-0", "1.5.0-rc.1"));
  EXPECT_TRUE(in_range("*-0", "3.0.0-alpha"));
  EXPECT_TRUE(in_range("1.x-0", "1.3.0-beta"));
  EXPECT_FALSE(in_range("1.x-0", "2.0.0-beta"));
  // Upper bounds of ^ and ~ exclude the next release's pre-releases too.
  EXPECT_FALSE(in_range("^1.0.0-0", "2.0.0-rc.1"));
  EXPECT_TRUE(in_range("^1.0.0-0", "1.9.0-rc.1"));
}

TEST(SemverRange, BadRanges) {
  for (const char* bad : {"", "  ", ">=", ">= a.b", "1.2.3.4", "1.x.3", ">=1.0.0 ||", "|| 1.0",
                          "1.2 -", "- 1.2", "!=*", ">*", "1.2-rc.1", ">=1.0.0-01", "~>"}) {
    std::string e = error_text([&] { SemverRange::parse(bad); });
    EXPECT_THAT(e, HasSubstr("invalid semver range")) << bad;
  }
}

TEST(SemverPolicy, PicksTheHighestInRange) {
  Tags tags{"1.0.0", "1.2.0", "1.10.0", "2.0.0", "v1.9.0", "latest", "main-abc", "1.11.0-rc.1"};
  EXPECT_EQ(semver_pick(">=1.0.0 <2.0.0", tags), "1.10.0");
  EXPECT_EQ(semver_pick("*", tags), "2.0.0");
  EXPECT_EQ(semver_pick("~1.2", tags), "1.2.0");
  EXPECT_EQ(semver_pick("<1.2", tags), "1.0.0");
  EXPECT_EQ(semver_pick(">=1.11.0-rc.0", tags), "2.0.0");
  EXPECT_EQ(semver_pick(">=1.11.0-rc.0 <2", tags), "1.11.0-rc.1");
  EXPECT_EQ(semver_pick("1.9", tags), "v1.9.0");  // v-prefix kept in the result
  EXPECT_EQ(semver_pick(">=3", tags), "<none>");
  EXPECT_EQ(semver_pick("*", {}), "<none>");
  EXPECT_EQ(semver_pick("*", {"latest", "stable", "sha-1234567"}), "<none>");
}

TEST(SemverPolicy, OnlyPreReleasesAvailable) {
  Tags tags{"2.0.0-alpha.1", "2.0.0-beta.1", "2.0.0-beta.10", "2.0.0-beta.9", "1.0.0"};
  EXPECT_EQ(semver_pick(">=1.0.0", tags), "1.0.0");
  EXPECT_EQ(semver_pick(">=2.0.0-alpha", tags), "2.0.0-beta.10");
  EXPECT_EQ(semver_pick(">=2.0.0-0", tags), "2.0.0-beta.10");
  EXPECT_EQ(semver_pick(">=2.0.0", tags), "<none>");
}

TEST(SemverPolicy, TiesGoToTheLastTagInByteOrderWhateverTheListOrder) {
  Tags tags{"1.0.0", "v1.0.0", "1.0.0+b2", "1.0", "0.9.0"};
  std::mt19937 rng(7);
  for (int i = 0; i < 20; ++i) {
    std::shuffle(tags.begin(), tags.end(), rng);
    EXPECT_EQ(semver_pick("*", tags), "v1.0.0");
  }
}

TEST(NumericalPolicy, AscPicksTheHighestDescTheLowest) {
  Tags tags{"10", "9", "100", "0099", "latest", "1.5", "-3", "1e3", "0x10", "", "+7", "12.50"};
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc).select(tags), "100");
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kDesc).select(tags), "-3");
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc).select({"1.5", "1.25", "1.4999"}), "1.5");
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kDesc).select({"1.5", "1.25", "1.4999"}), "1.25");
  // Exact for numbers beyond double precision.
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc)
                .select({"20240101120000000000001", "20240101120000000000000"}),
            "20240101120000000000001");
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc).select({"-0", "0", "-1"}), "0");
  EXPECT_FALSE(TagPolicy::numerical(SortOrder::kAsc).select({"a", "v1", "1-2"}));
  // Equal numbers: the last tag in byte order, either order.
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc).select({"7", "07", "7.0"}), "7.0");
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kDesc).select({"7.0", "7", "07", "8"}), "7.0");
}

TEST(NumericalPolicy, ExtractsATimestampFromBranchBuilds) {
  // Flux's example: tags "${BRANCH}-${SHA:0:7}-$(date +%s)".
  Tags tags{"main-7f3a1b2-1700000300", "main-0aa11bb-1700000100", "dev-ffff000-1800000000",
            "main-1234567-1700000200", "main-nonumber-x",         "1.0.0"};
  TagFilter f{"^main-[a-f0-9]+-(?P<ts>[0-9]+)", "$ts"};
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc, f).select(tags), "main-7f3a1b2-1700000300");
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kDesc, f).select(tags), "main-0aa11bb-1700000100");
  TagFilter braces{"^main-[a-f0-9]+-(?P<ts>[0-9]+)", "${ts}"};
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc, braces).select(tags), "main-7f3a1b2-1700000300");
  TagFilter numbered{"^main-([a-f0-9]+)-([0-9]+)$", "$2"};
  EXPECT_EQ(TagPolicy::numerical(SortOrder::kAsc, numbered).select(tags),
            "main-7f3a1b2-1700000300");
}

TEST(AlphabeticalPolicy, ByteOrder) {
  Tags tags{"RELEASE.2023-01-31T08-42-01Z", "RELEASE.2024-05-01T00-00-00Z",
            "RELEASE.2023-12-24T23-59-59Z", "b", "B"};
  TagFilter f{"^RELEASE\\.(?P<ts>.*)Z$", "$ts"};
  EXPECT_EQ(TagPolicy::alphabetical(SortOrder::kAsc, f).select(tags),
            "RELEASE.2024-05-01T00-00-00Z");
  EXPECT_EQ(TagPolicy::alphabetical(SortOrder::kDesc, f).select(tags),
            "RELEASE.2023-01-31T08-42-01Z");
  EXPECT_EQ(TagPolicy::alphabetical(SortOrder::kAsc).select({"a", "b", "B", "ab"}), "b");
  EXPECT_EQ(TagPolicy::alphabetical(SortOrder::kDesc).select({"a", "b", "B", "ab"}), "B");
  EXPECT_FALSE(TagPolicy::alphabetical(SortOrder::kAsc).select({}));
  // Equal extracted values: the last tag in byte order.
  TagFilter prefix{"^[a-z]+-(\\d+)$", "$1"};
  EXPECT_EQ(TagPolicy::alphabetical(SortOrder::kAsc, prefix).select({"b-1", "a-1", "c-0"}), "b-1");
}

TEST(TagFilter, PatternOnlyAndExtractExpansion) {
  // A pattern without extract filters; the tag itself is compared.
  TagFilter only_v{"^v", ""};
  EXPECT_EQ(TagPolicy::semver("*", only_v).select({"v1.0.0", "2.0.0", "v1.5.0"}), "v1.5.0");
  // Unanchored like Go's MatchString.
  EXPECT_EQ(TagPolicy::alphabetical(SortOrder::kAsc, {"rc", ""}).select({"1-rc", "zz", "rc0"}),
            "rc0");
  // Go's Expand: $$ is a dollar, $1x is the group named "1x" (empty), literal text is kept.
  TagPolicy p = TagPolicy::alphabetical(SortOrder::kAsc, {"^(?P<a>\\w+)-(\\d+)$", "$a.${2}$$"});
  EXPECT_EQ(p.key_of("foo-12"), "foo.12$");
  EXPECT_FALSE(p.key_of("foo"));
  TagPolicy q = TagPolicy::alphabetical(SortOrder::kAsc, {"^(a)?(b)$", "[$1]"});
  EXPECT_EQ(q.key_of("b"), "[]");  // a group that took no part expands to ""
  // Semver through an extract: the version sits inside the tag.
  TagFilter inside{"^app-(?P<v>.+)-linux$", "$v"};
  EXPECT_EQ(
      TagPolicy::semver("^1", inside)
          .select({"app-1.2.0-linux", "app-1.10.0-linux", "app-2.0.0-linux", "app-1.11.0-darwin"}),
      "app-1.10.0-linux");
}

TEST(TagFilter, BadInputIsAClearError) {
  std::string e = error_text([] { TagPolicy::numerical(SortOrder::kAsc, {"^(main-", ""}); });
  EXPECT_THAT(e, HasSubstr("invalid regular expression '^(main-'"));
  EXPECT_THAT(e, HasSubstr("missing )"));  // RE2's own words
  // Backreferences and lookaround are not RE2: refused, never run.
  EXPECT_THAT(error_text([] {
                TagPolicy::numerical(SortOrder::kAsc, {"(a)\\1", ""});
              }),
              HasSubstr("invalid regular expression"));
  EXPECT_THAT(error_text([] {
                TagPolicy::numerical(SortOrder::kAsc, {"(?=a)", ""});
              }),
              HasSubstr("invalid regular expression"));
  EXPECT_THAT(error_text([] {
                TagPolicy::numerical(SortOrder::kAsc, {"", "$ts"});
              }),
              HasSubstr("needs a pattern"));
  EXPECT_THAT(error_text([] {
                TagPolicy::numerical(SortOrder::kAsc, {"^(\\d+)$", "$ts"});
              }),
              HasSubstr("refers to group 'ts'"));
  EXPECT_THAT(error_text([] {
                TagPolicy::numerical(SortOrder::kAsc, {"^(\\d+)$", "$2"});
              }),
              HasSubstr("refers to group 2 but the pattern has 1"));
}

TEST(TagFilter, PathologicalPatternsRunInLinearTime) {
  // (a+)+$ backtracks exponentially elsewhere; RE2 answers at once.
  std::string tag(5000, 'a');
  tag += "!";
  TagPolicy p = TagPolicy::alphabetical(SortOrder::kAsc, {"^(a+)+$", ""});
  EXPECT_FALSE(p.select({tag}));
}

TEST(TagPolicyParse, CommandLineForms) {
  EXPECT_EQ(TagPolicy::parse("semver:>=1.0.0").describe(), "semver '>=1.0.0'");
  EXPECT_EQ(TagPolicy::parse("numerical").describe(), "numerical asc");
  EXPECT_EQ(TagPolicy::parse("numerical:desc").describe(), "numerical desc");
  EXPECT_EQ(TagPolicy::parse("alphabetical:asc", {"^x", ""}).describe(),
            "alphabetical asc, filter '^x'");
  EXPECT_EQ(TagPolicy::parse("numerical", {"^(?P<n>\\d+)", "$n"}).describe(),
            "numerical asc, filter '^(?P<n>\\d+)' extract '$n'");
  EXPECT_THAT(error_text([] { TagPolicy::parse("semver"); }), HasSubstr("needs a range"));
  EXPECT_THAT(error_text([] { TagPolicy::parse("numerical:up"); }), HasSubstr("asc or desc"));
  EXPECT_THAT(error_text([] { TagPolicy::parse("newest"); }), HasSubstr("unknown policy 'newest'"));
  EXPECT_THAT(error_text([] { TagPolicy::parse("semver:>=x.y"); }),
              HasSubstr("invalid semver range"));
}

TEST(TagPolicySelect, NoMatchSaysWhatWasAsked) {
  TagPolicy p = TagPolicy::semver(">=5", {"^v", ""});
  try {
    p.select_or_throw({"v1.0.0", "v2.0.0"}, "localhost:5000/app");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kNotFound);
    EXPECT_EQ(e.str(), "no tag of localhost:5000/app matches semver '>=5', filter '^v' (2 tags)");
  }
  EXPECT_EQ(p.select_or_throw({"v1.0.0", "v5.1.0"}, "r"), "v5.1.0");
}

}  // namespace
}  // namespace gantry::automation
