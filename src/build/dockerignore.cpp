#include "build/dockerignore.h"

#include <cctype>

#include "core/error.h"

namespace gantry::build {
namespace {

constexpr std::string_view kSpace = " \t\r\n\v\f";

std::string_view strip(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// Matches a class starting at p[i] == '[' against c; sets `end` past ']'.
// Returns -1 for a malformed class, else 1 (matched) or 0.
int match_class(std::string_view p, size_t i, char c, size_t& end) {
  ++i;
  bool negate = false;
  if (i < p.size() && p[i] == '^') {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  while (true) {
    if (i >= p.size()) return -1;
    if (p[i] == ']' && !first) break;
    first = false;
    char lo = p[i++];
    if (lo == '\\') {
      if (i >= p.size()) return -1;
      lo = p[i++];
    }
    char hi = lo;
    if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
      ++i;
      hi = p[i++];
      if (hi == '\\') {
        if (i >= p.size()) return -1;
        hi = p[i++];
      }
      if (hi < lo) return -1;
    }
    if (c >= lo && c <= hi) matched = true;
  }
  end = i + 1;
  return (matched != negate && c != '/') ? 1 : 0;
}

struct Matcher {
  std::string_view p, s;
  std::vector<signed char> memo;  // (p index, s index) -> -1 unknown, 0, 1
  bool bad = false;

  bool at(size_t pi, size_t si) {
    signed char& m = memo[pi * (s.size() + 1) + si];
    if (m >= 0) return m == 1;
    bool r = step(pi, si);
    m = r ? 1 : 0;
    return r;
  }

  bool step(size_t pi, size_t si) {
    if (pi == p.size()) return si == s.size();
    char c = p[pi];
    if (c == '*' && pi + 1 < p.size() && p[pi + 1] == '*') {
      size_t rest = pi + 2;
      if (rest < p.size() && p[rest] == '/') ++rest;
      if (rest == p.size()) return true;
      if (at(rest, si)) return true;
      for (size_t k = si + 1; k <= s.size(); ++k)
        if (s[k - 1] == '/' && at(rest, k)) return true;
      return false;
    }
    if (c == '*') {
      for (size_t k = si; k <= s.size(); ++k) {
        if (at(pi + 1, k)) return true;
        if (k < s.size() && s[k] == '/') break;
      }
      return false;
    }
    if (si == s.size()) return false;
    if (c == '?') return s[si] != '/' && at(pi + 1, si + 1);
    if (c == '[') {
      size_t end = 0;
      int r = match_class(p, pi, s[si], end);
      if (r < 0) {
        bad = true;
        return false;
      }
      return r == 1 && at(end, si + 1);
    }
    if (c == '\\') {
      if (pi + 1 >= p.size()) {
        bad = true;
        return false;
      }
      return p[pi + 1] == s[si] && at(pi + 2, si + 1);
    }
    return c == s[si] && at(pi + 1, si + 1);
  }
};

// A malformed class anywhere in the pattern (checked once at parse time).
bool valid_pattern(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\') {
      if (++i >= p.size()) return false;
    } else if (p[i] == '[') {
      size_t end = 0;
      if (match_class(p, i, 'a', end) < 0) return false;
      i = end - 1;
    }
  }
  return true;
}

}  // namespace

std::string clean_relative(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      // A leading ".." is dropped: the context root is also the file system root.
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return ".";
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

bool glob_match(std::string_view pattern, std::string_view path) {
  Matcher m{pattern, path, std::vector<signed char>((pattern.size() + 1) * (path.size() + 1), -1)};
  bool r = m.at(0, 0);
  return r && !m.bad;
}

IgnoreRules IgnoreRules::parse(std::string_view text, const std::string& file) {
  IgnoreRules rules;
  uint32_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = strip(line);
    if (line.empty() || line.front() == '#') continue;
    Rule rule;
    if (line.front() == '!') {
      rule.exception = true;
      line = strip(line.substr(1));
      if (line.empty()) throw Error(Location{file, line_no, 0}, "illegal exclusion pattern: \"!\"");
    }
    rule.pattern = clean_relative(line);
    if (!valid_pattern(rule.pattern))
      throw Error(Location{file, line_no, 0},
                  "syntax error in pattern \"" + std::string(line) + "\"");
    rules.rules_.push_back(std::move(rule));
  }
  return rules;
}

bool IgnoreRules::excludes(std::string_view path) const {
  std::string clean = clean_relative(path);
  bool excluded = false;
  for (const Rule& rule : rules_) {
    bool match = false;
    // The path itself, then each parent directory.
    std::string_view candidate = clean;
    while (!candidate.empty()) {
      if (glob_match(rule.pattern, candidate)) {
        match = true;
        break;
      }
      size_t slash = candidate.rfind('/');
      if (slash == std::string_view::npos) break;
      candidate = candidate.substr(0, slash);
    }
    if (match) excluded = !rule.exception;
  }
  return excluded;
}

bool IgnoreRules::has_exceptions() const {
  for (const Rule& rule : rules_)
    if (rule.exception) return true;
  return false;
}

}  // namespace gantry::build
