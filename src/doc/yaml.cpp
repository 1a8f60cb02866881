// YAML reader (libyaml events) and writer for the document model.
//
// Plain scalar resolution
// -----------------------
// kubectl turns YAML into JSON with sigs.k8s.io/yaml, which decodes with its
// fork of go-yaml v2 (YAML 1.1 flavoured) and then marshals to JSON. The rules
// below copy go-yaml v2's resolve() and were checked against the real kubectl
// (v1.32, offline: `kubectl patch --local -f FILE -p '{}' --type=merge -o json`,
// see tests/integration/yaml_kubectl_test.cpp). Notable results:
//   * null: "", ~, null, Null, NULL (not nULL).
//   * bool: true/True/TRUE, false/False/FALSE AND the YAML 1.1 words
//     y/Y/yes/Yes/YES, n/N/no/No/NO, on/On/ON, off/Off/OFF (so `n: 1` has the
//     key "false" and `enabled: yes` is true). Mixed case (yEs, tRUE) is a string.
//   * int (Go strconv.ParseInt base 0 after removing every '_'): 12, +1, -1,
//     0x1F, 0o17, 0b101, 1_000, and legacy octal 017 == 15. "08" and "09.5"
//     are not octal: they fall through to the float rule (8.0, 9.5).
//   * ints beyond int64 but within uint64 are uint64 in go-yaml, which kubectl's
//     JSON decoding turns into float64; larger ones are floats by the float rule.
//     We store both as floats. As map keys kubectl rejects uint64 ("unsupported
//     map key"), so do we.
//   * float: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (1.5, 1e3,
//     .5, 1., +.5), plus .inf/.Inf/.INF with optional sign and .nan/.NaN/.NAN.
//     A float that overflows (1e400) stays a string; one that underflows
//     (1e-400) is 0. NaN and infinities cannot be converted to JSON (kubectl
//     fails with "json: unsupported value: NaN"; to_json() throws).
//   * timestamps (2001-12-14, 2001-12-14T21:59:43Z) stay strings: go-yaml
//     v2 resolves them but hands them to interface{} targets as strings.
//   * everything else is a string: 1.0.0, 0.1.0, 1,000, 12:30 (no base 60),
//     0x, _1, 1e, "." ...
//   * quoted and block scalars are strings; explicit tags (!!str, !!int,
//     !!float, !!bool, !!null, !!binary) are honoured like go-yaml does, other
//     tags (!foo, !) leave the text as a string.
//   * non-string keys become strings the way sigs.k8s.io/yaml does it: ints in
//     decimal (0x1F: -> "31"), bools "true"/"false" (yes: -> "true"), floats
//     with Go's FormatFloat(f, 'g', -1, 32) (1.0: -> "1", 1e3: -> "1000",
//     1.23456789: -> "1.2345679"). Null keys are an error, as in kubectl.
//
// Deliberate differences from kubectl's client-side conversion:
//   * duplicate keys are an error unless YamlLimits::duplicate_keys_last_wins
//     (kustomization files) (kubectl's decoder silently keeps the last
//     one; kustomize and the API server's strict field validation reject
//     them). The message matches kustomize/yaml.v3: `mapping key "x" already
//     defined at line N`.
//   * merge keys: explicit keys always win over merged ones, as the YAML merge
//     spec says. go-yaml v2 applies `<<` in document order, so in kubectl an
//     explicit key written *before* `<<` is overwritten by the merged value.
//     Among several merged maps the first one wins (same as go-yaml).
//
// Limits: every node (keys included) counts against YamlLimits::max_nodes,
// aliases with the size of what they expand to. The reader first records the
// events of a document in a compact array and computes the expanded size of
// every anchor, so an alias bomb fails at the first alias that crosses the
// limit, before anything is copied. Because a few aliased long strings can
// eat memory with few nodes, the expanded scalar text is also capped at
// 4 x max_input_bytes.
//
// Writer
// ------
// The writer produces what `kubectl kustomize` (kyaml on yaml.v3, itself a
// port of libyaml's emitter) prints: block style, 2-space indentation, lists
// at the indentation of their parent key ("key:\n- a"), {} and [] for empty
// collections, long scalars folded at 80 columns, keys longer than 128 bytes
// or multi-line as "? key". Strings are double-quoted when a plain scalar
// would read back as something else ("true", "1.0", "null", "012", "yes",
// "2001-12-14", "12:30"), single-quoted when plain is not possible (' lead',
// 'a: b', '#x', '- x'), double-quoted with escapes when they hold control
// characters or characters outside the BMP, and written as literal blocks
// (|, |-, |+, |2-) when they contain line breaks. Strings that are not valid
// UTF-8 are written as !!binary (base64), as yaml.v3 does. Floats keep a '.'
// or an exponent so they read back as floats.
#include "doc/yaml.h"

#include "core/utf8.h"

#include <yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/base64.h"
#include "core/file.h"

