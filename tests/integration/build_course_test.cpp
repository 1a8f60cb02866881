// The course's five Dockerfiles (examples/course/dockerfiles), unchanged,
// built by gantry build against a local docker-registry behind
// `--registry-mirror docker.io=…` that holds stand-ins for their base images
// under the same names (tests/support/course_stand_ins.h), with small fake
// application sources as contexts. Each image's config is checked against
// what its Dockerfile says and the result is run with buildah. Needs root
// (RUN's namespaces), docker-registry, skopeo and buildah.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>

#include "core/file.h"
#include "core/process.h"
#include "doc/json.h"
#include "support/buildah.h"
#include "support/busybox_image.h"
#include "support/course_stand_ins.h"
#include "support/fixtures.h"
#include "support/registry.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> strings(const doc::Value* v) {
  std::vector<std::string> out;
  if (v && v->is_list())
    for (const doc::Value& s : v->as_list())
      out.push_back(s.as_string());
  return out;
}

std::vector<std::string> keys(const doc::Value* v) {
  std::vector<std::string> out;
  if (v && v->is_map())
    for (const doc::Member& m : v->as_map())
      out.push_back(m.key);
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v)
    out += (out.empty() ? "" : ",") + s;
  return out;
}

// What the Dockerfiles set, in one line: "user=… entrypoint=… cmd=a,b
// ports=… workdir=… stopsignal=…".
std::string describe(const doc::Value& image_config) {
  const doc::Value* c = image_config.find("config");
  if (!c) return "no config";
  return "user=" + c->get_string("User") + " entrypoint=" + joined(strings(c->find("Entrypoint"))) +
         " cmd=" + joined(strings(c->find("Cmd"))) +
         " ports=" + joined(keys(c->find("ExposedPorts"))) +
         " workdir=" + c->get_string("WorkingDir") + " stopsignal=" + c->get_string("StopSignal");
}

