// Bad and unsupported input: each gives an Error that says what and where.
#include <gtest/gtest.h>

#include "kustomize/kustomize.h"
#include "support/fixtures.h"

namespace gantry {
namespace {

using testing::TempDir;

constexpr const char* kConfigMap =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n";

std::vector<kustomize::Resource> build(const TempDir& d, const std::string& sub = "",
                                       std::filesystem::path root = {}) {
  kustomize::Options opts;
  opts.root = root.empty() ? d.path() : root;
  return kustomize::build(d.path() / sub, opts);
}

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.str();
  }
  ADD_FAILURE() << "no error was thrown";
  return {};
}

#define EXPECT_HAS(msg, text) EXPECT_NE((msg).find(text), std::string::npos) << "message: " << (msg)

TEST(KustomizeErrors, MissingResourceFile) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- cm.yaml\n- missing.yaml\n");
  d.write("cm.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "missing.yaml");
  EXPECT_HAS(msg, "does not exist");
  EXPECT_HAS(msg, "kustomization.yaml:3");  // file:line of the entry
}

TEST(KustomizeErrors, CycleBetweenKustomizations) {
  TempDir d;
  d.write("a/kustomization.yaml", "resources:\n- ../b\n");
  d.write("b/kustomization.yaml", "resources:\n- ../a\n");
  std::string msg = error_of([&] { build(d, "a"); });
  EXPECT_HAS(msg, "cycle detected");
  EXPECT_HAS(msg, "b/kustomization.yaml");
}

TEST(KustomizeErrors, KustomizationListingItsParent) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- sub\n");
  d.write("sub/kustomization.yaml", "resources:\n- ..\n");
  EXPECT_HAS(error_of([&] { build(d); }), "cycle detected");
}

TEST(KustomizeErrors, PatchTargetMatchingNothingIsAccepted) {
  // kubectl kustomize (v5.5) silently skips a patch whose target selects
  // nothing; gantry does the same (tests/data/kustomize/patch-target-matches-nothing).
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- target:\n    kind: Secret\n  patch: |\n"
          "    - op: add\n      path: /x\n      value: 1\n");
  d.write("cm.yaml", kConfigMap);
  auto out = build(d);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].object.find("x"), nullptr);
}

TEST(KustomizeErrors, StrategicMergePatchForMissingObject) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n"
          "    metadata:\n      name: nope\n    data:\n      b: \"2\"\n");
  d.write("cm.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "no resource matches strategic merge patch");
  EXPECT_HAS(msg, "nope");
  EXPECT_HAS(msg, "kustomization.yaml");
}

TEST(KustomizeErrors, InvalidJson6902Path) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |\n"
          "    - op: replace\n      path: /data/missing/deeper\n      value: x\n");
  d.write("cm.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "/data/missing/deeper");
  EXPECT_HAS(msg, "does not exist");
  EXPECT_HAS(msg, "replace");
}

TEST(KustomizeErrors, Json6902PathWithoutLeadingSlash) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |\n"
          "    - op: add\n      path: data/x\n      value: x\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "invalid path \"data/x\"");
}

TEST(KustomizeErrors, Json6902FailedTestOperation) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |\n"
          "    - op: test\n      path: /data/a\n      value: \"2\"\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "test failed");
}

TEST(KustomizeErrors, Json6902WithoutTarget) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- patch: |\n    - op: add\n      path: /x\n      "
          "value: 1\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "needs a target");
}

TEST(KustomizeErrors, ResourcePathEscapingTheRoot) {
  TempDir d;
  d.write("outside/cm.yaml", kConfigMap);
  d.write("outside/kustomization.yaml", "resources:\n- cm.yaml\n");
  d.write("project/app/kustomization.yaml", "resources:\n- ../../outside\n");
  std::string msg = error_of([&] { build(d, "project/app", d.path() / "project"); });
  EXPECT_HAS(msg, "../../outside");
  EXPECT_HAS(msg, "escapes the root");
}

TEST(KustomizeErrors, ResourceFileEscapingTheRoot) {
  TempDir d;
  d.write("secret.yaml", kConfigMap);
  d.write("project/kustomization.yaml", "resources:\n- ../secret.yaml\n");
  std::string msg = error_of([&] { build(d, "project", d.path() / "project"); });
  EXPECT_HAS(msg, "escapes the root");
}

