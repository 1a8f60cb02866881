// Tag policies: pick the newest tag of an image repository from its tag list,
// the way Flux's ImagePolicy does (semver, numerical, alphabetical, each with
// an optional filterTags {pattern, extract}).
//
// Pure logic: no network. The caller lists the tags (oci::Registry::list_tags)
// and asks a TagPolicy for the winner. All user regexes run on RE2 (linear
// time); an invalid one is an Error carrying RE2's message.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace gantry::automation {

// A semantic version read leniently from a tag, like Masterminds' NewVersion
// (which Flux uses): an optional `v`/`V` prefix, one to three numeric parts
// (missing ones are 0: `1.2` is 1.2.0), an optional `-pre.release` and an
// optional `+build` (ignored when comparing).
struct SemVer {
  uint64_t major = 0, minor = 0, patch = 0;
  std::vector<std::string> pre;  // pre-release identifiers; empty for a release
  std::string build;

  // nullopt when `text` is not a version (a tag like `latest` or `main-1234abc`).
  static std::optional<SemVer> parse(std::string_view text);
  bool prerelease() const { return !pre.empty(); }
  std::string str() const;  // MAJOR.MINOR.PATCH[-pre][+build]
};

// <0, 0, >0 as semver 2.0 orders versions (build metadata ignored).
int compare(const SemVer& a, const SemVer& b);

// A semver range in the Masterminds/npm syntax Flux accepts:
//   comparators  =1.2.3 !=1.2.3 >1.2 >=1.2 <2 <=2.1 (also => =<)
//   wildcards    1.2.x 1.x 1.* * x (and partial versions: 1.2 means 1.2.x)
//   tilde        ~1.2.3 (>=1.2.3 <1.3.0), ~1.2, ~1, also ~>
//   caret        ^1.2.3 (>=1.2.3 <2.0.0), ^0.2.3 (<0.3.0), ^0.0.3 (<0.0.4)
//   hyphen       1.2 - 1.4.5 (>=1.2.0 <=1.4.5)
//   AND          blanks or commas between comparators; OR: ||
// Pre-releases (npm's rule): a pre-release version matches a comparator set
// only when the set names a pre-release of the same MAJOR.MINOR.PATCH
// (`>=1.2.3-rc.1` admits 1.2.3-rc.2, not 1.2.4-rc.1), or asks for all
// pre-releases explicitly with the lowest pre-release `-0` (`>=1.0.0-0`,
// `^2.0.0-0`, `1.x-0`, `*-0`).
class SemverRange {
 public:
  // Throws Error (kInvalidInput) naming the part of `text` that is wrong.
  static SemverRange parse(std::string_view text);
  bool matches(const SemVer& v) const;
  const std::string& text() const { return text_; }

  struct Comparator;
  struct Group;

 private:
  std::string text_;
  std::shared_ptr<const std::vector<Group>> groups_;  // OR of ANDs
};

enum class PolicyKind { kSemver, kNumerical, kAlphabetical };

// Flux's orders: `asc` picks the last tag in ascending order (the highest),
// `desc` the last in descending order (the lowest). Default: asc.
enum class SortOrder { kAsc, kDesc };

// filterTags: only tags that `pattern` matches (anywhere, like Go's
// MatchString) take part; `extract` (needs a pattern) is expanded from the
// first match with Go's Regexp.Expand syntax ($1, ${1}, $name, ${name}, $$)
// and the result is what the policy compares. The winner is the whole tag.
struct TagFilter {
  std::string pattern;
  std::string extract;
};

class TagPolicy {
 public:
  // Each throws Error (kInvalidInput) for an invalid range, a regex RE2
  // rejects (with RE2's message), or an extract template naming a group the
  // pattern does not have.
  static TagPolicy semver(std::string_view range, const TagFilter& filter = {});
  static TagPolicy numerical(SortOrder order, const TagFilter& filter = {});
  static TagPolicy alphabetical(SortOrder order, const TagFilter& filter = {});
  // The command-line form: `semver:RANGE`, `numerical[:asc|desc]`,
  // `alphabetical[:asc|desc]`.
  static TagPolicy parse(std::string_view spec, const TagFilter& filter = {});

  // The winning tag of `tags`, or nullopt when none qualifies (filtered out,
  // not a version / number, outside the range). Ties (equal versions such as
  // `1.0.0` and `v1.0.0`, equal numbers, equal extracted values) go to the
  // tag that sorts last in byte order, so the result never depends on the
  // order the registry listed the tags in.
  std::optional<std::string> select(const std::vector<std::string>& tags) const;
  // select(), or Error (kNotFound): "no tag of REPO matches POLICY (N tags)".
  std::string select_or_throw(const std::vector<std::string>& tags, std::string_view repo) const;

  // "semver '>=1.0.0'", "numerical asc, filter '^main-(?P<ts>\d+)' extract '$ts'".
  std::string describe() const;
  PolicyKind kind() const { return kind_; }

  // The value compared for `tag`: the tag, or the extract template expanded
  // from the first match; nullopt when the filter rejects the tag.
  std::optional<std::string> key_of(std::string_view tag) const;

 private:
  TagPolicy(PolicyKind kind, const TagFilter& filter);

  PolicyKind kind_;
  SortOrder order_ = SortOrder::kAsc;
  std::optional<SemverRange> range_;
  TagFilter filter_;
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace gantry::automation
