// JSON reader and writer for the document model.
//
// Reader: RFC 8259. Strings must be valid UTF-8; \u escapes combine surrogate
// pairs, a lone surrogate becomes U+FFFD (as Go's encoding/json does, so what
// kubectl accepts we accept). Numbers without fraction or exponent that fit in
// int64 are ints, all others floats (an overflowing number is an error, an
// underflowing one is 0). Duplicate keys in an object are an error, like in
// the YAML reader. Every value gets a SourceSpan; columns count characters.
//
// Writer: the output of Go's encoding/json as kubectl prints it: <, > and &
// escaped as \u003c \u003e \u0026, U+2028/U+2029 escaped, \b \f \n \r \t as
// short escapes, other control characters as \u00XX, invalid UTF-8 replaced
// by \ufffd. Floats use Go's format (shortest round-trip digits, exponent
// form below 1e-6 and from 1e21 on: 1e-7, 1.5e+21) except that integral
// floats keep a ".0" so they read back as floats. to_json_pretty() is
// MarshalIndent with `indent` spaces plus the final newline kubectl prints.
#include "doc/json.h"

#include "core/utf8.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <unordered_set>

namespace gantry::doc {
namespace {

// ---------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------

class JsonReader {
 public:
  JsonReader(std::string_view text, std::string_view filename, const JsonLimits& limits)
      : s_(text), file_(std::make_shared<const std::string>(filename)), limits_(limits) {}

  Value run() {
    if (s_.size() > limits_.max_input_bytes) {
      throw Error(Location{*file_}, "JSON input is " + std::to_string(s_.size()) +
                                        " bytes, over the limit of " +
                                        std::to_string(limits_.max_input_bytes) + " bytes");
    }
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = line_start_ = 3;  // ignore a BOM
    skip_ws();
    Value v = value(0);
    skip_ws();
    if (pos_ < s_.size()) fail("unexpected " + describe() + " after the JSON value");
    return v;
  }

 private:
  std::string_view s_;
  std::shared_ptr<const std::string> file_;
  JsonLimits limits_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  // Column cache: characters counted on the current line up to col_pos_.
  size_t col_pos_ = 0;
  uint32_t col_ = 1;

  uint32_t column_at(size_t pos) {
    if (col_pos_ < line_start_ || col_pos_ > pos) {
      col_pos_ = line_start_;
      col_ = 1;
    }
    for (; col_pos_ < pos; ++col_pos_)
      if ((static_cast<unsigned char>(s_[col_pos_]) & 0xC0) != 0x80) ++col_;
    return col_;
  }

  Location here() { return Location{*file_, line_, column_at(pos_)}; }

  [[noreturn]] void fail(std::string why) { throw Error(here(), std::move(why)); }

  std::string describe() {
    if (pos_ >= s_.size()) return "end of input";
    unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c >= 0x20 && c < 0x7F) return std::string("character '") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
    return buf;
  }