namespace gantry::doc {
namespace {

// ---------------------------------------------------------------------------
// UTF-8 helpers
// ---------------------------------------------------------------------------

inline size_t utf8_width(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;  // invalid lead byte; callers validate first
}

// Maps libyaml mark indexes (which count characters) to byte offsets. Marks
// arrive roughly in order, so a cursor that walks forward and back is cheap.
class OffsetMap {
 public:
  // libyaml skips a leading byte order mark without counting it, so indexes
  // start after it.
  explicit OffsetMap(std::string_view text) : text_(text) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") base_ = bytes_ = 3;
    ascii_ = std::all_of(text.begin() + static_cast<std::ptrdiff_t>(base_), text.end(),
                         [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  }

  size_t byte(size_t char_index) {
    if (ascii_) return std::min(base_ + char_index, text_.size());
    while (chars_ < char_index && bytes_ < text_.size()) {
      bytes_ += utf8_width(static_cast<unsigned char>(text_[bytes_]));
      ++chars_;
    }
    while (chars_ > char_index && bytes_ > base_) {
      do {
        --bytes_;
      } while (bytes_ > 0 && (static_cast<unsigned char>(text_[bytes_]) & 0xC0) == 0x80);
      --chars_;
    }
    return std::min(bytes_, text_.size());
  }

 private:
  std::string_view text_;
  bool ascii_ = true;
  size_t base_ = 0;
  size_t chars_ = 0;
  size_t bytes_ = 0;
};

// ---------------------------------------------------------------------------
// Plain scalar resolution (go-yaml v2 rules, see the top of the file)
// ---------------------------------------------------------------------------

enum class Kind : uint8_t { kString, kNull, kBool, kInt, kBigInt, kFloat };

struct Resolved {
  Kind kind = Kind::kString;
  bool b = false;
  int64_t i = 0;
  double d = 0;
};

struct Word {
  std::string_view text;
  Kind kind;
  bool b;
  double d;
};

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// go-yaml v2's resolve map: looked up before any number parsing.
constexpr Word kWords[] = {
    {"~", Kind::kNull, false, 0},          {"null", Kind::kNull, false, 0},
    {"Null", Kind::kNull, false, 0},       {"NULL", Kind::kNull, false, 0},
    {"y", Kind::kBool, true, 0},           {"Y", Kind::kBool, true, 0},
    {"yes", Kind::kBool, true, 0},         {"Yes", Kind::kBool, true, 0},
    {"YES", Kind::kBool, true, 0},         {"true", Kind::kBool, true, 0},
    {"True", Kind::kBool, true, 0},        {"TRUE", Kind::kBool, true, 0},
    {"on", Kind::kBool, true, 0},          {"On", Kind::kBool, true, 0},
    {"ON", Kind::kBool, true, 0},          {"n", Kind::kBool, false, 0},
    {"N", Kind::kBool, false, 0},          {"no", Kind::kBool, false, 0},
    {"No", Kind::kBool, false, 0},         {"NO", Kind::kBool, false, 0},
    {"false", Kind::kBool, false, 0},      {"False", Kind::kBool, false, 0},
    {"FALSE", Kind::kBool, false, 0},      {"off", Kind::kBool, false, 0},
    {"Off", Kind::kBool, false, 0},        {"OFF", Kind::kBool, false, 0},
    {".nan", Kind::kFloat, false, kNaN},   {".NaN", Kind::kFloat, false, kNaN},
    {".NAN", Kind::kFloat, false, kNaN},   {".inf", Kind::kFloat, false, kInf},
    {".Inf", Kind::kFloat, false, kInf},   {".INF", Kind::kFloat, false, kInf},
    {"+.inf", Kind::kFloat, false, kInf},  {"+.Inf", Kind::kFloat, false, kInf},
    {"+.INF", Kind::kFloat, false, kInf},  {"-.inf", Kind::kFloat, false, -kInf},
    {"-.Inf", Kind::kFloat, false, -kInf}, {"-.INF", Kind::kFloat, false, -kInf},
};

const Word* lookup_word(std::string_view s) {
  if (s.size() > 5) return nullptr;
  for (const auto& w : kWords)
    if (w.text == s) return &w;
  return nullptr;
}

// go-yaml's first-character hint: only these can start a non-string.
inline char hint(unsigned char c) {
  if (c == '+' || c == '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if (c == '.') return '.';
  constexpr std::string_view kWordStarts = "yYnNtTfFoO~";
  return kWordStarts.find(static_cast<char>(c)) != std::string_view::npos ? 'M' : 0;
}

inline bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Go's strconv.ParseUint(s, 0, 64) on a string without underscores.
enum class IntParse { kOk, kSyntax, kRange };
IntParse parse_go_uint(std::string_view s, uint64_t& out) {
  if (s.empty()) return IntParse::kSyntax;
  unsigned base = 10;
  if (s[0] == '0') {
    char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : 0;
    if (p == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (p == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  uint64_t n = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = static_cast<unsigned>(c - '0');
    } else {
      char l = static_cast<char>(c | 0x20);
      if (l >= 'a' && l <= 'z')
        d = static_cast<unsigned>(l - 'a' + 10);
      else
        return IntParse::kSyntax;
    }
    if (d >= base) return IntParse::kSyntax;
    if (n > (std::numeric_limits<uint64_t>::max() - d) / base) return IntParse::kRange;
    n = n * base + d;
  }
  out = n;
  return IntParse::kOk;
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool yaml_float_syntax(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < n && s[i] == '.') {
    ++i;
    size_t d = i;
    while (i < n && is_digit(s[i]))
      ++i;
    if (i == d) return false;
  } else {
    size_t d = i;
    while (i < n && is_digit(s[i]))
      ++i;
    if (i == d) return false;
    if (i < n && s[i] == '.') {
      ++i;
      while (i < n && is_digit(s[i]))
        ++i;
    }
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t d = i;
    while (i < n && is_digit(s[i]))
      ++i;
    if (i == d) return false;
  }
  return i == n;
}

// Parses a decimal float like Go's ParseFloat: overflow is a failure, underflow
// gives a (signed) zero. `s` has already passed yaml_float_syntax.
std::optional<double> parse_decimal_float(std::string_view s) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  double d = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), d);
  if (ec == std::errc() && ptr == body.data() + body.size()) return neg ? -d : d;
  if (ec != std::errc::result_out_of_range) return std::nullopt;
  // Out of range: decide between overflow and underflow from the magnitude.
  long lead = 0;  // decimal exponent of the leading significant digit
  size_t i = 0;
  bool seen_digit = false, after_point = false;
  long int_digits = 0, zeros_after_point = 0;
  for (; i < body.size() && body[i] != 'e' && body[i] != 'E'; ++i) {
    char c = body[i];
    if (c == '.') {
      after_point = true;
      continue;
    }
    if (!seen_digit) {
      if (c == '0') {
        if (after_point) ++zeros_after_point;
        continue;
      }
      seen_digit = true;
    }
    if (!after_point) ++int_digits;
  }
  lead = int_digits > 0 ? int_digits - 1 : -(zeros_after_point + 1);
  long exp = 0;
  if (i < body.size()) {
    ++i;
    bool eneg = false;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) eneg = body[i++] == '-';
    for (; i < body.size(); ++i)
      exp = std::min<long>(exp * 10 + (body[i] - '0'), 100000);
    if (eneg) exp = -exp;
  }
  if (lead + exp > 0) return std::nullopt;  // overflow: go-yaml keeps the string
  return neg ? -0.0 : 0.0;
}

// Go's underscoreOK for a decimal float (underscores only between digits).
bool go_underscores_ok(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) i = 1;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (is_digit(c)) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

std::string without_underscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '_') out += c;
  return out;
}

Resolved resolve_plain(std::string_view s) {
  Resolved r;
  if (s.empty()) {
    r.kind = Kind::kNull;
    return r;
  }
  char h = hint(static_cast<unsigned char>(s[0]));
  if (!h) return r;
  if (const Word* w = lookup_word(s)) {
    r.kind = w->kind;
    r.b = w->b;
    r.d = w->d;
    return r;
  }
  if (h == 'M') return r;
  if (h == '.') {
    // go-yaml calls ParseFloat directly here (no underscore removal).
    std::string tmp;
    std::string_view plain = s;
    if (s.find('_') != std::string_view::npos) {
      if (!go_underscores_ok(s)) return r;
      tmp = without_underscores(s);
      plain = tmp;
    }
    if (!yaml_float_syntax(plain)) return r;
    if (auto d = parse_decimal_float(plain)) {
      r.kind = Kind::kFloat;
      r.d = *d;
    }
    return r;
  }
  // 'D' or 'S': int, then uint, then float.
  std::string tmp;
  std::string_view plain = s;
  if (s.find('_') != std::string_view::npos) {
    tmp = without_underscores(s);
    plain = tmp;
  }
  {
    std::string_view body = plain;
    bool neg = false, sign = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
      sign = true;
      neg = body[0] == '-';
      body.remove_prefix(1);
    }
    uint64_t u = 0;
    if (parse_go_uint(body, u) == IntParse::kOk) {
      constexpr uint64_t kMaxInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      if (neg && u <= kMaxInt + 1) {
        r.kind = Kind::kInt;
        r.i = u == kMaxInt + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(u);
        return r;
      }
      if (!neg && u <= kMaxInt) {
        r.kind = Kind::kInt;
        r.i = static_cast<int64_t>(u);
        return r;
      }
      if (!sign) {  // ParseUint accepts it (no sign allowed there)
        r.kind = Kind::kBigInt;
        r.d = static_cast<double>(u);
        return r;
      }
    }
  }
  if (yaml_float_syntax(plain)) {
    if (auto d = parse_decimal_float(plain)) {
      r.kind = Kind::kFloat;
      r.d = *d;
    }
  }
  return r;
}

// Go's FormatFloat(f, 'g', -1, bits): shortest digits, exponent form when the
// decimal exponent is < -4 or >= 6 (Go uses precision 6 for that decision in
// shortest mode). Returns e.g. "1000", "1.5", "1e+06", "1.2345679e-05".
template <typename F>
std::string go_format_g(F f) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  size_t e = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp);
  if (exp < -4 || exp >= 6) return std::string(sci);
  r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

