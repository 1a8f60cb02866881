// The YAML writer: kubectl kustomize's output style, byte for byte. Every
// expected string here was checked against `kubectl kustomize` (kustomize
// v5.5.0) output for the same value.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "doc/yaml.h"

namespace gantry::doc {
namespace {

Value list(std::initializer_list<Value> items) {
  return Value(List(items));
}

TEST(YamlWriter, KustomizeLayout) {
  Value v = Value::object({
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", Value::object({{"name", "web"}, {"labels", Value::map()}})},
      {"data", Value::object({
                   {"list", list({"a", Value::object({{"b", 1}, {"c", 2}}), list({"x", "y"}),
                                  Value::list(), Value::map()})},
                   {"nested", list({Value::object({{"k", "v"}})})},
                   {"deep", Value::object({{"a", Value::object({{"b", list({list({1})})}})}})},
               })},
  });
  EXPECT_EQ(to_yaml(v),
            "apiVersion: v1\n"
            "kind: ConfigMap\n"
            "metadata:\n"
            "  name: web\n"
            "  labels: {}\n"
            "data:\n"
            "  list:\n"
            "  - a\n"
            "  - b: 1\n"
            "    c: 2\n"
            "  - - x\n"
            "    - \"y\"\n"
            "  - []\n"
            "  - {}\n"
            "  nested:\n"
            "  - k: v\n"
            "  deep:\n"
            "    a:\n"
            "      b:\n"
            "      - - 1\n");
}

TEST(YamlWriter, RootValues) {
  EXPECT_EQ(to_yaml(Value()), "null\n");
  EXPECT_EQ(to_yaml(Value::map()), "{}\n");
  EXPECT_EQ(to_yaml(Value::list()), "[]\n");
  EXPECT_EQ(to_yaml(Value("hello")), "hello\n");
  EXPECT_EQ(to_yaml(Value("true")), "\"true\"\n");
  EXPECT_EQ(to_yaml(Value(42)), "42\n");
  EXPECT_EQ(to_yaml(Value("a\nb\n")), "|\n  a\n  b\n");
  EXPECT_EQ(to_yaml(list({1, "two", Value()})), "- 1\n- two\n- null\n");
}

TEST(YamlWriter, Streams) {
  EXPECT_EQ(to_yaml_stream({}), "");
  EXPECT_EQ(to_yaml_stream({Value::object({{"a", 1}})}), "a: 1\n");
  EXPECT_EQ(to_yaml_stream({Value::object({{"a", 1}}), Value(), Value::object({{"b", "x\n\n"}})}),
            "a: 1\n---\nnull\n---\nb: |+\n  x\n\n");
  auto docs =
      parse_yaml_stream(to_yaml_stream({Value::object({{"a", "x\n\n"}}), Value(1)}), "s.yaml");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].find("a")->as_string(), "x\n\n");
  EXPECT_EQ(docs[1].as_int(), 1);
}

TEST(YamlWriter, Numbers) {
  auto one = [](Value v) { return to_yaml(v); };
  EXPECT_EQ(one(0), "0\n");
  EXPECT_EQ(one(-17), "-17\n");
  EXPECT_EQ(one(std::numeric_limits<int64_t>::min()), "-9223372036854775808\n");
  EXPECT_EQ(one(std::numeric_limits<int64_t>::max()), "9223372036854775807\n");
  // Floats keep a '.' or an exponent so they read back as floats; the
  // exponent form follows Go's %g (kubectl -o yaml prints 1e+06 too).
  EXPECT_EQ(one(1.0), "1.0\n");
  EXPECT_EQ(one(-0.0), "-0.0\n");
  EXPECT_EQ(one(1.5), "1.5\n");
  EXPECT_EQ(one(0.1), "0.1\n");
  EXPECT_EQ(one(100000.0), "100000.0\n");
  EXPECT_EQ(one(123456.7), "123456.7\n");
  EXPECT_EQ(one(1e6), "1e+06\n");
  EXPECT_EQ(one(1234567.0), "1.234567e+06\n");
  EXPECT_EQ(one(0.0001), "0.0001\n");
  EXPECT_EQ(one(1e-5), "1e-05\n");
  EXPECT_EQ(one(1e21), "1e+21\n");
  EXPECT_EQ(one(18446744073709551615.0), "1.8446744073709552e+19\n");
  EXPECT_EQ(one(5e-324), "5e-324\n");
  EXPECT_EQ(one(std::numeric_limits<double>::infinity()), ".inf\n");
  EXPECT_EQ(one(-std::numeric_limits<double>::infinity()), "-.inf\n");
  EXPECT_EQ(one(std::nan("")), ".nan\n");
  EXPECT_EQ(one(true), "true\n");
  EXPECT_EQ(one(false), "false\n");
  for (double d : {1.0, -0.0, 1e6, 1e-5, 0.1, 1e21, 5e-324, 1.7976931348623157e308}) {
    Value back = parse_yaml(to_yaml(d), "f.yaml");
    ASSERT_TRUE(back.is_float()) << d;
    EXPECT_EQ(back.as_float(), d);
    EXPECT_EQ(std::signbit(back.as_float()), std::signbit(d));
  }
}

