// The Dockerfile front end: text -> instructions with their flags, JSON or
// shell form, heredocs and source lines. No variable is expanded here (see
// expand.h); instruction arguments keep their quotes for the lexer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::build {

// `<<EOF` / `<<-EOF` / `<<"EOF"` after RUN, COPY or ADD.
struct Heredoc {
  std::string name;     // the delimiter word, without quotes
  std::string content;  // the body, each line ending in '\n' (tabs stripped for <<-)
  bool expand = true;   // false when the delimiter was quoted
  bool strip_tabs = false;
};

struct Flag {
  std::string name;   // without the leading "--"
  std::string value;  // text after '=', empty when there was none
  bool has_value = false;
};

struct Instruction {
  std::string keyword;  // upper case: FROM, RUN, ...
  std::vector<Flag> flags;
  std::string args;               // the text after the flags (shell form), trimmed
  bool json = false;              // exec form: args parsed into `argv`
  std::vector<std::string> argv;  // exec form arguments
  std::vector<Heredoc> heredocs;
  std::string original;  // the logical line as written (continuations joined)
  uint32_t line = 0;     // first physical line, 1-based

  // The last --name flag, or nullptr when absent (repeatable flags such as
  // --mount and --exclude are read from `flags`).
  const Flag* flag(std::string_view name) const;
};

struct Dockerfile {
  std::string file = "Dockerfile";  // for error locations
  char escape = '\\';
  std::string syntax;  // `# syntax=` value, accepted and ignored
  std::vector<Instruction> instructions;
};

// Parses a Dockerfile. Throws gantry::Error naming `file:line` for unknown
// instructions, bad flags, unterminated heredocs, instructions missing their
// arguments and malformed ONBUILD triggers.
Dockerfile parse_dockerfile(std::string_view text, std::string file = "Dockerfile");

// Parses the trigger of an ONBUILD instruction (its args) as one instruction.
Instruction parse_onbuild_trigger(const Instruction& onbuild, const Dockerfile& df);

}  // namespace gantry::build
