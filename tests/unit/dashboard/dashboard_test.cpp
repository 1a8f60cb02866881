// The dashboard's API shaping (views.h), its change feed (feed.h) and the
// request handler's rules that need no cluster: security headers, assets,
// routing and the guards on actions (token, CSRF header, origin).
#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "dashboard/assets.h"
#include "dashboard/changes.h"
#include "dashboard/dashboard.h"
#include "dashboard/feed.h"
#include "dashboard/views.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "kube/client.h"
#include "kube/diff.h"
#include "kube/discovery.h"

namespace gantry::dashboard {
namespace {

using doc::Value;
using namespace std::chrono_literals;

Value yaml(const std::string& text) {
  return doc::parse_yaml(text, "test.yaml");
}

const char* kDeployment = R"(apiVersion: gantry.dev/v1alpha1
kind: GantryDeployment
metadata: {name: shop, namespace: team}
spec:
  source: {git: {url: "https://git.example/shop.git", ref: {branch: main}, path: deploy}}
  target: prod
  interval: 5m
  suspend: true
status:
  lastAppliedRevision: main@sha1:0123456789abcdef
  conditions:
  - {type: Ready, status: "False", reason: ApplyFailed, message: "1 object failed"}
  - {type: Reconciling, status: "True", reason: Progressing, message: ""}
  lastResult: {applied: 3, unchanged: 7, pruned: 1, hooks: 0, failed: 1, durationMs: 840,
               time: "2026-01-02T03:04:05Z"}
  driftRepairs: 4
  recentRepairs:
  - {object: Deployment shop/web, change: spec.replicas 1 -> 5, time: "2026-01-02T03:05:00Z"}
  managedObjects: 3
  inventory: [Namespace shop, Deployment shop/web, "Secret shop/db", "bad", "Kind a/b/c"]
)";

TEST(DashboardViews, SummaryHasEveryOverviewColumn) {
  Value s = deployment_summary(yaml(kDeployment));
  EXPECT_EQ(s.get_string("kind"), "GantryDeployment");
  EXPECT_EQ(s.get_string("namespace"), "team");
  EXPECT_EQ(s.get_string("name"), "shop");
  EXPECT_EQ(s.get_string("target"), "prod");
  EXPECT_EQ(s.get_string("sourceUrl"), "https://git.example/shop.git");
  EXPECT_EQ(s.get_string("sourceRef"), "branch main");
  EXPECT_EQ(s.get_string("sourcePath"), "deploy");
  EXPECT_EQ(s.get_string("revision"), "main@sha1:0123456789abcdef");
  EXPECT_EQ(s.get_string("ready"), "False");
  EXPECT_EQ(s.get_string("readyReason"), "ApplyFailed");
  EXPECT_TRUE(s.find("reconciling")->as_bool());
  EXPECT_TRUE(s.find("suspended")->as_bool());
  EXPECT_EQ(s.find_path({"lastResult", "applied"})->as_int(), 3);
  EXPECT_EQ(s.find_path({"lastResult", "failed"})->as_int(), 1);
  EXPECT_EQ(s.get_string("lastDeployTime"), "2026-01-02T03:04:05Z");
  EXPECT_EQ(s.find("driftRepairs")->as_int(), 4);
  ASSERT_EQ(s.find("recentRepairs")->size(), 1u);
  EXPECT_EQ(s.find("recentRepairs")->as_list()[0].get_string("change"), "spec.replicas 1 -> 5");
  EXPECT_EQ(s.get_string("invalid"), "");
}

// A repair recorded by an older controller with a Secret's values in it
// reaches the browser without them.
TEST(DashboardViews, RepairsOfSecretsShowNoValues) {
  Value r = yaml(kDeployment);
  r["status"]["recentRepairs"].push_back(
      yaml(R"({object: Secret shop/db, change: "data.password: aHVudGVyMg== -> ZXZpbA==",
               time: "2026-01-02T03:06:00Z"})"));
  Value s = deployment_summary(r);
  std::string text = doc::to_json(s);
  EXPECT_EQ(text.find("aHVudGVyMg=="), std::string::npos) << text;
  EXPECT_EQ(text.find("ZXZpbA=="), std::string::npos) << text;
  const auto& repairs = s.find("recentRepairs")->as_list();
  ASSERT_EQ(repairs.size(), 2u);
  EXPECT_EQ(repairs[0].get_string("change"), "spec.replicas 1 -> 5");
  EXPECT_EQ(repairs[1].get_string("change"), "data.password: value changed (hidden)");
}

TEST(DashboardViews, SummaryOfAFreshOrInvalidResource) {
  Value s = deployment_summary(
      yaml("apiVersion: gantry.dev/v1alpha1\nkind: GantryDeployment\nmetadata: {name: x, "
           "namespace: y}\nspec: {target: t, interval: soon}\n"));
  EXPECT_EQ(s.get_string("ready"), "Unknown");
  EXPECT_NE(s.get_string("invalid"), "");
  EXPECT_EQ(s.find("driftRepairs")->as_int(), 0);
}

TEST(DashboardViews, InventoryEntriesParsedAndBadOnesSkipped) {
  auto inv = inventory_of(yaml(kDeployment));
  ASSERT_EQ(inv.size(), 3u);
  EXPECT_EQ(inv[0].kind, "Namespace");
  EXPECT_EQ(inv[0].ns, "");
  EXPECT_EQ(inv[0].name, "shop");
  EXPECT_EQ(inv[1].kind, "Deployment");
  EXPECT_EQ(inv[1].ns, "shop");
  EXPECT_EQ(inv[1].name, "web");
}

TEST(DashboardViews, InventoryEntriesCarryTheirDeploymentItem) {
  Value r = yaml(R"(status:
  inventory: [Namespace shop, Deployment shop/web, ConfigMap shop/settings, "bad"]
  inventoryItems:
  - {path: base, objects: [0, 2]}
  - {path: services/web, objects: [1, 99, -1, "x"]}
)");
  auto inv = inventory_of(r);
  ASSERT_EQ(inv.size(), 3u);
  EXPECT_EQ(inv[0].item, "base");
  EXPECT_EQ(inv[1].item, "services/web");
  EXPECT_EQ(inv[2].item, "base");
  // A status written before items were recorded: no item, entries kept.
  auto old = inventory_of(yaml(kDeployment));
  ASSERT_EQ(old.size(), 3u);
  EXPECT_EQ(old[1].item, "");
}

// A Deployment that wants `want` replicas, `ready` of them ready and available.
Value web(int want, int ready) {
  std::string w = std::to_string(want), r = std::to_string(ready);
  return yaml(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, generation: 2}\n"
      "spec: {replicas: " +
      w + "}\nstatus: {observedGeneration: 2, replicas: " + w + ", readyReplicas: " + r +
      ", updatedReplicas: " + w + ", availableReplicas: " + r + "}\n");
}

