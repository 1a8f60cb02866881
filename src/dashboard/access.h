// Who may press the dashboard's action buttons. A request's bearer token is
// either the --token-file token (anyone holding it may do every action), or,
// with token review on, a Kubernetes token of the user: the API server says
// who it is (a TokenReview, authentication.k8s.io/v1, created with the
// dashboard's own credentials) and whether that user may make each request
// the action makes (a SubjectAccessReview, authorization.k8s.io/v1, with the
// user, uid, groups and extra the TokenReview returned) — the user's own
// RBAC decides, as kube-rbac-proxy and the Kubernetes Dashboard's
// authorization mode do. The action itself is then made with the
// dashboard's credentials. Tokens never appear in answers, errors or logs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kube/client.h"

namespace gantry::dashboard {

// One request an action makes: a SubjectAccessReview's resourceAttributes.
struct Permission {
  std::string verb, group, resource, subresource, ns, name;
  // kube-apiserver's 403 message for `user`: `gantrydeployments.gantry.dev
  // "shop" is forbidden: User "alice" cannot patch resource
  // "gantrydeployments" in API group "gantry.dev" in the namespace "web"`.
  std::string refusal(const std::string& user) const;
};

// Who a token is.
struct Caller {
  bool token_file = false;  // the --token-file token (every action allowed)
  std::string username, uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

// The outcome of a check: status 0 allowed; otherwise the HTTP status to
// answer (401 unauthenticated, 403 refused, 502 the API server could not
// answer) and why, never quoting the token.
struct Verdict {
  int status = 0;
  std::string message;
  bool allowed() const { return status == 0; }
};

class Access {
 public:
  // `static_token` "" none; `token_review` accepts Kubernetes tokens.
  Access(const kube::Client& client, std::string static_token, bool token_review);

  // True when some token may act (the dashboard is not read-only).
  bool enabled() const { return !static_token_.empty() || token_review_; }
  bool token_review() const { return token_review_; }

  // The caller of an "Authorization" header value ("Bearer TOKEN"):
  // the --token-file token, else (with token review) a TokenReview of it.
  // 401 for a missing or invalid token.
  Verdict authenticate(const std::string& authorization, Caller* caller) const;

  // Whether `caller` may make every one of `requests` (SubjectAccessReviews,
  // in order, stopping at the first refusal): 403 naming the request and the
  // API server's reason.
  Verdict authorize(const Caller& caller, const std::vector<Permission>& requests) const;

 private:
  const kube::Client& client_;
  std::string static_token_;
  bool token_review_;
};

}  // namespace gantry::dashboard
