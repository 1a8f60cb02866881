#include "kube/client.h"

#include <chrono>
#include <ctime>
#include <mutex>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "core/process.h"
#include "doc/json.h"
#include "http/client.h"

namespace gantry::kube {

using doc::Value;

doc::Value Response::json() const {
  return doc::parse_json(body, "<response>");
}

namespace {

std::optional<Value> status_of(const std::string& body) {
  if (body.empty() || body[0] != '{') return std::nullopt;
  try {
    Value v = doc::parse_json(body, "<response>");
    if (v.is_map() && v.get_string("kind") == "Status") return v;
  } catch (const Error&) {
  }
  return std::nullopt;
}

// "2026-11-26T20:00:00Z" -> time_t (UTC); nullopt when malformed.
std::optional<std::time_t> parse_rfc3339(const std::string& s) {
  std::tm tm{};
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return timegm(&tm);
}

}  // namespace

std::string Response::message() const {
  if (auto st = status_of(body)) {
    std::string m = st->get_string("message");
    if (!m.empty()) return m;
  }
  std::string m = "HTTP " + std::to_string(status);
  if (!body.empty()) m += ": " + body.substr(0, 200);
  return m;
}

std::string Response::reason() const {
  if (auto st = status_of(body)) return st->get_string("reason");
  return {};
}

struct Client::Impl {
  // One request, with a streamed body when `sink` is given (see Client::stream).
  Response perform(std::string_view method, const std::string& path, std::string_view body,
                   std::string_view content_type, std::string_view accept,
                   const std::function<void(std::string_view)>* sink,
                   const std::function<bool()>* cancelled) const;

  ClusterAccess access;
  ClientSettings settings;
  mutable std::mutex mu;
  // Guarded by mu: the current credentials and the HTTP client using them.
  mutable std::shared_ptr<http::Client> http;
  mutable std::string bearer;
  mutable std::string cert_pem, key_pem;
  mutable std::optional<std::time_t> expires;
  // When the token file was last read: it is read again after a minute (a
  // projected service account token rotates; client-go re-reads it as often).
  mutable std::chrono::steady_clock::time_point token_read_at{};

  void run_exec() const {
    const ExecConfig& e = *access.exec;
    std::vector<std::string> argv{e.command};
    argv.insert(argv.end(), e.args.begin(), e.args.end());
    ProcessOptions po;
    po.timeout = std::chrono::seconds(60);
    Value spec = Value::object({{"interactive", false}});
    if (e.provide_cluster_info)
      spec.set("cluster",
               Value::object({{"server", access.server},
                              {"insecure-skip-tls-verify", access.insecure_skip_tls_verify}}));
    Value info = Value::object(
        {{"kind", "ExecCredential"},
         {"apiVersion", e.api_version.empty() ? "client.authentication.k8s.io/v1" : e.api_version},
         {"spec", spec}});
    po.extra_env.push_back("KUBERNETES_EXEC_INFO=" + doc::to_json(info));
    for (const auto& [k, v] : e.env)
      po.extra_env.push_back(k + "=" + v);
    ProcessResult r;
    try {
      r = run_process(argv, po);
    } catch (Error& err) {
      err.add_context("running the exec credential plugin of user \"" + access.user_name + "\"");
      throw;
    }
    if (r.exit_code != 0) {
      std::string err = r.err.substr(0, 500);
      while (!err.empty() && (err.back() == '\n' || err.back() == ' '))
        err.pop_back();
      throw Error("exec credential plugin " + e.command + " of user \"" + access.user_name +
                      "\" exited with " + std::to_string(r.exit_code) +
                      (err.empty() ? "" : ": " + err),
                  ExitCode::kExternal);
    }
    Value cred;
    try {
      cred = doc::parse_json(r.out, e.command);
    } catch (const Error&) {
      throw Error("exec credential plugin " + e.command + " did not print an ExecCredential",
                  ExitCode::kExternal);
    }
    const Value* st = cred.find("status");
    if (!cred.is_map() || cred.get_string("kind") != "ExecCredential" || !st || !st->is_map())
      throw Error(
          "exec credential plugin " + e.command + " printed no ExecCredential with a status",
          ExitCode::kExternal);
    bearer = st->get_string("token");
    std::string cert = st->get_string("clientCertificateData");
    std::string key = st->get_string("clientKeyData");
    if (bearer.empty() && cert.empty())
      throw Error("exec credential plugin " + e.command + " gave neither a token nor a certificate",
                  ExitCode::kExternal);
    if (cert != cert_pem || key != key_pem) {
      cert_pem = cert;
      key_pem = key;
      http.reset();
    }
    expires.reset();
    if (std::string exp = st->get_string("expirationTimestamp"); !exp.empty())
      expires = parse_rfc3339(exp);
  }

