#include "gitops/image_update.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "automation/policies.h"
#include "automation/update.h"
#include "core/base64.h"
#include "core/error.h"
#include "core/file.h"
#include "core/timestamp.h"
#include "doc/json.h"
#include "git/remote.h"
#include "git/workspace.h"
#include "gitops/credentials.h"
#include "gitops/image_resource.h"
#include "gitops/resource.h"
#include "gitops/status.h"
#include "kube/objects.h"
#include "oci/credentials.h"
#include "oci/reference.h"
#include "oci/registry.h"

namespace gantry::gitops {

using doc::Value;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// A failed step: Ready=False with this reason.
struct Failure {
  std::string reason, message;
};

struct Outcome {
  std::string reason, message;  // Ready=True
  std::string scan_time;
  std::map<std::string, automation::PolicyImage> latest;
  std::string commit, push_time, pushed_branch;
  std::vector<std::string> changes;
};

struct RegistryAccess {
  std::string secret;  // dockerconfigjson Secret in `ns`
  std::string ns;
  bool insecure = false;
};

struct State {
  Clock::time_point last_run{};
  bool ran = false;
  int64_t generation = -1;
  std::string request;
  std::string last_commit, last_push_time;  // kept across runs for the status
};

// The `auths` credentials of a docker config JSON (a dockerconfigjson
// Secret) for `host`; credential helpers named in a Secret are not run.
oci::Credential docker_config_credential(const std::string& json, const std::string& host) {
  Value cfg = doc::parse_json(json, "<registry secret>");
  const Value* auths = cfg.find("auths");
  oci::Credential c;
  if (!auths || !auths->is_map()) return c;
  for (const auto& m : auths->as_map()) {
    if (oci::normalize_auth_key(m.key) != host) continue;
    std::string auth = m.value.get_string("auth");
    if (auto decoded = base64_decode(auth); decoded && !auth.empty()) {
      size_t colon = decoded->find(':');
      c.username = decoded->substr(0, colon);
      c.password = colon == std::string::npos ? "" : decoded->substr(colon + 1);
    } else {
      c.username = m.value.get_string("username");
      c.password = m.value.get_string("password");
    }
    c.identity_token = m.value.get_string("identitytoken");
    return c;
  }
  return c;
}

// An object of the cluster reduced to what automation::policies_of reads.
Value policy_doc(const Value& o) {
  Value meta = Value::object({{"name", kube::name_of(o)}, {"namespace", kube::namespace_of(o)}});
  const Value* spec = o.find("spec");
  return Value::object({{"apiVersion", o.get_string("apiVersion")},
                        {"kind", o.get_string("kind")},
                        {"metadata", meta},
                        {"spec", spec ? *spec : Value::map()}});
}

// The version of a Flux image kind the cluster serves ("" when none).
std::string served_flux_version(kube::RestMapper& mapper, const std::string& kind) {
  for (const char* v : {"v1", "v1beta2"})
    if (mapper.find(std::string(kFluxImageGroup) + "/" + v, kind)) return v;
  return "";
}

}  // namespace

std::vector<std::pair<kube::ResourceType, Value>> list_image_updates(const kube::Client& client,
                                                                     kube::RestMapper& mapper,
                                                                     const std::string& ns) {
  std::vector<kube::ResourceType> types;
  if (mapper.find(std::string(kGroup) + "/" + std::string(kVersion), kImageUpdateKind))
    types.push_back(image_update_type());
  if (std::string v = served_flux_version(mapper, std::string(kFluxAutomationKind)); !v.empty())
    types.push_back(flux_type(std::string(kFluxAutomationKind), v));
  std::vector<std::pair<kube::ResourceType, Value>> out;
  for (const auto& t : types)
    for (auto& o : kube::list(client, t, ns, ""))
      out.emplace_back(t, std::move(o));
  return out;
}

struct ImageUpdater::Impl {
  const kube::Client& client;
  kube::RestMapper& mapper;
  ImageUpdaterOptions opt;
  std::mutex mu;
  std::map<std::string, State> states;

