// The Engine API: evaluate / evaluate_condition, whitespace and newline
// handling decisions, contexts, and concurrent use of one Engine.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/fixtures.h"
#include "unit/template/helpers.h"

namespace gantry::tmpl::test {
namespace {

using doc::List;
using doc::Value;

Value ctx() {
  return Value::object({{"args", Value::object({{"environment", "staging"}, {"replicas", 3}})},
                        {"items", Value(List{"a", "b"})},
                        {"enabled", false}});
}

TEST(Evaluate, ReturnsTypedValues) {
  Engine e;
  EXPECT_EQ(e.evaluate("args.replicas * 2", "when", ctx()), Value(6));
  EXPECT_EQ(e.evaluate("args.environment", "when", ctx()), Value("staging"));
  EXPECT_EQ(e.evaluate("items|length", "when", ctx()), Value(2));
  EXPECT_EQ(e.evaluate("[1, 'x']", "when", ctx()), Value(List{1, "x"}));
  EXPECT_EQ(e.evaluate("{'a': items}", "when", ctx()),
            Value::object({{"a", Value(List{"a", "b"})}}));
  EXPECT_EQ(e.evaluate("args.missing is defined", "when", ctx()), Value(false));
  EXPECT_EQ(e.evaluate("args.missing|default(1.5)", "when", ctx()), Value(1.5));
  EXPECT_TRUE(e.evaluate("none", "when", ctx()).is_null());
  // "}}" has no special meaning in a bare expression.
  EXPECT_EQ(e.evaluate("{'a': {'b': 1}}", "when", ctx()),
            Value::object({{"a", Value::object({{"b", 1}})}}));
}

TEST(Evaluate, ErrorsCarryTheNameAndColumn) {
  Engine e;
  try {
    e.evaluate("args.environment == nope", "deployment.yaml", ctx());
    FAIL() << "expected an error";
  } catch (const Error& err) {
    EXPECT_EQ(err.why(), "undefined variable 'nope'");
    EXPECT_EQ(err.where().str(), "deployment.yaml:1:21");
  }
  try {
    e.evaluate("1 +", "deployment.yaml", ctx());
    FAIL() << "expected an error";
  } catch (const Error& err) {
    EXPECT_EQ(err.why(), "unexpected end of template in expression");
    EXPECT_EQ(err.where().str(), "deployment.yaml:1:4");
  }
  try {
    e.evaluate("1 2", "d", ctx());
    FAIL() << "expected an error";
  } catch (const Error& err) {
    EXPECT_EQ(err.why(), "unexpected integer 2 after expression");
  }
}

TEST(Evaluate, ConditionsUseJinjaTruthiness) {
  Engine e;
  EXPECT_TRUE(e.evaluate_condition("args.environment == 'staging'", "c", ctx()));
  EXPECT_FALSE(e.evaluate_condition("enabled", "c", ctx()));
  EXPECT_FALSE(e.evaluate_condition("[]", "c", ctx()));
  EXPECT_FALSE(e.evaluate_condition("''", "c", ctx()));
  EXPECT_FALSE(e.evaluate_condition("0", "c", ctx()));
  EXPECT_FALSE(e.evaluate_condition("{}", "c", ctx()));
  EXPECT_TRUE(e.evaluate_condition("items", "c", ctx()));
  EXPECT_TRUE(e.evaluate_condition("'false'", "c", ctx()));
  // Undefined is false, as in {% if %}.
  EXPECT_FALSE(e.evaluate_condition("args.nope", "c", ctx()));
  EXPECT_TRUE(e.evaluate_condition("args.nope is not defined", "c", ctx()));
  // But using an undefined value is still an error.
  EXPECT_THROW(e.evaluate_condition("args.nope.deeper", "c", ctx()), Error);
}

TEST(Whitespace, TrailingNewlineIsDroppedLikeJinja) {
  // kluctl renders with Jinja2's default keep_trailing_newline=False: exactly
  // one trailing newline of the template is removed.
  EXPECT_EQ(render("a: 1\n"), "a: 1");
  EXPECT_EQ(render("a: 1\n\n"), "a: 1\n");
  EXPECT_EQ(render("a: 1"), "a: 1");
  EXPECT_EQ(render("{{ 'x' }}\n"), "x");
  EXPECT_EQ(render("{{ 'x\\n' }}"), "x\n");  // output newlines are kept
  EXPECT_EQ(render("\n"), "");
  EXPECT_EQ(render(""), "");
}

TEST(Whitespace, NewlinesAreNormalised) {
  EXPECT_EQ(render("a\r\nb\rc\n"), "a\nb\nc");
  EXPECT_EQ(render("{{ 'x\r\ny' }}"), "x\ny");
}

TEST(Whitespace, ControlCharacters) {
  EXPECT_EQ(render("a  \n  {{- 'b' -}}  \n  c"), "abc");
  EXPECT_EQ(render("{{-'x'-}}"), "x");
  EXPECT_EQ(render("{{ 5 -1 }}|{{ 5 -}} |"), "4|5|");
  EXPECT_EQ(render("x\n{%- if true %}\ny{% endif -%}\n\nz"), "x\nyz");
  EXPECT_EQ(render("a\n  {# c #}\nb"), "a\n  \nb");
  EXPECT_EQ(render("a\n  {#- c -#}\nb"), "ab");
  EXPECT_EQ(render("{%- raw %} {{ }} {% endraw -%}  !"), " {{ }} !");
  // No trim_blocks/lstrip_blocks: the newline after a block tag is output.
  EXPECT_EQ(render("{% if true %}\nx\n{% endif %}\n"), "\nx\n");
}

TEST(Context, NonMapContextsAndUnicode) {
  Engine e;
  EXPECT_EQ(e.render("{{ 1 + 1 }}", "t", Value()), "2");
  EXPECT_THROW(e.render("{{ x }}", "t", Value()), Error);
  EXPECT_EQ(e.render("{{ s|upper }} {{ s|length }}", "t", Value::object({{"s", "grüße"}})),
            "GRüßE 5");
}

TEST(Context, ValuesAreNotCopiedOrChanged) {
  Value c = ctx();
  const Value before = c;
  Engine e;
  e.render("{% set x = args %}{% set ns = namespace(v=args) %}{% set ns.v = 1 %}{{ x.replicas }}",
           "t", c);
  EXPECT_TRUE(c.equals(before, true));
}

TEST(Engine, ConcurrentRendersShareTheCache) {
  gantry::testing::TempDir d;
  d.write("part.j2", "{{ n * 2 }}");
  auto main = d.write("main.j2", "{% for i in range(3) %}{% include 'part.j2' %},{% endfor %}");
  Engine e;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Value c = Value::object({{"n", t}});
        std::string want;
        for (int k = 0; k < 3; ++k)
          want += std::to_string(t * 2) + ",";
        if (e.render_file(main, c) != want) ++failures;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace gantry::tmpl::test
