// Template lexer (private to src/template).
//
// Splits template source into a flat token stream the way Python Jinja2's
// lexer does with its default settings (trim_blocks=False,
// lstrip_blocks=False, keep_trailing_newline=False):
//   - newlines ("\r\n", "\r", "\n") are normalised to "\n";
//   - one trailing newline of the source is removed (kluctl renders with
//     Jinja2's default Environment, which does this too);
//   - `{%-`, `{{-`, `{#-` strip all whitespace before the tag, `-%}`, `-}}`,
//     `-#}` all whitespace after it (`+` is accepted and has no effect);
//   - comments are dropped; `{% raw %}...{% endraw %}` becomes plain data;
//   - inside tags, `}}` / `%}` only end the tag when brackets are balanced.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace gantry::tmpl {

enum class Tok : uint8_t {
  kData,        // literal text between tags
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,
  kString,
  kInt,
  kFloat,
  kOp,
  kEof,
};

enum class Op : uint8_t {
  kNone,
  kAdd,       // +
  kSub,       // -
  kMul,       // *
  kDiv,       // /
  kFloorDiv,  // //
  kMod,       // %
  kPow,       // **
  kTilde,     // ~
  kAssign,    // =
  kEq,        // ==
  kNe,        // !=
  kLt,        // <
  kLe,        // <=
  kGt,        // >
  kGe,        // >=
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kDot,
  kComma,
  kColon,
  kPipe,
  kSemicolon,
};

std::string_view op_text(Op op);

struct Token {
  Tok kind = Tok::kEof;
  Op op = Op::kNone;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string text;  // data, name, string value (escapes resolved)
  int64_t int_value = 0;
  double float_value = 0;
};

// A human-readable description of a token for error messages ("name 'foo'",
// "'}}'", "end of template").
std::string describe(const Token& t);

// Tokenizes a whole template. `file` is used in error locations.
std::vector<Token> tokenize_template(std::string_view source, const std::string& file);

// Tokenizes a bare expression (the inside of `{{ }}` without the braces), as
// used by Engine::evaluate. The stream ends with kEof.
std::vector<Token> tokenize_expression(std::string_view source, const std::string& file);

}  // namespace gantry::tmpl
