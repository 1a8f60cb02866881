// The sandbox's request record (`gantry sandbox --audit-log FILE`): one JSON
// line per request with the attributes Kubernetes' authorizers see, so that
// the requests a client made can be checked against RBAC rules.
//
// Attributes follow kube-apiserver's request info: /api/v1/... and
// /apis/GROUP/VERSION/... with a resource are resource requests; everything
// else (/api, /api/v1, /apis/GROUP/VERSION, /version, /openapi/...) is a
// non-resource URL. Verbs: GET of one object get, of a collection list (watch
// with ?watch=true or 1, or under /watch/), POST create, PUT update, PATCH
// patch, DELETE of one object delete, of a collection deletecollection; the
// verb of a non-resource request is the lower-case method.
#pragma once

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "doc/value.h"
#include "http/server.h"

namespace gantry::sandbox {

// The non-empty segments of a URL path ("/api/v1/pods" -> api, v1, pods).
std::vector<std::string> path_segments(const std::string& path);

// {"verb", "apiGroup", "apiVersion", "resource", "subresource", "namespace",
//  "name", "nonResourceURL"} of one request (empty strings where not applicable).
doc::Value request_attributes(const http::ServerRequest& req);

class AuditLog {
 public:
  // Opens `path` for appending; throws Error (kExternal) when it cannot.
  explicit AuditLog(const std::filesystem::path& path);
  ~AuditLog();  // flushes and closes
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line: the attributes plus "user" (the sandbox's token user
  // "admin", or "system:anonymous" without a valid token: `authenticated`),
  // "impersonatedUser" (the Impersonate-User header), "userAgent" and the
  // response "code". Buffered: lines reach the file on flush().
  void record(const http::ServerRequest& req, bool authenticated, int code);
  void flush();

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
};

}  // namespace gantry::sandbox
