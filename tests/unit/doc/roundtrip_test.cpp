// Property tests: for random values, parse(to_yaml(v)) == v and
// parse_json(to_json(v)) == v, with types, float bits and key order intact.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "doc/json.h"
#include "doc/yaml.h"

namespace gantry::doc {
namespace {

// Strict equality: same types (an int is not a float), floats bit for bit
// (NaN equals NaN, -0.0 differs from 0.0), map keys in the same order.
::testing::AssertionResult same(const Value& a, const Value& b, const std::string& path = "$") {
  if (a.type() != b.type())
    return ::testing::AssertionFailure()
           << path << ": " << type_name(a.type()) << " vs " << type_name(b.type());
  switch (a.type()) {
    case Type::kFloat: {
      double x = a.as_float(), y = b.as_float();
      if (std::memcmp(&x, &y, sizeof x) != 0 && !(std::isnan(x) && std::isnan(y)))
        return ::testing::AssertionFailure() << path << ": " << x << " vs " << y;
      return ::testing::AssertionSuccess();
    }
    case Type::kList: {
      const List& l = a.as_list();
      const List& r = b.as_list();
      if (l.size() != r.size())
        return ::testing::AssertionFailure()
               << path << ": list sizes " << l.size() << " vs " << r.size();
      for (size_t i = 0; i < l.size(); ++i) {
        auto res = same(l[i], r[i], path + "[" + std::to_string(i) + "]");
        if (!res) return res;
      }
      return ::testing::AssertionSuccess();
    }
    case Type::kMap: {
      const Map& l = a.as_map();
      const Map& r = b.as_map();
      if (l.size() != r.size())
        return ::testing::AssertionFailure()
               << path << ": map sizes " << l.size() << " vs " << r.size();
      for (size_t i = 0; i < l.size(); ++i) {
        if (l[i].key != r[i].key)
          return ::testing::AssertionFailure()
                 << path << ": key #" << i << " '" << l[i].key << "' vs '" << r[i].key << "'";
        auto res = same(l[i].value, r[i].value, path + "." + l[i].key);
        if (!res) return res;
      }
      return ::testing::AssertionSuccess();
    }
    default:
      if (!a.equals(b)) return ::testing::AssertionFailure() << path << ": values differ";
      return ::testing::AssertionSuccess();
  }
}

// Pieces that exercise every quoting rule of the writer.
const std::vector<std::string>& pieces() {
  static const std::vector<std::string> p = {
      "",
      " ",
      "  ",
      "a",
      "word",
      "true",
      "y",
      "No",
      "null",
      "~",
      "1",
      "-1",
      "0x1F",
      "1.0",
      "012",
      "1e3",
      ".inf",
      ".5",
      "08",
      "-",
      "- ",
      ":",
      ": ",
      "#",
      " #",
      "'",
      "\"",
      "\\",
      "\n",
      "\n\n",
      "\r",
      "\t",
      "\r\n",
      "\xC2\x85",
      "\xE2\x80\xA8",
      "\xE2\x80\xA9",
      "\xC2\xA0",
      "\xEF\xBB\xBF",
      "\xF0\x9F\x98\x80",
      "\xC3\xA9",
      "---",
      "...",
      "<<",
      "&a",
      "*a",
      "!t",
      "|",
      ">",
      "%",
      "@",
      "`",
      "[",
      "]",
      "{",
      "}",
      ",",
      "?",
      "? ",
      "\x01",
      "\x1b",
      "\x7f",
      std::string(1, '\0'),
      "2001-12-14",
      "12:30",
      "http://x.y/z?q=1#f",
      "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp ",
      std::string(90, 'x'),
      " x ",
      "x  y",
      "\n x",
      "x\n ",
      "\xFF"};
  return p;
}

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  std::string string(bool allow_invalid_utf8) {
    std::string s;
    int n = pick(0, 6);
    for (int i = 0; i < n; ++i) {
      const std::string& p =
          pieces()[static_cast<size_t>(pick(0, static_cast<int>(pieces().size()) - 1))];
      if (!allow_invalid_utf8 && p == "\xFF") continue;
      s += p;
    }
    if (pick(0, 30) == 0) s += std::string(static_cast<size_t>(pick(100, 200)), 'k');
    return s;
  }

