#include "gitops/endpoints.h"

#include <chrono>
#include <functional>
#include <mutex>

#include "core/digest.h"
#include "core/error.h"
#include "doc/json.h"
#include "gitops/image_update.h"
#include "gitops/requests.h"
#include "gitops/webhook.h"
#include "http/server.h"
#include "kube/discovery.h"
#include "kube/objects.h"

namespace gantry::gitops {

namespace {

constexpr size_t kMaxHookBody = 1u << 20;  // 1 MiB

}  // namespace

struct Endpoints::Impl {
  const Controller& controller;
  const kube::Client& client;
  EndpointOptions opt;
  kube::RestMapper mapper;
  std::unique_ptr<http::Server> server;
  std::mutex secret_mu;
  std::string secret;
  std::chrono::steady_clock::time_point secret_read{};

  Impl(const Controller& c, const kube::Client& k, EndpointOptions o)
      : controller(c), client(k), opt(std::move(o)), mapper(k, opt.cache_dir / "discovery") {}

  void log(const std::string& level, const std::string& msg,
           std::vector<std::pair<std::string, std::string>> fields) const {
    if (opt.log) opt.log(LogRecord{level, msg, std::move(fields)});
  }

  // The webhook secret, read again at most every 10 s (a rotated Secret is
  // picked up; a flood of requests does not become a flood of GETs).
  std::string webhook_secret() {
    if (opt.webhook_secret_name.empty()) return {};
    std::lock_guard<std::mutex> lock(secret_mu);
    auto now = std::chrono::steady_clock::now();
    if (secret_read != std::chrono::steady_clock::time_point{} &&
        now - secret_read < std::chrono::seconds(10))
      return secret;
    try {
      auto data =
          kube::get_secret_data(client, opt.webhook_secret_namespace, opt.webhook_secret_name);
      secret.clear();
      if (data)
        if (auto it = data->find("token"); it != data->end()) secret = it->second;
      if (secret.empty())
        log("warn", "the webhook Secret has no key \"token\"",
            {{"secret", opt.webhook_secret_namespace + "/" + opt.webhook_secret_name}});
      secret_read = now;
    } catch (const Error& e) {
      log("warn", "cannot read the webhook Secret", {{"error", e.why()}});
    }
    return secret;
  }

  // Runs `ask` for each watched namespace ("" all); false (with a 503
  // answer) when the API fails.
  bool ask_each_namespace(http::ServerResponse& res, const std::string& what,
                          const std::function<void(const std::string&)>& ask) {
    std::vector<std::string> namespaces = opt.namespaces;
    if (namespaces.empty()) namespaces.push_back("");
    try {
      for (const auto& ns : namespaces)
        ask(ns);
    } catch (const Error& e) {
      res.status = 503;
      res.body = doc::to_json(doc::Value::object({{"message", e.why()}})) + "\n";
      log("error", "webhook: cannot request " + what, {{"error", e.why()}});
      return false;
    }
    return true;
  }

  // False (with a 405 answer) unless the request is a POST.
  static bool post_only(const http::ServerRequest& req, http::ServerResponse& res,
                        const std::string& what) {
    if (req.method == "POST") return true;
    res.status = 405;
    res.headers.push_back({"Allow", "POST"});
    res.body = "POST " + what + "\n";
    return false;
  }

  void handle(const http::ServerRequest& req, http::ServerResponse& res) {
    res.headers.push_back({"Cache-Control", "no-store"});
    res.headers.push_back({"X-Content-Type-Options", "nosniff"});
    if (req.method == "GET" && req.path == "/metrics") {
      res.content_type = "text/plain; version=0.0.4; charset=utf-8";
      res.body = controller.metrics_text();
    } else if (req.method == "GET" && req.path == "/healthz") {
      bool ok = controller.alive();
      res.status = ok ? 200 : 503;
      res.body = ok ? "ok\n" : "the main loop has not turned for 30 s\n";
    } else if (req.method == "GET" && req.path == "/readyz") {
      std::string why;
      bool ok = controller.ready(&why);
      res.status = ok ? 200 : 503;
      res.body = ok ? "ok\n" : why + "\n";
    } else if (req.path == "/hooks/registry") {
      if (post_only(req, res, "a registry event")) registry_hook(req, res);
    } else if (req.path == "/hooks/git") {
      if (post_only(req, res, "a push event")) hook(req, res);
    } else {
      res.status = 404;
      res.body = "not found\n";
    }
  }

