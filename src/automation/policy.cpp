#include "automation/policy.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>

#include "core/error.h"

namespace gantry::automation {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (!all_digits(s)) return false;
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

bool ident_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

// Dot-separated identifiers of [0-9A-Za-z-], none empty; numeric ones
// without leading zeros when `numeric_rule`.
bool split_identifiers(std::string_view s, bool numeric_rule, std::vector<std::string>& out) {
  out.clear();
  size_t b = 0;
  while (true) {
    size_t e = s.find('.', b);
    std::string_view id = s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
    if (id.empty() || !std::all_of(id.begin(), id.end(), ident_char)) return false;
    if (numeric_rule && all_digits(id) && id.size() > 1 && id[0] == '0') return false;
    out.emplace_back(id);
    if (e == std::string_view::npos) return true;
    b = e + 1;
  }
}

int compare_identifier(const std::string& a, const std::string& b) {
  bool na = all_digits(a), nb = all_digits(b);
  if (na && nb) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  }
  if (na != nb) return na ? -1 : 1;  // numeric identifiers sort first
  int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::optional<SemVer> SemVer::parse(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  SemVer v;
  size_t plus = s.find('+');
  if (plus != std::string_view::npos) {
    std::vector<std::string> ids;
    if (!split_identifiers(s.substr(plus + 1), false, ids)) return std::nullopt;
    v.build = std::string(s.substr(plus + 1));
    s = s.substr(0, plus);
  }
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    if (!split_identifiers(s.substr(dash + 1), true, v.pre)) return std::nullopt;
    s = s.substr(0, dash);
  }
  std::array<uint64_t*, 3> parts{&v.major, &v.minor, &v.patch};
  size_t n = 0, b = 0;
  while (true) {
    if (n == 3) return std::nullopt;
    size_t e = s.find('.', b);
    std::string_view p = s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
    if (!parse_u64(p, *parts[n])) return std::nullopt;
    ++n;
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  return v;
}

std::string SemVer::str() const {
  std::string out =
      std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (!pre.empty()) out += "-" + join(pre, '.');
  if (!build.empty()) out += "+" + build;
  return out;
}

int compare(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.pre.empty() || b.pre.empty()) {
    if (a.pre.empty() && b.pre.empty()) return 0;
    return a.pre.empty() ? 1 : -1;  // a release is above its pre-releases
  }
  for (size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i)
    if (int c = compare_identifier(a.pre[i], b.pre[i])) return c;
  if (a.pre.size() == b.pre.size()) return 0;
  return a.pre.size() < b.pre.size() ? -1 : 1;
}

// ------------------------------------------------------------------ ranges

enum class Op { kEq, kNe, kGt, kGe, kLt, kLe, kNotIn, kAny };

struct SemverRange::Comparator {
  Op op = Op::kAny;
  SemVer v;   // the bound (kNotIn: lower, inclusive)
  SemVer hi;  // kNotIn: upper, exclusive
  bool test(const SemVer& x) const {
    int c = compare(x, v);
    switch (op) {
      case Op::kEq:
        return c == 0;
      case Op::kNe:
        return c != 0;
      case Op::kGt:
        return c > 0;
      case Op::kGe:
        return c >= 0;
      case Op::kLt:
        return c < 0;
      case Op::kLe:
        return c <= 0;
      case Op::kNotIn:
        return c < 0 || compare(x, hi) >= 0;
      case Op::kAny:
        return true;
    }
    return false;
  }
};

struct SemverRange::Group {
  std::vector<Comparator> comparators;
  std::vector<std::array<uint64_t, 3>> named_pre;  // MAJOR.MINOR.PATCH of written pre-releases
  bool all_pre = false;                            // a `-0` asks for every pre-release
};

