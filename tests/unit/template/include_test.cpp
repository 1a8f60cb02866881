// {% include %}: lookup order, context, scoping, cycles, depth, escapes,
// and render_file with the parsed-template cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/fixtures.h"
#include "unit/template/helpers.h"

namespace gantry::tmpl::test {
namespace {

namespace fs = std::filesystem;
using doc::List;
using doc::Value;
using gantry::testing::TempDir;

Value ctx() {
  return Value::object({{"who", "you"}, {"items", Value(List{1, 2})}});
}

std::string render_file(const Engine& e, const fs::path& p, const Value& c = ctx()) {
  return e.render_file(p, c);
}

Error render_file_error(const Engine& e, const fs::path& p, const Value& c = ctx()) {
  try {
    std::string out = e.render_file(p, c);
    ADD_FAILURE() << "expected an error rendering " << p << ", got:\n" << out;
  } catch (const Error& err) {
    return err;
  }
  return Error("no error");
}

bool contains(const std::string& s, std::string_view what) {
  return s.find(what) != std::string::npos;
}

TEST(Include, RelativeToTheIncludingTemplate) {
  TempDir d;
  auto main = d.write("app/main.j2", "A{% include 'part.j2' %}B\n");
  d.write("app/part.j2", "[part {{ who }}]\n");
  Engine e;
  // The included template's trailing newline is dropped, as in Jinja.
  EXPECT_EQ(render_file(e, main), "A[part you]B");
}

TEST(Include, NestedIncludesResolveFromTheirOwnDirectory) {
  TempDir d;
  auto main = d.write("main.j2", "{% include 'sub/a.j2' %}");
  d.write("sub/a.j2", "a{% include 'b.j2' %}");
  d.write("sub/b.j2", "b");
  d.write("b.j2", "WRONG");
  Engine e;
  EXPECT_EQ(render_file(e, main), "ab");
}

TEST(Include, SearchPathAfterTheTemplateDirectory) {
  TempDir d;
  d.write("lib/common.j2", "common");
  d.write("lib/shared.j2", "lib-shared");
  d.write("app/shared.j2", "app-shared");
  auto main = d.write("app/main.j2", "{% include 'common.j2' %} {% include 'shared.j2' %}");
  Engine e({d.path() / "lib"});
  EXPECT_EQ(render_file(e, main), "common app-shared");
  // A template rendered from a string without a file name uses only the search path.
  EXPECT_EQ(e.render("{% include 'shared.j2' %}", "<inline>", ctx()), "lib-shared");
}

TEST(Include, SeesTheCurrentContextAndLoopVariables) {
  TempDir d;
  d.write("item.j2", "{{ prefix }}{{ i }}{{ loop.index }}{% set leaked = 1 %};");
  Engine e({d.path()});
  EXPECT_EQ(e.render("{% set prefix = '#' %}{% for i in items %}{% include 'item.j2' %}"
                     "{% endfor %}{{ leaked is defined }}",
                     "<t>", ctx()),
            "#11;#22;False");
}

TEST(Include, NameFromAnExpressionAndFallbackList) {
  TempDir d;
  d.write("b.j2", "bee");
  Engine e({d.path()});
  EXPECT_EQ(e.render("{% include name ~ '.j2' %}", "<t>", Value::object({{"name", "b"}})), "bee");
  EXPECT_EQ(e.render("{% include ['missing.j2', 'b.j2'] %}", "<t>", ctx()), "bee");
  EXPECT_EQ(e.render("x{% include 'missing.j2' ignore missing %}y", "<t>", ctx()), "xy");
  EXPECT_EQ(e.render("{% include 'b.j2' with context %}", "<t>", ctx()), "bee");
}

TEST(Include, MissingTemplate) {
  TempDir d;
  Engine e({d.path()});
  Error err = render_error("\n {% include 'nope.j2' %}", ctx(), &e, "<t>");
  EXPECT_TRUE(contains(err.why(), "included template 'nope.j2' not found (searched "))
      << err.what();
  EXPECT_EQ(err.where().line, 2u);
  EXPECT_EQ(err.where().column, 13u);
  Engine bare;
  err = render_error("{% include 'nope.j2' %}", ctx(), &bare, "<t>");
  EXPECT_EQ(err.why(), "included template 'nope.j2' not found (no search path)");
}

TEST(Include, CycleListsTheChain) {
  TempDir d;
  auto a = d.write("a.j2", "a{% include 'b.j2' %}");
  d.write("b.j2", "b\n{% include 'a.j2' %}");
  Engine e;
  Error err = render_file_error(e, a);
  EXPECT_TRUE(contains(err.why(), "include cycle: ")) << err.what();
  EXPECT_TRUE(contains(err.why(), "a.j2 -> ")) << err.what();
  EXPECT_TRUE(contains(err.why(), "b.j2 -> ")) << err.what();
  EXPECT_TRUE(err.why().ends_with("a.j2")) << err.what();
  // Located at the include in b.j2, with the chain of includes as context.
  EXPECT_TRUE(err.where().file.ends_with("b.j2")) << err.what();
  EXPECT_EQ(err.where().line, 2u);
  ASSERT_EQ(err.context().size(), 1u);
  EXPECT_TRUE(contains(err.context()[0], "included from ")) << err.what();
}

TEST(Include, SelfInclude) {
  TempDir d;
  auto a = d.write("self.j2", "{% include 'self.j2' %}");
  Engine e;
  Error err = render_file_error(e, a);
  EXPECT_TRUE(contains(err.why(), "include cycle: ")) << err.what();
  // A template rendered from a string under a file name is part of the chain too.
  Engine e2({d.path()});
  err = render_error("{% include 'self.j2' %}", ctx(), &e2, (d.path() / "self.j2").string());
  EXPECT_TRUE(contains(err.why(), "include cycle: ")) << err.what();
}

TEST(Include, DepthLimit) {
  TempDir d;
  for (int i = 0; i < 6; ++i)
    d.write("t" + std::to_string(i) + ".j2",
            i < 5 ? "{% include 't" + std::to_string(i + 1) + ".j2' %}" : std::string("end"));
  Limits limits;
  limits.max_include_depth = 3;
  Engine e({}, limits);
  Error err = render_file_error(e, d.path() / "t0.j2");
  EXPECT_TRUE(contains(err.why(), "includes are nested more than 3 deep: ")) << err.what();
  Engine roomy;
  EXPECT_EQ(render_file(roomy, d.path() / "t0.j2"), "end");
}

TEST(Include, DotDotMayNotEscapeTheRoots) {
  TempDir d;
  d.write("secret.txt", "SECRET");
  d.write("root/common.j2", "common");
  auto t = d.write("root/app/t.j2", "{% include '../../secret.txt' %}");
  Engine e({d.path() / "root"});
  Error err = render_file_error(e, t);
  EXPECT_TRUE(
      contains(err.why(), "include path '../../secret.txt' leaves the template directories"))
      << err.what();
  // "../" that stays inside a search root is fine.
  auto ok = d.write("root/app/ok.j2", "{% include '../common.j2' %}");
  EXPECT_EQ(render_file(e, ok), "common");
  // Without a search path the template's own directory is the root.
  Engine bare;
  err = render_file_error(bare, ok);
  EXPECT_TRUE(contains(err.why(), "leaves the template directories")) << err.what();
  // Absolute paths outside the roots are rejected as well.
  err =
      render_error("{% include '" + (d.path() / "secret.txt").string() + "' %}", ctx(), &e, "<t>");
  EXPECT_TRUE(contains(err.why(), "leaves the template directories")) << err.what();
  EXPECT_EQ(
      e.render("{% include '" + (d.path() / "root/common.j2").string() + "' %}", "<t>", ctx()),
      "common");
}

TEST(Include, SymlinksOutOfTheRootsAreRejected) {
  TempDir d;
  d.write("outside/secret.j2", "SECRET");
  fs::create_directories(d.path() / "root");
  fs::create_symlink(d.path() / "outside/secret.j2", d.path() / "root/link.j2");
  Engine e({d.path() / "root"});
  Error err = render_error("{% include 'link.j2' %}", ctx(), &e, "<t>");
  EXPECT_TRUE(contains(err.why(), "leaves the template directories")) << err.what();
}

TEST(Include, ErrorsPointIntoTheIncludedFile) {
  TempDir d;
  auto main = d.write("main.j2", "line1\n  {% include 'part.j2' %}");
  d.write("part.j2", "ok\n\n  {{ nope }}");
  Engine e;
  Error err = render_file_error(e, main);
  EXPECT_EQ(err.why(), "undefined variable 'nope'");
  EXPECT_EQ(err.where().file, (d.path() / "part.j2").string());
  EXPECT_EQ(err.where().line, 3u);
  EXPECT_EQ(err.where().column, 6u);
  ASSERT_EQ(err.context().size(), 1u);
  EXPECT_EQ(err.context()[0], "included from " + main.string() + ":2:3");

  d.write("bad.j2", "{% if %}");
  auto main2 = d.write("main2.j2", "{% include 'bad.j2' %}");
  err = render_file_error(e, main2);
  EXPECT_EQ(err.where().file, (d.path() / "bad.j2").string());
  EXPECT_TRUE(contains(err.why(), "expected an expression")) << err.what();
}

TEST(RenderFile, CachesAndNoticesChanges) {
  TempDir d;
  auto p = d.write("t.j2", "v1 {{ who }}");
  Engine e;
  EXPECT_EQ(render_file(e, p), "v1 you");
  EXPECT_EQ(render_file(e, p), "v1 you");
  d.write("t.j2", "version2 {{ who }}");  // a different size is noticed even within one second
  EXPECT_EQ(render_file(e, p), "version2 you");
  Error err = render_file_error(e, d.path() / "missing.j2");
  EXPECT_EQ(err.code(), ExitCode::kNotFound);
}

TEST(Render, FileNameGivesTheIncludeDirectory) {
  TempDir d;
  d.write("dir/part.j2", "{{ nope }}");
  auto main = d.write("dir/main.j2", "{% include 'part.j2' %}");
  Engine e;
  // render() with a file name resolves includes from that file's directory.
  std::string source = "{% include 'part.j2' %}";
  Error err = render_error(source, ctx(), &e, main.string());
  EXPECT_EQ(err.where().file, (d.path() / "dir/part.j2").string());
}

TEST(Render, RelativeFileNamesResolveFromTheWorkingDirectory) {
  TempDir d;
  d.write("dir/part.j2", "part {{ who }}");
  d.write("dir/self.j2", "");
  fs::path saved = fs::current_path();
  fs::current_path(d.path());
  Engine e;
  std::string out;
  Error err("none");
  try {
    out = e.render("{% include 'part.j2' %}", "dir/main.j2", ctx());
    e.render("{% include 'self.j2' %}", "dir/self.j2", ctx());
  } catch (const Error& x) {
    err = x;
  }
  fs::current_path(saved);
  EXPECT_EQ(out, "part you");
  EXPECT_TRUE(contains(err.why(), "include cycle: dir/self.j2 -> dir/self.j2")) << err.what();
}

}  // namespace
}  // namespace gantry::tmpl::test
