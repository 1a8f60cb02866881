#include "kube/kubeconfig.h"

#include <cstdlib>
#include <map>

#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/yaml.h"

namespace gantry::kube {

namespace fs = std::filesystem;
using doc::Value;

namespace {

struct Named {
  const Value* body = nullptr;
  fs::path file;
};

struct Merged {
  std::map<std::string, Named> clusters, users, contexts;
  std::string current_context;
  std::vector<fs::path> files;
};

std::vector<fs::path> split_list(const std::string& s) {
  std::vector<fs::path> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find(':', pos);
    if (c == std::string::npos) c = s.size();
    if (c > pos) out.emplace_back(s.substr(pos, c - pos));
    pos = c + 1;
  }
  return out;
}

// Keeps the parsed documents alive for the Named pointers.
struct Loaded {
  std::vector<Value> docs;
  Merged merged;
};

void merge_section(const Value& doc, std::string_view key, std::string_view inner,
                   std::map<std::string, Named>& into, const fs::path& file) {
  const Value* list = doc.find(key);
  if (!list || list->is_null()) return;
  if (!list->is_list()) list->fail(std::string(key) + " must be a list");
  for (const Value& entry : list->as_list()) {
    if (!entry.is_map()) entry.fail(std::string(key) + " entries must be mappings");
    std::string name = entry.get_string("name");
    if (name.empty()) entry.fail(std::string(key) + " entry without a name");
    const Value* body = entry.find(inner);
    if (into.count(name)) continue;  // the first file that names it wins
    into[name] = Named{body, file};
  }
}

// Parses and merges the given files' texts.
void merge_texts(Loaded& l, const std::vector<std::pair<fs::path, std::string>>& texts) {
  l.docs.reserve(texts.size());
  for (const auto& [f, text] : texts) {
    l.merged.files.push_back(f);
    Value doc = text.find_first_not_of(" \t\r\n") == std::string::npos
                    ? Value::map()
                    : doc::parse_yaml(text, f.string());
    if (doc.is_null()) doc = Value::map();
    if (!doc.is_map()) doc.fail("a kubeconfig must be a mapping");
    l.docs.push_back(std::move(doc));
  }
  for (size_t i = 0; i < l.docs.size(); ++i) {
    const Value& doc = l.docs[i];
    const fs::path& f = l.merged.files[i];
    merge_section(doc, "clusters", "cluster", l.merged.clusters, f);
    merge_section(doc, "users", "user", l.merged.users, f);
    merge_section(doc, "contexts", "context", l.merged.contexts, f);
    if (l.merged.current_context.empty())
      l.merged.current_context = doc.get_string("current-context");
  }
}

void load(Loaded& l, const KubeconfigSelection& sel) {
  std::vector<std::pair<fs::path, std::string>> texts;
  for (const auto& f : kubeconfig_files(sel))
    texts.emplace_back(f, read_file(f));
  merge_texts(l, texts);
}

fs::path resolve(const fs::path& base_file, const std::string& p) {
  fs::path path(p);
  if (path.is_relative()) path = base_file.parent_path() / path;
  return path.lexically_normal();
}

// "<key>-data" (base64) or "<key>" (a file).
std::string data_or_file(const Value& body, const std::string& key, const fs::path& file) {
  std::string data = body.get_string(key + "-data");
  if (!data.empty()) {
    auto decoded = base64_decode(data);
    if (!decoded) body.find(key + "-data")->fail(key + "-data is not valid base64");
    return *decoded;
  }
  std::string path = body.get_string(key);
  if (path.empty()) return {};
  try {
    return read_file(resolve(file, path));
  } catch (Error& e) {
    e.add_context("reading " + key + " of kubeconfig " + file.string());
    throw;
  }
}

bool truthy(const Value* v) {
  if (!v) return false;
  if (v->is_bool()) return v->as_bool();
  return v->is_string() && v->as_string() == "true";
}

// True when nothing names a kubeconfig and the default one does not exist.
bool no_kubeconfig(const KubeconfigSelection& sel) {
  if (!sel.kubeconfig.empty()) return false;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) return false;
  const char* home = std::getenv("HOME");
  return !fs::exists(fs::path(home ? home : "/root") / ".kube" / "config");
}

}  // namespace

