// Operations on single objects and collections through the REST mapping:
// get, list (all pages), server-side apply (optionally dry-run) and delete.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "doc/value.h"
#include "kube/client.h"
#include "kube/discovery.h"

namespace gantry::kube {

// Who an object is, for messages: "Deployment demo-app/api-golang" or
// "Namespace demo-app".
std::string describe(const doc::Value& object);
// "group/kind/namespace/name", the identity used to match render and cluster.
std::string identity(const doc::Value& object);
// metadata.namespace and metadata.name ("" when absent).
std::string namespace_of(const doc::Value& object);
std::string name_of(const doc::Value& object);
// A core/v1 Namespace; an apiextensions.k8s.io CustomResourceDefinition.
bool is_namespace(const doc::Value& object);
bool is_crd(const doc::Value& object);
// True when metadata.managedFields holds an entry of `manager`.
bool has_manager(const doc::Value& object, std::string_view manager);
// The annotation gantry.dev/NAME, else kluctl.io/NAME (kluctl projects use
// the same annotations under its prefix); null when neither is set.
const doc::Value* gantry_annotation(const doc::Value& object, std::string_view name);
// The annotation's value as text ("true" for a YAML boolean true, digits for
// an integer); "" when it is not set.
std::string gantry_annotation_text(const doc::Value& object, std::string_view name);

struct ApplyOptions {
  std::string field_manager = "gantry";
  bool dry_run = false;
  bool force = false;       // take over fields other managers own
  bool want_result = true;  // parse the server's result into ApplyResult::object
};

struct ApplyResult {
  long status = 0;      // HTTP status (0: not sent)
  doc::Value object;    // the server's result on success (when asked for)
  std::string message;  // the server's message on failure
  std::string reason;   // Status reason on failure ("Invalid", "Conflict", "NotFound" ...)
  bool ok() const { return status >= 200 && status < 300; }
  // A 409 from server-side apply: other field managers own fields we set.
  bool conflict() const { return status == 409; }
};

// Server-side apply (PATCH application/apply-patch+yaml) of `object`, whose
// metadata.namespace must already be set for namespaced types. A 409 from a
// race (AlreadyExists, "the object has been modified") is retried up to 4
// times with backoff; a conflict with other field managers is returned.
ApplyResult apply(const Client& client, const ResourceType& type, const doc::Value& object,
                  const ApplyOptions& options);

// The live object, nullopt on 404; other failures throw Error (kExternal).
std::optional<doc::Value> get(const Client& client, const ResourceType& type, const std::string& ns,
                              const std::string& name);

// Every object of `type` (in `ns`, or all namespaces when "") matching
// `label_selector`, following `continue` pages of 500. A type the server does
// not serve (404, e.g. a CRD not established yet) has no objects.
// `resource_version`, when given, receives the list's resourceVersion (the
// snapshot a watch resumes from).
// `forbidden`, when given, turns a 403 into no objects and sets it to true
// (a type the caller may not list is one it could not have created either).
std::vector<doc::Value> list(const Client& client, const ResourceType& type, const std::string& ns,
                             const std::string& label_selector,
                             std::string* resource_version = nullptr, bool* forbidden = nullptr);

// The decoded `data` (and `stringData`) of a Secret, nullopt on 404. Holds
// secrets: never log it.
std::optional<std::map<std::string, std::string>> get_secret_data(const Client& client,
                                                                  const std::string& ns,
                                                                  const std::string& name);

// Deletes with propagationPolicy=Background; true if it was deleted (or
// already being deleted), false on 404. Other failures throw Error.
bool remove(const Client& client, const ResourceType& type, const std::string& ns,
            const std::string& name);

}  // namespace gantry::kube
