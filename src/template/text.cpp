#include "template/text.h"

#include "core/utf8.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace gantry::tmpl {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
char to_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

}  // namespace

uint32_t next_code_point(std::string_view s, size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = b0 >= 0xF0 && b0 <= 0xF4 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 && b0 < 0xE0 ? 2 : 0;
  if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
    ++i;
    return b0;
  }
  uint32_t cp = len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return b0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    ++i;
    return b0;
  }
  i += static_cast<size_t>(len);
  return cp;
}

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    next_code_point(s, i);
    ++n;
  }
  return n;
}

std::vector<size_t> utf8_offsets(std::string_view s) {
  std::vector<size_t> offs;
  offs.reserve(s.size() + 1);
  for (size_t i = 0; i < s.size();) {
    offs.push_back(i);
    next_code_point(s, i);
  }
  offs.push_back(s.size());
  return offs;
}

bool unescape_python(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 >= in.size()) {
      *out += c;
      continue;
    }
    char e = in[++i];
    switch (e) {
      case '\n':
        break;  // line continuation
      case '\\':
        *out += '\\';
        break;
      case '\'':
        *out += '\'';
        break;
      case '"':
        *out += '"';
        break;
      case 'a':
        *out += '\a';
        break;
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 't':
        *out += '\t';
        break;
      case 'v':
        *out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n >= in.size()) return false;
        uint32_t cp = 0;
        for (size_t k = 1; k <= n; ++k) {
          int h = hex_value(in[i + k]);
          if (h < 0) return false;
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (cp > 0x10FFFF) return false;
        utf8_append(*out, cp);
        i += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t cp = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2 && i + 1 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '7'; ++k)
            cp = cp * 8 + static_cast<uint32_t>(in[++i] - '0');
          utf8_append(*out, cp);
        } else {
          *out += '\\';
          *out += e;
        }
    }
  }
  return true;
}

std::string py_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  std::string out;
  if (sci[0] == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exp10 = std::atoi(std::string(sci.substr(e + 1)).c_str());
  int decpt = exp10 + 1;  // value = 0.<digits> * 10^decpt
  int nd = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= nd) {
      out += digits;
      out.append(static_cast<size_t>(decpt - nd), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<size_t>(decpt));
      out += '.';
      out.append(digits, static_cast<size_t>(decpt));
    }
  } else {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits, 1);
    }
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += ebuf;
  }
  return out;
}

void append_py_repr_string(std::string& out, std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  out += quote;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t cp = next_code_point(s, i);
    if (cp == static_cast<uint32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0xa0) || cp == 0xad ||
               (i - start == 1 && cp >= 0x80)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", cp & 0xff);
      out += buf;
    } else {
      out.append(s, start, i - start);
    }
  }
  out += quote;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = next_code_point(s, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      default:
        break;
    }
    if (cp >= 0x20 && cp < 0x7f) {
      out += static_cast<char>(cp);
      continue;
    }
    char buf[16];
    if (cp >= 0x10000) {
      uint32_t v = cp - 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
    } else {
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);
    }
    out += buf;
  }
  out += '"';
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = to_lower(c);
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = to_upper(c);
  return out;
}

std::string jinja_title(std::string_view s) {
  std::string out(s);
  bool word_start = true;
  for (char& c : out) {
    bool sep = is_py_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    if (sep) {
      word_start = true;
      continue;
    }
    c = word_start ? to_upper(c) : to_lower(c);
    word_start = false;
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = i == 0 ? to_upper(out[i]) : to_lower(out[i]);
  return out;
}

std::string_view py_strip(std::string_view s, const std::string* chars, bool left, bool right) {
  auto strip_it = [&](char c) {
    return chars ? chars->find(c) != std::string::npos : is_py_space(c);
  };
  size_t b = 0, e = s.size();
  if (left)
    while (b < e && strip_it(s[b]))
      ++b;
  if (right)
    while (e > b && strip_it(s[e - 1]))
      --e;
  return s.substr(b, e - b);
}

std::vector<std::string> py_split(std::string_view s, const std::string* sep, int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t at = s.find(*sep, pos);
      if (at == std::string_view::npos) break;
      out.emplace_back(s.substr(pos, at - pos));
      pos = at + sep->size();
    }
    out.emplace_back(s.substr(pos));
    return out;
  }
  size_t i = 0;
  while (true) {
    while (i < s.size() && is_py_space(s[i]))
      ++i;
    if (i >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      out.emplace_back(s.substr(i));
      break;
    }
    size_t j = i;
    while (j < s.size() && !is_py_space(s[j]))
      ++j;
    out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<std::string> py_rsplit(std::string_view s, const std::string* sep, int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      if (end < sep->size()) break;
      size_t at = s.rfind(*sep, end - sep->size());
      if (at == std::string_view::npos) break;
      out.emplace_back(s.substr(at + sep->size(), end - at - sep->size()));
      end = at;
    }
    out.emplace_back(s.substr(0, end));
  } else {
    size_t j = s.size();
    while (true) {
      while (j > 0 && is_py_space(s[j - 1]))
        --j;
      if (j == 0) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        out.emplace_back(s.substr(0, j));
        break;
      }
      size_t i = j;
      while (i > 0 && !is_py_space(s[i - 1]))
        --i;
      out.emplace_back(s.substr(i, j - i));
      j = i;
    }
  }
  std::vector<std::string> rev(out.rbegin(), out.rend());
  return rev;
}

