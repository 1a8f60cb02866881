#include "template/lexer.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "template/text.h"

namespace gantry::tmpl {

std::string_view op_text(Op op) {
  switch (op) {
    case Op::kNone:
      return "";
    case Op::kAdd:
      return "+";
    case Op::kSub:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kFloorDiv:
      return "//";
    case Op::kMod:
      return "%";
    case Op::kPow:
      return "**";
    case Op::kTilde:
      return "~";
    case Op::kAssign:
      return "=";
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kLParen:
      return "(";
    case Op::kRParen:
      return ")";
    case Op::kLBracket:
      return "[";
    case Op::kRBracket:
      return "]";
    case Op::kLBrace:
      return "{";
    case Op::kRBrace:
      return "}";
    case Op::kDot:
      return ".";
    case Op::kComma:
      return ",";
    case Op::kColon:
      return ":";
    case Op::kPipe:
      return "|";
    case Op::kSemicolon:
      return ";";
  }
  return "?";
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kData:
      return "template text";
    case Tok::kVarBegin:
      return "'{{'";
    case Tok::kVarEnd:
      return "'}}'";
    case Tok::kBlockBegin:
      return "'{%'";
    case Tok::kBlockEnd:
      return "'%}'";
    case Tok::kName:
      return "name '" + t.text + "'";
    case Tok::kString:
      return "a string";
    case Tok::kInt:
      return "integer " + std::to_string(t.int_value);
    case Tok::kFloat:
      return "a number";
    case Tok::kOp:
      return "'" + std::string(op_text(t.op)) + "'";
    case Tok::kEof:
      return "end of template";
  }
  return "?";
}

namespace {

struct OpSpelling {
  std::string_view text;
  Op op;
};

// Longest spellings first, so that "**" wins over "*".
constexpr OpSpelling kOps[] = {
    {"**", Op::kPow},   {"//", Op::kFloorDiv}, {"==", Op::kEq},      {"!=", Op::kNe},
    {"<=", Op::kLe},    {">=", Op::kGe},       {"+", Op::kAdd},      {"-", Op::kSub},
    {"*", Op::kMul},    {"/", Op::kDiv},       {"%", Op::kMod},      {"~", Op::kTilde},
    {"=", Op::kAssign}, {"<", Op::kLt},        {">", Op::kGt},       {"(", Op::kLParen},
    {")", Op::kRParen}, {"[", Op::kLBracket},  {"]", Op::kRBracket}, {"{", Op::kLBrace},
    {"}", Op::kRBrace}, {".", Op::kDot},       {",", Op::kComma},    {":", Op::kColon},
    {"|", Op::kPipe},   {";", Op::kSemicolon},
};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

class Lexer {
 public:
  Lexer(std::string_view source, const std::string& file) : file_(file) {
    // Newlines are normalised like Jinja's lexer does ("\r\n" and "\r" -> "\n").
    if (source.find('\r') == std::string_view::npos) {
      src_.assign(source);
    } else {
      src_.reserve(source.size());
      for (size_t i = 0; i < source.size(); ++i) {
        if (source[i] == '\r') {
          src_ += '\n';
          if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
        } else {
          src_ += source[i];
        }
      }
    }
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i)
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
  }

  std::vector<Token> run_template() {
    // keep_trailing_newline=False (Jinja2's default, and what kluctl uses): one
    // trailing newline of the source is not part of the output.
    size_t end = src_.size();
    if (end > 0 && src_[end - 1] == '\n') --end;
    end_ = end;
    size_t pos = 0;
    while (pos < end_) {
      size_t tag = find_tag(pos);
      if (tag == std::string_view::npos) {
        emit_data(pos, end_, false);
        break;
      }
      char kind = src_[tag + 1];
      char sign = tag + 2 < end_ ? src_[tag + 2] : '\0';
      bool strip_before = sign == '-';
      size_t after = tag + 2 + ((sign == '-' || sign == '+') ? 1 : 0);
      if (kind == '%') {
        size_t raw_end = 0;
        if (match_raw_begin(after, &raw_end)) {
          emit_data(pos, tag, strip_before);
          pos = lex_raw(tag, raw_end);
          continue;
        }
      }
      emit_data(pos, tag, strip_before);
      if (kind == '#') {
        pos = skip_comment(tag, after);
      } else {
        pos = lex_tag(tag, after, kind == '%' ? Tok::kBlockBegin : Tok::kVarBegin);
      }
    }
    push(Tok::kEof, end_);
    return std::move(tokens_);
  }

