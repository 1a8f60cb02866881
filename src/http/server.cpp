#include "http/server.h"

#include <httplib.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <strings.h>

#include <thread>

#include "core/error.h"

namespace gantry::http {

namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

[[noreturn]] void tls_fail(const std::string& what) {
  throw Error("TLS: " + what, ExitCode::kInternal);
}

PkeyPtr new_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) tls_fail("cannot generate an EC key");
  return key;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) tls_fail("cannot encode a certificate");
  return bio_string(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
    tls_fail("cannot encode a private key");
  return bio_string(bio.get());
}

X509Ptr parse_cert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) tls_fail("cannot parse a PEM certificate");
  return cert;
}

PkeyPtr parse_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) tls_fail("cannot parse a PEM private key");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) tls_fail("cannot build certificate extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr new_cert(EVP_PKEY* key, const std::string& cn, int days) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

}  // namespace

TlsIdentity generate_ca(const std::string& common_name, int days) {
  PkeyPtr key = new_key();
  X509Ptr cert = new_cert(key.get(), common_name, days);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) tls_fail("cannot sign the CA certificate");
  return {cert_pem(cert.get()), key_pem(key.get())};
}

namespace {

TlsIdentity issue_cert(const TlsIdentity& ca, const std::string& common_name,
                       const std::vector<std::string>& dns_names,
                       const std::vector<std::string>& ip_addresses, int days, const char* usage) {
  X509Ptr ca_cert = parse_cert(ca.cert_pem);
  PkeyPtr ca_key = parse_key(ca.key_pem);
  PkeyPtr key = new_key();
  X509Ptr cert = new_cert(key.get(), common_name, days);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  add_ext(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
  add_ext(cert.get(), ca_cert.get(), NID_ext_key_usage, usage);
  add_ext(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& d : dns_names)
    san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : ip_addresses)
    san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  if (!san.empty()) add_ext(cert.get(), ca_cert.get(), NID_subject_alt_name, san);
  if (!X509_sign(cert.get(), ca_key.get(), EVP_sha256())) tls_fail("cannot sign a certificate");
  return {cert_pem(cert.get()), key_pem(key.get())};
}

}  // namespace

TlsIdentity issue_server_cert(const TlsIdentity& ca, const std::string& common_name,
                              const std::vector<std::string>& dns_names,
                              const std::vector<std::string>& ip_addresses, int days) {
  return issue_cert(ca, common_name, dns_names, ip_addresses, days, "serverAuth");
}

TlsIdentity issue_client_cert(const TlsIdentity& ca, const std::string& common_name, int days) {
  return issue_cert(ca, common_name, {}, {}, days, "clientAuth");
}

std::pair<std::string, int> parse_listen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw Error("--listen \"" + listen + "\": expected HOST:PORT or :PORT", ExitCode::kUsage);
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  int port = -1;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535)
    throw Error("--listen \"" + listen + "\": the port must be a number from 0 to 65535",
                ExitCode::kUsage);
  return {host, port};
}

std::string ServerRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  return {};
}

bool ServerRequest::has_param(std::string_view name) const {
  return params.find(std::string(name)) != params.end();
}

std::string ServerRequest::param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? std::string() : it->second;
}

namespace {

class SinkWriter : public StreamWriter {
 public:
  explicit SinkWriter(httplib::DataSink& sink) : sink_(sink) {}
  bool write(std::string_view data) override {
    if (data.empty()) return true;
    return sink_.write(data.data(), data.size());
  }

 private:
  httplib::DataSink& sink_;
};

}  // namespace

struct Server::Impl {
  std::unique_ptr<httplib::Server> server;
  Handler handler;
  int listen_fd = -1;  // the listening socket, seen when httplib creates it
  std::thread thread;
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  if (options.tls) {
    X509Ptr cert = parse_cert(options.identity.cert_pem);
    PkeyPtr key = parse_key(options.identity.key_pem);
    X509_STORE* client_cas = nullptr;  // owned by the server once passed
    if (!options.client_ca_pem.empty()) {
      client_cas = X509_STORE_new();
      X509Ptr client_ca = parse_cert(options.client_ca_pem);
      X509_STORE_add_cert(client_cas, client_ca.get());
    }
    impl_->server = std::make_unique<httplib::SSLServer>(cert.get(), key.get(), client_cas);
  } else {
    impl_->server = std::make_unique<httplib::Server>();
  }
  httplib::Server& srv = *impl_->server;
  if (!srv.is_valid()) throw Error("cannot set up the HTTP server", ExitCode::kInternal);
  size_t threads = options.worker_threads;
  srv.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  srv.set_payload_max_length(options.max_body_bytes);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would
  // let a second server bind a port that is already serving.
  int* listen_fd = &impl_->listen_fd;
  srv.set_socket_options([listen_fd](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *listen_fd = sock;
  });
  srv.set_tcp_nodelay(true);  // headers and body go out in separate writes
  srv.set_keep_alive_max_count(1000);
  srv.set_keep_alive_timeout(5);
  srv.set_read_timeout(30);
  srv.set_write_timeout(30);

  Handler* h = &impl_->handler;
  auto dispatch = [h](const httplib::Request& req, httplib::Response& res) {
    ServerRequest r;
    r.method = req.method;
    r.path = req.path;
    for (const auto& [k, v] : req.params)
      r.params.emplace(k, v);
    for (const auto& [k, v] : req.headers)
      r.headers.emplace(k, v);
    r.body = req.body;
    r.remote_addr = req.remote_addr;
    ServerResponse out;
    try {
      (*h)(r, out);
    } catch (const std::exception& e) {
      out = ServerResponse{};
      out.status = 500;
      out.body = std::string("internal error: ") + e.what() + "\n";
    }
    res.status = out.status;
    for (const auto& [k, v] : out.headers)
      res.set_header(k.c_str(), v);
    if (out.stream) {
      auto fn = std::make_shared<std::function<void(StreamWriter&)>>(std::move(out.stream));
      res.set_chunked_content_provider(out.content_type, [fn](size_t, httplib::DataSink& sink) {
        SinkWriter w(sink);
        (*fn)(w);
        sink.done();
        return true;
      });
    } else {
      res.set_content(out.body, out.content_type.c_str());
    }
  };
  const std::string any = "(.*)";
  srv.Get(any, dispatch);
  srv.Post(any, dispatch);
  srv.Put(any, dispatch);
  srv.Patch(any, dispatch);
  srv.Delete(any, dispatch);
  srv.Options(any, dispatch);

  if (options.port == 0) {
    port_ = srv.bind_to_any_port(options.host);
  } else {
    port_ = srv.bind_to_port(options.host, options.port) ? options.port : -1;
  }
  if (port_ <= 0)
    throw Error("cannot listen on " + options.host + ":" + std::to_string(options.port),
                ExitCode::kExternal);
  // The packaged cpp-httplib listens with a backlog of 5: a client opening
  // more connections at once has its SYNs dropped and waits a second for the
  // retransmit. Listening again on the bound socket raises the backlog.
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, SOMAXCONN);
}

Server::~Server() {
  stop();
}

void Server::run() {
  impl_->server->listen_after_bind();
}

void Server::start() {
  impl_->thread = std::thread([this] { impl_->server->listen_after_bind(); });
}

void Server::stop() {
  if (impl_->server) impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace gantry::http
