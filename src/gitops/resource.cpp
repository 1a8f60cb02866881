#include "gitops/resource.h"

#include <algorithm>
#include <set>

#include "core/duration.h"
#include "core/error.h"
#include "gitops/image_resource.h"
#include "gitops/spec_fields.h"

namespace gantry::gitops {

using doc::Value;

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw Error("spec." + field + ": " + why);
}

std::string text_at(const Value& m, std::string_view key, const std::string& field) {
  const Value* v = m.find(key);
  if (!v || v->is_null()) return {};
  if (!v->is_string()) bad(field, "must be a string");
  return v->as_string();
}

bool bool_at(const Value& m, std::string_view key, const std::string& field) {
  const Value* v = m.find(key);
  if (!v || v->is_null()) return false;
  if (!v->is_bool()) bad(field, "must be true or false");
  return v->as_bool();
}

std::chrono::milliseconds duration_at(const Value& m, std::string_view key,
                                      const std::string& field, std::chrono::milliseconds dflt) {
  std::string s = text_at(m, key, field);
  if (s.empty()) return dflt;
  try {
    auto d = parse_duration(s);
    if (d.count() <= 0) bad(field, "must be longer than 0");
    return d;
  } catch (const Error& e) {
    if (e.why().rfind("spec.", 0) == 0) throw;
    bad(field, "\"" + s + "\" is not a duration (e.g. 30s, 5m, 1h)");
  }
}

std::vector<std::string> strings_at(const Value& m, std::string_view key,
                                    const std::string& field) {
  std::vector<std::string> out;
  const Value* v = m.find(key);
  if (!v || v->is_null()) return out;
  if (!v->is_list()) bad(field, "must be a list of strings");
  for (const auto& x : v->as_list()) {
    if (!x.is_string()) bad(field, "must be a list of strings");
    out.push_back(x.as_string());
  }
  return out;
}

namespace {

void read_ref(const Value& ref, GitSource& g, const std::string& field) {
  if (ref.is_null()) return;
  if (!ref.is_map()) bad(field, "must be a map with one of branch, tag or commit");
  g.branch = text_at(ref, "branch", field + ".branch");
  g.tag = text_at(ref, "tag", field + ".tag");
  g.commit = text_at(ref, "commit", field + ".commit");
  int n = !g.branch.empty() + !g.tag.empty() + !g.commit.empty();
  if (n > 1) bad(field, "give only one of branch, tag or commit");
  for (const auto& m : ref.as_map())
    if (m.key != "branch" && m.key != "tag" && m.key != "commit")
      bad(field + "." + m.key, "unknown field (known: branch, tag, commit)");
}

}  // namespace

std::string GitSource::ref_text() const {
  if (!branch.empty()) return "branch " + branch;
  if (!tag.empty()) return "tag " + tag;
  if (!commit.empty()) return "commit " + commit;
  return "default branch";
}

std::string DeploymentSpec::key() const {
  return kind + "/" + ns + "/" + name;
}