TEST(DashboardViews, RecentlyRepairedObjectsShowAsDrifted) {
  Value r = yaml(R"Y(status:
  recentRepairs:
  - {object: Deployment shop/web, change: "spec.replicas: 1 -> 5", time: "2026-01-02T03:05:00Z"}
  - {object: Secret shop/db, change: "data.password: value changed (hidden)", time: "2026-01-02T03:06:00Z"}
  - {object: ConfigMap shop/old, change: "deleted", time: "2026-01-02T02:00:00Z"}
)Y");
  auto at = [](const char* t) {
    std::tm tm{};
    strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::chrono::system_clock::from_time_t(timegm(&tm));
  };
  auto now = at("2026-01-02T03:10:00Z");
  Value h = with_recent_repair(object_health(web(1, 1)), r, "Deployment shop/web", now, 600s);
  EXPECT_EQ(h.get_string("health"), "drifted");
  EXPECT_NE(h.get_string("reason").find("spec.replicas: 1 -> 5"), std::string::npos)
      << h.get_string("reason");
  EXPECT_EQ(h.find_path({"replicas", "ready"})->as_int(), 1);  // replicas kept
  // Older than the window, another object, or missing/degraded: unchanged.
  Value ready = Value::object({{"health", "ready"}, {"reason", ""}});
  EXPECT_EQ(with_recent_repair(ready, r, "ConfigMap shop/old", now, 600s).get_string("health"),
            "ready");
  EXPECT_EQ(with_recent_repair(ready, r, "Deployment shop/api", now, 600s).get_string("health"),
            "ready");
  EXPECT_EQ(with_recent_repair(missing_health(), r, "Deployment shop/web", now, 600s)
                .get_string("health"),
            "missing");
  EXPECT_EQ(with_recent_repair(ready, r, "Deployment shop/web", at("2026-01-02T04:00:00Z"), 600s)
                .get_string("health"),
            "ready");
  Value s = with_recent_repair(ready, r, "Secret shop/db", now, 600s);
  EXPECT_EQ(s.get_string("health"), "drifted");
  EXPECT_NE(s.get_string("reason").find("data.password"), std::string::npos);
}

