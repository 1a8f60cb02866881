// The GitOps controller against real components: `gantry sandbox` as the
// cluster, `git daemon` (and smart HTTP with basic auth) as the source, the
// controller as its own process, every state checked with the real kubectl.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <functional>
#include <thread>

#include "core/base64.h"
#include "core/file.h"
#include "support/controller_fixture.h"

namespace gantry::testing {
namespace {

using namespace std::chrono_literals;

TEST_F(ControllerTest, DeploysFromGitAndRepairsDriftFromWatches) {
  start_controller();
  apply_deployment("app", "  prune: true\n");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  EXPECT_NE(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.lastAppliedRevision}")
                .find(head_),
            std::string::npos);
  EXPECT_EQ(jsonpath({"deploy", "web", "-n", "app"}, "{.spec.template.spec.containers[0].image}"),
            "registry.local/web:1");
  EXPECT_EQ(jsonpath({"cm", "settings", "-n", "app"}, "{.metadata.managedFields[0].manager}"),
            "gantry-controller");
  EXPECT_EQ(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.managedObjects}"),
            "4");  // the Namespace, Deployment, Service and ConfigMap

  // Each manual change is reverted from the watch, long before the 10m interval.
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "web", "-n", "app", "--replicas=5"}).exit_code, 0);
  auto t = within(5s, [&] {
    return jsonpath({"deploy", "web", "-n", "app"}, "{.spec.replicas}") == "1";
  });
  EXPECT_TRUE(t) << "scale not repaired\n" << log();
  ASSERT_EQ(sandbox_.kubectl({"set", "image", "deploy/web", "-n", "app", "web=evil.example/web:6"})
                .exit_code,
            0);
  t = within(5s, [&] {
    return jsonpath({"deploy", "web", "-n", "app"}, "{.spec.template.spec.containers[0].image}") ==
           "registry.local/web:1";
  });
  EXPECT_TRUE(t) << "image not repaired\n" << log();
  ASSERT_EQ(sandbox_.kubectl({"label", "cm", "settings", "-n", "app", "team=red", "--overwrite"})
                .exit_code,
            0);
  t = within(5s, [&] {
    return jsonpath({"cm", "settings", "-n", "app"}, "{.metadata.labels.team}") == "blue";
  });
  EXPECT_TRUE(t) << "label not repaired\n" << log();
  ASSERT_EQ(sandbox_.kubectl({"delete", "deploy", "web", "-n", "app"}).exit_code, 0);
  t = within(5s, [&] {
    return jsonpath({"deploy", "web", "-n", "app"}, "{.spec.replicas}") == "1";
  });
  EXPECT_TRUE(t) << "deleted Deployment not re-created\n" << log();

  // The status counts and names the repairs; Events say so too.
  EXPECT_TRUE(within(5s, [&] {
    return jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.driftRepairs}") == "4";
  })) << jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status}");
  EXPECT_NE(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.recentRepairs}")
                .find("spec.replicas: 1 -\\u003e 5"),  // kubectl's JSON escapes '>'
            std::string::npos)
      << jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.recentRepairs}");
  EXPECT_NE(jsonpath({"events", "-n", "default"}, "{.items[*].reason}").find("DriftRepaired"),
            std::string::npos);

  // gantry get deployments shows it as kubectl would.
  ProcessResult g =
      gantry({"get", "deployments", "-A", "--kubeconfig", sandbox_.kubeconfig().string()});
  EXPECT_EQ(g.exit_code, 0) << g.err;
  EXPECT_NE(g.out.find("NAMESPACE"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("app"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("True"), std::string::npos) << g.out;

  // SIGTERM: a clean stop, logged as JSON lines.
  ASSERT_EQ(::kill(controller_->pid(), SIGTERM), 0);
  EXPECT_TRUE(within(10s, [&] { return log().find("\"msg\":\"stopped\"") != std::string::npos; }))
      << log();
  EXPECT_NE(log().find("\"msg\":\"drift repaired\""), std::string::npos);
}

TEST_F(ControllerTest, TakesOverATargetDeployedWithTheCli) {
  // `gantry deploy` first (field manager "gantry"), then the controller for
  // the same target with a changed image: no conflict with gantry's own CLI
  // (without taking over, the image would conflict with manager "gantry").
  ProcessResult d = gantry({"deploy", "--project", (work_ / "project").string(), "-t", "dev",
                            "--kubeconfig", sandbox_.kubeconfig().string(), "--yes"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(jsonpath({"deploy", "web", "-n", "app"}, "{.metadata.managedFields[0].manager}"),
            "gantry");
  commit("project/base/web.yaml",
         replace_all(kWeb, "registry.local/web:1", "registry.local/web:2"));
  std::string pushed = push();
  start_controller();
  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << ready_message("app") << log();
  EXPECT_THAT(ready_message("app"), ::testing::HasSubstr("failed 0"));
  EXPECT_NE(ready_message("app").find(pushed), std::string::npos) << ready_message("app");
  EXPECT_EQ(jsonpath({"deploy", "web", "-n", "app"}, "{.spec.template.spec.containers[0].image}"),
            "registry.local/web:2");
  EXPECT_EQ(jsonpath({"deploy", "web", "-n", "app"},
                     "{.metadata.managedFields[?(@.manager==\"gantry-controller\")].operation}"),
            "Apply");
}

TEST_F(ControllerTest, NewCommitsManualRequestsAndPrune) {
  start_controller();
  apply_deployment("pruning", "  prune: true\n");
  ASSERT_TRUE(within(30s, [&] { return ready("pruning") == "True"; })) << log();

  // A new commit: deployed on a manual request (the interval is 10 minutes).
  commit("project/base/settings.yaml", settings("2"));
  fs::remove(work_ / "project/base/web.yaml");
  git(work_, {"commit", "-q", "-am", "drop web"});
  std::string next = push();
  ProcessResult r = gantry({"reconcile", "pruning", "-n", "default", "--wait", "--timeout", "60s",
                            "--kubeconfig", sandbox_.kubeconfig().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << log();
  EXPECT_NE(r.out.find("Ready=True"), std::string::npos) << r.out;
  EXPECT_NE(
      jsonpath({"gantrydeployment", "pruning", "-n", "default"}, "{.status.lastAppliedRevision}")
          .find(next),
      std::string::npos);
  EXPECT_EQ(jsonpath({"cm", "settings", "-n", "app"}, "{.data.value}"), "2");
  // prune: true removed what left Git.
  EXPECT_TRUE(within(5s, [&] {
    return sandbox_.kubectl({"get", "deploy", "web", "-n", "app"}).exit_code != 0;
  }));
}

TEST_F(ControllerTest, StatusKeepsTheDeployHistoryWithTriggersHooksAndItems) {
  commit_extra_item_with_hook();
  std::string first = push();
  start_controller();
  apply_deployment("hist", "");
  ASSERT_TRUE(within(30s, [&] { return ready("hist") == "True"; }))
      << ready_message("hist") << log();
  auto status = [&](const std::string& path) {
    return jsonpath({"gantrydeployment", "hist", "-n", "default"}, "{.status." + path + "}");
  };
  // The first deploy: created, with the hook that ran before its item.
  EXPECT_NE(status("history[0].revision").find(first), std::string::npos) << status("history");
  EXPECT_EQ(status("history[0].trigger.reason"), "created");
  EXPECT_EQ(status("history[0].result"), "succeeded");
  EXPECT_EQ(status("history[0].applied"), "5");  // Namespace, Deployment, Service, 2 ConfigMaps
  EXPECT_EQ(status("history[0].failed"), "0");
  EXPECT_FALSE(status("history[0].startedAt").empty());
  EXPECT_FALSE(status("history[0].finishedAt").empty());
  EXPECT_EQ(status("history[0].hooks[0].object"), "ConfigMap app/pre-hook");
  EXPECT_EQ(status("history[0].hooks[0].item"), "extra");
  EXPECT_EQ(status("history[0].hooks[0].phase"), "pre-deploy");
  EXPECT_EQ(status("history[0].hooks[0].weight"), "-1");
  EXPECT_EQ(status("history[0].hooks[0].result"), "succeeded");
  EXPECT_EQ(jsonpath({"cm", "pre-hook", "-n", "app"}, "{.data.ran}"), "yes");
  // Each managed object's deployment item.
  // (in the order of the sorted inventory: "ConfigMap app/extra" is first)
  EXPECT_EQ(status("inventoryItems[*].path"), "extra base");
  std::string inv = status("inventory");
  EXPECT_EQ(status("inventoryItems[0].objects"), "[0]") << inv;
  EXPECT_EQ(status("inventoryItems[1].objects"), "[1,2,3,4]") << inv;
  EXPECT_NE(inv.find("\"ConfigMap app/extra\""), std::string::npos) << inv;
  EXPECT_EQ(inv.find("pre-hook"), std::string::npos) << inv;  // hooks are not managed objects

  // A manual request, named with who asked.
  ProcessResult r = gantry({"reconcile", "hist", "-n", "default", "--wait", "--timeout", "60s",
                            "--kubeconfig", sandbox_.kubeconfig().string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << log();
  EXPECT_EQ(status("history[0].trigger.reason"), "request") << status("history");
  EXPECT_EQ(status("history[0].trigger.by").rfind("gantry reconcile (", 0), 0u)
      << status("history[0].trigger");
  EXPECT_EQ(status("history[0].hooks"), "[]");  // nothing of its item changed
  EXPECT_EQ(status("history[1].trigger.reason"), "created");

  // A spec change, then a new commit found at the (now short) interval.
  ASSERT_EQ(sandbox_
                .kubectl({"patch", "gantrydeployment", "hist", "-n", "default", "--type=merge",
                          "-p", "{\"spec\":{\"interval\":\"1s\"}}"})
                .exit_code,
            0);
  EXPECT_TRUE(within(20s, [&] { return status("history[0].trigger.reason") == "spec"; }))
      << status("history") << log();
  commit("project/base/settings.yaml", settings("2"));
  std::string second = push();
  EXPECT_TRUE(within(30s, [&] { return status("history[0].trigger.reason") == "git"; }))
      << status("history") << log();
  EXPECT_NE(status("history[0].revision").find(second), std::string::npos);
  EXPECT_EQ(status("history[0].applied"), "1");  // the ConfigMap
  EXPECT_EQ(status("history[*].trigger.reason"), "git spec request created");

  // A restarted controller keeps the history it wrote and adds to it.
  controller_.reset();
  start_controller();
  EXPECT_TRUE(within(30s, [&] { return status("history[0].trigger.reason") == "resync"; }))
      << status("history") << log();
  EXPECT_EQ(status("history[*].trigger.reason"), "resync git spec request created");
}

TEST_F(ControllerTest, AFailedHookIsRecordedAndItsRetriesFoldIntoOneHistoryEntry) {
  commit("project/base/migrate.yaml", R"(apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: app
  annotations:
    gantry.dev/hook: pre-deploy
    sandbox.gantry.dev/fail: "true"
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers: [{name: m, image: busybox}]
)");
  push();
  start_controller();
  apply_deployment("failing", "  timeout: 20s\n");
  auto status = [&](const std::string& path) {
    return jsonpath({"gantrydeployment", "failing", "-n", "default"}, "{.status." + path + "}");
  };
  // Retried every second or so (backoff from retryInterval 1s): one entry, more attempts.
  ASSERT_TRUE(within(30s,
                     [&] {
                       std::string a = status("history[0].attempts");
                       return !a.empty() && std::stoi(a) >= 2;
                     }))
      << status("history") << log();
  EXPECT_EQ(ready("failing"), "False");
  EXPECT_EQ(status("history[0].result"), "failed");
  EXPECT_EQ(status("history[0].trigger.reason"), "created");  // what started it, kept
  EXPECT_EQ(status("history[*].result"), "failed");           // a single entry
  EXPECT_EQ(status("history[0].hooks[0].object"), "Job app/migrate");
  EXPECT_EQ(status("history[0].hooks[0].result"), "failed");
  EXPECT_NE(status("history[0].hooks[0].message").find("hook did not succeed"), std::string::npos)
      << status("history[0].hooks");
  EXPECT_NE(status("history[0].message").find("Job app/migrate"), std::string::npos)
      << status("history[0]");
  // The hook fixed in Git: a new entry, the failed one kept below it.
  commit("project/base/migrate.yaml",
         "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: app\n"
         "  annotations:\n    gantry.dev/hook: pre-deploy\nspec:\n  backoffLimit: 0\n"
         "  template:\n    spec:\n      restartPolicy: Never\n"
         "      containers: [{name: m, image: busybox}]\n");
  std::string fixed = push();
  ProcessResult r = gantry({"reconcile", "failing", "-n", "default", "--wait", "--timeout", "60s",
                            "--kubeconfig", sandbox_.kubeconfig().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << log();
  EXPECT_NE(status("history[0].revision").find(fixed), std::string::npos) << status("history");
  EXPECT_EQ(status("history[*].result"), "succeeded failed");
  EXPECT_EQ(status("history[0].hooks[0].result"), "succeeded");
}

TEST_F(ControllerTest, WithoutPruneRemovedManifestsStay) {
  start_controller();
  apply_deployment("keeping", "");
  ASSERT_TRUE(within(30s, [&] { return ready("keeping") == "True"; })) << log();
  fs::remove(work_ / "project/base/web.yaml");
  git(work_, {"commit", "-q", "-am", "drop web"});
  std::string next = push();
  ProcessResult r = gantry({"reconcile", "keeping", "-n", "default", "--wait", "--timeout", "60s",
                            "--kubeconfig", sandbox_.kubeconfig().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(
      jsonpath({"gantrydeployment", "keeping", "-n", "default"}, "{.status.lastAppliedRevision}")
          .find(next),
      std::string::npos);
  EXPECT_EQ(sandbox_.kubectl({"get", "deploy", "web", "-n", "app"}).exit_code, 0);
}

TEST_F(ControllerTest, SuspendStopsRepairsUntilResumed) {
  start_controller();
  apply_deployment("app", "");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << log();
  ProcessResult r =
      gantry({"suspend", "app", "-n", "default", "--kubeconfig", sandbox_.kubeconfig().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(within(10s, [&] {
    return jsonpath({"gantrydeployment", "app", "-n", "default"},
                    "{.status.conditions[?(@.type==\"Reconciling\")].reason}") == "Suspended";
  })) << log();
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "web", "-n", "app", "--replicas=3"}).exit_code, 0);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(jsonpath({"deploy", "web", "-n", "app"}, "{.spec.replicas}"), "3");
  r = gantry({"resume", "app", "-n", "default", "--kubeconfig", sandbox_.kubeconfig().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(within(10s, [&] {
    return jsonpath({"deploy", "web", "-n", "app"}, "{.spec.replicas}") == "1";
  })) << log();
}

TEST_F(ControllerTest, DeletingTheResourceDeletesTheTargetOnlyWhenAsked) {
  start_controller();
  apply_deployment("app", "  delete: true\n");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << log();
  EXPECT_EQ(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.metadata.finalizers[0]}"),
            "gantry.dev/delete-target");
  ASSERT_EQ(sandbox_.kubectl({"delete", "gantrydeployment", "app", "-n", "default", "--wait=false"})
                .exit_code,
            0);
  EXPECT_TRUE(within(20s, [&] {
    return sandbox_.kubectl({"get", "cm", "settings", "-n", "app"}).exit_code != 0 &&
           sandbox_.kubectl({"get", "gantrydeployment", "app", "-n", "default"}).exit_code != 0;
  })) << log();

  // delete: false (the default) leaves the objects.
  apply_deployment("kept", "");
  ASSERT_TRUE(within(30s, [&] { return ready("kept") == "True"; })) << log();
  ASSERT_EQ(sandbox_.kubectl({"delete", "gantrydeployment", "kept", "-n", "default"}).exit_code, 0);
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(sandbox_.kubectl({"get", "cm", "settings", "-n", "app"}).exit_code, 0);
}

TEST_F(ControllerTest, BrokenCommitKeepsTheClusterAndTheNextGoodCommitRecovers) {
  start_controller();
  apply_deployment("app", "  prune: true\n");
  ASSERT_TRUE(within(30s, [&] { return ready("app") == "True"; })) << log();
  // A template error in one manifest.
  commit("project/base/settings.yaml", settings("{{ broken "));
  push();
  ProcessResult r = gantry({"reconcile", "app", "-n", "default", "--wait", "--timeout", "60s",
                            "--kubeconfig", sandbox_.kubeconfig().string()});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(ready("app"), "False");
  std::string msg = ready_message("app");
  EXPECT_NE(msg.find("base/settings.yaml:"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("controller-cache"), std::string::npos) << msg;  // repository paths only
  EXPECT_EQ(jsonpath({"gantrydeployment", "app", "-n", "default"},
                     "{.status.conditions[?(@.type==\"Ready\")].reason}"),
            "RenderFailed");
  // Nothing was deleted or changed.
  EXPECT_EQ(jsonpath({"cm", "settings", "-n", "app"}, "{.data.value}"), "1");
  EXPECT_EQ(sandbox_.kubectl({"get", "deploy", "web", "-n", "app"}).exit_code, 0);

  // An object the server rejects: Ready=False with the object and its source line.
  commit("project/base/settings.yaml",
         settings("3") +
             "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  "
             "namespace: app\n");
  push();
  r = gantry({"reconcile", "app", "-n", "default", "--wait", "--timeout", "60s", "--kubeconfig",
              sandbox_.kubeconfig().string()});
  EXPECT_NE(r.exit_code, 0) << r.out;
  msg = ready_message("app");
  EXPECT_NE(msg.find("Bad_Name"), std::string::npos) << msg;
  EXPECT_NE(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.lastResult.failures}")
                .find("base/settings.yaml:"),
            std::string::npos);

  // The next good commit recovers.
  std::string good = commit("project/base/settings.yaml", settings("4"));
  push();
  r = gantry({"reconcile", "app", "-n", "default", "--wait", "--timeout", "60s", "--kubeconfig",
              sandbox_.kubeconfig().string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << log();
  EXPECT_EQ(ready("app"), "True");
  EXPECT_EQ(jsonpath({"cm", "settings", "-n", "app"}, "{.data.value}"), "4");
  EXPECT_NE(jsonpath({"gantrydeployment", "app", "-n", "default"}, "{.status.lastAppliedRevision}")
                .find(good),
            std::string::npos);
}

TEST_F(ControllerTest, SourceProblemsAreReportedAndRetried) {
  start_controller();
  // Nothing listens on this port.
  int closed = free_port();
  apply_deployment("unreachable", "", "git://127.0.0.1:" + std::to_string(closed) + "/app.git");
  apply_deployment("nobranch", "", "", "      ref: {branch: does-not-exist}\n");
  // Smart HTTP that wants a password the Secret gets wrong.
  GitHttpServer http(repos_, "alice", "right-password");
  ProcessResult s = sandbox_.kubectl({"create", "-f", "-"},
                                     "apiVersion: v1\nkind: Secret\nmetadata:\n  name: git-creds\n"
                                     "  namespace: default\nstringData:\n  username: alice\n"
                                     "  password: wrong-password\n");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  apply_deployment("badcreds", "", http.url("app.git"), "      secretRef: {name: git-creds}\n");
  auto reason = [&](const std::string& n) {
    return jsonpath({"gantrydeployment", n, "-n", "default"},
                    "{.status.conditions[?(@.type==\"Ready\")].reason}");
  };
  EXPECT_TRUE(within(30s, [&] { return reason("unreachable") == "FetchFailed"; })) << log();
  EXPECT_NE(ready_message("unreachable").find("127.0.0.1:" + std::to_string(closed)),
            std::string::npos)
      << ready_message("unreachable");
  EXPECT_TRUE(within(30s, [&] { return reason("nobranch") == "FetchFailed"; })) << log();
  EXPECT_NE(ready_message("nobranch").find("does-not-exist"), std::string::npos)
      << ready_message("nobranch");
  EXPECT_TRUE(within(30s, [&] { return !reason("badcreds").empty(); })) << log();
  EXPECT_NE(ready_message("badcreds").find("authentication failed"), std::string::npos)
      << ready_message("badcreds");
  EXPECT_EQ(ready_message("badcreds").find("wrong-password"), std::string::npos);
  // Retried with backoff (retryInterval 1s, then 2s, ...): more attempts follow.
  auto attempts = [&] {
    size_t n = 0;
    std::string l = log();
    size_t start = 0;
    for (size_t end; (end = l.find('\n', start)) != std::string::npos; start = end + 1) {
      std::string line = l.substr(start, end - start);
      n += line.find("GantryDeployment/default/unreachable") != std::string::npos &&
           line.find("FetchFailed") != std::string::npos;
    }
    return n;
  };
  EXPECT_TRUE(within(10s, [&] { return attempts() >= 3; })) << log();
}

// An ssh source: the key and the server's host key come from a Secret.
TEST_F(ControllerTest, SshSourceWithKeyAndKnownHostsFromASecret) {
  if (!SshServer::available()) GTEST_SKIP() << "sshd (openssh-server) is not installed";
  SshServer ssh;
  std::string secret =
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssh-creds\n"
      "  namespace: default\ndata:\n  identity: " +
      base64_encode(read_file(ssh.client_key())) +
      "\n  known_hosts: " + base64_encode(ssh.known_hosts_line()) + "\n";
  ProcessResult s = sandbox_.kubectl({"create", "-f", "-"}, secret);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  start_controller();
  apply_deployment("viassh", "", ssh.url(repos_ / "app.git"),
                   "      secretRef: {name: ssh-creds}\n");
  ASSERT_TRUE(within(30s, [&] { return ready("viassh") == "True"; }))
      << ready_message("viassh") << log();
  EXPECT_EQ(jsonpath({"cm", "settings", "-n", "app"}, "{.data.value}"), "1");
  // The key never shows in the status or the log.
  EXPECT_EQ(log().find("PRIVATE KEY"), std::string::npos);
}

// The course's own GitOps resource, unchanged but for the repository URL (a
// local mirror) and the Helm items, which need the helm binary: kluctl's
// KluctlDeployment for staging, reconciled by gantry's controller.
TEST_F(ControllerTest, TheCoursesKluctlDeploymentIsReconciled) {
  install_course_crds();
  // The course repository's layout: the project under 12-deploying-to-multiple-environments/kluctl.
  fs::path course = work_ / "12-deploying-to-multiple-environments" / "kluctl";
  fs::create_directories(course);
  for (const auto& e : fs::directory_iterator(course_dir() / "kluctl"))
    if (e.path().filename() != ".helm-charts")
      fs::copy(e.path(), course / e.path().filename(), fs::copy_options::recursive);
  git(work_, {"add", "-A"});
  git(work_, {"commit", "-q", "-m", "the course project"});
  push();
  ASSERT_EQ(sandbox_
                .kubectl({"create", "-f", "-"},
                         "apiVersion: v1\nkind: Namespace\nmetadata: {name: kluctl-gitops}\n")
                .exit_code,
            0);
  std::string kd = read_file(course_dir() / "kluctl-gitops" / "clusters" / "staging" /
                             "KluctlDeployment.devops-directive-kubernetes-course.yaml");
  std::string upstream = "https://github.com/sidpalas/devops-directive-kubernetes-course.git";
  ASSERT_NE(kd.find(upstream), std::string::npos);
  kd = replace_all(kd, upstream, daemon_->url("app.git"));
  kd += "  excludeDeploymentDirs: [third-party/traefik, third-party/cloudnative-pg]\n";
  ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, kd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  start_controller();
  auto kready = [&] {
    return jsonpath({"kluctldeployment", "demo-app", "-n", "kluctl-gitops"},
                    "{.status.conditions[?(@.type==\"Ready\")].status}");
  };
  ASSERT_TRUE(within(60s, [&] { return kready() == "True"; }))
      << jsonpath({"kluctldeployment", "demo-app", "-n", "kluctl-gitops"}, "{.status}") << log();
  EXPECT_EQ(jsonpath({"deploy", "-n", "demo-app"}, "{range .items[*]}{.metadata.name} {end}"),
            "api-golang api-node client-react-nginx load-generator-python ");
  EXPECT_EQ(jsonpath({"deploy", "api-golang", "-n", "demo-app"},
                     "{.metadata.labels.gantry\\.dev/discriminator}"),
            "kluctl-staging");
  // Drift on a course object is repaired too.
  ASSERT_EQ(sandbox_.kubectl({"scale", "deploy", "api-golang", "-n", "demo-app", "--replicas=4"})
                .exit_code,
            0);
  EXPECT_TRUE(within(5s, [&] {
    return jsonpath({"deploy", "api-golang", "-n", "demo-app"}, "{.spec.replicas}") == "1";
  })) << log();
}

}  // namespace
}  // namespace gantry::testing
