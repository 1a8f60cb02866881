#include "gitops/webhook.h"

#include <algorithm>
#include <cctype>

#include "core/digest.h"
#include "core/error.h"
#include "doc/json.h"

namespace gantry::gitops {

using doc::Value;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<Value> json_body(const std::string& body) {
  try {
    Value v = doc::parse_json(body, "<webhook>");
    if (v.is_map()) return v;
  } catch (const Error&) {
  }
  return std::nullopt;
}

void add_url(GitPush& p, const Value* v) {
  if (v && v->is_string() && !v->as_string().empty()) p.urls.push_back(v->as_string());
}

WebhookVerdict github(const http::ServerRequest& req, std::string_view secret) {
  std::string sig = req.header("X-Hub-Signature-256");
  std::string want = "sha256=" + hmac_sha256_hex(secret, req.body);
  if (sig.empty() || !constant_time_equal(lower(sig), want))
    return {401, "GitHub event with a missing or wrong X-Hub-Signature-256", std::nullopt};
  std::string event = req.header("X-GitHub-Event");
  if (event == "ping") return {200, "pong", std::nullopt};
  if (event != "push") return {202, "GitHub event \"" + event + "\" ignored", std::nullopt};
  auto v = json_body(req.body);
  if (!v) return {400, "GitHub push event whose body is not a JSON object", std::nullopt};
  if (const Value* del = v->find("deleted"); del && del->is_bool() && del->as_bool())
    return {202, "a deleted ref: nothing to deploy", std::nullopt};
  GitPush p;
  p.sender = "github";
  p.ref = v->get_string("ref");
  if (const Value* repo = v->find("repository"); repo && repo->is_map()) {
    for (const char* k : {"clone_url", "ssh_url", "git_url", "html_url", "url"})
      add_url(p, repo->find(k));
    p.default_branch = repo->get_string("default_branch");
  }
  if (p.urls.empty()) return {400, "GitHub push event without a repository URL", std::nullopt};
  return {200, "push", p};
}

WebhookVerdict gitlab(const http::ServerRequest& req, std::string_view secret) {
  if (!constant_time_equal(req.header("X-Gitlab-Token"), secret))
    return {401, "GitLab event with a missing or wrong X-Gitlab-Token", std::nullopt};
  std::string event = req.header("X-Gitlab-Event");
  if (event != "Push Hook" && event != "Tag Push Hook")
    return {202, "GitLab event \"" + event + "\" ignored", std::nullopt};
  auto v = json_body(req.body);
  if (!v) return {400, "GitLab push event whose body is not a JSON object", std::nullopt};
  GitPush p;
  p.sender = "gitlab";
  p.ref = v->get_string("ref");
  for (const char* section : {"project", "repository"})
    if (const Value* s = v->find(section); s && s->is_map()) {
      for (const char* k : {"git_http_url", "git_ssh_url", "http_url", "ssh_url", "web_url", "url"})
        add_url(p, s->find(k));
      if (p.default_branch.empty()) p.default_branch = s->get_string("default_branch");
    }
  if (p.urls.empty()) return {400, "GitLab push event without a repository URL", std::nullopt};
  return {200, "push", p};
}

WebhookVerdict generic(const http::ServerRequest& req, std::string_view secret) {
  std::string auth = req.header("Authorization");
  std::string want = "Bearer " + std::string(secret);
  if (!constant_time_equal(auth, want))
    return {401, "webhook without a valid bearer token (or a GitHub/GitLab signature)",
            std::nullopt};
  auto v = json_body(req.body);
  if (!v) return {400, "the body must be a JSON object {\"url\": ..., \"ref\": ...}", std::nullopt};
  GitPush p;
  p.sender = "generic";
  add_url(p, v->find("url"));
  p.ref = v->get_string("ref");
  if (p.urls.empty()) return {400, "the body has no \"url\"", std::nullopt};
  return {200, "push", p};
}

// "https://user@Host:443/Org/Repo.git/" -> "host/org/repo"
std::string repository_key(std::string_view url) {
  std::string s = lower(url);
  size_t scheme = s.find("://");
  bool scp = false;
  if (scheme != std::string::npos) {
    s.erase(0, scheme + 3);
  } else {
    // scp-like "git@host:org/repo": a ':' before any '/'.
    size_t colon = s.find(':'), slash = s.find('/');
    scp = colon != std::string::npos && (slash == std::string::npos || colon < slash);
  }
  size_t slash = s.find('/');
  std::string authority = s.substr(0, scp ? s.find(':') : slash);
  std::string path = scp                          ? s.substr(s.find(':') + 1)
                     : slash == std::string::npos ? ""
                                                  : s.substr(slash + 1);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (!scp)
    if (size_t colon = authority.rfind(':');
        colon != std::string::npos && authority.find(']') == std::string::npos)
      authority.erase(colon);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0)
    path.resize(path.size() - 4);
  while (!path.empty() && path.front() == '/')
    path.erase(0, 1);
  return authority + "/" + path;
}

}  // namespace

WebhookVerdict read_webhook(const http::ServerRequest& req, std::string_view secret) {
  if (secret.empty())
    return {401, "no webhook secret is configured (--webhook-secret)", std::nullopt};
  if (!req.header("X-GitHub-Event").empty()) return github(req, secret);
  if (!req.header("X-Gitlab-Event").empty()) return gitlab(req, secret);
  return generic(req, secret);
}

bool same_repository(std::string_view a, std::string_view b) {
  return repository_key(a) == repository_key(b);
}

bool ref_matches(const GitSource& source, const GitPush& push) {
  if (!source.commit.empty()) return false;
  const std::string& ref = push.ref;
  auto strip = [&](std::string_view prefix) -> std::optional<std::string> {
    if (ref.rfind(prefix, 0) == 0) return ref.substr(prefix.size());
    return std::nullopt;
  };
  if (auto tag = strip("refs/tags/")) return !source.tag.empty() && source.tag == *tag;
  std::string branch = strip("refs/heads/").value_or(ref);
  if (!source.tag.empty()) return false;
  if (!source.branch.empty()) return branch.empty() || source.branch == branch;
  // The default branch: the one the sender names, else any (a reconcile
  // that finds the same commit does nothing).
  return push.default_branch.empty() || branch.empty() || branch == push.default_branch;
}

}  // namespace gantry::gitops