TEST(DashboardViews, DeployHistoryWithTriggersAndHooks) {
  Value r = yaml(R"Y(status:
  history:
  - revision: main@sha1:bbbb
    startedAt: "2026-01-02T03:05:00Z"
    finishedAt: "2026-01-02T03:05:09Z"
    applied: 2
    unchanged: 5
    pruned: 1
    failed: 0
    result: succeeded
    message: ""
    attempts: 1
    trigger: {reason: request, by: "dashboard (127.0.0.1)"}
    hooks:
    - {object: Job shop/migrate, item: db, phase: pre-deploy, weight: -5, result: succeeded,
       message: "", durationMs: 1200}
  - revision: main@sha1:aaaa
    result: failed
    message: "Deployment shop/web: admission webhook denied"
    attempts: 3
    trigger: {reason: git}
  - "not an entry"
)Y");
  Value h = deploy_history(r);
  ASSERT_EQ(h.as_list().size(), 2u);
  const Value& newest = h.as_list()[0];
  EXPECT_EQ(newest.get_string("revision"), "main@sha1:bbbb");
  EXPECT_EQ(newest.get_string("trigger"), "request");
  EXPECT_EQ(newest.get_string("by"), "dashboard (127.0.0.1)");
  EXPECT_EQ(newest.find("applied")->as_int(), 2);
  EXPECT_EQ(newest.find("pruned")->as_int(), 1);
  EXPECT_EQ(newest.get_string("finishedAt"), "2026-01-02T03:05:09Z");
  ASSERT_EQ(newest.find("hooks")->as_list().size(), 1u);
  const Value& hook = newest.find("hooks")->as_list()[0];
  EXPECT_EQ(hook.get_string("object"), "Job shop/migrate");
  EXPECT_EQ(hook.get_string("phase"), "pre-deploy");
  EXPECT_EQ(hook.get_string("result"), "succeeded");
  EXPECT_EQ(hook.find("weight")->as_int(), -5);
  EXPECT_EQ(hook.find("durationMs")->as_int(), 1200);
  const Value& older = h.as_list()[1];
  EXPECT_EQ(older.get_string("result"), "failed");
  EXPECT_EQ(older.get_string("message"), "Deployment shop/web: admission webhook denied");
  EXPECT_EQ(older.find("attempts")->as_int(), 3);
  EXPECT_EQ(older.get_string("by"), "");
  EXPECT_EQ(older.find("applied")->as_int(), 0);
  EXPECT_TRUE(deploy_history(yaml("status: {}")).as_list().empty());
}

TEST(DashboardViews, HealthWithReplicas) {
  Value progressing = object_health(web(3, 1));
  EXPECT_EQ(progressing.get_string("health"), "progressing");
  EXPECT_EQ(progressing.find_path({"replicas", "desired"})->as_int(), 3);
  EXPECT_EQ(progressing.find_path({"replicas", "ready"})->as_int(), 1);
  Value ready = object_health(web(2, 2));
  EXPECT_EQ(ready.get_string("health"), "ready");
  Value failed = object_health(yaml(R"(apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: shop}
status: {conditions: [{type: Failed, status: "True", reason: BackoffLimitExceeded}]}
)"));
  EXPECT_EQ(failed.get_string("health"), "degraded");
  EXPECT_EQ(failed.find("replicas"), nullptr);
  EXPECT_EQ(missing_health().get_string("health"), "missing");
}

TEST(DashboardViews, SecretValuesNeverLeaveMasked) {
  Value secret = yaml(R"(apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"hunter2"}}'
    team: blue
  managedFields:
  - {manager: gantry-controller, operation: Apply, time: "2026-01-01T00:00:00Z"}
data:
  password: aHVudGVyMg==
  token: c2VjcmV0LXRva2Vu
stringData:
  other: plain-secret
)");
  Value m = masked_object(secret);
  std::string text = doc::to_yaml(m) + doc::to_json(m);
  EXPECT_EQ(text.find("aHVudGVyMg"), std::string::npos) << text;
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("c2VjcmV0LXRva2Vu"), std::string::npos) << text;
  EXPECT_EQ(text.find("plain-secret"), std::string::npos) << text;
  EXPECT_EQ(m.find_path({"data", "password"})->as_string(), "(7 bytes, hidden)");
  EXPECT_EQ(m.find_path({"data", "token"})->as_string(), "(12 bytes, hidden)");
  EXPECT_EQ(m.find_path({"stringData", "other"})->as_string(), "(12 bytes, hidden)");
  EXPECT_EQ(m.find_path({"metadata", "annotations", "team"})->as_string(), "blue");
  EXPECT_EQ(m.find_path({"metadata", "managedFields"}), nullptr);
  Value mf = managed_fields_summary(secret);
  ASSERT_EQ(mf.size(), 1u);
  EXPECT_EQ(mf.as_list()[0].get_string("manager"), "gantry-controller");
  // Other kinds keep their values; managedFields still folded out.
  Value cm = masked_object(
      yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, managedFields: [{manager: x}]}\n"
           "data: {k: visible}\n"));
  EXPECT_EQ(cm.find_path({"data", "k"})->as_string(), "visible");
  EXPECT_EQ(cm.find_path({"metadata", "managedFields"}), nullptr);
}

