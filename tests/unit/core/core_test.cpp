#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <vector>

#include "core/base64.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "core/parallel.h"
#include "core/process.h"
#include "core/utf8.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;

TEST(Base64, RoundTripsAllLengths) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  for (size_t n = 0; n < all.size(); n += 7) {
    auto s = all.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");  // unpadded
  EXPECT_EQ(base64_decode("Zm9v!"), std::nullopt);
  EXPECT_EQ(base64_decode("Z"), std::nullopt);
}

TEST(Digest, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ErrorType, FormatsLocationContextAndReason) {
  Error e(Location{"a/b.yaml", 3, 7}, "bad value");
  e.add_context("inner").add_context("outer");
  EXPECT_EQ(e.str(), "a/b.yaml:3:7: outer: inner: bad value");
  EXPECT_STREQ(e.what(), "a/b.yaml:3:7: outer: inner: bad value");
  Error plain("just why", ExitCode::kExternal);
  EXPECT_EQ(plain.str(), "just why");
  EXPECT_EQ(plain.code(), ExitCode::kExternal);
  plain.set_location_if_unknown(Location{"f", 1, 0});
  EXPECT_EQ(plain.str(), "f:1: just why");
}

TEST(Files, AtomicWriteAndRead) {
  testing::TempDir d;
  fs::path p = d.path() / "x.txt";
  write_file_atomic(p, "hello");
  EXPECT_EQ(read_file(p), "hello");
  write_file_atomic(p, "bye");
  EXPECT_EQ(read_file(p), "bye");
  // no temporary files left behind
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator()), 1);
  EXPECT_THROW(read_file(d.path() / "missing"), Error);
  try {
    read_file(p, 2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.str().find("over the limit"), std::string::npos);
  }
}

TEST(Files, WriteFilesAtomicWritesAllOrNone) {
  testing::TempDir d;
  fs::path a = d.path() / "a.yaml", b = d.path() / "sub" / "b.yaml";
  fs::create_directories(b.parent_path());
  write_file_atomic(a, "a0");
  write_file_atomic(b, "b0");
  fs::permissions(a, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  std::string a1 = "a1", b1 = "b1";
  write_files_atomic({{a, a1}, {b, b1}});
  EXPECT_EQ(read_file(a), "a1");
  EXPECT_EQ(read_file(b), "b1");
  EXPECT_EQ(fs::status(a).permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  // A target that cannot be written: nothing is replaced, no temporary file stays.
  EXPECT_THROW(write_files_atomic({{a, "a2"}, {d.path() / "missing" / "c.yaml", "c"}}), Error);
  EXPECT_EQ(read_file(a), "a1");
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator()), 2);
  write_files_atomic({});
}

TEST(Files, JoinWithinRefusesEscapes) {
  fs::path root = "/srv/project";
  EXPECT_EQ(join_within(root, "a/b/../c"), fs::path("/srv/project/a/c"));
  EXPECT_EQ(join_within(root, "."), fs::path("/srv/project/"));
  EXPECT_THROW(join_within(root, "../x"), Error);
  EXPECT_THROW(join_within(root, "a/../../x"), Error);
  EXPECT_THROW(join_within(root, "/etc/passwd"), Error);
  EXPECT_FALSE(is_within("/srv/project", "/srv/project-other"));
  EXPECT_TRUE(is_within("/srv/project", "/srv/project/sub"));
}

TEST(Process, CapturesOutputExitCodeAndInput) {
  ProcessOptions with_input;
  with_input.input = "in put";
  auto r = run_process({"sh", "-c", "cat; echo err >&2; exit 3"}, with_input);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "in put");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_THROW(run_process({"no-such-program-gantry"}), Error);
  ProcessOptions short_timeout;
  short_timeout.timeout = std::chrono::milliseconds(100);
  auto slow = run_process({"sleep", "5"}, short_timeout);
  EXPECT_TRUE(slow.timed_out);
}

TEST(Process, ExtraEnvReplacesAnInheritedVariable) {
  ::setenv("GANTRY_TEST_INHERITED", "old", 1);
  ProcessOptions o;
  o.extra_env = {"GANTRY_TEST_INHERITED=new"};
  ProcessResult r = run_process({"sh", "-c", "env | grep ^GANTRY_TEST_INHERITED="}, o);
  ::unsetenv("GANTRY_TEST_INHERITED");
  EXPECT_EQ(r.out, "GANTRY_TEST_INHERITED=new\n");
}

}  // namespace
}  // namespace gantry

namespace gantry {
namespace {

TEST(Utf8, DecodesValidAndRejectsInvalidSequences) {
  uint32_t cp = 0;
  EXPECT_EQ(utf8_decode("a", 0, cp), 1u);
  EXPECT_EQ(cp, 'a');
  EXPECT_EQ(utf8_decode("\xC3\xA9", 0, cp), 2u);  // é
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(utf8_decode("\xF0\x9F\x98\x80", 0, cp), 4u);  // 😀
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(utf8_decode("\xC0\xAF", 0, cp), 0u);          // overlong '/'
  EXPECT_EQ(utf8_decode("\xED\xA0\x80", 0, cp), 0u);      // surrogate
  EXPECT_EQ(utf8_decode("\xF4\x90\x80\x80", 0, cp), 0u);  // above U+10FFFF
  EXPECT_EQ(utf8_decode("\xE2\x82", 0, cp), 0u);          // truncated
  EXPECT_EQ(utf8_decode("x", 1, cp), 0u);                 // past the end
  EXPECT_TRUE(utf8_valid("plain \xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(utf8_valid("bad \xFF"));
}

TEST(Utf8, EncodesAndReplacesInvalidCodePoints) {
  std::string out;
  for (uint32_t cp : {0x41u, 0xE9u, 0x20ACu, 0x1F600u})
    utf8_append(out, cp);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  out.clear();
  utf8_append(out, 0xD800);
  utf8_append(out, 0x110000);
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Parallel, RunsEveryIndexAndRethrowsTheFirstFailureInOrder) {
  std::vector<int> hits(1000, 0);
  parallel_for(hits.size(), 8, [&](size_t i) { hits[i]++; });
  EXPECT_EQ(std::count(hits.begin(), hits.end(), 1), 1000);
  std::atomic<int> ran{0};
  try {
    parallel_for(100, 8, [&](size_t i) {
      ++ran;
      if (i == 70 || i == 30 || i == 99) throw Error("failed at " + std::to_string(i));
    });
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.str(), "failed at 30");  // the lowest index, whatever thread got there first
  }
  EXPECT_EQ(ran.load(), 100);
  parallel_for(0, 8, [](size_t) { FAIL(); });
  std::vector<int> seq;
  parallel_for(5, 1, [&](size_t i) { seq.push_back(static_cast<int>(i)); });
  EXPECT_EQ(seq, (std::vector<int>{0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace gantry