std::vector<fs::path> kubeconfig_files(const KubeconfigSelection& sel) {
  if (!sel.kubeconfig.empty()) {
    fs::path p(sel.kubeconfig);
    if (!fs::exists(p))
      throw Error("kubeconfig " + p.string() + " does not exist", ExitCode::kNotFound);
    return {p};
  }
  std::vector<fs::path> out;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    for (auto& p : split_list(env))
      if (fs::exists(p)) out.push_back(p);
    if (out.empty()) throw Error("none of the files in KUBECONFIG exists", ExitCode::kNotFound);
    return out;
  }
  const char* home = std::getenv("HOME");
  fs::path def = fs::path(home ? home : "/root") / ".kube" / "config";
  if (!fs::exists(def))
    throw Error("no kubeconfig: give --kubeconfig, set KUBECONFIG or create " + def.string(),
                ExitCode::kNotFound);
  return {def};
}

std::string selected_context(const KubeconfigSelection& sel) {
  if (!sel.context.empty()) return sel.context;
  if (no_kubeconfig(sel) && std::getenv("KUBERNETES_SERVICE_HOST")) return "";  // in-cluster
  Loaded l;
  load(l, sel);
  return l.merged.current_context;
}

namespace {

ClusterAccess resolve_access(const Loaded& l, const std::string& context_name) {
  const Merged& m = l.merged;
  std::string where =
      m.files.size() == 1 ? "kubeconfig " + m.files[0].string() : "the merged kubeconfig";
  if (context_name.empty())
    throw Error("no context selected: " + where + " has no current-context; give --context",
                ExitCode::kUsage);
  auto ctx = m.contexts.find(context_name);
  if (ctx == m.contexts.end() || !ctx->second.body || !ctx->second.body->is_map())
    throw Error("context \"" + context_name + "\" not found in " + where, ExitCode::kNotFound);
  const Value& c = *ctx->second.body;
  ClusterAccess a;
  a.files = m.files;
  a.context = context_name;
  a.cluster_name = c.get_string("cluster");
  a.user_name = c.get_string("user");
  if (std::string ns = c.get_string("namespace"); !ns.empty()) a.namespace_name = ns;

  auto cl = m.clusters.find(a.cluster_name);
  if (cl == m.clusters.end() || !cl->second.body || !cl->second.body->is_map())
    throw Error("cluster \"" + a.cluster_name + "\" of context \"" + context_name +
                    "\" not found in " + where,
                ExitCode::kNotFound);
  const Value& cb = *cl->second.body;
  a.server = cb.get_string("server");
  if (a.server.empty()) cb.fail("cluster \"" + a.cluster_name + "\" has no server");
  while (!a.server.empty() && a.server.back() == '/')
    a.server.pop_back();
  a.insecure_skip_tls_verify = truthy(cb.find("insecure-skip-tls-verify"));
  a.ca_pem = data_or_file(cb, "certificate-authority", cl->second.file);

  if (!a.user_name.empty()) {
    auto us = m.users.find(a.user_name);
    if (us == m.users.end())
      throw Error(
          "user \"" + a.user_name + "\" of context \"" + context_name + "\" not found in " + where,
          ExitCode::kNotFound);
    if (us->second.body && us->second.body->is_map()) {
      const Value& ub = *us->second.body;
      const fs::path& uf = us->second.file;
      a.client_cert_pem = data_or_file(ub, "client-certificate", uf);
      a.client_key_pem = data_or_file(ub, "client-key", uf);
      if (a.client_cert_pem.empty() != a.client_key_pem.empty())
        ub.fail("user \"" + a.user_name + "\" needs both a client certificate and a client key");
      a.token = ub.get_string("token");
      if (std::string tf = ub.get_string("tokenFile"); !tf.empty()) a.token_file = resolve(uf, tf);
      a.username = ub.get_string("username");
      a.impersonate_user = ub.get_string("as");
      if (const Value* g = ub.find("as-groups"); g && g->is_list())
        for (const Value& v : g->as_list())
          if (v.is_string()) a.impersonate_groups.push_back(v.as_string());
      a.password = ub.get_string("password");
      if (const Value* ex = ub.find("exec"); ex && ex->is_map()) {
        ExecConfig e;
        e.api_version = ex->get_string("apiVersion");
        e.command = ex->get_string("command");
        if (e.command.empty()) ex->fail("exec credential plugin without a command");
        if (e.command.find('/') != std::string::npos) e.command = resolve(uf, e.command).string();
        if (const Value* args = ex->find("args"); args && args->is_list())
          for (const Value& v : args->as_list())
            e.args.push_back(v.is_string() ? v.as_string() : std::string());
        if (const Value* env = ex->find("env"); env && env->is_list())
          for (const Value& v : env->as_list())
            if (v.is_map()) e.env.emplace_back(v.get_string("name"), v.get_string("value"));
        e.provide_cluster_info = truthy(ex->find("provideClusterInfo"));
        a.exec = std::move(e);
      }
      if (ub.find("auth-provider"))
        ub.fail("auth-provider plugins were removed from kubectl; use an exec plugin");
    }
  }
  return a;
}

}  // namespace

