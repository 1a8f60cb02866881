// gantry render on the course's real deployment project (../shared/examples/course/kluctl).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/file.h"
#include "doc/yaml.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;
using testing::course_dir;
using testing::run_gantry;

const std::vector<std::string> kExcludeHelm = {"--exclude-deployment-dir", "third-party/traefik",
                                               "--exclude-deployment-dir",
                                               "third-party/cloudnative-pg"};

std::vector<std::string> render_args(const std::string& target) {
  std::vector<std::string> args{"render", "--project", (course_dir() / "kluctl").string(), "-t",
                                target};
  args.insert(args.end(), kExcludeHelm.begin(), kExcludeHelm.end());
  return args;
}

const doc::Value* find_object(const std::vector<doc::Value>& objs, std::string_view kind,
                              std::string_view name) {
  for (const auto& o : objs)
    if (o.get_string("kind") == kind && o.find("metadata")->get_string("name") == name) return &o;
  return nullptr;
}

class CourseRender : public ::testing::TestWithParam<std::string> {};

TEST_P(CourseRender, MatchesStoredExpectation) {
  ASSERT_TRUE(fs::exists(course_dir() / "kluctl" / ".kluctl.yaml")) << course_dir();
  const std::string target = GetParam();
  auto r = run_gantry(render_args(target));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // stderr is not a terminal: no summary line
  auto got = doc::parse_yaml_stream(r.out, "stdout");
  auto want = doc::read_yaml_file(
      (testing::source_dir() / "tests/data/course" / (target + ".yaml")).string());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(got[i].equals(want[i], /*ordered=*/true)) << "object " << i << " differs:\n"
                                                          << doc::to_yaml(got[i]) << "\nwant:\n"
                                                          << doc::to_yaml(want[i]);
}

INSTANTIATE_TEST_SUITE_P(Targets, CourseRender, ::testing::Values("staging", "production"));

TEST(CourseRender, PerTargetValues) {
  for (const std::string target : {"staging", "production"}) {
    SCOPED_TRACE(target);
    auto r = run_gantry(render_args(target));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto objs = doc::parse_yaml_stream(r.out, "stdout");
    // namespaces (2) + postgres (2) + api-golang (7) + api-node (5) + client-react (4) +
    // load-generator (2)
    EXPECT_EQ(objs.size(), 22u);
    for (const auto& o : objs) {
      const doc::Value* labels = o.find_path({"metadata", "labels"});
      ASSERT_NE(labels, nullptr) << doc::to_yaml(o);
      EXPECT_EQ(labels->get_string("devopsdirective.com/course"), "kubernetes-course");
      EXPECT_EQ(labels->get_string("gantry.dev/discriminator"), "kluctl-" + target);
    }
    const doc::Value* api = find_object(objs, "Deployment", "api-golang");
    ASSERT_NE(api, nullptr);
    EXPECT_EQ(api->find_path({"spec", "replicas"})->as_int(), target == "staging" ? 1 : 2);
    EXPECT_EQ(api->find_path({"spec", "template", "spec", "containers"})
                  ->as_list()[0]
                  .get_string("image"),
              "sidpalas/devops-directive-docker-course-api-golang:1.0.0");
    const doc::Value* cluster = find_object(objs, "Cluster", "cnpg-minimal");
    ASSERT_NE(cluster, nullptr);
    EXPECT_EQ(cluster->find_path({"spec", "instances"})->as_int(), target == "staging" ? 1 : 2);
    const doc::Value* route = find_object(objs, "IngressRoute", "client-react-nginx");
    ASSERT_NE(route, nullptr);
    std::string host = target == "staging" ? "kubernetes-course-staging.devopsdirective.com"
                                           : "kubernetes-course.devopsdirective.com";
    EXPECT_EQ(route->find_path({"spec", "routes"})->as_list()[0].get_string("match"),
              "Host(`" + host + "`)");
  }
}

TEST(CourseRender, HelmItemWithoutHelmFailsNamingTheItem) {
  std::vector<std::string> args{"render", "--project", (course_dir() / "kluctl").string(), "-t",
                                "staging"};
  ProcessOptions opts;
  // A PATH without helm (the machines have none; make sure of it).
  std::vector<std::string> argv{"env", "PATH=/nonexistent", GANTRY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_process(argv, opts);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("third-party/traefik"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("helm"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not installed"), std::string::npos) << r.err;
}

TEST(CourseRender, ExcludeByTagWorksToo) {
  std::vector<std::string> args{"render",  "--project",     (course_dir() / "kluctl").string(),
                                "-t",      "staging",       "--exclude-tag",
                                "traefik", "--exclude-tag", "cloudnative-pg"};
  auto r = run_gantry(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(doc::parse_yaml_stream(r.out, "stdout").size(), 22u);
}

TEST(CourseRender, OnlyOneServiceByDir) {
  auto args = render_args("production");
  args.push_back("--include-deployment-dir");
  args.push_back("services/api-golang");
  auto r = run_gantry(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto objs = doc::parse_yaml_stream(r.out, "stdout");
  EXPECT_EQ(objs.size(), 7u);
  for (const auto& o : objs)
    EXPECT_EQ(o.find_path({"metadata", "namespace"})->as_string(), "demo-app");
}

TEST(CourseRender, UnknownTargetListsKnownOnes) {
  auto r = run_gantry({"render", "--project", (course_dir() / "kluctl").string(), "-t", "qa"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("unknown target \"qa\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("staging, production"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(".kluctl.yaml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace gantry