  Impl(const kube::Client& c, kube::RestMapper& m, ImageUpdaterOptions o)
      : client(c), mapper(m), opt(std::move(o)) {}

  void log(const std::string& level, const std::string& msg,
           std::vector<std::pair<std::string, std::string>> fields = {}) const {
    if (opt.log) opt.log(level, msg, std::move(fields));
  }

  std::string flux_version(const std::string& kind) { return served_flux_version(mapper, kind); }

  std::vector<std::string> namespaces() const {
    return opt.watch_namespaces.empty() ? std::vector<std::string>{""} : opt.watch_namespaces;
  }

  std::vector<std::pair<kube::ResourceType, Value>> resources() {
    std::vector<std::pair<kube::ResourceType, Value>> out;
    for (const auto& ns : namespaces())
      for (auto& item : list_image_updates(client, mapper, ns))
        out.push_back(std::move(item));
    return out;
  }

  size_t run_due() {
    size_t ran = 0;
    std::set<std::string> seen;
    for (auto& [type, obj] : resources()) {
      std::string key =
          obj.get_string("kind") + "/" + kube::namespace_of(obj) + "/" + kube::name_of(obj);
      seen.insert(key);
      ImageUpdateSpec spec;
      try {
        spec = parse_image_update(obj);
      } catch (const Error& e) {
        if (!due(key, obj, std::chrono::minutes(5))) continue;
        ++ran;
        write_failure(type, obj, Failure{"InvalidSpec", e.why()}, {});
        continue;
      }
      if (!due(key, obj, spec.interval)) continue;
      ++ran;
      reconcile(type, obj, spec);
    }
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = states.begin(); it != states.end();)
      it = seen.count(it->first) ? std::next(it) : states.erase(it);
    return ran;
  }

  bool due(const std::string& key, const Value& obj, std::chrono::milliseconds interval) {
    int64_t generation = 0;
    if (const Value* g = obj.find_path({"metadata", "generation"}); g && g->is_int())
      generation = g->as_int();
    std::string request;
    if (const Value* a = obj.find_path({"metadata", "annotations"}); a && a->is_map()) {
      request = a->get_string(kRequestAnnotation);
      if (request.empty()) request = a->get_string("reconcile.fluxcd.io/requestedAt");
    }
    std::lock_guard<std::mutex> lock(mu);
    State& st = states[key];
    auto now = Clock::now();
    bool is_due = !st.ran || st.generation != generation || st.request != request ||
                  now - st.last_run >= interval;
    if (!is_due) return false;
    st.ran = true;
    st.last_run = now;
    st.generation = generation;
    st.request = request;
    return true;
  }

  // ---- one run -------------------------------------------------------------

  void reconcile(const kube::ResourceType& type, const Value& obj, ImageUpdateSpec& s) {
    ResourceLabels labels{s.kind, s.ns, s.name};
    if (s.suspend) {
      write_status(type, obj, s, nullptr, nullptr);
      log("info", "image automation suspended", {{"resource", s.key()}});
      return;
    }
    Outcome out;
    try {
      run(s, out);
    } catch (const Failure& f) {
      if (opt.metrics && out.scan_time.empty()) opt.metrics->image_scan(labels, f.reason);
      if (opt.metrics && !out.scan_time.empty()) opt.metrics->image_commit(labels, "failed");
      write_failure(type, obj, f, &out);
      log("warn", "image automation failed",
          {{"resource", s.key()}, {"reason", f.reason}, {"error", f.message}});
      return;
    }
    write_status(type, obj, s, &out, nullptr);
    log("info", "image automation done",
        {{"resource", s.key()}, {"reason", out.reason}, {"message", out.message}});
  }

  void resolve_source(ImageUpdateSpec& s) {
    if (s.source_name.empty()) {
      if (s.branch.empty()) s.branch = "main";
      return;
    }
    std::string ns = s.source_ns.empty() ? s.ns : s.source_ns;
    std::string what = s.source_kind + " " + ns + "/" + s.source_name;
    if (s.source_kind == kKind) {
      auto o = kube::get(client, gantry_deployment_type(), ns, s.source_name);
      if (!o) throw Failure{"SourceNotFound", what + " does not exist"};
      DeploymentSpec d = parse_deployment(*o);
      s.url = d.source.url;
      if (s.branch.empty()) s.branch = d.source.branch;
      s.secret = d.source.secret;
    } else {
      if (!mapper.find("source.toolkit.fluxcd.io/v1", "GitRepository"))
        throw Failure{"SourceNotFound",
                      "the cluster does not serve GitRepository (source.toolkit.fluxcd.io/v1)"};
      auto o = kube::get(client, flux_git_repository_type(), ns, s.source_name);
      if (!o) throw Failure{"SourceNotFound", what + " does not exist"};
      s.url = o->find_path({"spec", "url"}) ? o->find_path({"spec", "url"})->as_string() : "";
      if (const Value* b = o->find_path({"spec", "ref", "branch"}); b && s.branch.empty())
        s.branch = b->as_string();
      if (const Value* n = o->find_path({"spec", "secretRef", "name"})) s.secret = n->as_string();
    }
    if (s.url.empty()) throw Failure{"SourceNotFound", what + " has no Git URL"};
    if (s.branch.empty()) s.branch = "main";
  }

  // The policies and, per image repository, how to reach its registry.
  std::vector<automation::ImagePolicy> policies(const ImageUpdateSpec& s,
                                                std::map<std::string, RegistryAccess>& access,
                                                std::vector<Value>& flux_policies) {
    std::vector<Value> docs;
    if (s.inline_policies.size() > 0) {
      Value items = Value::list();
      for (Value item : s.inline_policies.as_list()) {
        if (item.is_map() && item.get_string("namespace").empty()) item.set("namespace", s.ns);
        items.push_back(std::move(item));
      }
      docs.push_back(Value::object({{"policies", items}}));
      for (const auto& item : s.inline_policies.as_list())
        access[item.get_string("image")] =
            RegistryAccess{s.registry_secret, s.ns, s.registry_insecure};
    }
    if (s.all_namespace_policies || !s.policy_refs.empty()) {
      std::string pv = flux_version("ImagePolicy"), rv = flux_version("ImageRepository");
      if (pv.empty() || rv.empty())
        throw Failure{"PolicyNotFound",
                      "the cluster does not serve Flux's ImagePolicy and ImageRepository "
                      "(install them with `gantry controller --crds --flux-crds`)"};
      std::set<std::string> wanted(s.policy_refs.begin(), s.policy_refs.end());
      std::set<std::string> repo_namespaces{s.ns};
      for (auto& p : kube::list(client, flux_type("ImagePolicy", pv), s.ns, "")) {
        std::string name = kube::name_of(p);
        if (!s.all_namespace_policies && !wanted.erase(name)) continue;
        if (const Value* rns = p.find_path({"spec", "imageRepositoryRef", "namespace"});
            rns && rns->is_string() && !rns->as_string().empty())
          repo_namespaces.insert(rns->as_string());
        docs.push_back(policy_doc(p));
        flux_policies.push_back(std::move(p));
      }
      if (!wanted.empty())
        throw Failure{"PolicyNotFound",
                      "ImagePolicy " + s.ns + "/" + *wanted.begin() + " does not exist"};
      for (const auto& ns : repo_namespaces)
        for (const auto& r : kube::list(client, flux_type("ImageRepository", rv), ns, "")) {
          docs.push_back(policy_doc(r));
          const Value* spec = r.find("spec");
          if (!spec) continue;
          RegistryAccess a{"", ns, false};
          if (const Value* n = spec->find_path({"secretRef", "name"}); n && n->is_string())
            a.secret = n->as_string();
          if (const Value* i = spec->find("insecure"); i && i->is_bool()) a.insecure = i->as_bool();
          access[spec->get_string("image")] = a;
        }
      if (s.all_namespace_policies && flux_policies.empty() && s.inline_policies.size() == 0)
        throw Failure{"PolicyNotFound", "no ImagePolicy in namespace " + s.ns};
    }
    try {
      return automation::policies_of(docs, s.key());
    } catch (const Error& e) {
      throw Failure{"InvalidPolicy", e.what()};
    }
  }

  std::map<std::string, automation::PolicyImage> scan(
      const std::vector<automation::ImagePolicy>& policies,
      const std::map<std::string, RegistryAccess>& access) {
    oci::Session::Options so;
    for (const auto& [image, a] : access)
      if (a.insecure) so.insecure_registries.push_back(oci::parse_repository(image).registry);
    oci::Session session(so);
    std::map<std::string, std::optional<oci::Credential>> creds;  // by image
    auto registry = [&](const std::string& image) -> oci::Registry& {
      oci::Reference repo = oci::parse_repository(image);
      if (!creds.count(image)) {
        std::optional<oci::Credential> c;
        auto it = access.find(image);
        if (it != access.end() && !it->second.secret.empty()) {
          auto data = kube::get_secret_data(client, it->second.ns, it->second.secret);
          if (!data)
            throw Error("the registry Secret " + it->second.ns + "/" + it->second.secret +
                            " does not exist",
                        ExitCode::kNotFound);
          auto j = data->find(".dockerconfigjson");
          if (j == data->end())
            throw Error("the registry Secret " + it->second.ns + "/" + it->second.secret +
                            " has no .dockerconfigjson",
                        ExitCode::kInvalidInput);
          c = docker_config_credential(j->second, repo.registry);
        }
        creds[image] = c;
      }
      return session.registry(repo.api_host(), creds[image]);
    };
    auto list = [&](const std::string& image) {
      return registry(image).list_tags(oci::parse_repository(image).repository);
    };
    auto digest_of = [&](const std::string& image, const std::string& tag) {
      auto d = registry(image).head_manifest(oci::parse_repository(image).repository, tag);
      if (!d) throw Error("manifest " + image + ":" + tag + " not found", ExitCode::kNotFound);
      return d->digest.str();
    };
    try {
      return automation::resolve_policies(policies, list, digest_of);
    } catch (const Error& e) {
      throw Failure{"ScanFailed", e.what()};
    }
  }

  // What the picked images set: Flux setters always; course markers and
  // `image:` fields / kustomization `images:` entries when the spec asks.
  static automation::UpdateOptions update_options(
      const ImageUpdateSpec& s, const std::map<std::string, automation::PolicyImage>& picked) {
    automation::UpdateOptions uo;
    uo.setters = picked;
    for (const auto& m : s.markers) {
      auto it = picked.find(m.policy);
      if (it == picked.end())
        throw Failure{"InvalidSpec", "marker " + m.name + " names policy " + m.policy +
                                         ", which is not a policy of " + s.key()};
      const automation::PolicyImage& img = it->second;
      if (m.field == "digest" && img.digest.empty())
        throw Failure{"InvalidSpec",
                      "marker " + m.name + ": no digest is known for policy " + m.policy};
      uo.markers.emplace_back(m.name, m.field == "tag"     ? img.tag
                                      : m.field == "image" ? img.str()
                                                           : img.digest);
    }
    if (s.update_images)
      for (const auto& [key, img] : picked) {
        uo.images.emplace_back(img.image, img.tag);
        if (img.pin && !img.digest.empty()) uo.digests.emplace_back(img.image, img.digest);
      }
    return uo;
  }

  void run(ImageUpdateSpec& s, Outcome& out) {
    ResourceLabels labels{s.kind, s.ns, s.name};
    resolve_source(s);
    std::map<std::string, RegistryAccess> access;
    std::vector<Value> flux_policies;
    std::vector<automation::ImagePolicy> pols = policies(s, access, flux_policies);
    std::map<std::string, automation::PolicyImage> picked = scan(pols, access);
    out.scan_time = utc_now();
    out.latest = picked;
    if (opt.metrics) opt.metrics->image_scan(labels, "success");
    write_latest_refs(flux_policies, picked);

    auto fo = git_options_from_secret(client, s.ns, s.secret, opt.cache_dir / "keys");
    if (!fo)
      throw Failure{"GitFailed",
                    "the Secret \"" + s.secret + "\" does not exist in namespace " + s.ns};
    fs::path ws = opt.cache_dir / "image-updates" / (s.kind + "_" + s.ns + "_" + s.name);
    bool new_branch = !s.push_branch.empty() && s.push_branch != s.branch;
    try {
      // A review branch that exists already is updated where it is (its
      // earlier updates stay); otherwise it starts at the checkout branch.
      std::optional<git::Repository> existing;
      if (new_branch) try {
          existing.emplace(git::checkout_branch(s.url, s.push_branch, ws, *fo));
          new_branch = false;
        } catch (const Error& e) {
          if (e.code() != ExitCode::kNotFound) throw;
        }
      git::Repository repo = existing
                                 ? std::move(*existing)
                                 : git::checkout_branch(s.url, s.branch, ws, *fo, s.push_branch);
      automation::UpdateOptions uo = update_options(s, picked);
      automation::UpdatePlan plan;
      std::set<std::string> planned;
      for (const auto& p : s.paths) {
        fs::path dir = join_within(repo.workdir(), p);
        if (!fs::is_directory(dir))
          throw Failure{"InvalidPath", "path " + p + " is not a folder of branch " + s.branch};
        automation::UpdatePlan one = automation::plan_update(dir, uo);
        for (auto& f : one.files)
          if (planned.insert(fs::weakly_canonical(f.path).string()).second)
            plan.files.push_back(std::move(f));
      }
      if (plan.files.empty()) {
        if (opt.metrics) opt.metrics->image_commit(labels, "unchanged");
        out.reason = "NoChanges";
        out.message = "the latest images are already in " + s.branch;
        return;
      }
      automation::apply_update(plan);
      std::vector<fs::path> files;
      for (const auto& f : plan.files) {
        files.push_back(f.path);
        for (const auto& c : f.changes) {
          automation::Change shown = c;
          shown.file = repo.relative_path(f.path);
          out.changes.push_back(shown.str());
        }
      }
      std::string message = git::expand_message(
          s.message_template.empty() ? automation::kDefaultUpdateMessage : s.message_template,
          automation::message_values(plan,
                                     [&](const std::string& p) { return repo.relative_path(p); }));
      git::CommitResult c =
          repo.commit_files(files, message, git::Signature{s.author_name, s.author_email},
                            new_branch ? s.push_branch : "");
      if (!c.created) {
        if (opt.metrics) opt.metrics->image_commit(labels, "unchanged");
        out.reason = "NoChanges";
        out.message = "the latest images are already in " + s.branch;
        return;
      }
      git::PushOptions po;
      po.branch = c.branch;
      po.credentials = fo->credentials;
      po.ca_file = fo->ca_file;
      git::PushResult pr = git::push(repo, po);
      if (opt.metrics) opt.metrics->image_commit(labels, "pushed");
      out.commit = pr.commit;
      out.push_time = utc_now();
      out.pushed_branch = pr.branch;
      out.reason = "Pushed";
      out.message = "pushed " + pr.commit.substr(0, 12) + " to " + pr.branch +
                    (pr.rebased ? " (re-applied onto the remote's newer commits)" : "") + ": " +
                    std::to_string(plan.change_count()) + " change(s)";
    } catch (const Failure&) {
      throw;
    } catch (const Error& e) {
      throw Failure{"GitFailed", e.what()};
    }
  }

  // ---- status --------------------------------------------------------------

  void write_latest_refs(const std::vector<Value>& flux_policies,
                         const std::map<std::string, automation::PolicyImage>& picked) {
    for (const auto& p : flux_policies) {
      std::string ns = kube::namespace_of(p), name = kube::name_of(p);
      auto it = picked.find(ns + ":" + name);
      if (it == picked.end()) continue;
      Value ref = Value::object({{"name", it->second.image}, {"tag", it->second.tag}});
      if (!it->second.digest.empty()) ref.set("digest", it->second.digest);
      Value status =
          Value::object({{"latestRef", ref},
                         {"observedGeneration", p.find_path({"metadata", "generation"})
                                                    ? *p.find_path({"metadata", "generation"})
                                                    : Value(0)}});
      std::string api = p.get_string("apiVersion");
      kube::ResourceType t = flux_type("ImagePolicy", api.substr(api.find('/') + 1));
      patch_status(t, ns, name, status);
    }
  }

  void patch_status(const kube::ResourceType& t, const std::string& ns, const std::string& name,
                    const Value& status) {
    try {
      gitops::patch_status(client, t, ns, name, status);
    } catch (const Error& e) {
      log("warn", "status not written",
          {{"resource", t.kind + "/" + ns + "/" + name}, {"error", e.what()}});
    }
  }

  void write_failure(const kube::ResourceType& type, const Value& obj, const Failure& f,
                     const Outcome* partial) {
    ImageUpdateSpec s;
    s.kind = obj.get_string("kind");
    s.ns = kube::namespace_of(obj);
    s.name = kube::name_of(obj);
    if (const Value* g = obj.find_path({"metadata", "generation"}); g && g->is_int())
      s.generation = g->as_int();
    write_status(type, obj, s, partial, &f);
  }

  void write_status(const kube::ResourceType& type, const Value& obj, const ImageUpdateSpec& s,
                    const Outcome* out, const Failure* f) {
    const Value* old = obj.find("status");
    State st;
    {
      std::lock_guard<std::mutex> lock(mu);
      State& live = states[s.key()];
      if (out && !out->commit.empty()) {
        live.last_commit = out->commit;
        live.last_push_time = out->push_time;
      }
      st = live;
    }
    Condition ready{"Ready", "True", out ? out->reason : "", out ? out->message : ""};
    if (f) ready = Condition{"Ready", "False", f->reason, f->message};
    if (s.suspend && !f)
      ready = Condition{"Ready", "True", "Suspended", "image automation is suspended"};
    Value status = conditions_status({ready}, s.generation, old);
    if (out && !out->scan_time.empty()) {
      status.set("lastScanTime", out->scan_time);
      status.set("lastAutomationRunTime", out->scan_time);  // Flux's name
      Value latest = Value::list();
      for (const auto& [key, img] : out->latest) {
        Value l = Value::object({{"policy", key}, {"name", img.image}, {"tag", img.tag}});
        if (!img.digest.empty()) l.set("digest", img.digest);
        latest.push_back(l);
      }
      status.set("latestImages", latest);
    }
    if (out && !out->changes.empty()) {
      Value ch = Value::list();
      for (const auto& c : out->changes)
        ch.push_back(c);
      status.set("lastChanges", ch);
    }
    if (!st.last_commit.empty()) {
      status.set("lastPushCommit", st.last_commit);
      status.set("lastPushTime", st.last_push_time);
    }
    if (!s.unsupported.empty()) {
      Value u = Value::list();
      for (const auto& x : s.unsupported)
        u.push_back(x);
      status.set("unsupportedFields", u);
    }
    if (!s.requested_at.empty()) status.set("lastHandledReconcileAt", s.requested_at);
    patch_status(type, s.ns, s.name, status);
  }
};

ImageUpdater::ImageUpdater(const kube::Client& client, kube::RestMapper& mapper,
                           ImageUpdaterOptions options)
    : impl_(std::make_unique<Impl>(client, mapper, std::move(options))) {}

ImageUpdater::~ImageUpdater() = default;

bool ImageUpdater::served() const {
  return impl_->mapper.find(std::string(kGroup) + "/" + std::string(kVersion), kImageUpdateKind) ||
         !impl_->flux_version(std::string(kFluxAutomationKind)).empty();
}

size_t ImageUpdater::run_due() {
  return impl_->run_due();
}

}  // namespace gantry::gitops