namespace {

// A version as written in a range: 0-3 known parts, the rest wildcards.
struct Partial {
  int known = 0;
  std::array<uint64_t, 3> parts{0, 0, 0};
  std::vector<std::string> pre;
  SemVer lower() const {
    SemVer v;
    v.major = parts[0];
    v.minor = parts[1];
    v.patch = parts[2];
    v.pre = pre;
    return v;
  }
};

// The lowest version of the release `parts` (with only `-0` below it: no
// pre-release of that release passes a `<` against it).
SemVer floor_of(uint64_t major, uint64_t minor, uint64_t patch) {
  SemVer v;
  v.major = major;
  v.minor = minor;
  v.patch = patch;
  v.pre = {"0"};
  return v;
}

// First version above the wildcard range of `p` (1.2 -> 1.3.0-0, 1 -> 2.0.0-0).
SemVer above(const Partial& p) {
  if (p.known == 1) return floor_of(p.parts[0] + 1, 0, 0);
  if (p.known == 2) return floor_of(p.parts[0], p.parts[1] + 1, 0);
  return floor_of(p.parts[0], p.parts[1], p.parts[2] + 1);
}

[[noreturn]] void bad_range(std::string_view range, const std::string& why) {
  throw Error("invalid semver range '" + std::string(range) + "': " + why);
}

Partial parse_partial(std::string_view range, std::string_view text) {
  Partial p;
  std::string_view s = text;
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  size_t plus = s.find('+');
  if (plus != std::string_view::npos) s = s.substr(0, plus);  // build metadata: ignored
  size_t dash = s.find('-');
  if (dash != std::string_view::npos) {
    if (!split_identifiers(s.substr(dash + 1), true, p.pre))
      bad_range(range, "bad pre-release in '" + std::string(text) + "'");
    s = s.substr(0, dash);
  }
  if (s.empty()) bad_range(range, "missing version in '" + std::string(text) + "'");
  bool wild = false;
  size_t n = 0, b = 0;
  while (true) {
    if (n == 3) bad_range(range, "too many parts in '" + std::string(text) + "'");
    size_t e = s.find('.', b);
    std::string_view part =
        s.substr(b, e == std::string_view::npos ? std::string_view::npos : e - b);
    if (part == "x" || part == "X" || part == "*") {
      wild = true;
    } else if (wild) {
      bad_range(range, "a number after a wildcard in '" + std::string(text) + "'");
    } else if (!parse_u64(part, p.parts[n])) {
      bad_range(range, "'" + std::string(text) + "' is not a version");
    } else {
      p.known = static_cast<int>(n) + 1;
    }
    ++n;
    if (e == std::string_view::npos) break;
    b = e + 1;
  }
  if (!p.pre.empty() && p.known < 3 && !(p.pre.size() == 1 && p.pre[0] == "0"))
    bad_range(range, "a pre-release needs a full version in '" + std::string(text) + "'");
  return p;
}

void note_pre(SemverRange::Group& g, const Partial& p) {
  if (p.pre.empty()) return;
  if (p.pre.size() == 1 && p.pre[0] == "0")
    g.all_pre = true;
  else
    g.named_pre.push_back(p.parts);
}

void add(SemverRange::Group& g, Op op, SemVer v) {
  SemverRange::Comparator c;
  c.op = op;
  c.v = std::move(v);
  g.comparators.push_back(std::move(c));
}

// One comparator as written (operator and version, no blanks left).
void add_comparator(std::string_view range, SemverRange::Group& g, std::string_view tok) {
  static const std::array<std::pair<std::string_view, std::string_view>, 11> ops{{{"!=", "!="},
                                                                                  {">=", ">="},
                                                                                  {"=>", ">="},
                                                                                  {"<=", "<="},
                                                                                  {"=<", "<="},
                                                                                  {"~>", "~"},
                                                                                  {">", ">"},
                                                                                  {"<", "<"},
                                                                                  {"=", "="},
                                                                                  {"~", "~"},
                                                                                  {"^", "^"}}};
  std::string_view op = "=";
  for (const auto& [written, meaning] : ops) {
    if (tok.substr(0, written.size()) == written) {
      op = meaning;
      tok.remove_prefix(written.size());
      break;
    }
  }
  if (tok.empty()) bad_range(range, "operator '" + std::string(op) + "' without a version");
  Partial p = parse_partial(range, tok);
  note_pre(g, p);
  SemVer lo = p.lower();
  if (p.known == 0) {
    if (op == "!=" || op == "<" || op == ">")
      bad_range(range, "'" + std::string(op) + std::string(tok) + "' matches nothing");
    add(g, Op::kAny, {});
    return;
  }
  bool full = p.known == 3;
  if (op == "=") {
    if (full) return add(g, Op::kEq, lo);
    add(g, Op::kGe, lo);
    return add(g, Op::kLt, above(p));
  }
  if (op == "!=") {
    if (full) return add(g, Op::kNe, lo);
    SemverRange::Comparator c;
    c.op = Op::kNotIn;
    c.v = lo;
    c.hi = above(p);
    g.comparators.push_back(std::move(c));
    return;
  }
  if (op == ">") return full ? add(g, Op::kGt, lo) : add(g, Op::kGe, above(p));
  if (op == ">=") return add(g, Op::kGe, lo);
  if (op == "<") {
    if (full) return add(g, Op::kLt, lo);
    return add(g, Op::kLt, floor_of(lo.major, lo.minor, lo.patch));
  }
  if (op == "<=") return full ? add(g, Op::kLe, lo) : add(g, Op::kLt, above(p));
  if (op == "~") {
    add(g, Op::kGe, lo);
    Partial q = p;
    q.known = std::min(p.known, 2);
    return add(g, Op::kLt, above(q));
  }
  // ^: the first non-zero part of those written may not change.
  add(g, Op::kGe, lo);
  Partial q = p;
  if (p.parts[0] > 0 || p.known == 1)
    q.known = 1;
  else if (p.parts[1] > 0 || p.known == 2)
    q.known = 2;
  else
    q.known = 3;
  add(g, Op::kLt, above(q));
}

bool is_operator_only(std::string_view tok) {
  return !tok.empty() && tok.find_first_not_of("<>=!~^") == std::string_view::npos;
}

SemverRange::Group parse_group(std::string_view range, std::string_view text) {
  // Tokens separated by blanks and commas; a lone operator joins the next token.
  std::vector<std::string> toks;
  std::string cur;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == ',') {
      if (!cur.empty()) toks.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) toks.push_back(std::move(cur));
  std::vector<std::string> joined;
  for (size_t i = 0; i < toks.size(); ++i) {
    if (is_operator_only(toks[i])) {
      if (i + 1 >= toks.size()) bad_range(range, "operator '" + toks[i] + "' without a version");
      joined.push_back(toks[i] + toks[i + 1]);
      ++i;
    } else {
      joined.push_back(toks[i]);
    }
  }
  SemverRange::Group g;
  if (joined.empty()) {
    add(g, Op::kAny, {});
    return g;
  }
  for (size_t i = 0; i < joined.size(); ++i) {
    if (i + 2 < joined.size() && joined[i + 1] == "-") {  // hyphen range A - B
      if (is_operator_only(joined[i].substr(0, 1)) || is_operator_only(joined[i + 2].substr(0, 1)))
        bad_range(range, "a hyphen range takes plain versions");
      Partial a = parse_partial(range, joined[i]);
      Partial b = parse_partial(range, joined[i + 2]);
      note_pre(g, a);
      note_pre(g, b);
      add(g, Op::kGe, a.lower());
      if (b.known == 3)
        add(g, Op::kLe, b.lower());
      else if (b.known > 0)
        add(g, Op::kLt, above(b));
      i += 2;
      continue;
    }
    if (joined[i] == "-") bad_range(range, "'-' without versions on both sides");
    add_comparator(range, g, joined[i]);
  }
  return g;
}

}  // namespace