  std::vector<Token> run_expression() {
    end_ = src_.size();
    size_t pos = 0;
    std::vector<char> balance;
    while (pos < end_)
      pos = lex_one(pos, balance);
    push(Tok::kEof, end_);
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(size_t offset, std::string why) const {
    auto [line, col] = line_col(offset);
    throw Error(Location{file_, line, col}, std::move(why));
  }

  std::pair<uint32_t, uint32_t> line_col(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t idx = static_cast<size_t>(it - line_starts_.begin()) - 1;
    return {static_cast<uint32_t>(idx + 1), static_cast<uint32_t>(offset - line_starts_[idx] + 1)};
  }

  Token& push(Tok kind, size_t offset) {
    Token t;
    t.kind = kind;
    auto [line, col] = line_col(offset);
    t.line = line;
    t.column = col;
    tokens_.push_back(std::move(t));
    return tokens_.back();
  }

  // The next "{{", "{%" or "{#" at or after pos (before end_).
  size_t find_tag(size_t pos) const {
    while (pos + 1 < end_) {
      const void* p = std::memchr(src_.data() + pos, '{', end_ - pos - 1);
      if (!p) return std::string_view::npos;
      size_t at = static_cast<size_t>(static_cast<const char*>(p) - src_.data());
      char c = src_[at + 1];
      if (c == '{' || c == '%' || c == '#') return at;
      pos = at + 1;
    }
    return std::string_view::npos;
  }

  void emit_data(size_t begin, size_t end, bool rstrip) {
    if (rstrip)
      while (end > begin && is_py_space(src_[end - 1]))
        --end;
    if (end <= begin) return;
    Token& t = push(Tok::kData, begin);
    t.text.assign(src_, begin, end - begin);
  }

  size_t skip_space(size_t pos) const {
    while (pos < end_ && is_py_space(src_[pos]))
      ++pos;
    return pos;
  }

  bool starts_with(size_t pos, std::string_view s) const {
    return pos + s.size() <= end_ && std::string_view(src_).substr(pos, s.size()) == s;
  }

  // `{%[-+]?\s*raw\s*(-%}\s*|%})` whose "{%" and sign were already read; on a
  // match *content_start is where the raw text begins.
  bool match_raw_begin(size_t after, size_t* content_start) const {
    size_t p = skip_space(after);
    if (!starts_with(p, "raw")) return false;
    p = skip_space(p + 3);
    if (starts_with(p, "-%}")) {
      *content_start = skip_space(p + 3);
      return true;
    }
    if (starts_with(p, "%}")) {
      *content_start = p + 2;
      return true;
    }
    return false;
  }

  size_t lex_raw(size_t tag, size_t content) {
    size_t pos = content;
    while (true) {
      size_t at = src_.find("{%", pos);
      if (at == std::string::npos || at >= end_) fail(tag, "missing {% endraw %} for {% raw %}");
      size_t p = at + 2;
      char sign = p < end_ ? src_[p] : '\0';
      if (sign == '-' || sign == '+') ++p;
      p = skip_space(p);
      if (starts_with(p, "endraw")) {
        p = skip_space(p + 6);
        size_t next = 0;
        bool ok = false;
        if (starts_with(p, "+%}")) {
          next = p + 3;
          ok = true;
        } else if (starts_with(p, "-%}")) {
          next = skip_space(p + 3);
          ok = true;
        } else if (starts_with(p, "%}")) {
          next = p + 2;
          ok = true;
        }
        if (ok) {
          emit_data(content, at, sign == '-');
          return next;
        }
      }
      pos = at + 1;
    }
  }

  size_t skip_comment(size_t tag, size_t content) {
    size_t at = src_.find("#}", content);
    if (at == std::string::npos || at + 2 > end_) fail(tag, "missing end of comment tag '#}'");
    if (at > content && src_[at - 1] == '-') return skip_space(at + 2);
    return at + 2;
  }

  // Lexes the inside of a {{ }} or {% %} tag starting at `pos` (after the
  // opening delimiter and its sign). Returns the offset after the closing one.
  size_t lex_tag(size_t tag, size_t pos, Tok begin) {
    push(begin, tag);
    const char end_char = begin == Tok::kBlockBegin ? '%' : '}';
    std::vector<char> balance;
    while (true) {
      if (pos >= end_) {
        fail(tag, begin == Tok::kBlockBegin ? "'{%' is never closed (expected '%}')"
                                            : "'{{' is never closed (expected '}}')");
      }
      if (balance.empty()) {
        // '-%}' / '-}}' strip the whitespace that follows; '+%}' is accepted.
        if (src_[pos] == '-' && pos + 2 < end_ && src_[pos + 1] == end_char &&
            src_[pos + 2] == '}') {
          push(begin == Tok::kBlockBegin ? Tok::kBlockEnd : Tok::kVarEnd, pos);
          return skip_space(pos + 3);
        }
        if (begin == Tok::kBlockBegin && starts_with(pos, "+%}")) {
          push(Tok::kBlockEnd, pos);
          return pos + 3;
        }
        if (pos + 1 < end_ && src_[pos] == end_char && src_[pos + 1] == '}') {
          push(begin == Tok::kBlockBegin ? Tok::kBlockEnd : Tok::kVarEnd, pos);
          return pos + 2;
        }
      }
      pos = lex_one(pos, balance);
    }
  }

  // Reads `(\d+_)*\d+` at pos; returns the end (== pos when no digit).
  size_t digits(size_t pos) const {
    size_t p = pos;
    if (p >= end_ || !is_digit(src_[p])) return pos;
    while (true) {
      while (p < end_ && is_digit(src_[p]))
        ++p;
      if (p + 1 < end_ && src_[p] == '_' && is_digit(src_[p + 1])) {
        ++p;
        continue;
      }
      return p;
    }
  }

  // Tries the float rule at pos; returns its end or pos.
  size_t match_float(size_t pos) const {
    if (pos > 0 && src_[pos - 1] == '.') return pos;
    size_t p = digits(pos);
    if (p == pos) return pos;
    // Either (\.digits)? e[+-]?digits, or \.digits.
    size_t frac_end = p;
    if (p < end_ && src_[p] == '.') {
      size_t q = digits(p + 1);
      if (q > p + 1) frac_end = q;
    }
    size_t e = frac_end;
    if (e < end_ && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t q = e + 1;
      if (q < end_ && (src_[q] == '+' || src_[q] == '-')) ++q;
      size_t r = digits(q);
      if (r > q) return r;
    }
    if (frac_end > p) return frac_end;
    return pos;
  }

  static std::string strip_underscores(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s)
      if (c != '_') out += c;
    return out;
  }