TEST(KustomizeErrors, SymlinkEscapingTheRoot) {
  TempDir d;
  d.write("outside.yaml", kConfigMap);
  d.write("project/kustomization.yaml", "resources:\n- link.yaml\n");
  std::filesystem::create_symlink(d.path() / "outside.yaml", d.path() / "project/link.yaml");
  EXPECT_HAS(error_of([&] { build(d, "project", d.path() / "project"); }), "escapes the root");
}

TEST(KustomizeErrors, PatchFileOutsideTheKustomizationDirectory) {
  // Like kustomize's default load restrictions: a base may live elsewhere,
  // but files named by a kustomization must be in or below its directory.
  TempDir d;
  d.write("patch.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n");
  d.write("app/cm.yaml", kConfigMap);
  d.write("app/kustomization.yaml", "resources:\n- cm.yaml\npatches:\n- path: ../patch.yaml\n");
  EXPECT_HAS(error_of([&] { build(d, "app"); }), "is not in or below");
}

TEST(KustomizeErrors, ResourceFileOutsideTheKustomizationDirectory) {
  // kubectl: "security; file '.../x.yaml' is not in or below '.../app'".
  TempDir d;
  d.write("x.yaml", kConfigMap);
  d.write("app/kustomization.yaml", "resources: [../x.yaml]\n");
  std::string msg = error_of([&] { build(d, "app"); });
  EXPECT_HAS(msg, "is not in or below");
  EXPECT_HAS(msg, "x.yaml");
}

TEST(KustomizeErrors, RemoteResource) {
  TempDir d;
  d.write(
      "kustomization.yaml",
      "resources:\n- https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5\n");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "remote resource");
  EXPECT_HAS(msg, "not supported");
}

TEST(KustomizeErrors, UnsupportedFieldsNameTheFieldAndFile) {
  for (const char* field : {"validators"}) {
    TempDir d;
    d.write("kustomization.yaml", std::string("resources: []\n") + field + ": []\n");
    std::string msg = error_of([&] { build(d); });
    EXPECT_HAS(msg, std::string("\"") + field + "\"");
    EXPECT_HAS(msg, "kustomization.yaml:2");
    EXPECT_HAS(msg, "not supported");
  }
}

// helmCharts need --enable-helm (Options::helm_command), as in kubectl;
// the chart is not looked at before that.
TEST(KustomizeErrors, HelmChartsNeedEnableHelm) {
  TempDir d;
  d.write("kustomization.yaml", "helmCharts:\n- name: nowhere\n  releaseName: x\n");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "must specify --enable-helm");
  EXPECT_HAS(msg, "\"nowhere\"");
  EXPECT_HAS(msg, "kustomization.yaml:2");
  // The builtin plugin config alike.
  TempDir p;
  p.write("kustomization.yaml", "generators:\n- helm.yaml\n");
  p.write("helm.yaml",
          "apiVersion: builtin\nkind: HelmChartInflationGenerator\nmetadata:\n  name: h\n"
          "name: nowhere\n");
  EXPECT_HAS(error_of([&] { build(p); }), "must specify --enable-helm");
  // Checked before any generator runs, like kubectl (which configures every
  // generator first): not the missing file of the configMapGenerator.
  TempDir g;
  g.write("kustomization.yaml",
          "configMapGenerator:\n- name: c\n  files:\n  - missing.txt\nhelmCharts:\n- name: x\n");
  EXPECT_HAS(error_of([&] { build(g); }), "must specify --enable-helm");
  // An empty list needs nothing.
  TempDir e;
  e.write("kustomization.yaml", "helmCharts: []\nhelmGlobals:\n  chartHome: x\n");
  EXPECT_TRUE(build(e).empty());
}

TEST(KustomizeErrors, HelmChartFieldsAreChecked) {
  TempDir d;
  d.write("kustomization.yaml", "helmCharts:\n- name: c\n  valuesInlne:\n    a: 1\n");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "helmCharts field \"valuesInlne\"");
  TempDir t;
  t.write("kustomization.yaml",
          "transformers:\n- |-\n  apiVersion: builtin\n  kind: HelmChartInflationGenerator\n"
          "  metadata:\n    name: h\n  name: c\n");
  EXPECT_HAS(error_of([&] { build(t); }), "cannot be listed under transformers");
}

