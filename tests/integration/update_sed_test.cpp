// gantry update against the course's sed line (github-actions/Taskfile.yaml):
//   sed -i "s|\(\s*.*:\s*\).* \(# MARKER\)|\1NEW_TAG \2|" FILE
// Both run on copies of the robustness corpus (tests/data/update/). gantry must
// produce the expected file byte for byte; sed's result is printed where it
// differs, and must differ in the cases marked "differs" (the corpus
// demonstrably holds sed failures). Also runs the gantry binary end to end:
// reports, --dry-run, no-op and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "core/file.h"
#include "core/process.h"
#include "support/fixtures.h"
#include "support/update_corpus.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// The first line where `a` and `b` differ, shown with escapes, or "" when equal.
std::string first_difference(const std::string& a, const std::string& b) {
  if (a == b) return {};
  std::istringstream ia(a), ib(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ga = static_cast<bool>(std::getline(ia, la));
    bool gb = static_cast<bool>(std::getline(ib, lb));
    if (!ga && !gb) return "differ only in the final newline";
    if (la != lb || ga != gb) {
      auto esc = [](std::string s) {
        std::string o;
        for (char c : s)
          o += c == '\r' ? std::string("\\r") : c == '\t' ? std::string("\\t") : std::string(1, c);
        return o;
      };
      return "line " + std::to_string(line) + ": expected [" + esc(gb ? lb : "<eof>") +
             "] sed wrote [" + esc(ga ? la : "<eof>") + "]";
    }
  }
}

TEST(UpdateSed, CourseSedLineFailsWhereGantryDoesNot) {
  if (!find_program("sed")) GTEST_SKIP() << "sed is not installed";
  TempDir dir;
  int sed_failures = 0, compared = 0;
  for (const auto& c : update_corpus()) {
    if (c.sed == "skip") continue;
    SCOPED_TRACE(c.name);
    auto [name, value] = marker_of(c);
    ASSERT_FALSE(name.empty());
    fs::path copy = dir.path() / c.name / c.file;
    fs::create_directories(copy.parent_path());
    fs::copy_file(c.input, copy);
    std::string script = "s|\\(\\s*.*:\\s*\\).* \\(# " + name + "\\)|\\1" + value + " \\2|";
    ProcessResult r = run_process({"sed", "-i", script, copy.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string sed_out = read_file(copy);
    std::string want = read_file(c.expected);
    std::string diff = first_difference(sed_out, want);
    ++compared;
    std::cout << "[sed] " << c.name << ": " << (diff.empty() ? "same as gantry" : diff)
              << (c.why.empty() ? "" : "  (" + c.why + ")") << "\n";
    if (c.sed == "differs") {
      EXPECT_FALSE(diff.empty()) << "sed was expected to go wrong here";
      if (!diff.empty()) ++sed_failures;
    } else {
      EXPECT_EQ(sed_out, want);
    }
  }
  std::cout << "[sed] sed differs from the expected output in " << sed_failures << " of "
            << compared << " marker cases\n";
  EXPECT_GE(sed_failures, 10);
}

TEST(UpdateCli, CorpusThroughTheBinary) {
  for (const auto& c : update_corpus()) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    fs::copy_file(c.input, dir.path() / c.file);
    std::vector<std::string> args{"update", dir.path().string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ProcessResult r = run_gantry(args);
    if (!c.error.empty()) {
      EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
      // The message as the corpus records it, after "CASE/" (the binary names the full path).
      EXPECT_THAT(r.err, HasSubstr(c.error.substr(c.name.size() + 1)));
      EXPECT_EQ(read_file(dir.path() / c.file), read_file(c.input));
      continue;
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(dir.path() / c.file), read_file(c.expected));
    EXPECT_THAT(r.out, HasSubstr((dir.path() / c.file).string() + ":"));
    EXPECT_THAT(r.out, HasSubstr(" -> "));
    // Second run: nothing to do, nothing written.
    ProcessResult again = run_gantry(args);
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_EQ(again.out, "no changes\n");
  }
}

TEST(UpdateCli, DryRunPrintsDiffAndWritesNothing) {
  TempDir dir;
  dir.write("app/values.yaml", "a: 1\nversion: 1.0.0 # STAGING_IMAGE_TAG\n");
  auto before = fs::last_write_time(dir.path() / "app/values.yaml");
  ProcessResult r = run_gantry(
      {"update", dir.path().string(), "--marker", "STAGING_IMAGE_TAG=1.2.3", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string file = (dir.path() / "app/values.yaml").string();
  EXPECT_EQ(r.out, "--- " + file + "\n+++ " + file +
                       "\n@@ -1,2 +1,2 @@\n a: 1\n-version: 1.0.0 # STAGING_IMAGE_TAG\n"
                       "+version: 1.2.3 # STAGING_IMAGE_TAG\n");
  EXPECT_EQ(read_file(dir.path() / "app/values.yaml"),
            "a: 1\nversion: 1.0.0 # STAGING_IMAGE_TAG\n");
  EXPECT_EQ(fs::last_write_time(dir.path() / "app/values.yaml"), before);
}

// The --dry-run diff of every corpus case, applied with patch(1), gives the expected file.
TEST(UpdateCli, DryRunDiffAppliesWithPatch) {
  if (!find_program("patch")) GTEST_SKIP() << "patch is not installed";
  for (const auto& c : update_corpus()) {
    if (!c.error.empty()) continue;
    SCOPED_TRACE(c.name);
    TempDir dir;
    fs::copy_file(c.input, dir.path() / c.file);
    std::vector<std::string> args{"update", ".", "--dry-run"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    ProcessResult r = run_gantry(args, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(dir.path() / c.file), read_file(c.input));
    ProcessOptions po;
    po.cwd = dir.path();
    po.input = r.out;
    ProcessResult p = run_process({"patch", "-p0", "--binary", "--no-backup-if-mismatch"}, po);
    ASSERT_EQ(p.exit_code, 0) << p.out << p.err << r.out;
    EXPECT_EQ(read_file(dir.path() / c.file), read_file(c.expected));
  }
}

TEST(UpdateCli, ReportsChangesAndNotes) {
  TempDir dir;
  dir.write("d.yaml", "image: ghcr.io/a/b:1\n---\nimage: ghcr.io/a/b@sha256:00\n");
  ProcessResult r = run_gantry({"update", dir.path().string(), "--image", "ghcr.io/a/b=2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (dir.path() / "d.yaml").string() + ":1: ghcr.io/a/b:1 -> ghcr.io/a/b:2\n");
  EXPECT_THAT(r.err, HasSubstr("pinned by digest"));
}

TEST(UpdateCli, BadInputWritesNothing) {
  TempDir dir;
  dir.write("a.yaml", "v: 1.0.0 # M\n");
  dir.write("z.yaml", "key: [unclosed\nv: 1.0.0 # M\n");
  ProcessResult r = run_gantry({"update", dir.path().string(), "--marker", "M=2.0.0"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.err, HasSubstr("z.yaml:"));
  EXPECT_EQ(read_file(dir.path() / "a.yaml"), "v: 1.0.0 # M\n");
  // No temporary files were left behind.
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path()))
    ++n;
  EXPECT_EQ(n, 2u);

  EXPECT_EQ(run_gantry({"update", dir.path().string()}).exit_code, 2);
  EXPECT_EQ(run_gantry({"update", dir.path().string(), "--marker", "M"}).exit_code, 2);
  EXPECT_EQ(run_gantry({"update", (dir.path() / "nope").string(), "--marker", "M=1"}).exit_code, 5);
}

}  // namespace
}  // namespace gantry::testing
