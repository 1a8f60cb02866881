#include "oci/auth.h"

#include <cctype>

namespace gantry::oci {

namespace {

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Cursor {
  std::string_view s;
  size_t i = 0;
  void skip_ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
      ++i;
  }
  bool done() const { return i >= s.size(); }
  std::string_view token() {
    size_t b = i;
    while (i < s.size() && is_tchar(s[i]))
      ++i;
    return s.substr(b, i - b);
  }
};

}  // namespace

std::string Challenge::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

std::vector<Challenge> parse_challenges(std::string_view header) {
  std::vector<Challenge> out;
  Cursor c{header};
  while (true) {
    c.skip_ws();
    while (!c.done() && c.s[c.i] == ',') {
      ++c.i;
      c.skip_ws();
    }
    if (c.done()) break;
    std::string_view scheme = c.token();
    if (scheme.empty()) {
      ++c.i;  // skip garbage
      continue;
    }
    Challenge ch;
    ch.scheme = lower(scheme);
    // auth-params: name=value pairs separated by commas
    while (true) {
      c.skip_ws();
      size_t save = c.i;
      std::string_view name = c.token();
      c.skip_ws();
      if (name.empty() || c.done() || c.s[c.i] != '=') {
        c.i = save;  // the start of the next challenge
        break;
      }
      ++c.i;  // '='
      c.skip_ws();
      std::string value;
      if (!c.done() && c.s[c.i] == '"') {
        ++c.i;
        while (!c.done() && c.s[c.i] != '"') {
          if (c.s[c.i] == '\\' && c.i + 1 < c.s.size()) ++c.i;
          value += c.s[c.i++];
        }
        if (!c.done()) ++c.i;  // closing quote
      } else {
        value = std::string(c.token());
      }
      ch.params.emplace_back(lower(name), value);
      c.skip_ws();
      if (!c.done() && c.s[c.i] == ',') {
        ++c.i;
        continue;
      }
      break;
    }
    out.push_back(std::move(ch));
  }
  return out;
}

std::string repository_scope(std::string_view repository, std::string_view actions) {
  return "repository:" + std::string(repository) + ":" + std::string(actions);
}

}  // namespace gantry::oci
