#include "dashboard/dashboard.h"

#include <cctype>
#include <map>
#include <mutex>

#include "core/error.h"
#include "core/file.h"
#include "dashboard/access.h"
#include "dashboard/assets.h"
#include "dashboard/changes.h"
#include "dashboard/feed.h"
#include "dashboard/views.h"
#include "doc/json.h"
#include "doc/yaml.h"
#include "git/source.h"
#include "gitops/preview.h"
#include "gitops/prune_now.h"
#include "gitops/requests.h"
#include "gitops/resource.h"
#include "gitops/source_render.h"
#include "kube/discovery.h"
#include "kube/objects.h"
#include "kube/ownership.h"

namespace gantry::dashboard {

using doc::Value;

namespace {

constexpr size_t kMaxBody = 64u << 10;  // actions carry no body worth more
// How long an object the controller repaired shows as "drifted".
constexpr std::chrono::seconds kDriftedFor{600};

void send_json(http::ServerResponse& res, int status, const Value& v) {
  res.status = status;
  res.content_type = "application/json; charset=utf-8";
  res.body = doc::to_json(v);
}

void send_error(http::ServerResponse& res, int status, const std::string& message) {
  send_json(res, status, Value::object({{"message", message}}));
}

std::string sse(std::string_view event, const std::string& data) {
  return "event: " + std::string(event) + "\ndata: " + data + "\n\n";
}

// The host name of a Host header ("[::1]:8080" -> "::1", "a.example:80" -> "a.example").
std::string host_name(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  return host.substr(0, host.find(':'));
}

bool ip_literal(const std::string& name) {
  if (name.find(':') != std::string::npos)  // IPv6 (only ever in brackets)
    return name.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos;
  return !name.empty() && name.find_first_not_of("0123456789.") == std::string::npos;
}

bool deployment_kind(const std::string& kind) {
  return kind == gitops::kKind || kind == gitops::kKluctlKind;
}

}  // namespace

std::string read_token_file(const std::filesystem::path& path) {
  std::string t;
  try {
    t = read_file(path, 4096);
  } catch (const Error& e) {
    throw Error("--token-file " + path.string() + ": " + e.why(), ExitCode::kUsage);
  }
  if (size_t nl = t.find_first_of("\r\n"); nl != std::string::npos) t.resize(nl);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
    t.pop_back();
  if (t.size() < 16)
    throw Error("--token-file " + path.string() + ": the token must be at least 16 characters",
                ExitCode::kUsage);
  return t;
}

std::vector<std::pair<std::string, std::string>> security_headers() {
  return {{"Content-Security-Policy",
           "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"},
          {"Cross-Origin-Opener-Policy", "same-origin"},
          {"Cross-Origin-Resource-Policy", "same-origin"},
          {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"}};
}

struct Dashboard::Impl {
  const kube::Client& client;
  DashboardOptions opt;
  Access access;
  kube::RestMapper mapper;
  DeploymentFeed feed;
  std::unique_ptr<http::Server> server;
  std::mutex types_mu;
  std::map<std::string, kube::ResourceType> types;  // kind -> type, from discovery
  std::chrono::steady_clock::time_point types_read{};
  // Pending changes per deployment key, reused for a few seconds so that the
  // deployment page and its object pages share one render and plan.
  struct CachedPreview {
    std::shared_ptr<const gitops::Preview> preview;
    std::string resource_version;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex previews_mu;
  std::map<std::string, CachedPreview> previews;
  std::mutex sources_mu;
  std::unique_ptr<git::SourceCache> sources;

  Impl(const kube::Client& c, DashboardOptions o)
      : client(c),
        opt(std::move(o)),
        access(c, opt.token, opt.token_review),
        mapper(c, opt.cache_dir.empty() ? opt.cache_dir : opt.cache_dir / "discovery"),
        feed(c, mapper, opt.ns) {
    for (auto& h : opt.allowed_hosts)
      for (char& ch : h)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }

  // The type of an inventory entry's Kind (inventories name kinds only),
  // preferring Kubernetes' own groups; discovery is read again at most every
  // 30 s when a kind is unknown.
  std::optional<kube::ResourceType> type_of(const std::string& kind) {
    std::lock_guard<std::mutex> lock(types_mu);
    auto now = std::chrono::steady_clock::now();
    auto it = types.find(kind);
    if (it == types.end() && (types_read == std::chrono::steady_clock::time_point{} ||
                              now - types_read > std::chrono::seconds(30))) {
      if (types_read != std::chrono::steady_clock::time_point{}) mapper.expire();
      types_read = now;
      types.clear();
      for (const auto& t : mapper.listable()) {
        auto [pos, added] = types.emplace(t.kind, t);
        if (!added && !kube::builtin_group(pos->second.group) && kube::builtin_group(t.group))
          pos->second = t;
      }
      it = types.find(kind);
    }
    if (it == types.end()) return std::nullopt;
    return it->second;
  }

  bool host_allowed(const std::string& host) const {
    if (host.empty()) return true;  // HTTP/1.0 clients; browsers always send Host
    std::string name = host_name(host);
    std::string lower;
    for (char c : name)
      lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    if (lower == "localhost" || ip_literal(lower)) return true;
    for (const auto& a : opt.allowed_hosts)
      if (a == lower) return true;
    return false;
  }

  void handle(const http::ServerRequest& req, http::ServerResponse& res) {
    for (auto& h : security_headers())
      res.headers.push_back(std::move(h));
    if (!host_allowed(req.header("Host"))) {
      res.status = 421;
      res.body = "this dashboard does not serve that host name (see --allowed-host)\n";
      return;
    }
    const std::string& p = req.path;
    if (p.rfind("/api/", 0) == 0) {
      res.headers.push_back({"Cache-Control", "no-store"});
      try {
        api(req, res);
      } catch (const Error& e) {
        send_error(res, e.code() == ExitCode::kNotFound ? 404 : 502, e.why());
      }
      return;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.headers.push_back({"Allow", "GET, HEAD"});
      res.body = "method not allowed\n";
      return;
    }
    // The pages are one document; the address after '#' picks the page.
    if (auto a = find_asset(p)) {
      res.content_type = a->content_type;
      res.body = std::string(a->bytes);
      res.headers.push_back({"Cache-Control", "no-cache"});
      return;
    }
    res.status = 404;
    res.body = "not found\n";
  }

  void api(const http::ServerRequest& req, http::ServerResponse& res) {
    const std::string& p = req.path;
    if (p.rfind("/api/actions/", 0) == 0) return action(req, res, p.substr(13));
    if (req.method != "GET") {
      res.headers.push_back({"Allow", "GET"});
      return send_error(res, 405, "use GET");
    }
    if (p == "/api/session")
      return send_json(
          res, 200,
          Value::object({{"actions", access.enabled()}, {"tokenReview", access.token_review()}}));
    if (p == "/api/deployments") {
      uint64_t seq = 0;
      Value items = Value::list();
      for (auto& s : feed.summaries(&seq))
        items.push_back(std::move(s));
      return send_json(res, 200,
                       Value::object({{"items", items}, {"sequence", static_cast<int64_t>(seq)}}));
    }
    if (p == "/api/deployment") return deployment(req, res);
    if (p == "/api/object") return object(req, res);
    if (p == "/api/diff") return diff(req, res);
    if (p == "/api/stream") return stream(res);
    send_error(res, 404, "no such API: " + p);
  }

  void deployment(const http::ServerRequest& req, http::ServerResponse& res) {
    std::string kind = req.param("kind"), ns = req.param("namespace"), name = req.param("name");
    if (!deployment_kind(kind)) return send_error(res, 400, "kind must be a deployment kind");
    auto r = feed.resource(kind, ns, name);
    if (!r) return send_error(res, 404, kind + " " + ns + "/" + name + " is not known");
    Value objects = Value::list();
    auto now = std::chrono::system_clock::now();
    for (const auto& e : inventory_of(*r)) {
      Value o = Value::object(
          {{"kind", e.kind}, {"namespace", e.ns}, {"name", e.name}, {"item", e.item}});
      auto t = type_of(e.kind);
      std::optional<Value> live;
      if (t) live = kube::get(client, *t, e.ns, e.name);
      Value h = with_recent_repair(live ? object_health(*live) : missing_health(), *r,
                                   e.kind + " " + (e.ns.empty() ? "" : e.ns + "/") + e.name, now,
                                   kDriftedFor);
      for (const auto& m : h.as_map())
        o.set(m.key, m.value);
      objects.push_back(std::move(o));
    }
    Value events = Value::list();
    kube::Response er = client.send(
        "GET", "/api/v1/namespaces/" + ns + "/events?fieldSelector=involvedObject.name%3D" + name);
    if (er.ok()) events = events_about(er.json(), kind, name);
    send_json(res, 200,
              Value::object({{"deployment", deployment_summary(*r)},
                             {"objects", objects},
                             {"history", deploy_history(*r)},
                             {"events", events}}));
  }

  void object(const http::ServerRequest& req, http::ServerResponse& res) {
    std::string kind = req.param("kind"), ns = req.param("namespace"), name = req.param("name");
    // Only objects some deployment manages: the dashboard is not a general
    // window onto the cluster.
    if (!feed.manages(kind, ns, name))
      return send_error(res, 404, kind + " " + ns + "/" + name + " is not a managed object");
    auto t = type_of(kind);
    std::optional<Value> live;
    if (t) live = kube::get(client, *t, ns, name);
    if (!live) return send_error(res, 404, kind + " " + ns + "/" + name + " is missing");
    Value h = object_health(*live);
    Value out = Value::object({{"kind", kind},
                               {"namespace", ns},
                               {"name", name},
                               {"health", h},
                               {"managedFields", managed_fields_summary(*live)},
                               {"yaml", doc::to_yaml(masked_object(*live))}});
    // With its deployment named: the desired version from Git and the diff.
    std::string dkind = req.param("dkind");
    if (!dkind.empty()) {
      std::string dns = req.param("dnamespace"), dname = req.param("dname");
      if (!deployment_kind(dkind)) return send_error(res, 400, "dkind must be a deployment kind");
      auto r = feed.resource(dkind, dns, dname);
      if (!r) return send_error(res, 404, dkind + " " + dns + "/" + dname + " is not known");
      Value desired;
      try {
        desired = desired_view(*preview_of(*r, true), kind, ns, name);
        if (desired.is_null())
          desired = Value::object({{"error", "the render of " + dname + " no longer has it"}});
      } catch (const gitops::SourceError& e) {
        desired = Value::object({{"error", e.reason + ": " + e.message}});
      }
      out.set("desired", desired);
    }
    send_json(res, 200, out);
  }

  // The pending changes of one deployment resource (gitops/preview.h). With
  // `reuse`, one computed in the last 5 s for the same resourceVersion is
  // returned (the object pages opened from a deployment page share its
  // plan); the deployment page's diff always computes a new one, so a commit
  // pushed a moment ago shows. Throws SourceError and Error.
  std::shared_ptr<const gitops::Preview> preview_of(const Value& resource, bool reuse) {
    gitops::DeploymentSpec d = own_cluster_spec(resource);
    std::string rv = resource.find_path({"metadata", "resourceVersion"})
                         ? resource.find_path({"metadata", "resourceVersion"})->as_string()
                         : "";
    auto now = std::chrono::steady_clock::now();
    if (reuse) {
      std::lock_guard<std::mutex> lock(previews_mu);
      auto it = previews.find(d.key());
      if (it != previews.end() && it->second.resource_version == rv &&
          now - it->second.at < std::chrono::seconds(5))
        return it->second.preview;
    }
    auto p = std::make_shared<const gitops::Preview>(
        gitops::preview(client, mapper, source_cache(), d, opt.cache_dir, opt.field_manager));
    std::lock_guard<std::mutex> lock(previews_mu);
    previews[d.key()] = CachedPreview{p, rv, std::chrono::steady_clock::now()};
    return p;
  }

  // The deployment's spec, when the dashboard's own credentials reach the
  // cluster it deploys to. Throws SourceError otherwise.
  static gitops::DeploymentSpec own_cluster_spec(const Value& resource) {
    gitops::DeploymentSpec d = gitops::parse_deployment(resource);
    if (!d.kubeconfig_secret.empty())
      throw gitops::SourceError{"Unsupported",
                                "the dashboard reaches the deployments to its own cluster only; "
                                "this one deploys through spec.kubeConfig"};
    return d;
  }

  git::SourceCache& source_cache() {
    if (opt.cache_dir.empty())
      throw gitops::SourceError{"Unsupported", "no cache directory for Git sources"};
    std::lock_guard<std::mutex> lock(sources_mu);
    if (!sources) sources = std::make_unique<git::SourceCache>(opt.cache_dir / "git");
    return *sources;
  }

  void diff(const http::ServerRequest& req, http::ServerResponse& res) {
    std::string kind = req.param("kind"), ns = req.param("namespace"), name = req.param("name");
    if (!deployment_kind(kind)) return send_error(res, 400, "kind must be a deployment kind");
    auto r = feed.resource(kind, ns, name);
    if (!r) return send_error(res, 404, kind + " " + ns + "/" + name + " is not known");
    send_changes(res, *r);
  }

  // A new plan of the resource's pending changes (what `gantry deploy
  // --dry-run` of its source would show), or {error} when the source cannot
  // be fetched or rendered.
  void send_changes(http::ServerResponse& res, const Value& r) {
    try {
      Value v = changes_view(*preview_of(r, false));
      const Value* applied = r.find_path({"status", "lastAppliedRevision"});
      v.set("appliedRevision", applied && applied->is_string() ? applied->as_string() : "");
      send_json(res, 200, v);
    } catch (const gitops::SourceError& e) {
      send_json(res, 200, Value::object({{"error", e.reason + ": " + e.message}}));
    }
  }

  // `gantry prune` of the resource's source now: {revision, deleted [names],
  // kept [{object, why}], failures [{object, message}]}; 409 with {message}
  // when the source cannot be fetched or rendered or its render is empty.
  // `caller` must be allowed to delete every orphan (checked before the
  // first DELETE; 403 and nothing deleted otherwise).
  void prune(http::ServerResponse& res, const Value& r, const Caller& caller) {
    gitops::PruneNowResult p;
    auto check = [&](const std::vector<kube::Orphan>& orphans) {
      std::vector<Permission> deletes;
      for (const auto& o : orphans) {
        const Value* m = o.live.find("metadata");
        deletes.push_back({"delete", o.type.group, o.type.resource, "",
                           o.type.namespaced && m ? m->get_string("namespace") : "",
                           m ? m->get_string("name") : ""});
      }
      Verdict v = access.authorize(caller, deletes);
      if (!v.allowed()) throw v;
    };
    try {
      p = gitops::prune_now(client, mapper, source_cache(), own_cluster_spec(r), opt.cache_dir, 16,
                            check);
    } catch (const Verdict& v) {
      return send_error(res, v.status, v.message);
    } catch (const gitops::SourceError& e) {
      return send_error(res, 409, e.reason + ": " + e.message);
    } catch (const Error& e) {
      if (e.code() != ExitCode::kRefused) throw;
      return send_error(res, 409, e.why());
    }
    Value deleted = Value::list(), kept = Value::list(), failures = Value::list();
    for (const auto& v : p.victims)
      deleted.push_back(v);
    for (const auto& k : p.kept)
      kept.push_back(Value::object({{"object", k.object.name()}, {"why", k.why}}));
    for (const auto& f : p.report.failures)
      failures.push_back(Value::object({{"object", f.object}, {"message", f.message}}));
    send_json(res, p.report.failures.empty() ? 200 : 502,
              Value::object({{"revision", p.revision},
                             {"deleted", deleted},
                             {"kept", kept},
                             {"failures", failures}}));
  }

  void stream(http::ServerResponse& res) {
    res.content_type = "text/event-stream";
    res.headers.push_back({"X-Accel-Buffering", "no"});
    DeploymentFeed* f = &feed;
    auto keepalive = std::chrono::duration_cast<std::chrono::milliseconds>(opt.keepalive);
    res.stream = [f, keepalive](http::StreamWriter& w) {
      auto snapshot = [&](uint64_t* seq) {
        Value items = Value::list();
        for (auto& s : f->summaries(seq))
          items.push_back(std::move(s));
        return w.write(sse("snapshot", doc::to_json(items)));
      };
      uint64_t seq = 0;
      if (!w.write("retry: 2000\n\n") || !snapshot(&seq)) return;
      while (!f->stopped()) {
        bool reset = false;
        auto changes = f->wait_changes(seq, keepalive, &reset);
        if (f->stopped()) return;
        if (reset) {
          if (!snapshot(&seq)) return;
          continue;
        }
        if (changes.empty()) {
          if (!w.write(": keepalive\n\n")) return;
          continue;
        }
        for (const auto& c : changes) {
          bool ok = c.summary.is_null()
                        ? w.write(sse("deleted", doc::to_json(Value::object({{"key", c.key}}))))
                        : w.write(sse("deployment", doc::to_json(c.summary)));
          if (!ok) return;
          seq = c.seq;
        }
      }
    };
  }

  void action(const http::ServerRequest& req, http::ServerResponse& res, const std::string& verb) {
    if (req.method != "POST") {
      res.headers.push_back({"Allow", "POST"});
      return send_error(res, 405, "use POST");
    }
    if (!access.enabled())
      return send_error(
          res, 403, "the dashboard is read-only (start it with --token-file or --token-review)");
    Caller caller;
    Verdict v = access.authenticate(req.header("Authorization"), &caller);
    if (!v.allowed()) return send_error(res, v.status, v.message);
    // Browsers never send a custom header cross-site without a CORS
    // preflight, which this server never grants; Origin, when sent, must be ours.
    if (req.header("X-Gantry-CSRF") != "1")
      return send_error(res, 403, "the X-Gantry-CSRF header is missing");
    std::string origin = req.header("Origin");
    if (!origin.empty() && origin != "http://" + req.header("Host"))
      return send_error(res, 403, "cross-origin request refused");
    if (req.body.size() > kMaxBody) return send_error(res, 413, "body too large");
    std::string kind = req.param("kind"), ns = req.param("namespace"), name = req.param("name");
    if (!deployment_kind(kind)) return send_error(res, 400, "kind must be a deployment kind");
    auto r = feed.resource(kind, ns, name);
    if (!r) return send_error(res, 404, kind + " " + ns + "/" + name + " is not known");
    kube::ResourceType t =
        kind == gitops::kKind ? gitops::gantry_deployment_type() : gitops::kluctl_deployment_type();
    // What the action's own requests need: a merge patch of the resource
    // (reconcile, suspend, resume); reading it (dry run: server-side dry runs
    // change nothing and show what /api/diff shows; prune: then a delete of
    // each orphan, checked in prune()).
    bool patches = verb == "reconcile" || verb == "suspend" || verb == "resume";
    if (!patches && verb != "dry-run" && verb != "prune")
      return send_error(res, 404, "no such action: " + verb);
    v = access.authorize(caller, {{patches ? "patch" : "get", t.group, t.resource, "", ns, name}});
    if (!v.allowed()) return send_error(res, v.status, v.message);
    if (verb == "dry-run") return send_changes(res, *r);
    if (verb == "prune") return prune(res, *r, caller);
    if (verb == "reconcile") {
      std::string token =
          gitops::request_reconcile(client, t, ns, name, "dashboard (" + req.remote_addr + ")");
      return send_json(res, 202, Value::object({{"requested", token}}));
    }
    if (verb == "suspend" || verb == "resume") {
      gitops::set_suspended(client, t, ns, name, verb == "suspend");
      return send_json(res, 200, Value::object({{"suspended", verb == "suspend"}}));
    }
    send_error(res, 404, "no such action: " + verb);
  }
};

Dashboard::Dashboard(const kube::Client& client, DashboardOptions options)
    : impl_(std::make_unique<Impl>(client, std::move(options))) {}

Dashboard::~Dashboard() {
  stop();
}

void Dashboard::start() {
  auto [host, port] = http::parse_listen(impl_->opt.listen);
  http::ServerOptions so;
  so.host = host;
  so.port = port;
  so.worker_threads = 64;  // each open page holds one for its event stream
  so.max_body_bytes = kMaxBody;
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<http::Server>(
      so, [impl](const http::ServerRequest& req, http::ServerResponse& res) {
        impl->handle(req, res);
      });
  impl_->feed.start();
  impl_->server->start();
}

void Dashboard::stop() {
  impl_->feed.stop();
  if (impl_->server) impl_->server->stop();
}

int Dashboard::port() const {
  return impl_->server ? impl_->server->port() : 0;
}

void Dashboard::handle(const http::ServerRequest& req, http::ServerResponse& res) {
  impl_->handle(req, res);
}

}  // namespace gantry::dashboard
