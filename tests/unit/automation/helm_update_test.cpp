// helm-update's choice of version: the newest semver allowed by the item's
// updateConstraints and newer than chartVersion.
#include <gtest/gtest.h>

#include "automation/helm_update.h"
#include "support/fixtures.h"

namespace gantry::automation {
namespace {

const std::vector<std::string> kVersions = {"1.0.0",      "1.0.3",  "1.1.0",
                                            "2.0.0-rc.1", "latest", "0.9.0"};

TEST(NewestAllowed, HonoursTheRange) {
  EXPECT_EQ(newest_allowed(kVersions, "1.0.0", "~1.0.0"), "1.0.3");
  EXPECT_EQ(newest_allowed(kVersions, "1.0.0", "^1.0.0"), "1.1.0");
  EXPECT_EQ(newest_allowed(kVersions, "1.0.0", ">=2.0.0-0"), "2.0.0-rc.1");
  EXPECT_EQ(newest_allowed(kVersions, "1.0.3", "~1.0.0"), "");  // already the newest
}

TEST(NewestAllowed, WithoutRangeReleasesOnly) {
  EXPECT_EQ(newest_allowed(kVersions, "1.0.0", ""), "1.1.0");
  EXPECT_EQ(newest_allowed(kVersions, "1.1.0", ""), "");
  EXPECT_EQ(newest_allowed({}, "1.0.0", ""), "");
}

TEST(NewestAllowed, InvalidRangeIsAnError) {
  std::string err = testing::error_text([] { newest_allowed(kVersions, "1.0.0", "~>>1"); });
  EXPECT_NE(err, "<no error>");
}

}  // namespace
}  // namespace gantry::automation
