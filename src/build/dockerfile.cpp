#include "build/dockerfile.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/error.h"
#include "doc/json.h"

namespace gantry::build {
namespace {

constexpr std::array<std::string_view, 18> kKeywords = {
    "FROM",   "RUN",   "CMD",         "ENTRYPOINT", "COPY",    "ADD",
    "ENV",    "ARG",   "LABEL",       "WORKDIR",    "USER",    "EXPOSE",
    "VOLUME", "SHELL", "HEALTHCHECK", "STOPSIGNAL", "ONBUILD", "MAINTAINER"};

// Instructions whose leading `--name[=value]` words are flags.
bool takes_flags(std::string_view kw) {
  return kw == "FROM" || kw == "RUN" || kw == "COPY" || kw == "ADD" || kw == "HEALTHCHECK";
}
bool takes_heredocs(std::string_view kw) {
  return kw == "RUN" || kw == "COPY" || kw == "ADD";
}

// Flags each instruction accepts; anything else is an error like BuildKit's.
bool known_flag(std::string_view kw, std::string_view flag) {
  auto in = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), flag) != names.end();
  };
  if (kw == "FROM") return in({"platform"});
  if (kw == "RUN") return in({"mount", "network", "security"});
  if (kw == "COPY") return in({"from", "chown", "chmod", "link", "exclude", "parents"});
  if (kw == "ADD") return in({"chown", "chmod", "link", "exclude", "keep-git-dir", "checksum"});
  if (kw == "HEALTHCHECK")
    return in({"interval", "timeout", "start-period", "start-interval", "retries"});
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

bool is_comment(std::string_view line) {
  line = trim(line);
  return !line.empty() && line.front() == '#';
}

// `# key=value` at the top of the file.
bool parse_directive(std::string_view line, std::string& key, std::string& value) {
  line = trim(line);
  if (line.empty() || line.front() != '#') return false;
  line = trim(line.substr(1));
  size_t eq = line.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view k = trim(line.substr(0, eq));
  if (k.empty() || std::any_of(k.begin(), k.end(),
                               [](char c) { return !std::isalpha(static_cast<unsigned char>(c)); }))
    return false;
  key = upper(k);
  for (char& c : key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  value = std::string(trim(line.substr(eq + 1)));
  return true;
}

// A JSON array of strings, or false when `s` is not one (then shell form,
// as BuildKit falls back).
bool parse_json_array(std::string_view s, std::vector<std::string>& out) {
  doc::Value v;
  try {
    v = doc::parse_json(s, "<exec form>");
  } catch (const Error&) {
    return false;
  }
  if (!v.is_list()) return false;
  for (const doc::Value& item : v.as_list()) {
    if (!item.is_string()) return false;
    out.push_back(item.as_string());
  }
  return true;
}

// Delimiters `<<WORD`, `<<-WORD`, `<<"WORD"`, `<<'WORD'` in the args.
std::vector<Heredoc> find_heredocs(std::string_view args) {
  std::vector<Heredoc> docs;
  size_t pos = 0;
  while ((pos = args.find("<<", pos)) != std::string_view::npos) {
    if (pos > 0 && !std::isspace(static_cast<unsigned char>(args[pos - 1]))) {
      pos += 2;
      continue;
    }
    size_t i = pos + 2;
    Heredoc doc;
    if (i < args.size() && args[i] == '-') {
      doc.strip_tabs = true;
      ++i;
    }
    char quote = 0;
    if (i < args.size() && (args[i] == '"' || args[i] == '\'')) quote = args[i++];
    size_t start = i;
    while (i < args.size() && (std::isalnum(static_cast<unsigned char>(args[i])) ||
                               args[i] == '_' || args[i] == '-' || args[i] == '.'))
      ++i;
    doc.name = std::string(args.substr(start, i - start));
    if (quote) {
      if (i >= args.size() || args[i] != quote) {
        pos = i;
        continue;
      }
      ++i;
      doc.expand = false;
    }
    if (!doc.name.empty()) docs.push_back(std::move(doc));
    pos = i;
  }
  return docs;
}

}  // namespace

const Flag* Instruction::flag(std::string_view name) const {
  const Flag* found = nullptr;
  for (const Flag& f : flags)
    if (f.name == name) found = &f;
  return found;
}

