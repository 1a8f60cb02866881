// The corpus against the real tools. Regenerates nothing:
//  - `kubectl kustomize` (kustomize v5.5) must still print exactly the stored
//    expected.yaml of every case; a mismatch means the stored expectation is
//    stale or kubectl changed, and the unit corpus test can no longer be
//    trusted until tests/data/kustomize/regenerate.sh is run and reviewed.
//  - `gantry kustomize` must print the same bytes (a drop-in for kubectl).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/file.h"
#include "core/process.h"
#include "support/fixtures.h"
#include "support/kustomize_corpus.h"

namespace gantry {
namespace {

using testing::compare_objects;
using testing::kustomize_corpus_cases;
using testing::kustomize_corpus_dir;
using testing::parse_objects;

class KustomizeReference : public ::testing::TestWithParam<std::string> {};

std::string describe(const std::string& expected, const std::string& actual,
                     const std::string& name) {
  std::string diff;
  try {
    diff = compare_objects(parse_objects(expected, "expected.yaml"), parse_objects(actual, name));
  } catch (const Error& e) {
    diff = "cannot parse: " + e.str();
  }
  return diff.empty() ? "same objects, different formatting" : diff;
}

TEST_P(KustomizeReference, KubectlStillAgreesWithStoredExpectation) {
  auto dir = kustomize_corpus_dir() / GetParam();
  ASSERT_TRUE(find_program("kubectl"))
      << "kubectl is not installed: the kustomize corpus cannot be checked against it";
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(2);
  ProcessResult r = run_process({"kubectl", "kustomize", dir.string()}, opts);
  ASSERT_EQ(r.exit_code, 0) << "kubectl kustomize " << dir << " failed: " << r.err;
  std::string expected = read_file(dir / "expected.yaml");
  EXPECT_EQ(r.out, expected) << "\n*** kubectl kustomize DISAGREES with the stored "
                             << (dir / "expected.yaml") << ": "
                             << describe(expected, r.out, "kubectl output")
                             << "\n*** Review and run tests/data/kustomize/regenerate.sh "
                             << GetParam() << "\n";
}

TEST_P(KustomizeReference, GantryKustomizePrintsTheSameBytes) {
  auto dir = kustomize_corpus_dir() / GetParam();
  ProcessResult r = testing::run_gantry({"kustomize", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << "gantry kustomize " << dir << " failed: " << r.err;
  std::string expected = read_file(dir / "expected.yaml");
  EXPECT_EQ(r.out, expected) << GetParam() << ": " << describe(expected, r.out, "gantry output");
}

INSTANTIATE_TEST_SUITE_P(Cases, KustomizeReference, ::testing::ValuesIn(kustomize_corpus_cases()),
                         testing::case_test_name);

// Error cases: both tools fail, and both messages hold the stored phrase.
class KustomizeReferenceErrors : public ::testing::TestWithParam<std::string> {};

TEST_P(KustomizeReferenceErrors, KubectlAndGantryFailAlike) {
  auto dir = kustomize_corpus_dir() / GetParam();
  std::string phrase = testing::kustomize_expected_error(GetParam());
  ASSERT_FALSE(phrase.empty());
  ASSERT_TRUE(find_program("kubectl")) << "kubectl is not installed";
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(2);
  ProcessResult k = run_process({"kubectl", "kustomize", dir.string()}, opts);
  EXPECT_NE(k.exit_code, 0) << "kubectl kustomize " << dir << " now succeeds";
  EXPECT_NE(testing::unescape_quotes(k.err).find(phrase), std::string::npos)
      << "kubectl's error changed: " << k.err << "\n*** Review " << (dir / "expected-error.txt");
  ProcessResult g = testing::run_gantry({"kustomize", dir.string()});
  EXPECT_NE(g.exit_code, 0) << "gantry kustomize " << dir << " succeeded: " << g.out;
  EXPECT_NE(g.err.find(phrase), std::string::npos) << "gantry's error: " << g.err;
}

INSTANTIATE_TEST_SUITE_P(Cases, KustomizeReferenceErrors,
                         ::testing::ValuesIn(testing::kustomize_error_cases()),
                         testing::case_test_name);

// The krusty corpus (tests/data/kustomize-krusty, from kustomize's own
// end-to-end tests): kubectl, with the flags the test's options imply, must
// still print the stored expected.yaml, or still fail with the stored error;
// `gantry kustomize` must print the same bytes or fail alike, except on the
// cases known-differences.txt lists (those are checked by the unit test).
namespace krusty {

const std::string kCorpus = "kustomize-krusty";

std::vector<std::string> all_cases() {
  return testing::kustomize_all_cases(kCorpus);
}

// kubectl logs its error with klog: `"command failed" err="<Go-quoted>"`, or
// `err=<` and the message's lines indented by a tab. The message as written
// (what generate.py took the stored phrase from); the raw text otherwise.
std::string klog_message(const std::string& err) {
  size_t p = err.find("err=\"");
  if (p != std::string::npos) {
    std::string out;
    for (size_t i = p + 5; i < err.size() && err[i] != '"'; ++i) {
      if (err[i] != '\\' || i + 1 == err.size()) {
        out += err[i];
        continue;
      }
      char c = err[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    }
    return out;
  }
  p = err.find("err=<\n");
  if (p == std::string::npos) return err;
  std::string out;
  for (size_t i = p + 6; i < err.size() && err[i] == '\t';) {
    size_t nl = err.find('\n', i);
    out += err.substr(i + 1, nl == std::string::npos ? std::string::npos : nl - i);
    if (nl == std::string::npos) break;
    i = nl + 1;
  }
  return out;
}

class KrustyReference : public ::testing::TestWithParam<std::string> {};

TEST_P(KrustyReference, KubectlAndGantryAgreeWithTheStoredCase) {
  const std::string& name = GetParam();
  auto dir = testing::kustomize_corpus_dir(kCorpus) / name;
  auto build_dir = testing::kustomize_case_build_dir(name, kCorpus);
  ASSERT_TRUE(find_program("kubectl"))
      << "kubectl is not installed: the krusty corpus cannot be checked against it";
  std::vector<std::string> argv = {"kubectl", "kustomize", build_dir.string()};
  for (auto& f : testing::kustomize_case_flags(name, kCorpus))
    argv.push_back(f);
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(2);
  ProcessResult k = run_process(argv, opts);
  bool builds = std::filesystem::exists(dir / "expected.yaml");
  if (builds) {
    ASSERT_EQ(k.exit_code, 0) << "kubectl kustomize " << build_dir << " now fails: " << k.err;
    std::string expected = read_file(dir / "expected.yaml");
    EXPECT_EQ(k.out, expected) << "\n*** kubectl kustomize DISAGREES with the stored "
                               << (dir / "expected.yaml") << ": "
                               << describe(expected, k.out, "kubectl output")
                               << "\n*** Review and run tests/data/kustomize-krusty/generate.py\n";
  } else {
    std::string phrase = testing::kustomize_expected_error(name, kCorpus);
    EXPECT_NE(k.exit_code, 0) << "kubectl kustomize " << build_dir << " now succeeds";
    std::string err = klog_message(k.err);
    EXPECT_NE(err.find(phrase), std::string::npos)
        << "kubectl's error changed: " << k.err << "\n*** Review " << (dir / "expected-error.txt");
  }
  if (testing::kustomize_known_differences(kCorpus).count(name)) return;
  std::vector<std::string> gantry_argv = {"kustomize", build_dir.string()};
  auto flags = testing::kustomize_case_flags(name, kCorpus);
  for (size_t i = 0; i + 1 < flags.size(); ++i)  // the one flag gantry kustomize shares
    if (flags[i] == "--load-restrictor") {
      gantry_argv.push_back(flags[i]);
      gantry_argv.push_back(flags[i + 1]);
    }
  ProcessResult g = testing::run_gantry(gantry_argv);
  if (builds) {
    ASSERT_EQ(g.exit_code, 0) << "gantry kustomize " << build_dir << " failed: " << g.err;
    std::string expected = read_file(dir / "expected.yaml");
    EXPECT_EQ(g.out, expected) << name << ": " << describe(expected, g.out, "gantry output");
  } else {
    EXPECT_NE(g.exit_code, 0) << "gantry kustomize " << build_dir << " succeeded: " << g.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, KrustyReference, ::testing::ValuesIn(all_cases()),
                         testing::case_test_name);

}  // namespace krusty

}  // namespace
}  // namespace gantry
