// helmCharts in `gantry kustomize --enable-helm` against the reference,
// `kubectl kustomize --enable-helm` (kustomize v5.5), both running the real
// helm binary (build/tools/helm/helm, helm 4; kubectl reaches it through
// tests/data/kustomize-helm/helm-v3-shim.sh because kustomize v5.5 insists on
// `helm version -c --short` saying v3). The cases are in
// tests/data/kustomize-helm/<case>/ with kubectl's stored output; each is built
// in a scratch copy with the shared charts (charts/) copied into its chart
// home. Charts pulled from a chart repository served on loopback are
// compared live (the repository's URL has a random port).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "core/file.h"
#include "core/process.h"
#include "support/fixtures.h"
#include "support/kustomize_corpus.h"
#include "support/oci_servers.h"
#include "support/registry.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;
using testing::helm_binary;
using testing::LoopbackServer;
using testing::run_gantry;
using testing::TempDir;

fs::path helm_cases_dir() {
  return fs::path(GANTRY_SOURCE_DIR) / "tests/data/kustomize-helm";
}

std::vector<std::string> helm_cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(helm_cases_dir()))
    if (e.is_directory() && fs::exists(e.path() / "expected.yaml"))
      out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A scratch copy of the case with the shared charts in its chart home.
fs::path assemble(const TempDir& tmp, const std::string& name) {
  fs::path src = helm_cases_dir() / name, work = tmp.path() / name;
  fs::copy(src, work, fs::copy_options::recursive);
  fs::remove(work / "expected.yaml");
  std::string home = "charts";
  if (fs::exists(src / "chart-home")) {
    home = read_file(src / "chart-home");
    while (!home.empty() && (home.back() == '\n' || home.back() == ' '))
      home.pop_back();
  }
  fs::create_directories(work / home);
  for (const auto& e : fs::directory_iterator(helm_cases_dir() / "charts"))
    fs::copy(e.path(), work / home / e.path().filename(), fs::copy_options::recursive);
  return work;
}

ProcessResult kubectl_kustomize(const fs::path& dir, std::vector<std::string> env = {}) {
  ProcessOptions opts;
  opts.timeout = std::chrono::minutes(2);
  opts.extra_env = std::move(env);
  opts.extra_env.push_back("GANTRY_REAL_HELM=" + helm_binary());
  return run_process({"kubectl", "kustomize", dir.string(), "--enable-helm", "--helm-command",
                      (helm_cases_dir() / "helm-v3-shim.sh").string()},
                     opts);
}

ProcessResult gantry_kustomize(const fs::path& dir, std::vector<std::string> extra = {},
                               const std::vector<std::string>& env = {}) {
  std::vector<std::string> args{"kustomize", dir.string(), "--enable-helm", "--helm-command",
                                helm_binary()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_gantry(args, {}, env);
}

std::string describe(const std::string& expected, const std::string& actual) {
  std::string diff;
  try {
    diff = testing::compare_objects(testing::parse_objects(expected, "expected"),
                                    testing::parse_objects(actual, "actual"));
  } catch (const Error& e) {
    diff = "cannot parse: " + e.str();
  }
  return diff.empty() ? "same objects, different formatting" : diff;
}

class KustomizeHelm : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_NE(helm_binary(), "") << "no helm: run scripts/install-deps.sh";
    ASSERT_TRUE(find_program("kubectl")) << "kubectl is not installed";
  }
};

TEST_P(KustomizeHelm, KubectlStillAgreesWithStoredExpectation) {
  TempDir tmp;
  fs::path dir = assemble(tmp, GetParam());
  ProcessResult r = kubectl_kustomize(dir);
  ASSERT_EQ(r.exit_code, 0) << "kubectl kustomize --enable-helm " << dir << " failed: " << r.err;
  std::string expected = read_file(helm_cases_dir() / GetParam() / "expected.yaml");
  EXPECT_EQ(r.out, expected) << "kubectl DISAGREES with the stored expected.yaml: "
                             << describe(expected, r.out)
                             << "\nReview and run tests/data/kustomize-helm/regenerate.sh "
                             << GetParam();
}

TEST_P(KustomizeHelm, GantryPrintsTheSameBytes) {
  TempDir tmp;
  fs::path dir = assemble(tmp, GetParam());
  ProcessResult r = gantry_kustomize(dir);
  ASSERT_EQ(r.exit_code, 0) << "gantry kustomize --enable-helm " << dir << " failed: " << r.err;
  std::string expected = read_file(helm_cases_dir() / GetParam() / "expected.yaml");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(r.out, expected) << GetParam() << ": " << describe(expected, r.out);
}

INSTANTIATE_TEST_SUITE_P(Cases, KustomizeHelm, ::testing::ValuesIn(helm_cases()),
                         testing::case_test_name);

