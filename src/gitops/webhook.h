// Git push webhooks (POST /hooks/git): who may send them and what they say.
//
// Three senders are understood, each authenticated with the shared secret
// (a Secret's `token`):
//  - GitHub: X-GitHub-Event, body signed with HMAC-SHA-256 in
//    X-Hub-Signature-256 ("sha256=<hex>");
//  - GitLab: X-Gitlab-Event, the secret itself in X-Gitlab-Token;
//  - anyone else: `Authorization: Bearer <secret>` and a JSON body
//    {"url": "...", "ref": "refs/heads/main"}.
// Secrets and signatures are compared in constant time; bodies are never
// logged. A valid push names its repository (every URL form the sender
// gives) and its ref; the controller then reconciles the resources whose
// source matches (same_repository, ref_matches).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gitops/resource.h"
#include "http/server.h"

namespace gantry::gitops {

struct GitPush {
  std::string sender;  // "github", "gitlab", "generic"
  std::vector<std::string> urls;
  std::string ref;             // "refs/heads/main", "refs/tags/v1.2.0"
  std::string default_branch;  // when the sender says
};

struct WebhookVerdict {
  int status = 202;     // 200 push, 202 accepted but nothing to do, 400, 401
  std::string message;  // for the response and the log (never the body)
  std::optional<GitPush> push;
};

// Authenticates and reads one request. `secret` empty: every request is 401.
WebhookVerdict read_webhook(const http::ServerRequest& req, std::string_view secret);

// Whether two Git URLs name the same repository: scheme, user, port, case,
// a trailing ".git" or "/" do not matter, and scp-like "git@host:org/repo"
// equals "https://host/org/repo".
bool same_repository(std::string_view a, std::string_view b);

// Whether a push of `push.ref` can change what `source` deploys: its branch
// (or, with no ref given, any branch: the default one when known), or its
// tag. A source pinned to a commit never matches.
bool ref_matches(const GitSource& source, const GitPush& push);

}  // namespace gantry::gitops
