#include "http/client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include "core/error.h"

namespace gantry::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// The URL without its query string: queries can carry upload state or tokens.
std::string safe_url(std::string_view url) {
  auto q = url.find('?');
  return std::string(url.substr(0, q));
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// State of one attempt, reached from curl's callbacks.
struct Transfer {
  const Request* req = nullptr;
  Response* resp = nullptr;
  long status = 0;
  uint64_t received = 0;  // body bytes of the current response
  uint64_t sent = 0;
  bool sink_used = false;
  bool too_large = false;
  bool cancelled = false;
  std::exception_ptr error;
  int fd = -1;  // file body
  uint64_t sent_limit = 0;
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a redirect or a 100 Continue): start over.
    t->resp->headers.clear();
    auto sp = line.find(' ');
    t->status =
        sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    t->resp->headers.push_back(
        {lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))});
  return size * n;
}

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  bool success = t->status >= 200 && t->status < 300;
  if (t->status >= 300 && t->status < 400 && t->req->follow_redirects) return len;  // redirect body
  t->received += len;
  uint64_t limit = t->req->max_body_bytes;
  if (!success) limit = std::min<uint64_t>(limit, 1u << 20);
  if (t->received > limit) {
    t->too_large = true;
    return 0;
  }
  if (success && t->req->sink) {
    t->sink_used = true;
    try {
      t->req->sink(std::string_view(data, len));
    } catch (...) {
      t->error = std::current_exception();
      return 0;
    }
  } else {
    t->resp->body.append(data, len);
  }
  if (t->req->on_progress) {
    try {
      t->req->on_progress(t->received);
    } catch (...) {
      t->error = std::current_exception();
      return 0;
    }
  }
  return len;
}

int on_xferinfo(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->req->cancelled) return 0;
  try {
    if (t->req->cancelled()) {
      t->cancelled = true;
      return 1;
    }
  } catch (...) {
    t->error = std::current_exception();
    return 1;
  }
  return 0;
}

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const Body& b = t->req->body;
  size_t want = size * n;
  uint64_t left = b.length - t->sent;
  if (want > left) want = static_cast<size_t>(left);
  if (want == 0) return 0;
  size_t got = 0;
  try {
    switch (b.kind) {
      case Body::Kind::kMemory:
        std::memcpy(buf, b.data.data() + t->sent, want);
        got = want;
        break;
      case Body::Kind::kFile: {
        ssize_t r;
        do {
          r = ::pread(t->fd, buf, want, static_cast<off_t>(b.offset + t->sent));
        } while (r < 0 && errno == EINTR);
        if (r <= 0)
          throw Error("reading " + b.file.string() + ": " +
                          (r < 0 ? std::strerror(errno) : "file is shorter than expected"),
                      ExitCode::kExternal);
        got = static_cast<size_t>(r);
        break;
      }
      case Body::Kind::kStream:
        got = b.reader(buf, want);
        if (got == 0) throw Error("the upload stream ended early", ExitCode::kExternal);
        break;
      case Body::Kind::kNone:
        return 0;
    }
  } catch (...) {
    t->error = std::current_exception();
    return CURL_READFUNC_ABORT;
  }
  t->sent += got;
  if (t->req->on_progress) {
    try {
      t->req->on_progress(t->sent);
    } catch (...) {
      t->error = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
  }
  return got;
}

CURLcode on_ssl_ctx(CURL*, void* ssl_ctx, void* user) {
  const auto* pem = static_cast<const std::string*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  BIO* bio = BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size()));
  if (!bio) return CURLE_OUT_OF_MEMORY;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);  // duplicates are harmless
    X509_free(cert);
  }
  ERR_clear_error();
  BIO_free(bio);
  return CURLE_OK;
}

bool retryable_curl(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

bool retryable_status(long s) {
  return s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return h.value;
  return std::nullopt;
}

std::vector<std::string> Response::header_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& h : headers)
    if (iequals(h.name, name)) out.push_back(h.value);
  return out;
}