  void skip_ws() {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
      } else {
        break;
      }
    }
  }

  SourceSpan span_from(size_t begin, uint32_t line, uint32_t column) const {
    return SourceSpan{file_, line, column, begin, pos_};
  }

  Value value(size_t depth) {
    if (pos_ >= s_.size()) fail("unexpected end of input, expected a JSON value");
    size_t begin = pos_;
    uint32_t line = line_, column = column_at(pos_);
    Value v;
    switch (s_[pos_]) {
      case '{':
        v = object(depth + 1);
        break;
      case '[':
        v = array(depth + 1);
        break;
      case '"':
        v = Value(string());
        break;
      case 't':
        literal("true");
        v = Value(true);
        break;
      case 'f':
        literal("false");
        v = Value(false);
        break;
      case 'n':
        literal("null");
        break;
      default:
        if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) {
          v = number();
        } else {
          fail("unexpected " + describe() + ", expected a JSON value");
        }
    }
    v.set_span(span_from(begin, line, column));
    return v;
  }

  void literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word)
      fail("invalid literal, expected '" + std::string(word) + "'");
    pos_ += word.size();
  }

  void check_depth(size_t depth) {
    if (depth > limits_.max_depth)
      fail("nesting is deeper than the limit of " + std::to_string(limits_.max_depth) + " levels");
  }

  Value object(size_t depth) {
    check_depth(depth);
    ++pos_;  // {
    Map map;
    std::unordered_set<std::string> seen;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return Value(std::move(map));
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"')
        fail("unexpected " + describe() + ", expected a string key");
      size_t kbegin = pos_;
      uint32_t kline = line_, kcol = column_at(pos_);
      std::string key = string();
      SourceSpan kspan = span_from(kbegin, kline, kcol);
      bool duplicate = false;
      if (map.size() < 16) {
        for (const auto& m : map)
          duplicate = duplicate || m.key == key;
      } else {
        if (seen.empty())
          for (const auto& m : map)
            seen.insert(m.key);
        duplicate = !seen.insert(key).second;
      }
      if (duplicate) {
        uint32_t first = 0;
        for (const auto& m : map)
          if (m.key == key) first = m.key_span.line;
        throw Error(
            Location{*file_, kline, kcol},
            "duplicate key \"" + key + "\" (first defined at line " + std::to_string(first) + ")");
      }
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') fail("unexpected " + describe() + ", expected ':'");
      ++pos_;
      skip_ws();
      Value v = value(depth);
      map.push_back(Member{std::move(key), std::move(v), std::move(kspan)});
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        return Value(std::move(map));
      }
      fail("unexpected " + describe() + ", expected ',' or '}'");
    }
  }

  Value array(size_t depth) {
    check_depth(depth);
    ++pos_;  // [
    List list;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return Value(std::move(list));
    }
    for (;;) {
      skip_ws();
      list.push_back(value(depth));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        return Value(std::move(list));
      }
      fail("unexpected " + describe() + ", expected ',' or ']'");
    }
  }

  std::optional<uint32_t> hex4(size_t at) const {
    if (at + 4 > s_.size()) return std::nullopt;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = s_[at + k];
      uint32_t d;
      if (c >= '0' && c <= '9')
        d = static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        d = static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        d = static_cast<uint32_t>(c - 'A' + 10);
      else
        return std::nullopt;
      v = (v << 4) | d;
    }
    return v;
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      // Copy a run of ordinary ASCII characters at once.
      size_t run = pos_;
      while (run < s_.size()) {
        auto c = static_cast<unsigned char>(s_[run]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++run;
      }
      out.append(s_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= s_.size()) fail("unterminated string");
      auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("control character in string (must be escaped)");
      if (c >= 0x80) {
        uint32_t cp_unused = 0;
        size_t n = utf8_decode(s_, pos_, cp_unused);
        if (!n) fail("invalid UTF-8 in string");
        out.append(s_.data() + pos_, n);
        pos_ += n;
        continue;
      }
      // Backslash escape.
      if (pos_ + 1 >= s_.size()) fail("unterminated string");
      char e = s_[pos_ + 1];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          auto cp = hex4(pos_ + 2);
          if (!cp) fail("invalid \\u escape (expected 4 hex digits)");
          pos_ += 6;
          uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF) {
            // A high surrogate: combine with a following low one if present.
            if (pos_ + 1 < s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
              auto low = hex4(pos_ + 2);
              if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
                code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
                pos_ += 6;
              } else {
                code = 0xFFFD;
              }
            } else {
              code = 0xFFFD;
            }
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            code = 0xFFFD;
          }
          utf8_append(out, code);
          continue;
        }
        default:
          fail("invalid escape '\\" + std::string(1, e) + "' in string");
      }
      pos_ += 2;
    }
  }

  Value number() {
    size_t begin = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) fail("invalid number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
        ++pos_;
    }
    bool integral = true;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
        ++pos_;
      if (pos_ == d) fail("invalid number: expected digits after '.'");
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      size_t d = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
        ++pos_;
      if (pos_ == d) fail("invalid number: expected digits in the exponent");
    }
    std::string_view text = s_.substr(begin, pos_ - begin);
    if (integral) {
      int64_t i = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec == std::errc() && ptr == text.data() + text.size()) return Value(i);
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc::result_out_of_range) {
      // Overflow or underflow? Compare the decimal exponent of the leading digit.
      std::string_view t = text[0] == '-' ? text.substr(1) : text;
      long int_digits = 0, zeros = 0, exp = 0;
      bool seen = false, point = false;
      size_t k = 0;
      for (; k < t.size() && t[k] != 'e' && t[k] != 'E'; ++k) {
        if (t[k] == '.') {
          point = true;
          continue;
        }
        if (!seen && t[k] == '0') {
          if (point) ++zeros;
          continue;
        }
        seen = true;
        if (!point) ++int_digits;
      }
      if (k < t.size()) {
        ++k;
        bool neg = false;
        if (k < t.size() && (t[k] == '+' || t[k] == '-')) neg = t[k++] == '-';
        for (; k < t.size(); ++k)
          exp = std::min<long>(exp * 10 + (t[k] - '0'), 100000);
        if (neg) exp = -exp;
      }
      long lead = int_digits > 0 ? int_digits - 1 : -(zeros + 1);
      if (lead + exp > 0) {
        pos_ = begin;
        fail("number " + std::string(text) + " is out of range");
      }
      return Value(text[0] == '-' ? -0.0 : 0.0);
    }
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      pos_ = begin;
      fail("invalid number");
    }
    return Value(d);
  }
};

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    size_t run = i;
    while (run < n) {
      auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= 0x80) break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= n) break;
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
      }
      ++i;
      continue;
    }
    // Multi-byte: validate, escape U+2028/U+2029, replace invalid bytes.
    uint32_t cp = 0;
    size_t len = utf8_decode(s, i, cp);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (cp == 0x2028) {
      out += "\\u2028";
    } else if (cp == 0x2029) {
      out += "\\u2029";
    } else {
      out.append(s.data() + i, len);
    }
    i += len;
  }
  out += '"';
}