DeploymentSpec parse_deployment(const Value& obj) {
  DeploymentSpec d;
  d.api_version = obj.get_string("apiVersion");
  d.kind = obj.get_string("kind");
  const Value* md = obj.find("metadata");
  if (!md || !md->is_map()) throw Error("the resource has no metadata");
  d.ns = md->get_string("namespace");
  d.name = md->get_string("name");
  d.uid = md->get_string("uid");
  if (const Value* g = md->find("generation"); g && g->is_int()) d.generation = g->as_int();
  d.deleting = md->find("deletionTimestamp") != nullptr;
  if (const Value* f = md->find("finalizers"); f && f->is_list())
    for (const auto& x : f->as_list())
      d.has_finalizer = d.has_finalizer || (x.is_string() && x.as_string() == kFinalizer);
  if (const Value* a = md->find("annotations"); a && a->is_map()) {
    d.requested_at = a->get_string(kRequestAnnotation);
    if (d.requested_at.empty()) d.requested_at = a->get_string(kKluctlRequestAnnotation);
    d.requested_by = a->get_string(kRequestedByAnnotation);
  }
  const Value* spec = obj.find("spec");
  if (!spec || !spec->is_map()) throw Error("the resource has no spec");
  bool kluctl = d.kind == kKluctlKind;
  static const std::set<std::string> supported = {"source",
                                                  "target",
                                                  "args",
                                                  "context",
                                                  "interval",
                                                  "retryInterval",
                                                  "timeout",
                                                  "suspend",
                                                  "prune",
                                                  "delete",
                                                  "dryRun",
                                                  "includeTags",
                                                  "excludeTags",
                                                  "includeDeploymentDirs",
                                                  "excludeDeploymentDirs",
                                                  "forceConflicts",
                                                  "forceApply",
                                                  "kubeConfig",
                                                  "serviceAccountName"};
  for (const auto& m : spec->as_map())
    if (!supported.count(m.key)) {
      if (kluctl) {
        d.unsupported.push_back("spec." + m.key);
      } else {
        bad(m.key, "unknown field");
      }
    }

  // Source: spec.source.git{url, ref, path, secretRef}; kluctl's older
  // spec.source{url, ref, path, secretRef} is read too.
  const Value* src = spec->find("source");
  if (!src || !src->is_map()) bad("source", "is required (source.git.url)");
  const Value* git = src->find("git");
  const Value* g = git ? git : src;
  std::string gf = git ? "source.git" : "source";
  if (!g->is_map()) bad(gf, "must be a map");
  d.source.url = text_at(*g, "url", gf + ".url");
  if (d.source.url.empty()) bad(gf + ".url", "is required");
  d.source.path = text_at(*g, "path", gf + ".path");
  if (d.source.path.find("..") != std::string::npos) bad(gf + ".path", "must not contain ..");
  if (const Value* ref = g->find("ref")) read_ref(*ref, d.source, gf + ".ref");
  if (const Value* sr = g->find("secretRef"); sr && sr->is_map())
    d.source.secret = sr->get_string("name");
  for (const auto& m : src->as_map())
    if (git && m.key != "git") d.unsupported.push_back("spec.source." + m.key);

  d.target = text_at(*spec, "target", "target");
  if (const Value* a = spec->find("args"); a && !a->is_null()) {
    if (!a->is_map()) bad("args", "must be a map of names to values");
    d.args = *a;
  }
  d.context = text_at(*spec, "context", "context");
  if (const Value* kc = spec->find("kubeConfig"); kc && !kc->is_null()) {
    const Value* sr = kc->is_map() ? kc->find("secretRef") : nullptr;
    if (!sr || !sr->is_map()) bad("kubeConfig", "must hold secretRef.name");
    d.kubeconfig_secret = text_at(*sr, "name", "kubeConfig.secretRef.name");
    d.kubeconfig_key = text_at(*sr, "key", "kubeConfig.secretRef.key");
    if (d.kubeconfig_secret.empty()) bad("kubeConfig.secretRef.name", "is required");
  }
  d.service_account = text_at(*spec, "serviceAccountName", "serviceAccountName");
  d.interval = duration_at(*spec, "interval", "interval", d.interval);
  d.retry_interval = duration_at(*spec, "retryInterval", "retryInterval", d.interval);
  d.timeout = duration_at(*spec, "timeout", "timeout", d.timeout);
  d.suspend = bool_at(*spec, "suspend", "suspend");
  d.prune = bool_at(*spec, "prune", "prune");
  d.delete_on_removal = bool_at(*spec, "delete", "delete");
  d.dry_run = bool_at(*spec, "dryRun", "dryRun");
  d.force_conflicts = bool_at(*spec, "forceConflicts", "forceConflicts") ||
                      bool_at(*spec, "forceApply", "forceApply");
  d.include_tags = strings_at(*spec, "includeTags", "includeTags");
  d.exclude_tags = strings_at(*spec, "excludeTags", "excludeTags");
  d.include_dirs = strings_at(*spec, "includeDeploymentDirs", "includeDeploymentDirs");
  d.exclude_dirs = strings_at(*spec, "excludeDeploymentDirs", "excludeDeploymentDirs");
  return d;
}

