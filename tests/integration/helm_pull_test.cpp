// gantry helm-pull / helm-update / render --pull against real chart sources:
// a classic chart repository served by a loopback HTTP server (basic auth,
// an index made by the real `helm repo index`, archives made by the real
// `helm package`) and a docker-registry holding charts pushed with the real
// `helm push`. The pulled charts render exactly as `helm template` renders
// the original archives; tampered, corrupt and unknown charts are refused
// with errors naming the item.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/base64.h"
#include "core/digest.h"
#include "core/file.h"
#include "core/process.h"
#include "doc/yaml.h"
#include "support/fixtures.h"
#include "support/oci_servers.h"
#include "support/registry.h"

namespace gantry {
namespace {

namespace fs = std::filesystem;
using testing::course_dir;
using testing::helm_binary;
using testing::LoopbackServer;
using testing::run_gantry;
using testing::TempDir;
using testing::TestCa;
using testing::TestRegistry;

const char* kUser = "chartuser";
const char* kPassword = "s3cret-pw";

std::string key_of(const doc::Value& o) {
  const doc::Value* ns = o.find_path({"metadata", "namespace"});
  return o.get_string("kind") + "/" + (ns && ns->is_string() ? ns->as_string() : "") + "/" +
         o.find_path({"metadata", "name"})->as_string();
}

std::vector<doc::Value> sorted(std::vector<doc::Value> objs) {
  std::erase_if(objs, [](const doc::Value& v) { return v.is_null(); });
  std::sort(objs.begin(), objs.end(),
            [](const doc::Value& a, const doc::Value& b) { return key_of(a) < key_of(b); });
  return objs;
}

// Every file below `dir` with its content, by relative path.
std::map<std::string, std::string> tree(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file())
      out[fs::relative(e.path(), dir).generic_string()] = read_file(e.path());
  return out;
}

class HelmPull : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(helm_binary(), "") << "no helm: run scripts/install-deps.sh";
    if (!TestRegistry::available()) GTEST_SKIP() << "docker-registry is not installed";
    // The chart repository: /charts/* from pkgs/, behind basic auth.
    fs::create_directories(pkgs());
    server_.server().set_pre_routing_handler(
        [](const httplib::Request& req, httplib::Response& res) {
          std::string want = "Basic " + base64_encode(std::string(kUser) + ":" + kPassword);
          if (req.get_header_value("Authorization") == want)
            return httplib::Server::HandlerResponse::Unhandled;
          res.status = 401;
          return httplib::Server::HandlerResponse::Handled;
        });
    server_.server().set_mount_point("/charts", pkgs().string());
    server_.start();
    for (const char* v : {"1.0.0", "1.0.3", "1.1.0", "2.0.0-rc.1"})
      package("demo", v, std::string("color-") + v);
    helm({"repo", "index", pkgs().string(), "--url", repo_url()});
    registry_.emplace();
    for (const char* v : {"1.0.0", "1.0.3", "1.1.0"})
      helm({"push", (pkgs() / ("demo-" + std::string(v) + ".tgz")).string(),
            "oci://" + registry_->host() + "/charts", "--plain-http"});
    project_.write("deployment.yaml", "deployments:\n  - path: web\n  - path: ops\n");
    write_item("web", "repo: " + repo_url() + "\n  chartName: demo", "1.0.0", "~1.0.0", "apps");
    write_item("ops", "repo: oci://" + registry_->host() + "/charts/demo", "1.0.0", "^1.0.0",
               "ops");
  }

  fs::path pkgs() const { return work_.path() / "pkgs"; }
  std::string repo_url() const { return server_.base() + "/charts"; }
  fs::path http_dir(const std::string& v) const {
    return project_.path() / ".helm-charts" /
           ("http_" + std::to_string(server_.port()) + "_127.0.0.1") / "charts" / "demo" / v;
  }
  fs::path oci_dir(const std::string& v) const {
    return project_.path() / ".helm-charts" /
           ("oci_" + std::to_string(registry_->port()) + "_127.0.0.1") / "charts" / "demo" / v;
  }

  void write_item(const std::string& item, const std::string& source, const std::string& version,
                  const std::string& constraint, const std::string& ns) {
    project_.write(item + "/helm-chart.yaml",
                   "helmChart:\n  " + source + "\n  chartVersion: " + version +
                       "  # pinned by the test\n  updateConstraints: \"" + constraint +
                       "\"\n  releaseName: " + item + "\n  namespace: " + ns + "\n");
  }

  ProcessResult helm(std::vector<std::string> args) {
    ProcessResult r = testing::run_helm(std::move(args), work_.path() / "helm");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
  }

  // A chart demo VERSION whose ConfigMap carries `color`, packaged into pkgs/.
  void package(const std::string& name, const std::string& version, const std::string& color) {
    fs::path src = work_.path() / "src" / version / name;
    work_.write(fs::relative(src / "Chart.yaml", work_.path()).string(),
                "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n");
    work_.write(fs::relative(src / "values.yaml", work_.path()).string(),
                "color: " + color + "\nreplicas: 1\n");
    work_.write(fs::relative(src / "templates/objects.yaml", work_.path()).string(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\n"
                "data:\n  color: {{ .Values.color }}\n  chart: {{ .Chart.Version }}\n"
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n"
                "metadata:\n  name: {{ .Release.Name }}-role\n");
    helm({"package", src.string(), "-d", pkgs().string()});
  }

  std::vector<std::string> creds_env() const {
    return {"GANTRY_HELM_HOST=127.0.0.1:" + std::to_string(server_.port()),
            std::string("GANTRY_HELM_USERNAME=") + kUser,
            std::string("GANTRY_HELM_PASSWORD=") + kPassword};
  }

  ProcessResult gantry(std::vector<std::string> args) const {
    args.push_back("--project");
    args.push_back(project_.path().string());
    return run_gantry(args, {}, creds_env());
  }

  // helm template of the original archive, the release namespace on the
  // namespaced objects without one (kluctl's procedure).
  std::vector<doc::Value> reference(const std::string& release, const std::string& ns,
                                    const std::string& version) {
    ProcessResult r = helm({"template", release, (pkgs() / ("demo-" + version + ".tgz")).string(),
                            "--namespace", ns, "--include-crds"});
    std::vector<doc::Value> out = doc::parse_yaml_stream(r.out, "helm");
    for (auto& o : out)
      if (o.is_map() && o.get_string("kind") == "ConfigMap" &&
          !o.find_path({"metadata", "namespace"}))
        o["metadata"].set("namespace", doc::Value(ns));
    return out;
  }

  TempDir work_, project_;
  LoopbackServer server_;
  std::optional<TestRegistry> registry_;
};