// The pending changes and desired objects sent to the browser: a Secret's
// data and stringData values are in neither the diff nor the desired YAML,
// whether they change or not; other kinds keep their values.
TEST(DashboardChanges, SecretValuesMaskedInDiffsAndDesiredYaml) {
  Value live = yaml(R"(apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: app}
data: {password: c2VjcmV0LW9sZC12YWx1ZQ==, same: a2VwdC1zZWNyZXQtdmFsdWU=}
)");
  Value desired = yaml(R"(apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: app}
data: {password: c2VjcmV0LW5ldy12YWx1ZQ==, same: a2VwdC1zZWNyZXQtdmFsdWU=}
stringData: {token: plain-text-token-value}
)");
  Value cm_live = yaml(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s, namespace: app}\n"
      "data: {value: one-visible}\n");
  Value cm = yaml(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s, namespace: app}\n"
      "data: {value: two-visible}\n");
  gitops::Preview p;
  p.revision = "main@sha1:abc";
  p.commit = "abc";
  kube::PlannedObject secret;
  secret.desired = desired;
  secret.live = live;
  secret.result = desired;
  secret.change = kube::Change::kUpdate;
  secret.diff = kube::object_diff(live, desired, "Secret app/creds");
  p.plan.objects.push_back(secret);
  kube::PlannedObject config;
  config.desired = cm;
  config.change = kube::Change::kUpdate;
  config.diff = kube::object_diff(cm_live, cm, "ConfigMap app/s");
  p.plan.objects.push_back(config);

  std::string changes = doc::to_json(changes_view(p));
  Value secret_view = desired_view(p, "Secret", "app", "creds");
  ASSERT_FALSE(secret_view.is_null());
  std::string desired_json = doc::to_json(secret_view);
  for (const std::string& text : {changes, desired_json}) {
    for (const char* value :
         {"c2VjcmV0LW9sZC12YWx1ZQ==", "c2VjcmV0LW5ldy12YWx1ZQ==", "a2VwdC1zZWNyZXQtdmFsdWU=",
          "plain-text-token-value", "secret-old-value", "secret-new-value", "kept-secret-value"})
      EXPECT_EQ(text.find(value), std::string::npos) << value << " in " << text;
  }
  // The diff still tells which keys change.
  EXPECT_NE(changes.find("password: '*** (before)'"), std::string::npos) << changes;
  EXPECT_NE(changes.find("password: '*** (after)'"), std::string::npos) << changes;
  EXPECT_NE(changes.find("token: '*** (after)'"), std::string::npos) << changes;
  std::string yaml_text = secret_view.get_string("desiredYaml");
  EXPECT_NE(yaml_text.find("password: (16 bytes, hidden)"), std::string::npos) << yaml_text;
  EXPECT_NE(yaml_text.find("token: (22 bytes, hidden)"), std::string::npos) << yaml_text;
  // Not a Secret: the values show.
  EXPECT_NE(changes.find("two-visible"), std::string::npos) << changes;
  EXPECT_NE(desired_view(p, "ConfigMap", "app", "s").get_string("desiredYaml").find("two-visible"),
            std::string::npos);
  EXPECT_TRUE(desired_view(p, "Secret", "app", "other").is_null());
}

