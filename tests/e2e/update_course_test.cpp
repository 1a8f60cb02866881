// gantry update on a copy of the course's repository: the step the course does with sed.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/file.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;

TEST(UpdateCourse, BumpsExactlyTheMarkedTagsAndNothingElse) {
  testing::TempDir dir;
  fs::path repo = dir.path() / "course";
  fs::copy(testing::course_dir(), repo, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(repo))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  std::string taskfile = read_file(repo / "github-actions/Taskfile.yaml");

  auto r =
      testing::run_gantry({"update", repo.string(), "--marker", "STAGING_IMAGE_TAG=1.2.3-rc.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* service : {"api-golang", "api-node", "client-react", "load-generator-python"}) {
    fs::path cfg = repo / "kluctl/services" / service / "config";
    std::string staging = read_file(cfg / "staging.yaml");
    EXPECT_NE(staging.find("  version: 1.2.3-rc.1 # STAGING_IMAGE_TAG\n"), std::string::npos)
        << service << ":\n"
        << staging;
    EXPECT_EQ(
        read_file(cfg / "production.yaml"),
        read_file(testing::course_dir() / "kluctl/services" / service / "config/production.yaml"));
    EXPECT_NE(r.out.find(service + std::string("/config/staging.yaml:2: 1.0.0 -> 1.2.3-rc.1")),
              std::string::npos)
        << r.out;
  }
  // The marker text inside a quoted string is not a marker (sed needed an exclusion list).
  EXPECT_EQ(read_file(repo / "github-actions/Taskfile.yaml"), taskfile);

  auto again =
      testing::run_gantry({"update", repo.string(), "--marker", "STAGING_IMAGE_TAG=1.2.3-rc.1"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("no changes"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace gantry
