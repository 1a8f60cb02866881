// String helpers with Python semantics (private to src/template).
//
// Strings are UTF-8. "Characters" below are code points: lengths, indexes,
// slices and reversal count code points like Python does. Case mapping
// (lower/upper/title/capitalize) changes ASCII letters only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::tmpl {

// Python's str.isspace() for ASCII: space, \t \n \v \f \r and \x1c-\x1f.
inline bool is_py_space(char c) {
  auto u = static_cast<unsigned char>(c);
  return u == ' ' || (u >= 0x09 && u <= 0x0d) || (u >= 0x1c && u <= 0x1f);
}

// Resolves Python string-literal escapes (\n \t \\ \' \" \xNN \uNNNN
// \UNNNNNNNN, octal, \a \b \f \v \r, backslash-newline). Unknown escapes keep
// their backslash, as Python does. False on a malformed \x/\u/\U escape.
bool unescape_python(std::string_view in, std::string* out);

// Decodes the code point at s[i] and advances i; a byte that does not start a
// valid sequence decodes as itself (0x80-0xFF) and advances one byte.
uint32_t next_code_point(std::string_view s, size_t& i);

// Number of code points.
size_t utf8_length(std::string_view s);

// Byte offsets of every code point, plus s.size() at the end.
std::vector<size_t> utf8_offsets(std::string_view s);

// Python float repr: 1.0, 0.1, 1e+16, 1e-05, inf, nan.
std::string py_float_repr(double d);

// Python repr() of a string: 'abc', "it's", with \n \t \\ \xNN escapes.
void append_py_repr_string(std::string& out, std::string_view s);

// A JSON string literal as Python's json.dumps writes it (ensure_ascii:
// non-ASCII is written as \uXXXX escapes).
void append_json_string(std::string& out, std::string_view s);

std::string ascii_lower(std::string_view s);
std::string ascii_upper(std::string_view s);
// Jinja's `title` filter: every word (split at whitespace, '-', '(', '{', '[',
// '<') gets an upper-case first letter and lower-case rest.
std::string jinja_title(std::string_view s);
// Python's str.capitalize(): first character upper, rest lower.
std::string py_capitalize(std::string_view s);

// Python str.strip/lstrip/rstrip; `chars` null means whitespace.
std::string_view py_strip(std::string_view s, const std::string* chars, bool left, bool right);

// Python str.split(sep, maxsplit) (sep null: split at whitespace runs) and
// str.rsplit. An empty `sep` must be rejected by the caller.
std::vector<std::string> py_split(std::string_view s, const std::string* sep, int64_t maxsplit);
std::vector<std::string> py_rsplit(std::string_view s, const std::string* sep, int64_t maxsplit);

// Python str.replace(old, new, count) (count < 0: all).
std::string py_replace(std::string_view s, std::string_view from, std::string_view to,
                       int64_t count);

// python-slugify's slugify() with its defaults, as kluctl's `slugify` filter
// calls it: HTML entities decoded, Latin letters transliterated to ASCII
// (other non-ASCII characters act as separators), lower-cased, apostrophes
// removed, "1,000" -> "1000", every run of other characters -> '-', and '-'
// trimmed from both ends.
std::string slugify(std::string_view s);

// POSIX shell quoting like Python's shlex.quote (Ansible's `quote` filter).
std::string shell_quote(std::string_view s);

}  // namespace gantry::tmpl