TEST(DashboardViews, EventsAboutOneObjectNewestFirst) {
  Value list = yaml(R"(items:
- {involvedObject: {kind: GantryDeployment, name: shop}, type: Normal, reason: Applied, message: a, count: 2, lastTimestamp: "2026-01-01T00:00:01Z"}
- {involvedObject: {kind: GantryDeployment, name: other}, type: Normal, reason: Applied, message: b, lastTimestamp: "2026-01-01T00:00:03Z"}
- {involvedObject: {kind: GantryDeployment, name: shop}, type: Warning, reason: DriftRepaired, message: c, lastTimestamp: "2026-01-01T00:00:02Z"}
)");
  Value ev = events_about(list, "GantryDeployment", "shop");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev.as_list()[0].get_string("message"), "c");
  EXPECT_EQ(ev.as_list()[1].get_string("message"), "a");
  EXPECT_EQ(ev.as_list()[1].find("count")->as_int(), 2);
}

// A client for a server that is never contacted by the paths tested here.
kube::ClusterAccess unreachable() {
  kube::ClusterAccess a;
  a.server = "https://127.0.0.1:1";
  a.token = "x";
  return a;
}

TEST(DashboardFeed, ChangesInOrderAndResetWhenBehind) {
  kube::Client client(unreachable());
  kube::RestMapper mapper(client, "");
  DeploymentFeed feed(client, mapper, "");
  Value r = yaml(kDeployment);
  feed.put("GantryDeployment", "team", "shop", &r);
  bool reset = true;
  auto ch = feed.wait_changes(0, 10ms, &reset);
  EXPECT_FALSE(reset);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_EQ(ch[0].key, "GantryDeployment/team/shop");
  EXPECT_EQ(ch[0].summary.get_string("target"), "prod");
  EXPECT_TRUE(feed.manages("Deployment", "shop", "web"));
  EXPECT_FALSE(feed.manages("Deployment", "shop", "api"));
  // A waiter wakes when a change arrives.
  std::thread later([&] {
    std::this_thread::sleep_for(50ms);
    feed.put("GantryDeployment", "team", "shop", nullptr);
  });
  auto t0 = std::chrono::steady_clock::now();
  ch = feed.wait_changes(1, 5s, &reset);
  later.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  ASSERT_EQ(ch.size(), 1u);
  EXPECT_TRUE(ch[0].summary.is_null());
  EXPECT_TRUE(feed.summaries().empty());
  // More than the kept changes: a waiter that far behind is told to reset.
  for (int i = 0; i < 1100; ++i)
    feed.put("GantryDeployment", "team", "n" + std::to_string(i), &r);
  ch = feed.wait_changes(1, 10ms, &reset);
  EXPECT_TRUE(reset);
  EXPECT_TRUE(ch.empty());
  EXPECT_EQ(feed.summaries().size(), 1100u);
  feed.stop();
  ch = feed.wait_changes(5000, 5s, &reset);  // returns at once once stopped
  EXPECT_TRUE(ch.empty());
}

http::ServerResponse call(Dashboard& d, const std::string& method, const std::string& path,
                          std::multimap<std::string, std::string> headers = {},
                          std::multimap<std::string, std::string> params = {}) {
  http::ServerRequest req;
  req.params = std::move(params);
  req.method = method;
  req.path = path;
  req.headers = std::move(headers);
  http::ServerResponse res;
  d.handle(req, res);
  return res;
}

