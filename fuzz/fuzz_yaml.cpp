// libFuzzer target: the YAML reader and writer.
//
// Parses the input as a YAML stream (errors are fine, anything else that
// escapes is a bug); when it parses, writes it with to_yaml_stream() and
// parses that again: the second parse must succeed and give the same values
// (types, float bits and key order included). When the values can be written
// as JSON, parse_json(to_json()) must give them back too.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "doc/json.h"
#include "doc/yaml.h"

namespace {

using gantry::doc::List;
using gantry::doc::Map;
using gantry::doc::Type;
using gantry::doc::Value;

bool same(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kFloat: {
      double x = a.as_float(), y = b.as_float();
      return std::memcmp(&x, &y, sizeof x) == 0 || (std::isnan(x) && std::isnan(y));
    }
    case Type::kList: {
      const List& l = a.as_list();
      const List& r = b.as_list();
      if (l.size() != r.size()) return false;
      for (size_t i = 0; i < l.size(); ++i)
        if (!same(l[i], r[i])) return false;
      return true;
    }
    case Type::kMap: {
      const Map& l = a.as_map();
      const Map& r = b.as_map();
      if (l.size() != r.size()) return false;
      for (size_t i = 0; i < l.size(); ++i)
        if (l[i].key != r[i].key || !same(l[i].value, r[i].value)) return false;
      return true;
    }
    default:
      return a.equals(b);
  }
}

// JSON cannot carry invalid UTF-8 (the writer replaces it): skip those values.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80             ? 1
               : (c & 0xE0) == 0xC0 ? 2
               : (c & 0xF0) == 0xE0 ? 3
               : (c & 0xF8) == 0xF0 ? 4
                                    : 0;
    if (!n || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

bool json_safe(const Value& v) {
  switch (v.type()) {
    case Type::kFloat:
      return std::isfinite(v.as_float());
    case Type::kString:
      return valid_utf8(v.as_string());
    case Type::kList:
      for (const auto& x : v.as_list())
        if (!json_safe(x)) return false;
      return true;
    case Type::kMap:
      for (const auto& m : v.as_map())
        if (!valid_utf8(m.key) || !json_safe(m.value)) return false;
      return true;
    default:
      return true;
  }
}

[[noreturn]] void die(const char* what, const std::string& text) {
  std::fprintf(stderr, "%s\n----- output -----\n%s\n------------------\n", what, text.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Tighter limits than the defaults so one input cannot take seconds.
  gantry::doc::YamlLimits limits;
  limits.max_nodes = 200'000;
  limits.max_depth = 200;
  limits.max_input_bytes = 1 << 20;

  std::vector<Value> docs;
  try {
    docs = gantry::doc::parse_yaml_stream(input, "fuzz.yaml", limits);
  } catch (const gantry::Error&) {
    return 0;
  }

  std::string out = gantry::doc::to_yaml_stream(docs);
  gantry::doc::YamlLimits relaxed = limits;
  relaxed.max_input_bytes = out.size() + 1;
  std::vector<Value> again;
  try {
    again = gantry::doc::parse_yaml_stream(out, "fuzz-output.yaml", relaxed);
  } catch (const gantry::Error& e) {
    die(e.what(), out);
  }
  if (again.size() != docs.size()) die("document count changed", out);
  for (size_t i = 0; i < docs.size(); ++i)
    if (!same(docs[i], again[i])) die("value changed by the round trip", out);
  if (gantry::doc::to_yaml_stream(again) != out) die("writing is not idempotent", out);

  for (const Value& d : docs) {
    if (!json_safe(d)) continue;
    std::string json = gantry::doc::to_json(d);
    try {
      if (!same(gantry::doc::parse_json(json, "fuzz.json"), d))
        die("JSON round trip changed", json);
    } catch (const gantry::Error& e) {
      die(e.what(), json);
    }
  }
  return 0;
}
