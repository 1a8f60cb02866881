// Reading GantryDeployment and KluctlDeployment resources; naming drift.
#include <gtest/gtest.h>

#include "core/error.h"
#include "doc/yaml.h"
#include "gitops/drift.h"
#include "gitops/resource.h"
#include "support/fixtures.h"

namespace gantry::gitops {
namespace {

doc::Value yaml(const std::string& s) {
  return doc::parse_yaml(s, "t.yaml");
}

TEST(Resource, GantryDeploymentWithEveryField) {
  DeploymentSpec d = parse_deployment(yaml(R"(apiVersion: gantry.dev/v1alpha1
kind: GantryDeployment
metadata:
  name: shop
  namespace: ops
  uid: u1
  generation: 3
  finalizers: [gantry.dev/delete-target]
  annotations: {gantry.dev/reconcile-requested-at: "2026-12-05T10:00:00Z"}
spec:
  source:
    git:
      url: https://git.example.com/shop.git
      ref: {tag: v1.2.0}
      path: deploy
      secretRef: {name: creds}
  target: staging
  args: {environment: staging, replicas: 2}
  context: default
  interval: 2m
  retryInterval: 15s
  timeout: 1m
  suspend: false
  prune: true
  delete: true
  dryRun: false
  forceConflicts: true
  includeDeploymentDirs: [services]
  excludeDeploymentDirs: [third-party]
)"));
  EXPECT_EQ(d.key(), "GantryDeployment/ops/shop");
  EXPECT_EQ(d.generation, 3);
  EXPECT_TRUE(d.has_finalizer);
  EXPECT_EQ(d.requested_at, "2026-12-05T10:00:00Z");
  EXPECT_EQ(d.source.url, "https://git.example.com/shop.git");
  EXPECT_EQ(d.source.ref_text(), "tag v1.2.0");
  EXPECT_EQ(d.source.path, "deploy");
  EXPECT_EQ(d.source.secret, "creds");
  EXPECT_EQ(d.target, "staging");
  EXPECT_EQ(d.args.find("replicas")->as_int(), 2);
  EXPECT_EQ(d.interval, std::chrono::minutes(2));
  EXPECT_EQ(d.retry_interval, std::chrono::seconds(15));
  EXPECT_EQ(d.timeout, std::chrono::minutes(1));
  EXPECT_TRUE(d.prune);
  EXPECT_TRUE(d.delete_on_removal);
  EXPECT_TRUE(d.force_conflicts);
  EXPECT_EQ(d.include_dirs, std::vector<std::string>{"services"});
  EXPECT_EQ(d.exclude_dirs, std::vector<std::string>{"third-party"});
  EXPECT_TRUE(d.unsupported.empty());
}

TEST(Resource, InvalidFieldsNameTheField) {
  auto err = [](const std::string& spec) {
    return testing::error_text([&] {
      parse_deployment(
          yaml("kind: GantryDeployment\nmetadata: {name: a, namespace: b}\nspec:\n" + spec));
    });
  };
  EXPECT_NE(err("  target: x\n").find("spec.source: is required"), std::string::npos);
  EXPECT_NE(err("  source: {git: {url: u}}\n  interval: soon\n")
                .find("spec.interval: \"soon\" is not a duration"),
            std::string::npos);
  EXPECT_NE(err("  source: {git: {url: u, ref: {branch: a, tag: b}}}\n")
                .find("spec.source.git.ref: give only one of branch, tag or commit"),
            std::string::npos);
  EXPECT_NE(err("  source: {git: {url: u, path: ../etc}}\n").find("must not contain .."),
            std::string::npos);
  EXPECT_NE(err("  source: {git: {url: u}}\n  images: []\n").find("spec.images: unknown field"),
            std::string::npos);
  EXPECT_NE(
      err("  source: {git: {url: u}}\n  prune: yes please\n").find("spec.prune: must be true"),
      std::string::npos);
}

// The course's KluctlDeployment, read as it is; fields gantry lacks are listed.
TEST(Resource, KluctlDeploymentIsReadUnchanged) {
  DeploymentSpec d = parse_deployment(yaml(R"(apiVersion: gitops.kluctl.io/v1beta1
kind: KluctlDeployment
metadata:
  name: demo-app
  namespace: kluctl-gitops
spec:
  interval: 5m
  source:
    git:
      url: https://github.com/sidpalas/devops-directive-kubernetes-course.git
      path: 12-deploying-to-multiple-environments/kluctl
  target: staging
  context: default
  prune: true
  delete: true
  deployMode: full-deploy
  images: []
)"));
  EXPECT_TRUE(d.is_kluctl());
  EXPECT_EQ(d.source.ref_text(), "default branch");
  EXPECT_EQ(d.interval, std::chrono::minutes(5));
  EXPECT_EQ(d.retry_interval, std::chrono::minutes(5));
  EXPECT_TRUE(d.prune && d.delete_on_removal);
  EXPECT_EQ(d.unsupported, (std::vector<std::string>{"spec.deployMode", "spec.images"}));
}

TEST(Resource, CrdsParse) {
  auto docs = doc::parse_yaml_stream(crds_yaml(true), "crds.yaml");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].find_path({"metadata", "name"})->as_string(), "gantrydeployments.gantry.dev");
  EXPECT_EQ(docs[1].find_path({"metadata", "name"})->as_string(),
            "kluctldeployments.gitops.kluctl.io");
  EXPECT_EQ(docs[2].find_path({"metadata", "name"})->as_string(), "gantryimageupdates.gantry.dev");
  EXPECT_EQ(doc::parse_yaml_stream(crds_yaml(false), "crds.yaml").size(), 2u);
  std::vector<std::string> names;
  for (const auto& d : doc::parse_yaml_stream(crds_yaml(false, true), "crds.yaml"))
    names.push_back(d.find_path({"metadata", "name"})->as_string());
  EXPECT_EQ(names, (std::vector<std::string>{"gantrydeployments.gantry.dev",
                                             "gantryimageupdates.gantry.dev",
                                             "imagerepositories.image.toolkit.fluxcd.io",
                                             "imagepolicies.image.toolkit.fluxcd.io",
                                             "imageupdateautomations.image.toolkit.fluxcd.io",
                                             "gitrepositories.source.toolkit.fluxcd.io"}));
}

TEST(Drift, FirstDifferenceNamesThePath) {
  doc::Value want = yaml(R"(metadata: {labels: {team: blue}}
spec:
  replicas: 1
  template: {spec: {containers: [{name: web, image: web:1}]}})");
  doc::Value live = want;
  EXPECT_EQ(first_difference(want, live), "");
  live["spec"].set("replicas", 5);
  EXPECT_EQ(first_difference(want, live), "spec.replicas: 1 -> 5");
  live = want;
  live["spec"]["template"]["spec"]["containers"].as_list()[0].set("image", "evil:6");
  EXPECT_EQ(first_difference(want, live),
            "spec.template.spec.containers[name=web].image: web:1 -> evil:6");
  live = want;
  live["metadata"]["labels"].erase("team");
  EXPECT_EQ(first_difference(want, live), "metadata.labels.team: removed");
  live = want;
  live["status"] = yaml("{replicas: 1}");  // more in live is not drift
  EXPECT_EQ(first_difference(want, live), "");
}

TEST(Drift, SecretsAreComparedAsStored) {
  doc::Value secret =
      yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2}\n");
  doc::Value stored = as_stored(secret);
  EXPECT_EQ(stored.find("stringData"), nullptr);
  EXPECT_EQ(stored.find_path({"data", "password"})->as_string(), "aHVudGVyMg==");
  doc::Value live = yaml(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: aHVudGVyMg==}\ntype: "
      "Opaque\n");
  EXPECT_EQ(first_difference(stored, live), "");
  EXPECT_NE(first_difference(secret, live), "");
}

