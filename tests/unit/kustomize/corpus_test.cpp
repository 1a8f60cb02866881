// The differential corpus: every case under tests/data/kustomize is built by
// gantry's engine and compared, object by object and field by field, with
// expected.yaml (the stored output of the real `kubectl kustomize`).
#include <gtest/gtest.h>

#include "core/file.h"
#include "kustomize/kustomize.h"
#include "support/kustomize_corpus.h"

namespace gantry {
namespace {

using testing::compare_objects;
using testing::kustomize_corpus_cases;
using testing::kustomize_corpus_dir;
using testing::parse_objects;

class KustomizeCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(KustomizeCorpus, MatchesKubectlKustomize) {
  auto dir = kustomize_corpus_dir() / GetParam();
  auto want = parse_objects(read_file(dir / "expected.yaml"), (dir / "expected.yaml").string());
  kustomize::Options opts;
  opts.root = dir;  // every case is self-contained
  std::vector<doc::Value> got;
  try {
    for (auto& r : kustomize::build(dir, opts))
      got.push_back(std::move(r.object));
  } catch (const Error& e) {
    FAIL() << "gantry failed to build " << dir << ": " << e.str();
  }
  std::string diff = compare_objects(want, got);
  EXPECT_TRUE(diff.empty()) << GetParam() << ": " << diff;
  // Key order as kubectl prints it (sorted), not only equal values.
  for (size_t i = 0; i < std::min(want.size(), got.size()); ++i)
    EXPECT_TRUE(want[i].equals(got[i], /*ordered=*/true))
        << GetParam() << ": object #" << i << " has its keys in another order";
}

INSTANTIATE_TEST_SUITE_P(Cases, KustomizeCorpus, ::testing::ValuesIn(kustomize_corpus_cases()),
                         testing::case_test_name);

// Error cases: kubectl fails on them, gantry must fail too, with kustomize's
// message (the phrase in expected-error.txt).
class KustomizeErrorCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(KustomizeErrorCorpus, FailsLikeKubectlKustomize) {
  auto dir = kustomize_corpus_dir() / GetParam();
  std::string phrase = testing::kustomize_expected_error(GetParam());
  ASSERT_FALSE(phrase.empty()) << dir << "/expected-error.txt is empty";
  kustomize::Options opts;
  opts.root = dir;
  try {
    auto out = kustomize::build(dir, opts);
    FAIL() << "gantry built " << dir << " (" << out.size()
           << " objects); kubectl fails with: " << phrase;
  } catch (const Error& e) {
    EXPECT_NE(e.str().find(phrase), std::string::npos)
        << "gantry's error: " << e.str() << "\nkubectl's contains: " << phrase;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, KustomizeErrorCorpus,
                         ::testing::ValuesIn(testing::kustomize_error_cases()),
                         testing::case_test_name);

TEST(KustomizeCorpusSize, HasAtLeastSixtyCases) {
  EXPECT_GE(kustomize_corpus_cases().size(), 60u);
}

}  // namespace
}  // namespace gantry