  double floating() {
    switch (pick(0, 12)) {
      case 0:
        return 0.0;
      case 1:
        return -0.0;
      case 2:
        return std::numeric_limits<double>::infinity();
      case 3:
        return -std::numeric_limits<double>::infinity();
      case 4:
        return std::numeric_limits<double>::quiet_NaN();
      case 5:
        return 5e-324;
      case 6:
        return std::numeric_limits<double>::max();
      case 7:
        return static_cast<double>(pick(-1000, 1000));
      case 8:
        return 1e21;
      default: {
        uint64_t bits = rng_();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) d = 1.25;
        return d;
      }
    }
  }

  Value value(int depth, bool json_safe) {
    int kind = depth == 0 ? pick(5, 7) : pick(0, depth > 4 ? 4 : 7);
    switch (kind) {
      case 0:
        return Value();
      case 1:
        return Value(pick(0, 1) == 1);
      case 2: {
        switch (pick(0, 3)) {
          case 0:
            return Value(std::numeric_limits<int64_t>::min());
          case 1:
            return Value(std::numeric_limits<int64_t>::max());
          case 2:
            return Value(static_cast<int64_t>(rng_()));
          default:
            return Value(pick(-100, 100));
        }
      }
      case 3: {
        double d = floating();
        if (json_safe && !std::isfinite(d)) d = 0.5;
        return Value(d);
      }
      case 4:
        return Value(string(!json_safe));
      case 5:
      case 6: {
        List l;
        int n = pick(0, 5);
        for (int i = 0; i < n; ++i)
          l.push_back(value(depth + 1, json_safe));
        return Value(std::move(l));
      }
      default: {
        Value m = Value::map();
        int n = pick(0, 5);
        for (int i = 0; i < n; ++i) {
          std::string k = string(!json_safe);
          if (!m.contains(k)) m.as_map().push_back(Member{k, value(depth + 1, json_safe), {}});
        }
        return m;
      }
    }
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::mt19937 rng_;
};

TEST(RoundTrip, YamlRandomValues) {
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    Generator g(seed);
    Value v = g.value(0, false);
    std::string text = to_yaml(v);
    Value back;
    try {
      back = parse_yaml(text, "roundtrip.yaml");
    } catch (const Error& e) {
      FAIL() << "seed " << seed << ": " << e.what() << "\n" << text;
    }
    ASSERT_TRUE(same(v, back)) << "seed " << seed << "\n" << text;
    ASSERT_EQ(to_yaml(back), text) << "seed " << seed;
  }
}

TEST(RoundTrip, YamlStreams) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    Generator g(seed * 7919);
    std::vector<Value> docs;
    for (int i = 0; i < 3; ++i)
      docs.push_back(g.value(0, false));
    std::string text = to_yaml_stream(docs);
    auto back = parse_yaml_stream(text, "stream.yaml");
    ASSERT_EQ(back.size(), docs.size()) << text;
    for (size_t i = 0; i < docs.size(); ++i)
      ASSERT_TRUE(same(docs[i], back[i])) << text;
  }
}

TEST(RoundTrip, JsonRandomValues) {
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    Generator g(seed);
    Value v = g.value(0, true);
    std::string compact = to_json(v);
    Value back;
    try {
      back = parse_json(compact, "roundtrip.json");
    } catch (const Error& e) {
      FAIL() << "seed " << seed << ": " << e.what() << "\n" << compact;
    }
    ASSERT_TRUE(same(v, back)) << "seed " << seed << "\n" << compact;
    ASSERT_TRUE(same(v, parse_json(to_json_pretty(v)))) << "seed " << seed;
  }
}

TEST(RoundTrip, YamlToJsonAndBack) {
  // What the reader produces from YAML survives JSON (when it is finite).
  Value v = parse_yaml(
      "a: [1, 1.5, -0.0, \"x\", null, true, {b: {}}]\nc: \"\\u2028\"\nd: |\n  text\n", "m.yaml");
  EXPECT_TRUE(same(v, parse_json(to_json(v))));
}

}  // namespace
}  // namespace gantry::doc
