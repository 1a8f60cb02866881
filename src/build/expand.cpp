#include "build/expand.h"

#include <cctype>

namespace gantry::build {
namespace {

struct Lexer {
  std::string_view s;
  size_t i = 0;
  const Lookup& lookup;
  char escape;
  const Location& where;

  bool at_end() const { return i >= s.size(); }

  static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // Text up to `stop` (not consumed) or the end; `split` stops at whitespace
  // and records word boundaries.
  std::string word(char stop, bool quoted_double) {
    std::string out;
    while (!at_end()) {
      char c = s[i];
      if (stop && c == stop) break;
      if (c == escape) {
        ++i;
        if (at_end()) {
          out += c;
          break;
        }
        char n = s[i++];
        if (quoted_double && n != '"' && n != '$' && n != escape) out += c;
        out += n;
        continue;
      }
      if (c == '$') {
        out += variable();
        continue;
      }
      if (!quoted_double && c == '\'') {
        ++i;
        size_t end = s.find('\'', i);
        if (end == std::string_view::npos) throw Error(where, "unterminated single quote");
        out += s.substr(i, end - i);
        i = end + 1;
        continue;
      }
      if (!quoted_double && c == '"') {
        ++i;
        out += word('"', true);
        if (at_end()) throw Error(where, "unterminated double quote");
        ++i;
        continue;
      }
      out += c;
      ++i;
    }
    return out;
  }

  std::string variable() {
    ++i;  // '$'
    if (at_end()) return "$";
    if (s[i] != '{') {
      size_t start = i;
      while (!at_end() && name_char(s[i]))
        ++i;
      if (i == start) return "$";
      return lookup(s.substr(start, i - start)).value_or("");
    }
    ++i;
    size_t start = i;
    while (!at_end() && name_char(s[i]))
      ++i;
    std::string_view name = s.substr(start, i - start);
    if (name.empty()) throw Error(where, "bad substitution: missing variable name after ${");
    if (at_end()) throw Error(where, "bad substitution: missing '}'");
    if (s[i] == '}') {
      ++i;
      return lookup(name).value_or("");
    }
    bool colon = false;
    if (s[i] == ':') {
      colon = true;
      ++i;
    }
    if (at_end()) throw Error(where, "bad substitution: missing '}'");
    char op = s[i++];
    if (op != '-' && op != '+' && op != '?')
      throw Error(where,
                  std::string("unsupported modifier '") + op + "' in ${" + std::string(name) + "}");
    std::string arg = word('}', false);
    if (at_end()) throw Error(where, "bad substitution: missing '}'");
    ++i;
    std::optional<std::string> v = lookup(name);
    bool set = v.has_value() && (!colon || !v->empty());
    switch (op) {
      case '-':
        return set ? *v : arg;
      case '+':
        return set ? arg : std::string();
      default:
        if (!set)
          throw Error(
              where, std::string(name) + ": " + (arg.empty() ? "is not allowed to be unset" : arg));
        return *v;
    }
  }
};

}  // namespace

std::string expand_word(std::string_view text, const Lookup& lookup, char escape,
                        const Location& where) {
  Lexer lx{text, 0, lookup, escape, where};
  return lx.word(0, false);
}

std::vector<std::string> expand_words(std::string_view text, const Lookup& lookup, char escape,
                                      const Location& where) {
  // Find word boundaries on unquoted, unescaped whitespace.
  std::vector<std::string> out;
  size_t i = 0, start = 0;
  char quote = 0;
  int braces = 0;
  bool in_word = false;
  auto flush = [&](size_t end) {
    if (in_word) out.push_back(expand_word(text.substr(start, end - start), lookup, escape, where));
    in_word = false;
  };
  while (i < text.size()) {
    char c = text[i];
    if (!in_word && !std::isspace(static_cast<unsigned char>(c))) {
      in_word = true;
      start = i;
    }
    if (c == escape && quote != '\'') {
      i += 2;
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++braces;
    } else if (c == '}' && braces > 0) {
      --braces;
    } else if (std::isspace(static_cast<unsigned char>(c)) && braces == 0) {
      flush(i);
    }
    ++i;
  }
  flush(std::min(i, text.size()));
  return out;
}

std::vector<KeyValue> expand_key_values(std::string_view keyword, std::string_view args,
                                        const Lookup& lookup, char escape, const Location& where) {
  std::vector<KeyValue> out;
  size_t first_end = args.find_first_of(" \t");
  std::string_view first = args.substr(0, first_end);
  if (keyword != "ARG" && first.find('=') == std::string_view::npos) {
    if (first_end == std::string_view::npos)
      throw Error(where,
                  std::string(keyword) + " " + std::string(first) + " must have two arguments");
    std::string_view rest = args.substr(first_end);
    rest.remove_prefix(std::min(rest.find_first_not_of(" \t"), rest.size()));
    out.push_back({std::string(first), expand_word(rest, lookup, escape, where), true});
    return out;
  }
  for (const std::string& word : expand_words(args, lookup, escape, where)) {
    size_t eq = word.find('=');
    if (eq == std::string::npos) {
      if (keyword != "ARG")
        throw Error(where, std::string(keyword) + ": \"" + word + "\" is not KEY=VALUE");
      out.push_back({word, "", false});
      continue;
    }
    if (eq == 0) throw Error(where, std::string(keyword) + " names must not be empty");
    out.push_back({word.substr(0, eq), word.substr(eq + 1), true});
  }
  return out;
}

}  // namespace gantry::build
