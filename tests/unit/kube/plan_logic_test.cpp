// Pure parts of the plan: hooks, the no-op rule, diffs and Secret redaction.
#include <gtest/gtest.h>

#include "core/error.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "kube/diff.h"
#include "kube/hooks.h"
#include "kube/noop.h"

namespace gantry::kube {
namespace {

doc::Value yaml(const std::string& s) {
  return doc::parse_yaml(s, "t.yaml");
}

TEST(Hooks, KluctlAndGantryAnnotations) {
  HookSpec none = hook_spec(yaml("kind: ConfigMap\nmetadata: {name: a}\n"));
  EXPECT_FALSE(none.is_hook());
  HookSpec k =
      hook_spec(yaml("kind: Job\nmetadata:\n  annotations:\n    kluctl.io/hook: pre-deploy\n"
                     "    kluctl.io/hook-weight: 2\n"));
  EXPECT_TRUE(k.runs_pre(true));
  EXPECT_TRUE(k.runs_pre(false));
  EXPECT_FALSE(k.runs_post(true));
  EXPECT_EQ(k.weight, 2);
  EXPECT_TRUE(k.delete_before_creation);
  EXPECT_TRUE(k.wait);
  HookSpec g =
      hook_spec(yaml("kind: Job\nmetadata:\n  annotations:\n    gantry.dev/hook: "
                     "pre-deploy-initial, post-deploy-upgrade\n"
                     "    gantry.dev/hook-weight: \"-5\"\n    gantry.dev/hook-delete-policy: "
                     "hook-succeeded,hook-failed\n"
                     "    gantry.dev/hook-wait: \"false\"\n"));
  EXPECT_TRUE(g.runs_pre(true));
  EXPECT_FALSE(g.runs_pre(false));
  EXPECT_TRUE(g.runs_post(false));
  EXPECT_FALSE(g.runs_post(true));
  EXPECT_EQ(g.weight, -5);
  EXPECT_FALSE(g.delete_before_creation);
  EXPECT_TRUE(g.delete_on_success);
  EXPECT_TRUE(g.delete_on_failure);
  EXPECT_FALSE(g.wait);
}

TEST(Hooks, HelmAnnotationsMapLikeKluctl) {
  HookSpec pre = hook_spec(
      yaml("kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install, pre-upgrade\n"
           "    helm.sh/hook-weight: \"-3\"\n"
           "    helm.sh/hook-delete-policy: hook-succeeded\n"));
  EXPECT_TRUE(pre.runs_pre(true));
  EXPECT_TRUE(pre.runs_pre(false));
  EXPECT_FALSE(pre.runs_post(true));
  EXPECT_EQ(pre.weight, -3);
  EXPECT_FALSE(pre.delete_before_creation);
  EXPECT_TRUE(pre.delete_on_success);

  HookSpec install =
      hook_spec(yaml("kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: post-install\n"));
  EXPECT_TRUE(install.runs_post(true));
  EXPECT_FALSE(install.runs_post(false));
  EXPECT_FALSE(install.runs_pre(true));
  EXPECT_TRUE(install.delete_before_creation);  // the default, as in kluctl
  HookSpec upgrade =
      hook_spec(yaml("kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: post-upgrade\n"));
  EXPECT_TRUE(upgrade.runs_post(false));
  EXPECT_FALSE(upgrade.runs_post(true));

  // gantry's (or kluctl's) weight wins; delete policies add up.
  HookSpec both =
      hook_spec(yaml("kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: post-install\n"
                     "    helm.sh/hook-weight: \"7\"\n    kluctl.io/hook-weight: \"2\"\n"
                     "    helm.sh/hook-delete-policy: hook-failed\n"
                     "    kluctl.io/hook-delete-policy: before-hook-creation\n"));
  EXPECT_EQ(both.weight, 2);
  EXPECT_TRUE(both.delete_before_creation);
  EXPECT_TRUE(both.delete_on_failure);
  EXPECT_FALSE(both.delete_on_success);

  // Delete and rollback hooks never run: a hook that no phase picks.
  HookSpec del =
      hook_spec(yaml("kind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-delete\n"));
  EXPECT_TRUE(del.is_hook());
  EXPECT_FALSE(del.runs_pre(true) || del.runs_pre(false) || del.runs_post(true) ||
               del.runs_post(false));
  // test and unknown events are ignored (helm items drop test hooks at render).
  EXPECT_FALSE(
      hook_spec(yaml("kind: Pod\nmetadata:\n  annotations:\n    helm.sh/hook: test\n")).is_hook());
  EXPECT_THROW(hook_spec(yaml("metadata:\n  annotations: {helm.sh/hook: post-install, "
                              "helm.sh/hook-weight: heavy}\n")),
               Error);
}

TEST(Hooks, BadValuesAreErrors) {
  EXPECT_THROW(hook_spec(yaml("metadata:\n  annotations: {gantry.dev/hook: pre-install}\n")),
               Error);
  EXPECT_THROW(hook_spec(yaml("metadata:\n  annotations: {gantry.dev/hook: pre-deploy, "
                              "gantry.dev/hook-weight: heavy}\n")),
               Error);
  EXPECT_THROW(hook_spec(yaml("metadata:\n  annotations: {gantry.dev/hook: pre-deploy, "
                              "gantry.dev/hook-delete-policy: never}\n")),
               Error);
}

const char* kDesired = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: web:1
        ports: [{containerPort: 80}]
)";

// What a server holds after gantry applied kDesired (with defaults added).
doc::Value live_with(const std::string& fields, const std::string& api = "apps/v1",
                     const std::string& manager = "gantry") {
  doc::Value live = yaml(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
  uid: 1234
  resourceVersion: "77"
spec:
  replicas: 2
  strategy: {type: RollingUpdate}
  template:
    spec:
      containers:
      - name: web
        image: web:1
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 80, protocol: TCP}]
      dnsPolicy: ClusterFirst
status: {replicas: 2}
)");
  doc::Value entry = doc::Value::object({{"manager", manager},
                                         {"operation", "Apply"},
                                         {"apiVersion", api},
                                         {"fieldsType", "FieldsV1"},
                                         {"fieldsV1", doc::parse_json(fields)}});
  live["metadata"].set("managedFields", doc::Value(doc::List{entry}));
  return live;
}