  // Lexes one token (or whitespace) inside a tag.
  size_t lex_one(size_t pos, std::vector<char>& balance) {
    char c = src_[pos];
    if (is_py_space(c)) return skip_space(pos);
    if (is_digit(c)) {
      size_t fe = match_float(pos);
      if (fe > pos) {
        std::string text = strip_underscores(std::string_view(src_).substr(pos, fe - pos));
        Token& t = push(Tok::kFloat, pos);
        t.float_value = std::strtod(text.c_str(), nullptr);
        t.text = std::move(text);
        return fe;
      }
      return lex_int(pos);
    }
    if (is_name_start(c)) {
      size_t p = pos + 1;
      while (p < end_ && is_name_char(src_[p]))
        ++p;
      Token& t = push(Tok::kName, pos);
      t.text.assign(src_, pos, p - pos);
      return p;
    }
    if (c == '\'' || c == '"') return lex_string(pos);
    for (const auto& o : kOps) {
      if (starts_with(pos, o.text)) {
        if (o.op == Op::kLParen || o.op == Op::kLBracket || o.op == Op::kLBrace) {
          if (balance.size() >= 256) fail(pos, "brackets nested too deeply");
          balance.push_back(o.op == Op::kLParen ? ')' : o.op == Op::kLBracket ? ']' : '}');
        } else if (o.op == Op::kRParen || o.op == Op::kRBracket || o.op == Op::kRBrace) {
          if (balance.empty()) fail(pos, "unexpected '" + std::string(o.text) + "'");
          if (balance.back() != o.text[0])
            fail(pos, "unexpected '" + std::string(o.text) + "', expected '" +
                          std::string(1, balance.back()) + "'");
          balance.pop_back();
        }
        Token& t = push(Tok::kOp, pos);
        t.op = o.op;
        return pos + o.text.size();
      }
    }
    if (static_cast<unsigned char>(c) >= 0x80 || c < 0x20)
      fail(pos, "unexpected character in expression");
    fail(pos, std::string("unexpected character '") + c + "' in expression");
  }

