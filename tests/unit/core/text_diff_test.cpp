#include <gtest/gtest.h>

#include "core/text_diff.h"

namespace gantry {
namespace {

TEST(TextDiff, EqualTextsGiveNothing) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
  EXPECT_EQ(unified_diff("", "", "x", "y"), "");
}

TEST(TextDiff, OneChangedLineWithContext) {
  // Expected output is what GNU `diff -u` prints for these inputs.
  std::string a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
  std::string b = "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n";
  EXPECT_EQ(unified_diff(a, b, "a", "b"),
            "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
}

TEST(TextDiff, CreatedAndDeletedFiles) {
  EXPECT_EQ(unified_diff("", "a\nb\n", "/dev/null", "new"),
            "--- /dev/null\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  EXPECT_EQ(unified_diff("a\n", "", "old", "/dev/null"),
            "--- old\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n");
}

TEST(TextDiff, DistantChangesMakeTwoHunksNearOnesOne) {
  std::string a, b;
  for (int i = 1; i <= 20; ++i) {
    a += std::to_string(i) + "\n";
    b += (i == 2 || i == 18 ? "x" + std::to_string(i) : std::to_string(i)) + "\n";
  }
  EXPECT_EQ(unified_diff(a, b, "a", "b"),
            "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+x2\n 3\n 4\n 5\n"
            "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+x18\n 19\n 20\n");
  std::string c, d;
  for (int i = 1; i <= 12; ++i) {
    c += std::to_string(i) + "\n";
    d += (i == 3 || i == 9 ? "y" : std::to_string(i)) + "\n";
  }
  // 5 unchanged lines between the changes (<= 2 * context): one hunk.
  EXPECT_EQ(unified_diff(c, d, "a", "b"),
            "--- a\n+++ b\n@@ -1,12 +1,12 @@\n 1\n 2\n-3\n+y\n 4\n 5\n 6\n 7\n 8\n-9\n+y\n 10\n "
            "11\n 12\n");
}

TEST(TextDiff, DeletionsBeforeInsertionsAndMissingNewline) {
  EXPECT_EQ(unified_diff("a\nb\nc", "a\nB\nC\nc", "a", "b"),
            "--- a\n+++ b\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n\\ No newline at end of file\n");
  EXPECT_EQ(unified_diff("a\n", "a", "a", "b"),
            "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n");
}

TEST(TextDiff, ShortestEditOnMovedBlocks) {
  // Myers finds a minimal script: one line moved is one delete + one insert.
  std::string out = unified_diff("a\nb\nc\nd\n", "b\nc\nd\na\n", "x", "y");
  EXPECT_EQ(out, "--- x\n+++ y\n@@ -1,4 +1,4 @@\n-a\n b\n c\n d\n+a\n");
}

TEST(TextDiff, LargeUnrelatedTextsStayBounded) {
  std::string a, b;
  for (int i = 0; i < 6000; ++i) {
    a += "a" + std::to_string(i) + "\n";
    b += "b" + std::to_string(i) + "\n";
  }
  std::string out = unified_diff(a, b, "a", "b");
  EXPECT_EQ(out.rfind("--- a\n+++ b\n@@ -1,6000 +1,6000 @@\n-a0\n", 0), 0u);
  size_t minus = 0, plus = 0;
  for (size_t p = out.find('\n'); p != std::string::npos && p + 1 < out.size();
       p = out.find('\n', p + 1)) {
    minus += out[p + 1] == '-';
    plus += out[p + 1] == '+';
  }
  EXPECT_EQ(minus, 6000u);
  EXPECT_EQ(plus, 6001u);  // 6000 lines and the "+++" header
}

}  // namespace
}  // namespace gantry
