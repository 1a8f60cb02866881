// kube::Watcher against `gantry sandbox`: list then watch, events in order,
// label selectors, resuming after the server ends a watch, relisting after
// 410 Gone, stopping while idle, reconnecting after the server restarts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "kube/kubeconfig.h"
#include "kube/watch.h"
#include "support/fixtures.h"
#include "support/sandbox.h"

namespace gantry::testing {
namespace {

using namespace std::chrono_literals;

kube::ResourceType configmaps() {
  kube::ResourceType t;
  t.version = "v1";
  t.kind = "ConfigMap";
  t.resource = "configmaps";
  t.namespaced = true;
  return t;
}

std::string cm(const std::string& name, const std::string& value, const std::string& label = "x") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name +
         "\n  namespace: default\n  labels: {watched: \"" + label + "\"}\ndata:\n  v: \"" + value +
         "\"\n";
}

// Collects events as "ADDED name=value" lines.
class Recorder {
 public:
  void operator()(const kube::WatchEvent& e) {
    const char* t = e.type == kube::WatchEvent::Type::kAdded      ? "ADDED"
                    : e.type == kube::WatchEvent::Type::kModified ? "MODIFIED"
                                                                  : "DELETED";
    const doc::Value* v = e.object.find_path({"data", "v"});
    std::lock_guard<std::mutex> lock(mu_);
    lines_.push_back(std::string(t) + " " + e.object.find_path({"metadata", "name"})->as_string() +
                     (v && e.type != kube::WatchEvent::Type::kDeleted ? "=" + v->as_string() : ""));
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  bool wait_for(const std::string& line, std::chrono::milliseconds limit = 3s) const {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      for (const auto& l : lines())
        if (l == line) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v)
    s += x + "\n";
  return s;
}

class WatchTest : public ::testing::Test {
 protected:
  explicit WatchTest(Sandbox::Options o = {}) : sandbox_(std::move(o)) {}
  kube::ClusterAccess access() const {
    kube::KubeconfigSelection sel{sandbox_.kubeconfig().string(), ""};
    return kube::load_cluster_access(sel, kube::selected_context(sel));
  }
  void apply(const std::string& yaml) {
    ProcessResult r = sandbox_.kubectl({"apply", "--server-side", "-f", "-"}, yaml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  Sandbox sandbox_;
};

TEST_F(WatchTest, ListsThenDeliversChangesInOrderWithinASecond) {
  apply(cm("before", "1"));
  apply(cm("other-label", "1", "y"));
  kube::Client client(access());
  Recorder rec;
  kube::WatchOptions wo;
  wo.label_selector = "watched=x";
  kube::Watcher w(client, configmaps(), wo, std::ref(rec));
  w.start();
  ASSERT_TRUE(w.wait_synced(5s));
  EXPECT_EQ(joined(rec.lines()), "ADDED before=1\n");
  auto t0 = std::chrono::steady_clock::now();
  apply(cm("before", "2"));
  EXPECT_TRUE(rec.wait_for("MODIFIED before=2", 1s)) << joined(rec.lines());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  apply(cm("new", "1"));
  apply(cm("other-label", "2", "y"));  // filtered out by the selector
  ASSERT_EQ(sandbox_.kubectl({"delete", "cm", "before"}).exit_code, 0);
  EXPECT_TRUE(rec.wait_for("DELETED before")) << joined(rec.lines());
  EXPECT_EQ(joined(rec.lines()),
            "ADDED before=1\nMODIFIED before=2\nADDED new=1\nDELETED before\n");
}

TEST_F(WatchTest, ResumesWhenTheServerEndsAWatchWithoutMissingOrRepeating) {
  kube::Client client(access());
  Recorder rec;
  kube::WatchOptions wo;
  wo.timeout = 1s;  // the server ends each watch after a second
  kube::Watcher w(client, configmaps(), wo, std::ref(rec));
  w.start();
  ASSERT_TRUE(w.wait_synced(5s));
  for (int i = 0; i < 6; ++i) {
    apply(cm("c" + std::to_string(i), "1"));
    std::this_thread::sleep_for(400ms);
  }
  EXPECT_TRUE(rec.wait_for("ADDED c5=1")) << joined(rec.lines());
  EXPECT_GE(w.restarts(), 2u);
  EXPECT_EQ(w.relists(), 0u);
  EXPECT_EQ(joined(rec.lines()),
            "ADDED c0=1\nADDED c1=1\nADDED c2=1\nADDED c3=1\nADDED c4=1\nADDED c5=1\n");
}

TEST_F(WatchTest, StopsWithinASecondWhileTheServerIsQuiet) {
  kube::Client client(access());
  Recorder rec;
  kube::Watcher w(client, configmaps(), {}, std::ref(rec));
  w.start();
  ASSERT_TRUE(w.wait_synced(5s));
  std::this_thread::sleep_for(500ms);
  auto t0 = std::chrono::steady_clock::now();
  w.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
}

class GoneTest : public WatchTest {
 protected:
  GoneTest() : WatchTest(Sandbox::Options{"300ms", {}, {"--max-watch-events", "5"}}) {}
};

// The sandbox keeps 5 changes. The callback holds the watcher up on one event
// while the server ends that watch (1 s) and 30 changes happen: the next watch
// resumes from a resourceVersion the server forgot (410 Gone), so the watcher
// must list again and deliver exactly the difference.
TEST_F(GoneTest, RelistsAfter410AndDeliversTheDifference) {
  apply(cm("stays", "1"));
  apply(cm("changes", "1"));
  apply(cm("goes", "1"));
  kube::Client client(access());
  Recorder rec;
  std::atomic<bool> held{false};
  kube::WatchOptions wo;
  wo.timeout = 1s;
  kube::Watcher w(client, configmaps(), wo, [&](const kube::WatchEvent& e) {
    rec(e);
    if (e.object.find_path({"metadata", "name"})->as_string() == "blocker" && !held.exchange(true))
      std::this_thread::sleep_for(3s);
  });
  w.start();
  ASSERT_TRUE(w.wait_synced(5s));
  apply(cm("blocker", "1"));
  for (int i = 0; i < 100 && !held.load(); ++i)
    std::this_thread::sleep_for(20ms);
  ASSERT_TRUE(held.load());
  std::this_thread::sleep_for(1300ms);  // the held watch has ended on the server
  auto patch = [&](const std::string& name, const std::string& value) {
    kube::Response r =
        client.send("PATCH", "/api/v1/namespaces/default/configmaps/" + name,
                    "{\"data\":{\"v\":\"" + value + "\"}}", "application/merge-patch+json");
    ASSERT_TRUE(r.ok()) << r.body;
  };
  for (int i = 0; i < 30; ++i)
    patch("blocker", std::to_string(i + 2));
  patch("changes", "2");
  ASSERT_EQ(client.send("DELETE", "/api/v1/namespaces/default/configmaps/goes").status, 200);
  apply(cm("arrives", "1"));
  EXPECT_TRUE(rec.wait_for("ADDED arrives=1", 8s)) << joined(rec.lines());
  EXPECT_TRUE(rec.wait_for("MODIFIED changes=2")) << joined(rec.lines());
  EXPECT_TRUE(rec.wait_for("DELETED goes")) << joined(rec.lines());
  EXPECT_TRUE(rec.wait_for("MODIFIED blocker=31")) << joined(rec.lines());
  EXPECT_GE(w.relists(), 1u);
  // The intermediate values of blocker were never seen: the relist gave the last one.
  EXPECT_FALSE(rec.wait_for("MODIFIED blocker=15", 10ms)) << joined(rec.lines());
  // Nothing for the object that did not change, after its first ADDED.
  size_t stays = 0;
  for (const auto& l : rec.lines())
    stays += l.find(" stays") != std::string::npos;
  EXPECT_EQ(stays, 1u) << joined(rec.lines());
}

TEST_F(WatchTest, ReconnectsAfterTheServerRestarts) {
  TempDir data;
  auto sb = std::make_unique<Sandbox>(Sandbox::Options{"300ms", data.path(), {}});
  kube::KubeconfigSelection sel{sb->kubeconfig().string(), ""};
  kube::ClusterAccess acc = kube::load_cluster_access(sel, kube::selected_context(sel));
  std::string url = sb->url();
  ASSERT_EQ(sb->kubectl({"apply", "--server-side", "-f", "-"}, cm("a", "1")).exit_code, 0);
  kube::Client client(acc);
  Recorder rec;
  kube::Watcher w(client, configmaps(), {}, std::ref(rec));
  w.start();
  ASSERT_TRUE(w.wait_synced(5s));
  // The same server (data, CA, token) on the same port, after a stop.
  std::string port = url.substr(url.rfind(':') + 1);
  sb.reset();
  Sandbox again(Sandbox::Options{"300ms", data.path(), {}, "127.0.0.1:" + port});
  ASSERT_EQ(again.kubectl({"apply", "--server-side", "-f", "-"}, cm("b", "1")).exit_code, 0);
  EXPECT_TRUE(rec.wait_for("ADDED b=1", 10s)) << joined(rec.lines());
}

}  // namespace
}  // namespace gantry::testing