  size_t lex_int(size_t pos) {
    // (0b(_?[01])+ | 0o(_?[0-7])+ | 0x(_?[0-9a-f])+ | [1-9](_?\d)* | 0(_?0)*)
    int base = 10;
    size_t p = pos;
    std::string digits_text;
    auto prefixed = [&](char lower, int b) {
      if (p + 1 < end_ && src_[p] == '0' && (src_[p + 1] == lower || src_[p + 1] == lower - 32)) {
        size_t q = p + 2;
        std::string d;
        while (q < end_) {
          size_t r = q;
          if (src_[r] == '_') ++r;
          if (r >= end_) break;
          char ch = static_cast<char>(src_[r] | 0x20);
          bool ok = b == 2   ? (ch == '0' || ch == '1')
                    : b == 8 ? (ch >= '0' && ch <= '7')
                             : (is_digit(ch) || (ch >= 'a' && ch <= 'f'));
          if (!ok) break;
          d += ch;
          q = r + 1;
        }
        if (!d.empty()) {
          base = b;
          digits_text = std::move(d);
          p = q;
          return true;
        }
      }
      return false;
    };
    if (!prefixed('b', 2) && !prefixed('o', 8) && !prefixed('x', 16)) {
      if (src_[p] == '0') {
        size_t q = p + 1;
        while (q < end_) {
          size_t r = q;
          if (src_[r] == '_') ++r;
          if (r < end_ && src_[r] == '0') {
            q = r + 1;
          } else {
            break;
          }
        }
        digits_text = "0";
        p = q;
      } else {
        size_t q = p;
        while (q < end_) {
          size_t r = q;
          if (r > p && src_[r] == '_') ++r;
          if (r < end_ && is_digit(src_[r])) {
            digits_text += src_[r];
            q = r + 1;
          } else {
            break;
          }
        }
        p = q;
      }
    }
    int64_t value = 0;
    auto [ptr, ec] =
        std::from_chars(digits_text.data(), digits_text.data() + digits_text.size(), value, base);
    if (ec != std::errc() || ptr != digits_text.data() + digits_text.size())
      fail(pos, "integer literal is too large (integers are 64-bit)");
    Token& t = push(Tok::kInt, pos);
    t.int_value = value;
    return p;
  }

  size_t lex_string(size_t pos) {
    char quote = src_[pos];
    size_t p = pos + 1;
    while (p < end_ && src_[p] != quote) {
      if (src_[p] == '\\') ++p;
      ++p;
    }
    if (p >= end_) fail(pos, "unterminated string literal");
    std::string value;
    std::string_view body = std::string_view(src_).substr(pos + 1, p - pos - 1);
    if (!unescape_python(body, &value)) fail(pos, "invalid escape sequence in string literal");
    Token& t = push(Tok::kString, pos);
    t.text = std::move(value);
    return p + 1;
  }

  const std::string& file_;
  std::string src_;
  size_t end_ = 0;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> tokenize_template(std::string_view source, const std::string& file) {
  return Lexer(source, file).run_template();
}

std::vector<Token> tokenize_expression(std::string_view source, const std::string& file) {
  return Lexer(source, file).run_expression();
}

}  // namespace gantry::tmpl