SemverRange SemverRange::parse(std::string_view text) {
  SemverRange r;
  r.text_ = trim(text);
  if (r.text_.empty()) bad_range(text, "empty (use * for any release)");
  auto groups = std::make_shared<std::vector<Group>>();
  size_t b = 0;
  while (true) {
    size_t e = r.text_.find("||", b);
    std::string part =
        trim(std::string_view(r.text_).substr(b, e == std::string::npos ? e : e - b));
    if (part.empty() && r.text_.find("||") != std::string::npos)
      bad_range(text, "empty alternative around '||'");
    groups->push_back(parse_group(text, part));
    if (e == std::string::npos) break;
    b = e + 2;
  }
  r.groups_ = std::move(groups);
  return r;
}

bool SemverRange::matches(const SemVer& v) const {
  for (const Group& g : *groups_) {
    if (v.prerelease() && !g.all_pre) {
      std::array<uint64_t, 3> t{v.major, v.minor, v.patch};
      if (std::find(g.named_pre.begin(), g.named_pre.end(), t) == g.named_pre.end()) continue;
    }
    if (std::all_of(g.comparators.begin(), g.comparators.end(),
                    [&](const Comparator& c) { return c.test(v); }))
      return true;
  }
  return false;
}

// ------------------------------------------------------------------ policies

namespace {

// A decimal number as written: sign, digits, optional fraction; compared
// exactly (no floating point), so long timestamps compare right.
struct Decimal {
  bool negative = false;
  std::string whole;     // no leading zeros
  std::string fraction;  // no trailing zeros

  static std::optional<Decimal> parse(std::string_view s) {
    Decimal d;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
      d.negative = s[0] == '-';
      s.remove_prefix(1);
    }
    size_t dot = s.find('.');
    std::string_view w = s.substr(0, dot);
    std::string_view f = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
    if (w.empty() && f.empty()) return std::nullopt;
    if ((!w.empty() && !all_digits(w)) || (dot != std::string_view::npos && !all_digits(f)))
      return std::nullopt;
    size_t nz = w.find_first_not_of('0');
    d.whole = nz == std::string_view::npos ? "" : std::string(w.substr(nz));
    size_t last = f.find_last_not_of('0');
    d.fraction = last == std::string_view::npos ? "" : std::string(f.substr(0, last + 1));
    if (d.whole.empty() && d.fraction.empty()) d.negative = false;  // -0 == 0
    return d;
  }
};

