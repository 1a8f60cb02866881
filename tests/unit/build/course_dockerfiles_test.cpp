// The course's five Dockerfiles (examples/course/dockerfiles) through the
// parser and the stage planner: every stage with its base, every
// instruction in order, and the flags the build depends on. Building them
// is tests/integration/build_course_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "build/dockerfile.h"
#include "build/stages.h"
#include "core/file.h"
#include "oci/reference.h"

namespace gantry::build {
namespace {

using ::testing::ElementsAre;

struct ExpectedStage {
  std::string name;
  std::string base;
  int base_stage;
  std::vector<std::string> keywords;
  std::vector<size_t> depends_on;
};

StageGraph plan(const std::string& file, Dockerfile* df_out = nullptr) {
  std::filesystem::path p = std::filesystem::path(GANTRY_COURSE_DIR) / "dockerfiles" / file;
  Dockerfile df = parse_dockerfile(read_file(p), file);
  if (df_out) *df_out = df;
  return plan_stages(df, {});
}

void expect_stages(const StageGraph& g, const std::vector<ExpectedStage>& want) {
  ASSERT_EQ(g.stages.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("stage " + std::to_string(i));
    const Stage& s = g.stages[i];
    EXPECT_EQ(s.name, want[i].name);
    EXPECT_EQ(s.base, want[i].base);
    EXPECT_EQ(s.base_stage, want[i].base_stage);
    std::vector<std::string> kw;
    for (const Instruction& ins : s.steps)
      kw.push_back(ins.keyword);
    EXPECT_EQ(kw, want[i].keywords);
    EXPECT_EQ(s.depends_on, want[i].depends_on);
    // An image base is a Docker Hub reference (what --registry-mirror docker.io= maps).
    if (s.base_stage < 0 && s.base != "scratch") {
      EXPECT_EQ(oci::parse_reference(s.base).registry, "docker.io");
    }
  }
}

std::vector<std::string> mounts(const Instruction& ins) {
  std::vector<std::string> out;
  for (const Flag& f : ins.flags)
    if (f.name == "mount") out.push_back(f.value);
  return out;
}

TEST(CourseDockerfiles, ApiGolang) {
  StageGraph g = plan("api-golang.Dockerfile");
  expect_stages(g, {{"build-base", "golang:1.19-bullseye", -1, {"WORKDIR", "COPY", "RUN"}, {}},
                    {"dev", "build-base", 0, {"RUN", "COPY", "CMD"}, {0}},
                    {"build-production", "build-base", 0, {"RUN", "COPY", "RUN", "RUN"}, {0}},
                    {"",
                     "scratch",
                     -1,
                     {"ENV", "WORKDIR", "COPY", "COPY", "COPY", "USER", "EXPOSE", "CMD"},
                     {2}}});
  EXPECT_THAT(mounts(g.stages[0].steps[2]), ElementsAre("type=cache,target=/go/pkg/mod",
                                                        "type=cache,target=/root/.cache/go-build"));
  for (size_t i = 2; i <= 4; ++i)
    EXPECT_EQ(g.stages[3].steps[i].flag("from")->value, "build-production");
  EXPECT_THAT(g.stages[3].steps.back().argv, ElementsAre("/api-golang"));
  EXPECT_THAT(g.needed_for(""), ElementsAre(0u, 2u, 3u));
  EXPECT_THAT(g.needed_for("dev"), ElementsAre(0u, 1u));
}

TEST(CourseDockerfiles, ApiNode) {
  StageGraph g = plan("api-node.Dockerfile");
  expect_stages(g, {{"base",
                     "node:20.14-bullseye-slim",
                     -1,
                     {"ENV", "WORKDIR", "COPY", "RUN", "USER", "COPY", "COPY", "EXPOSE", "CMD"},
                     {}}});
  EXPECT_THAT(mounts(g.stages[0].steps[3]), ElementsAre("type=cache,target=/usr/src/app/.npm"));
  EXPECT_EQ(g.stages[0].steps[5].flag("chown")->value, "node:node");
  EXPECT_EQ(g.stages[0].steps[6].flag("chown")->value, "node:node");
  EXPECT_EQ(g.stages[0].steps[0].args, "NODE_ENV production");  // the legacy ENV form
  EXPECT_THAT(g.stages[0].steps.back().argv, ElementsAre("node", "index.js"));
}

TEST(CourseDockerfiles, ClientReact) {
  Dockerfile df;
  StageGraph g = plan("client-react.Dockerfile", &df);
  EXPECT_EQ(df.syntax, "docker/dockerfile:1.5");
  expect_stages(
      g,
      {{"build", "node:20.14-bullseye-slim", -1, {"WORKDIR", "COPY", "RUN", "COPY", "RUN"}, {}},
       {"", "nginxinc/nginx-unprivileged:1.23-alpine-perl", -1, {"COPY", "COPY", "EXPOSE"}, {0}}});
  EXPECT_THAT(mounts(g.stages[0].steps[2]), ElementsAre("type=cache,target=/usr/src/app/.npm"));
  EXPECT_NE(g.stages[1].steps[0].flag("link"), nullptr);
  EXPECT_NE(g.stages[1].steps[1].flag("link"), nullptr);
  EXPECT_EQ(g.stages[1].steps[1].flag("from")->value, "build");
}

TEST(CourseDockerfiles, LoadGeneratorPython) {
  StageGraph g = plan("load-generator-python.Dockerfile");
  expect_stages(
      g, {{"generate-requirements", "python:3.12-slim", -1, {"RUN", "RUN", "COPY", "RUN"}, {}},
          {"production", "python:3.12-slim", -1, {"COPY", "RUN", "COPY", "CMD"}, {0}}});
  EXPECT_EQ(g.stages[1].steps[0].flag("from")->value, "generate-requirements");
  EXPECT_THAT(g.needed_for(""), ElementsAre(0u, 1u));
  EXPECT_THAT(g.needed_for("generate-requirements"), ElementsAre(0u));
}

TEST(CourseDockerfiles, Postgresql) {
  StageGraph g = plan("postgresql.Dockerfile");
  expect_stages(g, {{"", "migrate/migrate:v4.17.1", -1, {"COPY"}, {}}});
  EXPECT_EQ(g.stages[0].steps[0].args, "./migrations/* /app/migrations/");
}

TEST(CourseDockerfiles, AllFiveAreCovered) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(
           std::filesystem::path(GANTRY_COURSE_DIR) / "dockerfiles"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names,
              ElementsAre("api-golang.Dockerfile", "api-node.Dockerfile", "client-react.Dockerfile",
                          "load-generator-python.Dockerfile", "postgresql.Dockerfile"));
}

}  // namespace
}  // namespace gantry::build
