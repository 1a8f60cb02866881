// A client for one registry host speaking the OCI Distribution API.
//
// It finds the scheme (https; plain http only for registries named insecure
// or on loopback), answers auth challenges (Basic, or Bearer tokens fetched
// for exactly the scopes a request needs, cached per scope set) and verifies
// the digest and size of everything it downloads. Thread-safe: blob
// transfers of one copy run on several threads through one Registry.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "http/client.h"
#include "oci/auth.h"
#include "oci/credentials.h"
#include "oci/manifest.h"
#include "oci/mirror.h"
#include "oci/reference.h"

namespace gantry::oci {

// Content did not match its digest or size. Never retried.
class IntegrityError : public Error {
 public:
  explicit IntegrityError(std::string why) : Error(std::move(why), ExitCode::kExternal) {}
};

struct RegistryOptions {
  bool insecure = false;    // allow plain HTTP and unverified TLS for this registry
  bool plain_http = false;  // use http:// without trying https first
  size_t manifest_limit = kDefaultManifestLimit;
  uint64_t chunk_size = 0;  // > 0: chunked uploads (PATCH) for blobs larger than this
  int tags_page_size = 0;   // n= for tag listing; 0: the registry's default
};

class Registry {
 public:
  Registry(std::string host, std::shared_ptr<const http::Client> client, Credential cred,
           RegistryOptions opts = {});

  const std::string& host() const { return host_; }
  // "https://host" or "http://host" (pings the registry the first time).
  std::string base_url();

  // Size of the blob when the repository has it.
  std::optional<int64_t> blob_size(std::string_view repo, const Digest& d);
  // Streams a blob to `sink`, verifying size and digest (IntegrityError).
  // `restart` is called when a broken download starts over; without it a
  // download that already delivered data is not retried.
  void fetch_blob(std::string_view repo, const Descriptor& d,
                  const std::function<void(std::string_view)>& sink,
                  const std::function<void()>& restart = {},
                  const std::function<void(uint64_t)>& progress = {});
  // Asks the registry to mount the blob from another repository of the same
  // registry. True when mounted; otherwise the upload location it opened
  // (for upload_blob) is stored in *location.
  bool mount_blob(std::string_view repo, const Digest& d, std::string_view from_repo,
                  std::string* location);
  // Uploads a blob (monolithic, or chunked when configured and the body is
  // a file or memory). `location` may be an upload already opened by mount_blob.
  void upload_blob(std::string_view repo, const Descriptor& d, const http::Body& body,
                   const std::function<void(uint64_t)>& progress = {}, std::string location = {});

  // Fetches a manifest by tag or digest (Accept: all supported types). The
  // result's digest is computed from the bytes; a digest reference, or a
  // Docker-Content-Digest header, that does not match is an IntegrityError.
  Manifest get_manifest(std::string_view repo, std::string_view reference);
  // HEAD of a manifest: its descriptor, or nullopt when it does not exist.
  std::optional<Descriptor> head_manifest(std::string_view repo, std::string_view reference);
  void put_manifest(std::string_view repo, std::string_view reference, const Manifest& m);
  // All tags, following Link pagination.
  std::vector<std::string> list_tags(std::string_view repo);

 private:
  void ensure_pinged();
  http::Response send(http::Request req, const std::vector<std::string>& scopes);
  void authorize(http::Request& req, const std::vector<std::string>& scopes, bool refresh);
  std::string fetch_token(const std::vector<std::string>& scopes, const std::string& realm,
                          const std::string& service);
  void learn_challenge(const http::Response& resp, const std::string& what);
  [[noreturn]] void fail(const std::string& what, const http::Response& resp);
  std::string url(std::string_view path) {
    ensure_pinged();
    return base_ + std::string(path);
  }

  std::string host_;
  std::shared_ptr<const http::Client> client_;
  Credential cred_;
  RegistryOptions opts_;

  std::mutex mu_;
  bool pinged_ = false;
  std::string base_;
  enum class Scheme { kNone, kBasic, kBearer } auth_ = Scheme::kNone;
  std::string realm_, service_;
  std::map<std::string, std::string> tokens_;  // scope set -> token
};

// Registries by host, sharing one HTTP client, with credentials looked up once per host.
class Session {
 public:
  struct Options {
    bool insecure = false;  // all registries: plain HTTP allowed, TLS not verified
    std::vector<std::string> insecure_registries;
    std::string ca_pem;
    std::filesystem::path auth_file;  // empty: default location
    size_t manifest_limit = kDefaultManifestLimit;
    uint64_t chunk_size = 0;
    int tags_page_size = 0;
    bool plain_http = false;
    // Pulls (copy sources, manifest and blob reads) of these registries go
    // to their mirror; pushes never do. See oci/mirror.h.
    std::vector<Mirror> mirrors;
    http::ClientOptions http;
  };
  explicit Session(Options opts);
  // The registry client for `host`; `cred` (when not empty) overrides lookups.
  Registry& registry(const std::string& host, const std::optional<Credential>& cred = std::nullopt);
  const Options& options() const { return opts_; }

 private:
  Options opts_;
  std::shared_ptr<const http::Client> client_;
  std::shared_ptr<const http::Client> insecure_client_;
  CredentialStore store_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Registry>> registries_;
};

}  // namespace gantry::oci