struct Quoting {
  const char* value;
  const char* yaml;  // how "k: <value>" is written, after the "k: "
};

void PrintTo(const Quoting& q, std::ostream* os) {
  *os << '`' << q.value << '`';
}

class YamlQuoting : public ::testing::TestWithParam<Quoting> {};

TEST_P(YamlQuoting, MatchesKustomize) {
  const Quoting& q = GetParam();
  std::string out = to_yaml(Value::object({{"k", q.value}}));
  EXPECT_EQ(out, std::string("k: ") + q.yaml + "\n");
  EXPECT_EQ(parse_yaml(out, "q.yaml").find("k")->as_string(), q.value);
}

// Strings that would read back as something else: double quotes.
INSTANTIATE_TEST_SUITE_P(
    NonStrings, YamlQuoting,
    ::testing::Values(Quoting{"true", "\"true\""}, Quoting{"1.0", "\"1.0\""},
                      Quoting{"null", "\"null\""}, Quoting{"012", "\"012\""}, Quoting{"", "\"\""},
                      Quoting{"yes", "\"yes\""}, Quoting{"y", "\"y\""}, Quoting{"on", "\"on\""},
                      Quoting{"N", "\"N\""}, Quoting{"OFF", "\"OFF\""}, Quoting{"0x1F", "\"0x1F\""},
                      Quoting{"1e3", "\"1e3\""}, Quoting{"~", "\"~\""},
                      Quoting{"1_000", "\"1_000\""}, Quoting{"08", "\"08\""},
                      Quoting{".5", "\".5\""}, Quoting{"+1", "\"+1\""}, Quoting{"-1", "\"-1\""},
                      Quoting{"0o17", "\"0o17\""}, Quoting{"0b101", "\"0b101\""},
                      Quoting{".inf", "\".inf\""}, Quoting{"-.Inf", "\"-.Inf\""},
                      Quoting{".NaN", "\".NaN\""}, Quoting{"Null", "\"Null\""},
                      // yaml.v3 also quotes timestamps and base-60 numbers.
                      Quoting{"2001-12-14", "\"2001-12-14\""},
                      Quoting{"2001-12-14T21:59:43.10-05:00", "\"2001-12-14T21:59:43.10-05:00\""},
                      Quoting{"12:30", "\"12:30\""}, Quoting{"190:20:30", "\"190:20:30\""},
                      Quoting{"1:2", "\"1:2\""}));

// Strings plain YAML cannot hold: single quotes.
INSTANTIATE_TEST_SUITE_P(
    SingleQuoted, YamlQuoting,
    ::testing::Values(Quoting{" lead", "' lead'"}, Quoting{"trail ", "'trail '"},
                      Quoting{"a: b", "'a: b'"}, Quoting{"a #b", "'a #b'"}, Quoting{"#x", "'#x'"},
                      Quoting{"- x", "'- x'"}, Quoting{"*x", "'*x'"}, Quoting{"&x", "'&x'"},
                      Quoting{"!x", "'!x'"}, Quoting{"|x", "'|x'"}, Quoting{">x", "'>x'"},
                      Quoting{"'x", "'''x'"}, Quoting{"\"x", "'\"x'"}, Quoting{"%x", "'%x'"},
                      Quoting{"@x", "'@x'"}, Quoting{"`x", "'`x'"}, Quoting{"{x", "'{x'"},
                      Quoting{"[x", "'[x'"}, Quoting{",x", "',x'"}, Quoting{"x:", "'x:'"},
                      Quoting{"- ", "'- '"}, Quoting{"-", "'-'"}, Quoting{":", "':'"},
                      Quoting{"?", "'?'"}, Quoting{"---", "'---'"}, Quoting{"...", "'...'"},
                      Quoting{"a: ", "'a: '"}));

