// Statements: if/elif/else, for (loop variables, else, filters, unpacking),
// set (scoping, namespaces, blocks), with, macros, raw and comments.
#include <gtest/gtest.h>

#include "unit/template/helpers.h"

namespace gantry::tmpl::test {
namespace {

using doc::List;
using doc::Value;

Value ctx() {
  return Value::object({
      {"items", Value(List{"a", "b", "c"})},
      {"m", Value::object({{"x", 1}, {"y", 2}})},
      {"flag", true},
      {"empty", Value(List{})},
  });
}

TEST(If, BranchesAndTruthiness) {
  EXPECT_EQ(render("{% if flag %}yes{% endif %}", ctx()), "yes");
  EXPECT_EQ(render("{% if not flag %}yes{% else %}no{% endif %}", ctx()), "no");
  EXPECT_EQ(render("{% if empty %}a{% elif items %}b{% else %}c{% endif %}", ctx()), "b");
  EXPECT_EQ(render("{% if 0 %}a{% elif '' %}b{% elif none %}c{% elif {} %}d{% else %}e{% endif %}"),
            "e");
  EXPECT_EQ(render("{% if 0.0 or [] %}t{% else %}f{% endif %}"), "f");
}

TEST(If, UndefinedIsFalseInConditions) {
  EXPECT_EQ(render("{% if missing %}a{% else %}b{% endif %}"), "b");
  EXPECT_EQ(render("{% if not missing %}a{% endif %}"), "a");
  EXPECT_EQ(render("{{ missing or 'fallback' }}"), "fallback");
  EXPECT_EQ(render("{% if m.nokey %}a{% else %}b{% endif %}", ctx()), "b");
}

TEST(For, LoopVariables) {
  EXPECT_EQ(render("{% for i in items %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
                   "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};"
                   "{% endfor %}",
                   ctx()),
            "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;");
}

TEST(For, ElseRunsOnlyWhenEmpty) {
  EXPECT_EQ(render("{% for i in empty %}x{% else %}none{% endfor %}", ctx()), "none");
  EXPECT_EQ(render("{% for i in items %}{{ i }}{% else %}none{% endfor %}", ctx()), "abc");
  EXPECT_EQ(render("{% for i in items if i == 'z' %}{{ i }}{% else %}none{% endfor %}", ctx()),
            "none");
}

TEST(For, MapsStringsAndItems) {
  EXPECT_EQ(render("{% for k in m %}{{ k }}{% endfor %}", ctx()), "xy");
  EXPECT_EQ(render("{% for k, v in m.items() %}{{ k }}={{ v }} {% endfor %}", ctx()), "x=1 y=2 ");
  EXPECT_EQ(render("{% for p in m.items() %}{{ p[0] }}{{ p[1] }}{% endfor %}", ctx()), "x1y2");
  EXPECT_EQ(render("{% for k, v in m|dictsort(reverse=true) %}{{ k }}{% endfor %}", ctx()), "yx");
  EXPECT_EQ(render("{% for c in 'héj' %}[{{ c }}]{% endfor %}"), "[h][é][j]");
  EXPECT_EQ(render("{% for k, v in {'a': [1, 2]}.items() %}{{ v|length }}{% endfor %}"), "2");
}

TEST(For, UnpackingAndFilter) {
  EXPECT_EQ(render("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}"), "3 7 ");
  EXPECT_EQ(render("{% for (a, b) in [[1, 2]] %}{{ a }}{{ b }}{% endfor %}"), "12");
  EXPECT_EQ(render("{% for i in range(10) if i is odd %}{{ i }}/{{ loop.length }} {% endfor %}"),
            "1/5 3/5 5/5 7/5 9/5 ");
  Error e = render_error("{% for a, b in [[1, 2, 3]] %}{% endfor %}");
  EXPECT_NE(e.why().find("cannot unpack a list of 3 items into 2 loop variables"),
            std::string::npos)
      << e.what();
}

TEST(For, NestedLoopsShadowLoop) {
  EXPECT_EQ(render("{% for a in [1, 2] %}{% for b in [1, 2, 3] %}{{ loop.length }}{% endfor %}"
                   "{{ loop.length }}|{% endfor %}"),
            "3332|3332|");
}

TEST(For, CycleAndNeighbours) {
  EXPECT_EQ(render("{% for i in items %}{{ loop.cycle('odd', 'even') }} {% endfor %}", ctx()),
            "odd even odd ");
  EXPECT_EQ(render("{% for i in items %}{{ loop.previtem|default('-') }}{{ i }}"
                   "{{ loop.nextitem|default('-') }} {% endfor %}",
                   ctx()),
            "-ab abc bc- ");
  Error e = render_error("{% for i in [1] %}{{ loop.previtem }}{% endfor %}");
  EXPECT_NE(e.why().find("no previous item"), std::string::npos) << e.what();
}

TEST(For, IteratingNonIterablesFails) {
  Error e = render_error("{% for i in 5 %}{% endfor %}");
  EXPECT_NE(e.why().find("cannot iterate over a int"), std::string::npos) << e.what();
  e = render_error("{% for i in none %}{% endfor %}");
  EXPECT_NE(e.why().find("cannot iterate over a none"), std::string::npos) << e.what();
  e = render_error("{% for i in nope %}{% endfor %}");
  EXPECT_EQ(e.why(), "undefined variable 'nope'");
}

TEST(For, LoopIsUndefinedOutsideLoops) {
  EXPECT_EQ(render("{{ loop is defined }}"), "False");
  EXPECT_EQ(render("{% for i in [1] %}{% endfor %}{{ loop is defined }}{{ i is defined }}"),
            "FalseFalse");
}

TEST(Set, ScopingLikeJinja) {
  // A set inside a for body is local to the iteration and does not leak out.
  EXPECT_EQ(render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}"),
            "121");
  EXPECT_EQ(render("{% for i in [1, 2] %}{{ y is defined }}{% set y = i %}{% endfor %}"),
            "FalseFalse");
  // if does not open a scope.
  EXPECT_EQ(render("{% if true %}{% set z = 5 %}{% endif %}{{ z }}"), "5");
  // Re-assigning replaces.
  EXPECT_EQ(render("{% set x = 1 %}{% set x = x + 1 %}{{ x }}"), "2");
  // Variables shadow the context.
  EXPECT_EQ(render("{% set flag = 'local' %}{{ flag }}", ctx()), "local");
}

TEST(Set, CopiesAreIndependent) {
  EXPECT_EQ(render("{% set x = [1] %}{% set y = x %}{% set x = 2 %}{{ y }}{{ x }}"), "[1]2");
  EXPECT_EQ(
      render("{% set l = [1, 2] %}{% for x in l %}{% set l = [] %}{{ x }}{% endfor %}{{ l }}"),
      "12[1, 2]");
  EXPECT_EQ(render("{% set m2 = m %}{{ m2.x }}", ctx()), "1");
}

TEST(Set, MultipleTargetsAndBlocks) {
  EXPECT_EQ(render("{% set a, b = 1, 'two' %}{{ b }}{{ a }}"), "two1");
  EXPECT_EQ(render("{% set x %}{% for i in [1, 2] %}{{ i }}{% endfor %}!{% endset %}[{{ x }}]"),
            "[12!]");
  EXPECT_EQ(render("{% set x %}inner{% endset %}{{ x|upper }}"), "INNER");
  Error e = render_error("{% set a, b = [1] %}");
  EXPECT_NE(e.why().find("cannot unpack"), std::string::npos) << e.what();
}

TEST(Set, UndefinedValuesStayUndefined) {
  EXPECT_EQ(render("{% set x = missing %}{{ x|default('d') }}{{ x is defined }}"), "dFalse");
  Error e = render_error("{% set x = missing %}{{ x }}");
  EXPECT_EQ(e.why(), "undefined variable 'missing'");
}

TEST(Set, Namespaces) {
  EXPECT_EQ(render("{% set ns = namespace(n=0, names=[]) %}{% for i in items %}"
                   "{% set ns.n = ns.n + 1 %}{% set ns.names = ns.names + [i|upper] %}"
                   "{% endfor %}{{ ns.n }} {{ ns.names|join(',') }}",
                   ctx()),
            "3 A,B,C");
  EXPECT_EQ(render("{% set ns = namespace(a=[1]) %}{% set ns.a = ns.a + [2] %}{{ ns.a }}"),
            "[1, 2]");
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.new = 'v' %}{{ ns.new }}"), "v");
  Error e = render_error("{% set d = {} %}{% set d.x = 1 %}");
  EXPECT_NE(e.why().find("not a namespace() object"), std::string::npos) << e.what();
}

