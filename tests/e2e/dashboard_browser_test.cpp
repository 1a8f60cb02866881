// The web dashboard in a real headless Chromium (Debian's chromium), driven
// through the DevTools protocol by tests/e2e/browser/cdp.mjs, against
// `gantry sandbox`, `git daemon`, the controller and `gantry dashboard` as
// their own processes. Screenshots land in <build>/test-artifacts/dashboard/.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "core/base64.h"
#include "core/file.h"
#include "core/process.h"
#include "support/controller_fixture.h"

namespace gantry::testing {
namespace {

using namespace std::chrono_literals;

const char* kSecret = R"(apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: app
stringData:
  password: hunter2-very-secret
)";

const char* kToken = "e2e-dashboard-token-0123456789";

class DashboardBrowserTest : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    if (HasFatalFailure()) return;
    if (!fs::exists("/usr/bin/chromium")) GTEST_SKIP() << "chromium is not installed";
    artifacts_ = fs::path(GANTRY_BINARY).parent_path() / "test-artifacts" / "dashboard";
    fs::create_directories(artifacts_);
  }
  void TearDown() override {
    browser_.reset();
    dashboard_.reset();
    ControllerTest::TearDown();
  }

  // `node cdp.mjs PORT args...`; returns its result (out: stdout).
  ProcessResult cdp(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"node", "--no-warnings", "--experimental-websocket",
                                  std::string(GANTRY_SOURCE_DIR) + "/tests/e2e/browser/cdp.mjs",
                                  std::to_string(devtools_port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions po;
    po.timeout = 40s;
    return run_process(argv, po);
  }

  void start_browser() {
    fs::path profile = dir_.path() / "chromium-profile";
    fs::create_directories(profile);
    browser_ = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{
            "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile.string(), "--remote-debugging-port=0",
            "--window-size=1280,900", "about:blank"},
        dir_.path() / "chromium.log");
    fs::path port_file = profile / "DevToolsActivePort";
    ASSERT_TRUE(within(20s, [&] {
      if (!fs::exists(port_file)) return false;
      std::string t = read_file(port_file);
      if (t.find('\n') == std::string::npos) return false;
      devtools_port_ = std::stoi(t.substr(0, t.find('\n')));
      return devtools_port_ > 0;
    })) << browser_->log();
  }

  void start_dashboard() {
    dashboard_ = spawn_dashboard(kToken, &url_);
    ASSERT_FALSE(url_.empty()) << dashboard_->log();
  }

  // curl: the headers and body of one request.
  std::string curl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"curl", "-s", "-i", "--max-time", "10"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv).out;
  }

  // Returns what cdp.mjs printed (with a width: the page's scrollWidth).
  std::string screenshot(const std::string& name, const std::string& width = "") {
    fs::path file = artifacts_ / name;
    std::vector<std::string> args{"screenshot", file.string()};
    if (!width.empty()) args.push_back(width);
    ProcessResult r = cdp(args);
    EXPECT_EQ(r.exit_code, 0) << name << " looks blank: " << r.out << r.err;
    EXPECT_GT(fs::exists(file) ? fs::file_size(file) : 0, 5000u) << name;
    return r.out;
  }

  fs::path artifacts_;
  std::unique_ptr<BackgroundProcess> dashboard_, browser_;
  int devtools_port_ = 0;
  std::string url_;
};