std::string header(const http::ServerResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

TEST(DashboardHandler, SecurityHeadersOnEveryResponse) {
  kube::Client client(unreachable());
  Dashboard d(client, {});
  for (auto [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/"},
                                                        {"GET", "/assets/app.js"},
                                                        {"GET", "/nope"},
                                                        {"GET", "/api/session"},
                                                        {"POST", "/api/actions/reconcile"},
                                                        {"DELETE", "/"},
                                                        {"GET", "/api/nope"}}) {
    http::ServerResponse r = call(d, method, path);
    std::string csp = header(r, "Content-Security-Policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << path;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer") << path;
  }
}

TEST(DashboardHandler, AssetsEmbeddedWithoutInlineScript) {
  kube::Client client(unreachable());
  Dashboard d(client, {});
  http::ServerResponse index = call(d, "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<script src=\"/assets/app.js\""), std::string::npos);
  EXPECT_EQ(index.body.find("<script>"), std::string::npos);
  EXPECT_EQ(index.body.find(" on"), std::string::npos);  // no inline handlers (onclick=...)
  http::ServerResponse js = call(d, "GET", "/assets/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("EventSource('/api/stream')"), std::string::npos);
  EXPECT_EQ(call(d, "GET", "/assets/app.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(call(d, "GET", "/assets/../CMakeLists.txt").status, 404);
  EXPECT_EQ(call(d, "GET", "/assets/missing.js").status, 404);
  EXPECT_EQ(call(d, "POST", "/").status, 405);
  EXPECT_FALSE(find_asset("/assets/index.html"));
}

TEST(DashboardHandler, ReadOnlyWithoutToken) {
  kube::Client client(unreachable());
  Dashboard d(client, {});
  EXPECT_EQ(call(d, "GET", "/api/session").body, R"({"actions":false,"tokenReview":false})");
  http::ServerResponse r =
      call(d, "POST", "/api/actions/reconcile",
           {{"Authorization", "Bearer anything-at-all-1234"}, {"X-Gantry-CSRF", "1"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(call(d, "GET", "/api/actions/reconcile").status, 405);
  EXPECT_EQ(call(d, "POST", "/api/deployments").status, 405);
}

TEST(DashboardHandler, ActionsNeedTokenCsrfHeaderAndSameOrigin) {
  kube::Client client(unreachable());
  DashboardOptions o;
  o.token = "0123456789abcdef-token";
  Dashboard d(client, o);
  EXPECT_EQ(call(d, "GET", "/api/session").body, R"({"actions":true,"tokenReview":false})");
  const std::string path = "/api/actions/reconcile";
  EXPECT_EQ(call(d, "POST", path, {{"X-Gantry-CSRF", "1"}}).status, 401);
  EXPECT_EQ(
      call(d, "POST", path, {{"Authorization", "Bearer wrong"}, {"X-Gantry-CSRF", "1"}}).status,
      401);
  EXPECT_EQ(call(d, "POST", path, {{"Authorization", "Bearer " + o.token}}).status, 403);
  EXPECT_EQ(call(d, "POST", path,
                 {{"Authorization", "Bearer " + o.token},
                  {"X-Gantry-CSRF", "1"},
                  {"Host", "127.0.0.1:8080"},
                  {"Origin", "http://evil.example"}})
                .status,
            403);
  // Every action has the same guards.
  for (const char* verb : {"suspend", "resume", "dry-run", "prune"}) {
    std::string p = std::string("/api/actions/") + verb;
    EXPECT_EQ(call(d, "POST", p, {{"X-Gantry-CSRF", "1"}}).status, 401) << verb;
    EXPECT_EQ(call(d, "POST", p, {{"Authorization", "Bearer " + o.token}}).status, 403) << verb;
    EXPECT_EQ(call(d, "GET", p).status, 405) << verb;
  }
  // All guards passed: the request reaches the lookup (no such deployment).
  http::ServerResponse ok = call(d, "POST", path,
                                 {{"Authorization", "Bearer " + o.token},
                                  {"X-Gantry-CSRF", "1"},
                                  {"Host", "127.0.0.1:8080"},
                                  {"Origin", "http://127.0.0.1:8080"}},
                                 {{"kind", "GantryDeployment"}, {"namespace", "a"}, {"name", "b"}});
  EXPECT_EQ(ok.status, 404) << ok.body;
}

}  // namespace
}  // namespace gantry::dashboard

namespace gantry::dashboard {
namespace {

TEST(DashboardHandler, HostHeaderGuardsAgainstDnsRebinding) {
  kube::Client client(unreachable());
  DashboardOptions o;
  o.allowed_hosts = {"dash.example"};
  Dashboard d(client, o);
  for (const char* ok : {"127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "10.0.0.7",
                         "dash.example:443"})
    EXPECT_EQ(call(d, "GET", "/api/session", {{"Host", ok}}).status, 200) << ok;
  for (const char* bad : {"evil.example:8080", "127.0.0.1.evil.example", "dash.example.evil"}) {
    http::ServerResponse r = call(d, "GET", "/api/session", {{"Host", bad}});
    EXPECT_EQ(r.status, 421) << bad;
    EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  }
}

}  // namespace
}  // namespace gantry::dashboard
