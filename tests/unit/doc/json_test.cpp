// The JSON reader and writer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "doc/json.h"

namespace gantry::doc {
namespace {

using ::testing::HasSubstr;

template <typename F>
Error expect_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a gantry::Error";
  return Error("none");
}

TEST(JsonReader, Values) {
  Value v = parse_json(
      R"({"s": "x", "i": 42, "neg": -7, "f": 1.5, "e": 1e2, "t": true, "n": null,
          "l": [1, [], {}], "m": {"k": false}, "z": -0})");
  EXPECT_EQ(v.find("s")->as_string(), "x");
  ASSERT_TRUE(v.find("i")->is_int());
  EXPECT_EQ(v.find("i")->as_int(), 42);
  EXPECT_EQ(v.find("neg")->as_int(), -7);
  ASSERT_TRUE(v.find("f")->is_float());
  ASSERT_TRUE(v.find("e")->is_float());
  EXPECT_EQ(v.find("e")->as_float(), 100.0);
  EXPECT_TRUE(v.find("t")->as_bool());
  EXPECT_TRUE(v.find("n")->is_null());
  EXPECT_EQ(v.find("l")->size(), 3u);
  EXPECT_TRUE(v.find("l")->as_list()[1].is_list());
  EXPECT_TRUE(v.find("l")->as_list()[2].is_map());
  EXPECT_FALSE(v.find_path({"m", "k"})->as_bool());
  ASSERT_TRUE(v.find("z")->is_int());
  EXPECT_EQ(v.find("z")->as_int(), 0);
  // Key order is kept.
  EXPECT_EQ(v.as_map()[0].key, "s");
  EXPECT_EQ(v.as_map()[9].key, "z");
  EXPECT_EQ(v.find("s")->style(), ScalarStyle::kAny);
}

TEST(JsonReader, IntegersThatDoNotFitBecomeFloats) {
  EXPECT_TRUE(parse_json("9223372036854775807").is_int());
  EXPECT_EQ(parse_json("-9223372036854775808").as_int(), std::numeric_limits<int64_t>::min());
  Value big = parse_json("9223372036854775808");
  ASSERT_TRUE(big.is_float());
  EXPECT_EQ(big.as_float(), 9223372036854775808.0);
  EXPECT_TRUE(parse_json("-9223372036854775809").is_float());
  EXPECT_TRUE(parse_json("1.0").is_float());
  EXPECT_TRUE(parse_json("1E+2").is_float());
  EXPECT_EQ(parse_json("1e-400").as_float(), 0.0);
  Error e = expect_error([] { parse_json("[1e400]", "big.json"); });
  EXPECT_EQ(e.str(), "big.json:1:2: number 1e400 is out of range");
}