std::optional<ClusterAccess> in_cluster_access() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port) return std::nullopt;
  const char* dir_env = std::getenv("GANTRY_SERVICE_ACCOUNT_DIR");
  fs::path dir = dir_env && *dir_env ? fs::path(dir_env)
                                     : fs::path("/var/run/secrets/kubernetes.io/serviceaccount");
  ClusterAccess a;
  a.in_cluster = true;
  a.context = "in-cluster";
  a.cluster_name = "in-cluster";
  std::string h = host;
  if (h.find(':') != std::string::npos && h.front() != '[') h = "[" + h + "]";  // IPv6
  a.server = "https://" + h + ":" + port;
  a.token_file = dir / "token";
  if (!fs::exists(a.token_file))
    throw Error("in-cluster configuration: the service account token " + a.token_file.string() +
                    " does not exist (is automountServiceAccountToken off?)",
                ExitCode::kNotFound);
  if (fs::exists(dir / "ca.crt")) a.ca_pem = read_file(dir / "ca.crt");
  if (fs::exists(dir / "namespace")) {
    std::string ns = read_file(dir / "namespace");
    while (!ns.empty() && (ns.back() == '\n' || ns.back() == ' '))
      ns.pop_back();
    if (!ns.empty()) a.namespace_name = ns;
  }
  a.user_name = "serviceaccount";
  return a;
}

ClusterAccess load_cluster_access(const KubeconfigSelection& sel, const std::string& context_name) {
  if (context_name.empty() && no_kubeconfig(sel))
    if (auto a = in_cluster_access()) return std::move(*a);
  Loaded l;
  load(l, sel);
  return resolve_access(l, context_name);
}

ClusterAccess parse_inline_cluster_access(std::string_view text, const std::string& context_name) {
  Loaded l;
  const fs::path file = "/nonexistent/inline-kubeconfig";
  merge_texts(l, {{file, std::string(text)}});
  static const char* refused[] = {
      "certificate-authority", "client-certificate", "client-key", "tokenFile", "exec",
      "auth-provider"};
  for (const auto* section : {&l.merged.clusters, &l.merged.users})
    for (const auto& [name, n] : *section)
      if (n.body && n.body->is_map())
        for (const char* key : refused)
          if (const Value* v = n.body->find(key); v && !v->is_null())
            throw Error(std::string("\"") + key + "\" of \"" + name +
                            "\" is not allowed in a kubeconfig given as data (use the -data "
                            "fields and a token; files and plugins of this machine are not used)",
                        ExitCode::kRefused);
  std::string ctx = context_name.empty() ? l.merged.current_context : context_name;
  return resolve_access(l, ctx);
}

ClusterAccess parse_cluster_access(std::string_view text, const fs::path& file,
                                   const std::string& context_name) {
  Loaded l;
  merge_texts(l, {{file, std::string(text)}});
  return resolve_access(l, context_name);
}

}  // namespace gantry::kube
