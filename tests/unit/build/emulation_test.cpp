// When RUN steps of a foreign platform can run: binfmt_misc entries as the
// kernel shows them, written into a scratch directory.
#include "build/emulation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "build/builder.h"
#include "support/fixtures.h"

namespace gantry::build {
namespace {

using ::testing::HasSubstr;

// A platform of another architecture than this machine's, and its qemu name.
std::pair<std::string, std::string> foreign() {
  return host_platform() == "linux/arm64" ? std::pair{"linux/amd64", "x86_64"}
                                          : std::pair{"linux/arm64", "aarch64"};
}

TEST(Emulation, TheHostPlatformNeedsNothing) {
  testing::TempDir dir;
  EXPECT_EQ(emulation_problem(host_platform(), dir.path()), std::nullopt);
  if (host_platform() == "linux/amd64") {
    EXPECT_EQ(emulation_problem("linux/386", dir.path()), std::nullopt);
  }
}

TEST(Emulation, AForeignPlatformNeedsARegisteredQemuWithTheFixBinaryFlag) {
  testing::TempDir dir;
  auto [platform, qemu] = foreign();
  auto problem = emulation_problem(platform, dir.path());
  ASSERT_TRUE(problem);
  EXPECT_THAT(*problem, HasSubstr("RUN for " + platform + " needs qemu-" + qemu +
                                  " registered in binfmt_misc"));
  EXPECT_THAT(*problem, HasSubstr("apt-get install qemu-user-static binfmt-support"));
  EXPECT_THAT(*problem, HasSubstr("this machine is " + host_platform()));

  const std::string entry = "qemu-" + qemu;
  dir.write(entry, "enabled\ninterpreter /usr/libexec/qemu-binfmt/" + qemu +
                       "-binfmt-P\nflags: PCF\noffset 0\nmagic 7f454c46\nmask ffffffff\n");
  EXPECT_EQ(emulation_problem(platform, dir.path()), std::nullopt);
  dir.write(entry, "enabled\ninterpreter /usr/bin/qemu-" + qemu + "\nflags: OC\noffset 0\n");
  problem = emulation_problem(platform, dir.path());
  ASSERT_TRUE(problem);
  EXPECT_THAT(*problem, HasSubstr("without the F (fix binary) flag"));
  dir.write(entry, "disabled\ninterpreter /usr/bin/qemu-" + qemu + "\nflags: F\n");
  problem = emulation_problem(platform, dir.path());
  ASSERT_TRUE(problem);
  EXPECT_THAT(*problem, HasSubstr("disabled"));
}

TEST(Emulation, OnlyLinuxAndKnownArchitectures) {
  testing::TempDir dir;
  EXPECT_THAT(emulation_problem("windows/amd64", dir.path()).value_or(""),
              HasSubstr("RUN needs a linux platform"));
  EXPECT_THAT(emulation_problem("linux/sparc64", dir.path()).value_or(""),
              HasSubstr("no qemu-user emulator for sparc64"));
}

}  // namespace
}  // namespace gantry::build