TEST(JsonReader, StringEscapes) {
  EXPECT_EQ(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_json(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(parse_json(R"("\u0000")").as_string(), std::string(1, '\0'));
  // Surrogate pairs combine; lone surrogates become U+FFFD like in Go.
  EXPECT_EQ(parse_json(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parse_json(R"("\uD83D\uDE00!")").as_string(), "\xF0\x9F\x98\x80!");
  EXPECT_EQ(parse_json(R"("\ud800")").as_string(), "\xEF\xBF\xBD");
  EXPECT_EQ(parse_json(R"("\ud800x")").as_string(), "\xEF\xBF\xBDx");
  EXPECT_EQ(parse_json(R"("\ud800\u0041")").as_string(),
            "\xEF\xBF\xBD"
            "A");
  EXPECT_EQ(parse_json(R"("\udc00")").as_string(), "\xEF\xBF\xBD");
  EXPECT_EQ(parse_json("\"raw \xC3\xA9 \xF0\x9F\x98\x80\"").as_string(),
            "raw \xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(JsonReader, ErrorsCarryLineAndColumn) {
  struct Bad {
    const char* text;
    const char* error;
  };
  const Bad cases[] = {
      {"{\n  \"a\": tru\n}", "x.json:2:8: invalid literal, expected 'true'"},
      {"{\"a\": 1,}", "x.json:1:9: unexpected character '}', expected a string key"},
      {"[1, 2,]", "x.json:1:7: unexpected character ']', expected a JSON value"},
      {"{\"a\" 1}", "x.json:1:6: unexpected character '1', expected ':'"},
      {"[1 2]", "x.json:1:4: unexpected character '2', expected ',' or ']'"},
      {"{\"a\": 1 \"b\": 2}", "x.json:1:9: unexpected character '\"', expected ',' or '}'"},
      {"\"abc", "x.json:1:5: unterminated string"},
      {"\"a\nb\"", "x.json:1:3: control character in string (must be escaped)"},
      {"\"\\x\"", "x.json:1:2: invalid escape '\\x' in string"},
      {"\"\\u12G4\"", "x.json:1:2: invalid \\u escape (expected 4 hex digits)"},
      {"01", "x.json:1:2: unexpected character '1' after the JSON value"},
      {"-", "x.json:1:2: invalid number"},
      {"1.", "x.json:1:3: invalid number: expected digits after '.'"},
      {"1e+", "x.json:1:4: invalid number: expected digits in the exponent"},
      {"", "x.json:1:1: unexpected end of input, expected a JSON value"},
      {"  \n ", "x.json:2:2: unexpected end of input, expected a JSON value"},
      {"{} {}", "x.json:1:4: unexpected character '{' after the JSON value"},
      {"'a'", "x.json:1:1: unexpected character ''', expected a JSON value"},
      {"NaN", "x.json:1:1: unexpected character 'N', expected a JSON value"},
      {"\"\xFF\"", "x.json:1:2: invalid UTF-8 in string"},
      {"\"\xC0\x80\"", "x.json:1:2: invalid UTF-8 in string"},
      {"\"\xED\xA0\x80\"", "x.json:1:2: invalid UTF-8 in string"},
      {"[\"\xC3\xA9\", x]", "x.json:1:7: unexpected character 'x', expected a JSON value"},
      {"{\"a\": 1, \"a\": 2}", "x.json:1:10: duplicate key \"a\" (first defined at line 1)"},
  };
  for (const auto& c : cases) {
    Error e = expect_error([&] { parse_json(c.text, "x.json"); });
    EXPECT_EQ(e.str(), c.error) << c.text;
    EXPECT_EQ(e.code(), ExitCode::kInvalidInput);
  }
}

TEST(JsonReader, DuplicateKeysInBigObjects) {
  std::string text = "{";
  for (int i = 0; i < 40; ++i)
    text += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",\n";
  EXPECT_NO_THROW(parse_json(text + "\"last\": 0}"));
  Error e = expect_error([&] { parse_json(text + "\"k3\": 0}", "d.json"); });
  EXPECT_EQ(e.str(), "d.json:41:1: duplicate key \"k3\" (first defined at line 4)");
}

TEST(JsonReader, Limits) {
  auto nested = [](size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_NO_THROW(parse_json(nested(512)));
  Error e = expect_error([&] { parse_json(nested(513), "deep.json"); });
  EXPECT_EQ(e.str(), "deep.json:1:513: nesting is deeper than the limit of 512 levels");
  JsonLimits small;
  small.max_input_bytes = 4;
  Error big = expect_error([&] { parse_json("[1,2,3]", "big.json", small); });
  EXPECT_EQ(big.str(), "big.json: JSON input is 7 bytes, over the limit of 4 bytes");
}

TEST(JsonReader, Spans) {
  const std::string text = "{\n  \"name\": \"caf\xC3\xA9\",\n  \"n\": [1, 2]\n}\n";
  Value v = parse_json(text, "s.json");
  const Member& name = v.as_map()[0];
  EXPECT_EQ(name.key_span.line, 2u);
  EXPECT_EQ(name.key_span.column, 3u);
  EXPECT_EQ(text.substr(name.value.span().begin, name.value.span().end - name.value.span().begin),
            "\"caf\xC3\xA9\"");
  EXPECT_EQ(name.value.span().column, 11u);
  const Value& two = v.find("n")->as_list()[1];
  EXPECT_EQ(two.span().line, 3u);
  EXPECT_EQ(two.span().column, 12u);
  EXPECT_EQ(*two.span().file, "s.json");
  EXPECT_EQ(two.span().file.get(), v.span().file.get());
  Error e = expect_error([&] { v.find("name")->as_int(); });
  EXPECT_EQ(e.str(), "s.json:2:11: expected a int, found a string");
  // A leading byte order mark is skipped.
  Value bom = parse_json("\xEF\xBB\xBF[1]");
  EXPECT_EQ(bom.as_list()[0].as_int(), 1);
  EXPECT_EQ(bom.as_list()[0].span().column, 2u);
  EXPECT_EQ(bom.as_list()[0].span().begin, 4u);
}

TEST(JsonWriter, Compact) {
  Value v = Value::object({{"a", 1},
                           {"b", Value(List{Value(true), Value(), Value("x")})},
                           {"c", Value::map()},
                           {"d", Value::list()},
                           {"e", -2.5}});
  EXPECT_EQ(to_json(v), R"({"a":1,"b":[true,null,"x"],"c":{},"d":[],"e":-2.5})");
  EXPECT_EQ(to_json(Value()), "null");
  EXPECT_EQ(to_json(Value("s")), "\"s\"");
}

TEST(JsonWriter, EscapesLikeGo) {
  std::string s = "<>&\b\f\t\n\r\x01\x1f\x7f\xE2\x80\xA8\xE2\x80\xA9\xC3\xA9\xF0\x9F\x98\x80\"\\/";
  EXPECT_EQ(to_json(Value(s)),
            "\"\\u003c\\u003e\\u0026\\b\\f\\t\\n\\r\\u0001\\u001f\x7f\\u2028\\u2029\xC3\xA9\xF0\x9F"
            "\x98\x80"
            "\\\"\\\\/\"");
  EXPECT_EQ(to_json(Value(std::string("\0", 1))), "\"\\u0000\"");
  // Invalid UTF-8 becomes U+FFFD, one per bad byte, as in Go.
  EXPECT_EQ(to_json(Value("a\xFF"
                          "b\xC3")),
            "\"a\\ufffdb\\ufffd\"");
  EXPECT_EQ(to_json(Value("\xED\xA0\x80")), "\"\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(to_json(Value::object({{"<k>", 1}})), "{\"\\u003ck\\u003e\":1}");
}

TEST(JsonWriter, Floats) {
  auto f = [](double d) { return to_json(Value(d)); };
  EXPECT_EQ(f(1.5), "1.5");
  EXPECT_EQ(f(0.1), "0.1");
  EXPECT_EQ(f(1.0), "1.0");
  EXPECT_EQ(f(-0.0), "-0.0");
  EXPECT_EQ(f(1e6), "1000000.0");
  EXPECT_EQ(f(1e20), "100000000000000000000.0");
  EXPECT_EQ(f(1e21), "1e+21");
  EXPECT_EQ(f(1.5e-7), "1.5e-7");
  EXPECT_EQ(f(1e-6), "0.000001");
  EXPECT_EQ(f(1e-10), "1e-10");
  EXPECT_EQ(f(-2.5e300), "-2.5e+300");
  EXPECT_EQ(f(5e-324), "5e-324");
  EXPECT_EQ(f(123456789.125), "123456789.125");
  for (double d : {1.5, 0.1, 1.0, 1e20, 1e21, 1.5e-7, 1e-6, 5e-324, 1.7976931348623157e308}) {
    Value back = parse_json(f(d));
    ASSERT_TRUE(back.is_float()) << d;
    EXPECT_EQ(back.as_float(), d);
  }
}

TEST(JsonWriter, NonFiniteFloatsAreErrors) {
  Value v = Value::object({{"ok", 1}, {"bad", std::nan("")}});
  Error e = expect_error([&] { to_json(v); });
  EXPECT_THAT(e.why(), HasSubstr("cannot write NaN as JSON"));
  Error e2 = expect_error([] { to_json_pretty(Value(std::numeric_limits<double>::infinity())); });
  EXPECT_THAT(e2.why(), HasSubstr("infinite"));
}

TEST(JsonWriter, PrettyMatchesKubectl) {
  // What `kubectl ... -o json` printed for the same object (keys in the
  // order kubectl sorts them).
  Value v = Value::object({
      {"apiVersion", "example.com/v1"},
      {"kind", "Foo"},
      {"metadata", Value::object({{"name", "x"}})},
      {"spec",
       Value::object({
           {"a", "<>&\b\f\t\n\r\x01\x7f\xE2\x80\xA8\xE2\x80\xA9\xC3\xA9\xF0\x9F\x98\x80\"\\/"},
           {"b", Value::list()},
           {"c", Value::map()},
           {"d", 1.5e-7},
           {"e", Value(List{Value(1), Value::map()})},
       })},
  });
  EXPECT_EQ(
      to_json_pretty(v),
      "{\n"
      "    \"apiVersion\": \"example.com/v1\",\n"
      "    \"kind\": \"Foo\",\n"
      "    \"metadata\": {\n"
      "        \"name\": \"x\"\n"
      "    },\n"
      "    \"spec\": {\n"
      "        \"a\": "
      "\"\\u003c\\u003e\\u0026\\b\\f\\t\\n\\r\\u0001\x7f\\u2028\\u2029\xC3\xA9\xF0\x9F\x98\x80"
      "\\\"\\\\/\",\n"
      "        \"b\": [],\n"
      "        \"c\": {},\n"
      "        \"d\": 1.5e-7,\n"
      "        \"e\": [\n"
      "            1,\n"
      "            {}\n"
      "        ]\n"
      "    }\n"
      "}\n");
  EXPECT_EQ(to_json_pretty(Value::object({{"a", Value(List{Value(1)})}}), 2),
            "{\n  \"a\": [\n    1\n  ]\n}\n");
  EXPECT_EQ(to_json_pretty(Value(1)), "1\n");
}

TEST(Json, RoundTrip) {
  const std::string text =
      R"({"a":[1,2.5,"x\n\u003c",{"b":null,"c":[[],{}]}],"d":-9223372036854775808,"e":1e+300,"f":true})";
  Value v = parse_json(text);
  EXPECT_EQ(to_json(v), text);
  EXPECT_TRUE(parse_json(to_json_pretty(v)).equals(v, true));
}

}  // namespace
}  // namespace gantry::doc
