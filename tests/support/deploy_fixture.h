// Test fixture for the commands that deploy a project (diff, deploy, prune,
// delete): a `gantry sandbox`, a scratch directory, projects written on the
// fly and the gantry binary run against the sandbox.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/file.h"
#include "support/fixtures.h"
#include "support/sandbox.h"

namespace gantry::testing {

namespace fs = std::filesystem;

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

class DeployTest : public ::testing::Test {
 protected:
  DeployTest() : sandbox_(Sandbox::Options{"300ms", {}, {}}) {}
  explicit DeployTest(Sandbox::Options options) : sandbox_(std::move(options)) {}

  // The sandbox's kubeconfig with its context (and cluster and user) renamed.
  fs::path kubeconfig_named(const std::string& context) const {
    std::string kc = read_file(sandbox_.kubeconfig());
    return dir_.write("kc-" + context, replace_all(kc, "gantry-sandbox", context));
  }

  ProcessResult gantry(std::vector<std::string> args) const {
    return run_gantry(args, dir_.path(), {"GANTRY_CACHE_DIR=" + (dir_.path() / "cache").string()});
  }

  // A project with one target "dev" (discriminator "test-dev") and one item
  // per entry of `items` (directory -> files); `extra` goes into the target.
  fs::path project(
      const std::string& name,
      const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>&
          items,
      const std::string& target_extra = "") const {
    fs::path root = dir_.path() / name;
    std::string deployment = "deployments:\n";
    for (const auto& [item, files] : items) {
      if (item == "---") {
        deployment += "  - barrier: true\n";
        continue;
      }
      deployment += "  - path: " + item + "\n";
      fs::create_directories(root / item);
      for (const auto& [file, text] : files)
        dir_.write(name + "/" + item + "/" + file, text);
    }
    dir_.write(name + "/deployment.yaml", deployment);
    dir_.write(name + "/.gantry.yaml", "targets:\n  - name: dev\n" + target_extra +
                                           "discriminator: test-{{ target.name }}\n");
    return root;
  }

  // The CRDs the course's Helm charts (traefik, cloudnative-pg) would bring,
  // for tests that exclude those items.
  void install_course_crds() const {
    fs::path charts = course_dir() / "kluctl" / ".helm-charts";
    fs::path crds = dir_.path() / "crds";
    fs::create_directories(crds);
    for (const auto& e :
         fs::directory_iterator(charts / "https_traefik.github.io/charts/traefik/20.8.0/crds"))
      fs::copy_file(e.path(), crds / e.path().filename(), fs::copy_options::overwrite_existing);
    std::string cnpg = read_file(
        charts /
        "https_cloudnative-pg.github.io/charts/cloudnative-pg/0.21.4/templates/crds/crds.yaml");
    std::string kept;
    std::istringstream in(cnpg);
    for (std::string line; std::getline(in, line);)
      if (line.find("{{") == std::string::npos) kept += line + "\n";
    dir_.write("crds/cnpg.yaml", kept);
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", crds.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // `kubectl get WHAT -o jsonpath=PATH`, or "<error: ...>".
  std::string jsonpath(const std::vector<std::string>& what, const std::string& path) const {
    std::vector<std::string> a{"get"};
    a.insert(a.end(), what.begin(), what.end());
    a.push_back("-o");
    a.push_back("jsonpath=" + path);
    ProcessResult r = sandbox_.kubectl(a);
    return r.exit_code == 0 ? r.out : "<error: " + r.err + ">";
  }

  std::string kubectl_out(const std::vector<std::string>& args) const {
    ProcessResult r = sandbox_.kubectl(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  TempDir dir_;
  Sandbox sandbox_;
};

inline const char* kConfigMap = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: {{NAME}}
data:
  key: "{{VALUE}}"
)";

inline std::string config_map(const std::string& name, const std::string& value) {
  return replace_all(replace_all(kConfigMap, "{{NAME}}", name), "{{VALUE}}", value);
}

}  // namespace gantry::testing