// A registry with the busybox base, shared by the tests of one process.
class CourseBuild : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!busybox_available())
      GTEST_SKIP() << "needs root, namespaces and /bin/busybox (busybox-static)";
    if (!TestRegistry::available() || !Buildah::available() || !find_program("skopeo"))
      GTEST_SKIP() << "needs docker-registry, buildah and skopeo";
    registry_ = std::make_unique<TestRegistry>();
    buildah_ = std::make_unique<Buildah>(tmp_.path() / "buildah");
    make_busybox_rootfs(tmp_.path() / "busybox/rootfs");
    put_file(tmp_.path() / "busybox/Dockerfile", "FROM scratch\nCOPY rootfs/ /\n");
    ProcessResult r =
        gantry({"build", (tmp_.path() / "busybox").string(), "-t", busybox(), "--push"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string busybox() const { return registry_->host() + "/stand-in/busybox:1"; }

  ProcessResult gantry(std::vector<std::string> args) {
    args.push_back("--cache-dir");
    args.push_back((tmp_.path() / "cache").string());
    return run_gantry(args);
  }

  // Builds a stand-in from the busybox base and pushes it as `ref`.
  void push_stand_in(const StandIn& s, const std::string& ref) {
    fs::path ctx = tmp_.path() / "stand-ins" / s.repository;
    for (const StandInFile& f : s.files) {
      fs::path p = ctx / "files" / f.path.substr(1);
      put_file(p, f.content);
      if (f.executable) ::chmod(p.c_str(), 0755);
    }
    put_file(ctx / "Dockerfile", "FROM " + busybox() + "\nCOPY files/ /\n" + s.config);
    ProcessResult r = gantry({"build", ctx.string(), "-t", ref, "--push"});
    ASSERT_EQ(r.exit_code, 0) << s.repository << ": " << r.err;
  }

  // Builds a course Dockerfile, unchanged, with base images through the
  // mirror; returns the output location ("" when the build failed).
  std::string build_course(const std::string& dockerfile, const fs::path& ctx,
                           const std::string& target, const std::string& original_base) {
    std::string name = dockerfile + (target.empty() ? "" : "-" + target);
    std::string out = "oci:" + (tmp_.path() / "out" / name).string() + ":latest";
    std::vector<std::string> args{
        "build",
        ctx.string(),
        "-f",
        (fs::path(GANTRY_COURSE_DIR) / "dockerfiles" / (dockerfile + ".Dockerfile")).string(),
        "--registry-mirror",
        "docker.io=" + registry_->host(),
        "-o",
        out};
    if (!target.empty()) {
      args.push_back("--target");
      args.push_back(target);
    }
    last_ = gantry(args);
    EXPECT_EQ(last_.exit_code, 0) << name << ": " << last_.err;
    if (last_.exit_code != 0) return "";
    // Progress and history name the base as the Dockerfile does, never the mirror.
    EXPECT_THAT(last_.err, HasSubstr("FROM " + original_base)) << last_.err;
    EXPECT_THAT(last_.err, Not(HasSubstr(registry_->host()))) << last_.err;
    doc::Value cfg = config(out);
    for (const doc::Value& h : cfg.find("history")->as_list())
      EXPECT_THAT(h.get_string("created_by"), Not(HasSubstr(registry_->host())));
    return out;
  }

  doc::Value config(const std::string& location) {
    ProcessResult r = run_process({"skopeo", "inspect", "--config", location});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return doc::parse_json(r.exit_code == 0 ? r.out : "{}", location);
  }

  // Runs argv in a container of the image at `location`; stdout.
  std::string run_in(const std::string& location, const std::vector<std::string>& argv) {
    std::string c = buildah_->container_from(location);
    ProcessResult r = buildah_->exec(c, argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // Runs the image's ENTRYPOINT + CMD (+ `args` in place of CMD when given).
  std::string run_image(const std::string& location, const std::vector<std::string>& args = {}) {
    doc::Value cfg = config(location);
    std::vector<std::string> argv = strings(cfg.find_path({"config", "Entrypoint"}));
    std::vector<std::string> cmd = args.empty() ? strings(cfg.find_path({"config", "Cmd"})) : args;
    argv.insert(argv.end(), cmd.begin(), cmd.end());
    return run_in(location, argv);
  }

  TempDir tmp_;
  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<Buildah> buildah_;
  ProcessResult last_;
};

// The five in one test so the registry and stand-ins are made once.
TEST_F(CourseBuild, FiveDockerfilesBuildUnchangedAgainstStandInBaseImages) {
  for (const StandIn& s : course_stand_ins())
    push_stand_in(s, registry_->host() + "/" + s.repository + ":" + s.tag);
  ASSERT_FALSE(HasFailure());
  fs::path apps = tmp_.path() / "apps";

  {
    SCOPED_TRACE("api-golang");
    fs::path ctx = apps / "api-golang";
    put_file(ctx / "go.mod",
             "module github.com/sidpalas/devops-directive-docker-course/api-golang\n\ngo 1.19\n\n"
             "require github.com/gin-gonic/gin v1.9.1\n");
    put_file(
        ctx / "go.sum",
        "github.com/gin-gonic/gin v1.9.1 h1:4idEAncQnU5cB7BeOkPtxjfCSye0AAm1R0RVIqJ+Jmg=\n"
        "github.com/gin-gonic/gin v1.9.1/go.mod h1:hPrL7YrpYKXt5YId3A/Tnip5kqbEAP+KLuI3SUcPTeU=\n");
    put_file(ctx / "main.go",
             "package main\n\nimport \"fmt\"\n\nfunc main() {\n"
             "\tfmt.Println(\"api-golang: serving on :8080\")\n}\n");
    put_file(
        ctx / "healthcheck/healthcheck.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"healthcheck: ok\")\n}\n");
    put_file(ctx / ".air.toml", "root = \".\"\n");

    std::string prod = build_course("api-golang", ctx, "", "golang:1.19-bullseye");
    ASSERT_FALSE(prod.empty());
    // The cache mount at /go/pkg/mod is where `go mod download` wrote.
    EXPECT_THAT(last_.err, HasSubstr("go: downloading github.com/gin-gonic/gin@v1.9.1"));
    doc::Value cfg = config(prod);
    EXPECT_EQ(describe(cfg),
              "user=nonroot entrypoint= cmd=/api-golang ports=8080/tcp workdir=/ stopsignal=");
    EXPECT_THAT(strings(cfg.find_path({"config", "Env"})), ::testing::Contains("GIN_MODE=release"));
    // FROM scratch: no shell to run the stand-in binaries; read the files.
    fs::path root = buildah_->mount(buildah_->container_from(prod));
    EXPECT_EQ(read_file(root / "api-golang"), "#!/bin/sh\necho \"api-golang: serving on :8080\"\n");
    EXPECT_EQ(read_file(root / "healthcheck"), "#!/bin/sh\necho \"healthcheck: ok\"\n");
    EXPECT_THAT(read_file(root / "etc/passwd"), HasSubstr("\nnonroot:x:1001:1001:"));
    std::vector<std::string> top;
    for (const auto& e : fs::directory_iterator(root))
      top.push_back(e.path().filename().string());
    std::sort(top.begin(), top.end());
    EXPECT_THAT(top, ElementsAre("api-golang", "etc", "healthcheck"));

    // The build stage runs what it compiled.
    std::string build = build_course("api-golang", ctx, "build-production", "golang:1.19-bullseye");
    ASSERT_FALSE(build.empty());
    EXPECT_THAT(last_.err, HasSubstr("CACHED"));  // the steps shared with the first build
    EXPECT_EQ(
        run_in(build, {"sh", "-c",
                       "./api-golang && ./healthcheck/healthcheck && id -u nonroot && "
                       "{ test -e /go/pkg/mod/github.com || echo module cache not in a layer; }"}),
        "api-golang: serving on :8080\nhealthcheck: ok\n1001\nmodule cache not in a layer\n");

    // The dev target: tools from `go install`, air as the command.
    std::string dev = build_course("api-golang", ctx, "dev", "golang:1.19-bullseye");
    ASSERT_FALSE(dev.empty());
    EXPECT_EQ(run_image(dev), "air (stand-in) -c .air.toml\n");
    EXPECT_EQ(describe(config(dev)),
              "user= entrypoint= cmd=air,-c,.air.toml ports= workdir=/app stopsignal=");

    // Run again without the layer cache: the module cache mount kept its content.
    ProcessResult again =
        gantry({"build", ctx.string(), "-f",
                (fs::path(GANTRY_COURSE_DIR) / "dockerfiles/api-golang.Dockerfile").string(),
                "--registry-mirror", "docker.io=" + registry_->host(), "--target", "build-base",
                "--no-cache"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_THAT(again.err,
                HasSubstr("go: found github.com/gin-gonic/gin@v1.9.1 in the module cache"));
  }

  {
    SCOPED_TRACE("api-node");
    fs::path ctx = apps / "api-node";
    put_file(
        ctx / "package.json",
        "{\n  \"name\": \"api-node\",\n  \"scripts\": {\n    \"dev\": \"nodemon src/index.js\"\n"
        "  },\n  \"dependencies\": {\n    \"express\": \"^4.19.2\",\n    \"pg\": \"^8.11.5\"\n"
        "  },\n  \"devDependencies\": {\n    \"nodemon\": \"^3.1.0\"\n  }\n}\n");
    put_file(ctx / "package-lock.json",
             "{\n  \"name\": \"api-node\",\n  \"lockfileVersion\": 3\n}\n");
    put_file(ctx / "healthcheck/healthcheck.js", "console.log(\"healthcheck: ok\");\n");
    put_file(ctx / "src/index.js",
             "const express = require('express');\n"
             "console.log(\"api-node: listening on 3000\");\n");
    put_file(ctx / "src/db.js", "const pg = require('pg');\n");

    std::string img = build_course("api-node", ctx, "", "node:20.14-bullseye-slim");
    ASSERT_FALSE(img.empty());
    EXPECT_THAT(last_.err, HasSubstr("npm: express fetched"));
    doc::Value cfg = config(img);
    EXPECT_EQ(
        describe(cfg),
        "user=node entrypoint= cmd=node,index.js ports=3000/tcp workdir=/usr/src/app stopsignal=");
    EXPECT_THAT(strings(cfg.find_path({"config", "Env"})),
                ::testing::Contains("NODE_ENV=production"));
    EXPECT_EQ(run_image(img), "api-node: listening on 3000\n");
    EXPECT_EQ(run_in(img, {"sh", "-c",
                           "id -un; ls node_modules; stat -c '%U:%G %n' index.js db.js "
                           "healthcheck.js; test -e .npm || echo npm cache not in a layer"}),
              "node\nexpress\npg\nnode:node index.js\nnode:node db.js\nnode:node healthcheck.js\n"
              "npm cache not in a layer\n");
  }

  {
    SCOPED_TRACE("client-react");
    fs::path ctx = apps / "client-react";
    put_file(
        ctx / "package.json",
        "{\n  \"name\": \"client-react\",\n  \"dependencies\": {\n    \"react\": \"^18.2.0\",\n"
        "    \"react-dom\": \"^18.2.0\"\n  },\n  \"devDependencies\": {\n    \"vite\": \"^4.3.9\"\n"
        "  },\n  \"scripts\": {\n"
        "    \"build\": \"mkdir -p dist && cp src/index.html dist/index.html\"\n  }\n}\n");
    put_file(ctx / "package-lock.json", "{\n  \"lockfileVersion\": 3\n}\n");
    put_file(ctx / "src/index.html", "<h1>course client</h1>\n");
    std::string nginx_conf = "server {\n    listen 8080;\n    root /usr/share/nginx/html;\n}\n";
    put_file(ctx / "nginx.conf", nginx_conf);

    std::string build = build_course("client-react", ctx, "build", "node:20.14-bullseye-slim");
    ASSERT_FALSE(build.empty());
    // The same cache mount target as api-node's: BuildKit's default id is the target.
    EXPECT_THAT(last_.err, HasSubstr("npm: react fetched"));
    EXPECT_THAT(last_.err, Not(HasSubstr("npm: express")));
    EXPECT_EQ(run_in(build, {"sh", "-c", "ls node_modules; cat dist/index.html"}),
              "react\nreact-dom\nvite\n<h1>course client</h1>\n");

    std::string img =
        build_course("client-react", ctx, "", "nginxinc/nginx-unprivileged:1.23-alpine-perl");
    ASSERT_FALSE(img.empty());
    doc::Value cfg = config(img);
    EXPECT_EQ(
        describe(cfg),
        "user=101 entrypoint= cmd=nginx,-g,daemon off; ports=8080/tcp workdir= stopsignal=SIGQUIT");
    EXPECT_EQ(run_image(img),
              "nginx (stand-in) as uid 101 -g daemon off;: listen 8080, root "
              "/usr/share/nginx/html: <h1>course client</h1>\n");
    EXPECT_EQ(run_in(img, {"cat", "/etc/nginx/conf.d/default.conf"}), nginx_conf);

    // A rebuild after a change of the build stage's sources: the cache mount
    // keeps the packages, the --link COPY of nginx.conf stays cached.
    put_file(ctx / "src/index.html", "<h1>course client 2</h1>\n");
    img = build_course("client-react", ctx, "", "nginxinc/nginx-unprivileged:1.23-alpine-perl");
    ASSERT_FALSE(img.empty());
    EXPECT_THAT(run_image(img), HasSubstr("<h1>course client 2</h1>"));
  }

  {
    SCOPED_TRACE("load-generator-python");
    fs::path ctx = apps / "load-generator-python";
    put_file(ctx / "pyproject.toml",
             "[tool.poetry]\nname = \"load-generator\"\nversion = \"0.1.0\"\n\n"
             "[tool.poetry.dependencies]\npython = \"^3.12\"\nrequests = \"^2.32.3\"\n");
    put_file(ctx / "poetry.lock",
             "[[package]]\nname = \"certifi\"\nversion = \"2024.6.2\"\n\n"
             "[[package]]\nname = \"requests\"\nversion = \"2.32.3\"\n");
    put_file(ctx / "main.py",
             "import requests\nprint(\"load generator: 10 requests per second\")\n");

    std::string req =
        build_course("load-generator-python", ctx, "generate-requirements", "python:3.12-slim");
    ASSERT_FALSE(req.empty());
    EXPECT_EQ(run_in(req, {"sh", "-c", "cat /requirements.txt; ls /root/.local/bin"}),
              "certifi==2024.6.2\nrequests==2.32.3\npoetry\n");

    std::string img = build_course("load-generator-python", ctx, "", "python:3.12-slim");
    ASSERT_FALSE(img.empty());
    EXPECT_THAT(last_.err, HasSubstr("Successfully installed certifi-2024.6.2 requests-2.32.3"));
    doc::Value cfg = config(img);
    EXPECT_EQ(describe(cfg), "user= entrypoint= cmd=python,main.py ports= workdir= stopsignal=");
    EXPECT_THAT(strings(cfg.find_path({"config", "Env"})),
                ::testing::Contains("PYTHON_VERSION=3.12.4"));
    EXPECT_EQ(run_image(img), "load generator: 10 requests per second\n");
    EXPECT_EQ(run_in(img, {"sh", "-c",
                           "ls /usr/local/lib/python3.12/site-packages; "
                           "test -e /usr/bin/curl || echo no curl in production"}),
              "certifi-2024.6.2.dist-info\nrequests-2.32.3.dist-info\nno curl in production\n");
  }

  {
    SCOPED_TRACE("postgresql");
    fs::path ctx = apps / "postgresql";
    put_file(ctx / "migrations/000001_create_users_table.up.sql",
             "CREATE TABLE users (id serial);\n");
    put_file(ctx / "migrations/000001_create_users_table.down.sql", "DROP TABLE users;\n");
    put_file(ctx / "migrations/000002_add_email.up.sql", "ALTER TABLE users ADD email text;\n");
    put_file(ctx / "migrations/000002_add_email.down.sql", "ALTER TABLE users DROP email;\n");
    put_file(ctx / "README.md", "not copied\n");

    std::string img = build_course("postgresql", ctx, "", "migrate/migrate:v4.17.1");
    ASSERT_FALSE(img.empty());
    EXPECT_EQ(describe(config(img)),
              "user= entrypoint=migrate cmd=--help ports= workdir= stopsignal=");
    EXPECT_EQ(run_image(img), "Usage: migrate OPTIONS COMMAND [arg...]\n");
    EXPECT_EQ(run_image(img, {"-path", "/app/migrations", "-database",
                              "postgres://postgres@db:5432/postgres?sslmode=disable", "up"}),
              "000001_create_users_table/u (stand-in)\n000002_add_email/u (stand-in)\n");
    EXPECT_EQ(run_in(img, {"ls", "/app/migrations"}),
              "000001_create_users_table.down.sql\n000001_create_users_table.up.sql\n"
              "000002_add_email.down.sql\n000002_add_email.up.sql\n");
  }
}

// Other registries have mirrors too (with a prefix); a mirror without the
// image fails the build instead of going to the original registry.
TEST_F(CourseBuild, MirrorsOfOtherRegistriesAndMisses) {
  ProcessResult copy =
      run_gantry({"copy", busybox(), registry_->host() + "/cgr/chainguard/busybox:latest"});
  ASSERT_EQ(copy.exit_code, 0) << copy.err;
  fs::path ctx = tmp_.path() / "app";
  put_file(ctx / "Dockerfile",
           "FROM cgr.dev/chainguard/busybox:latest\nRUN echo built > /built\n"
           "COPY --from=cgr.dev/chainguard/busybox /bin/busybox /copied-busybox\n");
  std::string out = "oci:" + (tmp_.path() / "out").string() + ":latest";
  ProcessResult r = gantry({"build", ctx.string(), "--registry-mirror",
                            "cgr.dev=" + registry_->host() + "/cgr", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("FROM cgr.dev/chainguard/busybox:latest"));
  EXPECT_EQ(run_in(out, {"sh", "-c", "cat /built; cmp /bin/busybox /copied-busybox && echo same"}),
            "built\nsame\n");

  // A digest-pinned base through the mirror: the digest is asked for and verified.
  ProcessResult digest =
      run_process({"skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                   "docker://" + registry_->host() + "/cgr/chainguard/busybox:latest"});
  ASSERT_EQ(digest.exit_code, 0) << digest.err;
  std::string pinned = digest.out.substr(0, digest.out.find('\n'));
  put_file(ctx / "Dockerfile",
           "FROM cgr.dev/chainguard/busybox@" + pinned + "\nRUN echo pinned > /p\n");
  r = gantry({"build", ctx.string(), "--registry-mirror", "cgr.dev=" + registry_->host() + "/cgr",
              "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("FROM cgr.dev/chainguard/busybox@" + pinned));
  std::string other = "sha256:" + std::string(64, '0');
  put_file(ctx / "Dockerfile", "FROM cgr.dev/chainguard/busybox@" + other + "\n");
  r = gantry({"build", ctx.string(), "--registry-mirror", "cgr.dev=" + registry_->host() + "/cgr",
              "-o", out});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr(other));

  // Not on the mirror: exit 5, naming the image and the mirror; nothing else asked.
  put_file(ctx / "Dockerfile", "FROM cgr.dev/chainguard/static:latest\n");
  ProcessResult miss = gantry({"build", ctx.string(), "--registry-mirror",
                               "cgr.dev=" + registry_->host() + "/cgr", "-o", out});
  EXPECT_EQ(miss.exit_code, 5) << miss.err;
  EXPECT_THAT(miss.err, HasSubstr("cgr.dev/chainguard/static:latest"));
  EXPECT_THAT(miss.err, HasSubstr(registry_->host() + "/cgr/chainguard/static:latest"));

  // A malformed mirror is a usage error.
  ProcessResult bad = gantry({"build", ctx.string(), "--registry-mirror", "docker.io"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("REGISTRY=HOST"));
}

}  // namespace
}  // namespace gantry::testing