// Checked before helm runs (the command named here does not exist).
TEST(KustomizeErrors, HelmChartNamesAndValuesMergeAreChecked) {
  kustomize::Options opts;
  opts.helm_command = "/nonexistent/helm";
  for (const char* entry : {"name: ../up", "name: /abs", "name: \"\""}) {
    TempDir d;
    d.write("kustomization.yaml", std::string("helmCharts:\n- ") + entry + "\n");
    opts.root = d.path();
    std::string msg = error_of([&] { kustomize::build(d.path(), opts); });
    EXPECT_HAS(msg, "chart name");
  }
  TempDir m;
  m.write("kustomization.yaml", "helmCharts:\n- name: c\n  valuesMerge: deep\n");
  opts.root = m.path();
  EXPECT_HAS(error_of([&] { kustomize::build(m.path(), opts); }),
             "valuesMerge must be one of [merge override replace]");
}

// openapi: a field that is not a mapping of strings, and a schema file that
// is not an OpenAPI document (kubectl panics on the latter).
TEST(KustomizeErrors, OpenApiFieldAndSchemaFile) {
  TempDir d;
  d.write("kustomization.yaml", "resources: []\nopenapi: v1.21.2\n");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "openapi in");
  EXPECT_HAS(msg, "must be a mapping");

  d.write("kustomization.yaml", "resources: []\nopenapi:\n  path: [a]\n");
  EXPECT_HAS(error_of([&] { build(d); }), "openapi.path");

  d.write("kustomization.yaml", "resources: []\nopenapi:\n  path: schema.yaml\n");
  d.write("schema.yaml", "- not\n- a schema\n");
  msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "invalid schema file");
  EXPECT_HAS(msg, "schema.yaml");

  d.write("schema.yaml", "definitions: [a]\n");
  EXPECT_HAS(error_of([&] { build(d); }), "`definitions` must be a mapping");

  d.write("kustomization.yaml",
          "resources: []\nopenapi:\n  path: https://example.com/schema.json\n");
  EXPECT_HAS(error_of([&] { build(d); }), "is a URL");
}

// vars: the three errors kubectl kustomize (v5.5) gives for them, checked
// against it on the same input.
constexpr const char* kVarX =
    "vars:\n- name: X\n  objref:\n    kind: ConfigMap\n    name: cm\n    apiVersion: v1\n";

TEST(KustomizeErrors, VarDeclaredInBaseAndOverlay) {
  TempDir d;
  d.write("base/kustomization.yaml", std::string("resources:\n- cm.yaml\n") + kVarX);
  d.write("base/cm.yaml", kConfigMap);
  d.write("kustomization.yaml", std::string("resources:\n- base\n") + kVarX);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "var 'X' already encountered");
  EXPECT_HAS(msg, "base/kustomization.yaml:4");  // where it was declared first
}

TEST(KustomizeErrors, VarNamingNoObject) {
  TempDir d;
  // No apiVersion: kustomize compares group, version and kind exactly, so a
  // ConfigMap (v1) is not found.
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\nvars:\n- name: X\n  objref:\n    kind: ConfigMap\n"
          "    name: cm\n");
  d.write("cm.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "cannot be mapped to a field in the set of known resources");
  EXPECT_HAS(msg, "kustomization.yaml:4");
}

TEST(KustomizeErrors, VarMatchingTwoObjects) {
  TempDir d;
  d.write("kustomization.yaml", std::string("resources:\n- cm.yaml\n") + kVarX);
  d.write("cm.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: a\n---\n"
          "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: b\n");
  EXPECT_HAS(error_of([&] { build(d); }), "found 2 resId matches for var 'X'");
}

TEST(KustomizeErrors, VarFieldMissing) {
  TempDir d;
  d.write("kustomization.yaml", std::string("resources:\n- cm.yaml\n") + kVarX +
                                    "  fieldref:\n    fieldpath: data.nope\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "not found in corresponding resource");
}

TEST(KustomizeErrors, ConfigurationsWithUnsupportedKind) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- cm.yaml\nconfigurations:\n- config.yaml\n");
  d.write("cm.yaml", kConfigMap);
  // Only the default spec (metadata/name of every kind) is accepted.
  d.write("config.yaml", "namePrefix:\n- path: metadata/name\n- path: spec/alias\n");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "\"namePrefix\"");
  EXPECT_HAS(msg, "spec/alias");
  EXPECT_HAS(msg, "config.yaml:2");
  EXPECT_HAS(msg, "not supported");
}