const char* kOwned = R"({"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},
 "f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{},
 "f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}})";

TEST(Noop, SameFieldsAndValuesNeedNoRequest) {
  EXPECT_TRUE(apply_is_noop(yaml(kDesired), live_with(kOwned), "gantry"));
}

TEST(Noop, AnyDifferenceFallsBackToTheServer) {
  doc::Value d = yaml(kDesired);
  // A changed value.
  doc::Value changed = d;
  changed["spec"].set("replicas", 3);
  EXPECT_FALSE(apply_is_noop(changed, live_with(kOwned), "gantry"));
  // A field we owned and no longer apply (the apply would remove it).
  std::string owned_more = kOwned;
  owned_more.replace(owned_more.find("\"f:replicas\":{}"), 15, "\"f:replicas\":{},\"f:paused\":{}");
  EXPECT_FALSE(apply_is_noop(d, live_with(owned_more), "gantry"));
  // Another manager, another operation or apiVersion, or no managedFields.
  EXPECT_FALSE(apply_is_noop(d, live_with(kOwned, "apps/v1", "kubectl"), "gantry"));
  EXPECT_FALSE(apply_is_noop(d, live_with(kOwned, "apps/v1beta2"), "gantry"));
  doc::Value bare = live_with(kOwned);
  bare["metadata"].erase("managedFields");
  EXPECT_FALSE(apply_is_noop(d, bare, "gantry"));
  // A list with another length, and an explicit null.
  doc::Value two = d;
  two["spec"]["template"]["spec"]["containers"].push_back(yaml("{name: side, image: s:1}"));
  EXPECT_FALSE(apply_is_noop(two, live_with(kOwned), "gantry"));
  doc::Value nulled = d;
  nulled["metadata"]["labels"].set("gone", doc::Value());
  EXPECT_FALSE(apply_is_noop(nulled, live_with(kOwned), "gantry"));
}

TEST(Diff, ServerFieldsStrippedAndKeysSorted) {
  doc::Value live = live_with(kOwned);
  doc::Value result = live;
  result["spec"].set("replicas", 3);
  result["metadata"].set("resourceVersion", "78");
  std::string d = object_diff(live, result, "Deployment shop/web");
  EXPECT_NE(d.find("-  replicas: 2\n+  replicas: 3\n"), std::string::npos) << d;
  EXPECT_EQ(d.find("managedFields"), std::string::npos);
  EXPECT_EQ(d.find("resourceVersion"), std::string::npos);
  EXPECT_EQ(d.find("status"), std::string::npos);
  EXPECT_EQ(object_diff(live, live, "x"), "");
}

TEST(Diff, SecretValuesAreMasked) {
  doc::Value before =
      yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: c2VjcmV0, b: c2FtZQ==}\n");
  doc::Value after = yaml(
      "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {a: bmV3, b: c2FtZQ==, c: eA==}\n");
  std::string d = object_diff(before, after, "Secret s");
  for (const char* leak : {"c2VjcmV0", "bmV3", "c2FtZQ", "eA=="})
    EXPECT_EQ(d.find(leak), std::string::npos) << leak << "\n" << d;
  EXPECT_NE(d.find("-  a: '*** (before)'\n"), std::string::npos) << d;
  EXPECT_NE(d.find("+  a: '*** (after)'\n"), std::string::npos) << d;
  EXPECT_NE(d.find("   b: '***'\n"), std::string::npos) << d;  // unchanged, still masked
  EXPECT_NE(d.find("+  c: '*** (after)'\n"), std::string::npos) << d;
  // A new Secret: every value masked.
  std::string created = object_diff(doc::Value(), after, "Secret s");
  EXPECT_EQ(created.find("bmV3"), std::string::npos) << created;
}

}  // namespace
}  // namespace gantry::kube