struct Client::Impl {
  ClientOptions opts;
  CURLSH* share = nullptr;
  std::mutex locks[CURL_LOCK_DATA_LAST];
  std::mutex pool_mu;
  std::vector<CURL*> pool;  // idle easy handles

  static void lock_cb(CURL*, curl_lock_data d, curl_lock_access, void* user) {
    static_cast<Impl*>(user)->locks[d].lock();
  }
  static void unlock_cb(CURL*, curl_lock_data d, void* user) {
    static_cast<Impl*>(user)->locks[d].unlock();
  }

  CURL* acquire() {
    {
      std::lock_guard<std::mutex> g(pool_mu);
      if (!pool.empty()) {
        CURL* h = pool.back();
        pool.pop_back();
        curl_easy_reset(h);
        return h;
      }
    }
    CURL* h = curl_easy_init();
    if (!h) throw Error("cannot create an HTTP handle", ExitCode::kInternal);
    return h;
  }
  void release(CURL* h) {
    std::lock_guard<std::mutex> g(pool_mu);
    pool.push_back(h);
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  global_init();
  impl_->opts = std::move(options);
  impl_->share = curl_share_init();
  curl_share_setopt(impl_->share, CURLSHOPT_LOCKFUNC, &Impl::lock_cb);
  curl_share_setopt(impl_->share, CURLSHOPT_UNLOCKFUNC, &Impl::unlock_cb);
  curl_share_setopt(impl_->share, CURLSHOPT_USERDATA, impl_.get());
  // Connections are not shared through the share object: libcurl does not
  // support one connection cache used by concurrent threads (a request of
  // the GitOps controller hung for more than 30 s under load with it). Each
  // pooled handle keeps its own connections across uses instead
  // (curl_easy_reset keeps live connections), and TLS sessions stay shared,
  // so a new connection resumes its session rather than doing a full handshake.
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(impl_->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

Client::~Client() {
  for (CURL* h : impl_->pool)
    curl_easy_cleanup(h);
  curl_share_cleanup(impl_->share);
}

const ClientOptions& Client::options() const {
  return impl_->opts;
}

Response Client::send(const Request& req) const {
  const ClientOptions& o = impl_->opts;
  // For retry jitter; seeding a generator per request cost a seventh of a
  // 1,000-object deploy's CPU.
  thread_local std::mt19937 rng(std::random_device{}());
  int fd = -1;
  if (req.body.kind == Body::Kind::kFile) {
    fd = ::open(req.body.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw Error("opening " + req.body.file.string() + ": " + std::strerror(errno),
                  ExitCode::kNotFound);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};

  for (int attempt = 0;; ++attempt) {
    Response resp;
    resp.attempts = attempt + 1;
    Transfer t;
    t.req = &req;
    t.resp = &resp;
    t.fd = fd;

    CURL* h = impl_->acquire();
    struct Releaser {
      Impl* impl;
      CURL* h;
      ~Releaser() { impl->release(h); }
    } releaser{impl_.get(), h};

    curl_easy_setopt(h, CURLOPT_SHARE, impl_->share);
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(h, CURLOPT_USERAGENT, o.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
    auto stall = req.stall_timeout.count() < 0 ? o.stall_timeout : req.stall_timeout;
    if (stall.count() > 0) {
      long stall_s = std::max<long>(1, static_cast<long>(stall.count() / 1000));
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s);
    }
    if (req.cancelled) {
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_xferinfo);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    }
    if (req.timeout.count() > 0)
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (o.insecure_tls) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    // More idle connections than curl's default of 5: with more requests in
    // flight than that, every finished request would close the oldest idle
    // connection and the next would pay a new TLS handshake.
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, o.max_connections);
    if (!o.ca_pem.empty() && o.ca_exclusive) {
      // Only this CA: a small blob parsed per connection instead of the
      // system bundle.
      curl_blob ca{const_cast<char*>(o.ca_pem.data()), o.ca_pem.size(), CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
      curl_easy_setopt(h, CURLOPT_CAPATH, nullptr);
    } else if (!o.ca_pem.empty()) {
      curl_easy_setopt(h, CURLOPT_CA_CACHE_TIMEOUT, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &on_ssl_ctx);
      curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, const_cast<std::string*>(&o.ca_pem));
    }
    if (!o.client_cert_pem.empty()) {
      curl_blob cert{const_cast<char*>(o.client_cert_pem.data()), o.client_cert_pem.size(),
                     CURL_BLOB_NOCOPY};
      curl_blob key{const_cast<char*>(o.client_key_pem.data()), o.client_key_pem.size(),
                    CURL_BLOB_NOCOPY};
      curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
      curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
      curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
      curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    if (req.follow_redirects) {
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
      curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }

    curl_slist* hdrs = nullptr;
    for (const auto& hd : req.headers)
      hdrs = curl_slist_append(hdrs, (hd.name + ": " + hd.value).c_str());
    hdrs = curl_slist_append(hdrs, "Expect:");
    struct SlistFree {
      curl_slist* l;
      ~SlistFree() { curl_slist_free_all(l); }
    } slist_free{hdrs};
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    if (req.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &t);
      curl_easy_setopt(
          h, CURLOPT_INFILESIZE_LARGE,
          static_cast<curl_off_t>(req.body.kind == Body::Kind::kNone ? 0 : req.body.length));
    }

    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char* eff = nullptr;
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
    resp.status = status;
    resp.url = eff ? eff : req.url;

    if (t.error) std::rethrow_exception(t.error);
    if (t.cancelled)
      throw Error(req.method + " " + safe_url(req.url) + ": cancelled", ExitCode::kExternal);
    if (t.too_large)
      throw Error(req.method + " " + safe_url(req.url) +
                      ": the response is larger than the limit of " +
                      std::to_string(req.max_body_bytes) + " bytes",
                  ExitCode::kExternal);

    bool can_retry = req.retry && attempt < o.max_retries && req.body.kind != Body::Kind::kStream &&
                     (!t.sink_used || req.on_retry);
    std::chrono::milliseconds delay = o.retry_base * (1 << std::min(attempt, 10));
    delay = std::min(delay, o.retry_max);
    delay +=
        std::chrono::milliseconds(std::uniform_int_distribution<long>(0, delay.count() / 2)(rng));

    if (rc != CURLE_OK) {
      if (can_retry && retryable_curl(rc)) {
        if (t.sink_used) req.on_retry();
        std::this_thread::sleep_for(delay);
        continue;
      }
      throw Error(req.method + " " + safe_url(req.url) + ": " + curl_easy_strerror(rc) +
                      (attempt ? " (after " + std::to_string(attempt + 1) + " attempts)" : ""),
                  ExitCode::kExternal);
    }
    if (retryable_status(status) && can_retry) {
      if (auto ra = resp.header("retry-after")) {
        if (auto d = parse_retry_after(*ra))
          delay = std::max(delay, std::min(*d, o.retry_after_max));
      }
      if (t.sink_used) req.on_retry();
      std::this_thread::sleep_for(delay);
      continue;
    }
    return resp;
  }
}

std::string resolve_url(std::string_view base, std::string_view ref) {
  if (ref.find("://") != std::string_view::npos) return std::string(ref);
  auto scheme_end = base.find("://");
  size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t path_start = base.find('/', host_start);
  std::string origin(base.substr(0, path_start));
  if (ref.rfind("//", 0) == 0)
    return std::string(base.substr(0, host_start - 2)) + std::string(ref);
  if (!ref.empty() && ref.front() == '/') return origin + std::string(ref);
  // relative path: replace the last segment of the base path
  std::string_view path = path_start == std::string_view::npos ? "/" : base.substr(path_start);
  path = path.substr(0, path.find('?'));
  auto slash = path.rfind('/');
  return origin + std::string(path.substr(0, slash + 1)) + std::string(ref);
}

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::milliseconds(999'999'999'000LL);
    return std::chrono::seconds(std::atol(std::string(value).c_str()));
  }
  time_t when = curl_getdate(std::string(value).c_str(), nullptr);
  if (when < 0) return std::nullopt;
  time_t now = std::time(nullptr);
  return std::chrono::seconds(when > now ? when - now : 0);
}

}  // namespace gantry::http