TEST(KustomizeErrors, ConfigurationsConflictingCreate) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- cm.yaml\nconfigurations:\n- config.yaml\n");
  d.write("cm.yaml", kConfigMap);
  // The default spec for metadata/labels has create: true.
  d.write("config.yaml", "commonLabels:\n- path: metadata/labels\n  create: false\n");
  EXPECT_HAS(error_of([&] { build(d); }), "conflicting fieldspecs");
}

TEST(KustomizeErrors, ExecPluginNamesItsApiVersionKindAndFile) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- cm.yaml\ntransformers:\n- plugin.yaml\n");
  d.write("cm.yaml", kConfigMap);
  d.write("plugin.yaml",
          "apiVersion: someteam.example.com/v1\nkind: ChartInflator\nmetadata:\n  name: x\n");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "someteam.example.com/v1/ChartInflator");
  EXPECT_HAS(msg, "plugin.yaml:1");
  EXPECT_HAS(msg, "only builtin plugins");
}

TEST(KustomizeErrors, UnsupportedBuiltinPlugin) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\ntransformers:\n- |\n  apiVersion: builtin\n"
          "  kind: SortOrderTransformer\n  metadata:\n    name: v\n  sortOptions:\n"
          "    order: fifo\n");
  d.write("cm.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "builtin plugin SortOrderTransformer");
  EXPECT_HAS(msg, "not supported");
}

// Replacements: kubectl's messages (checked in the corpus), plus where.
TEST(KustomizeErrors, ReplacementErrorsNameTheEntry) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n"
          "    fieldPath: data.missing\n  targets:\n  - select:\n      kind: ConfigMap\n");
  d.write("cm.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "kustomization.yaml:4");
  EXPECT_HAS(msg, "fieldPath `data.missing` is missing for replacement source");
}

TEST(KustomizeErrors, ReplacementFileErrorsNameTheFile) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- cm.yaml\nreplacements:\n- path: r.yaml\n");
  d.write("r.yaml",
          "source:\n  kind: ConfigMap\ntargets:\n- select:\n    kind: Nope\n  "
          "fieldPaths:\n  - data.a\n  colour: red\n");
  d.write("cm.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "r.yaml:8");
  EXPECT_HAS(msg, "unknown field \"colour\" in replacement target");
}

TEST(KustomizeErrors, ReplacementTypeErrorNamesTargetAndField) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n"
          "    fieldPath: metadata.name\n  targets:\n  - select:\n      kind: ConfigMap\n"
          "    fieldPaths: [data.n]\n");
  d.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  n: 1\n");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "cannot decode !!str `cm` as a !!int");
  EXPECT_HAS(msg, "ConfigMap.v1.[noGrp]/cm.[noNs], field data.n");
}

TEST(KustomizeErrors, GeneratorConfigUnderTransformers) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\ntransformers:\n- |\n  apiVersion: builtin\n"
          "  kind: ConfigMapGenerator\n  metadata:\n    name: g\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "cannot be listed under transformers");
}

TEST(KustomizeErrors, SortOptionsLegacyOptionsWithFifo) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\nsortOptions:\n  order: fifo\n  legacySortOptions:\n"
          "    orderFirst: [Secret]\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "'sortOptions.legacySortOptions' is set");
}

// A kustomization with a ConfigMap and a crds file defining type x.v1.Foo
// whose `spec` property is `spec_json`.
void write_crd_case(TempDir& d, const std::string& spec_json) {
  d.write("kustomization.yaml", "resources:\n- cm.yaml\ncrds:\n- crd.json\n");
  d.write("cm.yaml", kConfigMap);
  d.write("crd.json", R"({"x.v1.Foo": {"Schema": {"properties": {"apiVersion": {}, "kind": {},
          "metadata": {}, "spec": )" +
                          spec_json + "}}}}");
}

TEST(KustomizeErrors, CrdIdentityExtensionIsUnsupported) {
  TempDir d;
  write_crd_case(d, R"({"x-kubernetes-identity": "true"})");
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "x-kubernetes-identity");
  EXPECT_HAS(msg, "crd.json");
}

TEST(KustomizeErrors, CrdRefCycleIsAnErrorNotAStackOverflow) {
  TempDir d;
  write_crd_case(d, R"({"$ref": "x.v1.Foo"})");
  EXPECT_HAS(error_of([&] { build(d); }), "nesting deeper than 64 levels");
}

TEST(KustomizeErrors, UnsupportedPatchOptions) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- path: p.yaml\n  options:\n    allowRename: true\n");
  d.write("cm.yaml", kConfigMap);
  d.write("p.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "patches option \"allowRename\"");
}

