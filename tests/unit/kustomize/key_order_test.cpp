// The order kubectl kustomize prints map keys in: go-yaml v2's, not bytewise.
#include <gtest/gtest.h>

#include "kustomize/internal.h"

namespace gantry::kustomize::detail {
namespace {

TEST(KustomizeKeyOrder, NonLettersBeforeLettersAndNumbersByValue) {
  // '_' is after 'N' bytewise, but a non-letter sorts first (krusty issue3393).
  EXPECT_TRUE(yaml_key_less("A_FIRST_ENV_VARIABLE", "ANOTHER_ENV_VARIABLE"));
  EXPECT_FALSE(yaml_key_less("ANOTHER_ENV_VARIABLE", "A_FIRST_ENV_VARIABLE"));
  EXPECT_TRUE(yaml_key_less("a9", "a10"));
  EXPECT_TRUE(yaml_key_less("Zebra", "apple"));  // letters: by code point
  EXPECT_TRUE(yaml_key_less("app", "app.kubernetes.io/name"));
  EXPECT_TRUE(yaml_key_less("apiVersion", "kind"));
  EXPECT_FALSE(yaml_key_less("kind", "kind"));
}

}  // namespace
}  // namespace gantry::kustomize::detail
