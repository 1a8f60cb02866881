#include "doc/value.h"

#include <algorithm>

namespace gantry::doc {

Location SourceSpan::location() const {
  if (!file) return {};
  return Location{*file, line, column};
}

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "bool";
    case Type::kInt:
      return "int";
    case Type::kFloat:
      return "float";
    case Type::kString:
      return "string";
    case Type::kList:
      return "list";
    case Type::kMap:
      return "map";
  }
  return "?";
}

Value::Value(List l) : data_(std::move(l)) {}
Value::Value(Map m) : data_(std::move(m)) {}
Value::Value(const Value&) = default;
Value::Value(Value&&) noexcept = default;
Value& Value::operator=(const Value&) = default;
Value& Value::operator=(Value&&) noexcept = default;
Value::~Value() = default;

Value Value::object(std::initializer_list<std::pair<std::string_view, Value>> items) {
  Map m;
  m.reserve(items.size());
  for (const auto& [k, v] : items)
    m.push_back(Member{std::string(k), v, {}});
  return Value(std::move(m));
}

void Value::fail(std::string why) const {
  throw Error(span_.location(), std::move(why));
}

namespace {
[[noreturn]] void type_mismatch(const Value& v, Type want) {
  v.fail("expected a " + std::string(type_name(want)) + ", found a " +
         std::string(type_name(v.type())));
}
}  // namespace

bool Value::as_bool() const {
  if (!is_bool()) type_mismatch(*this, Type::kBool);
  return std::get<bool>(data_);
}
int64_t Value::as_int() const {
  if (!is_int()) type_mismatch(*this, Type::kInt);
  return std::get<int64_t>(data_);
}
double Value::as_float() const {
  if (is_int()) return static_cast<double>(std::get<int64_t>(data_));
  if (!is_float()) type_mismatch(*this, Type::kFloat);
  return std::get<double>(data_);
}
const std::string& Value::as_string() const {
  if (!is_string()) type_mismatch(*this, Type::kString);
  return std::get<std::string>(data_);
}
std::string& Value::as_string() {
  if (!is_string()) type_mismatch(*this, Type::kString);
  return std::get<std::string>(data_);
}
const List& Value::as_list() const {
  if (!is_list()) type_mismatch(*this, Type::kList);
  return std::get<List>(data_);
}
List& Value::as_list() {
  if (!is_list()) type_mismatch(*this, Type::kList);
  return std::get<List>(data_);
}
const Map& Value::as_map() const {
  if (!is_map()) type_mismatch(*this, Type::kMap);
  return std::get<Map>(data_);
}
Map& Value::as_map() {
  if (!is_map()) type_mismatch(*this, Type::kMap);
  return std::get<Map>(data_);
}

const Value* Value::find(std::string_view key) const {
  if (!is_map()) return nullptr;
  for (const auto& m : std::get<Map>(data_))
    if (m.key == key) return &m.value;
  return nullptr;
}

Value* Value::find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
}

const Value* Value::find_path(std::initializer_list<std::string_view> keys) const {
  const Value* v = this;
  for (auto k : keys) {
    v = v->find(k);
    if (!v) return nullptr;
  }
  return v;
}

Value& Value::operator[](std::string_view key) {
  if (is_null()) data_ = Map{};
  if (Value* v = find(key)) return *v;
  auto& m = as_map();
  m.push_back(Member{std::string(key), Value(), {}});
  return m.back().value;
}

Value& Value::set(std::string_view key, Value v) {
  Value& slot = (*this)[key];
  slot = std::move(v);
  return slot;
}

bool Value::erase(std::string_view key) {
  if (!is_map()) return false;
  auto& m = std::get<Map>(data_);
  auto it = std::find_if(m.begin(), m.end(), [&](const Member& e) { return e.key == key; });
  if (it == m.end()) return false;
  m.erase(it);
  return true;
}

Value& Value::push_back(Value v) {
  if (is_null()) data_ = List{};
  auto& l = as_list();
  l.push_back(std::move(v));
  return l.back();
}

size_t Value::size() const {
  switch (type()) {
    case Type::kList:
      return std::get<List>(data_).size();
    case Type::kMap:
      return std::get<Map>(data_).size();
    case Type::kString:
      return std::get<std::string>(data_).size();
    default:
      return 0;
  }
}

std::string Value::get_string(std::string_view key, std::string_view fallback) const {
  const Value* v = find(key);
  if (v && v->is_string()) return v->as_string();
  return std::string(fallback);
}

bool Value::equals(const Value& other, bool ordered) const {
  if (is_number() && other.is_number()) {
    if (is_int() && other.is_int()) return as_int() == other.as_int();
    return as_float() == other.as_float();
  }
  if (type() != other.type()) return false;
  switch (type()) {
    case Type::kNull:
      return true;
    case Type::kBool:
      return as_bool() == other.as_bool();
    case Type::kString:
      return as_string() == other.as_string();
    case Type::kList: {
      const auto& a = as_list();
      const auto& b = other.as_list();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!a[i].equals(b[i], ordered)) return false;
      return true;
    }
    case Type::kMap: {
      const auto& a = as_map();
      const auto& b = other.as_map();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (ordered) {
          if (a[i].key != b[i].key || !a[i].value.equals(b[i].value, true)) return false;
        } else {
          const Value* o = other.find(a[i].key);
          if (!o || !a[i].value.equals(*o, false)) return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

Value sorted_keys(const Value& v) {
  if (v.is_list()) {
    Value out = Value::list();
    for (const Value& e : v.as_list())
      out.push_back(sorted_keys(e));
    return out;
  }
  if (!v.is_map()) return v;
  Map m;
  for (const auto& mem : v.as_map())
    m.push_back(Member{mem.key, sorted_keys(mem.value), mem.key_span});
  std::sort(m.begin(), m.end(), [](const Member& a, const Member& b) { return a.key < b.key; });
  return Value(std::move(m));
}

}  // namespace gantry::doc
