#include <gtest/gtest.h>

#include <map>

#include "build/dockerfile.h"
#include "build/expand.h"
#include "build/stages.h"
#include "core/error.h"

namespace gantry::build {
namespace {

Lookup vars(std::map<std::string, std::string> m) {
  return [m](std::string_view n) -> std::optional<std::string> {
    auto it = m.find(std::string(n));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Dockerfile, DirectivesContinuationsAndComments) {
  Dockerfile df = parse_dockerfile(
      "# syntax=docker/dockerfile:1\n# escape=`\n\nFROM alpine AS base\n# a comment\nRUN echo a "
      "`\n  # inside\n  b\n");
  EXPECT_EQ(df.escape, '`');
  EXPECT_EQ(df.syntax, "docker/dockerfile:1");
  ASSERT_EQ(df.instructions.size(), 2u);
  EXPECT_EQ(df.instructions[1].keyword, "RUN");
  EXPECT_EQ(df.instructions[1].args, "echo a   b");
  EXPECT_EQ(df.instructions[1].line, 6u);
}

TEST(Dockerfile, DirectiveAfterInstructionIsAComment) {
  Dockerfile df = parse_dockerfile("FROM a\n# escape=`\nRUN x \\\n y\n");
  EXPECT_EQ(df.escape, '\\');
  EXPECT_EQ(df.instructions[1].args, "x  y");
}

TEST(Dockerfile, FlagsAndJsonForms) {
  Dockerfile df = parse_dockerfile(
      "FROM --platform=$BUILDPLATFORM golang AS b\n"
      "RUN --mount=type=cache,target=/go --mount=type=bind,from=b,target=/s --network=none go "
      "build\n"
      "COPY --from=b --chown=1:2 --chmod=0755 --link --exclude=*.md a b /dst/\n"
      "CMD [\"/bin/app\", \"-x\", \"\\u00e9\\n\"]\n"
      "ENTRYPOINT [not json\n");
  const auto& run = df.instructions[1];
  ASSERT_EQ(run.flags.size(), 3u);
  EXPECT_EQ(run.flags[1].value, "type=bind,from=b,target=/s");
  EXPECT_EQ(run.flag("network")->value, "none");
  EXPECT_EQ(run.args, "go build");
  const auto& copy = df.instructions[2];
  EXPECT_TRUE(copy.flag("link") && !copy.flag("link")->has_value);
  EXPECT_EQ(copy.flag("chmod")->value, "0755");
  EXPECT_EQ(copy.args, "a b /dst/");
  const auto& cmd = df.instructions[3];
  ASSERT_TRUE(cmd.json);
  EXPECT_EQ(cmd.argv, (std::vector<std::string>{"/bin/app", "-x", "\xC3\xA9\n"}));
  EXPECT_FALSE(df.instructions[4].json);
  EXPECT_EQ(df.instructions[4].args, "[not json");
}

TEST(Dockerfile, Heredocs) {
  Dockerfile df = parse_dockerfile(
      "FROM a\nRUN <<EOF\necho $HOME\nEOF\nCOPY <<-\"END\" /f\n\tline $x\n\t\tmore\n\tEND\nRUN <<A "
      "cat - <<'B'\n1\nA\n2\nB\nUSER me\n");
  ASSERT_EQ(df.instructions.size(), 5u);
  ASSERT_EQ(df.instructions[1].heredocs.size(), 1u);
  EXPECT_EQ(df.instructions[1].heredocs[0].content, "echo $HOME\n");
  EXPECT_TRUE(df.instructions[1].heredocs[0].expand);
  const auto& copy = df.instructions[2].heredocs.at(0);
  EXPECT_EQ(copy.name, "END");
  EXPECT_FALSE(copy.expand);
  EXPECT_EQ(copy.content, "line $x\nmore\n");
  ASSERT_EQ(df.instructions[3].heredocs.size(), 2u);
  EXPECT_EQ(df.instructions[3].heredocs[1].content, "2\n");
  EXPECT_FALSE(df.instructions[3].heredocs[1].expand);
  EXPECT_EQ(df.instructions[4].keyword, "USER");
}

TEST(Dockerfile, ErrorsNameTheLine) {
  auto line_of = [](std::string text) -> uint32_t {
    try {
      parse_dockerfile(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.where().file, "Dockerfile");
      return e.where().line;
    }
    return 0;
  };
  EXPECT_EQ(line_of("FROM a\n\nFROB x\n"), 3u);
  EXPECT_EQ(line_of("FROM a\nRUN <<EOF\nnever closed\n"), 2u);
  EXPECT_EQ(line_of("FROM a\nCOPY --bogus=1 a b\n"), 2u);
  EXPECT_EQ(line_of("FROM a\nWORKDIR\n"), 2u);
  EXPECT_EQ(line_of("FROM a\nSHELL /bin/sh -c\n"), 2u);
  EXPECT_EQ(line_of("FROM a\nONBUILD FROM b\n"), 2u);
  EXPECT_EQ(line_of("# escape=x\nFROM a\n"), 1u);
}

TEST(Dockerfile, OnbuildTrigger) {
  Dockerfile df = parse_dockerfile("FROM a\nonbuild copy --chown=1 . /app\n");
  Instruction t = parse_onbuild_trigger(df.instructions[1], df);
  EXPECT_EQ(t.keyword, "COPY");
  EXPECT_EQ(t.flag("chown")->value, "1");
}

TEST(Expand, Forms) {
  Lookup v = vars({{"A", "x"}, {"E", ""}});
  const std::pair<const char*, const char*> cases[] = {
      {"$A-${A}", "x-x"},
      {"${B:-def}", "def"},
      {"${E:-def}", "def"},
      {"${E-def}", ""},
      {"${B-def}", "def"},
      {"${A:+alt}", "alt"},
      {"${E:+alt}", ""},
      {"${E+alt}", "alt"},
      {"${B+alt}", ""},
      {"${B:-${A}y}", "xy"},
      {"\\$A '$A' \"$A \\$A\"", "$A $A x $A"},
      {"a\\ b", "a b"},
  };
  for (const auto& [in, want] : cases)
    EXPECT_EQ(expand_word(in, v), want) << in;
  EXPECT_EQ(expand_word("`$A", v, '`'), "$A");
  EXPECT_THROW(expand_word("${B:?needed}", v), Error);
  EXPECT_THROW(expand_word("${A", v), Error);
  EXPECT_THROW(expand_word("'open", v), Error);
  EXPECT_EQ(expand_words("k=\"a b\" c=${A:-1 2} d\\ e", v),
            (std::vector<std::string>{"k=a b", "c=x", "d e"}));
}

TEST(Expand, KeyValues) {
  Lookup v = vars({{"A", "x"}});
  auto kv = expand_key_values("ENV", "K=\"a $A\" J=${A:-1}", v);
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[0].key, "K");
  EXPECT_EQ(kv[0].value, "a x");
  EXPECT_EQ(kv[1].value, "x");
  kv = expand_key_values("ENV", "PATH   /usr/bin:$A  and more", v);
  ASSERT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv[0].key, "PATH");
  EXPECT_EQ(kv[0].value, "/usr/bin:x  and more");
  kv = expand_key_values("ARG", "NAME V=1", v);
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_FALSE(kv[0].has_value);
  EXPECT_EQ(kv[1].value, "1");
  EXPECT_THROW(expand_key_values("LABEL", "a=1 b", v), Error);
  EXPECT_THROW(expand_key_values("ENV", "ALONE", v), Error);
  EXPECT_THROW(expand_key_values("ENV", "=x", v), Error);
}

TEST(Stages, GlobalArgsTargetsAndCycles) {
  Dockerfile df = parse_dockerfile(
      "ARG V=1.19\nARG OS\nFROM golang:${V}-${OS:-bullseye} AS build\nRUN go build\n"
      "FROM build AS test\nRUN go test\n"
      "FROM scratch\nCOPY --from=build /app /app\nRUN --mount=type=cache,from=1,target=/x true\n");
  StageGraph g = plan_stages(df, {{"OS", "alpine"}});
  ASSERT_EQ(g.stages.size(), 3u);
  EXPECT_EQ(g.stages[0].base, "golang:1.19-alpine");
  EXPECT_EQ(g.stages[1].base_stage, 0);
  EXPECT_EQ(g.stages[2].depends_on, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(g.needed_for(""), (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(g.needed_for("BUILD"), (std::vector<size_t>{0}));
  EXPECT_EQ(plan_stages(df, {}).stages[0].base, "golang:1.19-bullseye");
  EXPECT_THROW(g.needed_for("nope"), Error);

  Dockerfile cyc =
      parse_dockerfile("FROM a AS x\nCOPY --from=y / /\nFROM b AS y\nCOPY --from=x / /\n");
  EXPECT_THROW(plan_stages(cyc, {}).needed_for(""), Error);
  EXPECT_THROW(plan_stages(parse_dockerfile("FROM a AS x\nFROM b AS X\n"), {}), Error);
  EXPECT_THROW(plan_stages(parse_dockerfile("RUN x\nFROM a\n"), {}), Error);
}

}  // namespace
}  // namespace gantry::build