void append_float(std::string& out, const Value& v) {
  double d = v.as_float();
  if (!std::isfinite(d))
    v.fail(std::string("cannot write ") + (std::isnan(d) ? "NaN" : "an infinite number") +
           " as JSON");
  char buf[64];
  double a = std::fabs(d);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    // Go writes e-07 as e-7.
    size_t e = s.find('e');
    out.append(s.substr(0, e + 2));
    std::string_view digits = s.substr(e + 2);
    if (s[e + 1] == '-' && digits.size() == 2 && digits[0] == '0') digits.remove_prefix(1);
    out.append(digits);
    return;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  out.append(s);
  if (s.find('.') == std::string_view::npos) out += ".0";
}

void write_json(std::string& out, const Value& v, int indent, int level) {
  auto newline = [&](int lvl) {
    out += '\n';
    out.append(static_cast<size_t>(indent) * static_cast<size_t>(lvl), ' ');
  };
  switch (v.type()) {
    case Type::kNull:
      out += "null";
      break;
    case Type::kBool:
      out += v.as_bool() ? "true" : "false";
      break;
    case Type::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, r.ptr);
      break;
    }
    case Type::kFloat:
      append_float(out, v);
      break;
    case Type::kString:
      append_json_string(out, v.as_string());
      break;
    case Type::kList: {
      const List& l = v.as_list();
      out += '[';
      for (size_t k = 0; k < l.size(); ++k) {
        if (k) out += ',';
        if (indent >= 0) newline(level + 1);
        write_json(out, l[k], indent, level + 1);
      }
      if (indent >= 0 && !l.empty()) newline(level);
      out += ']';
      break;
    }
    case Type::kMap: {
      const Map& m = v.as_map();
      out += '{';
      for (size_t k = 0; k < m.size(); ++k) {
        if (k) out += ',';
        if (indent >= 0) newline(level + 1);
        append_json_string(out, m[k].key);
        out += indent >= 0 ? ": " : ":";
        write_json(out, m[k].value, indent, level + 1);
      }
      if (indent >= 0 && !m.empty()) newline(level);
      out += '}';
      break;
    }
  }
}

}  // namespace

Value parse_json(std::string_view text, std::string_view filename, const JsonLimits& limits) {
  return JsonReader(text, filename, limits).run();
}

std::string to_json(const Value& v) {
  std::string out;
  write_json(out, v, -1, 0);
  return out;
}

std::string to_json_pretty(const Value& v, int indent) {
  std::string out;
  write_json(out, v, indent < 0 ? 0 : indent, 0);
  out += '\n';
  return out;
}

}  // namespace gantry::doc
