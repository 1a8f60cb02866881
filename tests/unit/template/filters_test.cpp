// Filters beyond the Jinja2 comparison table: kluctl's (b64encode,
// b64decode, sha256, slugify, to_json, to_yaml, from_yaml, render), regexes
// on RE2, Ansible-style helpers and argument handling.
#include <gtest/gtest.h>

#include "doc/yaml.h"
#include "unit/template/helpers.h"

namespace gantry::tmpl::test {
namespace {

using doc::List;
using doc::Value;

Value ctx() {
  return Value::object({
      {"who", "you"},
      {"cfg", Value::object({{"name", "api"},
                             {"replicas", 2},
                             {"ports", Value(List{80, 443})},
                             {"labels", Value::object({{"app", "api"}, {"tier", "web"}})}})},
      {"a", Value::object({{"b", Value::object({{"c", 7}})}})},
  });
}

TEST(Filters, Base64) {
  EXPECT_EQ(render("{{ 'hello'|b64encode }}"), "aGVsbG8=");
  EXPECT_EQ(render("{{ 'héllo'|b64encode }}"), "aMOpbGxv");
  EXPECT_EQ(render("{{ 'aGVsbG8='|b64decode }}"), "hello");
  EXPECT_EQ(render("{{ 'secret'|b64encode|b64decode }}"), "secret");
  EXPECT_EQ(render("{{ 42|b64encode }}"), "NDI=");
  Error e = render_error("{{ '!!!'|b64decode }}");
  EXPECT_EQ(e.why(), "filter 'b64decode': the input is not valid base64");
}

TEST(Filters, Sha256) {
  EXPECT_EQ(render("{{ 'hello'|sha256 }}"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(render("{{ 'hello'|sha256(8) }}"), "2cf24dba");
  EXPECT_EQ(render("{{ 'hello'|sha256(digest_len=4) }}"), "2cf2");
  EXPECT_EQ(render("{{ 'hello'|sha256(100)|length }}"), "64");
}

TEST(Filters, SlugifyLikePythonSlugify) {
  // Expected values from python-slugify (kluctl's slugify filter).
  const std::pair<const char*, const char*> cases[] = {
      {"Hello World", "hello-world"},
      {"feature/Foo_Bar", "feature-foo-bar"},
      {"  --Déjà Vu--  ", "deja-vu"},
      {"it's", "it-s"},
      {"1,000 items", "1000-items"},
      {"a&amp;b", "a-b"},
      {"ÄÖÜ ß straße", "aou-ss-strasse"},
      {"Ærøskøbing", "aeroskobing"},
      {"a--b__c", "a-b-c"},
      {"UPPER.case", "upper-case"},
      {"x&#39;y", "xy"},
      {"x&#x41;y", "xay"},
      {"tab\tsep", "tab-sep"},
      {"", ""},
      {"---", ""},
      {"Ça va? Très bien!", "ca-va-tres-bien"},
      {"v1.2.3-rc.1", "v1-2-3-rc-1"},
      {"Œuvre ŁÓDŹ", "oeuvre-lodz"},
  };
  Engine engine;
  for (const auto& [in, want] : cases) {
    Value c = Value::object({{"s", in}});
    EXPECT_EQ(engine.render("{{ s|slugify }}", "t", c), want) << "input: " << in;
  }
  // Scripts without an ASCII transliteration separate words (python-slugify
  // would transliterate them).
  EXPECT_EQ(render("{{ '日本 text'|slugify }}"), "text");
}

TEST(Filters, ToJson) {
  // Compact, keys in map order, like gantry's (and kubectl's) JSON writer.
  EXPECT_EQ(render("{{ {'b': 'é', 'a': [1, 2.0, none, true], 'c': 'x\"y\\n'}|to_json }}"),
            R"({"b":"é","a":[1,2.0,null,true],"c":"x\"y\n"})");
  EXPECT_EQ(render("{{ cfg.labels|to_json }}", ctx()), R"({"app":"api","tier":"web"})");
  EXPECT_EQ(render("{{ {'z': 1, 'a': {'q': []}}|to_json(indent=2) }}"),
            "{\n  \"z\": 1,\n  \"a\": {\n    \"q\": []\n  }\n}");
  EXPECT_EQ(render("{{ 'plain'|to_json }} {{ 3|to_json }} {{ none|to_json }}"),
            R"("plain" 3 null)");
  Error e = render_error("{{ (1e308 * 10)|to_json }}");
  EXPECT_NE(e.why().find("filter 'to_json': "), std::string::npos) << e.what();
}

TEST(Filters, TojsonIsJinjas) {
  // Python's json.dumps with sorted keys, HTML-special characters escaped.
  EXPECT_EQ(render("{{ {'z': '<&>', 'a': \"'\", 'm': [1, 2.0, none, 'é']}|tojson }}"),
            R"({"a": "\u0027", "m": [1, 2.0, null, "\u00e9"], "z": "\u003c\u0026\u003e"})");
  EXPECT_EQ(render("{{ {'b': [1], 'a': {}}|tojson(indent=2) }}"),
            "{\n  \"a\": {},\n  \"b\": [\n    1\n  ]\n}");
}

TEST(Filters, ToYamlWritesBlockYaml) {
  Value c = ctx();
  std::string out = render("{{ cfg|to_yaml }}", c);
  EXPECT_EQ(out, doc::to_yaml(*c.find("cfg")));
  EXPECT_NE(out.find("name: api\n"), std::string::npos) << out;
  EXPECT_NE(out.find("labels:\n"), std::string::npos) << out;
  EXPECT_EQ(out.find('{'), std::string::npos) << "expected block style:\n" << out;
  // The usual pattern: embed YAML in a manifest with indent.
  std::string manifest = render("spec:\n  {{ cfg.labels|to_yaml|indent(2) }}", c);
  EXPECT_EQ(manifest, "spec:\n  app: api\n  tier: web\n");
  // Round trip.
  EXPECT_EQ(render("{{ (cfg|to_yaml|from_yaml).ports[1] }}", c), "443");
}

TEST(Filters, FromYamlAndJson) {
  EXPECT_EQ(render("{% set v = 'a: 1\\nb: [x, z]\\n'|from_yaml %}{{ v.a + 1 }}{{ v.b|join }}"),
            "2xz");
  EXPECT_EQ(render("{{ ('{\"k\": [1, 2]}'|from_json).k|sum }}"), "3");
  Error e = render_error("{{ 'a: [1'|from_yaml }}");
  EXPECT_NE(e.why().find("filter 'from_yaml': "), std::string::npos) << e.what();
}

TEST(Filters, RenderFilterUsesTheCurrentVariables) {
  EXPECT_EQ(render("{% set x = 5 %}{{ '{{ who }}:{{ x }}'|render }}", ctx()), "you:5");
}

TEST(Filters, RegexReplace) {
  EXPECT_EQ(render("{{ 'foo-bar_baz'|regex_replace('[-_]', '.') }}"), "foo.bar.baz");
  EXPECT_EQ(render("{{ 'v1.2.3'|regex_replace('^v(\\\\d+)\\\\.(\\\\d+).*$', '\\\\2.\\\\1') }}"),
            "2.1");
  // Unknown escapes like \d stay as written in template strings, as in Python.
  EXPECT_EQ(render("{{ 'a1b22'|regex_replace('\\d+', '#') }}"), "a#b#");
  EXPECT_EQ(render("{{ 'v10'|regex_replace('v(?P<n>\\d+)', 'n=\\g<n>') }}"), "n=10");
  EXPECT_EQ(render("{{ 'ABC abc'|regex_replace('abc', 'x', ignorecase=true) }}"), "x x");
  EXPECT_EQ(render("{{ 'a\\nb'|regex_replace('^', '> ', multiline=true) }}"), "> a\n> b");
  EXPECT_EQ(render("{{ 'aaa'|regex_replace('a', 'b', count=2) }}"), "bba");
  EXPECT_EQ(render("{{ 'abxd'|regex_replace('x*', '-') }}"), "-a-b--d-");
  Error e = render_error("{{ 'x'|regex_replace('(', '') }}");
  EXPECT_NE(e.why().find("filter 'regex_replace': invalid regular expression '('"),
            std::string::npos)
      << e.what();
  // Backreferences in patterns need backtracking: RE2 refuses them.
  e = render_error("{{ 'aa'|regex_replace('(a)\\\\1', '') }}");
  EXPECT_NE(e.why().find("invalid regular expression"), std::string::npos) << e.what();
  e = render_error("{{ 'a'|regex_replace('a', '\\\\3') }}");
  EXPECT_NE(e.why().find("invalid replacement"), std::string::npos) << e.what();
}

TEST(Filters, RegexSearchAndFindall) {
  EXPECT_EQ(render("{{ 'abc123def'|regex_search('\\d+') }}"), "123");
  EXPECT_EQ(render("{{ 'abc'|regex_search('\\d+') }}"), "None");
  EXPECT_EQ(render("{{ 'a1b22c333'|regex_findall('\\d+') }}"), "['1', '22', '333']");
  EXPECT_EQ(render("{{ 'a1b2'|regex_findall('(\\w)(\\d)') }}"), "[['a', '1'], ['b', '2']]");
  EXPECT_EQ(render("{{ 'k=v'|regex_findall('(\\w)=') }}"), "['k']");
  EXPECT_EQ(
      render("{{ 'abc' is match('ab') }}{{ 'abc' is match('bc') }}{{ 'abc' is search('bc') }}"),
      "TrueFalseTrue");
}

TEST(Filters, AnsibleStyleHelpers) {
  EXPECT_EQ(render("{{ 'yes'|bool }}{{ 'Off'|bool }}{{ 1|bool }}{{ none|bool }}{{ 'true'|bool }}"),
            "TrueFalseTrueFalseTrue");
  EXPECT_EQ(render("{{ \"it's\"|quote }} {{ 'abc'|quote }} {{ ''|quote }} {{ 'a b'|quote }}"),
            "'it'\"'\"'s' abc '' 'a b'");
  EXPECT_EQ(render("{{ '/a/b/c.yaml'|basename }} {{ '/a/b/c.yaml'|dirname }} {{ 'c'|dirname }}|"),
            "c.yaml /a/b |");
}

TEST(Filters, DefaultWithBoolean) {
  EXPECT_EQ(
      render("{{ ''|default('x') }}|{{ ''|default('x', true) }}|{{ 0|d('z', boolean=true) }}"),
      "|x|z");
  EXPECT_EQ(render("{{ a.b.c|default(1) }} {{ a.b.zz|default(a.b.c) }}", ctx()), "7 7");
  // default keeps references to context values (no copy) and chains.
  EXPECT_EQ(render("{{ (cfg|default({})).name }}", ctx()), "api");
}

TEST(Filters, IndentForYamlBlocks) {
  EXPECT_EQ(render("data:\n  cfg: |\n    {{ 'line1\\nline2\\n'|indent(4) }}"),
            "data:\n  cfg: |\n    line1\n    line2\n");
  EXPECT_EQ(render("{{ 'a\\r\\nb'|indent(1) }}"), "a\n b");
}

TEST(Filters, HigherOrderErrors) {
  Error e = render_error("{{ [1]|map('nofilter')|list }}");
  EXPECT_EQ(e.why(), "unknown filter 'nofilter'");
  e = render_error("{{ [1]|select('notest')|list }}");
  EXPECT_EQ(e.why(), "unknown test 'notest'");
  e = render_error("{{ [{'a': 1}]|map(attribute='b')|list }}");
  EXPECT_EQ(e.why(), "filter 'map': an item has no attribute 'b'");
  e = render_error("{{ [3, 'a']|sort }}");
  EXPECT_EQ(e.why(), "filter 'sort': cannot order values of types 'int' and 'string'");
  e = render_error("{{ 5|length }}");
  EXPECT_EQ(e.why(), "filter 'length': a int has no length");
  e = render_error("{{ 5|join }}");
  EXPECT_EQ(e.why(), "filter 'join' expects a list, map or string, not a int");
}

TEST(Filters, SortAndDictsortDetails) {
  EXPECT_EQ(render("{{ cfg.ports|sort(reverse=true) }}", ctx()), "[443, 80]");
  EXPECT_EQ(render("{{ [{'n': 'b', 'v': 2}, {'n': 'a', 'v': 2}, {'n': 'c', 'v': 1}]"
                   "|sort(attribute='v')|map(attribute='n')|join }}"),
            "cba");
  EXPECT_EQ(render("{{ [[2, 'b'], [1, 'z'], [2, 'a']]|sort }}"), "[[1, 'z'], [2, 'a'], [2, 'b']]");
  EXPECT_EQ(render("{{ {'b': 1, 'A': 2}|dictsort|map('first')|join }}"), "Ab");
  EXPECT_EQ(render("{{ {'b': 1, 'A': 2, 'a': 3}|dictsort(true)|map('first')|join }}"), "Aab");
}

TEST(Globals, RangeDictNamespaceGetVarMergeDict) {
  EXPECT_EQ(render("{{ range(3) }} {{ range(5, 0, -2) }}"), "[0, 1, 2] [5, 3, 1]");
  EXPECT_EQ(render("{{ dict(a=1).a }} {{ dict({'x': 1}, y=2) }}"), "1 {'x': 1, 'y': 2}");
  EXPECT_EQ(render("{{ get_var('a.b.c', 0) }} {{ get_var('a.x', 'd') }} "
                   "{{ get_var(['nope', 'cfg.name']) }} {{ get_var('zz') }}",
                   ctx()),
            "7 d api None");
  EXPECT_EQ(render("{% set local = {'k': 'v'} %}{{ get_var('local.k', '') }}"), "v");
  EXPECT_EQ(render("{{ merge_dict({'a': {'x': 1, 'y': 1}, 'b': 1}, {'a': {'y': 2}, 'c': 3}) }}"),
            "{'a': {'x': 1, 'y': 2}, 'b': 1, 'c': 3}");
}

}  // namespace
}  // namespace gantry::tmpl::test

namespace gantry::tmpl::test {
namespace {

TEST(Filters, AttrLooksUpMapKeys) {
  EXPECT_EQ(render("{{ cfg|attr('name') }} {{ (cfg|attr('nope')) is defined }}", ctx()),
            "api False");
}

TEST(Tests, RemainingTests) {
  EXPECT_EQ(render("{% macro m() %}{% endmacro %}{{ m is callable }}{{ 1 is callable }}"),
            "TrueFalse");
  EXPECT_EQ(render("{{ 'upper' is filter }}{{ 'nope' is filter }}{{ 'odd' is test }}"),
            "TrueFalseTrue");
  EXPECT_EQ(render("{{ 1 is lessthan 2 }}{{ 1 is greaterthan 2 }}{{ 2 is equalto 2 }}"),
            "TrueFalseTrue");
  EXPECT_EQ(render("{{ 3.0 is odd }}{{ 4.5 is divisibleby 1.5 }}{{ -7 is odd }}"), "TrueTrueTrue");
  Error e = render_error("{{ 'a' is odd }}");
  EXPECT_EQ(e.why(), "test 'odd' expects a number, not a string");
  e = render_error("{{ 3 is divisibleby 0 }}");
  EXPECT_EQ(e.why(), "test 'divisibleby': division by zero");
}

}  // namespace
}  // namespace gantry::tmpl::test
