// The YAML reader: spans, styles, documents, anchors, merge keys, limits, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "doc/yaml.h"
#include "support/fixtures.h"

namespace gantry::doc {
namespace {

using ::testing::HasSubstr;

// The bytes a span covers.
std::string_view slice(std::string_view text, const SourceSpan& s) {
  EXPECT_LE(s.begin, s.end);
  EXPECT_LE(s.end, text.size());
  return text.substr(s.begin, s.end - s.begin);
}

// The value under `key`; throws (failing the test) when it is missing.
const Value& get(const Value& v, std::string_view key) {
  const Value* found = v.find(key);
  if (!found) throw std::runtime_error("missing key " + std::string(key));
  return *found;
}

// Runs `f`, expecting a gantry::Error; returns it.
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

TEST(YamlSpans, ScalarsKeysAndQuotes) {
  const std::string text =
      "name: \"hello\"   # comment\n"
      "items:\n"
      "  - 'it''s'\n"
      "  - plain value  \n"
      "count: 12\n";
  Value v = parse_yaml(text, "spans.yaml");
  const Value& name = get(v, "name");
  EXPECT_EQ(slice(text, name.span()), "\"hello\"");
  EXPECT_EQ(name.span().line, 1u);
  EXPECT_EQ(name.span().column, 7u);
  EXPECT_EQ(name.span().begin, 6u);
  EXPECT_EQ(name.span().end, 13u);
  ASSERT_TRUE(name.span().known());
  EXPECT_EQ(*name.span().file, "spans.yaml");
  EXPECT_EQ(name.span().location().str(), "spans.yaml:1:7");

  const Map& m = v.as_map();
  EXPECT_EQ(slice(text, m[0].key_span), "name");
  EXPECT_EQ(m[0].key_span.line, 1u);
  EXPECT_EQ(m[0].key_span.column, 1u);
  EXPECT_EQ(slice(text, m[1].key_span), "items");
  EXPECT_EQ(m[1].key_span.line, 2u);

  const List& items = get(v, "items").as_list();
  EXPECT_EQ(items[0].as_string(), "it's");
  EXPECT_EQ(slice(text, items[0].span()), "'it''s'");
  EXPECT_EQ(items[0].span().line, 3u);
  EXPECT_EQ(items[0].span().column, 5u);
  // Plain scalars end at their last non-blank character.
  EXPECT_EQ(slice(text, items[1].span()), "plain value");
  EXPECT_EQ(items[1].span().line, 4u);

  const Value& count = get(v, "count");
  EXPECT_EQ(count.as_int(), 12);
  EXPECT_EQ(slice(text, count.span()), "12");
  EXPECT_EQ(count.span().line, 5u);
  EXPECT_EQ(count.span().column, 8u);
}

TEST(YamlSpans, AllSpansShareOneFileName) {
  Value v = parse_yaml("a: 1\nb: [x, y]\n", "shared.yaml");
  const auto& file = v.span().file;
  ASSERT_TRUE(file);
  EXPECT_EQ(get(v, "a").span().file.get(), file.get());
  EXPECT_EQ(get(v, "b").as_list()[1].span().file.get(), file.get());
  EXPECT_EQ(v.as_map()[1].key_span.file.get(), file.get());
}

TEST(YamlSpans, BlockScalars) {
  const std::string text =
      "script: |\n"
      "  line1\n"
      "  line2\n"
      "folded: >-\n"
      "  a\n"
      "  b\n"
      "next: x\n";
  Value v = parse_yaml(text, "block.yaml");
  const Value& script = get(v, "script");
  EXPECT_EQ(script.as_string(), "line1\nline2\n");
  EXPECT_EQ(script.style(), ScalarStyle::kLiteral);
  EXPECT_EQ(slice(text, script.span()), "|\n  line1\n  line2\n");
  EXPECT_EQ(script.span().line, 1u);
  EXPECT_EQ(script.span().column, 9u);
  const Value& folded = get(v, "folded");
  EXPECT_EQ(folded.as_string(), "a b");
  EXPECT_EQ(folded.style(), ScalarStyle::kFolded);
  EXPECT_EQ(slice(text, folded.span()), ">-\n  a\n  b\n");
  EXPECT_EQ(slice(text, get(v, "next").span()), "x");
}

TEST(YamlSpans, MultibyteCharactersCountAsOneColumn) {
  const std::string text =
      "\xC3\xA9t\xC3\xA9: \"\xC3\xBC\"\nk: \xC3\xB1-\xC3\xB1 # \xE2\x82\xAC\nz: 1\n";
  Value v = parse_yaml(text, "utf8.yaml");
  const Map& m = v.as_map();
  EXPECT_EQ(m[0].key, "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(slice(text, m[0].key_span), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(slice(text, m[0].value.span()), "\"\xC3\xBC\"");
  EXPECT_EQ(m[0].value.span().column, 6u);  // characters, not bytes
  EXPECT_EQ(m[0].value.span().begin, 7u);   // bytes
  EXPECT_EQ(slice(text, m[1].value.span()), "\xC3\xB1-\xC3\xB1");
  EXPECT_EQ(m[1].value.span().line, 2u);
  EXPECT_EQ(m[1].value.span().column, 4u);
  EXPECT_EQ(slice(text, m[2].value.span()), "1");
  EXPECT_EQ(m[2].value.span().line, 3u);
}

TEST(YamlSpans, CrlfAndByteOrderMark) {
  const std::string crlf = "a: 1\r\nb: 'x'\r\n";
  Value v = parse_yaml(crlf, "crlf.yaml");
  EXPECT_EQ(slice(crlf, get(v, "b").span()), "'x'");
  EXPECT_EQ(get(v, "b").span().line, 2u);
  EXPECT_EQ(get(v, "b").span().column, 4u);

  const std::string bom = "\xEF\xBB\xBFkey: value\n";
  Value w = parse_yaml(bom, "bom.yaml");
  EXPECT_EQ(get(w, "key").as_string(), "value");
  EXPECT_EQ(slice(bom, get(w, "key").span()), "value");
  EXPECT_EQ(slice(bom, w.as_map()[0].key_span), "key");
  EXPECT_EQ(w.as_map()[0].key_span.column, 1u);  // the BOM is not a column
  EXPECT_EQ(get(w, "key").span().column, 6u);
  EXPECT_EQ(get(w, "key").span().begin, 8u);  // but it is 3 bytes
}

TEST(YamlSpans, AnchorsAndTagsAreNotPartOfTheScalar) {
  const std::string text = "a: &x !!str  value\nb: *x\nc: !!int\n  \"7\"\nd: &e\n";
  Value v = parse_yaml(text, "props.yaml");
  EXPECT_EQ(slice(text, get(v, "a").span()), "value");
  EXPECT_EQ(get(v, "a").span().column, 14u);
  // An alias expands to a copy of the anchored node, spans included.
  EXPECT_EQ(get(v, "b").as_string(), "value");
  EXPECT_EQ(slice(text, get(v, "b").span()), "value");
  EXPECT_EQ(get(v, "c").as_int(), 7);
  EXPECT_EQ(slice(text, get(v, "c").span()), "\"7\"");
  EXPECT_EQ(get(v, "c").span().line, 4u);
  EXPECT_EQ(get(v, "c").span().column, 3u);
  EXPECT_TRUE(get(v, "d").is_null());
}

TEST(YamlSpans, Collections) {
  const std::string text = "f: [1, 2]\ng: {a: 1}\nh:\n  x: 1\n";
  Value v = parse_yaml(text, "coll.yaml");
  EXPECT_EQ(slice(text, get(v, "f").span()), "[1, 2]");
  EXPECT_EQ(slice(text, get(v, "g").span()), "{a: 1}");
  EXPECT_EQ(get(v, "h").span().line, 4u);
  EXPECT_EQ(get(v, "h").span().column, 3u);
  EXPECT_EQ(v.span().line, 1u);
  EXPECT_EQ(v.span().begin, 0u);
}

TEST(YamlStyles, RecordedPerScalar) {
  Value v = parse_yaml("p: x\ns: 'x'\nd: \"x\"\nl: |\n  x\nf: >\n  x\ni: 1\nnul: ~\n", "s.yaml");
  EXPECT_EQ(get(v, "p").style(), ScalarStyle::kPlain);
  EXPECT_EQ(get(v, "s").style(), ScalarStyle::kSingleQuoted);
  EXPECT_EQ(get(v, "d").style(), ScalarStyle::kDoubleQuoted);
  EXPECT_EQ(get(v, "l").style(), ScalarStyle::kLiteral);
  EXPECT_EQ(get(v, "f").style(), ScalarStyle::kFolded);
  EXPECT_EQ(get(v, "i").style(), ScalarStyle::kPlain);
  EXPECT_EQ(get(v, "nul").style(), ScalarStyle::kPlain);
  EXPECT_EQ(v.style(), ScalarStyle::kAny);  // maps have no scalar style
}

TEST(YamlDocuments, MultiDocumentStreams) {
  auto docs = parse_yaml_stream("a: 1\n---\n---\n# only a comment\n---\nb: 2\n...\n", "m.yaml");
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(get(docs[0], "a").as_int(), 1);
  EXPECT_TRUE(docs[1].is_null());
  EXPECT_TRUE(docs[2].is_null());
  EXPECT_EQ(get(docs[3], "b").as_int(), 2);
  EXPECT_EQ(docs[3].span().line, 6u);

  EXPECT_TRUE(parse_yaml_stream("", "e.yaml").empty());
  EXPECT_TRUE(parse_yaml_stream("# nothing\n", "e.yaml").empty());
  EXPECT_TRUE(parse_yaml("", "e.yaml").is_null());
  EXPECT_EQ(parse_yaml_stream("---\n", "e.yaml").size(), 1u);
  EXPECT_EQ(parse_yaml("--- x\n", "e.yaml").as_string(), "x");
  // Anchors do not carry over from one document to the next.
  Error e = expect_error([] { parse_yaml_stream("a: &x 1\n---\nb: *x\n", "anchors.yaml"); });
  EXPECT_EQ(e.str(), "anchors.yaml:3:4: unknown anchor 'x' referenced");
}

TEST(YamlDocuments, ParseYamlRejectsASecondDocument) {
  Error e = expect_error([] { parse_yaml("a: 1\n---\nb: 2\n", "two.yaml"); });
  EXPECT_EQ(e.where().line, 2u);
  EXPECT_EQ(e.where().column, 1u);
  EXPECT_THAT(e.why(), HasSubstr("expected a single YAML document"));
}

TEST(YamlAnchors, AliasesAreExpanded) {
  Value v = parse_yaml(
      "base: &b {image: nginx, ports: [80, 443]}\n"
      "copy: *b\n"
      "list: [&s scalar, *s, *s]\n",
      "a.yaml");
  EXPECT_EQ(get(v, "copy"), get(v, "base"));
  EXPECT_EQ(v.find_path({"copy", "ports"})->as_list()[1].as_int(), 443);
  const List& list = get(v, "list").as_list();
  ASSERT_EQ(list.size(), 3u);
  for (const auto& x : list)
    EXPECT_EQ(x.as_string(), "scalar");
  // Copies are independent values.
  Value copy = get(v, "copy");
  copy.set("image", "redis");
  EXPECT_EQ(v.find_path({"base", "image"})->as_string(), "nginx");
}

TEST(YamlAnchors, UnknownAndRecursiveAnchors) {
  Error unknown = expect_error([] { parse_yaml("a: *nope\n", "u.yaml"); });
  EXPECT_EQ(unknown.str(), "u.yaml:1:4: unknown anchor 'nope' referenced");
  Error self = expect_error([] { parse_yaml("a: &a [1, *a]\n", "r.yaml"); });
  EXPECT_EQ(self.str(), "r.yaml:1:11: anchor 'a' value contains itself");
}

TEST(YamlMerge, SingleMapAndExplicitKeysWin) {
  Value v = parse_yaml(
      "base: &base {image: nginx, replicas: 1, port: 80}\n"
      "svc:\n"
      "  <<: *base\n"
      "  replicas: 3\n"
      "  name: web\n"
      "before:\n"
      "  port: 8080\n"
      "  <<: *base\n",
      "merge.yaml");
  const Value& svc = get(v, "svc");
  ASSERT_EQ(svc.size(), 4u);
  EXPECT_EQ(svc.as_map()[0].key, "image");
  EXPECT_EQ(svc.as_map()[1].key, "replicas");
  EXPECT_EQ(svc.as_map()[2].key, "port");
  EXPECT_EQ(svc.as_map()[3].key, "name");
  EXPECT_EQ(get(svc, "replicas").as_int(), 3);
  EXPECT_EQ(get(svc, "image").as_string(), "nginx");
  // An explicit key written before the merge still wins (go-yaml v2 would
  // let the merge overwrite it; the YAML merge spec and we do not).
  const Value& before = get(v, "before");
  EXPECT_EQ(get(before, "port").as_int(), 8080);
  EXPECT_EQ(before.as_map()[0].key, "port");
  EXPECT_EQ(before.size(), 3u);
  EXPECT_FALSE(svc.contains("<<"));
}

TEST(YamlMerge, ListOfMapsFirstWins) {
  Value v = parse_yaml(
      "a: &a {p: 1, q: 1}\n"
      "b: &b {p: 2, r: 2}\n"
      "m:\n"
      "  <<: [*a, *b, {s: 3}]\n"
      "  r: 9\n",
      "merge.yaml");
  const Value& m = get(v, "m");
  EXPECT_EQ(get(m, "p").as_int(), 1);
  EXPECT_EQ(get(m, "q").as_int(), 1);
  EXPECT_EQ(get(m, "r").as_int(), 9);
  EXPECT_EQ(get(m, "s").as_int(), 3);
  EXPECT_EQ(m.size(), 4u);
  // The merged members keep the spans of where they were written.
  EXPECT_EQ(m.as_map()[0].key_span.line, 1u);
}

TEST(YamlMerge, QuotedKeyIsNotAMergeAndBadValuesFail) {
  Value v = parse_yaml("m:\n  \"<<\": {a: 1}\n", "q.yaml");
  ASSERT_TRUE(get(v, "m").contains("<<"));
  Error e = expect_error([] { parse_yaml("m:\n  <<: 5\n", "bad.yaml"); });
  EXPECT_EQ(e.where().line, 2u);
  EXPECT_EQ(e.where().column, 7u);
  EXPECT_THAT(e.why(), HasSubstr("map merge requires a map or a list of maps"));
  Error e2 = expect_error([] { parse_yaml("m:\n  <<: [{a: 1}, [x]]\n", "bad2.yaml"); });
  EXPECT_THAT(e2.why(), HasSubstr("map merge requires"));
}

TEST(YamlLimitsTest, BillionLaughsFailsFastWithAClearMessage) {
  const std::string bomb =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
      "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
      "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
  auto start = std::chrono::steady_clock::now();
  Error e = expect_error([&] { parse_yaml(bomb, "bomb.yaml"); });
  auto elapsed = std::chrono::steady_clock::now() - start;
  // g expands to 5.4 million nodes, so the first *g in h crosses 10 million.
  EXPECT_EQ(e.str(), "bomb.yaml:8:8: alias expansion exceeds limit of 10000000 nodes");
  EXPECT_LT(elapsed, std::chrono::seconds(2));

  YamlLimits small;
  small.max_nodes = 100;
  Error e2 = expect_error([&] { parse_yaml(bomb, "bomb.yaml", small); });
  EXPECT_EQ(e2.str(), "bomb.yaml:2:32: alias expansion exceeds limit of 100 nodes");
}

TEST(YamlLimitsTest, NodeLimitCountsPlainNodesToo) {
  YamlLimits small;
  small.max_nodes = 5;
  EXPECT_NO_THROW(parse_yaml("[1, 2, 3, 4]", "n.yaml", small));  // 5 nodes
  Error e = expect_error([&] { parse_yaml("[1, 2, 3, 4, 5]", "n.yaml", small); });
  EXPECT_EQ(e.str(), "n.yaml:1:14: YAML stream exceeds limit of 5 nodes");
}

TEST(YamlLimitsTest, AliasedLongStringsAreCapped) {
  YamlLimits limits;
  limits.max_input_bytes = 4096;  // expanded text may reach 4 x 4096 bytes
  std::string text = "s: &s \"" + std::string(1000, 'x') +
                     "\"\nl: [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s, *s]\n";
  Error e = expect_error([&] { parse_yaml(text, "strings.yaml", limits); });
  EXPECT_EQ(e.where().line, 2u);
  EXPECT_THAT(e.why(), HasSubstr("alias expansion exceeds limit of 16384 bytes of text"));
}

TEST(YamlLimitsTest, DepthLimit) {
  auto nested = [](size_t n) { return std::string(n, '[') + std::string(n, ']'); };
  EXPECT_NO_THROW(parse_yaml(nested(512), "deep.yaml"));
  Error e = expect_error([&] { parse_yaml(nested(513), "deep.yaml"); });
  EXPECT_EQ(e.str(), "deep.yaml:1:513: nesting is deeper than the limit of 512 levels");

  YamlLimits shallow;
  shallow.max_depth = 3;
  EXPECT_NO_THROW(parse_yaml("a: {b: {c: 1}}", "d.yaml", shallow));
  EXPECT_THROW(parse_yaml("a: {b: {c: {d: 1}}}", "d.yaml", shallow), Error);
  // Aliases cannot be used to build something deeper than the limit.
  Error alias = expect_error([&] { parse_yaml("a: &a [[1]]\nb: &b [[*a]]\n", "d.yaml", shallow); });
  EXPECT_EQ(alias.where().line, 2u);
  EXPECT_THAT(alias.why(), HasSubstr("alias expansion nests deeper than the limit of 3 levels"));
}

TEST(YamlLimitsTest, InputSize) {
  YamlLimits limits;
  limits.max_input_bytes = 10;
  Error e = expect_error([&] { parse_yaml("key: value too long", "big.yaml", limits); });
  EXPECT_EQ(e.str(), "big.yaml: YAML input is 19 bytes, over the limit of 10 bytes");
}

TEST(YamlErrors, DuplicateKeys) {
  Error e = expect_error([] { parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yaml"); });
  EXPECT_EQ(e.str(), "dup.yaml:3:1: mapping key \"a\" already defined at line 1");
  // Keys are compared after conversion to strings.
  Error e2 = expect_error([] { parse_yaml("m:\n  1: a\n  \"1\": b\n", "dup.yaml"); });
  EXPECT_EQ(e2.str(), "dup.yaml:3:3: mapping key \"1\" already defined at line 2");
  // Large maps take the hashed path.
  std::string big;
  for (int i = 0; i < 40; ++i)
    big += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  EXPECT_NO_THROW(parse_yaml(big, "big.yaml"));
  Error e3 = expect_error([&] { parse_yaml(big + "k7: x\n", "big.yaml"); });
  EXPECT_EQ(e3.str(), "big.yaml:41:1: mapping key \"k7\" already defined at line 8");
}

TEST(YamlReader, DuplicateKeysLastWinsWhenAsked) {
  YamlLimits lenient;
  lenient.duplicate_keys_last_wins = true;
  Value v = parse_yaml("a: one\nb: two\na: three\n", "dup.yaml", lenient);
  ASSERT_EQ(v.as_map().size(), 2u);
  EXPECT_EQ(v.as_map()[0].key, "b");
  EXPECT_EQ(v.get_string("a"), "three");
  // The hashed path (more than 16 keys) too.
  std::string big;
  for (int i = 0; i < 40; ++i)
    big += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  Value w = parse_yaml(big + "k7: x\n", "big.yaml", lenient);
  EXPECT_EQ(w.as_map().size(), 40u);
  EXPECT_EQ(w.get_string("k7"), "x");
}

TEST(YamlErrors, SyntaxErrorsCarryLocationAndLibyamlProblem) {
  Error e = expect_error([] { parse_yaml("a: b: c\n", "syn.yaml"); });
  EXPECT_EQ(e.str(), "syn.yaml:1:5: mapping values are not allowed in this context");

  Error e2 = expect_error([] { parse_yaml("list: [1, 2\nother: x\n", "syn.yaml"); });
  EXPECT_EQ(e2.where().file, "syn.yaml");
  EXPECT_EQ(e2.where().line, 2u);
  EXPECT_THAT(e2.why(), HasSubstr("did not find expected ',' or ']'"));
  EXPECT_THAT(e2.why(), HasSubstr("while parsing a flow sequence at line 1, column 7"));

  Error e3 = expect_error([] { parse_yaml("a:\n  b: 1\n c: 2\n", "indent.yaml"); });
  EXPECT_EQ(e3.where().line, 3u);
  EXPECT_EQ(e3.where().column, 2u);

  Error e4 = expect_error([] { parse_yaml("k: \"unterminated\n", "q.yaml"); });
  EXPECT_THAT(e4.why(), HasSubstr("found unexpected end of stream"));
  EXPECT_EQ(e4.code(), ExitCode::kInvalidInput);

  Error e5 = expect_error([] { parse_yaml("ok: 1\nbad: \xFF\n", "utf8.yaml"); });
  EXPECT_EQ(e5.where().line, 2u);
  EXPECT_EQ(e5.where().column, 6u);
  EXPECT_THAT(e5.why(), HasSubstr("invalid leading UTF-8 octet"));

  Error e6 = expect_error([] { parse_yaml("a: \"\\ud800\"\n", "esc.yaml"); });
  EXPECT_THAT(e6.why(), HasSubstr("invalid Unicode character escape code"));
}

TEST(YamlKeys, NonStringKeysBecomeStrings) {
  Value v = parse_yaml(
      "1: a\n0x1F: b\nyes: c\n1.5: d\n1e3: e\n1.0e20: f\n1.23456789: g\n-1: h\n.inf: i\nfalse: j\n",
      "keys.yaml");
  std::vector<std::string> keys;
  for (const auto& m : v.as_map())
    keys.push_back(m.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"1", "31", "true", "1.5", "1000", "1e+20", "1.2345679",
                                            "-1", ".inf", "false"}));
  Error null_key = expect_error([] { parse_yaml("~: a\n", "k.yaml"); });
  EXPECT_EQ(null_key.where().line, 1u);
  EXPECT_THAT(null_key.why(), HasSubstr("null is not allowed as a mapping key"));
  Error big = expect_error([] { parse_yaml("18446744073709551615: a\n", "k.yaml"); });
  EXPECT_THAT(big.why(), HasSubstr("out of range"));
  Error coll = expect_error([] { parse_yaml("? [a]\n: x\n", "k.yaml"); });
  EXPECT_THAT(coll.why(), HasSubstr("mapping keys must be scalars"));
}

TEST(YamlTags, ExplicitTags) {
  Value v = parse_yaml(
      "a: !!str 123\n"
      "b: !!int \"123\"\n"
      "c: !foo 123\n"
      "d: !!float 1\n"
      "e: ! 12\n"
      "f: !!binary aGVsbG8=\n"
      "g: !!null \"\"\n"
      "h: !!bool \"yes\"\n"
      "i: !!binary |\n  aGVs\n  bG8=\n"
      "j: !!str\n",
      "tags.yaml");
  EXPECT_EQ(get(v, "a").as_string(), "123");
  EXPECT_EQ(get(v, "b").as_int(), 123);
  EXPECT_EQ(get(v, "c").as_string(), "123");
  ASSERT_TRUE(get(v, "d").is_float());
  EXPECT_EQ(get(v, "d").as_float(), 1.0);
  EXPECT_EQ(get(v, "e").as_string(), "12");
  EXPECT_EQ(get(v, "f").as_string(), "hello");
  EXPECT_TRUE(get(v, "g").is_null());
  EXPECT_EQ(get(v, "h").as_bool(), true);
  EXPECT_EQ(get(v, "i").as_string(), "hello");
  EXPECT_EQ(get(v, "j").as_string(), "");

  Error e = expect_error([] { parse_yaml("a: !!int abc\n", "t.yaml"); });
  EXPECT_EQ(e.str(), "t.yaml:1:10: cannot decode !!str `abc` as a !!int");
  Error b64 = expect_error([] { parse_yaml("a: !!binary '*'\n", "t.yaml"); });
  EXPECT_THAT(b64.why(), HasSubstr("invalid base64"));
}

TEST(YamlFiles, ReadYamlFile) {
  gantry::testing::TempDir dir;
  auto path = dir.write("x/objects.yaml", "a: 1\n---\nb: 2\n");
  auto docs = read_yaml_file(path.string());
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(*get(docs[1], "b").span().file, path.string());
  Error missing = expect_error([&] { read_yaml_file((dir.path() / "missing.yaml").string()); });
  EXPECT_EQ(missing.code(), ExitCode::kNotFound);
  EXPECT_THAT(missing.str(), HasSubstr("missing.yaml"));
}

TEST(YamlValues, TypedAccessErrorsPointIntoTheFile) {
  Value v = parse_yaml("spec:\n  replicas: three\n", "deploy.yaml");
  Error e = expect_error([&] { v.find_path({"spec", "replicas"})->as_int(); });
  EXPECT_EQ(e.str(), "deploy.yaml:2:13: expected a int, found a string");
}

}  // namespace
}  // namespace gantry::doc

namespace gantry::doc {
namespace {

TEST(YamlReaderBom, ByteOrderMarkIsSkippedAndSpansStayByteExact) {
  const std::string text =
      "\xEF\xBB\xBF"
      "apiVersion: v1\nkind: ConfigMap\n";
  auto docs = parse_yaml_stream(text, "bom.yaml");
  ASSERT_EQ(docs.size(), 1u);
  const Value* kind = docs[0].find("kind");
  ASSERT_NE(kind, nullptr);
  EXPECT_EQ(kind->as_string(), "ConfigMap");
  EXPECT_EQ(kind->span().line, 2u);
  EXPECT_EQ(kind->span().column, 7u);
  EXPECT_EQ(text.substr(kind->span().begin, kind->span().end - kind->span().begin), "ConfigMap");
  const Value* api = docs[0].find("apiVersion");
  EXPECT_EQ(text.substr(api->span().begin, api->span().end - api->span().begin), "v1");
  EXPECT_EQ(docs[0].as_map()[0].key_span.column, 1u);
}

}  // namespace
}  // namespace gantry::doc