int compare_magnitude(const Decimal& a, const Decimal& b) {
  if (a.whole.size() != b.whole.size()) return a.whole.size() < b.whole.size() ? -1 : 1;
  if (int c = a.whole.compare(b.whole)) return c < 0 ? -1 : 1;
  if (int c = a.fraction.compare(b.fraction)) return c < 0 ? -1 : 1;
  return 0;
}

int compare(const Decimal& a, const Decimal& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int c = compare_magnitude(a, b);
  return a.negative ? -c : c;
}

bool name_char(char c) {
  return (ident_char(c) && c != '-') || c == '_';
}

// One piece of an extract template: literal text, or a group reference.
struct TemplatePart {
  std::string text;
  std::string group;  // a name or a number; empty for literal text
};

// Go's Regexp.Expand syntax: $name / ${name} (name: letters, digits, _),
// $1, $$ for a dollar; a `$` that starts no reference is literal.
std::vector<TemplatePart> parse_template(std::string_view tmpl) {
  std::vector<TemplatePart> parts;
  auto literal = [&](char c) {
    if (parts.empty() || !parts.back().group.empty()) parts.push_back({});
    parts.back().text += c;
  };
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '$' || i + 1 >= tmpl.size()) {
      literal(tmpl[i]);
      continue;
    }
    if (tmpl[i + 1] == '$') {
      literal('$');
      ++i;
      continue;
    }
    std::string name;
    size_t next = i + 1;
    if (tmpl[next] == '{') {
      size_t close = tmpl.find('}', next);
      if (close != std::string_view::npos) {
        name = std::string(tmpl.substr(next + 1, close - next - 1));
        next = close + 1;
      }
    } else {
      while (next < tmpl.size() && name_char(tmpl[next]))
        name += tmpl[next++];
    }
    if (name.empty()) {
      literal('$');
      continue;
    }
    parts.push_back({{}, std::move(name)});
    i = next - 1;
  }
  return parts;
}

// Expands `tmpl` from a match; a group that did not take part gives "".
std::string expand(std::string_view tmpl, const RE2& re, const std::vector<re2::StringPiece>& g) {
  std::string out;
  for (const auto& part : parse_template(tmpl)) {
    if (part.group.empty()) {
      out += part.text;
      continue;
    }
    size_t index = g.size();
    uint64_t n = 0;
    if (parse_u64(part.group, n)) {
      if (n < g.size()) index = static_cast<size_t>(n);
    } else if (auto it = re.NamedCapturingGroups().find(part.group);
               it != re.NamedCapturingGroups().end()) {
      index = static_cast<size_t>(it->second);
    }
    if (index < g.size() && g[index].data()) out.append(g[index].data(), g[index].size());
  }
  return out;
}

std::string order_name(SortOrder o) {
  return o == SortOrder::kAsc ? "asc" : "desc";
}

}  // namespace