// The YAML spelling of a float: round-trips and reads back as a float.
std::string yaml_float(double d) {
  if (std::isnan(d)) return ".nan";
  if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
  std::string s = go_format_g(d);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// ---------------------------------------------------------------------------
// Reader, phase 1: events -> compact node array
// ---------------------------------------------------------------------------

enum class NodeKind : uint8_t { kScalar, kSeq, kMap, kAlias };
enum class Tag : uint8_t {
  kNone,
  kNonSpecific,
  kStr,
  kInt,
  kFloat,
  kBool,
  kNull,
  kBinary,
  kTimestamp,
  kMerge,
  kOther
};

struct RawNode {
  size_t text = 0;   // scalar: offset of the value in the arena
  size_t size = 0;   // scalar: value length
  size_t begin = 0;  // byte offsets of the node in the input
  size_t finish = 0;
  size_t expanded = 0;  // nodes after alias expansion
  size_t bytes = 0;     // scalar bytes after alias expansion
  uint32_t end = 0;     // collection: index past its subtree; alias: target
  uint32_t count = 0;   // collection: number of children
  uint32_t line = 0;    // 1-based
  uint32_t column = 0;  // 1-based
  uint32_t height = 0;  // collections nested in this node (itself included), after expansion
  NodeKind kind = NodeKind::kScalar;
  ScalarStyle style = ScalarStyle::kAny;
  Tag tag = Tag::kNone;
};

Tag classify_tag(const yaml_char_t* raw) {
  if (!raw) return Tag::kNone;
  std::string_view t(reinterpret_cast<const char*>(raw));
  if (t == "!") return Tag::kNonSpecific;
  constexpr std::string_view kPrefix = "tag:yaml.org,2002:";
  if (t.substr(0, kPrefix.size()) != kPrefix) return Tag::kOther;
  t.remove_prefix(kPrefix.size());
  if (t == "str") return Tag::kStr;
  if (t == "int") return Tag::kInt;
  if (t == "float") return Tag::kFloat;
  if (t == "bool") return Tag::kBool;
  if (t == "null") return Tag::kNull;
  if (t == "binary") return Tag::kBinary;
  if (t == "timestamp") return Tag::kTimestamp;
  if (t == "merge") return Tag::kMerge;
  return Tag::kOther;
}

ScalarStyle convert_style(yaml_scalar_style_t s) {
  switch (s) {
    case YAML_PLAIN_SCALAR_STYLE:
      return ScalarStyle::kPlain;
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
      return ScalarStyle::kSingleQuoted;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
      return ScalarStyle::kDoubleQuoted;
    case YAML_LITERAL_SCALAR_STYLE:
      return ScalarStyle::kLiteral;
    case YAML_FOLDED_SCALAR_STYLE:
      return ScalarStyle::kFolded;
    default:
      return ScalarStyle::kAny;
  }
}

struct Parser {
  yaml_parser_t p;
  Parser() {
    if (!yaml_parser_initialize(&p)) throw Error("out of memory initialising the YAML parser");
  }
  ~Parser() { yaml_parser_delete(&p); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t e;
  Event() { std::memset(&e, 0, sizeof e); }
  ~Event() { yaml_event_delete(&e); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

class Reader {
 public:
  Reader(std::string_view text, std::string_view filename, const YamlLimits& limits,
         bool single_document)
      : text_(text),
        file_(std::make_shared<const std::string>(filename)),
        limits_(limits),
        single_(single_document),
        bom_(text.substr(0, 3) == "\xEF\xBB\xBF"),
        offsets_(text) {}

  std::vector<Value> run();

 private:
  // Phase 1
  void on_document_start(const yaml_event_t& e);
  void on_scalar(const yaml_event_t& e);
  void on_alias(const yaml_event_t& e);
  void on_collection_start(const yaml_event_t& e, NodeKind kind, const yaml_char_t* anchor);
  void on_collection_end(const yaml_event_t& e);
  void finish_child(size_t expanded, size_t bytes, uint32_t height);
  uint32_t add_node(RawNode n, const yaml_char_t* anchor);
  void count_nodes(size_t n, size_t bytes, const yaml_mark_t& where, bool alias);
  void check_depth(size_t depth, const yaml_mark_t& where, bool alias);
  [[noreturn]] void fail_at(const yaml_mark_t& m, std::string why) const;
  [[noreturn]] void fail_parser(const yaml_parser_t& p) const;
  Location location_of_offset(size_t offset) const;
  // 1-based line and column of a libyaml mark (a byte order mark is not counted).
  static uint32_t line_of(const yaml_mark_t& m) { return static_cast<uint32_t>(m.line + 1); }
  static uint32_t column_of(const yaml_mark_t& m) { return static_cast<uint32_t>(m.column + 1); }
  void skip_properties(size_t& pos, uint32_t& line, uint32_t& column, size_t limit) const;

  // Phase 2
  Value build(uint32_t i);
  Value build_map(uint32_t i);
  Resolved resolve(const RawNode& n, std::string& owned) const;
  Value build_scalar(const RawNode& n);
  std::string key_string(const RawNode& n) const;
  SourceSpan span(const RawNode& n) const {
    return SourceSpan{file_, n.line, n.column, n.begin, n.finish};
  }
  Location location(const RawNode& n) const { return Location{*file_, n.line, n.column}; }
  std::string_view text_of(const RawNode& n) const {
    return std::string_view(arena_).substr(n.text, n.size);
  }
  uint32_t next_sibling(uint32_t c) const {
    const RawNode& n = nodes_[c];
    return (n.kind == NodeKind::kSeq || n.kind == NodeKind::kMap) ? n.end : c + 1;
  }
  const RawNode& deref(uint32_t i) const {
    const RawNode& n = nodes_[i];
    return n.kind == NodeKind::kAlias ? nodes_[n.end] : n;
  }
  uint32_t deref_index(uint32_t i) const {
    return nodes_[i].kind == NodeKind::kAlias ? nodes_[i].end : i;
  }

  struct Frame {
    uint32_t node;
    uint32_t count = 0;
    size_t expanded = 1;
    size_t bytes = 0;
    uint32_t height = 1;
  };

  std::string_view text_;
  std::shared_ptr<const std::string> file_;
  YamlLimits limits_;
  bool single_;
  bool bom_;
  OffsetMap offsets_;

  std::vector<RawNode> nodes_;
  std::string arena_;
  std::unordered_map<std::string, uint32_t> anchors_;
  std::vector<Frame> stack_;
  std::vector<Value> docs_;
  size_t total_nodes_ = 0;
  size_t total_bytes_ = 0;
  size_t documents_ = 0;
};

void Reader::fail_at(const yaml_mark_t& m, std::string why) const {
  throw Error(Location{*file_, line_of(m), column_of(m)}, std::move(why));
}

Location Reader::location_of_offset(size_t offset) const {
  uint32_t line = 1, column = 1;
  offset = std::min(offset, text_.size());
  for (size_t i = 0; i < offset; ++i) {
    unsigned char c = static_cast<unsigned char>(text_[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  return Location{*file_, line, column};
}

void Reader::fail_parser(const yaml_parser_t& p) const {
  std::string why = p.problem ? p.problem : "invalid YAML";
  switch (p.error) {
    case YAML_MEMORY_ERROR:
      throw Error(Location{*file_}, "out of memory while parsing YAML");
    case YAML_READER_ERROR:
      if (p.problem_value != -1) {
        char buf[32];
        std::snprintf(buf, sizeof buf, " (#x%X)", static_cast<unsigned>(p.problem_value));
        why += buf;
      }
      throw Error(location_of_offset(p.problem_offset), why);
    default:
      break;
  }
  if (p.context) {
    why += " (";
    why += p.context;
    why += " at line " + std::to_string(line_of(p.context_mark)) + ", column " +
           std::to_string(column_of(p.context_mark)) + ")";
  }
  fail_at(p.problem_mark, std::move(why));
}

void Reader::count_nodes(size_t n, size_t bytes, const yaml_mark_t& where, bool alias) {
  total_nodes_ += n;
  total_bytes_ += bytes;
  if (total_nodes_ > limits_.max_nodes) {
    fail_at(where, std::string(alias ? "alias expansion" : "YAML stream") + " exceeds limit of " +
                       std::to_string(limits_.max_nodes) + " nodes");
  }
  // Scalar text is bounded by the input size except through aliases.
  size_t max_bytes = limits_.max_input_bytes > std::numeric_limits<size_t>::max() / 4
                         ? std::numeric_limits<size_t>::max()
                         : limits_.max_input_bytes * 4;
  if (alias && total_bytes_ > max_bytes) {
    fail_at(where,
            "alias expansion exceeds limit of " + std::to_string(max_bytes) + " bytes of text");
  }
}

void Reader::check_depth(size_t depth, const yaml_mark_t& where, bool alias) {
  if (depth > limits_.max_depth) {
    fail_at(where, std::string(alias ? "alias expansion nests" : "nesting is") +
                       " deeper than the limit of " + std::to_string(limits_.max_depth) +
                       " levels");
  }
}

uint32_t Reader::add_node(RawNode n, const yaml_char_t* anchor) {
  if (nodes_.size() >= std::numeric_limits<uint32_t>::max() - 1)
    throw Error(Location{*file_}, "YAML document too large");
  auto index = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(n);
  if (anchor) anchors_[reinterpret_cast<const char*>(anchor)] = index;
  return index;
}

void Reader::finish_child(size_t expanded, size_t bytes, uint32_t height) {
  if (stack_.empty()) return;
  Frame& f = stack_.back();
  ++f.count;
  f.expanded += expanded;
  f.bytes += bytes;
  f.height = std::max(f.height, height + 1);
}

// Moves pos past anchors (&a) and tags (!t) and the blanks or comments after
// them, so a scalar's span starts at the scalar itself.
void Reader::skip_properties(size_t& pos, uint32_t& line, uint32_t& column, size_t limit) const {
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && pos < limit; ++k) {
      unsigned char c = static_cast<unsigned char>(text_[pos++]);
      if (c == '\n') {
        ++line;
        column = 1;
      } else if ((c & 0xC0) != 0x80 && c != '\r') {
        ++column;
      } else if (c == '\r' && (pos >= text_.size() || text_[pos] != '\n')) {
        ++line;
        column = 1;
      }
    }
  };
  while (pos < limit && (text_[pos] == '&' || text_[pos] == '!')) {
    while (pos < limit && text_[pos] != ' ' && text_[pos] != '\t' && text_[pos] != '\n' &&
           text_[pos] != '\r')
      advance(1);
    for (;;) {
      while (pos < limit &&
             (text_[pos] == ' ' || text_[pos] == '\t' || text_[pos] == '\n' || text_[pos] == '\r'))
        advance(1);
      if (pos < limit && text_[pos] == '#') {
        while (pos < limit && text_[pos] != '\n' && text_[pos] != '\r')
          advance(1);
        continue;
      }
      break;
    }
  }
}

void Reader::on_document_start(const yaml_event_t& e) {
  if (single_ && documents_ == 1)
    fail_at(e.start_mark, "expected a single YAML document, found another one here");
  ++documents_;
  nodes_.clear();
  arena_.clear();
  anchors_.clear();
  stack_.clear();
}

void Reader::on_scalar(const yaml_event_t& e) {
  const auto& s = e.data.scalar;
  count_nodes(1, s.length, e.start_mark, false);
  RawNode n;
  n.kind = NodeKind::kScalar;
  n.style = convert_style(s.style);
  n.tag = classify_tag(s.tag);
  n.text = arena_.size();
  n.size = s.length;
  arena_.append(reinterpret_cast<const char*>(s.value), s.length);
  n.begin = offsets_.byte(e.start_mark.index);
  n.finish = std::max(n.begin, offsets_.byte(e.end_mark.index));
  n.line = line_of(e.start_mark);
  n.column = column_of(e.start_mark);
  if (s.anchor || s.tag) {
    size_t pos = n.begin;
    uint32_t line = n.line, column = n.column;
    skip_properties(pos, line, column, n.finish);
    if (pos >= n.finish) {  // empty scalar after the properties
      n.begin = n.finish;
      n.line = line_of(e.end_mark);
      n.column = column_of(e.end_mark);
    } else {
      n.begin = pos;
      n.line = line;
      n.column = column;
    }
  }
  n.expanded = 1;
  n.bytes = s.length;
  n.height = 0;  // heights count collections only
  add_node(n, s.anchor);
  finish_child(1, s.length, 0);
}

void Reader::on_alias(const yaml_event_t& e) {
  const char* name = reinterpret_cast<const char*>(e.data.alias.anchor);
  auto it = anchors_.find(name);
  if (it == anchors_.end())
    fail_at(e.start_mark, std::string("unknown anchor '") + name + "' referenced");
  const RawNode& target = nodes_[it->second];
  bool open = (target.kind == NodeKind::kSeq || target.kind == NodeKind::kMap) && target.end == 0;
  if (open) fail_at(e.start_mark, std::string("anchor '") + name + "' value contains itself");
  size_t expanded = target.expanded, bytes = target.bytes;
  uint32_t height = target.height;
  count_nodes(expanded, bytes, e.start_mark, true);
  check_depth(stack_.size() + height, e.start_mark, true);
  RawNode n;
  n.kind = NodeKind::kAlias;
  n.end = it->second;
  n.begin = offsets_.byte(e.start_mark.index);
  n.finish = std::max(n.begin, offsets_.byte(e.end_mark.index));
  n.line = line_of(e.start_mark);
  n.column = column_of(e.start_mark);
  n.expanded = expanded;
  n.bytes = bytes;
  n.height = height;
  add_node(n, nullptr);
  finish_child(expanded, bytes, height);
}

void Reader::on_collection_start(const yaml_event_t& e, NodeKind kind, const yaml_char_t* anchor) {
  count_nodes(1, 0, e.start_mark, false);
  check_depth(stack_.size() + 1, e.start_mark, false);
  RawNode n;
  n.kind = kind;
  n.begin = offsets_.byte(e.start_mark.index);
  n.line = line_of(e.start_mark);
  n.column = column_of(e.start_mark);
  uint32_t index = add_node(n, anchor);
  stack_.push_back(Frame{index});
}

void Reader::on_collection_end(const yaml_event_t& e) {
  Frame f = stack_.back();
  stack_.pop_back();
  RawNode& n = nodes_[f.node];
  n.end = static_cast<uint32_t>(nodes_.size());
  n.count = f.count;
  n.expanded = f.expanded;
  n.bytes = f.bytes;
  n.height = f.height;
  n.finish = std::max(n.begin, offsets_.byte(e.end_mark.index));
  finish_child(f.expanded, f.bytes, f.height);
}

std::vector<Value> Reader::run() {
  if (text_.size() > limits_.max_input_bytes) {
    throw Error(Location{*file_}, "YAML input is " + std::to_string(text_.size()) +
                                      " bytes, over the limit of " +
                                      std::to_string(limits_.max_input_bytes) + " bytes");
  }
  Parser parser;
  yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text_.data()),
                               text_.size());
  // UTF-8 always; but with a byte-order mark libyaml must detect the
  // encoding itself, which is what makes it skip the mark.
  if (!bom_) yaml_parser_set_encoding(&parser.p, YAML_UTF8_ENCODING);
  for (;;) {
    Event ev;
    if (!yaml_parser_parse(&parser.p, &ev.e)) fail_parser(parser.p);
    const yaml_event_t& e = ev.e;
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        on_document_start(e);
        break;
      case YAML_DOCUMENT_END_EVENT:
        docs_.push_back(nodes_.empty() ? Value() : build(0));
        nodes_.clear();
        arena_.clear();
        anchors_.clear();
        break;
      case YAML_SCALAR_EVENT:
        on_scalar(e);
        break;
      case YAML_ALIAS_EVENT:
        on_alias(e);
        break;
      case YAML_SEQUENCE_START_EVENT:
        on_collection_start(e, NodeKind::kSeq, e.data.sequence_start.anchor);
        break;
      case YAML_MAPPING_START_EVENT:
        on_collection_start(e, NodeKind::kMap, e.data.mapping_start.anchor);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        on_collection_end(e);
        break;
      case YAML_STREAM_END_EVENT:
        return std::move(docs_);
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------------------
// Reader, phase 2: node array -> Values
// ---------------------------------------------------------------------------

const char* short_tag(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "!!null";
    case Kind::kBool:
      return "!!bool";
    case Kind::kInt:
    case Kind::kBigInt:
      return "!!int";
    case Kind::kFloat:
      return "!!float";
    default:
      return "!!str";
  }
}

Resolved Reader::resolve(const RawNode& n, std::string& owned) const {
  std::string_view text = text_of(n);
  switch (n.tag) {
    case Tag::kNone:
      if (n.style == ScalarStyle::kPlain) return resolve_plain(text);
      return Resolved{};
    case Tag::kBinary: {
      std::string compact;
      compact.reserve(text.size());
      for (char c : text)
        if (c != '\n' && c != '\r') compact += c;
      auto decoded = base64_decode(compact);
      if (!decoded) throw Error(location(n), "!!binary value contains invalid base64 data");
      owned = std::move(*decoded);
      return Resolved{};
    }
    case Tag::kInt:
    case Tag::kFloat:
    case Tag::kBool:
    case Tag::kNull: {
      Resolved r = resolve_plain(text);
      Kind want = n.tag == Tag::kInt     ? Kind::kInt
                  : n.tag == Tag::kFloat ? Kind::kFloat
                  : n.tag == Tag::kBool  ? Kind::kBool
                                         : Kind::kNull;
      if (r.kind == Kind::kBigInt && want == Kind::kInt) return r;
      if (want == Kind::kFloat && (r.kind == Kind::kInt || r.kind == Kind::kBigInt)) {
        if (r.kind == Kind::kInt) r.d = static_cast<double>(r.i);
        r.kind = Kind::kFloat;
        return r;
      }
      if (r.kind != want) {
        throw Error(location(n), std::string("cannot decode ") + short_tag(r.kind) + " `" +
                                     std::string(text) + "` as a " + short_tag(want));
      }
      return r;
    }
    default:  // !!str, !, !!timestamp, !!merge and application tags: the text
      return Resolved{};
  }
}

Value Reader::build_scalar(const RawNode& n) {
  std::string owned;
  Resolved r = resolve(n, owned);
  Value v;
  switch (r.kind) {
    case Kind::kString:
      v = Value(n.tag == Tag::kBinary ? std::move(owned) : std::string(text_of(n)));
      break;
    case Kind::kNull:
      break;
    case Kind::kBool:
      v = Value(r.b);
      break;
    case Kind::kInt:
      v = Value(r.i);
      break;
    case Kind::kBigInt:
    case Kind::kFloat:
      v = Value(r.d);
      break;
  }
  v.set_span(span(n));
  v.set_style(n.style);
  return v;
}

std::string Reader::key_string(const RawNode& n) const {
  if (n.kind != NodeKind::kScalar)
    throw Error(location(n), "mapping keys must be scalars, found a " +
                                 std::string(n.kind == NodeKind::kSeq ? "list" : "map"));
  std::string owned;
  Resolved r = resolve(n, owned);
  switch (r.kind) {
    case Kind::kString:
      return n.tag == Tag::kBinary ? owned : std::string(text_of(n));
    case Kind::kNull:
      throw Error(location(n), "null is not allowed as a mapping key (kubectl rejects it too)");
    case Kind::kBool:
      return r.b ? "true" : "false";
    case Kind::kInt:
      return std::to_string(r.i);
    case Kind::kBigInt:
      throw Error(location(n), "integer mapping key `" + std::string(text_of(n)) +
                                   "` is out of range (kubectl rejects uint64 keys)");
    case Kind::kFloat: {
      // sigs.k8s.io/yaml: strconv.FormatFloat(key, 'g', -1, 32), with YAML's
      // spelling for the special values.
      if (std::isnan(r.d)) return ".nan";
      if (std::isinf(r.d)) return r.d > 0 ? ".inf" : "-.inf";
      float f = static_cast<float>(r.d);
      if (std::isinf(f)) return f > 0 ? ".inf" : "-.inf";
      return go_format_g(f);
    }
  }
  return {};
}

Value Reader::build(uint32_t i) {
  const RawNode& n = nodes_[i];
  switch (n.kind) {
    case NodeKind::kAlias:
      return build(n.end);
    case NodeKind::kScalar:
      return build_scalar(n);
    case NodeKind::kSeq: {
      List list;
      list.reserve(n.count);
      for (uint32_t c = i + 1, k = 0; k < n.count; ++k, c = next_sibling(c))
        list.push_back(build(c));
      Value v(std::move(list));
      v.set_span(span(n));
      return v;
    }
    case NodeKind::kMap:
      return build_map(i);
  }
  return Value();
}

// Finds keys already placed in a map under construction: linear for the
// small maps that are the norm, hashed for big ones.
class KeyIndex {
 public:
  explicit KeyIndex(const Map& m) : map_(m) {}
  bool contains(const std::string& key) {
    if (map_.size() <= kLinear) {
      for (const auto& m : map_)
        if (m.key == key) return true;
      return false;
    }
    for (; indexed_ < map_.size(); ++indexed_)
      index_.insert(map_[indexed_].key);
    return index_.count(key) != 0;
  }

 private:
  static constexpr size_t kLinear = 16;
  const Map& map_;
  std::unordered_set<std::string> index_;  // copies: the Map may reallocate
  size_t indexed_ = 0;
};

Value Reader::build_map(uint32_t i) {
  const RawNode& n = nodes_[i];
  const uint32_t pairs = n.count / 2;
  struct Pair {
    uint32_t key;    // node index of the key (aliases resolved)
    uint32_t value;  // node index of the value
    bool merge;
    std::string name;
    bool dropped = false;  // an earlier duplicate when the last one wins
  };
  std::vector<Pair> items;
  items.reserve(pairs);
  bool has_merge = false;
  for (uint32_t c = i + 1, k = 0; k < pairs; ++k) {
    uint32_t key = c;
    c = next_sibling(c);
    uint32_t value = c;
    c = next_sibling(c);
    const RawNode& kn = nodes_[key];
    bool merge =
        kn.kind == NodeKind::kScalar &&
        ((kn.tag == Tag::kNone && kn.style == ScalarStyle::kPlain) || kn.tag == Tag::kMerge) &&
        text_of(kn) == "<<";
    has_merge = has_merge || merge;
    items.push_back(Pair{deref_index(key), value, merge,
                         merge ? std::string() : key_string(deref(key)), false});
  }

  Map out;
  out.reserve(pairs);
  // Duplicate check over explicit keys.
  {
    std::unordered_map<std::string_view, uint32_t> seen;
    bool hashed = pairs > 16;
    if (hashed) seen.reserve(pairs);
    for (uint32_t a = 0; a < items.size(); ++a) {
      if (items[a].merge) continue;
      long first = -1;
      if (hashed) {
        auto [it, inserted] = seen.emplace(items[a].name, a);
        if (!inserted) first = it->second;
      } else {
        for (uint32_t b = 0; b < a; ++b)
          if (!items[b].merge && items[b].name == items[a].name) {
            first = b;
            break;
          }
      }
      if (first >= 0 && limits_.duplicate_keys_last_wins) {
        items[first].dropped = true;
        if (hashed) seen[items[a].name] = a;
        continue;
      }
      if (first >= 0) {
        const RawNode& dup = nodes_[items[a].key];
        throw Error(location(dup), "mapping key \"" + items[a].name +
                                       "\" already defined at line " +
                                       std::to_string(nodes_[items[first].key].line));
      }
    }
  }

  if (limits_.duplicate_keys_last_wins)
    items.erase(std::remove_if(items.begin(), items.end(), [](const Pair& p) { return p.dropped; }),
                items.end());
  if (!has_merge) {
    for (auto& p : items)
      out.push_back(Member{std::move(p.name), build(p.value), span(nodes_[p.key])});
  } else {
    // Merge keys: keys appear in document order (merged ones at the position
    // of their `<<`); explicit keys win wherever they are written; among
    // merged maps the first to define a key wins.
    std::unordered_map<std::string_view, uint32_t> explicit_keys;
    for (uint32_t a = 0; a < items.size(); ++a)
      if (!items[a].merge) explicit_keys.emplace(items[a].name, a);
    std::vector<bool> placed(items.size(), false);
    KeyIndex present(out);
    auto place_explicit = [&](uint32_t a) {
      if (placed[a]) return;
      placed[a] = true;
      out.push_back(Member{items[a].name, build(items[a].value), span(nodes_[items[a].key])});
    };
    for (uint32_t a = 0; a < items.size(); ++a) {
      if (!items[a].merge) {
        place_explicit(a);
        continue;
      }
      Value src = build(items[a].value);
      std::vector<Value*> sources;
      if (src.is_map()) {
        sources.push_back(&src);
      } else if (src.is_list()) {
        for (Value& el : src.as_list()) {
          if (!el.is_map())
            el.fail("map merge requires a map or a list of maps as the value of <<");
          sources.push_back(&el);
        }
      } else {
        const RawNode& vn = deref(items[a].value);
        throw Error(location(vn), "map merge requires a map or a list of maps as the value of <<");
      }
      for (Value* s : sources) {
        for (Member& m : s->as_map()) {
          auto ex = explicit_keys.find(m.key);
          if (ex != explicit_keys.end()) {
            place_explicit(ex->second);
          } else if (!present.contains(m.key)) {
            out.push_back(std::move(m));
          }
        }
      }
    }
  }
  Value v(std::move(out));
  v.set_span(span(n));
  return v;
}

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

inline bool is_break_at(std::string_view s, size_t i) {
  if (i >= s.size()) return false;
  auto c = static_cast<unsigned char>(s[i]);
  if (c == '\r' || c == '\n') return true;
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x85) return true;
  if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {
    auto c2 = static_cast<unsigned char>(s[i + 2]);
    return c2 == 0xA8 || c2 == 0xA9;
  }
  return false;
}

inline bool is_blankz_at(std::string_view s, size_t i) {
  if (i >= s.size()) return true;
  char c = s[i];
  return c == ' ' || c == '\t' || c == '\0' || is_break_at(s, i);
}

// libyaml's IS_PRINTABLE: which characters may appear unescaped. Note that
// everything outside the BMP counts as not printable (so emoji end up as
// \U escapes in double quotes, exactly like kustomize prints them).
inline bool is_printable_at(std::string_view s, size_t i) {
  auto b = [&](size_t k) -> unsigned char {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
  };
  unsigned char c = b(0);
  return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c == 0xC2 && b(1) >= 0xA0) ||
         (c > 0xC2 && c < 0xED) || (c == 0xED && b(1) < 0xA0) || c == 0xEE ||
         (c == 0xEF && !(b(1) == 0xBB && b(2) == 0xBF) &&
          !(b(1) == 0xBF && (b(2) == 0xBE || b(2) == 0xBF)));
}

inline bool is_bom_at(std::string_view s, size_t i) {
  return i + 2 < s.size() && static_cast<unsigned char>(s[i]) == 0xEF &&
         static_cast<unsigned char>(s[i + 1]) == 0xBB &&
         static_cast<unsigned char>(s[i + 2]) == 0xBF;
}

struct Analysis {
  bool multiline = false;
  bool plain = true;   // plain allowed in block context
  bool single = true;  // single quotes allowed
  bool block = true;   // literal block allowed
};

// Which styles can represent `s` (the checks of libyaml's emitter).
Analysis analyze(std::string_view s) {
  Analysis a;
  if (s.empty()) {
    a.block = false;
    return a;
  }
  bool indicators = false, line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false,
       break_space = false, space_break = false;
  bool previous_space = false, previous_break = false;
  if (s.size() >= 3 &&
      ((s[0] == '-' && s[1] == '-' && s[2] == '-') || (s[0] == '.' && s[1] == '.' && s[2] == '.')))
    indicators = true;
  bool preceded_by_ws = true;
  bool followed_by_ws = is_blankz_at(s, utf8_width(static_cast<unsigned char>(s[0])));
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    size_t w = utf8_width(static_cast<unsigned char>(c));
    if (i == 0) {
      // Indicators that cannot start a plain scalar, and those that cannot
      // when followed by a blank.
      constexpr std::string_view kAlways = "#,[]{}&*!|>'\"%@`";
      if (kAlways.find(c) != std::string_view::npos) indicators = true;
      if ((c == '?' || c == ':' || c == '-') && followed_by_ws) indicators = true;
    } else {
      if (c == ':' && followed_by_ws) indicators = true;
      if (c == '#' && preceded_by_ws) indicators = true;
    }
    if (!is_printable_at(s, i)) special = true;
    bool brk = is_break_at(s, i);
    if (brk) line_breaks = true;
    if (c == ' ') {
      if (i == 0) leading_space = true;
      if (i + w == s.size()) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (brk) {
      if (i == 0) leading_break = true;
      if (i + w == s.size()) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = false;
      previous_break = false;
    }
    preceded_by_ws = is_blankz_at(s, i);
    i += w;
    if (i < s.size())
      followed_by_ws = is_blankz_at(s, i + utf8_width(static_cast<unsigned char>(s[i])));
  }
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break) a.plain = false;
  if (trailing_space) a.block = false;
  if (break_space) a.plain = a.single = false;
  if (space_break || special) a.plain = a.single = a.block = false;
  if (line_breaks) a.plain = false;
  if (indicators) a.plain = false;
  return a;
}

// yaml.v3 (and so kustomize) also quotes strings that YAML 1.1 or 1.2
// readers could take for base-60 numbers or timestamps.
bool looks_like_base60(std::string_view s) {
  // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= n || !is_digit(s[i])) return false;
  while (i < n && (is_digit(s[i]) || s[i] == '_'))
    ++i;
  int groups = 0;
  while (i < n && s[i] == ':') {
    ++i;
    size_t d = i;
    while (i < n && is_digit(s[i]) && i - d < 2)
      ++i;
    if (i == d) return false;
    if (i - d == 2 && s[d] > '5') return false;
    ++groups;
  }
  if (groups == 0) return false;
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && (is_digit(s[i]) || s[i] == '_'))
      ++i;
  }
  return i == n;
}