  // A registry's notification (docker distribution's, or any POST with the
  // bearer secret): every image automation resource scans now, through the
  // same request annotation as `gantry reconcile`, so the leader acts on it.
  void registry_hook(const http::ServerRequest& req, http::ServerResponse& res) {
    res.content_type = "application/json";
    std::string secret = webhook_secret();
    if (req.body.size() > kMaxHookBody) {
      res.status = 413;
      res.body = "{\"message\":\"the body is larger than 1 MiB\"}\n";
      return;
    }
    if (secret.empty() || !constant_time_equal(req.header("Authorization"), "Bearer " + secret)) {
      res.status = 401;
      res.body = "{\"message\":\"registry webhook without a valid bearer token\"}\n";
      log("warn", "webhook: registry event without a valid bearer token",
          {{"from", req.remote_addr}});
      return;
    }
    doc::Value requested = doc::Value::list();
    auto ask = [&](const std::string& ns) {
      for (const auto& [type, obj] : list_image_updates(client, mapper, ns)) {
        const doc::Value* suspend = obj.find_path({"spec", "suspend"});
        if (suspend && suspend->is_bool() && suspend->as_bool()) continue;
        request_reconcile(client, type, kube::namespace_of(obj), kube::name_of(obj));
        requested.push_back(type.kind + "/" + kube::namespace_of(obj) + "/" + kube::name_of(obj));
      }
    };
    if (!ask_each_namespace(res, "image scans", ask)) return;
    res.status = requested.size() ? 200 : 202;
    res.body = doc::to_json(doc::Value::object({{"scanning", requested}})) + "\n";
    log("info", "webhook: registry event",
        {{"scanning", std::to_string(requested.size())}, {"from", req.remote_addr}});
  }

  void hook(const http::ServerRequest& req, http::ServerResponse& res) {
    if (req.body.size() > kMaxHookBody) {
      res.status = 413;
      res.body = "the body is larger than 1 MiB\n";
      log("warn", "webhook refused: body too large", {{"from", req.remote_addr}});
      return;
    }
    WebhookVerdict v = read_webhook(req, webhook_secret());
    res.content_type = "application/json";
    if (!v.push) {
      res.status = v.status;
      res.body = doc::to_json(doc::Value::object({{"message", v.message}})) + "\n";
      log(v.status == 401 ? "warn" : "info", "webhook: " + v.message, {{"from", req.remote_addr}});
      return;
    }
    doc::Value requested = doc::Value::list();
    auto ask = [&](const std::string& ns) {
      for (const DeploymentRow& row : list_deployments(client, mapper, ns)) {
        DeploymentSpec d;
        try {
          d = parse_deployment(row.object);
        } catch (const Error&) {
          continue;  // an invalid resource is reported by its own reconcile
        }
        bool same = false;
        for (const auto& url : v.push->urls)
          same = same || same_repository(url, d.source.url);
        if (!same || !ref_matches(d.source, *v.push) || d.suspend) continue;
        request_reconcile(client,
                          d.is_kluctl() ? kluctl_deployment_type() : gantry_deployment_type(), d.ns,
                          d.name, "webhook: " + v.push->sender + " push to " + v.push->ref);
        requested.push_back(d.key());
      }
    };
    if (!ask_each_namespace(res, "reconciles", ask)) return;
    res.status = requested.size() ? 200 : 202;
    res.body =
        doc::to_json(doc::Value::object({{"ref", v.push->ref}, {"reconciling", requested}})) + "\n";
    log("info", "webhook: push",
        {{"sender", v.push->sender},
         {"repository", v.push->urls.front()},
         {"ref", v.push->ref},
         {"reconciling", std::to_string(requested.size())}});
  }
};

Endpoints::Endpoints(const Controller& controller, const kube::Client& client,
                     EndpointOptions options)
    : impl_(std::make_unique<Impl>(controller, client, std::move(options))) {
  auto [host, port] = http::parse_listen(impl_->opt.listen);
  http::ServerOptions so;
  so.host = host;
  so.port = port;
  so.worker_threads = 8;
  so.max_body_bytes = kMaxHookBody;  // larger bodies: 413 before they are read
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<http::Server>(
      so, [impl](const http::ServerRequest& req, http::ServerResponse& res) {
        impl->handle(req, res);
      });
  impl_->server->start();
}

Endpoints::~Endpoints() {
  if (impl_->server) impl_->server->stop();
}

int Endpoints::port() const {
  return impl_->server->port();
}

}  // namespace gantry::gitops
