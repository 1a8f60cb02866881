#include "oci/registry.h"

#include <algorithm>

#include "core/base64.h"
#include "doc/json.h"

namespace gantry::oci {

namespace {

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::vector<std::string> s = scopes;
  std::sort(s.begin(), s.end());
  std::string out;
  for (const auto& x : s)
    out += x + " ";
  return out;
}

// The registry's error text: "CODE: message" entries of {"errors":[...]}.
std::string error_detail(const http::Response& r) {
  std::string out;
  if (!r.body.empty() && r.body.front() == '{') {
    try {
      doc::Value v = doc::parse_json(r.body, "response");
      if (const doc::Value* errs = v.find("errors"); errs && errs->is_list()) {
        for (const auto& e : errs->as_list()) {
          if (!out.empty()) out += "; ";
          out += e.get_string("code");
          std::string msg = e.get_string("message");
          if (!msg.empty()) out += ": " + msg;
        }
      }
    } catch (const Error&) {
    }
  }
  if (out.size() > 300) out = out.substr(0, 300) + "...";
  return out;
}

std::string status_text(long s) {
  switch (s) {
    case 400:
      return "400 Bad Request";
    case 401:
      return "401 Unauthorized";
    case 403:
      return "403 Forbidden";
    case 404:
      return "404 Not Found";
    case 405:
      return "405 Method Not Allowed";
    case 413:
      return "413 Payload Too Large";
    case 416:
      return "416 Range Not Satisfiable";
    case 429:
      return "429 Too Many Requests";
    case 500:
      return "500 Internal Server Error";
    case 502:
      return "502 Bad Gateway";
    case 503:
      return "503 Service Unavailable";
    default:
      return std::to_string(s);
  }
}

std::string with_query(const std::string& url, std::string_view param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + std::string(param);
}

// The "next" URL of a Link header: <url>; rel="next"
std::optional<std::string> next_link(const std::string& link) {
  size_t pos = 0;
  while (pos < link.size()) {
    auto lt = link.find('<', pos);
    if (lt == std::string::npos) break;
    auto gt = link.find('>', lt);
    if (gt == std::string::npos) break;
    auto end = link.find(',', gt);
    std::string params =
        link.substr(gt + 1, end == std::string::npos ? std::string::npos : end - gt - 1);
    if (params.find("rel=\"next\"") != std::string::npos ||
        params.find("rel=next") != std::string::npos)
      return link.substr(lt + 1, gt - lt - 1);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

Registry::Registry(std::string host, std::shared_ptr<const http::Client> client, Credential cred,
                   RegistryOptions opts)
    : host_(std::move(host)), client_(std::move(client)), cred_(std::move(cred)), opts_(opts) {}

std::string Registry::base_url() {
  ensure_pinged();
  return base_;
}

void Registry::ensure_pinged() {
  std::lock_guard<std::mutex> g(mu_);
  if (pinged_) return;
  std::vector<std::string> schemes;
  if (opts_.plain_http) {
    schemes = {"http"};
  } else if (opts_.insecure || is_loopback_host(host_)) {
    schemes = {"https", "http"};
  } else {
    schemes = {"https"};
  }
  std::string errors;
  for (size_t i = 0; i < schemes.size(); ++i) {
    std::string base = schemes[i] + "://" + host_;
    http::Request req;
    req.url = base + "/v2/";
    req.max_body_bytes = 1 << 20;
    if (i + 1 < schemes.size()) req.retry = false;  // a quick probe before falling back
    http::Response resp;
    try {
      resp = client_->send(req);
    } catch (const Error& e) {
      if (!errors.empty()) errors += "; ";
      errors += e.why();
      continue;
    }
    if (resp.status == 200) {
      auth_ = Scheme::kNone;
    } else if (resp.status == 401) {
      learn_challenge(resp, "GET /v2/");
    } else {
      if (i + 1 < schemes.size() && resp.status == 400)
        continue;           // "plain HTTP request sent to HTTPS port"
      if (!errors.empty())  // https failed first: that is the interesting part
        throw Error("cannot reach registry " + host_ + ": " + errors +
                        "; and over plain HTTP GET /v2/ returned " + status_text(resp.status),
                    ExitCode::kExternal);
      throw Error(
          host_ + ": GET /v2/ returned " + status_text(resp.status) + " (is this an OCI registry?)",
          ExitCode::kExternal);
    }
    base_ = base;
    pinged_ = true;
    return;
  }
  throw Error("cannot reach registry " + host_ + ": " + errors, ExitCode::kExternal);
}

// Call with mu_ held.
void Registry::learn_challenge(const http::Response& resp, const std::string& what) {
  auto header = resp.header("www-authenticate");
  if (!header)
    throw Error(host_ + ": " + what +
                    ": 401 Unauthorized without a WWW-Authenticate challenge; cannot authenticate",
                ExitCode::kExternal);
  auto challenges = parse_challenges(*header);
  for (const auto& c : challenges) {
    if (c.scheme == "bearer" && !c.param("realm").empty()) {
      std::string realm = c.param("realm");
      if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
        throw Error(host_ + ": the token realm is not an http(s) URL", ExitCode::kExternal);
      realm_ = realm;
      service_ = c.param("service");
      auth_ = Scheme::kBearer;
      return;
    }
  }
  for (const auto& c : challenges) {
    if (c.scheme == "basic") {
      auth_ = Scheme::kBasic;
      return;
    }
  }
  throw Error(host_ + ": " + what +
                  ": 401 Unauthorized with an unsupported challenge (need Basic or Bearer)",
              ExitCode::kExternal);
}

std::string Registry::fetch_token(const std::vector<std::string>& scopes, const std::string& realm,
                                  const std::string& service) {
  http::Request req;
  req.max_body_bytes = 1 << 20;
  std::string query = "service=" + http::url_encode(service);
  for (const auto& s : scopes)
    query += "&scope=" + http::url_encode(s);
  std::string form;
  if (!cred_.identity_token.empty()) {
    req.method = "POST";
    req.url = realm;
    form = "grant_type=refresh_token&client_id=gantry&refresh_token=" +
           http::url_encode(cred_.identity_token) + "&" + query;
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    req.body = http::Body::memory(form);
  } else {
    req.url = with_query(realm, query);
    if (!cred_.username.empty() || !cred_.password.empty())
      req.headers.push_back(
          {"Authorization", "Basic " + base64_encode(cred_.username + ":" + cred_.password)});
  }
  http::Response resp = client_->send(req);
  if (resp.status == 401 || resp.status == 403)
    throw Error(host_ + ": the token service " + realm.substr(0, realm.find('?')) + " refused " +
                    (cred_.empty() ? "anonymous access" : "the credentials") + " (" +
                    status_text(resp.status) + ")",
                ExitCode::kExternal);
  if (!resp.ok())
    throw Error(host_ + ": the token service returned " + status_text(resp.status),
                ExitCode::kExternal);
  doc::Value v;
  try {
    v = doc::parse_json(resp.body, "token response");
  } catch (const Error&) {
    throw Error(host_ + ": the token service answered with something that is not JSON",
                ExitCode::kExternal);
  }
  std::string token = v.get_string("token");
  if (token.empty()) token = v.get_string("access_token");
  if (token.empty())
    throw Error(host_ + ": the token service returned no token", ExitCode::kExternal);
  return token;
}

void Registry::authorize(http::Request& req, const std::vector<std::string>& scopes, bool refresh) {
  std::erase_if(req.headers, [](const http::Header& h) { return h.name == "Authorization"; });
  std::unique_lock<std::mutex> g(mu_);
  // Credentials go only to this registry, never to another host named in a Location.
  if (req.url.rfind(base_ + "/", 0) != 0) return;
  if (auth_ == Scheme::kBasic) {
    if (cred_.username.empty() && cred_.password.empty()) return;
    req.headers.push_back(
        {"Authorization", "Basic " + base64_encode(cred_.username + ":" + cred_.password)});
  } else if (auth_ == Scheme::kBearer) {
    std::string key = join_scopes(scopes);
    auto it = tokens_.find(key);
    std::string token;
    if (it != tokens_.end() && !refresh) {
      token = it->second;
    } else {
      std::string realm = realm_, service = service_;
      g.unlock();  // token fetches run without the lock; a duplicate fetch is harmless
      token = fetch_token(scopes, realm, service);
      g.lock();
      tokens_[key] = token;
    }
    req.headers.push_back({"Authorization", "Bearer " + token});
  }
}

http::Response Registry::send(http::Request req, const std::vector<std::string>& scopes) {
  ensure_pinged();
  authorize(req, scopes, false);
  http::Response resp = client_->send(req);
  if (resp.status != 401) return resp;
  std::string what =
      req.method + " " + req.url.substr(base_.size(), req.url.find('?') - base_.size());
  Scheme scheme;
  {
    std::lock_guard<std::mutex> g(mu_);
    learn_challenge(resp, what);
    scheme = auth_;
  }
  if (scheme == Scheme::kBasic && cred_.username.empty() && cred_.password.empty())
    throw Error(host_ +
                    " requires authentication and no credentials were found (use --creds, "
                    "GANTRY_REGISTRY_USERNAME/GANTRY_REGISTRY_PASSWORD or docker login)",
                ExitCode::kExternal);
  if (req.body.kind == http::Body::Kind::kStream)
    throw Error(host_ + ": " + what + ": 401 Unauthorized during a streamed upload",
                ExitCode::kExternal);
  authorize(req, scopes, true);
  resp = client_->send(req);
  if (resp.status == 401)
    throw Error(host_ + ": " + what + ": 401 Unauthorized: " +
                    (cred_.empty() ? std::string("no credentials were found for this registry")
                                   : std::string("the credentials were rejected")),
                ExitCode::kExternal);
  return resp;
}

void Registry::fail(const std::string& what, const http::Response& resp) {
  // A registry that echoes a secret back must not get it printed: redact
  // before the detail is extracted and shortened.
  http::Response redacted = resp;
  std::vector<std::string> secrets{cred_.password, cred_.identity_token,
                                   base64_encode(cred_.username + ":" + cred_.password)};
  {
    std::lock_guard<std::mutex> g(mu_);
    for (const auto& [scope, token] : tokens_)
      secrets.push_back(token);
  }
  for (const auto& secret : secrets) {
    if (secret.size() < 4) continue;
    std::string& body = redacted.body;
    for (size_t p = body.find(secret); p != std::string::npos; p = body.find(secret, p))
      body.replace(p, secret.size(), "<redacted>");
  }
  std::string detail = error_detail(redacted);
  ExitCode code = resp.status == 404 ? ExitCode::kNotFound : ExitCode::kExternal;
  throw Error(host_ + ": " + what + ": " + status_text(resp.status) +
                  (detail.empty() ? "" : " (" + detail + ")"),
              code);
}

std::optional<int64_t> Registry::blob_size(std::string_view repo, const Digest& d) {
  http::Request req;
  req.method = "HEAD";
  req.url = url("/v2/" + std::string(repo) + "/blobs/" + d.str());
  http::Response resp = send(req, {repository_scope(repo, "pull")});
  if (resp.status == 404) return std::nullopt;
  if (!resp.ok()) fail("HEAD blob " + d.str(), resp);
  auto len = resp.header("content-length");
  return len ? std::atoll(len->c_str()) : -1;
}

void Registry::fetch_blob(std::string_view repo, const Descriptor& d,
                          const std::function<void(std::string_view)>& sink,
                          const std::function<void()>& restart,
                          const std::function<void(uint64_t)>& progress) {
  Hasher hasher(d.digest.algorithm());
  http::Request req;
  req.url = url("/v2/" + std::string(repo) + "/blobs/" + d.digest.str());
  req.follow_redirects = true;
  req.max_body_bytes = static_cast<uint64_t>(d.size);
  req.sink = [&](std::string_view chunk) {
    hasher.update(chunk);
    sink(chunk);
  };
  if (restart)
    req.on_retry = [&] {
      hasher.reset();
      restart();
    };
  req.on_progress = progress;
  http::Response resp;
  try {
    resp = send(req, {repository_scope(repo, "pull")});
  } catch (Error& e) {
    if (e.why().find("larger than the limit") != std::string::npos)
      throw IntegrityError(host_ + ": blob " + d.digest.str() +
                           " is larger than its descriptor's size " + std::to_string(d.size));
    if (e.why().find("Transferred a partial file") != std::string::npos)
      e.add_context(host_ + ": blob " + d.digest.str() +
                    " is truncated (the connection closed early)");
    throw;
  }
  if (!resp.ok()) fail("GET blob " + std::string(repo) + "@" + d.digest.str(), resp);
  uint64_t n = hasher.bytes();
  if (static_cast<int64_t>(n) != d.size)
    throw IntegrityError(host_ + ": blob " + d.digest.str() + " is truncated: got " +
                         std::to_string(n) + " of " + std::to_string(d.size) + " bytes");
  Digest got = hasher.finish();
  if (got != d.digest)
    throw IntegrityError(host_ + ": blob " + d.digest.str() +
                         " has the wrong content (its digest is " + got.str() + ")");
}

bool Registry::mount_blob(std::string_view repo, const Digest& d, std::string_view from_repo,
                          std::string* location) {
  http::Request req;
  req.method = "POST";
  req.url = url("/v2/" + std::string(repo) + "/blobs/uploads/?mount=" + http::url_encode(d.str()) +
                "&from=" + http::url_encode(from_repo));
  http::Response resp =
      send(req, {repository_scope(repo, "pull,push"), repository_scope(from_repo, "pull")});
  if (resp.status == 201) return true;
  if (resp.status == 202) {
    if (auto loc = resp.header("location"); loc && location)
      *location = http::resolve_url(resp.url, *loc);
    return false;
  }
  fail("mounting blob " + d.str() + " from " + std::string(from_repo), resp);
}

void Registry::upload_blob(std::string_view repo, const Descriptor& d, const http::Body& body,
                           const std::function<void(uint64_t)>& progress, std::string location) {
  std::vector<std::string> scopes{repository_scope(repo, "pull,push")};
  if (location.empty()) {
    http::Request start;
    start.method = "POST";
    start.url = url("/v2/" + std::string(repo) + "/blobs/uploads/");
    http::Response resp = send(start, scopes);
    if (resp.status != 202) fail("starting the upload of " + d.digest.str(), resp);
    auto loc = resp.header("location");
    if (!loc)
      throw Error(host_ + ": the upload start response has no Location", ExitCode::kExternal);
    location = http::resolve_url(resp.url, *loc);
  }
  bool chunked = opts_.chunk_size > 0 && static_cast<uint64_t>(d.size) > opts_.chunk_size &&
                 body.kind != http::Body::Kind::kStream;
  if (chunked) {
    uint64_t off = 0;
    while (off < static_cast<uint64_t>(d.size)) {
      uint64_t n = std::min<uint64_t>(opts_.chunk_size, static_cast<uint64_t>(d.size) - off);
      http::Request patch;
      patch.method = "PATCH";
      patch.url = location;
      patch.headers.push_back({"Content-Type", "application/octet-stream"});
      patch.headers.push_back(
          {"Content-Range", std::to_string(off) + "-" + std::to_string(off + n - 1)});
      if (body.kind == http::Body::Kind::kFile)
        patch.body = http::Body::file_range(body.file, body.offset + off, n);
      else
        patch.body = http::Body::memory(body.data.substr(off, n));
      uint64_t base = off;
      if (progress) patch.on_progress = [&](uint64_t b) { progress(base + b); };
      patch.retry = false;  // a retried PATCH could append twice
      http::Response resp = send(patch, scopes);
      if (resp.status != 202) fail("uploading a chunk of " + d.digest.str(), resp);
      auto loc = resp.header("location");
      if (!loc)
        throw Error(host_ + ": the chunk upload response has no Location", ExitCode::kExternal);
      location = http::resolve_url(resp.url, *loc);
      off += n;
    }
    http::Request put;
    put.method = "PUT";
    put.url = with_query(location, "digest=" + http::url_encode(d.digest.str()));
    http::Response resp = send(put, scopes);
    if (resp.status != 201) fail("finishing the upload of " + d.digest.str(), resp);
    return;
  }
  http::Request put;
  put.method = "PUT";
  put.url = with_query(location, "digest=" + http::url_encode(d.digest.str()));
  put.headers.push_back({"Content-Type", "application/octet-stream"});
  put.body = body;
  put.on_progress = progress;
  http::Response resp = send(put, scopes);
  if (resp.status != 201) fail("uploading blob " + d.digest.str(), resp);
}

Manifest Registry::get_manifest(std::string_view repo, std::string_view reference) {
  http::Request req;
  req.url = url("/v2/" + std::string(repo) + "/manifests/" + std::string(reference));
  req.headers.push_back({"Accept", media::accept_header()});
  req.max_body_bytes = opts_.manifest_limit;
  http::Response resp;
  std::string where = host_ + "/" + std::string(repo) + ":" + std::string(reference);
  if (reference.find(':') != std::string_view::npos)
    where = host_ + "/" + std::string(repo) + "@" + std::string(reference);
  try {
    resp = send(req, {repository_scope(repo, "pull")});
  } catch (Error& e) {
    if (e.why().find("larger than the limit") != std::string::npos)
      throw Error(where + ": the manifest is larger than the limit of " +
                      std::to_string(opts_.manifest_limit) + " bytes",
                  ExitCode::kExternal);
    throw;
  }
  if (!resp.ok())
    fail("GET manifest " + std::string(repo) + (Digest::valid(reference) ? "@" : ":") +
             std::string(reference),
         resp);
  std::string ct = resp.header("content-type").value_or("");
  Manifest m = parse_manifest(std::move(resp.body), ct, where);
  if (Digest::valid(reference) && m.digest.str() != reference)
    throw IntegrityError(where + ": the manifest's digest is " + m.digest.str() +
                         ", not the requested one");
  if (auto dh = resp.header("docker-content-digest"); dh && Digest::valid(*dh)) {
    Digest hd = Digest::parse(*dh);
    if (hd.algorithm() == "sha256" && hd != m.digest)
      throw IntegrityError(where + ": the registry says the manifest's digest is " + hd.str() +
                           " but its content hashes to " + m.digest.str());
  }
  return m;
}

std::optional<Descriptor> Registry::head_manifest(std::string_view repo,
                                                  std::string_view reference) {
  http::Request req;
  req.method = "HEAD";
  req.url = url("/v2/" + std::string(repo) + "/manifests/" + std::string(reference));
  req.headers.push_back({"Accept", media::accept_header()});
  http::Response resp = send(req, {repository_scope(repo, "pull")});
  if (resp.status == 404) return std::nullopt;
  if (!resp.ok())
    fail("HEAD manifest " + std::string(repo) + (Digest::valid(reference) ? "@" : ":") +
             std::string(reference),
         resp);
  Descriptor d;
  d.media_type = resp.header("content-type").value_or("");
  if (auto dh = resp.header("docker-content-digest"); dh && Digest::valid(*dh))
    d.digest = Digest::parse(*dh);
  if (auto len = resp.header("content-length")) d.size = std::atoll(len->c_str());
  return d;
}

void Registry::put_manifest(std::string_view repo, std::string_view reference, const Manifest& m) {
  http::Request req;
  req.method = "PUT";
  req.url = url("/v2/" + std::string(repo) + "/manifests/" + std::string(reference));
  req.headers.push_back({"Content-Type", m.media_type});
  req.body = http::Body::memory(m.bytes);
  http::Response resp = send(req, {repository_scope(repo, "pull,push")});
  if (resp.status != 201 && resp.status != 200)
    fail("PUT manifest " + std::string(repo) + (Digest::valid(reference) ? "@" : ":") +
             std::string(reference),
         resp);
  if (auto dh = resp.header("docker-content-digest");
      dh && Digest::valid(*dh) && Digest::parse(*dh) != m.digest)
    throw IntegrityError(host_ + ": the registry stored the manifest as " + *dh + ", expected " +
                         m.digest.str());
}

std::vector<std::string> Registry::list_tags(std::string_view repo) {
  std::vector<std::string> tags;
  std::string next = url("/v2/" + std::string(repo) + "/tags/list");
  if (opts_.tags_page_size > 0) next += "?n=" + std::to_string(opts_.tags_page_size);
  for (int page = 0; page < 100000 && !next.empty(); ++page) {
    http::Request req;
    req.url = next;
    req.max_body_bytes = 32u << 20;
    http::Response resp = send(req, {repository_scope(repo, "pull")});
    if (!resp.ok()) fail("listing tags of " + std::string(repo), resp);
    doc::Value v;
    try {
      v = doc::parse_json(resp.body, host_ + " tags/list");
    } catch (const Error& e) {
      throw Error(host_ + ": the tag list is not valid JSON: " + e.why(), ExitCode::kExternal);
    }
    if (const doc::Value* t = v.find("tags"); t && t->is_list())
      for (const auto& x : t->as_list())
        if (x.is_string()) tags.push_back(x.as_string());
    next.clear();
    if (auto link = resp.header("link")) {
      if (auto n = next_link(*link)) {
        std::string resolved = http::resolve_url(resp.url, *n);
        // Stay on the registry: a Link to another host would receive our token.
        if (resolved.rfind(base_ + "/", 0) != 0)
          throw Error(host_ + ": the tag list's next page points to another host",
                      ExitCode::kExternal);
        if (resolved == req.url)
          throw Error(host_ + ": the tag list's next page is the same page", ExitCode::kExternal);
        next = resolved;
      }
    }
  }
  return tags;
}

Session::Session(Options opts) : opts_(std::move(opts)), store_(opts_.auth_file) {
  http::ClientOptions h = opts_.http;
  h.ca_pem = opts_.ca_pem;
  client_ = std::make_shared<http::Client>(h);
  h.insecure_tls = true;
  insecure_client_ = std::make_shared<http::Client>(h);
}

Registry& Session::registry(const std::string& host, const std::optional<Credential>& cred) {
  std::lock_guard<std::mutex> g(mu_);
  std::string key =
      host + "\n" +
      (cred ? cred->username + "\n" + std::to_string(std::hash<std::string>{}(cred->password))
            : "");
  auto it = registries_.find(key);
  if (it != registries_.end()) return *it->second;
  Credential c;
  if (cred && !cred->empty()) {
    c = *cred;
  } else {
    const char* u = std::getenv("GANTRY_REGISTRY_USERNAME");
    const char* p = std::getenv("GANTRY_REGISTRY_PASSWORD");
    if (u && *u) {
      c.username = u;
      c.password = p ? p : "";
    } else {
      c = store_.lookup(host);
    }
  }
  bool insecure = opts_.insecure ||
                  std::find(opts_.insecure_registries.begin(), opts_.insecure_registries.end(),
                            host) != opts_.insecure_registries.end();
  RegistryOptions ro;
  ro.insecure = insecure;
  ro.plain_http = opts_.plain_http;
  ro.manifest_limit = opts_.manifest_limit;
  ro.chunk_size = opts_.chunk_size;
  ro.tags_page_size = opts_.tags_page_size;
  auto r = std::make_unique<Registry>(host, insecure ? insecure_client_ : client_, c, ro);
  Registry& ref = *r;
  registries_[key] = std::move(r);
  return ref;
}

}  // namespace gantry::oci