TEST(KustomizeErrors, MissingKustomizationInResourceDirectory) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- sub\n");
  d.write("sub/cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "unable to find one of 'kustomization.yaml'");
}

TEST(KustomizeErrors, EmptyKustomization) {
  TempDir d;
  d.write("kustomization.yaml",
          "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
  EXPECT_HAS(error_of([&] { build(d); }), "is empty");
}

TEST(KustomizeErrors, ComponentListedAsResource) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- comp\n");
  d.write("comp/kustomization.yaml", "kind: Component\nresources: []\n");
  EXPECT_HAS(error_of([&] { build(d); }), "Component");
}

TEST(KustomizeErrors, KustomizationListedAsComponent) {
  TempDir d;
  d.write("kustomization.yaml", "components:\n- comp\n");
  d.write("comp/kustomization.yaml", "resources: []\n");
  EXPECT_HAS(error_of([&] { build(d); }), "expected kind 'Component'");
}

TEST(KustomizeErrors, DuplicateResource) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n");
  d.write("a.yaml", kConfigMap);
  d.write("b.yaml", kConfigMap);
  std::string msg = error_of([&] { build(d); });
  EXPECT_HAS(msg, "already registered id");
  EXPECT_HAS(msg, "a.yaml");
}

TEST(KustomizeErrors, GeneratorCreateOverExisting) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\nconfigMapGenerator:\n- name: cm\n  literals: [a=2]\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "behavior must be merge or replace");
}

TEST(KustomizeErrors, GeneratorMergeWithoutBase) {
  TempDir d;
  d.write("kustomization.yaml",
          "configMapGenerator:\n- name: cm\n  behavior: merge\n  literals: [a=2]\n");
  EXPECT_HAS(error_of([&] { build(d); }), "does not exist; cannot merge or replace");
}

TEST(KustomizeErrors, GeneratorBadLiteral) {
  TempDir d;
  d.write("kustomization.yaml", "configMapGenerator:\n- name: cm\n  literals: [novalue]\n");
  EXPECT_HAS(error_of([&] { build(d); }), "expected key=value");
}

TEST(KustomizeErrors, GeneratorMissingFile) {
  TempDir d;
  d.write("kustomization.yaml", "configMapGenerator:\n- name: cm\n  files: [nothere.txt]\n");
  EXPECT_HAS(error_of([&] { build(d); }), "nothere.txt");
}

TEST(KustomizeErrors, ReplicasMatchingNothing) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- cm.yaml\nreplicas:\n- name: web\n  count: 2\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "resource with name web does not match");
}

TEST(KustomizeErrors, InvalidTargetRegex) {
  TempDir d;
  d.write("kustomization.yaml",
          "resources:\n- cm.yaml\npatches:\n- target:\n    name: \"(unclosed\"\n  patch: |\n"
          "    - op: add\n      path: /x\n      value: 1\n");
  d.write("cm.yaml", kConfigMap);
  EXPECT_HAS(error_of([&] { build(d); }), "invalid regular expression");
}

TEST(KustomizeErrors, ResourceThatIsNotAnObject) {
  TempDir d;
  d.write("kustomization.yaml", "resources:\n- bad.yaml\n");
  d.write("bad.yaml", "- just\n- a list\n");
  EXPECT_HAS(error_of([&] { build(d); }), "bad.yaml:1");
}

TEST(KustomizeErrors, NumbersWhereStringsBelong) {
  // kubectl: "json: cannot unmarshal number into Go struct field
  // Image.images.newTag of type string"; 1.10 must not silently become "1.1".
  for (const char* k : {"images:\n- name: nginx\n  newTag: 1.10\n", "commonLabels:\n  v: 1\n",
                        "commonAnnotations:\n  enabled: true\n", "namePrefix: 7\n",
                        "configMapGenerator:\n- name: c\n  literals: [3]\n"}) {
    TempDir d;
    d.write("kustomization.yaml", std::string("resources: []\n") + k);
    std::string msg = error_of([&] { build(d); });
    EXPECT_HAS(msg, "must be a string");
    EXPECT_HAS(msg, "kustomization.yaml:");
  }
}

TEST(KustomizeErrors, NotADirectory) {
  TempDir d;
  EXPECT_HAS(error_of([&] { kustomize::build(d.path() / "none"); }), "not a directory");
}

}  // namespace
}  // namespace gantry
