// The document model: one value type for YAML and JSON.
//
// A Value is null, bool, int (64-bit), float (double), string, list or map.
// Maps keep their insertion order (YAML key order survives a round trip).
// Values read from YAML remember where they came from (SourceSpan) and, for
// scalars, how they were written (ScalarStyle), so that tools can report
// file:line:column and edit exactly the bytes of one scalar.
//
// Values have plain value semantics: copying copies the whole tree.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.h"

namespace gantry::doc {

// Where a value was read from. Lines and columns are 1-based, offsets are
// byte offsets into the file ([begin, end)). An empty span (no file) means
// the value was built in code.
struct SourceSpan {
  std::shared_ptr<const std::string> file;
  uint32_t line = 0;
  uint32_t column = 0;
  size_t begin = 0;
  size_t end = 0;

  bool known() const { return file != nullptr; }
  Location location() const;  // file:line:column for errors
};

// How a scalar was written in YAML. kAny for values built in code or read from JSON.
enum class ScalarStyle : uint8_t { kAny, kPlain, kSingleQuoted, kDoubleQuoted, kLiteral, kFolded };

class Value;

struct Member;

using List = std::vector<Value>;
using Map = std::vector<Member>;

enum class Type : uint8_t { kNull, kBool, kInt, kFloat, kString, kList, kMap };
std::string_view type_name(Type t);

class Value {
 public:
  // The constructors are defined inline after Member: clang instantiates
  // the variant's constructors right away and needs Member complete for that.
  Value();  // null
  Value(std::nullptr_t);
  Value(bool b);
  Value(int i);
  Value(int64_t i);
  Value(uint32_t i);
  Value(double d);
  Value(std::string s);
  Value(std::string_view s);
  Value(const char* s);
  Value(List l);
  Value(Map m);
  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;
  ~Value();

  static Value list();  // inline below, like the constructors
  static Value map();
  // A map from (key, value) pairs, in order: Value::object({{"a", 1}, {"b", "x"}}).
  static Value object(std::initializer_list<std::pair<std::string_view, Value>> items);

  Type type() const { return static_cast<Type>(data_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_float() const { return type() == Type::kFloat; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return type() == Type::kString; }
  bool is_list() const { return type() == Type::kList; }
  bool is_map() const { return type() == Type::kMap; }
  bool is_scalar() const { return !is_list() && !is_map(); }

  // Typed access. Throws gantry::Error (with this value's location) on a type mismatch.
  bool as_bool() const;
  int64_t as_int() const;
  double as_float() const;  // ints convert
  const std::string& as_string() const;
  std::string& as_string();
  const List& as_list() const;
  List& as_list();
  const Map& as_map() const;
  Map& as_map();

  // Map access. find() returns nullptr when absent or when this is not a map.
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Path lookup through nested maps: find_path({"metadata", "name"}).
  const Value* find_path(std::initializer_list<std::string_view> keys) const;
  // Inserts null under key if missing (turns a null value into an empty map first).
  Value& operator[](std::string_view key);
  // Sets key to value, keeping the key's position if it exists, appending otherwise.
  Value& set(std::string_view key, Value v);
  bool erase(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // List access (turns a null value into an empty list first).
  Value& push_back(Value v);
  size_t size() const;  // list/map element count, string length, else 0

  // Convenience: the string at key, or `fallback` when missing or not a string.
  std::string get_string(std::string_view key, std::string_view fallback = {}) const;

  const SourceSpan& span() const { return span_; }
  void set_span(SourceSpan s) { span_ = std::move(s); }
  ScalarStyle style() const { return style_; }
  void set_style(ScalarStyle s) { style_ = s; }

  // Structural equality: same type and content. Spans and styles are ignored;
  // map key order matters only if `ordered` is true. int and float compare by value.
  bool equals(const Value& other, bool ordered = false) const;
  friend bool operator==(const Value& a, const Value& b) { return a.equals(b); }
  friend bool operator!=(const Value& a, const Value& b) { return !a.equals(b); }

  // Throws an Error located at this value: "<why>".
  [[noreturn]] void fail(std::string why) const;

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, List, Map> data_;
  SourceSpan span_;
  ScalarStyle style_ = ScalarStyle::kAny;
};

// One key/value pair of a map, with the span of the key.
struct Member {
  std::string key;
  Value value;
  SourceSpan key_span;
};

inline Value::Value() {}
inline Value::Value(std::nullptr_t) {}
inline Value::Value(bool b) : data_(b) {}
inline Value::Value(int i) : data_(static_cast<int64_t>(i)) {}
inline Value::Value(int64_t i) : data_(i) {}
inline Value::Value(uint32_t i) : data_(static_cast<int64_t>(i)) {}
inline Value::Value(double d) : data_(d) {}
inline Value::Value(std::string s) : data_(std::move(s)) {}
inline Value::Value(std::string_view s) : data_(std::string(s)) {}
inline Value::Value(const char* s) : data_(std::string(s)) {}
inline Value Value::list() {
  return Value(List{});
}
inline Value Value::map() {
  return Value(Map{});
}

// A copy with every map's keys sorted bytewise, recursively (the order Go's
// encoding/json writes maps in, and the order diffs should compare in).
Value sorted_keys(const Value& v);

}  // namespace gantry::doc