TEST_F(HelmPull, PullsFromRepositoryAndRegistryAndRendersLikeHelm) {
  ProcessResult p = gantry({"helm-pull"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("pulled web: demo 1.0.0"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("pulled ops: demo 1.0.0"), std::string::npos) << p.out;
  // kluctl's layout; the files are the packaged chart's.
  ASSERT_TRUE(fs::exists(http_dir("1.0.0") / "Chart.yaml"));
  ASSERT_TRUE(fs::exists(oci_dir("1.0.0") / "Chart.yaml"));
  // The same files as `helm pull --untar` gives, from both sources.
  fs::path untar = work_.path() / "untar";
  helm({"pull", "demo", "--repo", repo_url(), "--version", "1.0.0", "--username", kUser,
        "--password", kPassword, "--untar", "-d", (untar / "http").string()});
  helm({"pull", "oci://" + registry_->host() + "/charts/demo", "--version", "1.0.0", "--plain-http",
        "--untar", "-d", (untar / "oci").string()});
  std::map<std::string, std::string> want_files = tree(untar / "http/demo");
  EXPECT_EQ(want_files.size(), 3u);  // Chart.yaml, values.yaml, templates/objects.yaml
  EXPECT_EQ(tree(http_dir("1.0.0")), want_files);
  EXPECT_EQ(tree(oci_dir("1.0.0")), tree(untar / "oci/demo"));
  EXPECT_EQ(tree(oci_dir("1.0.0")), want_files);

  ProcessResult r = gantry({"render", "--helm-binary", helm_binary()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<doc::Value> want = reference("web", "apps", "1.0.0");
  for (auto& o : reference("ops", "ops", "1.0.0"))
    want.push_back(std::move(o));
  want = sorted(std::move(want));
  std::vector<doc::Value> got = sorted(doc::parse_yaml_stream(r.out, "render"));
  ASSERT_EQ(got.size(), want.size()) << r.out;
  ASSERT_EQ(got.size(), 4u);
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_TRUE(got[i].equals(want[i], /*ordered=*/false)) << doc::to_yaml(got[i]) << "\nwant:\n"
                                                           << doc::to_yaml(want[i]);

  // A second pull finds everything present and changes nothing.
  ProcessResult again = gantry({"helm-pull"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("present web: demo 1.0.0"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("pulled"), std::string::npos) << again.out;
}

TEST_F(HelmPull, RemovesChartsNoItemUses) {
  ASSERT_EQ(gantry({"helm-pull"}).exit_code, 0);
  write_item("web", "repo: " + repo_url() + "\n  chartName: demo", "1.1.0", "", "apps");
  ProcessResult p = gantry({"helm-pull"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_TRUE(fs::exists(http_dir("1.1.0") / "Chart.yaml"));
  EXPECT_FALSE(fs::exists(http_dir("1.0.0")));
  EXPECT_TRUE(fs::exists(oci_dir("1.0.0") / "Chart.yaml"));
  EXPECT_NE(p.out.find("removed .helm-charts/http_"), std::string::npos) << p.out;
}

TEST_F(HelmPull, RepositoryCredentialsAreRequired) {
  ProcessResult p = run_gantry({"helm-pull", "--project", project_.path().string()});
  EXPECT_NE(p.exit_code, 0);
  EXPECT_NE(p.err.find("item web"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("HTTP 401"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.find(kPassword), std::string::npos);
  // The same credentials as flags.
  std::string host = "127.0.0.1:" + std::to_string(server_.port());
  ProcessResult f =
      run_gantry({"helm-pull", "--project", project_.path().string(), "--helm-username",
                  host + "=" + kUser, "--helm-password", host + "/charts=" + kPassword});
  EXPECT_EQ(f.exit_code, 0) << f.err;
}

TEST_F(HelmPull, TamperedRepositoryArchiveIsRefused) {
  // The index keeps 1.0.0's digest; the server now sends 1.0.3's bytes.
  fs::copy_file(pkgs() / "demo-1.0.3.tgz", pkgs() / "demo-1.0.0.tgz",
                fs::copy_options::overwrite_existing);
  ProcessResult p = gantry({"helm-pull"});
  EXPECT_NE(p.exit_code, 0);
  EXPECT_NE(p.err.find("item web"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("digest mismatch"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(http_dir("1.0.0")));
  // render --pull refuses it the same way, and renders nothing.
  ProcessResult r = gantry({"render", "--pull", "--helm-binary", helm_binary()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("digest mismatch"), std::string::npos) << r.err;
}

TEST_F(HelmPull, TamperedRegistryBlobIsRefused) {
  write_item("web", "repo: " + repo_url() + "\n  chartName: demo", "1.0.0", "", "apps");
  // Every gzip blob in the registry's storage (the chart layers) is replaced
  // by other bytes of the same size.
  size_t tampered = 0;
  for (const auto& e : fs::recursive_directory_iterator(registry_->storage())) {
    if (!e.is_regular_file() || e.path().filename() != "data") continue;
    std::string data = read_file(e.path());
    if (data.size() < 2 || data[0] != '\x1f' || data[1] != '\x8b') continue;
    data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x55);
    write_file_atomic(e.path(), data);
    ++tampered;
  }
  ASSERT_GE(tampered, 1u);
  ProcessResult p = gantry({"helm-pull"});
  EXPECT_NE(p.exit_code, 0);
  EXPECT_NE(p.err.find("item ops"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("digest"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(oci_dir("1.0.0")));
}

TEST_F(HelmPull, HelmUpdateReportsAndUpgrades) {
  ASSERT_EQ(gantry({"helm-pull"}).exit_code, 0);
  std::string before = read_file(project_.path() / "web/helm-chart.yaml");
  ProcessResult r = gantry({"helm-update"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // ~1.0.0 allows 1.0.3 (not 1.1.0); ^1.0.0 allows 1.1.0 (never 2.0.0-rc.1).
  EXPECT_NE(r.out.find("web: demo 1.0.0 -> 1.0.3 available"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ops: demo 1.0.0 -> 1.1.0 available"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(project_.path() / "web/helm-chart.yaml"), before);  // report only

  ProcessResult u = gantry({"helm-update", "--upgrade"});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  std::string want = before;
  want.replace(want.find("1.0.0"), 5, "1.0.3");
  EXPECT_EQ(read_file(project_.path() / "web/helm-chart.yaml"), want);  // byte-precise
  EXPECT_NE(read_file(project_.path() / "ops/helm-chart.yaml").find("chartVersion: 1.1.0  #"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(http_dir("1.0.3") / "Chart.yaml"));
  EXPECT_TRUE(fs::exists(oci_dir("1.1.0") / "Chart.yaml"));
  EXPECT_FALSE(fs::exists(http_dir("1.0.0")));
  EXPECT_FALSE(fs::exists(oci_dir("1.0.0")));
  ProcessResult render = gantry({"render", "--helm-binary", helm_binary()});
  ASSERT_EQ(render.exit_code, 0) << render.err;
  EXPECT_NE(render.out.find("color: color-1.0.3"), std::string::npos) << render.out;
  EXPECT_NE(render.out.find("color: color-1.1.0"), std::string::npos) << render.out;

  ProcessResult again = gantry({"helm-update"});
  EXPECT_NE(again.out.find("web: demo 1.0.3 is the newest allowed by ~1.0.0"), std::string::npos)
      << again.out;
}

TEST_F(HelmPull, HelmUpdateCommitsEachChart) {
  ASSERT_EQ(gantry({"helm-pull"}).exit_code, 0);
  const fs::path& dir = project_.path();
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"init", "-q", "-b", "main"},
        {"add", "-A"},
        {"-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "init"}}) {
    cmd.insert(cmd.begin(), {"git", "-C", dir.string()});
    ASSERT_EQ(run_process(cmd).exit_code, 0);
  }
  ProcessResult u =
      gantry({"helm-update", "--upgrade", "--commit", "--author", "Bot <bot@example.com>"});
  ASSERT_EQ(u.exit_code, 0) << u.err;
  ProcessResult log = run_process({"git", "-C", dir.string(), "log", "--format=%s"});
  EXPECT_NE(log.out.find("upgrade helm chart demo from 1.0.0 to 1.0.3 in web"), std::string::npos)
      << log.out;
  EXPECT_NE(log.out.find("upgrade helm chart demo from 1.0.0 to 1.1.0 in ops"), std::string::npos)
      << log.out;
  ProcessResult status = run_process({"git", "-C", dir.string(), "status", "--porcelain"});
  EXPECT_EQ(status.out, "");  // the new charts and the removal of the old ones are committed
  ProcessResult files = run_process({"git", "-C", dir.string(), "ls-files", ".helm-charts"});
  EXPECT_NE(files.out.find("/1.0.3/Chart.yaml"), std::string::npos) << files.out;
  EXPECT_EQ(files.out.find("/1.0.0/"), std::string::npos) << files.out;
}

TEST_F(HelmPull, RenderRefusesMissingChartUnlessPull) {
  ProcessResult r = gantry({"render", "--helm-binary", helm_binary()});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("item web"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not pre-pulled"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--pull"), std::string::npos) << r.err;

  ProcessResult p = gantry({"render", "--pull", "--helm-binary", helm_binary()});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("color: color-1.0.0"), std::string::npos);
  EXPECT_TRUE(fs::exists(http_dir("1.0.0") / "Chart.yaml"));
  EXPECT_TRUE(fs::exists(oci_dir("1.0.0") / "Chart.yaml"));
}

TEST_F(HelmPull, UnknownVersionNamesTheItem) {
  write_item("ops", "repo: oci://" + registry_->host() + "/charts/demo", "9.9.9", "", "ops");
  ProcessResult p = gantry({"helm-pull"});
  EXPECT_NE(p.exit_code, 0);
  EXPECT_NE(p.err.find("item ops"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("9.9.9"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("no such version"), std::string::npos) << p.err;

  write_item("ops", "repo: oci://" + registry_->host() + "/charts/demo", "1.0.0", "", "ops");
  write_item("web", "repo: " + repo_url() + "\n  chartName: demo", "3.0.0", "", "apps");
  ProcessResult h = gantry({"render", "--pull", "--helm-binary", helm_binary()});
  EXPECT_NE(h.exit_code, 0);
  EXPECT_EQ(h.out, "");
  EXPECT_NE(h.err.find("item web"), std::string::npos) << h.err;
  EXPECT_NE(h.err.find("no such version"), std::string::npos) << h.err;
}

TEST_F(HelmPull, CorruptArchiveNamesTheItem) {
  // An index entry whose archive is junk with a matching digest.
  std::string junk = "this is not a gzip archive, just text pretending to be a chart\n";
  work_.write("pkgs/bad/bad-1.0.0.tgz", junk);
  work_.write("pkgs/bad/index.yaml",
              "apiVersion: v1\nentries:\n  bad:\n    - version: 1.0.0\n      digest: " +
                  sha256_hex(junk) + "\n      urls: [bad-1.0.0.tgz]\n");
  write_item("web", "repo: " + repo_url() + "/bad\n  chartName: bad", "1.0.0", "", "apps");
  ProcessResult p = gantry({"helm-pull"});
  EXPECT_NE(p.exit_code, 0);
  EXPECT_NE(p.err.find("item web"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("chart archive"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(project_.path() / ".helm-charts" /
                          ("http_" + std::to_string(server_.port()) + "_127.0.0.1")));
  ProcessResult r = gantry({"render", "--pull", "--helm-binary", helm_binary()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("chart archive"), std::string::npos) << r.err;
}

TEST_F(HelmPull, SkipPrePullChartsArePulledOnDemandIntoTheCache) {
  project_.write("web/helm-chart.yaml",
                 "helmChart:\n  repo: " + repo_url() +
                     "\n  chartName: demo\n  chartVersion: 1.0.3\n  skipPrePull: true\n"
                     "  releaseName: web\n  namespace: apps\n");
  ProcessResult p = gantry({"helm-pull"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_NE(p.out.find("skipped web: demo 1.0.3 (skipPrePull)"), std::string::npos) << p.out;
  EXPECT_FALSE(fs::exists(http_dir("1.0.3")));

  TempDir cache;
  std::vector<std::string> env = creds_env();
  env.push_back("GANTRY_CACHE_DIR=" + cache.path().string());
  ProcessResult r = run_gantry({"render", "--project", project_.path().string(), "--helm-binary",
                                helm_binary(), "--include-deployment-dir", "web"},
                               {}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("color: color-1.0.3"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(cache.path() / "helm-charts" /
                         ("http_" + std::to_string(server_.port()) + "_127.0.0.1") /
                         "charts/demo/1.0.3/Chart.yaml"));
  EXPECT_FALSE(fs::exists(http_dir("1.0.3")));  // the project stays as it was
}

TEST_F(HelmPull, HttpsRepositoryWithItsOwnCa) {
  TestCa ca(work_.path() / "ca");
  auto [cert, key] = ca.issue_server("charts");
  fs::create_directories(work_.path() / "tls");
  for (const char* v : {"1.0.0", "1.0.3"})
    fs::copy_file(pkgs() / ("demo-" + std::string(v) + ".tgz"),
                  work_.path() / "tls" / ("demo-" + std::string(v) + ".tgz"));
  httplib::SSLServer tls(cert.c_str(), key.c_str());
  tls.set_mount_point("/charts", (work_.path() / "tls").string());
  int port = tls.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { tls.listen_after_bind(); });
  testing::wait_for_port(port, std::chrono::seconds(5));
  std::string host = "127.0.0.1:" + std::to_string(port);
  helm({"repo", "index", (work_.path() / "tls").string(), "--url", "https://" + host + "/charts"});
  write_item("web", "repo: https://" + host + "/charts\n  chartName: demo", "1.0.3", "", "apps");

  ProcessResult untrusted = gantry({"helm-pull"});
  EXPECT_EQ(untrusted.exit_code, 4) << untrusted.err;
  EXPECT_NE(untrusted.err.find("item web"), std::string::npos) << untrusted.err;
  ProcessResult p = gantry({"helm-pull", "--helm-ca-file", host + "=" + ca.cert().string()});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_TRUE(
      fs::exists(project_.path() / ".helm-charts" /
                 ("https_" + std::to_string(port) + "_127.0.0.1/charts/demo/1.0.3/Chart.yaml")));
  tls.stop();
  thread.join();
}

// A registry with basic auth: the chart is pulled with the credentials of the
// auth file (as docker and helm registry login write it), and refused
// without them, naming the item.
TEST_F(HelmPull, RegistryCredentialsFromTheAuthFile) {
  testing::RegistryConfig cfg;
  cfg.user = "oci-user";
  cfg.password = "oci-pw-42";
  TestRegistry secured(cfg);
  helm({"registry", "login", secured.host(), "--plain-http", "--username", cfg.user, "--password",
        cfg.password});
  helm({"push", (pkgs() / "demo-1.0.3.tgz").string(), "oci://" + secured.host() + "/charts",
        "--plain-http"});
  write_item("ops", "repo: oci://" + secured.host() + "/charts/demo", "1.0.3", "", "ops");
  project_.write("deployment.yaml", "deployments:\n  - path: ops\n");

  ProcessResult anonymous =
      gantry({"helm-pull", "--authfile", (work_.path() / "none.json").string()});
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_NE(anonymous.err.find("item ops"), std::string::npos) << anonymous.err;
  EXPECT_NE(anonymous.err.find("requires authentication"), std::string::npos) << anonymous.err;

  work_.write("auth.json", "{\"auths\": {\"" + secured.host() + "\": {\"auth\": \"" +
                               base64_encode(cfg.user + ":" + cfg.password) + "\"}}}\n");
  ProcessResult p = gantry({"helm-pull", "--authfile", (work_.path() / "auth.json").string()});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.err.find(cfg.password), std::string::npos);
  EXPECT_TRUE(fs::exists(project_.path() / ".helm-charts" /
                         ("oci_" + std::to_string(secured.port()) + "_127.0.0.1") /
                         "charts/demo/1.0.3/Chart.yaml"));
}

// The course's charts are pre-pulled: helm-pull finds them present and
// needs no network, and nothing is removed.
TEST(HelmPullCourse, PrePulledChartsArePresent) {
  ProcessResult p = run_gantry({"helm-pull", "--project", (course_dir() / "kluctl").string()});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.out,
            "present third-party/cloudnative-pg: cloudnative-pg 0.21.4\n"
            "present third-party/traefik: traefik 20.8.0\n");
}

}  // namespace
}  // namespace gantry
