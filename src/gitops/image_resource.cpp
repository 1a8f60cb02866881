#include "gitops/image_resource.h"

#include <set>

#include "core/error.h"
#include "doc/yaml.h"
#include "gitops/resource.h"
#include "gitops/spec_fields.h"

namespace gantry::gitops {

using doc::Value;

namespace {

const Value& map_at(const Value& m, std::string_view key, const std::string& field) {
  static const Value empty = Value::map();
  const Value* v = m.find(key);
  if (!v || v->is_null()) return empty;
  if (!v->is_map()) bad(field, "must be a mapping");
  return *v;
}

std::string secret_name(const Value& holder, const std::string& field) {
  return text_at(map_at(holder, "secretRef", field + ".secretRef"), "name",
                 field + ".secretRef.name");
}

void note_unknown(const Value& m, std::initializer_list<std::string_view> known,
                  const std::string& prefix, std::vector<std::string>& out) {
  if (!m.is_map()) return;
  for (const auto& member : m.as_map()) {
    bool ok = false;
    for (auto k : known)
      ok = ok || member.key == k;
    if (!ok) out.push_back(prefix + member.key);
  }
}

void read_author(const Value& commit, ImageUpdateSpec& s, const std::string& field) {
  const Value& author = map_at(commit, "author", field + ".author");
  std::string name = text_at(author, "name", field + ".author.name");
  std::string email = text_at(author, "email", field + ".author.email");
  if (!name.empty()) s.author_name = name;
  if (!email.empty()) s.author_email = email;
}

void read_gantry(const Value& spec, ImageUpdateSpec& s) {
  note_unknown(spec,
               {"interval", "suspend", "git", "sourceRef", "push", "paths", "policies",
                "policyRefs", "markers", "updateImages", "registry", "commit"},
               "spec.", s.unsupported);
  const Value& git = map_at(spec, "git", "git");
  s.url = text_at(git, "url", "git.url");
  s.branch = text_at(git, "branch", "git.branch");
  s.secret = secret_name(git, "git");
  const Value& src = map_at(spec, "sourceRef", "sourceRef");
  s.source_kind = text_at(src, "kind", "sourceRef.kind");
  s.source_name = text_at(src, "name", "sourceRef.name");
  if (s.url.empty() && s.source_name.empty())
    bad("git.url", "is required (or spec.sourceRef naming a GantryDeployment)");
  if (!s.source_name.empty() && s.source_kind.empty()) s.source_kind = std::string(kKind);
  s.push_branch = text_at(map_at(spec, "push", "push"), "branch", "push.branch");
  s.paths = strings_at(spec, "paths", "paths");
  if (const Value* p = spec.find("policies"); p && !p->is_null()) {
    if (!p->is_list()) bad("policies", "must be a list of policies");
    s.inline_policies = *p;
  }
  if (const Value* refs = spec.find("policyRefs"); refs && !refs->is_null()) {
    if (!refs->is_list()) bad("policyRefs", "must be a list of {name: ...}");
    for (const auto& r : refs->as_list()) {
      if (!r.is_map() || r.get_string("name").empty())
        bad("policyRefs", "each entry needs a name (an ImagePolicy of this namespace)");
      s.policy_refs.push_back(r.get_string("name"));
    }
  }
  if (s.inline_policies.size() == 0 && s.policy_refs.empty())
    bad("policies", "give at least one policy (spec.policies or spec.policyRefs)");
  if (const Value* ms = spec.find("markers"); ms && !ms->is_null()) {
    if (!ms->is_list()) bad("markers", "must be a list of {name, policy, field}");
    for (const auto& m : ms->as_list()) {
      if (!m.is_map()) bad("markers", "each entry must be a mapping {name, policy, field}");
      ImageUpdateSpec::Marker mk{m.get_string("name"), m.get_string("policy"),
                                 m.get_string("field")};
      if (mk.name.empty() || mk.name.find_first_of(" \t#") != std::string::npos)
        bad("markers", "each entry needs a name: the comment after `#` (e.g. STAGING_IMAGE_TAG)");
      if (mk.policy.empty()) bad("markers", "marker " + mk.name + " needs a policy");
      if (mk.policy.find(':') == std::string::npos) mk.policy = s.ns + ":" + mk.policy;
      if (mk.field.empty()) mk.field = "tag";
      if (mk.field != "tag" && mk.field != "image" && mk.field != "digest")
        bad("markers",
            "marker " + mk.name + ": field must be tag, image or digest, not " + mk.field);
      for (const auto& seen : s.markers)
        if (seen.name == mk.name) bad("markers", "marker " + mk.name + " is given twice");
      s.markers.push_back(std::move(mk));
    }
  }
  s.update_images = bool_at(spec, "updateImages", "updateImages");
  const Value& reg = map_at(spec, "registry", "registry");
  s.registry_insecure = bool_at(reg, "insecure", "registry.insecure");
  s.registry_secret = secret_name(reg, "registry");
  const Value& commit = map_at(spec, "commit", "commit");
  s.message_template = text_at(commit, "messageTemplate", "commit.messageTemplate");
  read_author(commit, s, "commit");
}

void read_flux(const Value& spec, ImageUpdateSpec& s) {
  note_unknown(spec, {"interval", "suspend", "sourceRef", "git", "update"}, "spec.", s.unsupported);
  const Value& src = map_at(spec, "sourceRef", "sourceRef");
  s.source_kind = text_at(src, "kind", "sourceRef.kind");
  s.source_name = text_at(src, "name", "sourceRef.name");
  s.source_ns = text_at(src, "namespace", "sourceRef.namespace");
  if (s.source_name.empty()) bad("sourceRef.name", "is required");
  if (s.source_kind.empty()) s.source_kind = "GitRepository";
  if (s.source_kind != "GitRepository" && s.source_kind != kKind)
    bad("sourceRef.kind", "must be GitRepository or GantryDeployment, not " + s.source_kind);
  const Value& git = map_at(spec, "git", "git");
  note_unknown(git, {"checkout", "commit", "push"}, "spec.git.", s.unsupported);
  const Value& checkout = map_at(git, "checkout", "git.checkout");
  s.branch =
      text_at(map_at(checkout, "ref", "git.checkout.ref"), "branch", "git.checkout.ref.branch");
  const Value& commit = map_at(git, "commit", "git.commit");
  note_unknown(commit, {"author", "messageTemplate"}, "spec.git.commit.", s.unsupported);
  read_author(commit, s, "git.commit");
  std::string tmpl = text_at(commit, "messageTemplate", "git.commit.messageTemplate");
  // Flux's templates are Go templates; gantry's placeholders are {changes},
  // {files}, {values}, {count}. A Go template is not expanded.
  if (tmpl.find("{{") != std::string::npos)
    s.unsupported.push_back("spec.git.commit.messageTemplate (Go template; gantry's default used)");
  else
    s.message_template = tmpl;
  const Value& push = map_at(git, "push", "git.push");
  note_unknown(push, {"branch"}, "spec.git.push.", s.unsupported);
  s.push_branch = text_at(push, "branch", "git.push.branch");
  const Value& update = map_at(spec, "update", "update");
  std::string strategy = text_at(update, "strategy", "update.strategy");
  if (!strategy.empty() && strategy != "Setters")
    bad("update.strategy", "must be Setters, not " + strategy);
  std::string path = text_at(update, "path", "update.path");
  if (!path.empty()) s.paths.push_back(path);
  s.all_namespace_policies = true;
}

Value crd(const std::string& group, const std::string& kind, const std::string& plural,
          const std::vector<std::string>& versions) {
  Value vs = Value::list();
  for (size_t i = 0; i < versions.size(); ++i)
    vs.push_back(Value::object(
        {{"name", versions[i]},
         {"served", true},
         {"storage", i == 0},
         {"subresources", Value::object({{"status", Value::map()}})},
         {"schema",
          Value::object({{"openAPIV3Schema",
                          Value::object({{"type", "object"},
                                         {"x-kubernetes-preserve-unknown-fields", true}})}})}}));
  std::string singular = plural.substr(0, plural.size() - (plural.back() == 's' ? 1 : 0));
  if (plural.size() > 3 && plural.substr(plural.size() - 3) == "ies")
    singular = plural.substr(0, plural.size() - 3) + "y";
  return Value::object(
      {{"apiVersion", "apiextensions.k8s.io/v1"},
       {"kind", "CustomResourceDefinition"},
       {"metadata", Value::object({{"name", plural + "." + group}})},
       {"spec", Value::object({{"group", group},
                               {"scope", "Namespaced"},
                               {"names", Value::object({{"kind", kind},
                                                        {"listKind", kind + "List"},
                                                        {"plural", plural},
                                                        {"singular", singular}})},
                               {"versions", vs}})}});
}

}  // namespace

ImageUpdateSpec parse_image_update(const Value& o) {
  ImageUpdateSpec s;
  s.api_version = o.get_string("apiVersion");
  s.kind = o.get_string("kind");
  if (const Value* m = o.find("metadata")) {
    s.ns = m->get_string("namespace");
    s.name = m->get_string("name");
    if (const Value* g = m->find("generation"); g && g->is_int()) s.generation = g->as_int();
    if (const Value* a = m->find("annotations"); a && a->is_map()) {
      s.requested_at = a->get_string(kRequestAnnotation);
      if (s.requested_at.empty()) s.requested_at = a->get_string("reconcile.fluxcd.io/requestedAt");
    }
  }
  static const Value empty = Value::map();
  const Value* spec = o.find("spec");
  if (spec && !spec->is_map()) bad("", "spec must be a mapping");
  const Value& sp = spec ? *spec : empty;
  if (s.is_flux())
    read_flux(sp, s);
  else
    read_gantry(sp, s);
  s.interval = duration_at(sp, "interval", "interval", std::chrono::minutes(5));
  s.suspend = bool_at(sp, "suspend", "suspend");
  if (s.paths.empty()) s.paths.push_back(".");
  return s;
}

kube::ResourceType image_update_type() {
  kube::ResourceType t;
  t.group = kGroup;
  t.version = kVersion;
  t.kind = kImageUpdateKind;
  t.resource = "gantryimageupdates";
  t.namespaced = true;
  t.verbs = {"get", "list", "watch", "patch", "update"};
  return t;
}

kube::ResourceType flux_type(const std::string& kind, const std::string& version) {
  kube::ResourceType t = image_update_type();
  t.group = kFluxImageGroup;
  t.version = version;
  t.kind = kind;
  t.resource = kind == "ImageRepository" ? "imagerepositories"
               : kind == "ImagePolicy"   ? "imagepolicies"
                                         : "imageupdateautomations";
  return t;
}

kube::ResourceType flux_git_repository_type() {
  kube::ResourceType t = image_update_type();
  t.group = "source.toolkit.fluxcd.io";
  t.version = "v1";
  t.kind = "GitRepository";
  t.resource = "gitrepositories";
  return t;
}

std::string image_update_crds_yaml(bool flux) {
  std::string out = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gantryimageupdates.gantry.dev
spec:
  group: gantry.dev
  scope: Namespaced
  names:
    kind: GantryImageUpdate
    listKind: GantryImageUpdateList
    plural: gantryimageupdates
    singular: gantryimageupdate
    shortNames: [giu]
    categories: [gantry]
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources:
      status: {}
    additionalPrinterColumns:
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Last scan, type: date, jsonPath: .status.lastScanTime}
    - {name: Last push, type: string, jsonPath: .status.lastPushCommit}
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
            properties:
              interval: {type: string, pattern: '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$'}
              suspend: {type: boolean}
              git:
                type: object
                properties:
                  url: {type: string, minLength: 1}
                  branch: {type: string}
                  secretRef:
                    type: object
                    required: [name]
                    properties: {name: {type: string}}
              sourceRef:
                type: object
                required: [name]
                properties:
                  kind: {type: string, enum: [GantryDeployment]}
                  name: {type: string}
              push:
                type: object
                properties: {branch: {type: string}}
              paths: {type: array, items: {type: string}}
              policies:
                type: array
                items:
                  type: object
                  required: [name, image, policy]
                  properties:
                    name: {type: string}
                    namespace: {type: string}
                    image: {type: string}
                    policy: {type: object, x-kubernetes-preserve-unknown-fields: true}
                    filterTags:
                      type: object
                      properties:
                        pattern: {type: string}
                        extract: {type: string}
                    digestReflectionPolicy: {type: string, enum: [Never, IfNotPresent, Always]}
              policyRefs:
                type: array
                items:
                  type: object
                  required: [name]
                  properties: {name: {type: string}}
              markers:
                type: array
                items:
                  type: object
                  required: [name, policy]
                  properties:
                    name: {type: string}
                    policy: {type: string}
                    field: {type: string, enum: [tag, image, digest]}
              updateImages: {type: boolean}
              registry:
                type: object
                properties:
                  insecure: {type: boolean}
                  secretRef:
                    type: object
                    required: [name]
                    properties: {name: {type: string}}
              commit:
                type: object
                properties:
                  messageTemplate: {type: string}
                  author:
                    type: object
                    properties:
                      name: {type: string}
                      email: {type: string}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
)";
  if (flux) {
    std::vector<Value> crds{
        crd("image.toolkit.fluxcd.io", "ImageRepository", "imagerepositories", {"v1beta2", "v1"}),
        crd("image.toolkit.fluxcd.io", "ImagePolicy", "imagepolicies", {"v1beta2", "v1"}),
        crd("image.toolkit.fluxcd.io", "ImageUpdateAutomation", "imageupdateautomations",
            {"v1beta2", "v1"}),
        crd("source.toolkit.fluxcd.io", "GitRepository", "gitrepositories", {"v1"})};
    for (const auto& c : crds)
      out += "---\n" + doc::to_yaml(c);
  }
  return out;
}

}  // namespace gantry::gitops