namespace {

kube::ResourceType make_type(std::string_view group, std::string_view version,
                             std::string_view kind, std::string_view resource) {
  kube::ResourceType t;
  t.group = group;
  t.version = version;
  t.kind = kind;
  t.resource = resource;
  t.namespaced = true;
  t.verbs = {"get", "list", "watch", "patch", "update"};
  return t;
}

}  // namespace

kube::ResourceType gantry_deployment_type() {
  return make_type(kGroup, kVersion, kKind, "gantrydeployments");
}
kube::ResourceType kluctl_deployment_type() {
  return make_type(kKluctlGroup, kKluctlVersion, kKluctlKind, "kluctldeployments");
}

std::string crds_yaml(bool kluctl, bool flux) {
  std::string out = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gantrydeployments.gantry.dev
spec:
  group: gantry.dev
  scope: Namespaced
  names:
    kind: GantryDeployment
    listKind: GantryDeploymentList
    plural: gantrydeployments
    singular: gantrydeployment
    shortNames: [gd]
    categories: [gantry]
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - {name: Target, type: string, jsonPath: .spec.target}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Revision, type: string, jsonPath: .status.lastAppliedRevision}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          metadata: {type: object}
          spec:
            type: object
            required: [source]
            properties:
              source:
                type: object
                required: [git]
                properties:
                  git:
                    type: object
                    required: [url]
                    properties:
                      url: {type: string, minLength: 1}
                      path: {type: string}
                      ref:
                        type: object
                        properties:
                          branch: {type: string}
                          tag: {type: string}
                          commit: {type: string}
                      secretRef:
                        type: object
                        required: [name]
                        properties:
                          name: {type: string}
              target: {type: string}
              args:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              context: {type: string}
              kubeConfig:
                type: object
                required: [secretRef]
                properties:
                  secretRef:
                    type: object
                    required: [name]
                    properties:
                      name: {type: string, minLength: 1}
                      key: {type: string}
              serviceAccountName: {type: string}
              interval: {type: string, pattern: '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$'}
              retryInterval: {type: string, pattern: '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$'}
              timeout: {type: string, pattern: '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$'}
              suspend: {type: boolean}
              prune: {type: boolean}
              delete: {type: boolean}
              dryRun: {type: boolean}
              forceConflicts: {type: boolean}
              includeTags: {type: array, items: {type: string}}
              excludeTags: {type: array, items: {type: string}}
              includeDeploymentDirs: {type: array, items: {type: string}}
              excludeDeploymentDirs: {type: array, items: {type: string}}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
            properties:
              inventoryItems:
                type: array
                items:
                  type: object
                  properties:
                    path: {type: string}
                    objects: {type: array, items: {type: integer}}
              history:
                type: array
                maxItems: 10
                items:
                  type: object
                  properties:
                    revision: {type: string}
                    startedAt: {type: string}
                    finishedAt: {type: string}
                    applied: {type: integer}
                    unchanged: {type: integer}
                    pruned: {type: integer}
                    failed: {type: integer}
                    result: {type: string, description: "succeeded, failed or dry run"}
                    message: {type: string}
                    attempts: {type: integer}
                    trigger:
                      type: object
                      properties:
                        reason: {type: string}
                        by: {type: string}
                    hooks:
                      type: array
                      items:
                        type: object
                        properties:
                          object: {type: string}
                          item: {type: string}
                          phase: {type: string}
                          weight: {type: integer}
                          result: {type: string}
                          message: {type: string}
                          durationMs: {type: integer}
)";
  if (kluctl)
    out += R"(---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: kluctldeployments.gitops.kluctl.io
spec:
  group: gitops.kluctl.io
  scope: Namespaced
  names:
    kind: KluctlDeployment
    listKind: KluctlDeploymentList
    plural: kluctldeployments
    singular: kluctldeployment
  versions:
  - name: v1beta1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
)";
  out += "---\n" + image_update_crds_yaml(flux);
  return out;
}

}  // namespace gantry::gitops
