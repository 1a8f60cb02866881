// The engine's API beyond the corpus: options (root, read_file hook,
// in-memory files), sources of objects, and a few exact kustomize behaviours
// pinned with values kubectl kustomize printed on this machine.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "core/file.h"

#include "kustomize/kustomize.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

using testing::TempDir;

const doc::Value& at(const doc::Value& v, std::initializer_list<std::string_view> path) {
  const doc::Value* p = v.find_path(path);
  if (!p) throw std::runtime_error("missing path");
  return *p;
}

TEST(Kustomize, IsKustomizationDir) {
  TempDir d;
  EXPECT_FALSE(kustomize::is_kustomization_dir(d.path()));
  d.write("a/Kustomization", "resources: []\n");
  d.write("b/kustomization.yml", "resources: []\n");
  d.write("c/kustomization.yaml", "resources: []\n");
  for (const char* s : {"a", "b", "c"})
    EXPECT_TRUE(kustomize::is_kustomization_dir(d.path() / s));
}

TEST(Kustomize, HashSuffixMatchesKubectl) {
  // `kubectl kustomize` printed p-cfg-7gdc49gk6d for this input.
  TempDir d;
  d.write("kustomization.yaml",
          "namePrefix: p-\nconfigMapGenerator:\n- name: cfg\n  literals: [b=2, a=1]\n");
  auto out = kustomize::build(d.path());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(at(out[0].object, {"metadata", "name"}).as_string(), "p-cfg-7gdc49gk6d");
  EXPECT_EQ(at(out[0].object, {"data", "a"}).as_string(), "1");
}

TEST(Kustomize, ReadFileHookSeesEveryFile) {
  // gantry render passes a reader that renders templates; every file goes
  // through it (kustomization, resources, patches, generator files).
  TempDir d;
  d.write("kustomization.yaml",
          "resources: [cm.yaml]\nnamePrefix: NAME_PREFIX\npatches:\n- path: p.yaml\n"
          "configMapGenerator:\n- name: gen\n  files: [f.txt]\n");
  d.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: VALUE\n");
  d.write("p.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  p: VALUE\n");
  d.write("f.txt", "VALUE");
  std::vector<std::string> seen;
  kustomize::Options opts;
  opts.read_file = [&](const std::filesystem::path& p) {
    seen.push_back(p.filename().string());
    std::string s = read_file(p);
    for (auto [from, to] :
         {std::pair<std::string, std::string>{"NAME_PREFIX", "x-"}, {"VALUE", "rendered"}})
      for (size_t i; (i = s.find(from)) != std::string::npos;)
        s.replace(i, from.size(), to);
    return s;
  };
  auto out = kustomize::build(d.path(), opts);
  ASSERT_EQ(out.size(), 2u);
  // Both ConfigMaps: legacy order sorts them by name.
  EXPECT_EQ(at(out[0].object, {"metadata", "name"}).as_string(), "x-cm");
  EXPECT_EQ(at(out[0].object, {"data", "v"}).as_string(), "rendered");
  EXPECT_EQ(at(out[0].object, {"data", "p"}).as_string(), "rendered");
  EXPECT_EQ(at(out[1].object, {"data", "f.txt"}).as_string(), "rendered");
  for (const char* f : {"kustomization.yaml", "cm.yaml", "p.yaml", "f.txt"})
    EXPECT_NE(std::find(seen.begin(), seen.end(), f), seen.end()) << f;
}

TEST(Kustomize, OverlayFilesAreResources) {
  TempDir d;
  d.write("kustomization.yaml", "namespace: x\nresources:\n- helm-rendered.yaml\n");
  kustomize::Options opts;
  opts.overlay_files["helm-rendered.yaml"] =
      "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: from-helm\n";
  auto out = kustomize::build(d.path(), opts);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(at(out[0].object, {"metadata", "namespace"}).as_string(), "x");
  EXPECT_NE(out[0].source.file.find("helm-rendered.yaml"), std::string::npos);
}

TEST(Kustomize, ObjectsRememberTheirSource) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources: [a.yaml]\nconfigMapGenerator:\n- name: g\n  literals: [k=v]\n");
  d.write("a.yaml",
          "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n---\n"
          "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n");
  auto out = kustomize::build(d.path());
  ASSERT_EQ(out.size(), 3u);  // ServiceAccount, ConfigMap, Service
  EXPECT_EQ(out[0].object.get_string("kind"), "ServiceAccount");
  EXPECT_NE(out[0].source.file.find("a.yaml"), std::string::npos);
  EXPECT_EQ(out[0].source.line, 6u);
  EXPECT_NE(out[1].source.file.find("kustomization.yaml"), std::string::npos);
  EXPECT_EQ(out[2].source.line, 1u);
}

TEST(Kustomize, TargetRegexesRunInLinearTime) {
  // A regex that backtracks exponentially elsewhere; RE2 answers at once.
  TempDir d;
  std::string name(40, 'a');
  d.write("kustomization.yaml",
          "resources: [cm.yaml]\npatches:\n- target:\n    name: \"(a+)+b\"\n  patch: |\n"
          "    - op: add\n      path: /data/x\n      value: \"1\"\n");
  d.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n");
  auto start = std::chrono::steady_clock::now();
  auto out = kustomize::build(d.path());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].object.find("data"), nullptr);  // not selected
}

TEST(Kustomize, DefaultRootIsTheBuiltDirectory) {
  TempDir d;
  d.write("base/kustomization.yaml", "resources: [cm.yaml]\n");
  d.write("base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
  d.write("overlay/kustomization.yaml", "resources: [../base]\n");
  EXPECT_THROW(kustomize::build(d.path() / "overlay"), Error);
  kustomize::Options opts;
  opts.root = d.path();
  EXPECT_EQ(kustomize::build(d.path() / "overlay", opts).size(), 1u);
}

}  // namespace
}  // namespace gantry