  void refresh_locked(bool after_401) const {
    if (access.exec) {
      bool expired = expires && std::time(nullptr) + 10 >= *expires;
      if (after_401 || expired || (bearer.empty() && cert_pem.empty())) run_exec();
    } else if (!access.token_file.empty()) {
      auto now = std::chrono::steady_clock::now();
      if (after_401 || bearer.empty() || now - token_read_at > std::chrono::minutes(1)) {
        token_read_at = now;
        std::string t;
        try {
          t = read_file(access.token_file);
        } catch (Error& e) {
          e.add_context("reading the token file of user \"" + access.user_name + "\"");
          throw;
        }
        while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' '))
          t.pop_back();
        bearer = t;
      }
    } else if (bearer.empty()) {
      bearer = access.token;
    }
    if (!http) {
      http::ClientOptions o;
      o.ca_pem = access.ca_pem;
      o.ca_exclusive = !access.ca_pem.empty();
      o.insecure_tls = access.insecure_skip_tls_verify;
      o.client_cert_pem = cert_pem.empty() ? access.client_cert_pem : cert_pem;
      o.client_key_pem = key_pem.empty() ? access.client_key_pem : key_pem;
      o.user_agent = settings.user_agent;
      o.max_retries = 5;
      http = std::make_shared<http::Client>(o);
    }
  }

  http::Headers auth_headers_locked() const {
    http::Headers h;
    if (!bearer.empty())
      h.push_back({"Authorization", "Bearer " + bearer});
    else if (!access.username.empty())
      h.push_back(
          {"Authorization", "Basic " + base64_encode(access.username + ":" + access.password)});
    if (!access.impersonate_user.empty()) {
      h.push_back({"Impersonate-User", access.impersonate_user});
      for (const std::string& g : access.impersonate_groups)
        h.push_back({"Impersonate-Group", g});
    }
    return h;
  }
};

Client::Client(ClusterAccess access, ClientSettings settings) : impl_(std::make_unique<Impl>()) {
  impl_->access = std::move(access);
  impl_->settings = std::move(settings);
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->refresh_locked(false);
}

Client::~Client() = default;

const ClusterAccess& Client::access() const {
  return impl_->access;
}

Response Client::send(std::string_view method, const std::string& path, std::string_view body,
                      std::string_view content_type, std::string_view accept) const {
  return impl_->perform(method, path, body, content_type, accept, nullptr, nullptr);
}

Response Client::stream(const std::string& path, const std::function<void(std::string_view)>& sink,
                        const std::function<bool()>& cancelled) const {
  return impl_->perform("GET", path, {}, "application/json", "application/json", &sink, &cancelled);
}

Response Client::Impl::perform(std::string_view method, const std::string& path,
                               std::string_view body, std::string_view content_type,
                               std::string_view accept,
                               const std::function<void(std::string_view)>* sink,
                               const std::function<bool()>* cancelled) const {
  for (int attempt = 0;; ++attempt) {
    std::shared_ptr<http::Client> http_client;
    http::Request req;
    {
      std::lock_guard<std::mutex> lock(mu);
      refresh_locked(false);
      http_client = http;
      req.headers = auth_headers_locked();
    }
    req.method = std::string(method);
    req.url = access.server + path;
    req.headers.push_back({"Accept", std::string(accept)});
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.headers.push_back({"Content-Type", std::string(content_type)});
      req.body = http::Body::memory(body);
    }
    req.timeout = settings.request_timeout;
    if (sink) {
      req.sink = *sink;
      req.timeout = std::chrono::milliseconds(0);  // the server ends a watch (timeoutSeconds)
      req.stall_timeout = std::chrono::milliseconds(0);
      req.retry = false;
      req.cancelled = *cancelled;
    }
    http::Response r;
    try {
      r = http_client->send(req);
    } catch (Error& e) {
      e.add_context("talking to the Kubernetes API at " + access.server + " (context " +
                    access.context + ")");
      throw;
    }
    bool renewable = access.exec || !access.token_file.empty();
    if (r.status == 401 && renewable && attempt == 0) {
      std::lock_guard<std::mutex> lock(mu);
      refresh_locked(true);
      continue;
    }
    return Response{r.status, std::move(r.body)};
  }
}

}  // namespace gantry::kube