TEST(With, OpensAScope) {
  EXPECT_EQ(render("{% with a = 1, b = 2 %}{{ a + b }}{% set c = 3 %}{% endwith %}"
                   "{{ a is defined }}{{ c is defined }}"),
            "3FalseFalse");
  EXPECT_EQ(render("{% set a = 'outer' %}{% with a = 'inner', b = a %}{{ b }}{% endwith %}"),
            "outer");
}

TEST(Macro, DefaultsKeywordsAndScope) {
  EXPECT_EQ(render("{% macro label(k, v='x') %}{{ k }}: {{ v }}{% endmacro %}"
                   "{{ label('a') }}|{{ label('b', 'y') }}|{{ label(v='z', k='c') }}"),
            "a: x|b: y|c: z");
  // Macros see the context and top-level variables but not the caller's loop variables.
  EXPECT_EQ(render("{% set g = 1 %}{% macro show() %}{{ g }}{{ flag }}{{ i is defined }}"
                   "{% endmacro %}{% for i in [1] %}{{ show() }}{% endfor %}",
                   ctx()),
            "1TrueFalse");
  EXPECT_EQ(render("{% macro m(a) %}{{ a is defined }}{% endmacro %}{{ m() }}"), "False");
  EXPECT_EQ(render("{% macro m() %}x{% endmacro %}{% set f = m %}{{ f() }}{{ m()|length }}"), "x1");
}

