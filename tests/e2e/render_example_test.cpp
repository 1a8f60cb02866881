// gantry render on the quick start's example project (examples/shop).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/file.h"
#include "doc/yaml.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;
using testing::run_gantry;
using testing::source_dir;

std::string shop() {
  return (source_dir() / "examples/shop").string();
}

const doc::Value& find(const std::vector<doc::Value>& objs, std::string_view kind,
                       std::string_view name) {
  for (const auto& o : objs)
    if (o.get_string("kind") == kind && o.find_path({"metadata", "name"})->as_string() == name)
      return o;
  ADD_FAILURE() << kind << "/" << name << " not rendered";
  static doc::Value none;
  return none;
}

std::string container_field(const doc::Value& o, std::string_view field) {
  return o.find_path({"spec", "template", "spec", "containers"})->as_list()[0].get_string(field);
}

TEST(RenderExample, StagingAndProductionDiffer) {
  auto st = run_gantry({"render", "--project", shop(), "-t", "staging"});
  auto pr = run_gantry({"render", "--project", shop(), "-t", "production"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  auto s = doc::parse_yaml_stream(st.out, "staging");
  auto p = doc::parse_yaml_stream(pr.out, "production");
  EXPECT_EQ(s.size(), 12u);  // worker-debug ConfigMap only where debug is on
  EXPECT_EQ(p.size(), 11u);
  find(s, "ConfigMap", "worker-debug");

  EXPECT_EQ(container_field(find(s, "Deployment", "api"), "image"),
            "registry.example.com/shop/api:1.4.0-rc.2");
  EXPECT_EQ(container_field(find(p, "Deployment", "api"), "image"),
            "registry.example.com/shop/api:1.3.2");
  EXPECT_EQ(find(s, "Deployment", "api").find_path({"spec", "replicas"})->as_int(), 1);
  EXPECT_EQ(find(p, "Deployment", "api").find_path({"spec", "replicas"})->as_int(), 6);  // 2 x 3
  EXPECT_EQ(find(p, "Job", "api-migrate-1-3-2").find_path({"metadata", "namespace"})->as_string(),
            "shop");
  const auto& worker = find(p, "Deployment", "worker");
  auto args =
      worker.find_path({"spec", "template", "spec", "containers"})->as_list()[0].find("args");
  ASSERT_NE(args, nullptr);
  ASSERT_EQ(args->as_list().size(), 3u);
  EXPECT_EQ(args->as_list()[2].as_string(), "--queue=invoices");
  EXPECT_EQ(find(p, "ConfigMap", "frontend-config").find_path({"data", "config.json"})->as_string(),
            // Like kluctl (Jinja2's keep_trailing_newline=False), the file's final
            // newline is dropped, so the block scalar at its end has none.
            "{\"apiBase\": \"https://shop.example.com/api\", \"debug\": false}");
  for (const auto& o : p) {
    EXPECT_EQ(o.find_path({"metadata", "labels", "gantry.dev/discriminator"})->as_string(),
              "shop-production");
    EXPECT_EQ(o.find_path({"metadata", "labels", "example.gantry.dev/environment"})->as_string(),
              "production");
  }
}

TEST(RenderExample, OutputIsDeterministic) {
  auto a = run_gantry({"render", "--project", shop(), "-t", "staging"});
  auto b = run_gantry({"render", "--project", shop(), "-t", "staging"});
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_EQ(a.out, b.out);
}

TEST(RenderExample, OneFilePerObject) {
  testing::TempDir out;
  auto r = run_gantry({"render", "--project", shop(), "-t", "production", "-o",
                       (out.path() / "rendered").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  fs::path api = out.path() / "rendered/services/api/manifests/Deployment-shop-api.yaml";
  ASSERT_TRUE(fs::exists(api));
  auto obj = doc::parse_yaml(read_file(api), api.string());
  EXPECT_EQ(obj.find_path({"metadata", "name"})->as_string(), "api");
  EXPECT_TRUE(fs::exists(out.path() / "rendered/namespaces/Namespace-shop.yaml"));
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(out.path() / "rendered"))
    files += e.is_regular_file();
  EXPECT_EQ(files, 11u);
}

TEST(RenderExample, ArgsFromTheCommandLine) {
  auto r = run_gantry({"render", "--project", shop(), "-t", "staging", "-a", "replicaFactor=4"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto objs = doc::parse_yaml_stream(r.out, "stdout");
  EXPECT_EQ(find(objs, "Deployment", "frontend").find_path({"spec", "replicas"})->as_int(), 4);
}

TEST(RenderExample, UsageErrorsExitWithTwo) {
  auto r = run_gantry({"render", "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2);
  auto bad_arg = run_gantry({"render", "--project", shop(), "-t", "staging", "-a", "novalue"});
  EXPECT_EQ(bad_arg.exit_code, 2);
  EXPECT_NE(bad_arg.err.find("name=value"), std::string::npos) << bad_arg.err;
  auto no_target = run_gantry({"render", "--project", shop()});
  EXPECT_EQ(no_target.exit_code, 2);
  EXPECT_NE(no_target.err.find("no target given"), std::string::npos) << no_target.err;
}

}  // namespace
}  // namespace gantry
