#include "sandbox/audit.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "doc/json.h"

namespace gantry::sandbox {

using doc::Value;

namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Value request_attributes(const http::ServerRequest& req) {
  Value a = Value::object({{"verb", ""},
                           {"apiGroup", ""},
                           {"apiVersion", ""},
                           {"resource", ""},
                           {"subresource", ""},
                           {"namespace", ""},
                           {"name", ""},
                           {"nonResourceURL", ""}});
  auto non_resource = [&] {
    a.set("verb", lower(req.method));
    a.set("nonResourceURL", req.path);
    return a;
  };
  std::vector<std::string> parts = path_segments(req.path);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return non_resource();
  size_t i = 1;
  if (parts[0] == "apis") {
    if (parts.size() < 4) return non_resource();  // /apis, /apis/G, /apis/G/V
    a.set("apiGroup", parts[1]);
    i = 2;
  } else if (parts.size() < 3) {
    return non_resource();  // /api, /api/V
  }
  a.set("apiVersion", parts[i++]);
  std::string verb;
  if (req.method == "POST")
    verb = "create";
  else if (req.method == "GET" || req.method == "HEAD")
    verb = "get";
  else if (req.method == "PUT")
    verb = "update";
  else if (req.method == "PATCH")
    verb = "patch";
  else if (req.method == "DELETE")
    verb = "delete";
  else
    verb = lower(req.method);
  if (i < parts.size() && parts[i] == "watch") {  // the deprecated /watch/ prefix
    verb = "watch";
    ++i;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest.empty()) return non_resource();
  if (rest[0] == "namespaces" && rest.size() > 1) {
    a.set("namespace", rest[1]);
    // /namespaces/NS/status and /finalize are subresources of the Namespace itself.
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize")
      rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.size() >= 3) a.set("subresource", rest[2]);
  if (rest.size() >= 2) a.set("name", rest[1]);
  a.set("resource", rest[0]);
  if (rest.size() < 2) {
    std::string w = req.param("watch");
    if (verb == "get") verb = (w == "true" || w == "1") ? "watch" : "list";
    if (verb == "delete") verb = "deletecollection";
  }
  a.set("verb", verb);
  return a;
}

AuditLog::AuditLog(const std::filesystem::path& path) {
  file_ = std::fopen(path.c_str(), "a");
  if (!file_)
    throw Error("--audit-log: cannot open " + path.string() + ": " + std::strerror(errno),
                ExitCode::kExternal);
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 16);
}

AuditLog::~AuditLog() {
  if (file_) std::fclose(file_);
}

void AuditLog::record(const http::ServerRequest& req, bool authenticated, int code) {
  Value line = request_attributes(req);
  line.set("user", authenticated ? "admin" : "system:anonymous");
  line.set("impersonatedUser", req.header("Impersonate-User"));
  line.set("userAgent", req.header("User-Agent"));
  line.set("code", code);
  std::string text = doc::to_json(line);
  text += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(text.data(), 1, text.size(), file_);
}

void AuditLog::flush() {
  std::lock_guard<std::mutex> lock(mu_);
  std::fflush(file_);
}

}  // namespace gantry::sandbox