TEST(Macro, Recursion) {
  EXPECT_EQ(render("{% macro count(n) %}{% if n > 0 %}{{ n }}{{ count(n - 1) }}{% endif %}"
                   "{% endmacro %}{{ count(4) }}"),
            "4321");
  Error e = render_error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
  EXPECT_NE(e.why().find("nested"), std::string::npos) << e.what();
}

TEST(Macro, ArgumentErrors) {
  Error e = render_error("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}");
  EXPECT_NE(e.why().find("macro 'm' takes at most 1 argument(s), 2 given"), std::string::npos);
  e = render_error("{% macro m(a) %}{% endmacro %}{{ m(b=1) }}");
  EXPECT_NE(e.why().find("macro 'm' has no parameter 'b'"), std::string::npos);
  e = render_error("{% macro m(a) %}{% endmacro %}{{ m(1, a=2) }}");
  EXPECT_NE(e.why().find("multiple values"), std::string::npos);
  e = render_error("{% macro m(a=1, b) %}{% endmacro %}");
  EXPECT_NE(e.why().find("without a default follows"), std::string::npos);
  e = render_error("{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}");
  EXPECT_NE(e.why().find("undefined variable 'a'"), std::string::npos) << e.what();
}

TEST(RawAndComments, AreNotRendered) {
  EXPECT_EQ(render("{% raw %}{{ x }}{% if %}{# c #}{% endraw %}"), "{{ x }}{% if %}{# c #}");
  EXPECT_EQ(render("a{# {{ x }} {% if %} #}b"), "ab");
  EXPECT_EQ(render("a{#\nmulti\nline\n#}b"), "ab");
  EXPECT_EQ(render("{% raw -%}  x  {%- endraw %}"), "x");
}

TEST(Output, PrintsPythonStyle) {
  EXPECT_EQ(render("{{ true }} {{ false }} {{ none }}"), "True False None");
  EXPECT_EQ(render("{{ 1.0 }} {{ 0.5 }} {{ 100.0 }} {{ 1e20 }} {{ -2.5e-7 }}"),
            "1.0 0.5 100.0 1e+20 -2.5e-07");
  EXPECT_EQ(render("{{ [1, 'a', none, true] }} {{ {'k': 'v', 'n': [1.5]} }}"),
            "[1, 'a', None, True] {'k': 'v', 'n': [1.5]}");
  // Differences from Python: tuples and dict views print as lists.
  EXPECT_EQ(render("{{ (1, 2) }} {{ {'a': 1}.items()|list }}"), "[1, 2] [['a', 1]]");
  Value v = Value::object({{"i", int64_t{9007199254740993}}, {"f", 3.0}, {"s", "x"}});
  EXPECT_EQ(render("{{ i }} {{ f }} {{ s }}", v), "9007199254740993 3.0 x");
}

TEST(Output, ObjectsPrintLikeJinja) {
  EXPECT_EQ(render("{% for i in [1, 2] %}{{ loop }}{% endfor %}"),
            "<LoopContext 1/2><LoopContext 2/2>");
  EXPECT_EQ(render("{% macro mm() %}{% endmacro %}{{ mm }}"), "<Macro 'mm'>");
}

}  // namespace
}  // namespace gantry::tmpl::test
