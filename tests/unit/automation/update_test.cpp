// gantry update: the robustness corpus byte for byte, the quoting rule, the diff,
// and bad input (nothing written when any file is wrong).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "automation/update.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/yaml.h"
#include "support/fixtures.h"
#include "support/update_corpus.h"

namespace gantry::automation {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

FileUpdate update(std::string_view text, const UpdateOptions& o,
                  const std::string& name = "t.yaml") {
  std::vector<std::string> notes;
  return update_text(text, name, o, notes);
}

UpdateOptions marker(const std::string& name, const std::string& value) {
  UpdateOptions o;
  o.markers.emplace_back(name, value);
  return o;
}

UpdateOptions image(const std::string& name, const std::string& tag) {
  UpdateOptions o;
  o.images.emplace_back(name, tag);
  return o;
}

TEST(UpdateCorpus, HasTheTrickyCases) {
  auto cases = testing::update_corpus();
  std::vector<std::string> names;
  for (const auto& c : cases)
    names.push_back(c.name);
  for (const char* want :
       {"double_quoted", "single_quoted", "flow_mapping", "marker_in_string", "nested_mapping",
        "crlf", "tabs_in_comment", "several_documents", "anchors", "images", "kustomization"})
    EXPECT_THAT(names, ::testing::Contains(std::string(want)));
}

TEST(UpdateCorpus, EveryCaseByteForByte) {
  for (const auto& c : testing::update_corpus()) {
    SCOPED_TRACE(c.name);
    std::string in = read_file(c.input);
    std::string want = read_file(c.expected);
    UpdateOptions o = testing::update_options(c.args);
    std::string name = c.name + "/" + c.file;
    std::vector<std::string> notes;
    if (!c.error.empty()) {
      try {
        update_text(in, name, o, notes);
        ADD_FAILURE() << "expected an error";
      } catch (const Error& e) {
        EXPECT_THAT(e.str(), StartsWith(c.error));
      }
      continue;
    }
    FileUpdate f = update_text(in, name, o, notes);
    EXPECT_EQ(f.updated, want);
    EXPECT_TRUE(f.changed());
    // The result is still YAML, and a second run changes nothing.
    EXPECT_NO_THROW(doc::parse_yaml_stream(f.updated, name));
    FileUpdate again = update_text(f.updated, name, o, notes);
    EXPECT_FALSE(again.changed()) << again.updated;
  }
}

TEST(Update, ReportsEachChangeWithItsLine) {
  auto f = update("a: 1\nb:\n  v: 1.0.0 # M\n  w: \"x\" # M\n", marker("M", "2.0.0"));
  ASSERT_EQ(f.changes.size(), 2u);
  EXPECT_EQ(f.changes[0].str(), "t.yaml:3: 1.0.0 -> 2.0.0");
  EXPECT_EQ(f.changes[1].str(), "t.yaml:4: \"x\" -> \"2.0.0\"");
}

TEST(Update, NoChangeWhenValueAlreadySet) {
  auto f = update("v: 2.0.0 # M\n", marker("M", "2.0.0"));
  EXPECT_FALSE(f.changed());
  EXPECT_EQ(f.updated, "v: 2.0.0 # M\n");
}

TEST(Update, MarkerNameMustMatchWholly) {
  auto f = update("a: 1.0.0 # M_OLD\nb: 1.0.0 # XM\nc: 1.0.0 #M\n", marker("M", "2"));
  EXPECT_EQ(f.updated, "a: 1.0.0 # M_OLD\nb: 1.0.0 # XM\nc: \"2\" #M\n");
}

TEST(Update, MarkerErrors) {
  EXPECT_THROW(
      {
        try {
          update("x: 1\nlist: # M\n  - a\n", marker("M", "2"));
        } catch (const Error& e) {
          EXPECT_THAT(e.str(), StartsWith("t.yaml:2: "));
          EXPECT_THAT(e.str(), HasSubstr("list"));
          throw;
        }
      },
      Error);
  EXPECT_THROW(update("s: | # M\n  text\n", marker("M", "2")), Error);    // block scalar
  EXPECT_THROW(update("a: &x 1\nb: *x # M\n", marker("M", "2")), Error);  // alias
  EXPECT_THROW(update("a: # M\n", marker("M", "2")), Error);              // no value
}

TEST(Update, NotYamlNamesFileAndLine) {
  try {
    update("a: 1\nb: [1, 2\nc: 3\n", marker("M", "2"), "dir/bad.yaml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.str(), StartsWith("dir/bad.yaml:"));
  }
}

TEST(Update, QuotingRule) {
  doc::Value plain_str = doc::parse_yaml("v: 1.0.0", "x").as_map()[0].value;
  doc::Value plain_int = doc::parse_yaml("v: 3", "x").as_map()[0].value;
  doc::Value single = doc::parse_yaml("v: 'a'", "x").as_map()[0].value;
  doc::Value dbl = doc::parse_yaml("v: \"a\"", "x").as_map()[0].value;
  EXPECT_EQ(format_scalar(plain_str, "1.2.3"), "1.2.3");
  EXPECT_EQ(format_scalar(plain_str, "1.10"), "\"1.10\"");
  EXPECT_EQ(format_scalar(plain_str, "true"), "\"true\"");
  EXPECT_EQ(format_scalar(plain_str, "null"), "\"null\"");
  EXPECT_EQ(format_scalar(plain_str, "a #b"), "\"a #b\"");
  EXPECT_EQ(format_scalar(plain_str, "a: b"), "\"a: b\"");
  EXPECT_EQ(format_scalar(plain_str, "*x"), "\"*x\"");
  EXPECT_EQ(format_scalar(plain_str, "a,b"), "\"a,b\"");
  EXPECT_EQ(format_scalar(plain_int, "4"), "4");
  EXPECT_EQ(format_scalar(plain_int, "abc"), "\"abc\"");
  EXPECT_EQ(format_scalar(single, "it's"), "'it''s'");
  EXPECT_EQ(format_scalar(dbl, "a\"b\\c"), "\"a\\\"b\\\\c\"");
}

TEST(Update, ImagesKeepRegistryAndSkipDigests) {
  UpdateOptions o = image("localhost:5000/app", "v2");
  std::vector<std::string> notes;
  auto f = update_text(
      "image: localhost:5000/app:v1\nx:\n  image: localhost:5000/app@sha256:abcd\n"
      "y:\n  image: localhost:5000/app:v0@sha256:abcd\n",
      "t.yaml", o, notes);
  EXPECT_EQ(f.updated,
            "image: localhost:5000/app:v2\nx:\n  image: localhost:5000/app@sha256:abcd\n"
            "y:\n  image: localhost:5000/app:v0@sha256:abcd\n");
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_THAT(notes[0], HasSubstr("t.yaml:3: image localhost:5000/app@sha256:abcd is pinned"));
}

TEST(Update, KustomizationOnlyInKustomizationFiles) {
  std::string text = "images:\n- name: nginx\n  newTag: 1.0\n";
  EXPECT_FALSE(update(text, image("nginx", "2"), "other.yaml").changed());
  EXPECT_EQ(update(text, image("nginx", "1.25"), "k/kustomization.yml").updated,
            "images:\n- name: nginx\n  newTag: \"1.25\"\n");
  EXPECT_EQ(update("images:\n- name: nginx\n", image("nginx", "1.25.1"), "Kustomization").updated,
            "images:\n- name: nginx\n  newTag: 1.25.1\n");
}

TEST(Update, UnifiedDiff) {
  std::string text = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nv: 1.0.0 # M\nf: 6\ng: 7\nh: 8\ni: 9\n";
  auto f = update(text, marker("M", "2.0.0"));
  EXPECT_EQ(unified_diff(f),
            "--- t.yaml\n+++ t.yaml\n@@ -3,7 +3,7 @@\n c: 3\n d: 4\n e: 5\n"
            "-v: 1.0.0 # M\n+v: 2.0.0 # M\n f: 6\n g: 7\n h: 8\n");
  auto k = update("images:\n- name: nginx\n", image("nginx", "1.2.3"), "kustomization.yaml");
  EXPECT_EQ(unified_diff(k),
            "--- kustomization.yaml\n+++ kustomization.yaml\n@@ -1,2 +1,3 @@\n images:\n"
            " - name: nginx\n+  newTag: 1.2.3\n");
  auto adj = update("a: 1 # M\nb: '1' # M\nc: 3\n", marker("M", "2"));
  EXPECT_EQ(unified_diff(adj),
            "--- t.yaml\n+++ t.yaml\n@@ -1,3 +1,3 @@\n-a: 1 # M\n-b: '1' # M\n+a: 2 # M\n"
            "+b: '2' # M\n c: 3\n");
  auto n = update("v: 1 # M", marker("M", "2"));
  EXPECT_EQ(unified_diff(n),
            "--- t.yaml\n+++ t.yaml\n@@ -1,1 +1,1 @@\n-v: 1 # M\n\\ No newline at end of "
            "file\n+v: 2 # M\n\\ No newline at end of file\n");
}

TEST(UpdateDir, SkipsGitAndFindsYamlRecursively) {
  testing::TempDir dir;
  dir.write("a.yaml", "v: 1 # M\n");
  dir.write("sub/deep/b.yml", "v: 1 # M\n");
  dir.write(".git/c.yaml", "v: 1 # M\n");
  dir.write("d.txt", "v: 1 # M\n");
  auto files = find_yaml_files(dir.path());
  ASSERT_EQ(files.size(), 2u);
  auto plan = plan_update(dir.path(), marker("M", "2"));
  EXPECT_EQ(plan.change_count(), 2u);
  apply_update(plan);
  EXPECT_EQ(read_file(dir.path() / "a.yaml"), "v: 2 # M\n");
  EXPECT_EQ(read_file(dir.path() / "sub/deep/b.yml"), "v: 2 # M\n");
  EXPECT_EQ(read_file(dir.path() / ".git/c.yaml"), "v: 1 # M\n");
  EXPECT_EQ(read_file(dir.path() / "d.txt"), "v: 1 # M\n");
}

TEST(UpdateDir, ABadFileStopsEverythingBeforeAnyWrite) {
  testing::TempDir dir;
  dir.write("a.yaml", "v: 1 # M\n");
  dir.write("b.yaml", "x: [1\ny: 1 # M\n");
  dir.write("c.yaml", "nested: # M\n  k: v\n");
  EXPECT_THROW(plan_update(dir.path(), marker("M", "2")), Error);
  fs::remove(dir.path() / "b.yaml");
  try {
    plan_update(dir.path(), marker("M", "2"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.str(), HasSubstr("c.yaml:1: marker # M is on key 'nested'"));
  }
  EXPECT_EQ(read_file(dir.path() / "a.yaml"), "v: 1 # M\n");
}

TEST(UpdateDir, TemplatesThatNameNoTargetAreNotParsed) {
  testing::TempDir dir;
  dir.write("config/staging.yaml", "api:\n  version: 1.0.0 # STAGING_IMAGE_TAG\n");
  // Not YAML until rendered, like the course's manifests.
  dir.write("manifests/Deployment.yaml",
            "spec:\n  replicas: {{ api.replicas }}\n  image: x:{{ api.version }}\n");
  UpdatePlan plan = plan_update(dir.path(), marker("STAGING_IMAGE_TAG", "1.2.3"));
  ASSERT_EQ(plan.files.size(), 1u);
  EXPECT_EQ(plan.files[0].updated, "api:\n  version: 1.2.3 # STAGING_IMAGE_TAG\n");
  // A template that does name the target must still be valid YAML.
  dir.write("manifests/Other.yaml", "replicas: {{ n }} # STAGING_IMAGE_TAG\n");
  EXPECT_THROW(plan_update(dir.path(), marker("STAGING_IMAGE_TAG", "1.2.3")), Error);
}

}  // namespace
}  // namespace gantry::automation
