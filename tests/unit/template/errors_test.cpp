// Errors: every failure is a gantry::Error with file:line:column and a clear
// message; undefined values are strict; limits are enforced.
#include <gtest/gtest.h>

#include <string>

#include "unit/template/helpers.h"

namespace gantry::tmpl::test {
namespace {

using doc::List;
using doc::Value;

void expect_error(std::string_view source, std::string_view why, uint32_t line, uint32_t column,
                  const Value& ctx = Value::map()) {
  Error e = render_error(source, ctx);
  EXPECT_EQ(e.why(), why) << "template: " << source << "\nerror: " << e.what();
  EXPECT_EQ(e.where().file, "test.j2") << source;
  EXPECT_EQ(e.where().line, line) << source << "\nerror: " << e.what();
  EXPECT_EQ(e.where().column, column) << source << "\nerror: " << e.what();
}

Value ctx() {
  return Value::object({{"a", Value::object({{"b", 1}})},
                        {"s", "text"},
                        {"items", Value(List{1, 2, 3})},
                        {"f", "not a function"}});
}

TEST(Undefined, NamesTheVariableWithItsLocation) {
  expect_error("{{ missing }}", "undefined variable 'missing'", 1, 4);
  expect_error("line one\n  value: {{ a.missing }}",
               "undefined variable 'a.missing': the map has no key 'missing'", 2, 13, ctx());
  expect_error("{{ a['nope'] }}", "undefined variable 'a['nope']': the map has no key 'nope'", 1, 4,
               ctx());
  expect_error("{{ s.bar }}", "undefined variable 's.bar': a string has no attribute 'bar'", 1, 4,
               ctx());
  expect_error("{{ items[5] }}",
               "undefined variable 'items[5]': index out of range (the list has 3 items)", 1, 4,
               ctx());
  expect_error("{{ a.b.c.d }}", "undefined variable 'a.b.c': a int has no attribute 'c'", 1, 4,
               ctx());
}

TEST(Undefined, IsStrictWhenUsed) {
  expect_error("{{ missing.x }}", "undefined variable 'missing'", 1, 4);
  expect_error("{{ 1 + missing }}", "undefined variable 'missing'", 1, 8);
  expect_error("{{ missing|upper }}", "undefined variable 'missing'", 1, 4);
  expect_error("{{ 'x' ~ missing }}", "undefined variable 'missing'", 1, 10);
  expect_error("{{ missing == 1 }}", "undefined variable 'missing'", 1, 4);
  expect_error("{{ [missing] }}", "undefined variable 'missing'", 1, 5);
  expect_error("{% for x in missing %}{% endfor %}", "undefined variable 'missing'", 1, 13);
  expect_error("{{ missing is odd }}", "undefined variable 'missing'", 1, 4);
  expect_error("{{ missing.x is defined }}", "undefined variable 'missing'", 1, 4);
}

TEST(Undefined, AcceptedWhereJinjaAcceptsIt) {
  EXPECT_EQ(
      render("{{ missing is defined }}{{ missing is undefined }}{{ a.zz is defined }}", ctx()),
      "FalseTrueFalse");
  EXPECT_EQ(render("{{ missing|default('x') }}{{ missing|d('y') }}{{ a.zz|default(0) }}", ctx()),
            "xy0");
  EXPECT_EQ(render("{% if missing %}t{% else %}f{% endif %}"), "f");
  EXPECT_EQ(render("{{ missing is string }}{{ missing is none }}{{ missing is mapping }}"),
            "FalseFalseFalse");
  EXPECT_EQ(render("{{ 'x' if missing is defined else 'y' }}"), "y");
  EXPECT_EQ(render("{{ missing is defined and missing.x }}"), "False");
}

TEST(Syntax, UnclosedBlocksNameTheOpeningLine) {
  expect_error("{% if x %}\nabc\n",
               "unexpected end of template: expected {% endif %} for {% if %} opened at line 1", 2,
               4);
  expect_error("a\n{% for i in x %}\n{% if y %}{% endif %}",
               "unexpected end of template: expected {% endfor %} for {% for %} opened at line 2",
               3, 22);
  expect_error("{% if x %}\n{% endfor %}",
               "unexpected {% endfor %}; expected {% endif %} for {% if %} opened at line 1", 2, 4);
  expect_error("{% set x %}abc",
               "unexpected end of template: expected {% endset %} for {% set %} opened at line 1",
               1, 15);
  expect_error("{% endif %}", "unexpected {% endif %} without a matching opening statement", 1, 4);
  expect_error("{% else %}", "unexpected {% else %} without a matching opening statement", 1, 4);
}

TEST(Syntax, BadTagsAndExpressions) {
  expect_error("ab {{ x", "'{{' is never closed (expected '}}')", 1, 4);
  expect_error("{% if x", "'{%' is never closed (expected '%}')", 1, 1);
  expect_error("x\n{# comment", "missing end of comment tag '#}'", 2, 1);
  expect_error("{% raw %}abc", "missing {% endraw %} for {% raw %}", 1, 1);
  expect_error("{{ 'abc }}", "unterminated string literal", 1, 4);
  expect_error("{{ (1 }}", "unexpected '}', expected ')'", 1, 7);
  expect_error("{{ 1 +* 2 }}", "unexpected '*' in expression", 1, 7);
  expect_error("{{ }}", "expected an expression, found '}}'", 1, 4);
  expect_error("{{ 1 2 }}", "expected '}}' to end the expression, found integer 2", 1, 6);
  expect_error("{% foo %}", "unknown statement {% foo %}", 1, 4);
  expect_error("{% extends 'base' %}", "{% extends %} is not supported", 1, 4);
  expect_error("{% for x of y %}{% endfor %}", "expected 'in' in {% for %}, found name 'of'", 1,
               10);
  expect_error("{% if true %}{% else %}{% elif x %}{% endif %}",
               "unexpected {% elif %}; expected {% endif %} for {% if %} opened at line 1", 1, 27);
  expect_error("{{ 99999999999999999999 }}", "integer literal is too large (integers are 64-bit)",
               1, 4);
  expect_error("{{ a @ b }}", "unexpected character '@' in expression", 1, 6);
  expect_error("{% set true = 1 %}", "cannot assign to 'true'", 1, 8);
}

TEST(Syntax, UnknownFiltersAndTestsFailAtParseTime) {
  // Even in a branch that never runs: typos are found before rendering.
  expect_error("{% if false %}\n  {{ x | nope }}\n{% endif %}", "unknown filter 'nope'", 2, 10);
  expect_error("{{ x is nope }}", "unknown test 'nope'", 1, 9);
}

TEST(Types, OperatorErrors) {
  expect_error("{{ 1 + 'a' }}", "unsupported operand types for +: 'int' and 'string'", 1, 6);
  expect_error("{{ none - 1 }}", "unsupported operand types for -: 'none' and 'int'", 1, 9);
  expect_error("{{ [1] * 'x' }}", "unsupported operand types for *: 'list' and 'string'", 1, 8);
  expect_error("{{ 1 / 0 }}", "division by zero", 1, 6);
  expect_error("{{ 1 // 0 }}", "division by zero", 1, 6);
  expect_error("{{ 5 % 0 }}", "modulo by zero", 1, 6);
  expect_error("{{ 1.5 / 0 }}", "division by zero", 1, 8);
  expect_error("{{ 1 < 'a' }}", "'<' is not supported between 'int' and 'string'", 1, 6);
  expect_error("{{ 9223372036854775807 + 1 }}", "integer overflow (integers are 64-bit)", 1, 24);
  expect_error("{{ 2 ** 64 }}", "integer overflow (integers are 64-bit)", 1, 6);
  expect_error("{{ -'a' }}", "bad operand type for unary -: 'string'", 1, 4);
  expect_error("{{ 1 in 'abc' }}", "'in <string>' requires a string as left operand, not int", 1,
               6);
  expect_error("{{ 1 in 5 }}", "argument of type 'int' is not iterable (right of 'in')", 1, 6);
  expect_error("{{ 'a' % 1 }}",
               "'%' string formatting is not supported; use the format filter or '~'", 1, 8);
}

TEST(Types, CallErrors) {
  expect_error("{{ f() }}", "'f' is not callable", 1, 4, ctx());
  expect_error("{{ nofunc(1) }}", "undefined function 'nofunc'", 1, 4);
  expect_error("{{ s.nomethod() }}", "a string has no method 'nomethod'", 1, 4, ctx());
  expect_error("{{ (1).real() }}", "a int has no method 'real'", 1, 5);
  Error e = render_error("{{ items.append(4) }}", ctx());
  EXPECT_NE(e.why().find("list.append() is not supported"), std::string::npos) << e.what();
  expect_error("{{ 'abc'|replace('a') }}", "filter 'replace' needs the old and new strings", 1, 10);
  expect_error("{{ 'abc'|upper(1) }}", "filter 'upper' takes at most 0 argument(s), 1 given", 1,
               10);
  expect_error("{{ 'abc'|indent(foo=1) }}", "filter 'indent' has no parameter 'foo'", 1, 10);
  expect_error("{{ 'x'|indent(2, width=3) }}",
               "filter 'indent' got more than one value for 'width'", 1, 8);
  expect_error("{{ 2.5|round('x') }}",
               "filter 'round': argument 'precision' must be an integer, not string", 1, 8);
  expect_error("{{ range(1, 2, 0) }}", "range(): step must not be zero", 1, 4);
  expect_error("{{ raise('custom failure') }}", "custom failure", 1, 4);
}

TEST(Limits, OutputSize) {
  Limits limits;
  limits.max_output_bytes = 100;
  Engine engine({}, limits);
  Error e = render_error("{% for i in range(1000) %}x{% endfor %}", Value::map(), &engine);
  EXPECT_EQ(e.why(), "template output exceeds the limit of 100 bytes");
  e = render_error("{{ 'x' * 1000 }}", Value::map(), &engine);
  EXPECT_NE(e.why().find("exceeds the output limit of 100 bytes"), std::string::npos) << e.what();
  e = render_error(
      "{% set s = 'xxxxxxxxxx' %}{% set ns = namespace(s=s) %}"
      "{% for i in range(10) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
      Value::map(), &engine);
  EXPECT_NE(e.why().find("exceeds the output limit"), std::string::npos) << e.what();
  EXPECT_EQ(engine.render("{{ 'x' * 100 }}", "t", Value::map()).size(), 100u);
}

TEST(Limits, LoopIterations) {
  Limits limits;
  limits.max_loop_iterations = 50;
  Engine engine({}, limits);
  Error e = render_error("{% for i in range(10) %}{% for j in range(10) %}{% endfor %}{% endfor %}",
                         Value::map(), &engine);
  EXPECT_EQ(e.why(), "loop iteration limit of 50 exceeded");
  EXPECT_EQ(e.where().line, 1u);
  e = render_error("{{ range(100)|length }}", Value::map(), &engine);
  EXPECT_EQ(e.why(), "range() of 100 items exceeds the limit of 50");
  e = render_error("{{ [1] * 100 }}", Value::map(), &engine);
  EXPECT_NE(e.why().find("exceeds the limit of 50 items"), std::string::npos) << e.what();
  // Building a list with range() or walking one in a filter counts as well.
  EXPECT_EQ(engine.render("{% for i in range(25) %}{% endfor %}ok", "t", Value::map()), "ok");
  e = render_error("{% for i in range(20) %}{{ range(20)|sum }}{% endfor %}", Value::map(),
                   &engine);
  EXPECT_EQ(e.why(), "loop iteration limit of 50 exceeded");
}

TEST(Limits, Nesting) {
  std::string deep = "{{ " + std::string(300, '(') + "1" + std::string(300, ')') + " }}";
  Error e = render_error(deep);
  EXPECT_NE(e.why().find("nested too deeply"), std::string::npos) << e.what();

  std::string chain = "{{ 1";
  for (int i = 0; i < 300; ++i)
    chain += " + 1";
  e = render_error(chain + " }}");
  EXPECT_NE(e.why().find("nested too deeply"), std::string::npos) << e.what();

  std::string attrs = "{{ a";
  for (int i = 0; i < 500; ++i)
    attrs += ".b";
  e = render_error(attrs + " }}");
  EXPECT_NE(e.why().find("nested too deeply"), std::string::npos) << e.what();

  std::string ifs;
  for (int i = 0; i < 150; ++i)
    ifs += "{% if true %}";
  e = render_error(ifs);
  EXPECT_NE(e.why().find("statements are nested too deeply"), std::string::npos) << e.what();

  // Moderate nesting is fine.
  std::string ok = "{{ " + std::string(50, '(') + "1" + std::string(50, ')') + " }}";
  EXPECT_EQ(render(ok), "1");
}

TEST(Errors, StringIncludesLocation) {
  Error e = render_error("\n\n   {{ nope }}");
  EXPECT_EQ(std::string(e.what()), "test.j2:3:7: undefined variable 'nope'");
  EXPECT_EQ(e.code(), ExitCode::kInvalidInput);
}

}  // namespace
}  // namespace gantry::tmpl::test