namespace {

Instruction parse_logical(std::string_view text, uint32_t line, const std::string& file) {
  Instruction ins;
  ins.line = line;
  ins.original = std::string(trim(text));
  std::string_view rest = trim(text);
  size_t sp = 0;
  while (sp < rest.size() && !std::isspace(static_cast<unsigned char>(rest[sp])))
    ++sp;
  ins.keyword = upper(rest.substr(0, sp));
  rest = trim(rest.substr(sp));
  Location where{file, line, 0};
  if (std::find(kKeywords.begin(), kKeywords.end(), ins.keyword) == kKeywords.end())
    throw Error(where, "unknown instruction: " + std::string(ins.keyword));
  if (takes_flags(ins.keyword)) {
    while (rest.size() > 2 && rest.substr(0, 2) == "--") {
      size_t end = 0;
      while (end < rest.size() && !std::isspace(static_cast<unsigned char>(rest[end])))
        ++end;
      std::string_view word = rest.substr(2, end - 2);
      Flag f;
      size_t eq = word.find('=');
      f.name = std::string(word.substr(0, eq));
      if (eq != std::string_view::npos) {
        f.value = std::string(word.substr(eq + 1));
        f.has_value = true;
      }
      if (!known_flag(ins.keyword, f.name))
        throw Error(where, "unknown flag --" + f.name + " for " + ins.keyword);
      ins.flags.push_back(std::move(f));
      rest = trim(rest.substr(end));
    }
  }
  ins.args = std::string(rest);
  if (ins.args.empty() && ins.keyword != "HEALTHCHECK")
    throw Error(where, ins.keyword + " requires at least one argument");
  if (ins.keyword == "RUN" || ins.keyword == "CMD" || ins.keyword == "ENTRYPOINT" ||
      ins.keyword == "COPY" || ins.keyword == "ADD" || ins.keyword == "SHELL" ||
      ins.keyword == "VOLUME") {
    ins.json = parse_json_array(ins.args, ins.argv);
    if (!ins.json) ins.argv.clear();
  }
  if (ins.keyword == "SHELL" && !ins.json)
    throw Error(where, "SHELL requires the arguments in JSON form");
  return ins;
}

}  // namespace

Dockerfile parse_dockerfile(std::string_view text, std::string file) {
  Dockerfile df;
  df.file = std::move(file);
  std::vector<std::string_view> lines = split_lines(text);
  size_t i = 0;
  if (!lines.empty() && lines[0].substr(0, 3) == "\xEF\xBB\xBF")
    lines[0].remove_prefix(3);  // UTF-8 BOM
  for (; i < lines.size(); ++i) {
    std::string key, value;
    if (!parse_directive(lines[i], key, value)) break;
    if (key == "escape") {
      if (value != "\\" && value != "`")
        throw Error(Location{df.file, static_cast<uint32_t>(i + 1), 0},
                    "invalid escape directive '" + value + "': must be ` or \\");
      df.escape = value[0];
    } else if (key == "syntax") {
      df.syntax = value;
    }
  }
  while (i < lines.size()) {
    std::string_view first = lines[i];
    if (trim(first).empty() || is_comment(first)) {
      ++i;
      continue;
    }
    uint32_t start_line = static_cast<uint32_t>(i + 1);
    std::string logical;
    // Join continuation lines; comment and blank lines inside are dropped.
    while (i < lines.size()) {
      std::string_view l = lines[i++];
      if (!logical.empty() && (is_comment(l) || trim(l).empty())) continue;
      std::string_view t = l;
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
        t.remove_suffix(1);
      if (!t.empty() && t.back() == df.escape) {
        t.remove_suffix(1);
        logical += t;
        if (i >= lines.size()) break;
        continue;
      }
      logical += l;
      break;
    }
    Instruction ins = parse_logical(logical, start_line, df.file);
    if (takes_heredocs(ins.keyword) && !ins.json) {
      ins.heredocs = find_heredocs(ins.args);
      for (Heredoc& doc : ins.heredocs) {
        bool closed = false;
        while (i < lines.size()) {
          std::string_view l = lines[i++];
          if (doc.strip_tabs)
            while (!l.empty() && l.front() == '\t')
              l.remove_prefix(1);
          if (l == doc.name) {
            closed = true;
            break;
          }
          doc.content += l;
          doc.content += '\n';
        }
        if (!closed)
          throw Error(Location{df.file, start_line, 0}, "unterminated heredoc <<" + doc.name);
      }
    }
    if (ins.keyword == "ONBUILD") parse_onbuild_trigger(ins, df);
    df.instructions.push_back(std::move(ins));
  }
  return df;
}

Instruction parse_onbuild_trigger(const Instruction& onbuild, const Dockerfile& df) {
  Instruction trigger = parse_logical(onbuild.args, onbuild.line, df.file);
  if (trigger.keyword == "ONBUILD" || trigger.keyword == "FROM" || trigger.keyword == "MAINTAINER")
    throw Error(Location{df.file, onbuild.line, 0},
                trigger.keyword + " isn't allowed as an ONBUILD trigger");
  return trigger;
}

}  // namespace gantry::build
