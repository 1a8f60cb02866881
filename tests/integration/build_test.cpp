// gantry build with real peers only: a busybox-static base image made in the
// test, docker-registry for push and pull, buildah running the result
// (`buildah run --isolation chroot`) and building a base image for gantry,
// skopeo inspecting what gantry wrote. Needs root (namespaces, overlayfs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <set>
#include <sstream>

#include "build/builder.h"
#include "core/digest.h"
#include "core/file.h"
#include "core/process.h"
#include "doc/json.h"
#include "http/server.h"
#include "oci/registry.h"
#include "support/buildah.h"
#include "support/busybox_image.h"
#include "support/fixtures.h"
#include "support/git_cli.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class BuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!busybox_available())
      GTEST_SKIP() << "needs root, namespaces and /bin/busybox (busybox-static)";
    base_ = busybox_base(tmp_.path());
  }

  ProcessResult build(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), "build");
    args.push_back("--cache-dir");
    args.push_back((tmp_.path() / "cache").string());
    return run_gantry(args, {}, env);
  }

  ProcessResult buildah(std::vector<std::string> args) { return buildah_.run(std::move(args)); }

  // Runs `cmd` with sh in a container of the image at `location`.
  std::string run_in(const std::string& location, const std::string& cmd) {
    std::string c = container_from(location);
    ProcessResult r = buildah({"run", "--isolation", "chroot", c, "--", "sh", "-c", cmd});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    buildah({"rm", c});
    return r.out;
  }

  // A buildah container of the image at `location`; returns its name.
  std::string container_from(const std::string& location) {
    return buildah_.container_from(location);
  }

  std::string digest_of(const ProcessResult& r) {
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n')
      out.pop_back();
    return out.substr(out.rfind('\n') + 1);
  }

  // The entry names of all layers of a layout.
  std::string all_entries(const fs::path& layout) {
    return run_process({"sh", "-c",
                        "for f in " + (layout / "blobs/sha256").string() +
                            "/*; do tar tzf \"$f\" 2>/dev/null; done"})
        .out;
  }

  // All layer and config bytes of a layout, decompressed.
  std::string all_content(const fs::path& layout) {
    ProcessResult r = run_process({"sh", "-c",
                                   "for f in " + (layout / "blobs/sha256").string() +
                                       "/*; do gzip -dc \"$f\" 2>/dev/null || cat \"$f\"; done"});
    return r.out;
  }

  TempDir tmp_;
  std::string base_;
  Buildah buildah_{tmp_.path() / "buildah"};
};

