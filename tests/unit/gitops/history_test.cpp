// The deploy history of a GantryDeployment's status (gitops/history.h): what
// triggered a deploy, the entry's shape, the bound and the folding of retries.
#include "gitops/history.h"

#include <gtest/gtest.h>

#include <set>

#include "doc/yaml.h"
#include "gitops/resource.h"
#include "gitops/status.h"

namespace gantry::gitops {
namespace {

using doc::Value;

TEST(DeployHistory, TriggerOfEachCause) {
  TriggerInput in;
  EXPECT_EQ(trigger_of(in).reason, "created");
  in.deployed_before = true;
  EXPECT_EQ(trigger_of(in).reason, "resync");
  in.last_failed = true;
  EXPECT_EQ(trigger_of(in).reason, "retry");
  in.commit_changed = true;
  EXPECT_EQ(trigger_of(in).reason, "git");
  in.generation_changed = true;
  EXPECT_EQ(trigger_of(in).reason, "spec");
  // A request not yet answered wins, and says who.
  in.requested_at = "2026-01-02T03:04:05Z/1-1";
  in.requested_by = "gantry reconcile (alice@laptop)";
  Trigger t = trigger_of(in);
  EXPECT_EQ(t.reason, "request");
  EXPECT_EQ(t.by, "gantry reconcile (alice@laptop)");
  in.requested_by = "webhook: github push to refs/heads/main";
  EXPECT_EQ(trigger_of(in).reason, "webhook");
  // Answered already: not the cause of this deploy.
  in.handled_request = in.requested_at;
  EXPECT_EQ(trigger_of(in).reason, "spec");
}

TEST(DeployHistory, RequestedByBelongsToItsRequestOnly) {
  EXPECT_EQ(requested_by("tok-1 dashboard (10.0.0.1)", "tok-1"), "dashboard (10.0.0.1)");
  EXPECT_EQ(requested_by("tok-1 dashboard (10.0.0.1)", "tok-2"), "");  // an older request's
  EXPECT_EQ(requested_by("tok-10 x", "tok-1"), "");
  EXPECT_EQ(requested_by("", "tok-1"), "");
  EXPECT_EQ(requested_by("tok-1 x", ""), "");
}

DeployRecord record(const std::string& revision, const std::string& result,
                    const std::string& trigger) {
  DeployRecord r;
  r.revision = revision;
  r.started = "2026-01-02T03:04:05Z";
  r.finished = "2026-01-02T03:04:09Z";
  r.applied = 2;
  r.unchanged = 3;
  r.pruned = 1;
  r.failed = result == "failed" ? 1 : 0;
  r.result = result;
  r.trigger = {trigger, ""};
  return r;
}

TEST(DeployHistory, EntryShapeWithHooks) {
  DeployRecord r = record("main@sha1:abc", "succeeded", "request");
  r.trigger.by = "dashboard (127.0.0.1)";
  r.hooks.push_back(kube::HookRun{"Job app/migrate", "db", "pre-deploy", -1, "succeeded", "",
                                  std::chrono::milliseconds(1500)});
  r.hooks.push_back(kube::HookRun{"Job app/smoke", "web", "post-deploy", 0, "failed",
                                  "hook did not succeed: BackoffLimitExceeded",
                                  std::chrono::milliseconds(300)});
  Value e = history_entry(r);
  EXPECT_EQ(e.get_string("revision"), "main@sha1:abc");
  EXPECT_EQ(e.get_string("startedAt"), "2026-01-02T03:04:05Z");
  EXPECT_EQ(e.get_string("finishedAt"), "2026-01-02T03:04:09Z");
  EXPECT_EQ(e.find("applied")->as_int(), 2);
  EXPECT_EQ(e.find("unchanged")->as_int(), 3);
  EXPECT_EQ(e.find("pruned")->as_int(), 1);
  EXPECT_EQ(e.find("attempts")->as_int(), 1);
  EXPECT_EQ(e.find_path({"trigger", "reason"})->as_string(), "request");
  EXPECT_EQ(e.find_path({"trigger", "by"})->as_string(), "dashboard (127.0.0.1)");
  const auto& hooks = e.find("hooks")->as_list();
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].get_string("object"), "Job app/migrate");
  EXPECT_EQ(hooks[0].get_string("item"), "db");
  EXPECT_EQ(hooks[0].find("weight")->as_int(), -1);
  EXPECT_EQ(hooks[0].find("durationMs")->as_int(), 1500);
  EXPECT_EQ(hooks[1].get_string("result"), "failed");
  EXPECT_EQ(hooks[1].get_string("message"), "hook did not succeed: BackoffLimitExceeded");
  // No "by" when nobody is known.
  EXPECT_EQ(history_entry(record("r", "succeeded", "git")).find_path({"trigger", "by"}), nullptr);
}

TEST(DeployHistory, NewestFirstAndBounded) {
  Value h = Value::list();
  for (int i = 0; i < 15; ++i)
    h = add_to_history(h, history_entry(record("rev" + std::to_string(i), "succeeded", "git")));
  ASSERT_EQ(h.as_list().size(), kHistoryLength);
  EXPECT_EQ(h.as_list().front().get_string("revision"), "rev14");
  EXPECT_EQ(h.as_list().back().get_string("revision"), "rev5");
}

