// Leader election with a Lease (gitops/leader.h) against `gantry sandbox`:
// exactly one of two candidates leads; a clean release hands over at once; a
// leader that stops renewing (as if killed) is replaced after the lease
// duration; a leader that cannot reach the API stops leading in time.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gitops/leader.h"
#include "kube/kubeconfig.h"
#include "support/sandbox.h"

namespace gantry::testing {
namespace {

using namespace std::chrono_literals;

class LeaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // (`kubectl create namespace` sends protobuf, which the sandbox does not read yet.)
    ASSERT_EQ(sandbox_
                  .kubectl({"create", "-f", "-"},
                           "apiVersion: v1\nkind: Namespace\nmetadata: {name: gantry-system}\n")
                  .exit_code,
              0);
    kube::KubeconfigSelection sel{sandbox_.kubeconfig().string(), ""};
    access_ = kube::load_cluster_access(sel, kube::selected_context(sel));
  }
  gitops::LeaderOptions options(const std::string& id) const {
    gitops::LeaderOptions o;
    o.identity = id;
    o.lease_duration = 2s;
    o.renew_deadline = 1500ms;
    o.retry_period = 300ms;
    return o;
  }
  std::string holder() const {
    ProcessResult r = sandbox_.kubectl({"get", "lease", "gantry-controller", "-n", "gantry-system",
                                        "-o", "jsonpath={.spec.holderIdentity}"});
    return r.exit_code == 0 ? r.out : "<none>";
  }
  Sandbox sandbox_;
  kube::ClusterAccess access_;
};

TEST_F(LeaderTest, OneLeadsAndACleanReleaseHandsOverAtOnce) {
  kube::Client ca(access_), cb(access_);
  gitops::LeaderElector a(ca, options("a")), b(cb, options("b"));
  std::atomic<bool> stop{false}, stop_a{false}, stop_b{false};
  ASSERT_TRUE(a.acquire(stop));
  EXPECT_EQ(holder(), "a");
  // a renews; b waits longer than a lease lasts and does not get it.
  std::thread ta([&] { EXPECT_TRUE(a.keep(stop_a)); });
  std::atomic<bool> b_leads{false};
  std::thread tb([&] { b_leads = b.acquire(stop_b); });
  std::this_thread::sleep_for(3s);
  EXPECT_FALSE(b_leads.load());
  EXPECT_EQ(holder(), "a");
  stop_a = true;
  ta.join();
  auto released = std::chrono::steady_clock::now();
  a.release();
  tb.join();
  EXPECT_TRUE(b_leads.load());
  EXPECT_LT(std::chrono::steady_clock::now() - released, 1500ms);
  EXPECT_EQ(holder(), "b");
  EXPECT_EQ(sandbox_
                .kubectl({"get", "lease", "gantry-controller", "-n", "gantry-system", "-o",
                          "jsonpath={.spec.leaseTransitions}"})
                .out,
            "0");  // a released (holder cleared) before b took it
  stop_b = true;
}

TEST_F(LeaderTest, AStandbyTakesOverAfterTheLeaseRunsOut) {
  kube::Client ca(access_), cb(access_);
  gitops::LeaderElector a(ca, options("a")), b(cb, options("b"));
  std::atomic<bool> stop{false};
  ASSERT_TRUE(a.acquire(stop));
  // a "dies": it neither renews nor releases.
  auto died = std::chrono::steady_clock::now();
  ASSERT_TRUE(b.acquire(stop));
  auto took = std::chrono::steady_clock::now() - died;
  EXPECT_GE(took, 1900ms);  // not before the lease ran out...
  EXPECT_LT(took, 4000ms);  // ...and soon after (lease duration + retry period)
  EXPECT_EQ(holder(), "b");
  EXPECT_EQ(sandbox_
                .kubectl({"get", "lease", "gantry-controller", "-n", "gantry-system", "-o",
                          "jsonpath={.spec.leaseTransitions}"})
                .out,
            "1");
}

TEST_F(LeaderTest, ALeaderThatCannotRenewStopsLeadingBeforeItsLeaseRunsOut) {
  kube::Client ca(access_);
  gitops::LeaderElector a(ca, options("a"));
  std::atomic<bool> stop{false};
  ASSERT_TRUE(a.acquire(stop));
  // Someone else takes the lease over by force: a's renewals now fail.
  ProcessResult r = sandbox_.kubectl({"patch", "lease", "gantry-controller", "-n", "gantry-system",
                                      "--type=merge", "-p",
                                      "{\"spec\":{\"holderIdentity\":\"intruder\",\"renewTime\":"
                                      "\"2099-01-01T00:00:00.000000Z\"}}"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(a.keep(stop));  // leadership lost
  EXPECT_FALSE(a.leading());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2500ms);
}

}  // namespace
}  // namespace gantry::testing