std::string py_replace(std::string_view s, std::string_view from, std::string_view to,
                       int64_t count) {
  std::string out;
  if (from.empty()) {
    // Python inserts `to` at every character boundary (count of them).
    int64_t done = 0;
    size_t i = 0;
    while (true) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      if (i >= s.size()) break;
      size_t start = i;
      next_code_point(s, i);
      out.append(s.substr(start, i - start));
    }
    return out;
  }
  size_t pos = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t at = s.find(from, pos);
    if (at == std::string_view::npos) break;
    out.append(s.substr(pos, at - pos));
    out += to;
    pos = at + from.size();
    ++done;
  }
  out.append(s.substr(pos));
  return out;
}

namespace {

// Lower-case ASCII transliterations of U+00C0..U+017F (what unidecode gives).
constexpr const char* kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "x", "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "/", "o", "u", "u", "u", "u", "y", "th", "y",
};
constexpr const char* kLatinExtA[128] = {
    "a", "a", "a",  "a",  "a", "a", "c", "c", "c", "c",  "c",  "c",  "c", "c", "d", "d",
    "d", "d", "e",  "e",  "e", "e", "e", "e", "e", "e",  "e",  "e",  "g", "g", "g", "g",
    "g", "g", "g",  "g",  "h", "h", "h", "h", "i", "i",  "i",  "i",  "i", "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l",  "l",  "l",  "l", "l", "l", "l",
    "l", "l", "l",  "n",  "n", "n", "n", "n", "n", "'n", "ng", "ng", "o", "o", "o", "o",
    "o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r",  "s",  "s",  "s", "s", "s", "s",
    "s", "s", "t",  "t",  "t", "t", "t", "t", "u", "u",  "u",  "u",  "u", "u", "u", "u",
    "u", "u", "u",  "u",  "w", "w", "y", "y", "y", "z",  "z",  "z",  "z", "z", "z", "s",
};

// Appends the ASCII transliteration of a code point (lower-cased); false when
// there is none.
bool transliterate(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += to_lower(static_cast<char>(cp));
    return true;
  }
  if (cp >= 0xC0 && cp < 0x100) {
    out += kLatin1[cp - 0xC0];
    return true;
  }
  if (cp >= 0x100 && cp < 0x180) {
    out += kLatinExtA[cp - 0x100];
    return true;
  }
  return false;
}

// Decodes "&amp;", "&#39;", "&#x27;" ... at s[i] ('&'); returns the code point
// and advances i past the ';', or returns 0 leaving i alone.
uint32_t html_entity(std::string_view s, size_t& i) {
  size_t semi = s.find(';', i + 1);
  if (semi == std::string_view::npos || semi - i > 12) return 0;
  std::string_view body = s.substr(i + 1, semi - i - 1);
  uint32_t cp = 0;
  if (body.size() > 1 && body[0] == '#') {
    bool hex = body[1] == 'x' || body[1] == 'X';
    std::string_view num = body.substr(hex ? 2 : 1);
    if (num.empty()) return 0;
    auto r = std::from_chars(num.data(), num.data() + num.size(), cp, hex ? 16 : 10);
    if (r.ec != std::errc() || r.ptr != num.data() + num.size() || cp == 0 || cp > 0x10FFFF)
      return 0;
  } else if (body == "amp") {
    cp = '&';
  } else if (body == "lt") {
    cp = '<';
  } else if (body == "gt") {
    cp = '>';
  } else if (body == "quot") {
    cp = '"';
  } else if (body == "nbsp") {
    cp = 0xA0;
  } else {
    return 0;
  }
  i = semi + 1;
  return cp;
}

}  // namespace

std::string slugify(std::string_view s) {
  // Transliterate and decode entities; quotes are dropped, everything without
  // an ASCII form becomes a separator.
  std::string t;
  t.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    if (s[i] == '&') {
      cp = html_entity(s, i);
      if (cp == 0) cp = static_cast<unsigned char>(s[i++]);
    } else if (s[i] == '\'') {
      // python-slugify turns runs of quotes in the input into '-'.
      while (i < s.size() && s[i] == '\'')
        ++i;
      t += '-';
      continue;
    } else {
      cp = next_code_point(s, i);
    }
    if (cp == '\'') continue;  // quotes produced by entities are removed
    if (!transliterate(t, cp)) t += '-';
  }
  // "1,000" -> "1000", then every run of disallowed characters -> one '-'.
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == ',' && i > 0 && i + 1 < t.size() && is_ascii_digit(t[i - 1]) &&
        is_ascii_digit(t[i + 1]))
      continue;
    bool ok = is_ascii_alpha(c) || is_ascii_digit(c);
    if (ok) {
      out += c;
    } else if (out.empty() || out.back() != '-') {
      out += '-';
    }
  }
  size_t b = 0, e = out.size();
  while (b < e && out[b] == '-')
    ++b;
  while (e > b && out[e - 1] == '-')
    --e;
  return out.substr(b, e - b);
}

std::string shell_quote(std::string_view s) {
  if (s.empty()) return "''";
  bool safe = true;
  for (char c : s) {
    if (!(is_ascii_alpha(c) || is_ascii_digit(c) || c == '@' || c == '%' || c == '+' || c == '=' ||
          c == ':' || c == ',' || c == '.' || c == '/' || c == '-' || c == '_')) {
      safe = false;
      break;
    }
  }
  if (safe) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\"'\"'";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace gantry::tmpl