TEST(DeployHistory, FailedRetriesOfOneRevisionFoldIntoOneEntry) {
  Value h = add_to_history(Value::list(), history_entry(record("r1", "succeeded", "created")));
  Value first = history_entry(record("r2", "failed", "git"));
  first.set("startedAt", "2026-01-02T03:00:00Z");
  h = add_to_history(h, first);
  for (int i = 0; i < 4; ++i)
    h = add_to_history(h, history_entry(record("r2", "failed", "retry")));
  ASSERT_EQ(h.as_list().size(), 2u);
  const Value& newest = h.as_list()[0];
  EXPECT_EQ(newest.find("attempts")->as_int(), 5);
  EXPECT_EQ(newest.get_string("startedAt"), "2026-01-02T03:00:00Z");       // the first attempt's
  EXPECT_EQ(newest.find_path({"trigger", "reason"})->as_string(), "git");  // what started it
  // The retry that succeeds is its own entry.
  h = add_to_history(h, history_entry(record("r2", "succeeded", "retry")));
  ASSERT_EQ(h.as_list().size(), 3u);
  EXPECT_EQ(h.as_list()[0].get_string("result"), "succeeded");
  // A retry of another revision is not folded.
  h = add_to_history(h, history_entry(record("r3", "failed", "git")));
  h = add_to_history(h, history_entry(record("r4", "failed", "retry")));
  EXPECT_EQ(h.as_list().size(), 5u);
}

TEST(DeployHistory, ReadBackFromAStatus) {
  Value entries = Value::list();
  entries.push_back(history_entry(record("r1", "succeeded", "git")));
  entries.push_back(Value("junk"));
  Value status = Value::object({{"history", entries}});
  Value h = history_of(&status);
  ASSERT_EQ(h.as_list().size(), 1u);
  EXPECT_EQ(h.as_list()[0].get_string("revision"), "r1");
  EXPECT_TRUE(history_of(nullptr).as_list().empty());
  Value none = Value::map();
  EXPECT_TRUE(history_of(&none).as_list().empty());
}

std::set<std::string> keys(const Value& map) {
  std::set<std::string> out;
  for (const auto& m : map.as_map())
    out.insert(m.key);
  return out;
}

// A real API server prunes fields a structural schema does not name: the
// CRD must name every field the controller writes into history entries.
TEST(DeployHistory, TheCrdSchemaNamesEveryFieldWritten) {
  Value crd = doc::parse_yaml_stream(crds_yaml(false), "crds.yaml")[0];
  const Value* versions = crd.find_path({"spec", "versions"});
  ASSERT_TRUE(versions && versions->is_list());
  const Value* status =
      versions->as_list()[0].find_path({"schema", "openAPIV3Schema", "properties", "status"});
  ASSERT_NE(status, nullptr);
  const Value* entry = status->find_path({"properties", "history", "items", "properties"});
  ASSERT_NE(entry, nullptr);
  DeployRecord r = record("r", "succeeded", "request");
  r.trigger.by = "someone";
  r.hooks.push_back(kube::HookRun{"Job a/b", "db", "pre-deploy", 0, "succeeded", "",
                                  std::chrono::milliseconds(1)});
  Value written = history_entry(r);
  EXPECT_EQ(keys(*entry), keys(written));
  EXPECT_EQ(keys(*entry->find_path({"trigger", "properties"})), keys(*written.find("trigger")));
  EXPECT_EQ(keys(*entry->find_path({"hooks", "items", "properties"})),
            keys(written.find("hooks")->as_list()[0]));
  const Value* items = status->find_path({"properties", "inventoryItems", "items", "properties"});
  ASSERT_NE(items, nullptr);
  EXPECT_EQ(keys(*items), (std::set<std::string>{"path", "objects"}));
  // The rest of the status is kept as written.
  const Value* keep = status->find("x-kubernetes-preserve-unknown-fields");
  ASSERT_NE(keep, nullptr);
  EXPECT_TRUE(keep->as_bool());
}

TEST(DeployHistory, StatusGroupsTheInventoryByItem) {
  StatusUpdate u;
  u.inventory = {"ConfigMap app/a", "ConfigMap app/b", "Deployment app/web", "Namespace app"};
  u.inventory_items = {"extra", "base", "base", "base"};
  u.history = add_to_history(Value::list(), history_entry(record("r", "succeeded", "git")));
  Value s = status_value(u, nullptr);
  const Value* groups = s.find("inventoryItems");
  ASSERT_TRUE(groups && groups->is_list());
  ASSERT_EQ(groups->as_list().size(), 2u);
  EXPECT_EQ(groups->as_list()[0].get_string("path"), "extra");
  EXPECT_EQ(groups->as_list()[1].get_string("path"), "base");
  const auto& base = groups->as_list()[1].find("objects")->as_list();
  ASSERT_EQ(base.size(), 3u);
  EXPECT_EQ(base[0].as_int(), 1);
  EXPECT_EQ(base[2].as_int(), 3);
  ASSERT_NE(s.find("history"), nullptr);
  EXPECT_EQ(s.find("history")->as_list().size(), 1u);
  // Without a history (a controller that has not read it back yet), the
  // field is left out, so the merge patch keeps the one in the cluster.
  u.history = Value();
  EXPECT_EQ(status_value(u, nullptr).find("history"), nullptr);
}

}  // namespace
}  // namespace gantry::gitops
