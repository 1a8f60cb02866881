// gantry update: set image tags and marked scalars in the YAML files of a directory,
// changing only the bytes of those scalars.
#include <CLI/CLI.hpp>

#include <iostream>

#include "automation/policies.h"
#include "automation/update.h"
#include "cli/command.h"
#include "cli/oci_common.h"
#include "cli/update_git.h"
#include "core/error.h"

namespace gantry::cli {

namespace {

std::pair<std::string, std::string> split_assignment(const std::string& flag,
                                                     const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw Error(flag + " expects NAME=VALUE, got '" + text + "'", ExitCode::kUsage);
  std::string value = text.substr(eq + 1);
  if (value.find_first_of("\r\n") != std::string::npos)
    throw Error(flag + " value must be a single line", ExitCode::kUsage);
  return {text.substr(0, eq), value};
}

struct UpdateFlags {
  std::string dir = ".";
  std::vector<std::string> markers;
  std::vector<std::string> images;
  bool dry_run = false;
  std::vector<std::string> policies;  // --policies FILE|DIR (repeatable)
  std::vector<std::string> setters;   // --setter NS:NAME=IMAGE:TAG
  RegistryFlags registry;             // for listing the tags of the policies' repositories
  UpdateGitFlags git;                 // --commit, --push ...
};

// "sha256:<64 hex>" (or sha512:<128 hex>).
bool is_digest(const std::string& d) {
  size_t colon = d.find(':');
  std::string algo = d.substr(0, colon == std::string::npos ? 0 : colon);
  size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
  if (!want || d.size() - colon - 1 != want) return false;
  return d.find_first_not_of("0123456789abcdef", colon + 1) == std::string::npos;
}

// --image NAME=TAG, NAME@DIGEST or NAME=TAG@DIGEST.
void add_image_flag(const std::string& text, automation::UpdateOptions& opts) {
  size_t eq = text.find('=');
  size_t at = text.find('@', eq == std::string::npos ? 0 : eq);
  std::string name = text.substr(0, std::min(eq, at));
  if (at != std::string::npos) {
    std::string digest = text.substr(at + 1);
    if (!is_digest(digest))
      throw Error("--image " + text + ": '" + digest + "' is not a digest (sha256:<64 hex>)",
                  ExitCode::kUsage);
    if (name.empty()) throw Error("--image " + text + ": missing image name", ExitCode::kUsage);
    opts.digests.emplace_back(name, digest);
    if (eq == std::string::npos) return;
    opts.images.push_back(split_assignment("--image", text.substr(0, at)));
    return;
  }
  opts.images.push_back(split_assignment("--image", text));
}

// --setter NS:NAME=IMAGE:TAG[@DIGEST]: the result of policy NS:NAME given by hand.
void add_setter_flag(const std::string& text, automation::UpdateOptions& opts) {
  if (text.find('=') == std::string::npos)
    throw Error("--setter expects NAMESPACE:NAME=IMAGE:TAG[@DIGEST], got '" + text + "'",
                ExitCode::kUsage);
  auto [key, ref] = split_assignment("--setter", text);
  std::string digest;
  if (size_t at = ref.find('@'); at != std::string::npos) {
    digest = ref.substr(at + 1);
    ref.resize(at);
    if (!is_digest(digest))
      throw Error("--setter " + text + ": '" + digest + "' is not a digest (sha256:<64 hex>)",
                  ExitCode::kUsage);
  }
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (key.find(':') == std::string::npos || colon == std::string::npos ||
      (slash != std::string::npos && colon < slash) || colon + 1 == ref.size())
    throw Error("--setter expects NAMESPACE:NAME=IMAGE:TAG[@DIGEST], got '" + text + "'",
                ExitCode::kUsage);
  // A digest given by hand is pinned in whole-image setters too, like --image NAME=TAG@DIGEST.
  opts.setters[key] =
      automation::PolicyImage{ref.substr(0, colon), ref.substr(colon + 1), digest, !digest.empty()};
}

// Lists the tags of each policy's repository, picks its tag and asks for the
// digest of the pick (one HEAD request; `:digest` setters and digest
// reflection use it).
void resolve_policy_file(const UpdateFlags& f, automation::UpdateOptions& opts) {
  std::vector<automation::ImagePolicy> policies =
      automation::load_policies({f.policies.begin(), f.policies.end()});
  oci::Session session = make_session(f.registry);
  auto list = [&](const std::string& image) {
    oci::Reference repo = oci::parse_repository(image);
    return session.registry(repo.api_host()).list_tags(repo.repository);
  };
  auto digest_of = [&](const std::string& image, const std::string& tag) {
    oci::Reference repo = oci::parse_repository(image);
    auto d = session.registry(repo.api_host()).head_manifest(repo.repository, tag);
    if (!d) throw Error("manifest " + image + ":" + tag + " not found", ExitCode::kNotFound);
    return d->digest.str();
  };
  auto resolved = automation::resolve_policies(policies, list, digest_of);
  for (auto& [key, img] : resolved) {
    std::cerr << "gantry: policy " << key << ": " << img.str()
              << (img.pin || img.digest.empty() ? "" : " (" + img.digest + ")") << "\n";
    opts.setters.emplace(key, std::move(img));  // --setter wins over the file
  }
}

int run_update(const UpdateFlags& f) {
  automation::UpdateOptions opts;
  for (const auto& m : f.markers)
    opts.markers.push_back(split_assignment("--marker", m));
  for (const auto& i : f.images)
    add_image_flag(i, opts);
  for (const auto& s : f.setters)
    add_setter_flag(s, opts);
  if (!f.policies.empty()) resolve_policy_file(f, opts);
  if (opts.markers.empty() && opts.images.empty() && opts.digests.empty() && opts.setters.empty() &&
      f.policies.empty())
    throw Error(
        "nothing to update: give --marker NAME=VALUE, --image NAME=TAG, --policies FILE or "
        "--setter NS:NAME=IMAGE:TAG[@DIGEST]",
        ExitCode::kUsage);
  // Every file is read and checked before any is written.
  automation::UpdatePlan plan = automation::plan_update(f.dir, opts);
  for (const auto& n : plan.notes)
    std::cerr << "gantry: note: " << n << "\n";
  if (plan.files.empty()) {
    std::cout << "no changes\n";
    return 0;
  }
  if (f.dry_run) {
    for (const auto& file : plan.files)
      std::cout << automation::unified_diff(file);
    return 0;
  }
  // With --commit: the repository is checked before any file is written.
  std::unique_ptr<UpdatePublisher> publisher = prepare_publisher(f.git, f.dir, plan);
  automation::apply_update(plan);
  for (const auto& file : plan.files)
    for (const auto& c : file.changes)
      std::cout << c.str() << "\n";
  if (publisher) publisher->publish(plan);
  return 0;
}

}  // namespace

void add_update_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<UpdateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "update", "Set image tags and marked values in YAML manifests, changing only those bytes");
  cmd->add_option("dir", f->dir, "Directory searched recursively for *.yaml/*.yml (default: .)");
  cmd->add_option("--marker", f->markers,
                  "NAME=VALUE: set every scalar whose line ends in the comment # NAME");
  cmd->add_option("--image", f->images,
                  "NAME=TAG, NAME@DIGEST or NAME=TAG@DIGEST: set the tag (digest) of image NAME "
                  "in image: fields and kustomization images: (newTag, digest)");
  cmd->add_option("--policies", f->policies,
                  "Policy file or directory (gantry policies: or Flux ImageRepository/ImagePolicy; "
                  "repeatable): pick each policy's tag from its registry and set the "
                  "# {\"$imagepolicy\": \"NS:NAME\"} markers");
  cmd->add_option("--setter", f->setters,
                  "NS:NAME=IMAGE:TAG[@DIGEST]: set the $imagepolicy markers of policy NS:NAME "
                  "to this image without asking a registry (repeatable)");
  cmd->add_flag("--insecure", f->registry.insecure,
                "Policies: allow plain HTTP and unverified TLS for every registry");
  cmd->add_option("--insecure-registry", f->registry.insecure_registries,
                  "Policies: allow plain HTTP and unverified TLS for this host[:port]");
  cmd->add_option("--ca-file", f->registry.ca_file, "Policies: also trust the CAs in this PEM");
  cmd->add_option("--authfile", f->registry.authfile,
                  "Policies: registry auth file (default: as for gantry tags)");
  cmd->add_option("--page-size", f->registry.page_size,
                  "Policies: tags per request when listing (default: the registry's)")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--dry-run", f->dry_run, "Print a unified diff instead of writing");
  add_update_git_flags(cmd, f->git);
  cmd->callback([f, &action] { action = [f] { return run_update(*f); }; });
}

}  // namespace gantry::cli