// Plain is fine.
INSTANTIATE_TEST_SUITE_P(
    Plain, YamlQuoting,
    ::testing::Values(Quoting{"hello world", "hello world"}, Quoting{"?x", "?x"},
                      Quoting{"a:b", "a:b"}, Quoting{"a#b", "a#b"}, Quoting{"a,b", "a,b"},
                      Quoting{"1.0.0", "1.0.0"}, Quoting{"=", "="}, Quoting{"<<", "<<"},
                      Quoting{"a  b", "a  b"}, Quoting{"1e400", "1e400"}, Quoting{"nULL", "nULL"},
                      Quoting{"2001-12-14 21:59:43.10 -5", "2001-12-14 21:59:43.10 -5"},
                      Quoting{"\xC3\xA9 \xC3\xBC", "\xC3\xA9 \xC3\xBC"},
                      Quoting{"nbsp\xC2\xA0", "nbsp\xC2\xA0"}, Quoting{"-x", "-x"},
                      Quoting{"http://example.com/a?b=c#d", "http://example.com/a?b=c#d"}));

// Control characters, characters outside the BMP, and breaks that cannot go
// into a literal block: double quotes with escapes.
INSTANTIATE_TEST_SUITE_P(
    Escaped, YamlQuoting,
    ::testing::Values(Quoting{"tab\there", "\"tab\\there\""}, Quoting{"\ttab", "\"\\ttab\""},
                      Quoting{"ctrl\x01", "\"ctrl\\x01\""}, Quoting{"a\rb", "\"a\\rb\""},
                      Quoting{"x\r\ny", "\"x\\r\\ny\""},
                      Quoting{"trailing \nspace", "\"trailing \\nspace\""},
                      Quoting{" \n", "\" \\n\""}, Quoting{"\ta\nb", "\"\\ta\\nb\""},
                      Quoting{"a\n  ", "\"a\\n  \""},
                      Quoting{"emoji \xF0\x9F\x98\x80", "\"emoji \\U0001F600\""},
                      Quoting{"\xC2\x85", "\"\\N\""}, Quoting{"\xEF\xBB\xBFx", "\"\\uFEFFx\""},
                      Quoting{"back\\slash\x7F", "\"back\\\\slash\\x7F\""}));

TEST(YamlWriter, NulInsideString) {
  std::string s("a\0b", 3);
  std::string out = to_yaml(Value::object({{"k", s}}));
  EXPECT_EQ(out, "k: \"a\\0b\"\n");
  EXPECT_EQ(parse_yaml(out, "n.yaml").find("k")->as_string(), s);
}

TEST(YamlWriter, LiteralBlocks) {
  auto w = [](const char* s) { return to_yaml(Value::object({{"k", s}})); };
  EXPECT_EQ(w("line1\nline2\n"), "k: |\n  line1\n  line2\n");
  EXPECT_EQ(w("line1\nline2"), "k: |-\n  line1\n  line2\n");
  EXPECT_EQ(w("line1\nline2\n\n"), "k: |+\n  line1\n  line2\n\n");
  EXPECT_EQ(w("  leading\nspaces"), "k: |2-\n    leading\n  spaces\n");
  EXPECT_EQ(w("\n"), "k: |2+\n\n");
  EXPECT_EQ(w("\n\na"), "k: |2-\n\n\n  a\n");
  EXPECT_EQ(w("a\n b\n"), "k: |\n  a\n   b\n");
  EXPECT_EQ(w("a\n\n\nb"), "k: |-\n  a\n\n\n  b\n");
  EXPECT_EQ(w("x\n  indented\n"), "k: |\n  x\n    indented\n");
  // Long lines in literal blocks are never folded.
  std::string long_line(120, 'x');
  EXPECT_EQ(w((long_line + " y\n").c_str()), "k: |\n  " + long_line + " y\n");
  // Nested: the block is indented under its key, lists at the key's column.
  Value v = Value::object(
      {{"a",
        Value::object({{"list", list({"multi\nline\n", Value::object({{"key", "x\ny"}})})}})}});
  EXPECT_EQ(to_yaml(v),
            "a:\n"
            "  list:\n"
            "  - |\n"
            "    multi\n"
            "    line\n"
            "  - key: |-\n"
            "      x\n"
            "      y\n");
}

