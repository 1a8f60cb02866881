#include <gtest/gtest.h>

#include "core/digest.h"
#include "gitops/metrics.h"
#include "gitops/webhook.h"

namespace gantry::gitops {
namespace {

http::ServerRequest request(std::vector<std::pair<std::string, std::string>> headers,
                            std::string body) {
  http::ServerRequest r;
  r.method = "POST";
  r.path = "/hooks/git";
  for (auto& [k, v] : headers)
    r.headers.emplace(k, v);
  r.body = std::move(body);
  return r;
}

TEST(Webhook, HmacMatchesGitHubsExample) {
  // GitHub's documented test vector for X-Hub-Signature-256.
  EXPECT_EQ(hmac_sha256_hex("It's a Secret to Everybody", "Hello, World!"),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

TEST(Webhook, GitHubPushNeedsTheSignature) {
  std::string body =
      R"({"ref":"refs/heads/main","repository":{"clone_url":"https://github.com/org/app.git",)"
      R"("ssh_url":"git@github.com:org/app.git","default_branch":"main"}})";
  std::string sig = "sha256=" + hmac_sha256_hex("s", body);
  auto v =
      read_webhook(request({{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", sig}}, body), "s");
  ASSERT_TRUE(v.push) << v.message;
  EXPECT_EQ(v.status, 200);
  EXPECT_EQ(v.push->ref, "refs/heads/main");
  EXPECT_EQ(v.push->default_branch, "main");
  EXPECT_EQ(v.push->urls.size(), 2u);
  // Wrong secret, tampered body, missing header, no secret configured: 401.
  EXPECT_EQ(read_webhook(request({{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", sig}}, body),
                         "other")
                .status,
            401);
  EXPECT_EQ(
      read_webhook(request({{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", sig}}, body + " "),
                   "s")
          .status,
      401);
  EXPECT_EQ(read_webhook(request({{"X-GitHub-Event", "push"}}, body), "s").status, 401);
  EXPECT_EQ(
      read_webhook(request({{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", sig}}, body), "")
          .status,
      401);
  // ping and other events.
  std::string ping = "{}";
  std::string ps = "sha256=" + hmac_sha256_hex("s", ping);
  EXPECT_EQ(
      read_webhook(request({{"X-GitHub-Event", "ping"}, {"X-Hub-Signature-256", ps}}, ping), "s")
          .status,
      200);
  EXPECT_EQ(
      read_webhook(request({{"X-GitHub-Event", "release"}, {"X-Hub-Signature-256", ps}}, ping), "s")
          .status,
      202);
  // A deleted branch: nothing to deploy.
  std::string del = R"({"ref":"refs/heads/x","deleted":true,"repository":{"clone_url":"u"}})";
  std::string ds = "sha256=" + hmac_sha256_hex("s", del);
  auto dv =
      read_webhook(request({{"X-GitHub-Event", "push"}, {"X-Hub-Signature-256", ds}}, del), "s");
  EXPECT_EQ(dv.status, 202);
  EXPECT_FALSE(dv.push);
}

TEST(Webhook, GitLabAndGeneric) {
  std::string gl =
      R"({"ref":"refs/tags/v1","project":{"git_http_url":"https://gitlab.com/g/app.git"}})";
  auto v = read_webhook(
      request({{"X-Gitlab-Event", "Tag Push Hook"}, {"X-Gitlab-Token", "tok"}}, gl), "tok");
  ASSERT_TRUE(v.push);
  EXPECT_EQ(v.push->sender, "gitlab");
  EXPECT_EQ(v.push->ref, "refs/tags/v1");
  EXPECT_EQ(
      read_webhook(request({{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", "to"}}, gl), "tok")
          .status,
      401);
  EXPECT_EQ(read_webhook(request({{"X-Gitlab-Event", "Issue Hook"}, {"X-Gitlab-Token", "tok"}}, gl),
                         "tok")
                .status,
            202);
  std::string g = R"({"url":"https://git.example/app","ref":"main"})";
  auto gv = read_webhook(request({{"Authorization", "Bearer tok"}}, g), "tok");
  ASSERT_TRUE(gv.push);
  EXPECT_EQ(gv.push->urls[0], "https://git.example/app");
  EXPECT_EQ(read_webhook(request({{"Authorization", "Bearer tok2"}}, g), "tok").status, 401);
  EXPECT_EQ(read_webhook(request({}, g), "tok").status, 401);
  EXPECT_EQ(read_webhook(request({{"Authorization", "Bearer tok"}}, "[1]"), "tok").status, 400);
}

TEST(Webhook, RepositoriesMatchAcrossUrlForms) {
  EXPECT_TRUE(same_repository("https://github.com/Org/App.git", "git@github.com:org/app"));
  EXPECT_TRUE(
      same_repository("ssh://git@github.com:22/org/app.git", "https://github.com/org/app/"));
  EXPECT_TRUE(
      same_repository("https://user:pw@git.example:8443/a/b", "http://git.example/a/b.git"));
  EXPECT_TRUE(same_repository("git://127.0.0.1:9418/app.git", "git://127.0.0.1:1234/app.git"));
  EXPECT_FALSE(same_repository("https://github.com/org/app", "https://github.com/org/app2"));
  EXPECT_FALSE(same_repository("https://github.com/org/app", "https://gitlab.com/org/app"));
  EXPECT_FALSE(same_repository("https://github.com/org/app", "https://github.com/other/app"));
}

TEST(Webhook, RefsMatchWhatTheSourceFollows) {
  GitPush main_push{"github", {}, "refs/heads/main", "main"};
  GitPush dev_push{"github", {}, "refs/heads/dev", "main"};
  GitPush tag_push{"github", {}, "refs/tags/v1.2.0", "main"};
  GitSource branch;
  branch.branch = "main";
  GitSource tag;
  tag.tag = "v1.2.0";
  GitSource commit;
  commit.commit = "abc";
  GitSource default_branch;
  EXPECT_TRUE(ref_matches(branch, main_push));
  EXPECT_FALSE(ref_matches(branch, dev_push));
  EXPECT_FALSE(ref_matches(branch, tag_push));
  EXPECT_TRUE(ref_matches(tag, tag_push));
  EXPECT_FALSE(ref_matches(tag, main_push));
  EXPECT_FALSE(ref_matches(commit, main_push));
  EXPECT_TRUE(ref_matches(default_branch, main_push));
  EXPECT_FALSE(ref_matches(default_branch, dev_push));
  GitPush unknown_default{"generic", {}, "refs/heads/dev", ""};
  EXPECT_TRUE(ref_matches(default_branch, unknown_default));
}

TEST(Metrics, ExpositionHasTypesLabelsAndForgetsDeletedResources) {
  Metrics m;
  ResourceLabels r{"GantryDeployment", "default", "a\"b"};
  m.reconcile_done(r, "success", 0.3);
  m.reconcile_done(r, "success", 7);
  m.drift_repaired(r, true);
  m.managed_objects(r, 12);
  m.git_fetch("resolve", 0.02);
  std::string t = m.text();
  EXPECT_NE(t.find("# TYPE gantry_reconcile_duration_seconds histogram\n"), std::string::npos);
  EXPECT_NE(t.find("gantry_reconcile_duration_seconds_bucket{kind=\"GantryDeployment\","
                   "namespace=\"default\",name=\"a\\\"b\",result=\"success\",le=\"0.5\"} 1\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("_sum{kind=\"GantryDeployment\",namespace=\"default\",name=\"a\\\"b\","
                   "result=\"success\"} 7.3\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("gantry_managed_objects{kind=\"GantryDeployment\",namespace=\"default\","
                   "name=\"a\\\"b\"} 12\n"),
            std::string::npos);
  EXPECT_NE(t.find("gantry_git_fetch_duration_seconds_bucket{operation=\"resolve\",le=\"0.05\"} 1"),
            std::string::npos)
      << t;
  m.forget(r);
  EXPECT_EQ(m.text().find("a\\\"b"), std::string::npos);
}

}  // namespace
}  // namespace gantry::gitops
