// How plain scalars resolve: the table kubectl (sigs.k8s.io/yaml, go-yaml v2)
// applies. tests/integration/yaml_kubectl_test.cpp checks the same cases
// against the real kubectl.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <string>

#include "doc/yaml.h"

namespace gantry::doc {
namespace {

Value resolve(const std::string& scalar) {
  Value doc = parse_yaml("v: " + scalar + "\n", "resolve.yaml");
  const Value* v = doc.find("v");
  if (!v) throw std::runtime_error("no value");
  return *v;
}

struct Case {
  const char* yaml;
  Type type;
  // The expected value, for the type above.
  bool b = false;
  int64_t i = 0;
  double d = 0;
  const char* s = nullptr;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << '`' << c.yaml << '`';
}

Case null_(const char* y) {
  return Case{y, Type::kNull};
}
Case bool_(const char* y, bool b) {
  return Case{y, Type::kBool, b};
}
Case int_(const char* y, int64_t i) {
  return Case{y, Type::kInt, false, i};
}
Case float_(const char* y, double d) {
  return Case{y, Type::kFloat, false, 0, d};
}
Case str_(const char* y, const char* s) {
  return Case{y, Type::kString, false, 0, 0, s};
}
Case str_(const char* y) {
  return str_(y, y);
}

class Resolution : public ::testing::TestWithParam<Case> {};

TEST_P(Resolution, MatchesKubectl) {
  const Case& c = GetParam();
  Value v = resolve(c.yaml);
  ASSERT_EQ(v.type(), c.type) << c.yaml << " resolved to a " << type_name(v.type());
  switch (c.type) {
    case Type::kBool:
      EXPECT_EQ(v.as_bool(), c.b) << c.yaml;
      break;
    case Type::kInt:
      EXPECT_EQ(v.as_int(), c.i) << c.yaml;
      break;
    case Type::kFloat:
      if (std::isnan(c.d)) {
        EXPECT_TRUE(std::isnan(v.as_float())) << c.yaml;
      } else {
        EXPECT_EQ(v.as_float(), c.d) << c.yaml;
        EXPECT_EQ(std::signbit(v.as_float()), std::signbit(c.d)) << c.yaml;
      }
      break;
    case Type::kString:
      EXPECT_EQ(v.as_string(), c.s) << c.yaml;
      break;
    default:
      break;
  }
}

constexpr double kInf = std::numeric_limits<double>::infinity();

INSTANTIATE_TEST_SUITE_P(Null, Resolution,
                         ::testing::Values(null_("null"), null_("~"), null_("Null"), null_("NULL"),
                                           null_(""), str_("nULL"), str_("'null'", "null"),
                                           str_("\"~\"", "~")));

// YAML 1.1 booleans: kubectl really turns yes/no/on/off/y/n into booleans.
INSTANTIATE_TEST_SUITE_P(
    Bool, Resolution,
    ::testing::Values(bool_("true", true), bool_("True", true), bool_("TRUE", true),
                      bool_("false", false), bool_("False", false), bool_("FALSE", false),
                      bool_("yes", true), bool_("Yes", true), bool_("YES", true), bool_("y", true),
                      bool_("Y", true), bool_("on", true), bool_("On", true), bool_("ON", true),
                      bool_("no", false), bool_("No", false), bool_("NO", false), bool_("n", false),
                      bool_("N", false), bool_("off", false), bool_("Off", false),
                      bool_("OFF", false), str_("tRUE"), str_("yEs"), str_("oN"),
                      str_("'yes'", "yes"), str_("\"true\"", "true")));

INSTANTIATE_TEST_SUITE_P(Int, Resolution,
                         ::testing::Values(int_("0", 0), int_("12", 12), int_("+1", 1),
                                           int_("-1", -1), int_("-0", 0), int_("0x1F", 31),
                                           int_("0X1F", 31), int_("-0x1F", -31), int_("+0x10", 16),
                                           int_("0o17", 15), int_("017", 15), int_("-017", -15),
                                           int_("00", 0), int_("0b101", 5), int_("1_000", 1000),
                                           int_("1__0", 10), int_("0x_1F", 31),
                                           int_("9223372036854775807", INT64_MAX),
                                           int_("-9223372036854775808", INT64_MIN)));

INSTANTIATE_TEST_SUITE_P(BigInt, Resolution,
                         ::testing::Values(float_("9223372036854775808", 9223372036854775808.0),
                                           float_("18446744073709551615", 18446744073709551615.0),
                                           float_("0xFFFFFFFFFFFFFFFF", 18446744073709551615.0),
                                           float_("18446744073709551616", 18446744073709551616.0),
                                           float_("99999999999999999999999", 1e23),
                                           float_("-9223372036854775809", -9223372036854775809.0),
                                           str_("0x1FFFFFFFFFFFFFFFFF")));

INSTANTIATE_TEST_SUITE_P(
    Float, Resolution,
    ::testing::Values(float_("1.5", 1.5), float_("1e3", 1000), float_("1E3", 1000),
                      float_(".5", 0.5), float_("-.5", -0.5), float_("+.5", 0.5), float_("1.", 1),
                      float_("1.0", 1), float_("0.1", 0.1), float_("1_0.5", 10.5),
                      float_("6.8523015e+5", 685230.15), float_("1.5e-7", 1.5e-7),
                      float_("-0.0", -0.0), float_("08", 8), float_("09.5", 9.5), float_("0.", 0),
                      float_("1e-400", 0), float_("-1e-400", -0.0), float_(".5_5", 0.55),
                      float_(".inf", kInf), float_(".Inf", kInf), float_(".INF", kInf),
                      float_("+.inf", kInf), float_("-.inf", -kInf), float_("-.Inf", -kInf),
                      float_(".nan", std::nan("")), float_(".NaN", std::nan("")),
                      float_(".NAN", std::nan("")), str_("1e400"), str_("-1e400"), str_("1e"),
                      str_("."), str_(".Inf2"), str_("inf"), str_("nan"), str_("._5"),
                      str_("1e3.5")));

INSTANTIATE_TEST_SUITE_P(
    Strings, Resolution,
    ::testing::Values(str_("2001-12-14"), str_("2001-12-14T21:59:43.10-05:00"),
                      str_("2001-12-14 21:59:43.10 -5"), str_("\"1.0.0\"", "1.0.0"), str_("1.0.0"),
                      str_("0.1.0"), str_("1.2.3"), str_("12:30"), str_("190:20:30"), str_("1,000"),
                      str_("0x"), str_("0o"), str_("0x1G"), str_("_1"), str_("="), str_("<<"),
                      str_("-x"), str_("+"), str_("0b2"), str_("'123'", "123"),
                      str_("\"0x1F\"", "0x1F"), str_("v1.2"), str_("1-2"), str_("+-1")));

}  // namespace
}  // namespace gantry::doc