TEST(YamlWriter, LongScalarsFoldAt80Columns) {
  // Nested one level, like the data of a ConfigMap in kustomize's output.
  auto w = [](const std::string& s) {
    return to_yaml(Value::object({{"data", Value::object({{"long", s}})}}));
  };
  const std::string words =
      "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr "
      "ssss tttt uuuu";
  EXPECT_EQ(w(words),
            "data:\n"
            "  long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo\n"
            "    pppp qqqq rrrr ssss tttt uuuu\n");
  EXPECT_EQ(w(" " + words),
            "data:\n"
            "  long: ' aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo\n"
            "    pppp qqqq rrrr ssss tttt uuuu'\n");
  EXPECT_EQ(w(words + "\t"),
            "data:\n"
            "  long: \"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo\n"
            "    pppp qqqq rrrr ssss tttt uuuu\\t\"\n");
  // The fold point depends on the column: at the top level it moves.
  EXPECT_EQ(
      to_yaml(Value::object({{"long", words}})),
      "long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n"
      "  qqqq rrrr ssss tttt uuuu\n");
  // A fold point followed by a second space keeps it with an escape.
  std::string two_spaces = std::string(80, 'a') + "  b\t";
  EXPECT_EQ(w(two_spaces), "data:\n  long: \"" + std::string(80, 'a') + "\n    \\ b\\t\"\n");
  // No spaces, no folding.
  std::string word(200, 'z');
  EXPECT_EQ(w(word), "data:\n  long: " + word + "\n");
  for (const std::string& s : {words, " " + words, words + "\t", two_spaces}) {
    EXPECT_EQ(parse_yaml(w(s), "f.yaml").find_path({"data", "long"})->as_string(), s);
  }
}

TEST(YamlWriter, Keys) {
  Value v = Value::object({{"1", "a"},
                           {"true", "b"},
                           {"y", "c"},
                           {"<<", "d"},
                           {"a: b", "e"},
                           {"", "f"},
                           {"key with space", "g"},
                           {"k906 true", "h"}});
  EXPECT_EQ(to_yaml(v),
            "\"1\": a\n"
            "\"true\": b\n"
            "\"y\": c\n"
            "\"<<\": d\n"
            "'a: b': e\n"
            "\"\": f\n"
            "key with space: g\n"
            "k906 true: h\n");
  Value back = parse_yaml(to_yaml(v), "k.yaml");
  EXPECT_TRUE(back.equals(v, true));
}

TEST(YamlWriter, ComplexKeys) {
  std::string long_key = "k904 " + std::string(130, 'x');
  Value v = Value::object({{long_key, 1}, {"k905\nmulti", 2}, {"z", Value::object({{"a", 1}})}});
  EXPECT_EQ(to_yaml(v), "? " + long_key +
                            "\n"
                            ": 1\n"
                            "? |-\n"
                            "  k905\n"
                            "  multi\n"
                            ": 2\n"
                            "z:\n"
                            "  a: 1\n");
  EXPECT_TRUE(parse_yaml(to_yaml(v), "c.yaml").equals(v, true));
  // A complex key whose value is a collection.
  Value w = Value::object({{long_key, Value::object({{"a", 1}, {"b", 2}})}, {"l", 0}});
  EXPECT_EQ(to_yaml(w), "? " + long_key + "\n: a: 1\n  b: 2\nl: 0\n");
  EXPECT_TRUE(parse_yaml(to_yaml(w), "c.yaml").equals(w, true));
  Value x = Value::object({{long_key, list({1, 2})}});
  EXPECT_EQ(to_yaml(x), "? " + long_key + "\n: - 1\n  - 2\n");
  EXPECT_TRUE(parse_yaml(to_yaml(x), "c.yaml").equals(x, true));
}

TEST(YamlWriter, InvalidUtf8IsWrittenAsBinary) {
  std::string bytes("\xFF\xFE\x00x", 4);
  Value v = Value::object({{"data", bytes}, {std::string("k\xFF"), 1}});
  EXPECT_EQ(to_yaml(v), "data: !!binary //4AeA==\n!!binary a/8=: 1\n");
  Value back = parse_yaml(to_yaml(v), "b.yaml");
  EXPECT_EQ(back.find("data")->as_string(), bytes);
  EXPECT_TRUE(back.contains(std::string("k\xFF")));
}

TEST(YamlWriter, MapOrderIsKept) {
  Value v = Value::object({{"zeta", 1}, {"alpha", 2}, {"mid", 3}});
  EXPECT_EQ(to_yaml(v), "zeta: 1\nalpha: 2\nmid: 3\n");
}

TEST(YamlWriter, RereadingTheOutputGivesTheSameText) {
  const std::string text =
      "apiVersion: apps/v1\n"
      "kind: Deployment\n"
      "metadata:\n"
      "  name: web\n"
      "  annotations:\n"
      "    checksum: \"0123\"\n"
      "    note: 'a: b'\n"
      "spec:\n"
      "  replicas: 3\n"
      "  template:\n"
      "    spec:\n"
      "      containers:\n"
      "      - name: web\n"
      "        image: nginx:1.25\n"
      "        args:\n"
      "        - --port=80\n"
      "        - \"true\"\n"
      "        env: []\n"
      "        script: |\n"
      "          echo hi\n"
      "          exit 0\n";
  EXPECT_EQ(to_yaml(parse_yaml(text, "d.yaml")), text);
}

}  // namespace
}  // namespace gantry::doc