// A chart that is not in the chart home is pulled from its repository (a
// classic chart repository on loopback, made with the real `helm package`
// and `helm repo index`) into charts/NAME-VERSION/NAME, as kubectl does, and
// used from there on the next build.
class KustomizeHelmPull : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(helm_binary(), "") << "no helm: run scripts/install-deps.sh";
    ASSERT_TRUE(find_program("kubectl")) << "kubectl is not installed";
    fs::create_directories(pkgs());
    ASSERT_EQ(helm({"package", (helm_cases_dir() / "charts/demo").string(), "-d", pkgs().string()})
                  .exit_code,
              0);
    server_.server().set_mount_point("/charts", pkgs().string());
    server_.start();
    ASSERT_EQ(helm({"repo", "index", pkgs().string(), "--url", repo_url()}).exit_code, 0);
  }

  fs::path pkgs() const { return work_.path() / "pkgs"; }
  std::string repo_url() const { return server_.base() + "/charts"; }

  ProcessResult helm(std::vector<std::string> args) {
    ProcessResult r = testing::run_helm(std::move(args), work_.path() / "helm");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  // The same kustomization in a fresh directory for each tool.
  fs::path project(const std::string& name, const std::string& repo) {
    fs::path dir = work_.path() / name;
    fs::create_directories(dir);
    write_file_atomic(dir / "kustomization.yaml",
                      "namePrefix: pulled-\nhelmCharts:\n- name: demo\n  repo: " + repo +
                          "\n  version: 0.3.1\n  releaseName: web\n  namespace: shop\n"
                          "  valuesInline:\n    replicas: 7\n");
    return dir;
  }

  TempDir work_;
  LoopbackServer server_;
};

TEST_F(KustomizeHelmPull, PullsFromAChartRepositoryLikeKubectl) {
  fs::path by_kubectl = project("kubectl", repo_url());
  fs::path by_gantry = project("gantry", repo_url());
  ProcessResult want = kubectl_kustomize(by_kubectl);
  ASSERT_EQ(want.exit_code, 0) << want.err;
  ProcessResult got = gantry_kustomize(by_gantry);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(want.out.find("name: pulled-web-demo\n"), std::string::npos) << want.out;
  EXPECT_NE(want.out.find("replicas: 7\n"), std::string::npos) << want.out;
  EXPECT_EQ(got.out, want.out) << describe(want.out, got.out);
  // Both leave the chart where kustomize keeps it.
  for (const fs::path& d : {by_kubectl, by_gantry})
    EXPECT_TRUE(fs::exists(d / "charts/demo-0.3.1/demo/Chart.yaml")) << d;

  // The next build uses the pulled chart: the repository may be gone.
  server_.stop();
  ProcessResult again = gantry_kustomize(by_gantry);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, want.out);
}