// The timestamp forms go-yaml accepts: 2006-1-2, 2006-1-2T15:4:5.999999999Z07:00
// (also with 't') and 2006-1-2 15:4:5.999999999.
bool looks_like_timestamp(std::string_view s) {
  size_t i = 0, n = s.size();
  auto number = [&](size_t lo, size_t hi, int max) {
    size_t d = i;
    int v = 0;
    while (i < n && is_digit(s[i]) && i - d < hi)
      v = v * 10 + (s[i++] - '0');
    return i - d >= lo && v <= max;
  };
  auto expect = [&](char c) {
    if (i < n && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  if (!number(4, 4, 9999) || !expect('-') || !number(1, 2, 12) || !expect('-') || !number(1, 2, 31))
    return false;
  if (i == n) return true;
  char sep = s[i++];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  if (!number(1, 2, 23) || !expect(':') || !number(1, 2, 59) || !expect(':') || !number(1, 2, 59))
    return false;
  if (expect('.')) {
    size_t d = i;
    while (i < n && is_digit(s[i]))
      ++i;
    if (i == d) return false;
  }
  if (sep == ' ') return i == n;
  if (expect('Z')) return i == n;
  if (!(expect('+') || expect('-'))) return false;
  return number(2, 2, 23) && expect(':') && number(2, 2, 59) && i == n;
}

// True when a plain scalar with this text would not read back as this string.
bool needs_double_quotes(std::string_view s, bool key) {
  if (resolve_plain(s).kind != Kind::kString) return true;
  if (key && s == "<<") return true;
  if (s.empty() || s.size() > 40) return false;
  unsigned char c = static_cast<unsigned char>(s[0]);
  if (!(is_digit(static_cast<char>(c)) || c == '+' || c == '-')) return false;
  return looks_like_base60(s) || looks_like_timestamp(s);
}

enum class Style : uint8_t { kPlain, kSingle, kDouble, kLiteral };

// A string as the emitter writes it: base64 when it is not valid UTF-8
// (tagged !!binary), with the analysis of the text that is written.
struct ScalarText {
  explicit ScalarText(const std::string& value) : text(value), binary(!utf8_valid(value)) {
    if (binary) {
      encoded = base64_encode(value);
      text = encoded;
    }
    analysis = analyze(text);
  }
  ScalarText(const ScalarText&) = delete;
  ScalarText& operator=(const ScalarText&) = delete;

  std::string encoded;
  std::string_view text;
  bool binary;
  Analysis analysis;
};

class Emitter {
 public:
  std::string out;

  void document(const Value& v) {
    node(v, false);
    write_indent();  // document end
  }

 private:
  static constexpr int kIndent = 2;
  static constexpr int kWidth = 80;
  static constexpr size_t kMaxSimpleKey = 128;

  int indent_ = -1;
  std::vector<int> indents_;
  int column_ = 0;
  bool whitespace_ = true;
  bool indention_ = true;

  void put(char c) {
    out += c;
    ++column_;
  }
  void put_break() {
    out += '\n';
    column_ = 0;
  }
  // Copies one (UTF-8) character starting at s[i]; returns its width.
  size_t write_char(std::string_view s, size_t i) {
    size_t w = std::min(utf8_width(static_cast<unsigned char>(s[i])), s.size() - i);
    out.append(s.data() + i, w);
    ++column_;
    return w;
  }
  size_t write_break(std::string_view s, size_t i) {
    if (s[i] == '\n') {
      put_break();
      return 1;
    }
    size_t w = std::min(utf8_width(static_cast<unsigned char>(s[i])), s.size() - i);
    out.append(s.data() + i, w);
    column_ = 0;
    return w;
  }
  void increase_indent(bool flow, bool indentless) {
    indents_.push_back(indent_);
    if (indent_ < 0)
      indent_ = flow ? kIndent : 0;
    else if (!indentless)
      indent_ += kIndent;
  }
  void pop_indent() {
    indent_ = indents_.back();
    indents_.pop_back();
  }
  void write_indent() {
    int ind = indent_ >= 0 ? indent_ : 0;
    if (!indention_ || column_ > ind || (column_ == ind && !whitespace_)) put_break();
    while (column_ < ind)
      put(' ');
    whitespace_ = true;
    indention_ = true;
  }
  void write_indicator(std::string_view ind, bool need_ws, bool is_ws, bool is_indention) {
    if (need_ws && !whitespace_) put(' ');
    out.append(ind);
    column_ += static_cast<int>(ind.size());
    whitespace_ = is_ws;
    indention_ = indention_ && is_indention;
  }

  void node(const Value& v, bool mapping_context) {
    switch (v.type()) {
      case Type::kNull:
        atom("null");
        break;
      case Type::kBool:
        atom(v.as_bool() ? "true" : "false");
        break;
      case Type::kInt: {
        char buf[24];
        auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
        atom(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
        break;
      }
      case Type::kFloat:
        atom(yaml_float(v.as_float()));
        break;
      case Type::kString:
        string_scalar(ScalarText(v.as_string()), false, false);
        break;
      case Type::kList:
        sequence(v.as_list(), mapping_context);
        break;
      case Type::kMap:
        mapping(v.as_map());
        break;
    }
  }

  // A scalar known to be plain-safe and short (numbers, booleans, null).
  void atom(std::string_view text) {
    if (!whitespace_) put(' ');
    out.append(text);
    column_ += static_cast<int>(text.size());
    whitespace_ = false;
    indention_ = false;
  }

  void flow_empty(std::string_view open, std::string_view close) {
    write_indicator(open, true, true, false);
    write_indicator(close, false, false, false);
  }

  void sequence(const List& list, bool mapping_context) {
    if (list.empty()) {
      flow_empty("[", "]");
      return;
    }
    increase_indent(false, mapping_context && !indention_);
    for (const Value& item : list) {
      write_indent();
      write_indicator("-", true, false, true);
      node(item, false);
    }
    pop_indent();
  }

  void mapping(const Map& map) {
    if (map.empty()) {
      flow_empty("{", "}");
      return;
    }
    increase_indent(false, false);
    for (const Member& m : map) {
      write_indent();
      ScalarText key(m.key);
      size_t length = key.text.size() + (key.binary ? 8 : 0);  // "!!binary"
      if (!key.analysis.multiline && length <= kMaxSimpleKey) {
        string_scalar(key, true, true);
        write_indicator(":", false, false, false);
      } else {
        write_indicator("?", true, false, true);
        string_scalar(key, true, false);
        write_indent();
        write_indicator(":", true, false, true);
      }
      node(m.value, true);
    }
    pop_indent();
  }

  void string_scalar(const ScalarText& t, bool key, bool simple_key) {
    std::string_view s = t.text;
    const bool binary = t.binary;
    const Analysis& a = t.analysis;
    Style style;
    if (binary)
      style = Style::kPlain;
    else if (s.find('\n') != std::string_view::npos)
      style = Style::kLiteral;
    else if (needs_double_quotes(s, key))
      style = Style::kDouble;
    else
      style = Style::kPlain;
    // libyaml's yaml_emitter_select_scalar_style for block context.
    if (simple_key && a.multiline) style = Style::kDouble;
    if (style == Style::kPlain) {
      if (!a.plain || (s.empty() && simple_key)) style = Style::kSingle;
    }
    if (style == Style::kSingle && !a.single) style = Style::kDouble;
    if (style == Style::kLiteral && (!a.block || simple_key)) style = Style::kDouble;

    if (binary) {
      if (!whitespace_) put(' ');
      out.append("!!binary");
      column_ += 8;
      whitespace_ = false;
      indention_ = false;
    }
    increase_indent(true, false);
    switch (style) {
      case Style::kPlain:
        write_plain(s, !simple_key);
        break;
      case Style::kSingle:
        write_single(s, !simple_key);
        break;
      case Style::kDouble:
        write_double(s, !simple_key);
        break;
      case Style::kLiteral:
        write_literal(s);
        break;
    }
    pop_indent();
  }

  void write_plain(std::string_view s, bool allow_breaks) {
    if (!whitespace_ && !s.empty()) put(' ');
    bool spaces = false, breaks = false;
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] == ' ') {
        if (allow_breaks && !spaces && column_ > kWidth && !(i + 1 < s.size() && s[i + 1] == ' ')) {
          write_indent();
          ++i;
        } else {
          i += write_char(s, i);
        }
        spaces = true;
      } else if (is_break_at(s, i)) {
        if (!breaks && s[i] == '\n') put_break();
        i += write_break(s, i);
        indention_ = true;
        breaks = true;
      } else {
        if (breaks) write_indent();
        i += write_char(s, i);
        indention_ = false;
        spaces = breaks = false;
      }
    }
    whitespace_ = false;
    indention_ = false;
  }

  void write_single(std::string_view s, bool allow_breaks) {
    write_indicator("'", true, false, false);
    bool spaces = false, breaks = false;
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] == ' ') {
        if (allow_breaks && !spaces && column_ > kWidth && i != 0 && i != s.size() - 1 &&
            !(i + 1 < s.size() && s[i + 1] == ' ')) {
          write_indent();
          ++i;
        } else {
          i += write_char(s, i);
        }
        spaces = true;
      } else if (is_break_at(s, i)) {
        if (!breaks && s[i] == '\n') put_break();
        i += write_break(s, i);
        indention_ = true;
        breaks = true;
      } else {
        if (breaks) write_indent();
        if (s[i] == '\'') put('\'');
        i += write_char(s, i);
        indention_ = false;
        spaces = breaks = false;
      }
    }
    if (breaks) write_indent();
    write_indicator("'", false, false, false);
    whitespace_ = false;
    indention_ = false;
  }

  void write_double(std::string_view s, bool allow_breaks) {
    write_indicator("\"", true, false, false);
    bool spaces = false;
    size_t i = 0;
    while (i < s.size()) {
      auto c = static_cast<unsigned char>(s[i]);
      if (!is_printable_at(s, i) || is_bom_at(s, i) || is_break_at(s, i) || c == '"' || c == '\\') {
        size_t w = std::min(utf8_width(c), s.size() - i);
        uint32_t cp = w == 1 ? c : w == 2 ? (c & 0x1F) : w == 3 ? (c & 0x0F) : (c & 0x07);
        for (size_t k = 1; k < w; ++k)
          cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        i += w;
        put('\\');
        switch (cp) {
          case 0x00:
            put('0');
            break;
          case 0x07:
            put('a');
            break;
          case 0x08:
            put('b');
            break;
          case 0x09:
            put('t');
            break;
          case 0x0A:
            put('n');
            break;
          case 0x0B:
            put('v');
            break;
          case 0x0C:
            put('f');
            break;
          case 0x0D:
            put('r');
            break;
          case 0x1B:
            put('e');
            break;
          case 0x22:
            put('"');
            break;
          case 0x5C:
            put('\\');
            break;
          case 0x85:
            put('N');
            break;
          case 0xA0:
            put('_');
            break;
          case 0x2028:
            put('L');
            break;
          case 0x2029:
            put('P');
            break;
          default: {
            int digits;
            if (cp <= 0xFF) {
              put('x');
              digits = 2;
            } else if (cp <= 0xFFFF) {
              put('u');
              digits = 4;
            } else {
              put('U');
              digits = 8;
            }
            for (int k = (digits - 1) * 4; k >= 0; k -= 4) {
              unsigned d = (cp >> k) & 0x0F;
              put(static_cast<char>(d < 10 ? '0' + d : 'A' + d - 10));
            }
          }
        }
        spaces = false;
      } else if (c == ' ') {
        if (allow_breaks && !spaces && column_ > kWidth && i != 0 && i != s.size() - 1) {
          write_indent();
          if (i + 1 < s.size() && s[i + 1] == ' ') put('\\');
          ++i;
        } else {
          i += write_char(s, i);
        }
        spaces = true;
      } else {
        i += write_char(s, i);
        spaces = false;
      }
    }
    write_indicator("\"", false, false, false);
    whitespace_ = false;
    indention_ = false;
  }

  void write_literal(std::string_view s) {
    write_indicator("|", true, false, false);
    // Block scalar hints: an indentation indicator when the text starts with
    // a space or a break, and the chomping indicator.
    if (!s.empty() && (s[0] == ' ' || is_break_at(s, 0))) {
      const char hint[2] = {static_cast<char>('0' + kIndent), 0};
      write_indicator(hint, false, false, false);
    }
    const char* chomp = nullptr;
    if (s.empty()) {
      chomp = "-";
    } else {
      size_t last = s.size() - 1;
      while (last > 0 && (static_cast<unsigned char>(s[last]) & 0xC0) == 0x80)
        --last;
      if (!is_break_at(s, last)) {
        chomp = "-";
      } else if (last == 0) {
        chomp = "+";
      } else {
        size_t prev = last - 1;
        while (prev > 0 && (static_cast<unsigned char>(s[prev]) & 0xC0) == 0x80)
          --prev;
        if (is_break_at(s, prev)) chomp = "+";
      }
    }
    if (chomp) write_indicator(chomp, false, false, false);
    put_break();
    indention_ = true;
    whitespace_ = true;
    bool breaks = true;
    size_t i = 0;
    while (i < s.size()) {
      if (is_break_at(s, i)) {
        i += write_break(s, i);
        indention_ = true;
        breaks = true;
      } else {
        if (breaks) write_indent();
        i += write_char(s, i);
        indention_ = false;
        breaks = false;
      }
    }
  }
};

}  // namespace

std::vector<Value> parse_yaml_stream(std::string_view text, std::string_view filename,
                                     const YamlLimits& limits) {
  return Reader(text, filename, limits, false).run();
}

Value parse_yaml(std::string_view text, std::string_view filename, const YamlLimits& limits) {
  auto docs = Reader(text, filename, limits, true).run();
  if (docs.empty()) return Value();
  return std::move(docs.front());
}

std::vector<Value> read_yaml_file(const std::string& path, const YamlLimits& limits) {
  std::string text = read_file(path, limits.max_input_bytes);
  return parse_yaml_stream(text, path, limits);
}

std::string to_yaml(const Value& v) {
  Emitter e;
  e.document(v);
  return std::move(e.out);
}

std::string to_yaml_stream(const std::vector<Value>& docs) {
  std::string out;
  for (size_t k = 0; k < docs.size(); ++k) {
    if (k) out += "---\n";
    out += to_yaml(docs[k]);
  }
  return out;
}

}  // namespace gantry::doc