TagPolicy::TagPolicy(PolicyKind kind, const TagFilter& filter) : kind_(kind), filter_(filter) {
  if (filter.pattern.empty()) {
    if (!filter.extract.empty())
      throw Error("filterTags: extract '" + filter.extract + "' needs a pattern");
    return;
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_shared<RE2>(filter.pattern, opts);
  if (!re->ok())
    throw Error("filterTags: invalid regular expression '" + filter.pattern + "': " + re->error());
  for (const auto& part : parse_template(filter.extract)) {
    const std::string& ref = part.group;
    if (ref.empty()) continue;
    uint64_t n = 0;
    if (parse_u64(ref, n)) {
      if (n > static_cast<uint64_t>(re->NumberOfCapturingGroups()))
        throw Error("filterTags: extract '" + filter.extract + "' refers to group " + ref +
                    " but the pattern has " + std::to_string(re->NumberOfCapturingGroups()));
    } else if (!re->NamedCapturingGroups().count(ref)) {
      throw Error("filterTags: extract '" + filter.extract + "' refers to group '" + ref +
                  "' which the pattern does not name (write (?P<" + ref + ">...))");
    }
  }
  re_ = std::move(re);
}

TagPolicy TagPolicy::semver(std::string_view range, const TagFilter& filter) {
  TagPolicy p(PolicyKind::kSemver, filter);
  p.range_ = SemverRange::parse(range);
  return p;
}

TagPolicy TagPolicy::numerical(SortOrder order, const TagFilter& filter) {
  TagPolicy p(PolicyKind::kNumerical, filter);
  p.order_ = order;
  return p;
}

TagPolicy TagPolicy::alphabetical(SortOrder order, const TagFilter& filter) {
  TagPolicy p(PolicyKind::kAlphabetical, filter);
  p.order_ = order;
  return p;
}

TagPolicy TagPolicy::parse(std::string_view spec, const TagFilter& filter) {
  size_t colon = spec.find(':');
  std::string_view kind = spec.substr(0, colon);
  std::string_view arg = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  if (kind == "semver") {
    if (colon == std::string_view::npos)
      throw Error("policy 'semver' needs a range: semver:RANGE (e.g. semver:'>=1.0.0')",
                  ExitCode::kUsage);
    return semver(arg, filter);
  }
  if (kind == "numerical" || kind == "alphabetical") {
    SortOrder o = SortOrder::kAsc;
    if (arg == "desc")
      o = SortOrder::kDesc;
    else if (!arg.empty() && arg != "asc")
      throw Error("policy '" + std::string(kind) + "': order must be asc or desc, not '" +
                      std::string(arg) + "'",
                  ExitCode::kUsage);
    return kind == "numerical" ? numerical(o, filter) : alphabetical(o, filter);
  }
  throw Error("unknown policy '" + std::string(spec) +
                  "': use semver:RANGE, numerical[:asc|desc] or alphabetical[:asc|desc]",
              ExitCode::kUsage);
}

std::optional<std::string> TagPolicy::key_of(std::string_view tag) const {
  if (!re_) return std::string(tag);
  std::vector<re2::StringPiece> groups(static_cast<size_t>(re_->NumberOfCapturingGroups()) + 1);
  if (!re_->Match(re2::StringPiece(tag.data(), tag.size()), 0, tag.size(), RE2::UNANCHORED,
                  groups.data(), static_cast<int>(groups.size())))
    return std::nullopt;
  if (filter_.extract.empty()) return std::string(tag);
  return expand(filter_.extract, *re_, groups);
}

std::optional<std::string> TagPolicy::select(const std::vector<std::string>& tags) const {
  const std::string* best = nullptr;
  std::optional<SemVer> best_ver;
  std::optional<Decimal> best_num;
  std::string best_key;
  // cmp: <0 when the candidate loses to the best so far, >0 when it wins.
  for (const auto& tag : tags) {
    std::optional<std::string> key = key_of(tag);
    if (!key) continue;
    int cmp = 1;  // the first candidate wins
    if (kind_ == PolicyKind::kSemver) {
      std::optional<SemVer> v = SemVer::parse(*key);
      if (!v || !range_->matches(*v)) continue;
      if (best) cmp = compare(*v, *best_ver);
      if (cmp >= 0) best_ver = std::move(v);
    } else if (kind_ == PolicyKind::kNumerical) {
      std::optional<Decimal> d = Decimal::parse(*key);
      if (!d) continue;
      if (best) cmp = order_ == SortOrder::kDesc ? -compare(*d, *best_num) : compare(*d, *best_num);
      if (cmp >= 0) best_num = std::move(d);
    } else if (best) {
      int c = key->compare(best_key);
      cmp = c < 0 ? -1 : c > 0 ? 1 : 0;
      if (order_ == SortOrder::kDesc) cmp = -cmp;
    }
    if (cmp == 0 && best && tag <= *best) continue;  // a tie: the tag last in byte order wins
    if (cmp < 0) continue;
    best = &tag;
    best_key = std::move(*key);
  }
  if (!best) return std::nullopt;
  return *best;
}

std::string TagPolicy::select_or_throw(const std::vector<std::string>& tags,
                                       std::string_view repo) const {
  std::optional<std::string> t = select(tags);
  if (!t)
    throw Error("no tag of " + std::string(repo) + " matches " + describe() + " (" +
                    std::to_string(tags.size()) + (tags.size() == 1 ? " tag)" : " tags)"),
                ExitCode::kNotFound);
  return *t;
}

std::string TagPolicy::describe() const {
  std::string out;
  switch (kind_) {
    case PolicyKind::kSemver:
      out = "semver '" + range_->text() + "'";
      break;
    case PolicyKind::kNumerical:
      out = "numerical " + order_name(order_);
      break;
    case PolicyKind::kAlphabetical:
      out = "alphabetical " + order_name(order_);
      break;
  }
  if (!filter_.pattern.empty()) out += ", filter '" + filter_.pattern + "'";
  if (!filter_.extract.empty()) out += " extract '" + filter_.extract + "'";
  return out;
}

}  // namespace gantry::automation