// An oci:// repo: `helm pull oci://REPO/NAME` into the same place, here from
// a docker-registry on loopback (TLS: kustomize passes helm no --plain-http;
// helm trusts the test CA through SSL_CERT_FILE) holding the chart pushed
// with `helm push`.
TEST_F(KustomizeHelmPull, PullsFromAnOciRegistryLikeKubectl) {
  if (!testing::TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
  testing::RegistryConfig cfg;
  cfg.tls = true;
  testing::TestRegistry registry(cfg);
  const std::vector<std::string> env{"SSL_CERT_FILE=" + registry.ca_file().string()};
  ASSERT_EQ(helm({"push", (pkgs() / "demo-0.3.1.tgz").string(),
                  "oci://" + registry.host() + "/charts", "--ca-file", registry.ca_file().string()})
                .exit_code,
            0);
  std::string repo = "oci://" + registry.host() + "/charts/";  // kustomize drops the slash
  fs::path by_kubectl = project("kubectl-oci", repo);
  fs::path by_gantry = project("gantry-oci", repo);
  ProcessResult want = kubectl_kustomize(by_kubectl, env);
  ProcessResult got = gantry_kustomize(by_gantry, {}, env);
  ASSERT_EQ(want.exit_code, 0) << want.err;
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(want.out.find("name: pulled-web-demo\n"), std::string::npos) << want.out;
  EXPECT_EQ(got.out, want.out) << describe(want.out, got.out);
  EXPECT_TRUE(fs::exists(by_gantry / "charts/demo-0.3.1/demo/Chart.yaml"));
}

TEST_F(KustomizeHelmPull, AnUnknownVersionFailsNamingTheChart) {
  fs::path dir = work_.path() / "unknown";
  fs::create_directories(dir);
  write_file_atomic(dir / "kustomization.yaml", "helmCharts:\n- name: demo\n  repo: " + repo_url() +
                                                    "\n  version: 9.9.9\n  releaseName: x\n");
  ProcessResult r = gantry_kustomize(dir);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("helm chart demo"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pull"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("9.9.9"), std::string::npos) << r.err;
}

// Errors gantry shares with kubectl, checked against kubectl's message.
TEST(KustomizeHelmErrors, WithoutEnableHelmBothRefuse) {
  ASSERT_TRUE(find_program("kubectl")) << "kubectl is not installed";
  TempDir tmp;
  fs::path dir = assemble(tmp, "local-chart");
  ProcessResult want = run_process({"kubectl", "kustomize", dir.string()});
  ASSERT_NE(want.exit_code, 0);
  EXPECT_NE(want.err.find("must specify --enable-helm"), std::string::npos) << want.err;
  ProcessResult got = run_gantry({"kustomize", dir.string()});
  EXPECT_NE(got.exit_code, 0);
  EXPECT_NE(got.err.find("must specify --enable-helm"), std::string::npos) << got.err;
  EXPECT_NE(got.err.find("test-chart"), std::string::npos) << got.err;
}

// Both tools refuse the kustomization in `dir` (with --enable-helm) with an
// error containing `phrase`; gantry's names `detail` too.
void expect_both_fail(const fs::path& dir, const std::string& phrase, const std::string& detail) {
  ProcessResult want = kubectl_kustomize(dir);
  EXPECT_NE(want.exit_code, 0);
  EXPECT_NE(want.err.find(phrase), std::string::npos) << want.err;
  ProcessResult got = gantry_kustomize(dir);
  EXPECT_NE(got.exit_code, 0);
  EXPECT_NE(got.err.find(phrase), std::string::npos) << got.err;
  EXPECT_NE(got.err.find(detail), std::string::npos) << got.err;
}

TEST(KustomizeHelmErrors, AMissingChartWithoutRepoIsAnError) {
  ASSERT_NE(helm_binary(), "");
  TempDir tmp;
  tmp.write("k/kustomization.yaml", "helmCharts:\n- name: nowhere\n  releaseName: x\n");
  expect_both_fail(tmp.path() / "k", "no repo specified for pull, no chart found at",
                   "charts/nowhere");
}

TEST(KustomizeHelmErrors, AValuesFileOutsideTheKustomizationIsRefused) {
  ASSERT_NE(helm_binary(), "");
  TempDir tmp;
  fs::path dir = assemble(tmp, "local-chart");
  tmp.write("outside.yaml", "data:\n  namespace: leak\n");
  write_file_atomic(dir / "kustomization.yaml",
                    "helmCharts:\n- name: test-chart\n  releaseName: t\n  valuesFile: "
                    "../outside.yaml\n");
  expect_both_fail(dir, "security; file", "outside.yaml");
}

TEST(KustomizeHelmErrors, ABadValuesMergeIsAnError) {
  ASSERT_NE(helm_binary(), "");
  TempDir tmp;
  fs::path dir = assemble(tmp, "local-chart");
  write_file_atomic(dir / "kustomization.yaml",
                    "helmCharts:\n- name: test-chart\n  releaseName: t\n  valuesMerge: mix\n");
  expect_both_fail(dir, "valuesMerge must be one of", "mix");
}

// A chart's object that is already a resource: kubectl's generator rule.
TEST(KustomizeHelmErrors, AChartObjectThatExistsIsAnError) {
  ASSERT_NE(helm_binary(), "");
  TempDir tmp;
  fs::path dir = assemble(tmp, "local-chart");
  write_file_atomic(dir / "d.yaml",
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: my-deploy\n"
                    "  namespace: default\n");
  write_file_atomic(dir / "kustomization.yaml",
                    "resources:\n- d.yaml\nhelmCharts:\n- name: test-chart\n  releaseName: c\n");
  expect_both_fail(dir, "exists; behavior must be merge or replace", "my-deploy");
}

// --helm-kube-version and --helm-api-versions apply to the charts that do not
// set kubeVersion / apiVersions themselves (kustomize reads the chart's config
// over the flags' values).
TEST(KustomizeHelmFlags, KubeVersionAndApiVersionFlagsMatchKubectl) {
  ASSERT_NE(helm_binary(), "");
  TempDir tmp;
  const std::vector<std::string> flags{"--helm-kube-version", "1.30.1",
                                       "--helm-api-versions", "demo.example/v1",
                                       "--helm-api-versions", "batch/v9"};
  for (const auto& [name, kube] : {std::pair<std::string, std::string>{"crds-namespace", "v1.30.1"},
                                   {"api-kube-versions", "v1.29.3"}}) {
    fs::path dir = assemble(tmp, name);
    ProcessOptions opts;
    opts.extra_env = {"GANTRY_REAL_HELM=" + helm_binary()};
    std::vector<std::string> argv{
        "kubectl",       "kustomize",      dir.string(),
        "--enable-helm", "--helm-command", (helm_cases_dir() / "helm-v3-shim.sh").string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    ProcessResult want = run_process(argv, opts);
    ASSERT_EQ(want.exit_code, 0) << want.err;
    EXPECT_NE(want.out.find("kubeVersion: " + kube), std::string::npos) << name << want.out;
    EXPECT_NE(want.out.find("kind: Widget"), std::string::npos) << name << want.out;
    ProcessResult got = gantry_kustomize(dir, flags);
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(got.out, want.out) << name << ": " << describe(want.out, got.out);
  }
}

}  // namespace
}  // namespace gantry
