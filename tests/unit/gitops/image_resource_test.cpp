#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "doc/yaml.h"
#include "gitops/image_resource.h"
#include "support/fixtures.h"

namespace gantry::gitops {
namespace {

using testing::error_text;
using ::testing::HasSubstr;

ImageUpdateSpec parse(const std::string& y) {
  return parse_image_update(doc::parse_yaml(y, "t.yaml"));
}

TEST(ImageResource, GantrySpelling) {
  ImageUpdateSpec s = parse(R"(apiVersion: gantry.dev/v1alpha1
kind: GantryImageUpdate
metadata: {name: web, namespace: shop, generation: 4,
           annotations: {gantry.dev/reconcile-requested-at: "t1"}}
spec:
  interval: 30s
  git: {url: https://git.example/x.git, branch: prod, secretRef: {name: creds}}
  push: {branch: bump}
  paths: [deploy, charts]
  policies:
  - {name: web, image: r.example/web, policy: {semver: {range: ">=1"}}}
  policyRefs: [{name: worker}]
  registry: {insecure: true, secretRef: {name: reg}}
  commit: {author: {name: Bot, email: b@x}, messageTemplate: "m {count}"}
  images: []
)");
  EXPECT_EQ(s.key(), "GantryImageUpdate/shop/web");
  EXPECT_EQ(s.generation, 4);
  EXPECT_EQ(s.requested_at, "t1");
  EXPECT_EQ(s.url, "https://git.example/x.git");
  EXPECT_EQ(s.branch, "prod");
  EXPECT_EQ(s.secret, "creds");
  EXPECT_EQ(s.push_branch, "bump");
  EXPECT_EQ(s.paths, (std::vector<std::string>{"deploy", "charts"}));
  EXPECT_EQ(s.inline_policies.size(), 1u);
  EXPECT_EQ(s.policy_refs, (std::vector<std::string>{"worker"}));
  EXPECT_TRUE(s.registry_insecure);
  EXPECT_EQ(s.registry_secret, "reg");
  EXPECT_EQ(s.author_name, "Bot");
  EXPECT_EQ(s.author_email, "b@x");
  EXPECT_EQ(s.message_template, "m {count}");
  EXPECT_EQ(s.interval, std::chrono::seconds(30));
  EXPECT_FALSE(s.is_flux());
  EXPECT_EQ(s.unsupported, (std::vector<std::string>{"spec.images"}));
}

TEST(ImageResource, FluxAutomation) {
  ImageUpdateSpec s = parse(R"(apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageUpdateAutomation
metadata: {name: auto, namespace: flux-system}
spec:
  interval: 1m
  sourceRef: {kind: GitRepository, name: repo}
  git:
    checkout: {ref: {branch: main}}
    commit:
      author: {name: fluxcdbot, email: f@x}
      messageTemplate: '{{range .Changed.Changes}}{{end}}'
      signingKey: {secretRef: {name: k}}
    push: {branch: auto}
  update: {path: ./clusters, strategy: Setters}
  policySelector: {matchLabels: {a: b}}
)");
  EXPECT_TRUE(s.is_flux());
  EXPECT_TRUE(s.all_namespace_policies);
  EXPECT_EQ(s.source_kind, "GitRepository");
  EXPECT_EQ(s.source_name, "repo");
  EXPECT_EQ(s.branch, "main");
  EXPECT_EQ(s.push_branch, "auto");
  EXPECT_EQ(s.paths, (std::vector<std::string>{"./clusters"}));
  EXPECT_EQ(s.author_name, "fluxcdbot");
  EXPECT_EQ(s.message_template, "");  // a Go template is not expanded
  EXPECT_EQ(s.unsupported,
            (std::vector<std::string>{
                "spec.policySelector", "spec.git.commit.signingKey",
                "spec.git.commit.messageTemplate (Go template; gantry's default used)"}));
}

TEST(ImageResource, InvalidFieldsAreNamed) {
  EXPECT_THAT(error_text([] {
                parse("kind: GantryImageUpdate\nmetadata: {name: a}\nspec:\n  git: {url: u}\n");
              }),
              HasSubstr("spec.policies"));
  EXPECT_THAT(error_text([] {
                parse(
                    "kind: GantryImageUpdate\nmetadata: {name: a}\nspec:\n  policyRefs: [{name: "
                    "p}]\n");
              }),
              HasSubstr("spec.git.url"));
  EXPECT_THAT(
      error_text([] {
        parse(
            "kind: ImageUpdateAutomation\nmetadata: {name: a}\nspec:\n  sourceRef: {name: r}\n"
            "  update: {strategy: Other}\n");
      }),
      HasSubstr("spec.update.strategy"));
  EXPECT_THAT(error_text([] {
                parse(
                    "kind: GantryImageUpdate\nmetadata: {name: a}\nspec:\n  git: {url: u}\n"
                    "  policyRefs: [{name: p}]\n  interval: soon\n");
              }),
              HasSubstr("spec.interval"));
}

}  // namespace
}  // namespace gantry::gitops