TEST_F(DashboardBrowserTest, OverviewDriftRepairLiveAndMaskedSecret) {
  commit("project/base/secret.yaml", kSecret);
  push();
  start_controller();
  apply_deployment("app", "  prune: true\n");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  start_dashboard();

  // The API: security headers, read-only actions, Secret values masked.
  std::string index = curl({url_ + "/"});
  EXPECT_NE(index.find("Content-Security-Policy: default-src 'none'; script-src 'self'"),
            std::string::npos)
      << index;
  EXPECT_NE(index.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(index.find("X-Content-Type-Options: nosniff"), std::string::npos);
  EXPECT_NE(index.find("Referrer-Policy: no-referrer"), std::string::npos);
  // Reconcile now: refused without the token, done by the controller with it.
  const std::string reconcile =
      url_ + "/api/actions/reconcile?kind=GantryDeployment&namespace=default&name=app";
  std::string refused = curl({"-X", "POST", "--data", "", "-H", "X-Gantry-CSRF: 1", reconcile});
  EXPECT_NE(refused.find("HTTP/1.1 401"), std::string::npos) << refused;
  std::string accepted = curl({"-X", "POST", "--data", "", "-H", "X-Gantry-CSRF: 1", "-H",
                               std::string("Authorization: Bearer ") + kToken, reconcile});
  EXPECT_NE(accepted.find("HTTP/1.1 202"), std::string::npos) << accepted;
  std::smatch m;
  static const std::regex requested("\"requested\":\"([^\"]+)\"");
  ASSERT_TRUE(std::regex_search(accepted, m, requested)) << accepted;
  std::string token = m[1];
  EXPECT_TRUE(within(20s,
                     [&] {
                       return jsonpath({"gantrydeployment", "app", "-n", "default"},
                                       "{.status.lastHandledReconcileAt}") == token;
                     }))
      << "the requested reconcile was not handled\n"
      << log();
  EXPECT_EQ(ready("app"), "True");
  std::string secret = curl({url_ + "/api/object?kind=Secret&namespace=app&name=creds"});
  EXPECT_NE(secret.find("HTTP/1.1 200"), std::string::npos) << secret;
  EXPECT_NE(secret.find("bytes, hidden"), std::string::npos) << secret;
  EXPECT_EQ(secret.find("hunter2"), std::string::npos) << secret;
  EXPECT_EQ(secret.find(base64_encode("hunter2-very-secret")), std::string::npos) << secret;
  std::string foreign = curl({url_ + "/api/object?kind=Secret&namespace=kube-system&name=x"});
  EXPECT_NE(foreign.find("HTTP/1.1 404"), std::string::npos) << foreign;

  auto started = Clock::now();
  start_browser();
  ASSERT_FALSE(HasFatalFailure());
  // Overview: the deployment is listed as Ready.
  ASSERT_EQ(cdp({"open", url_ + "/#/"}).exit_code, 0);
  ProcessResult r =
      cdp({"wait",
           "(document.querySelector('tr[data-key=\"GantryDeployment/default/app\"] "
           ".ready .badge') || {}).textContent === 'True' && document.querySelector('tr["
           "data-key=\"GantryDeployment/default/app\"]').textContent",
           "15000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dev"), std::string::npos) << r.out;  // the target
  EXPECT_NE(r.out.find("app.git"), std::string::npos) << r.out;
  screenshot("overview.png");
  // Search: words that match nothing hide the row; the target's name shows it again.
  auto search = [&](const std::string& text) {
    return cdp({"eval", "(() => { const i = document.getElementById('filter-text'); i.value = '" +
                            text +
                            "'; i.dispatchEvent(new Event('input')); return document."
                            "querySelectorAll('#overview-body tr[data-key]').length + ' ' + "
                            "document.getElementById('overview-count').textContent; })()"})
        .out;
  };
  EXPECT_EQ(search("no-such-thing"), "\"0 0 of 1 deployments\"\n");
  EXPECT_EQ(search("default dev"), "\"1 1 of 1 deployments\"\n");
  // On a phone's width the overview fits without scrolling sideways.
  std::string phone = screenshot("overview-phone.png", "390");
  EXPECT_NE(phone.find("scrollWidth=390\n"), std::string::npos) << phone;
  EXPECT_NE(phone.find("tableOverflow=0\n"), std::string::npos) << phone;

  // Deployment page: the tree shows the managed Deployment with replicas.
  ASSERT_EQ(cdp({"open", url_ + "/#/d/GantryDeployment/default/app"}).exit_code, 0);
  r = cdp({"wait",
           "(document.querySelector('[data-object=\"Deployment/app/web\"]') || {}).textContent",
           "15000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ready"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1/1 ready"), std::string::npos) << r.out;
  r = cdp({"eval",
           "window.__sameDocument = true; document.getElementById('drift-count')."
           "textContent"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int before = std::stoi(r.out.substr(1));  // "\"0\"\n"

  // A manual scale is repaired by the controller; the page shows it live.
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "web", "-n", "app", "--replicas=5"}).exit_code, 0);
  r = cdp({"wait",
           "window.__sameDocument === true && Number(document.getElementById('drift-count')."
           "textContent) > " +
               std::to_string(before) +
               " && document.getElementById('repairs').textContent.includes('Deployment app/web')"
               " && document.getElementById('repairs').textContent",
           "15000"});
  ASSERT_EQ(r.exit_code, 0) << r.err << log();
  EXPECT_NE(r.out.find("spec.replicas"), std::string::npos) << r.out;
  screenshot("deployment.png");

  // Object page: live YAML, managedFields folded, the Secret's value masked.
  ASSERT_EQ(cdp({"open", url_ + "/#/o/GantryDeployment/default/app/Secret/app/creds"}).exit_code,
            0);
  r = cdp({"wait", "(document.getElementById('yaml') || {}).textContent", "15000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bytes, hidden"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("managedFields:"), std::string::npos) << r.out;
  r = cdp({"eval", "document.documentElement.outerHTML"});
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
  r = cdp({"eval",
           "document.getElementById('managed-fields').open === false && "
           "document.getElementById('managed-fields').textContent"});
  EXPECT_NE(r.out.find("gantry-controller"), std::string::npos) << r.out;
  screenshot("object.png");

  // A change pushed to Git that the controller has not deployed yet (its
  // interval is 10 minutes): the deployment page shows it as a diff, the
  // Secret's old and new values masked.
  commit("project/base/secret.yaml",
         std::string(kSecret).replace(std::string(kSecret).find("hunter2"), 7, "hunter3"));
  commit("project/base/settings.yaml", settings("2"));
  std::string pending = push();
  ASSERT_EQ(cdp({"open", url_ + "/#/d/GantryDeployment/default/app"}).exit_code, 0);
  r = cdp({"wait",
           "(document.getElementById('diff-summary') || {textContent: ''}).textContent."
           "includes('pending') && document.getElementById('diff').textContent",
           "20000"});
  ASSERT_EQ(r.exit_code, 0) << r.err << dashboard_->log();
  EXPECT_NE(r.out.find(pending.substr(0, 12)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 to update"), std::string::npos) << r.out;
  r = cdp({"eval", "document.querySelector('[data-diff=\"ConfigMap/app/settings\"]').textContent"});
  EXPECT_NE(r.out.find("-  value: \\\"1\\\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+  value: \\\"2\\\""), std::string::npos) << r.out;
  r = cdp({"eval", "document.querySelector('[data-diff=\"Secret/app/creds\"]').textContent"});
  EXPECT_NE(r.out.find("*** (after)"), std::string::npos) << r.out;
  std::string diff_api =
      curl({url_ + "/api/diff?kind=GantryDeployment&namespace=default&name=app"});
  for (const std::string& text :
       {r.out, diff_api, cdp({"eval", "document.documentElement.outerHTML"}).out}) {
    EXPECT_EQ(text.find("hunter"), std::string::npos) << text;
    EXPECT_EQ(text.find(base64_encode("hunter3-very-secret")), std::string::npos) << text;
    EXPECT_EQ(text.find(base64_encode("hunter2-very-secret")), std::string::npos) << text;
  }
  screenshot("diff.png");
  // The object page: the desired YAML from Git and its diff with the live object.
  ASSERT_EQ(
      cdp({"open", url_ + "/#/o/GantryDeployment/default/app/ConfigMap/app/settings"}).exit_code,
      0);
  r = cdp({"wait", "(document.getElementById('desired-yaml') || {}).textContent", "20000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("value: \\\"2\\\""), std::string::npos) << r.out;
  r = cdp({"eval", "document.getElementById('object-diff').textContent"});
  EXPECT_NE(r.out.find("+  value: \\\"2\\\""), std::string::npos) << r.out;
  screenshot("object-diff.png");
  ASSERT_EQ(cdp({"open", url_ + "/#/o/GantryDeployment/default/app/Secret/app/creds"}).exit_code,
            0);
  r = cdp({"wait", "(document.getElementById('desired-yaml') || {}).textContent", "20000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("bytes, hidden"), std::string::npos) << r.out;
  EXPECT_EQ(cdp({"eval", "document.documentElement.outerHTML"}).out.find("hunter"),
            std::string::npos);
  // Nothing was deployed: the live ConfigMap still has the old value.
  EXPECT_EQ(
      sandbox_
          .kubectl({"get", "configmap", "settings", "-n", "app", "-o", "jsonpath={.data.value}"})
          .out,
      "1");
  // The actions "Dry run" and "Prune" on the deployment page, the token typed
  // into its field (focus on the panel keeps it from being redrawn meanwhile).
  ASSERT_EQ(cdp({"open", url_ + "/#/d/GantryDeployment/default/app"}).exit_code, 0);
  ASSERT_EQ(cdp({"wait", "!!document.getElementById('dry-run')", "15000"}).exit_code, 0);
  auto press = [&](const std::string& button) {
    return cdp({"eval", "(() => { const t = document.getElementById('token'); t.value = '" +
                            std::string(kToken) +
                            "'; t.dispatchEvent(new Event('input')); window.confirm = () => true; "
                            "const b = document.getElementById('" +
                            button + "'); b.focus(); b.click(); return true; })()"});
  };
  ASSERT_EQ(press("dry-run").exit_code, 0);
  r = cdp({"wait",
           "document.getElementById('action-result').textContent.startsWith('dry run of Git') && "
           "document.getElementById('diff').textContent",
           "30000"});
  ASSERT_EQ(r.exit_code, 0) << r.err << dashboard_->log();
  EXPECT_NE(r.out.find("2 to update"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hunter"), std::string::npos) << r.out;
  ASSERT_EQ(press("prune").exit_code, 0);
  r = cdp({"wait",
           "document.getElementById('action-result').textContent.startsWith('prune:') && "
           "document.getElementById('action-result').textContent",
           "30000"});
  ASSERT_EQ(r.exit_code, 0) << r.err << dashboard_->log();
  EXPECT_NE(r.out.find("prune: 0 deleted"), std::string::npos) << r.out;  // Git dropped nothing
  EXPECT_EQ(
      sandbox_
          .kubectl({"get", "configmap", "settings", "-n", "app", "-o", "jsonpath={.data.value}"})
          .out,
      "1");
  auto took = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
  EXPECT_LT(took.count(), 90) << "the browser part took " << took.count() << " s";
}

TEST_F(DashboardBrowserTest, DeploymentPageShowsItemsHistoryHooksAndDriftLive) {
  commit_extra_item_with_hook();
  std::string head = push();
  start_controller();
  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  start_dashboard();
  start_browser();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(cdp({"open", url_ + "/#/d/GantryDeployment/default/app"}).exit_code, 0);

  // The tree is grouped by deployment item.
  ProcessResult r = cdp(
      {"wait",
       "!!document.querySelector('[data-item=\"extra\"] [data-object=\"ConfigMap/app/extra\"]') && "
       "[...document.querySelectorAll('#tree [data-item]')].map((g) => g.dataset.item + ':' + "
       "[...g.querySelectorAll('[data-object]')].map((o) => o.dataset.object).join(',')).join(' ')",
       "15000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "\"extra:ConfigMap/app/extra base:ConfigMap/app/settings,Deployment/app/web,"
            "Namespace//app,Service/app/web\"\n");
  // The history: the first deploy, created, at the pushed commit; its hook.
  r = cdp({"wait",
           "document.querySelectorAll('#history tr[data-revision]').length === 1 && "
           "document.querySelector('#history tr[data-revision]').textContent",
           "15000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(head.substr(0, 12)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("succeeded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("created"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("5 applied"), std::string::npos) << r.out;
  r = cdp({"eval",
           "(document.querySelector('#hooks [data-hook=\"ConfigMap app/pre-hook\"]') || {})."
           "textContent"});
  EXPECT_NE(r.out.find("succeeded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pre-deploy"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("item extra"), std::string::npos) << r.out;

  // "Reconcile now" on the page: a new history entry appears without a
  // reload, saying the dashboard asked.
  ASSERT_EQ(cdp({"eval",
                 "window.__sameDocument = true; (() => { const t = "
                 "document.getElementById('token'); t.value = '" +
                     std::string(kToken) +
                     "'; t.dispatchEvent(new Event('input')); "
                     "const b = [...document.querySelectorAll('#actions button')].find("
                     "(x) => x.textContent === 'Reconcile now'); b.focus(); b.click(); "
                     "return true; })()"})
                .exit_code,
            0);
  r = cdp({"wait",
           "window.__sameDocument === true && "
           "document.querySelectorAll('#history tr[data-revision]').length === 2 && "
           "document.querySelector('#history tr[data-revision]').textContent",
           "20000"});
  ASSERT_EQ(r.exit_code, 0) << r.err << log();
  EXPECT_NE(r.out.find("request"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dashboard (127.0.0.1"), std::string::npos) << r.out;

  // A manual scale is repaired: the Deployment shows as drifted, live.
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "web", "-n", "app", "--replicas=4"}).exit_code, 0);
  r = cdp({"wait",
           "window.__sameDocument === true && (document.querySelector('[data-object=\""
           "Deployment/app/web\"]') || {dataset: {}}).dataset.health === 'drifted' && "
           "document.querySelector('[data-object=\"Deployment/app/web\"]').textContent",
           "15000"});
  ASSERT_EQ(r.exit_code, 0) << r.err << log();
  EXPECT_NE(r.out.find("spec.replicas"), std::string::npos) << r.out;
  EXPECT_EQ(jsonpath({"deploy", "web", "-n", "app"}, "{.spec.replicas}"), "1");

  // Suspended, a deleted object stays missing; the page shows it so (the
  // diff at the applied revision says the plan would create it again).
  ASSERT_EQ(sandbox_
                .kubectl({"patch", "gantrydeployment", "app", "-n", "default", "--type=merge", "-p",
                          "{\"spec\":{\"suspend\":true}}"})
                .exit_code,
            0);
  ASSERT_TRUE(within(10s, [&] {
    return jsonpath({"gantrydeployment", "app", "-n", "default"},
                    "{.status.conditions[?(@.type==\"Reconciling\")].reason}") == "Suspended";
  })) << log();
  ASSERT_EQ(sandbox_.kubectl({"delete", "cm", "extra", "-n", "app"}).exit_code, 0);
  ASSERT_EQ(cdp({"open", url_ + "/#/"}).exit_code, 0);
  ASSERT_EQ(cdp({"open", url_ + "/#/d/GantryDeployment/default/app"}).exit_code, 0);
  r = cdp({"wait",
           "(document.querySelector('[data-object=\"ConfigMap/app/extra\"]') || {dataset: {}})."
           "dataset.health === 'missing' && document.getElementById('diff-summary') && "
           "document.getElementById('tree').textContent",
           "20000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 missing"), std::string::npos) << r.out;
  // The repaired Deployment still shows as drifted (repaired in the last 10 minutes).
  r = cdp(
      {"eval", "document.querySelector('[data-object=\"Deployment/app/web\"]').dataset.health"});
  EXPECT_EQ(r.out, "\"drifted\"\n");
  // The resource's Events: the first deploy and the repair.
  r = cdp({"eval", "(document.getElementById('events') || {}).textContent"});
  EXPECT_NE(r.out.find("ReconciliationSucceeded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DriftRepaired"), std::string::npos) << r.out;
  screenshot("deployment-tree.png");
  ASSERT_EQ(cdp({"eval", "document.getElementById('history').scrollIntoView(); true"}).exit_code,
            0);
  screenshot("deployment-history.png");
}

}  // namespace
}  // namespace gantry::testing
