// kustomize v5.5's remote URL grammar (api/internal/git/repospec.go and
// loader.IsRemoteFile), rule for rule.
#include "kustomize/remote.h"

#include <cctype>
#include <map>
#include <vector>

#include "core/duration.h"
#include "core/error.h"

namespace gantry::kustomize {

namespace {

constexpr std::string_view kFile = "file://", kHttp = "http://", kHttps = "https://",
                           kSsh = "ssh://";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Removes `prefix` (compared case-insensitively) from the front of `s`.
bool trim_prefix_nocase(std::string& s, std::string_view prefix) {
  if (s.size() < prefix.size() || lower(s.substr(0, prefix.size())) != prefix) return false;
  s.erase(0, prefix.size());
  return true;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? at : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

std::string join(const std::vector<std::string>& parts, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i)
    out += (i > from ? "/" : "") + parts[i];
  return out;
}

// Go's url.QueryUnescape; false for a malformed escape.
bool query_unescape(const std::string& s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return false;
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return true;
}

// Go's url.ParseQuery: the first value of each key; false when any part is
// malformed (kustomize then uses the defaults for every parameter).
bool parse_query(const std::string& query, std::map<std::string, std::string>& values) {
  bool ok = true;
  for (const std::string& part : split(query, '&')) {
    if (part.empty()) continue;
    if (part.find(';') != std::string::npos) {
      ok = false;
      continue;
    }
    size_t eq = part.find('=');
    std::string key, value;
    if (!query_unescape(part.substr(0, eq), key) ||
        !query_unescape(eq == std::string::npos ? "" : part.substr(eq + 1), value)) {
      ok = false;
      continue;
    }
    values.emplace(key, value);
  }
  return ok;
}

void apply_query(const std::string& query, RepoSpec& spec) {
  std::map<std::string, std::string> v;
  if (!parse_query(query, v)) return;
  auto get = [&v](const char* k) {
    auto it = v.find(k);
    return it == v.end() ? std::string() : it->second;
  };
  spec.ref = get("version");
  if (!get("ref").empty()) spec.ref = get("ref");
  if (std::string t = get("timeout"); !t.empty()) {
    try {
      auto d = parse_duration(t);  // a bare number is seconds, like kustomize's Atoi first
      if (d.count() > 0) spec.timeout = d;
    } catch (const Error&) {  // kustomize keeps the default for a bad timeout
    }
  }
  if (std::string s = get("submodules"); !s.empty()) {
    if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True")
      spec.submodules = true;
    else if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
      spec.submodules = false;
  }
}

// ^([a-zA-Z][a-zA-Z0-9-]*)@
std::string extract_username(std::string& s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return "";
  size_t i = 1;
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '-'))
    ++i;
  if (i >= s.size() || s[i] != '@') return "";
  std::string user = s.substr(0, i + 1);
  s.erase(0, i + 1);
  return user;
}

bool fail(std::string* why, const std::string& reason) {
  if (why) *why = reason;
  return false;
}

// kustomize's extractHost: scheme + username + host, and the rest of `n`.
bool extract_host(std::string n, std::string& host_out, std::string& rest_out, std::string* why) {
  trim_prefix_nocase(n, "git::");
  std::string scheme;
  for (std::string_view p : {kSsh, kHttps, kHttp, kFile})
    if (trim_prefix_nocase(n, p)) {
      scheme = std::string(p);
      break;
    }
  std::string username = extract_username(n);
  std::string ln = lower(n);
  bool github = starts_with(ln, "github.com/") || starts_with(ln, "github.com:");
  bool scp = scheme.empty() && (!username.empty() || github);
  if (scheme.empty() && !scp) return fail(why, "failed to parse scheme");
  if (scheme == kFile) {
    host_out = scheme;
    rest_out = username + n;
    return true;
  }
  std::string host = n, rest;
  size_t sep = n.find('/');
  if (scp) {
    size_t colon = n.find(':');
    // The colon delimits the path in scp-style URLs only when no '/' precedes it.
    if (sep == std::string::npos || (colon != std::string::npos && colon > 0 && colon < sep))
      sep = colon;
  }
  if (sep != std::string::npos) {
    host = n.substr(0, sep + 1);
    rest = n.substr(sep + 1);
  }
  if (github) {  // normalised: scheme and user may be dropped
    if (starts_with(scheme, kSsh) || !username.empty()) {
      scheme = "";
      host = "github.com:";
    } else {
      scheme = std::string(kHttps);
      username = "";
      host = "github.com/";
    }
  }
  if (host.empty()) return fail(why, "failed to parse host segment");
  host_out = scheme + username + host;
  rest_out = rest;
  return true;
}

// filepath.Clean(kust root) starts with "..".
bool exits_repo(std::string path) {
  while (!path.empty() && path[0] == '/')
    path.erase(0, 1);
  std::vector<std::string> kept;
  for (const std::string& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!kept.empty() && kept.back() != "..")
        kept.pop_back();
      else
        kept.push_back("..");
    } else {
      kept.push_back(part);
    }
  }
  return !kept.empty() && kept[0] == "..";
}

// Splits the repository from the kustomization root: at `_git/<repo>`, at
// `//`, after `.git`, else after two segments (all of it for file://).
bool split_path(const std::string& n, bool all_segments, RepoSpec& spec, std::string* why) {
  std::string repo, root;
  bool ok = true;
  if (size_t g = n.find("_git/"); g != std::string::npos) {
    std::vector<std::string> sub = split(n.substr(g + 5), '/');
    repo = n.substr(0, g + 5) + sub[0];
    root = join(sub, 1, sub.size());
  } else if (size_t d = n.find("//"); d != std::string::npos) {
    repo = n.substr(0, d);
    root = n.substr(d + 2);
  } else if (size_t s = n.find(".git"); s != std::string::npos) {
    repo = n.substr(0, s + 4);
    root = n.substr(s + 4);
  } else if (all_segments) {
    repo = n;
  } else if (std::vector<std::string> seg = split(n, '/'); seg.size() >= 2) {
    repo = join(seg, 0, 2);
    root = join(seg, 2, seg.size());
  } else {
    ok = false;
  }
  if (!ok || repo.empty()) return fail(why, "failed to parse repo path segment");
  if (exits_repo(root)) return fail(why, "url path exits repo: " + n);
  while (!root.empty() && root[0] == '/')  // strings.TrimPrefix removes one; Clean the rest
    root.erase(0, 1);
  spec.repo_path = repo;
  spec.kust_root = root;
  return true;
}

}  // namespace

std::optional<RepoSpec> parse_repo_spec(const std::string& entry, std::string* why) {
  if (!entry.empty() && entry[0] == '/') {
    fail(why, "uri looks like abs path: " + entry);
    return std::nullopt;
  }
  RepoSpec spec;
  spec.raw = entry;
  size_t q = entry.find('?');
  std::string n = entry.substr(0, q);
  if (q != std::string::npos) apply_query(entry.substr(q + 1), spec);
  std::string rest;
  if (!extract_host(n, spec.host, rest, why)) return std::nullopt;
  if (!split_path(rest, starts_with(spec.host, kFile), spec, why)) return std::nullopt;
  return spec;
}

bool is_remote_file_url(const std::string& entry) {
  std::string s = entry;
  return trim_prefix_nocase(s, kHttp) || trim_prefix_nocase(s, kHttps);
}

}  // namespace gantry::kustomize
