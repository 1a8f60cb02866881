#include "oci/reference.h"

#include <cctype>

#include "core/error.h"
#include "oci/digest.h"

namespace gantry::oci {

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool valid_path_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    // a separator run
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j]))
      ++j;
    std::string_view sep = c.substr(i, j - i);
    bool ok = sep == "." || sep == "_" || sep == "__" ||
              sep.find_first_not_of('-') == std::string_view::npos;
    if (!ok) return false;
    i = j;
  }
  return true;
}

// [a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) return false;
  for (char ch : c)
    if (!is_alnum(ch) && ch != '-') return false;
  return true;
}

bool valid_port(std::string_view p) {
  if (p.empty() || p.size() > 5) return false;
  for (char c : p)
    if (c < '0' || c > '9') return false;
  return true;
}

bool valid_domain(std::string_view d) {
  if (d.empty()) return false;
  std::string_view host = d, port;
  if (d.front() == '[') {
    auto close = d.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view ip = d.substr(1, close - 1);
    if (ip.empty()) return false;
    for (char c : ip)
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':') return false;
    std::string_view rest = d.substr(close + 1);
    if (rest.empty()) return true;
    return rest.front() == ':' && valid_port(rest.substr(1));
  }
  auto colon = d.find(':');
  if (colon != std::string_view::npos) {
    host = d.substr(0, colon);
    port = d.substr(colon + 1);
    if (!valid_port(port)) return false;
  }
  size_t start = 0;
  while (true) {
    auto dot = host.find('.', start);
    if (!valid_domain_component(
            host.substr(start, dot == std::string_view::npos ? dot : dot - start)))
      return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// [\w][\w.-]{0,127}
bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  if (!word(t.front())) return false;
  for (char c : t)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 300));
  throw Error("invalid image reference \"" + shown + (text.size() > 300 ? "..." : "") +
              "\": " + why);
}

Reference parse(std::string_view text, bool allow_tag) {
  if (text.empty()) bad(text, "it is empty");
  for (char c : text)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      bad(text, "it contains whitespace or control characters");
  Reference r;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    if (!allow_tag) bad(text, "a repository name cannot have a digest");
    std::string_view dg = rest.substr(at + 1);
    if (!Digest::valid(dg))
      bad(text, "the digest is not sha256:<64 lower-case hex> or sha512:<128 hex>");
    r.digest = std::string(dg);
    rest = rest.substr(0, at);
  }
  // The tag is after the last ':' that follows the last '/'.
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (!allow_tag) bad(text, "a repository name cannot have a tag");
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) bad(text, "the tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    r.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) bad(text, "the repository name is empty");
  if (rest.size() > 255) bad(text, "the name is longer than 255 characters");

  std::string_view path = rest;
  auto first = rest.find('/');
  if (first != std::string_view::npos) {
    std::string_view head = rest.substr(0, first);
    bool is_domain = head.find_first_of(".:") != std::string_view::npos || head == "localhost";
    for (char c : head)
      if (std::isupper(static_cast<unsigned char>(c))) is_domain = true;
    if (is_domain) {
      if (!valid_domain(head))
        bad(text, "\"" + std::string(head) + "\" is not a valid registry host[:port]");
      r.registry = std::string(head);
      path = rest.substr(first + 1);
    }
  }
  if (r.registry.empty()) r.registry = std::string(kDockerHub);
  if (r.registry == "index.docker.io") r.registry = std::string(kDockerHub);
  if (path.empty()) bad(text, "the repository path is empty");

  size_t start = 0;
  size_t components = 0;
  while (true) {
    auto s = path.find('/', start);
    std::string_view comp = path.substr(start, s == std::string_view::npos ? s : s - start);
    for (char c : comp)
      if (std::isupper(static_cast<unsigned char>(c)))
        bad(text, "repository names must be lower-case");
    if (!valid_path_component(comp))
      bad(text, "\"" + std::string(comp) +
                    "\" is not a valid path component (lower-case letters and digits, separated by "
                    "'.', '_', '__' or '-')");
    ++components;
    if (s == std::string_view::npos) break;
    start = s + 1;
  }
  if (components == 1 && path.size() == 64 &&
      path.find_first_not_of("0123456789abcdef") == std::string_view::npos &&
      r.registry == kDockerHub && first == std::string_view::npos)
    bad(text, "a 64-character hexadecimal string is an image ID, not a repository name");
  r.repository = std::string(path);
  if (r.registry == kDockerHub && components == 1) r.repository = "library/" + r.repository;
  if (allow_tag && r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

}  // namespace

std::string Reference::str() const {
  std::string s = name();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

std::string Reference::api_host() const {
  return registry == kDockerHub ? std::string("registry-1.docker.io") : registry;
}

bool Reference::is_loopback() const {
  return is_loopback_host(registry);
}

bool is_loopback_host(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return close != std::string_view::npos && host.substr(1, close - 1) == "::1";
  }
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  if (host.rfind("127.", 0) != 0) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

Reference parse_reference(std::string_view text) {
  return parse(text, true);
}

Reference parse_repository(std::string_view text) {
  return parse(text, false);
}

}  // namespace gantry::oci