// What a drift repair records (status.recentRepairs, logs, the dashboard)
// names a Secret's changed key, never its values.
TEST(Drift, SecretValuesNeverInTheChangeText) {
  doc::Value want = as_stored(
      yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {password: hunter2}\n"));
  doc::Value live = want;
  live["data"].set("password", "ZXZpbC1wYXNzd29yZA==");
  std::string d = first_difference(want, live);
  EXPECT_EQ(d, "data.password: value changed (hidden)");
  live["data"] = doc::Value("not-a-map");
  EXPECT_EQ(first_difference(want, live), "data: value changed (hidden)");
  live = want;
  live["data"].erase("password");
  EXPECT_EQ(first_difference(want, live), "data.password: value changed (hidden)");
  // Other fields of a Secret, and other kinds, keep their values.
  EXPECT_EQ(without_secret_values("Secret", "type: Opaque -> kubernetes.io/tls"),
            "type: Opaque -> kubernetes.io/tls");
  EXPECT_EQ(without_secret_values("Secret", "stringData.token: a -> b"),
            "stringData.token: value changed (hidden)");
  EXPECT_EQ(without_secret_values("ConfigMap", "data.value: 1 -> 2"), "data.value: 1 -> 2");
}

}  // namespace
}  // namespace gantry::gitops
