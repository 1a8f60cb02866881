// `gantry dashboard`: the web UI's HTTP server. It serves the embedded
// assets (assets.h) and a JSON API read from the Kubernetes API with the
// dashboard's own credentials:
//   GET  /api/deployments                       every summary (views.h)
//   GET  /api/deployment?kind=&namespace=&name= one deployment: its summary,
//        managed objects with health, and Events
//   GET  /api/object?kind=&namespace=&name=     a managed object (one in a
//        deployment's inventory) as YAML, managedFields folded out, Secret
//        values masked; with dkind=&dnamespace=&dname= (its deployment) also
//        the desired version from Git and its diff with the live one
//   GET  /api/diff?kind=&namespace=&name=       the pending changes between Git
//        and the cluster (gitops/preview.h, shaped by changes.h)
//   GET  /api/stream                            server-sent events fed by the
//        watches (feed.h): "snapshot" (every summary), then "deployment"
//        (one summary) and "deleted" (a key) as they happen
//   GET  /api/session                           {actions: bool}
//   POST /api/actions/{reconcile,suspend,resume}?kind=&namespace=&name=
//        the requests `gantry reconcile/suspend/resume` make
//        (gitops/requests.h);
//   POST /api/actions/dry-run?...  a new plan of the pending changes with
//        server-side dry runs (the /api/diff answer), as `gantry deploy
//        --dry-run` of the deployment's source;
//   POST /api/actions/prune?...    the orphans of the source's newest render
//        deleted now (gitops/prune_now.h), as `gantry prune`.
//        Every action needs a bearer token (access.h): the --token-file
//        token, or with token_review a user's Kubernetes token (TokenReview)
//        whose RBAC allows the action's requests (SubjectAccessReview: patch
//        of the resource for reconcile/suspend/resume, get of it for a dry
//        run, get of it and delete of each orphan for prune; 403 with the
//        reason otherwise). The request must carry "Authorization: Bearer
//        TOKEN" (401 without a valid one) and the CSRF header
//        "X-Gantry-CSRF: 1" and, when the browser sends Origin, come from the
//        dashboard's own origin. Read-only (403) without either.
// Every response carries the security headers (security_headers()). A
// request whose Host header names neither localhost, an IP address nor one of
// the allowed hosts is answered 421 (a DNS-rebinding page cannot read the API).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/server.h"
#include "kube/client.h"

namespace gantry::dashboard {

struct DashboardOptions {
  std::string listen = "127.0.0.1:8080";
  std::string ns;                   // "" every namespace
  std::string token;                // the --token-file token ("" none)
  bool token_review = false;        // also users' Kubernetes tokens (access.h)
  std::filesystem::path cache_dir;  // discovery, Git sources ("" none: no diffs)
  // Who the dry runs of pending changes apply as: the controller's manager,
  // so that they show what the controller's next sync would change.
  std::string field_manager = "gantry-controller";
  std::chrono::seconds keepalive{15};  // an SSE comment this often
  // Host names (besides localhost and IP literals) that requests may name in
  // their Host header (any case); others get 421, which stops DNS rebinding.
  std::vector<std::string> allowed_hosts;
};

// The bearer token in `path`: its first line, trailing blanks trimmed.
// Throws Error(kUsage) when the file cannot be read or the token is shorter
// than 16 characters.
std::string read_token_file(const std::filesystem::path& path);

// The headers every response carries: a Content-Security-Policy allowing
// only the dashboard's own scripts, styles and API (no inline script, no
// framing), X-Content-Type-Options, X-Frame-Options, Referrer-Policy,
// Cross-Origin-Opener-Policy and Permissions-Policy.
std::vector<std::pair<std::string, std::string>> security_headers();

class Dashboard {
 public:
  // Does not touch the network yet.
  Dashboard(const kube::Client& client, DashboardOptions options);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Starts the watches and binds the port (Error when it cannot); serves on
  // a background thread.
  void start();
  // Stops serving, ends the event streams and the watches.
  void stop();
  int port() const;

  // One request, as the server passes it (public for tests).
  void handle(const http::ServerRequest& req, http::ServerResponse& res);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::dashboard
