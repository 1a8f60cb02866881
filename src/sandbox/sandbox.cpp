#include "sandbox/sandbox.h"

#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/json.h"
#include "http/server.h"
#include "sandbox/api.h"
#include "sandbox/audit.h"

namespace gantry::sandbox {

namespace fs = std::filesystem;

namespace {

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

void write_private(const fs::path& p, const std::string& data) {
  write_file_atomic(p, data);
  ::chmod(p.c_str(), 0600);
}

std::string kubeconfig(const std::string& url, const std::string& ca_pem, const std::string& token,
                       const std::string& name) {
  return "apiVersion: v1\n"
         "kind: Config\n"
         "clusters:\n"
         "- name: " +
         name +
         "\n"
         "  cluster:\n"
         "    server: " +
         url +
         "\n"
         "    certificate-authority-data: " +
         base64_encode(ca_pem) +
         "\n"
         "contexts:\n"
         "- name: " +
         name +
         "\n"
         "  context:\n"
         "    cluster: " +
         name +
         "\n"
         "    user: " +
         name +
         "\n"
         "    namespace: default\n"
         "current-context: " +
         name +
         "\n"
         "users:\n"
         "- name: " +
         name +
         "\n"
         "  user:\n"
         "    token: " +
         token +
         "\n"
         "preferences: {}\n";
}

}  // namespace

void run_sandbox(const SandboxOptions& options, const std::atomic<bool>& stop, std::ostream& out) {
  size_t colon = options.listen.rfind(':');
  if (colon == std::string::npos)
    throw Error("--listen wants HOST:PORT, got \"" + options.listen + "\"", ExitCode::kUsage);
  std::string host = options.listen.substr(0, colon);
  int port = 0;
  try {
    port = std::stoi(options.listen.substr(colon + 1));
  } catch (const std::exception&) {
    throw Error("--listen wants HOST:PORT, got \"" + options.listen + "\"", ExitCode::kUsage);
  }
  if (port < 0 || port > 65535) throw Error("--listen: port out of range", ExitCode::kUsage);

  // Identity: CA and token, kept in --data so kubeconfigs stay valid across restarts.
  http::TlsIdentity ca;
  std::string token;
  fs::path data = options.data_dir;
  fs::path state_file;
  if (!data.empty()) {
    fs::create_directories(data);
    state_file = data / "state.json";
    if (fs::exists(data / "ca.crt") && fs::exists(data / "ca.key") && fs::exists(data / "token")) {
      ca.cert_pem = read_file(data / "ca.crt");
      ca.key_pem = read_file(data / "ca.key");
      token = read_file(data / "token");
      while (!token.empty() && (token.back() == '\n' || token.back() == ' '))
        token.pop_back();
    } else {
      ca = http::generate_ca("gantry-sandbox-ca");
      token = random_hex(24);
      write_private(data / "ca.crt", ca.cert_pem);
      write_private(data / "ca.key", ca.key_pem);
      write_private(data / "token", token + "\n");
    }
  } else {
    ca = http::generate_ca("gantry-sandbox-ca");
    token = random_hex(24);
  }
  std::vector<std::string> ips{"127.0.0.1", "::1"};
  std::vector<std::string> names{"localhost"};
  if (!host.empty() && host != "127.0.0.1" && host != "localhost" && host != "0.0.0.0") {
    if (host.find_first_not_of("0123456789.") == std::string::npos) {
      ips.push_back(host);
    } else {
      names.push_back(host);
    }
  }
  http::TlsIdentity server_id = http::issue_server_cert(ca, "gantry-sandbox", names, ips);

  std::unique_ptr<Api> api;
  http::ServerOptions so;
  so.host = host.empty() ? "127.0.0.1" : host;
  so.port = port;
  so.tls = true;
  so.identity = server_id;
  so.max_body_bytes = 16u << 20;  // the API answers 413 itself above 3 MiB
  Api* api_ptr = nullptr;
  std::unique_ptr<AuditLog> audit;
  if (!options.audit_log.empty()) audit = std::make_unique<AuditLog>(options.audit_log);
  AuditLog* audit_ptr = audit.get();
  http::Server server(
      so, [&api_ptr, audit_ptr](const http::ServerRequest& req, http::ServerResponse& res) {
        api_ptr->handle(req, res);
        if (audit_ptr) audit_ptr->record(req, res.status != 401, res.status);
      });
  std::string client_host = so.host == "0.0.0.0" ? "127.0.0.1" : so.host;
  std::string address = client_host + ":" + std::to_string(server.port());
  std::string url = "https://" + address;
  ApiOptions ao;
  ao.token = token;
  ao.ready_delay = options.ready_delay;
  ao.max_events = options.max_watch_events;
  ao.server_address = address;
  api = std::make_unique<Api>(ao);
  api_ptr = api.get();
  if (!state_file.empty() && fs::exists(state_file)) {
    try {
      api->restore(doc::parse_json(read_file(state_file), state_file.string()));
    } catch (Error& e) {
      e.add_context("reading the sandbox state " + state_file.string());
      throw;
    }
  }

  fs::path kc = options.kubeconfig_out;
  fs::path temp_dir;
  if (kc.empty()) {
    if (!data.empty()) {
      kc = data / "kubeconfig";
    } else {
      const char* tmp = std::getenv("TMPDIR");
      std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/gantry-sandbox-XXXXXX";
      if (!::mkdtemp(tmpl.data()))
        throw Error("cannot create a temporary directory", ExitCode::kExternal);
      temp_dir = tmpl;
      kc = temp_dir / "kubeconfig";
    }
  }
  if (kc.has_parent_path()) fs::create_directories(kc.parent_path());
  write_private(kc, kubeconfig(url, ca.cert_pem, token, options.context));

  server.start();
  out << "gantry sandbox: serving the Kubernetes API on " << url << "\n"
      << "kubeconfig: " << fs::absolute(kc).string() << "\n"
      << "use it with: kubectl --kubeconfig " << fs::absolute(kc).string() << " get namespaces\n";
  out.flush();

  uint64_t saved_rv = api->resource_version();
  auto last_save = std::chrono::steady_clock::now();
  auto save = [&] {
    if (state_file.empty()) return;
    uint64_t now_rv = api->resource_version();
    if (now_rv == saved_rv) return;
    write_file_atomic(state_file, api->snapshot_json());
    saved_rv = now_rv;
  };
  auto pause = std::chrono::milliseconds(100);
  while (!stop.load()) {
    std::this_thread::sleep_for(pause);
    auto began = std::chrono::steady_clock::now();
    try {
      api->reconcile();
    } catch (const std::exception& e) {
      std::cerr << "gantry sandbox: controller pass failed: " << e.what() << "\n";
    }
    // A pass holds the API's lock: after a long one (thousands of simulated
    // objects changing at once), leave requests twice as long before the next.
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
    pause = std::max(std::chrono::milliseconds(100), 2 * took);
    if (audit) audit->flush();
    if (std::chrono::steady_clock::now() - last_save > std::chrono::milliseconds(500)) {
      save();
      last_save = std::chrono::steady_clock::now();
    }
  }
  api->shutdown();
  save();
  server.stop();
  save();
  if (audit) audit->flush();
  if (!temp_dir.empty()) {
    std::error_code ec;
    fs::remove_all(temp_dir, ec);
  }
}

}  // namespace gantry::sandbox