TEST_F(BuildTest, MultiStageImageRunsUnderBuildahAndSkopeoReadsIt) {
  fs::path ctx = tmp_.path() / "app";
  put_file(ctx / "greeting.txt", "hello from gantry\n");
  put_file(ctx / "Dockerfile",
           "# syntax=docker/dockerfile:1.7\n"
           "ARG BASE=" +
               base_ +
               "\n"
               "FROM ${BASE} AS build\n"
               "ARG NAME=world\n"
               "WORKDIR /src\n"
               "COPY greeting.txt .\n"
               "RUN mkdir -p /out && { cat greeting.txt; echo \"name=$NAME\"; } > /out/message \\\n"
               " && printf '#!/bin/sh\\ncat /opt/message\\n' > /out/hello\n"
               "FROM ${BASE} AS other\n"
               "RUN echo independent > /independent\n"
               "FROM ${BASE}\n"
               "COPY --from=build --chown=app:app --chmod=0755 /out/hello /usr/local/bin/hello\n"
               "COPY --from=build /out/message /opt/message\n"
               "COPY --from=other /independent /opt/\n"
               "USER app\n"
               "ENV MODE=prod\n"
               "LABEL org.example.team=shop\n"
               "EXPOSE 8080\n"
               "ENTRYPOINT [\"/usr/local/bin/hello\"]\n");
  std::string out = "oci:" + (tmp_.path() / "out").string() + ":v1";
  ProcessResult r = build({ctx.string(), "--build-arg", "NAME=gantry", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("[build 3/4] COPY greeting.txt .")) << r.err;
  EXPECT_THAT(r.err, HasSubstr("[other 1/1] RUN echo independent")) << r.err;

  ProcessResult inspect = run_process({"skopeo", "inspect", "--config", out});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  doc::Value cfg = doc::parse_json(inspect.out, "config");
  EXPECT_EQ(cfg.find_path({"config", "User"})->as_string(), "app");
  EXPECT_EQ(cfg.find_path({"config", "Labels", "org.example.team"})->as_string(), "shop");
  EXPECT_TRUE(cfg.find_path({"config", "ExposedPorts", "8080/tcp"}));
  EXPECT_EQ(cfg.get_string("created"), "1970-01-01T00:00:00Z");

  // The entrypoint runs, as app, with the files owned and moded as asked.
  std::string shown = run_in(out,
                             "/usr/local/bin/hello; id -u; stat -c '%u:%g %a' "
                             "/usr/local/bin/hello; cat /opt/independent; echo $MODE");
  EXPECT_EQ(shown, "hello from gantry\nname=gantry\n1000\n1000:1000 755\nindependent\nprod\n");
}

TEST_F(BuildTest, UnchangedRebuildIsCachedAndAChangeRerunsFromTheStepThatReadsIt) {
  fs::path ctx = tmp_.path() / "app";
  put_file(ctx / "deps.txt", "dep-1\n");
  put_file(ctx / "src/main.txt", "main-1\n");
  put_file(ctx / "Dockerfile", "FROM " + base_ +
                                   "\n"
                                   "COPY deps.txt /app/\n"
                                   "RUN cat /app/deps.txt > /app/installed\n"
                                   "COPY src/ /app/src/\n"
                                   "RUN cat /app/src/main.txt > /app/built\n");
  std::string out = "oci:" + (tmp_.path() / "out").string();
  ProcessResult first = build({ctx.string(), "-o", out, "-o", "json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, Not(HasSubstr("\"cached\"}")));
  ProcessResult again = build({ctx.string(), "-o", out, "-o", "json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  doc::Value result =
      doc::parse_json(again.out.substr(again.out.rfind("{\"type\":\"result\"")), "result");
  EXPECT_EQ(result.find("cached")->as_int(), 4);
  EXPECT_EQ(result.find("steps")->as_int(), 5);  // FROM and four layer steps
  doc::Value first_result =
      doc::parse_json(first.out.substr(first.out.rfind("{\"type\":\"result\"")), "result");
  EXPECT_EQ(first_result.get_string("digest"), result.get_string("digest"));

  // Changing src/ re-runs its COPY and the RUN after it; the first two stay cached.
  put_file(ctx / "src/main.txt", "main-2\n");
  ProcessResult changed = build({ctx.string(), "-o", out});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_THAT(changed.err, HasSubstr("#2 CACHED"));
  EXPECT_THAT(changed.err, HasSubstr("#3 CACHED"));
  EXPECT_THAT(changed.err, Not(HasSubstr("#4 CACHED")));
  EXPECT_THAT(changed.err, Not(HasSubstr("#5 CACHED")));
  EXPECT_NE(digest_of(changed), digest_of(first));
  EXPECT_EQ(run_in(out, "cat /app/built"), "main-2\n");

  // --no-cache runs everything again and gives the same image.
  ProcessResult fresh = build({ctx.string(), "--no-cache", "-o", out});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  EXPECT_THAT(fresh.err, Not(HasSubstr("CACHED")));
  EXPECT_EQ(digest_of(fresh), digest_of(changed));
}

TEST_F(BuildTest, SameDigestFromDifferentDirectoriesCachesAndClockTimes) {
  // Two copies of the context with different file times (after the epoch,
  // as a checkout's are), two caches, builds a second apart: one digest.
  for (int i = 0; i < 2; ++i) {
    fs::path ctx = tmp_.path() / ("ctx" + std::to_string(i));
    put_file(ctx / "a/b.txt", "same\n");
    run_process({"touch", "-d", i ? "2024-01-01" : "2025-06-01", (ctx / "a/b.txt").string()});
  }
  std::string df2 = "FROM " + base_ + "\nCOPY . /app/\nRUN touch /app/touched && mkdir /app/d\n";
  std::vector<std::string> d2;
  for (int i = 0; i < 2; ++i) {
    fs::path ctx = tmp_.path() / ("ctx" + std::to_string(i));
    put_file(ctx / "Dockerfile", df2);
    ProcessResult r = run_gantry({"build", ctx.string(), "--cache-dir",
                                  (tmp_.path() / ("cache" + std::to_string(i))).string()},
                                 {}, {"SOURCE_DATE_EPOCH=1700000000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    d2.push_back(digest_of(r));
    ::sleep(1);
  }
  EXPECT_EQ(d2[0], d2[1]);
}

TEST_F(BuildTest, SecretsAndCacheMountsNeverReachLayersHistoryOrConfig) {
  fs::path ctx = tmp_.path() / "app";
  put_file(tmp_.path() / "token", "s3cr3t-token-value");
  std::string hash = sha256_hex("s3cr3t-token-value");
  put_file(
      ctx / "Dockerfile",
      "FROM " + base_ +
          "\n"
          "RUN --mount=type=secret,id=token --mount=type=cache,target=/var/cache/app,id=c1 \\\n"
          "    test \"$(sha256sum < /run/secrets/token | cut -c1-64)\" = " +
          hash +
          " && \\\n"
          "    echo run >> /var/cache/app/runs && wc -l < /var/cache/app/runs > /count\n"
          "RUN --mount=type=secret,id=token,env=TOKEN test \"$(printf %s \"$TOKEN\" | sha256sum | "
          "cut -c1-64)\" = " +
          hash +
          " && echo ok > /env-ok\n"
          "RUN --mount=type=tmpfs,target=/scratch echo temp > /scratch/t\n");
  fs::path out = tmp_.path() / "out";
  ProcessResult r =
      build({ctx.string(), "--secret", "id=token,src=" + (tmp_.path() / "token").string(), "-o",
             "oci:" + out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run_in("oci:" + out.string(),
                   "cat /count /env-ok; ls -d /var/cache /scratch 2>/dev/null | wc -l"),
            "1\nok\n0\n");
  std::string content = all_content(out);
  EXPECT_THAT(content, Not(HasSubstr("s3cr3t-token-value")));
  std::string entries = all_entries(out);
  EXPECT_THAT(entries, HasSubstr("count\n"));
  EXPECT_THAT(entries, Not(HasSubstr("var/cache")));
  EXPECT_THAT(entries, Not(HasSubstr("scratch")));
  EXPECT_THAT(entries, Not(HasSubstr("run/secrets")));
  // The cache mount keeps its content for the next build (run again with --no-cache).
  ProcessResult again =
      build({ctx.string(), "--no-cache", "--secret",
             "id=token,src=" + (tmp_.path() / "token").string(), "-o", "oci:" + out.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(run_in("oci:" + out.string(), "cat /count"), "2\n");
  // A required secret that is not given is an error naming the line.
  put_file(ctx / "Dockerfile",
           "FROM " + base_ + "\nRUN --mount=type=secret,id=missing,required true\n");
  ProcessResult missing = build({ctx.string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("Dockerfile:2"));
  EXPECT_THAT(missing.err, HasSubstr("secret missing is required"));
}

TEST_F(BuildTest, WhiteoutsDockerignoreExcludesOwnershipAndHeredocs) {
  fs::path ctx = tmp_.path() / "app";
  put_file(ctx / "keep/a.txt", "a\n");
  put_file(ctx / "keep/secret.env", "x\n");
  put_file(ctx / "keep/skip.log", "log\n");
  put_file(ctx / "node_modules/big.js", "x\n");
  put_file(ctx / ".dockerignore", "node_modules\n**/*.env\n");
  put_file(ctx / "Dockerfile",
           "FROM " + base_ +
               "\n"
               "COPY --exclude=*.log keep/ /keep/\n"
               "COPY --chown=1000:2000 --chmod=640 keep/a.txt /owned\n"
               "RUN rm /keep/a.txt /etc/group && mkdir -p /d/sub && echo 1 > /d/sub/f\n"
               "RUN rm -rf /d && mkdir /d && echo 2 > /d/g\n"
               "COPY <<EOF /etc/motd\nwelcome $HOSTNAME_NOT_SET-end\nEOF\n"
               "RUN <<EOF\nset -e\necho heredoc-ran > /heredoc\nEOF\n");
  fs::path out = tmp_.path() / "out";
  ProcessResult r = build({ctx.string(), "-o", "oci:" + out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(run_in("oci:" + out.string(),
                   "ls -a /keep; test ! -e /etc/group && echo no-group; stat -c '%u:%g %a' /owned; "
                   "ls -R /d; cat /etc/motd /heredoc; ls / | grep -c node_modules; true"),
            ".\n..\n"
            "no-group\n1000:2000 640\n/d:\ng\nwelcome -end\nheredoc-ran\n0\n");
}

TEST_F(BuildTest, BadInputFailsWithItsLineAndWritesNothing) {
  fs::path ctx = tmp_.path() / "app";
  put_file(ctx / "ok.txt", "x");
  fs::path out = tmp_.path() / "out";
  struct Case {
    std::string dockerfile;
    std::vector<std::string> extra;
    std::string expected;
  };
  // An archive whose entry climbs out of its directory.
  run_process({"sh", "-c",
               "cd " + ctx.string() +
                   " && mkdir -p e && echo evil > e/evil && tar -cf bad.tar --transform "
                   "'s,^e/,../../,' e/evil"});
  std::vector<Case> cases = {
      {"FROM " + base_ + "\nCOPY missing.txt /\n", {}, "Dockerfile:2"},
      {"FROM " + base_ + "\nRUN echo before-failing && exit 3\n", {}, "exit code 3"},
      {"FROM " + base_ + "\nFROBNICATE x\n", {}, "Dockerfile:2"},
      {"FROM " + base_ + " AS a\nCOPY --from=b /x /x\nFROM " + base_ +
           " AS b\nCOPY --from=a /x /x\n",
       {},
       "circular dependency"},
      {"FROM " + base_ + "\nCOPY ok.txt /\n", {"--target", "nope"}, "nope"},
      {"FROM " + base_ + "\nCOPY ../outside /\n", {}, "not found in the build context"},
      {"FROM " + base_ + "\nADD bad.tar /x/\n", {}, "Dockerfile:2"},
  };
  for (const Case& c : cases) {
    put_file(ctx / "Dockerfile", c.dockerfile);
    std::vector<std::string> args{ctx.string(), "-o", "oci:" + out.string() + ":t"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    ProcessResult r = build(args);
    EXPECT_NE(r.exit_code, 0) << c.dockerfile;
    EXPECT_THAT(r.err, HasSubstr(c.expected)) << c.dockerfile;
    EXPECT_FALSE(fs::exists(out)) << c.dockerfile;
  }
  put_file(ctx / "Dockerfile", "FROM " + base_ + "\nRUN echo before-failing && exit 3\n");
  ProcessResult r = build({ctx.string()});
  EXPECT_THAT(r.err, HasSubstr("before-failing"));
  EXPECT_THAT(r.err, HasSubstr("Dockerfile:2"));
}

TEST_F(BuildTest, PushesToARegistryAndBuildsOnABuildahImage) {
  if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
  TestRegistry registry;
  // buildah makes a base image from the busybox root filesystem and pushes it.
  fs::path rootfs = tmp_.path() / "ctx/rootfs";
  ProcessResult from = buildah({"from", "scratch"});
  ASSERT_EQ(from.exit_code, 0) << from.err;
  std::string c = from.out.substr(0, from.out.find('\n'));
  ASSERT_EQ(buildah({"copy", c, rootfs.string(), "/"}).exit_code, 0);
  ASSERT_EQ(buildah({"config", "--env", "FROM_BUILDAH=yes", c}).exit_code, 0);
  std::string base = registry.host() + "/base/busybox:buildah";
  ProcessResult push = buildah({"commit", "--tls-verify=false", c, "docker://" + base});
  ASSERT_EQ(push.exit_code, 0) << push.err;

  fs::path ctx = tmp_.path() / "app";
  put_file(ctx / "Dockerfile", "FROM " + base + "\nRUN echo \"$FROM_BUILDAH\" > /from\n");
  std::string image = registry.host() + "/shop/app:1.0";
  ProcessResult r = build({ctx.string(), "-t", image, "--push"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ProcessResult inspect =
      run_process({"skopeo", "inspect", "--tls-verify=false", "docker://" + image});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(doc::parse_json(inspect.out, "inspect").get_string("Digest"), digest_of(r));
  EXPECT_EQ(run_in("docker://" + image, "cat /from"), "yes\n");
}

TEST_F(BuildTest, CopyingSnapshotterGivesTheSameImage) {
  fs::path ctx = tmp_.path() / "app";
  put_file(ctx / "Dockerfile",
           "FROM " + base_ +
               "\n"
               "RUN mkdir -p /a/b && echo x > /a/b/f && rm /etc/group && ln /a/b/f /a/hard\n"
               "USER app\nWORKDIR /home/app\nRUN touch mine\n");
  ProcessResult overlay = build({ctx.string(), "--no-cache"});
  ASSERT_EQ(overlay.exit_code, 0) << overlay.err;
  ProcessResult copy = build({ctx.string(), "--no-cache"}, {"GANTRY_SNAPSHOTTER=copy"});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  EXPECT_EQ(digest_of(overlay), digest_of(copy));
}

}  // namespace
}  // namespace gantry::testing

namespace gantry::testing {
namespace {

// gantry's own image: the Dockerfile at the repository's root on the context
// scripts/image-root.sh makes from a gantry binary (here the one under test).
TEST_F(BuildTest, GantrysOwnImageHoldsTheBinaryAndItsLibrariesAndRunsAsNonRoot) {
  const fs::path src = GANTRY_SOURCE_DIR;
  const fs::path ctx = tmp_.path() / "gantry-image";
  ProcessResult root =
      run_process({"bash", (src / "scripts/image-root.sh").string(), GANTRY_BINARY, ctx.string()});
  ASSERT_EQ(root.exit_code, 0) << root.err;
  auto build_into = [&](const std::string& name) {
    ProcessResult r = run_gantry({"build", "-f", (src / "Dockerfile").string(), ctx.string(),
                                  "--cache-dir", (tmp_.path() / (name + "-cache")).string(), "-o",
                                  "oci:" + (tmp_.path() / name).string() + ":latest"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return digest_of(r);
  };
  std::string first = build_into("gimg");
  EXPECT_EQ(build_into("gimg2"), first);  // another cache, the same digest
  // Exactly the binary, the libraries ldd resolves for it (and the loader),
  // and the few files of /etc: nothing else.
  std::set<std::string> expected{"usr/bin/gantry", "etc/passwd", "etc/group", "etc/nsswitch.conf",
                                 "etc/hosts"};
  if (fs::exists("/etc/ssl/certs/ca-certificates.crt"))
    expected.insert("etc/ssl/certs/ca-certificates.crt");
  ProcessResult ldd = run_process({"ldd", GANTRY_BINARY});
  ASSERT_EQ(ldd.exit_code, 0) << ldd.err;
  std::istringstream lines(ldd.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string a, arrow, b;
    words >> a >> arrow >> b;
    if (arrow == "=>" && b.rfind('/', 0) == 0) expected.insert(b.substr(1));
    if (a.rfind('/', 0) == 0) expected.insert(a.substr(1));
  }
  ProcessResult files =
      run_process({"sh", "-c",
                   "for f in " + (tmp_.path() / "gimg/blobs/sha256").string() +
                       "/*; do tar tvzf \"$f\" 2>/dev/null; done | awk '$1 ~ /^-/ {print $6}'"});
  std::set<std::string> got;
  std::istringstream names(files.out);
  for (std::string n; std::getline(names, n);)
    if (!n.empty()) got.insert(n);
  EXPECT_EQ(got, expected);
  // It runs: the entrypoint, and `gantry` on PATH as `gantry install` calls it.
  std::string c = container_from("oci:" + (tmp_.path() / "gimg").string() + ":latest");
  ProcessResult version =
      buildah({"run", "--isolation", "chroot", c, "--", "/usr/bin/gantry", "--version"});
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out, std::string("gantry ") + GANTRY_VERSION + "\n");
  ProcessResult help =
      buildah({"run", "--isolation", "chroot", c, "--", "gantry", "controller", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_THAT(help.out, HasSubstr("Run the GitOps controller"));
  ProcessResult config =
      buildah({"inspect", "--format", "{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}}", c});
  EXPECT_EQ(config.out, "65532:65532 [/usr/bin/gantry]");
  // No shell in it.
  EXPECT_NE(buildah({"run", "--isolation", "chroot", c, "--", "sh", "-c", "true"}).exit_code, 0);
  buildah({"rm", c});
  // And it is what `gantry install` deploys by default.
  ProcessResult install = run_gantry({"install", "--help"});
  EXPECT_THAT(install.out, HasSubstr(std::string("ghcr.io/gantry-dev/gantry:") + GANTRY_VERSION));
}

}  // namespace
}  // namespace gantry::testing

namespace gantry::testing {
namespace {

// --platform a,b: one image per platform in an OCI index, the platform ARGs
// (also in FROM --platform) per platform, pushed as an index; a RUN for a
// platform this machine cannot run is an error naming its line.
TEST_F(BuildTest, SeveralPlatformsMakeAnIndexAndAForeignRunNamesItsLine) {
  fs::path ctx = tmp_.path() / "multi";
  put_file(ctx / "bin-amd64", "an amd64 program\n");
  put_file(ctx / "bin-arm64", "an arm64 program\n");
  put_file(ctx / "Dockerfile",
           "FROM --platform=$BUILDPLATFORM scratch AS tools\n"
           "ARG TARGETPLATFORM\n"
           "COPY <<EOF /built-for\n${TARGETPLATFORM}\nEOF\n"
           "FROM scratch\n"
           "ARG TARGETARCH\n"
           "COPY bin-${TARGETARCH} /app/program\n"
           "COPY --from=tools /built-for /app/\n"
           "ENTRYPOINT [\"/app/program\"]\n");
  const fs::path layout = tmp_.path() / "multi-out";
  ProcessResult r = build({ctx.string(), "--platform", "linux/amd64,linux/arm64", "-o",
                           "oci:" + layout.string() + ":v1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("[linux/arm64 stage-1 2/4] COPY bin-${TARGETARCH} /app/program"));
  auto blob = [&](const std::string& digest) {
    return read_file(layout / "blobs/sha256" / digest.substr(7));
  };
  doc::Value index = doc::parse_json(
      run_process({"skopeo", "inspect", "--raw", "oci:" + layout.string() + ":v1"}).out);
  ASSERT_EQ(index.get_string("mediaType"), "application/vnd.oci.image.index.v1+json");
  ASSERT_EQ(index.find("manifests")->size(), 2u);
  EXPECT_EQ(digest_of(r), "sha256:" + sha256_hex(doc::to_json(index)));
  std::map<std::string, std::string> arch_of_config, program, built_for;
  for (const doc::Value& m : index.find("manifests")->as_list()) {
    std::string arch = m.find_path({"platform", "architecture"})->as_string();
    EXPECT_EQ(m.find_path({"platform", "os"})->as_string(), "linux");
    doc::Value manifest = doc::parse_json(blob(m.get_string("digest")));
    doc::Value config =
        doc::parse_json(blob(manifest.find_path({"config", "digest"})->as_string()));
    arch_of_config[arch] = config.get_string("architecture");
    const auto& layers = manifest.find("layers")->as_list();
    ASSERT_EQ(layers.size(), 2u);
    fs::path l1 = layout / "blobs/sha256" / layers[0].get_string("digest").substr(7);
    fs::path l2 = layout / "blobs/sha256" / layers[1].get_string("digest").substr(7);
    program[arch] = run_process({"tar", "xzf", l1.string(), "-O", "app/program"}).out;
    built_for[arch] = run_process({"tar", "xzf", l2.string(), "-O", "app/built-for"}).out;
  }
  EXPECT_EQ(arch_of_config,
            (std::map<std::string, std::string>{{"amd64", "amd64"}, {"arm64", "arm64"}}));
  EXPECT_EQ(program["amd64"], "an amd64 program\n");
  EXPECT_EQ(program["arm64"], "an arm64 program\n");
  // The tools stage runs on the build platform; TARGETPLATFORM is still each target's.
  EXPECT_EQ(built_for["amd64"], "linux/amd64\n");
  EXPECT_EQ(built_for["arm64"], "linux/arm64\n");
  // Another cache and directory: the same index digest.
  ProcessResult again = run_gantry({"build", ctx.string(), "--platform", "linux/amd64,linux/arm64",
                                    "--cache-dir", (tmp_.path() / "cache2").string(), "-o",
                                    "oci:" + (tmp_.path() / "multi-out2").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(digest_of(again), digest_of(r));

  // Pushed, it is an index in the registry, each platform's image behind it.
  if (TestRegistry::available()) {
    TestRegistry registry;
    std::string image = registry.host() + "/multi/app:1";
    ProcessResult p =
        build({ctx.string(), "--platform", "linux/amd64,linux/arm64", "-t", image, "--push"});
    ASSERT_EQ(p.exit_code, 0) << p.err;
    ProcessResult raw =
        run_process({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + image});
    ASSERT_EQ(raw.exit_code, 0) << raw.err;
    EXPECT_EQ("sha256:" + sha256_hex(raw.out), digest_of(r));
    ProcessResult arm = run_process({"skopeo", "inspect", "--override-arch", "arm64",
                                     "--tls-verify=false", "docker://" + image});
    EXPECT_THAT(arm.out, HasSubstr("\"Architecture\": \"arm64\""));
  }

  // A RUN for a foreign platform without qemu registered: an error naming
  // the instruction's line, and nothing written.
  std::string foreign = build::host_platform() == "linux/arm64" ? "linux/amd64" : "linux/arm64";
  std::string qemu = foreign == "linux/arm64" ? "qemu-aarch64" : "qemu-x86_64";
  if (fs::exists("/proc/sys/fs/binfmt_misc/" + qemu)) return;  // this machine can run it
  put_file(ctx / "Dockerfile.run", "FROM " + base_ + "\nRUN echo hello > /greeting\n");
  const fs::path none = tmp_.path() / "foreign-out";
  ProcessResult f = build({ctx.string(), "-f", (ctx / "Dockerfile.run").string(), "--platform",
                           foreign, "-o", "oci:" + none.string()});
  EXPECT_NE(f.exit_code, 0);
  EXPECT_THAT(f.err, HasSubstr("Dockerfile.run:2"));
  EXPECT_THAT(f.err, HasSubstr("RUN for " + foreign + " needs " + qemu));
  EXPECT_FALSE(fs::exists(none));
}

}  // namespace
}  // namespace gantry::testing

namespace gantry::testing {
namespace {

// --cache-to / --cache-from: the step cache through a registry lets a build
// on another machine (another directory, an empty local cache) skip every
// step, with the same digest; a change re-runs from the first step it
// touches; a missing cache is a warning.
TEST_F(BuildTest, RegistryCacheLetsAnEmptyCacheSkipEveryStep) {
  if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
  TestRegistry registry;
  const std::string cache = registry.host() + "/cache/app:buildcache";
  auto write_context = [&](const fs::path& ctx) {
    put_file(ctx / "config.txt", "colour=blue\n");
    put_file(ctx / "main.txt", "version 1\n");
    put_file(ctx / "Dockerfile", "FROM " + base_ +
                                     "\n"
                                     "COPY config.txt /etc/app/\n"
                                     "RUN echo RAN-$((6*7)) && wc -c /etc/app/config.txt > /size\n"
                                     "COPY --link main.txt /app/\n"
                                     "RUN cat /app/main.txt > /app/copy\n");
  };
  auto run_build = [&](const std::string& name, std::vector<std::string> extra) {
    fs::path ctx = tmp_.path() / (name + "-ctx");
    if (!fs::exists(ctx)) write_context(ctx);
    std::vector<std::string> args{"build",       ctx.string(),
                                  "--cache-dir", (tmp_.path() / (name + "-cache")).string(),
                                  "-o",          "oci:" + (tmp_.path() / (name + "-out")).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_gantry(args);
  };
  ProcessResult a = run_build("a", {"--cache-to", cache});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.err, HasSubstr("RAN-42"));
  EXPECT_THAT(a.err, HasSubstr("cache: exported 4 step(s) to " + cache));

  // "Another machine": another directory, an empty cache, BuildKit's spelling.
  ProcessResult b = run_build("b", {"--cache-from", "type=registry,ref=" + cache});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_THAT(b.err, HasSubstr("cache: imported 4 step(s) from " + cache));
  EXPECT_THAT(b.err, Not(HasSubstr("RAN-42")));
  EXPECT_EQ(count_of(b.err, "CACHED"), 4u) << b.err;
  EXPECT_EQ(digest_of(b), digest_of(a));

  // A change to main.txt: the first COPY and RUN stay cached, the rest runs.
  put_file(tmp_.path() / "c-ctx/config.txt", "colour=blue\n");
  write_context(tmp_.path() / "c-ctx");
  put_file(tmp_.path() / "c-ctx/main.txt", "version 2\n");
  ProcessResult c = run_build("c", {"--cache-from", cache});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_THAT(c.err, Not(HasSubstr("RAN-42")));
  EXPECT_EQ(count_of(c.err, "CACHED"), 2u) << c.err;
  EXPECT_NE(digest_of(c), digest_of(a));

  // A cache that does not exist: a warning, and the build runs.
  ProcessResult d = run_build("d", {"--cache-from", registry.host() + "/cache/none:x"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_THAT(d.err,
              HasSubstr("WARNING: cache from " + registry.host() + "/cache/none:x not used"));
  EXPECT_THAT(d.err, HasSubstr("RAN-42"));
  EXPECT_EQ(digest_of(d), digest_of(a));

  // An OCI layout works as the cache too (a CI cache folder).
  const std::string dir_cache = "oci:" + (tmp_.path() / "dir-cache").string() + ":main";
  ASSERT_EQ(run_build("a", {"--cache-to", dir_cache}).exit_code, 0);
  ProcessResult e = run_build("e", {"--cache-from", dir_cache});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_EQ(count_of(e.err, "CACHED"), 4u) << e.err;
  EXPECT_EQ(digest_of(e), digest_of(a));
}

}  // namespace
}  // namespace gantry::testing

namespace gantry::testing {
namespace {

// --push sends each layer as soon as it is made: the COPY layer is in the
// registry while the RUN after it still sleeps.
TEST_F(BuildTest, PushSendsLayersWhileLaterStepsStillRun) {
  if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
  fs::path ctx = tmp_.path() / "early";
  std::string data(4u << 20, 'x');
  for (size_t i = 0; i < data.size(); i += 4096)
    data[i] = static_cast<char>('a' + (i / 4096) % 26);
  put_file(ctx / "data.bin", data);
  put_file(ctx / "Dockerfile", "FROM " + base_ +
                                   "\nCOPY data.bin /data.bin\n"
                                   "RUN sleep 3 && echo done > /done\n");
  // The same build into a layout first: its layer digests (reproducible).
  const fs::path layout = tmp_.path() / "early-out";
  ProcessResult first = build({ctx.string(), "-o", "oci:" + layout.string() + ":v1"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  doc::Value manifest = doc::parse_json(
      run_process({"skopeo", "inspect", "--raw", "oci:" + layout.string() + ":v1"}).out);
  const auto& layers = manifest.find("layers")->as_list();
  ASSERT_GE(layers.size(), 3u);
  oci::Digest copy_layer = oci::Digest::parse(layers[layers.size() - 2].get_string("digest"));

  TestRegistry registry;
  const std::string image = registry.host() + "/early/app:1";
  auto pushing = std::async(std::launch::async, [&] {
    return run_gantry({"build", ctx.string(), "-t", image, "--push", "--cache-dir",
                       (tmp_.path() / "early-cache").string()});
  });
  oci::Session session(oci::Session::Options{});
  oci::Registry& reg = session.registry(registry.host());
  // When the layer shows up, and when the build ends: the RUN after the
  // COPY sleeps 3 s, so an early upload shows up seconds before the end (a
  // push after the build, milliseconds before).
  std::optional<std::chrono::steady_clock::time_point> seen;
  while (pushing.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
    if (!seen && reg.blob_size("early/app", copy_layer)) seen = std::chrono::steady_clock::now();
  auto end = std::chrono::steady_clock::now();
  ProcessResult pushed = pushing.get();
  ASSERT_EQ(pushed.exit_code, 0) << pushed.err;
  ASSERT_TRUE(seen) << "the COPY layer was never seen during the build";
  EXPECT_GE(end - *seen, std::chrono::milliseconds(1500))
      << "the COPY layer reached the registry only when the build was ending";
  EXPECT_EQ(digest_of(pushed), digest_of(first));
  ProcessResult raw =
      run_process({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + image});
  EXPECT_EQ("sha256:" + sha256_hex(raw.out), digest_of(first));
}

}  // namespace
}  // namespace gantry::testing

namespace gantry::testing {
namespace {

// The instructions and flags the other tests leave out, in two builds: a
// parent image with an ONBUILD trigger, then a child built FROM it with the
// escape directive, SHELL, HEALTHCHECK, STOPSIGNAL, VOLUME, EXPOSE, CMD, a
// bind mount from the context, RUN --network=host, ADD of a URL with
// --checksum, Dockerfile.dockerignore, --revision-labels, --label and
// --source-date-epoch; then the no-Dockerfile mode.
// The JSON of the value at `path`, or "<missing>".
std::string json_at(const doc::Value& v, std::initializer_list<std::string_view> path) {
  const doc::Value* at = v.find_path(path);
  return at ? doc::to_json(*at) : "<missing>";
}

TEST_F(BuildTest, EveryOtherInstructionAndFlag) {
  fs::path parent_ctx = tmp_.path() / "parent";
  put_file(parent_ctx / "Dockerfile", "FROM " + base_ +
                                          "\nONBUILD RUN echo onbuild-ran > /onbuild\n"
                                          "LABEL parent=yes\n");
  const std::string parent = "oci:" + (tmp_.path() / "parent-img").string() + ":v1";
  ProcessResult p = build({parent_ctx.string(), "-o", parent});
  ASSERT_EQ(p.exit_code, 0) << p.err;

  // A file served over HTTP for ADD <url>.
  const std::string served = "downloaded over http\n";
  http::Server web(http::ServerOptions{},
                   [&](const http::ServerRequest& req, http::ServerResponse& res) {
                     if (req.path == "/file.txt") {
                       res.body = served;
                     } else {
                       res.status = 404;
                     }
                   });
  web.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(web.port()) + "/file.txt";

  fs::path ctx = tmp_.path() / "child";
  git_init(ctx);
  put_file(ctx / "conf/app.conf", "mode=bound\n");
  put_file(ctx / "keep.txt", "kept\n");
  put_file(ctx / "secret.env", "TOKEN=never-in-the-image\n");
  put_file(ctx / ".dockerignore", "keep.txt\n");  // the Dockerfile's own file wins
  put_file(ctx / "build.Dockerfile.dockerignore", "secret.env\n");
  put_file(
      ctx / "build.Dockerfile",
      "# escape=`\n"
      "FROM " +
          parent +
          "\n"
          "SHELL [\"/bin/sh\", \"-c\"]\n"
          "RUN echo `\n"
          "    shell-ok > /shell\n"
          "COPY . /ctx/\n"
          "RUN --mount=type=bind,source=conf,target=/conf cat /conf/app.conf > /bound\n"
          "RUN --network=host test -e /etc/resolv.conf && echo net > /net\n"
          "ADD --checksum=sha256:" +
          sha256_hex(served) + " " + url +
          " /downloaded.txt\n"
          "HEALTHCHECK --interval=30s --timeout=3s CMD wget -q -O- http://localhost/ || exit 1\n"
          "STOPSIGNAL SIGTERM\n"
          "VOLUME [\"/data\"]\n"
          "EXPOSE 8080/tcp\n"
          "CMD [\"serve\"]\n");
  git(ctx, {"add", "-A"});
  git(ctx, {"commit", "-q", "-m", "child"});
  const std::string head = git(ctx, {"rev-parse", "HEAD"});
  const std::string out = "oci:" + (tmp_.path() / "child-img").string() + ":v1";
  ProcessResult r =
      build({ctx.string(), "-f", (ctx / "build.Dockerfile").string(), "-o", out,
             "--revision-labels", "--source-date-epoch", "1700000000", "--label", "team=shop"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  EXPECT_EQ(
      run_in(out, "cat /onbuild /shell /bound /net /downloaded.txt; ls /ctx | sort | tr '\\n' ' '"),
      "onbuild-ran\nshell-ok\nmode=bound\nnet\n" + served +
          "build.Dockerfile build.Dockerfile.dockerignore conf keep.txt ");
  // The config blob as written (skopeo inspect --config drops Docker's Shell and Healthcheck).
  doc::Value manifest = doc::parse_json(run_process({"skopeo", "inspect", "--raw", out}).out);
  doc::Value config =
      doc::parse_json(read_file(tmp_.path() / "child-img/blobs/sha256" /
                                manifest.find_path({"config", "digest"})->as_string().substr(7)));
  const doc::Value* c = config.find("config");
  ASSERT_TRUE(c);
  EXPECT_EQ(json_at(*c, {"Cmd"}), "[\"serve\"]");
  EXPECT_EQ(json_at(*c, {"Shell"}), "[\"/bin/sh\",\"-c\"]");
  EXPECT_EQ(c->get_string("StopSignal"), "SIGTERM");
  EXPECT_TRUE(c->find_path({"Volumes", "/data"}));
  EXPECT_TRUE(c->find_path({"ExposedPorts", "8080/tcp"}));
  EXPECT_EQ(json_at(*c, {"Healthcheck", "Test"}),
            "[\"CMD-SHELL\",\"wget -q -O- http://localhost/ || exit 1\"]");
  EXPECT_EQ(json_at(*c, {"Healthcheck", "Interval"}), "30000000000");
  EXPECT_EQ(json_at(*c, {"Healthcheck", "Timeout"}), "3000000000");
  EXPECT_FALSE(c->find("OnBuild"));  // triggers ran; they are not inherited
  EXPECT_EQ(json_at(*c, {"Labels", "parent"}), "\"yes\"");
  EXPECT_EQ(json_at(*c, {"Labels", "team"}), "\"shop\"");  // --label
  EXPECT_EQ(json_at(*c, {"Labels", "org.opencontainers.image.revision"}), "\"" + head + "\"");
  EXPECT_EQ(json_at(*c, {"Labels", "org.opencontainers.image.created"}),
            "\"2023-11-14T22:13:20Z\"");
  EXPECT_EQ(config.get_string("created"), "2023-11-14T22:13:20Z");
  // The checksum is checked: a wrong one fails with the line.
  put_file(ctx / "bad.Dockerfile", "FROM " + base_ + "\nADD --checksum=sha256:" +
                                       std::string(64, '0') + " " + url + " /x\n");
  ProcessResult bad = build({ctx.string(), "-f", (ctx / "bad.Dockerfile").string(), "-o",
                             "oci:" + (tmp_.path() / "bad-img").string()});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("bad.Dockerfile:2"));
  EXPECT_FALSE(fs::exists(tmp_.path() / "bad-img"));

  // Without a Dockerfile: an image made of files (the ko case).
  fs::path files = tmp_.path() / "files";
  put_file(files / "app.sh", "#!/bin/sh\necho \"app $MODE $*\"\n");
  fs::permissions(files / "app.sh", fs::perms(0755));
  const std::string made = "oci:" + (tmp_.path() / "files-img").string() + ":v1";
  ProcessResult f = build({files.string(), "--from", base_, "--add", "app.sh:/usr/local/bin/app",
                           "--entrypoint", "/usr/local/bin/app", "--cmd", "hello", "--user", "1000",
                           "--workdir", "/work", "--env", "MODE=files", "-o", made});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_EQ(run_in(made, "/usr/local/bin/app from-buildah; id -u; pwd"),
            "app files from-buildah\n1000\n/work\n");
  doc::Value fc = doc::parse_json(run_process({"skopeo", "inspect", "--config", made}).out);
  EXPECT_EQ(json_at(fc, {"config", "Entrypoint"}), "[\"/usr/local/bin/app\"]");
  EXPECT_EQ(json_at(fc, {"config", "Cmd"}), "[\"hello\"]");
}

}  // namespace
}  // namespace gantry::testing
