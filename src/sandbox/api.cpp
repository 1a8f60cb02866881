// The sandbox API server: routing requests to the handlers, and Api itself.
#include "sandbox/api_internal.h"

namespace gantry::sandbox {

std::optional<Route> Api::Impl::parse_route(const std::string& path) const {
  auto seg = path_segments(path);
  Route r;
  size_t i = 0;
  if (seg.size() >= 2 && seg[0] == "api") {
    r.version = seg[1];
    i = 2;
  } else if (seg.size() >= 3 && seg[0] == "apis") {
    r.group = seg[1];
    r.version = seg[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  if (i < seg.size() && seg[i] == "watch") {
    r.watch_prefix = true;
    ++i;
  }
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.empty()) return std::nullopt;
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    auto t = find_type(r.group, r.version, rest[2]);
    if (t && t->namespaced) {
      r.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (rest.size() > 3) return std::nullopt;
  r.resource = rest[0];
  if (rest.size() > 1) r.name = rest[1];
  if (rest.size() > 2) r.subresource = rest[2];
  return r;
}

void Api::Impl::handle(const http::ServerRequest& req, http::ServerResponse& res) {
  try {
    const std::string& p = req.path;
    if (p == "/healthz" || p == "/readyz" || p == "/livez") {
      res.status = 200;
      res.content_type = "text/plain; charset=utf-8";
      res.body = "ok";
      return;
    }
    if (p == "/version") {
      respond(res, 200,
              Value::object({{"major", "1"},
                             {"minor", "32"},
                             {"gitVersion", "v1.32.0-gantry-sandbox"},
                             {"gitCommit", "0000000000000000000000000000000000000000"},
                             {"gitTreeState", "clean"},
                             {"buildDate", "2026-01-01T00:00:00Z"},
                             {"goVersion", "go1.23"},
                             {"compiler", "gc"},
                             {"platform", "linux/amd64"}}));
      return;
    }
    std::optional<Identity> who = admit(req, res);
    if (!who) return;
    if (p == "/api" || p == "/apis" || p.rfind("/apis/", 0) == 0 || p.rfind("/api/", 0) == 0) {
      auto seg = path_segments(p);
      bool discovery = seg.size() == 1 || (seg[0] == "api" && seg.size() == 2) ||
                       (seg[0] == "apis" && seg.size() <= 3);
      if (discovery) {
        if (req.method != "GET")
          fail(405, "MethodNotAllowed",
               "the server does not allow this method on the requested resource");
        serve_discovery(req, res);
        return;
      }
      auto route = parse_route(p);
      if (!route)
        fail(404, "NotFound", "the server could not find the requested resource", Value::map());
      serve_resource(req, res, *route);
      return;
    }
    if (p.rfind("/openapi/", 0) == 0 && serve_openapi(req, res)) return;
    fail(404, "NotFound", "the server could not find the requested resource", Value::map());
  } catch (const ApiError& e) {
    respond(res, e.code(), e.status);
  } catch (const Error& e) {
    // Input of a shape the handlers did not expect (a list where a map belongs ...).
    respond(res, 400, status_object(400, "BadRequest", e.why()));
  } catch (const std::exception& e) {
    respond(
        res, 500,
        status_object(500, "InternalError", std::string("Internal error occurred: ") + e.what()));
  }
}

void Api::handle(const http::ServerRequest& req, http::ServerResponse& res) {
  impl_->handle(req, res);
}

void Api::reconcile() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->reconcile();
}

std::string Api::snapshot_json() const {
  // Collect the (immutable, shared) objects under the lock; serialize outside it.
  std::vector<ObjPtr> objs;
  uint64_t at = 0;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    at = impl_->rv;
    // CRDs first, so that a restore can register their types before their objects.
    const std::string crd_key = impl_->crd_type().storage_key();
    if (auto it = impl_->store.find(crd_key); it != impl_->store.end())
      for (const auto& [k, o] : it->second)
        objs.push_back(o);
    for (const auto& [skey, m] : impl_->store) {
      if (skey == crd_key) continue;
      for (const auto& [k, o] : m)
        objs.push_back(o);
    }
  }
  std::string out = "{\"resourceVersion\":" + std::to_string(at) + ",\"objects\":[";
  for (size_t i = 0; i < objs.size(); ++i) {
    if (i) out += ",\n";
    out += doc::to_json(*objs[i]);
  }
  out += "]}\n";
  return out;
}

void Api::restore(const doc::Value& snap) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Impl& im = *impl_;
  im.store.clear();
  im.events.clear();
  const Value* objs = snap.find("objects");
  if (objs && objs->is_list()) {
    for (const auto& o : objs->as_list()) {
      std::string av = o.get_string("apiVersion");
      std::string group = av.find('/') == std::string::npos ? "" : av.substr(0, av.find('/'));
      std::string version = av.substr(av.find('/') == std::string::npos ? 0 : av.find('/') + 1);
      std::optional<ResourceType> t;
      for (const auto& ty : im.all_types())
        if (ty.group == group && ty.kind == o.get_string("kind")) t = ty;
      if (!t) continue;
      im.store[t->storage_key()][Impl::okey(meta_str(o, "namespace"), meta_str(o, "name"))] =
          std::make_shared<const Value>(o);
      if (t->kind == "CustomResourceDefinition" && !t->custom) im.rebuild_crd_types();
    }
  }
  if (const Value* r = snap.find("resourceVersion"); r && r->is_int())
    im.rv = std::max<uint64_t>(im.rv, static_cast<uint64_t>(r->as_int()));
}

uint64_t Api::resource_version() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->rv;
}

void Api::shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
}

}  // namespace gantry::sandbox
