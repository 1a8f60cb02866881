#include "kube/objects.h"

#include <chrono>
#include <thread>

#include "core/base64.h"
#include "core/error.h"
#include "doc/json.h"
#include "http/client.h"

namespace gantry::kube {

using doc::Value;

std::string describe(const Value& obj) {
  std::string ns = namespace_of(obj);
  return obj.get_string("kind") + " " + (ns.empty() ? "" : ns + "/") + name_of(obj);
}

std::string identity(const Value& obj) {
  std::string api = obj.get_string("apiVersion");
  size_t slash = api.find('/');
  std::string group = slash == std::string::npos ? "" : api.substr(0, slash);
  const Value* md = obj.find("metadata");
  return group + "/" + obj.get_string("kind") + "/" + (md ? md->get_string("namespace") : "") +
         "/" + (md ? md->get_string("name") : "");
}

std::string namespace_of(const Value& obj) {
  const Value* md = obj.find("metadata");
  return md ? md->get_string("namespace") : "";
}

std::string name_of(const Value& obj) {
  const Value* md = obj.find("metadata");
  return md ? md->get_string("name") : "";
}

bool is_namespace(const Value& obj) {
  return obj.get_string("kind") == "Namespace" && obj.get_string("apiVersion") == "v1";
}

bool is_crd(const Value& obj) {
  return obj.get_string("kind") == "CustomResourceDefinition" &&
         obj.get_string("apiVersion").rfind("apiextensions.k8s.io/", 0) == 0;
}

bool has_manager(const Value& obj, std::string_view manager) {
  const Value* mf = obj.find_path({"metadata", "managedFields"});
  if (!mf || !mf->is_list()) return false;
  for (const auto& e : mf->as_list())
    if (e.get_string("manager") == manager) return true;
  return false;
}

const Value* gantry_annotation(const Value& obj, std::string_view name) {
  const Value* ann = obj.find_path({"metadata", "annotations"});
  if (!ann || !ann->is_map()) return nullptr;
  if (const Value* v = ann->find("gantry.dev/" + std::string(name))) return v;
  return ann->find("kluctl.io/" + std::string(name));
}

std::string gantry_annotation_text(const Value& obj, std::string_view name) {
  const Value* v = gantry_annotation(obj, name);
  if (!v) return {};
  if (v->is_string()) return v->as_string();
  if (v->is_int()) return std::to_string(v->as_int());
  if (v->is_bool()) return v->as_bool() ? "true" : "false";
  return {};
}

namespace {

[[noreturn]] void fail(const Client& c, std::string_view verb, const std::string& what,
                       const Response& r) {
  throw Error(std::string(verb) + " " + what + " on " + c.access().server + ": " + r.message(),
              ExitCode::kExternal);
}

}  // namespace

ApplyResult apply(const Client& client, const ResourceType& type, const Value& object,
                  const ApplyOptions& options) {
  const Value* md = object.find("metadata");
  std::string ns = type.namespaced && md ? md->get_string("namespace") : "";
  std::string name = md ? md->get_string("name") : "";
  std::string path = type.object_path(ns, name) +
                     "?fieldManager=" + http::url_encode(options.field_manager) +
                     "&fieldValidation=Strict";
  if (options.force) path += "&force=true";
  if (options.dry_run) path += "&dryRun=All";
  std::string body = doc::to_json(object);
  Response r;
  // A 409 that is not about field ownership is a race that the next attempt
  // wins: two creates of one object (AlreadyExists), or the apiserver's
  // optimistic-concurrency check ("the object has been modified"). Conflicts
  // with other field managers ("Apply failed with N conflicts") are answers,
  // not races, and are returned at once.
  auto delay = std::chrono::milliseconds(100);
  for (int attempt = 0;; ++attempt) {
    r = client.send("PATCH", path, body, "application/apply-patch+yaml");
    bool race =
        r.status == 409 && (r.reason() == "AlreadyExists" ||
                            r.message().find("the object has been modified") != std::string::npos);
    if (!race || attempt == 4) break;
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
  ApplyResult out;
  out.status = r.status;
  if (r.ok()) {
    if (options.want_result) out.object = r.json();
  } else {
    out.message = r.message();
    out.reason = r.reason();
  }
  return out;
}

std::optional<Value> get(const Client& client, const ResourceType& type, const std::string& ns,
                         const std::string& name) {
  Response r = client.send("GET", type.object_path(ns, name));
  if (r.status == 404) return std::nullopt;
  if (!r.ok()) fail(client, "GET", type.kind + " " + (ns.empty() ? "" : ns + "/") + name, r);
  return r.json();
}

std::optional<std::map<std::string, std::string>> get_secret_data(const Client& client,
                                                                  const std::string& ns,
                                                                  const std::string& name) {
  ResourceType secrets;
  secrets.version = "v1";
  secrets.kind = "Secret";
  secrets.resource = "secrets";
  secrets.namespaced = true;
  std::optional<Value> s = get(client, secrets, ns, name);
  if (!s) return std::nullopt;
  std::map<std::string, std::string> out;
  if (const Value* d = s->find("data"); d && d->is_map())
    for (const auto& m : d->as_map())
      if (m.value.is_string())
        if (auto dec = base64_decode(m.value.as_string())) out[m.key] = *dec;
  if (const Value* d = s->find("stringData"); d && d->is_map())
    for (const auto& m : d->as_map())
      if (m.value.is_string()) out[m.key] = m.value.as_string();
  return out;
}

std::vector<Value> list(const Client& client, const ResourceType& type, const std::string& ns,
                        const std::string& label_selector, std::string* resource_version,
                        bool* forbidden) {
  std::vector<Value> out;
  std::string cont;
  for (;;) {
    std::string path = type.collection_path(ns) + "?limit=500";
    if (!label_selector.empty()) path += "&labelSelector=" + http::url_encode(label_selector);
    if (!cont.empty()) path += "&continue=" + http::url_encode(cont);
    Response r = client.send("GET", path);
    if (r.status == 404 && cont.empty()) return out;  // the type is not served (yet)
    if (r.status == 403 && forbidden) {
      *forbidden = true;
      return {};
    }
    if (!r.ok()) fail(client, "listing", type.resource, r);
    Value v = r.json();
    std::string api = v.get_string("apiVersion", type.api_version());
    std::string kind = type.kind;
    if (Value* items = v.find("items"); items && items->is_list())
      for (Value& item : items->as_list()) {
        // Items of a list carry no apiVersion/kind; put them back.
        if (!item.contains("apiVersion")) item.set("apiVersion", type.api_version());
        if (!item.contains("kind")) item.set("kind", kind);
        out.push_back(std::move(item));
      }
    const Value* md = v.find("metadata");
    if (resource_version && md && resource_version->empty())
      *resource_version = md->get_string("resourceVersion");
    cont = md ? md->get_string("continue") : "";
    if (cont.empty()) break;
  }
  return out;
}

bool remove(const Client& client, const ResourceType& type, const std::string& ns,
            const std::string& name) {
  Response r = client.send("DELETE", type.object_path(ns, name) + "?propagationPolicy=Background");
  if (r.status == 404) return false;
  if (!r.ok()) fail(client, "deleting", type.kind + " " + (ns.empty() ? "" : ns + "/") + name, r);
  return true;
}

}  // namespace gantry::kube
