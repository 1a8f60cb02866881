// gantry build: build an image from a Dockerfile (or from files) without a
// daemon; progress per step as BuildKit's plain output, or JSON events.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "build/builder.h"
#include "build/registry_cache.h"
#include "cli/command.h"
#include "cli/oci_common.h"
#include "doc/json.h"

namespace gantry::cli {
namespace {

struct Flags {
  std::string context = ".";
  std::string file;
  std::vector<std::string> tags;
  bool push = false;
  std::vector<std::string> outputs;
  std::string target;
  std::vector<std::string> build_args;
  std::vector<std::string> secrets;
  bool no_cache = false;
  std::vector<std::string> cache_from;
  std::string cache_to;
  std::string cache_dir;
  std::string platform;
  std::string network = "none";
  std::vector<std::string> labels;
  bool revision_labels = false;
  std::string epoch;
  std::string from;
  std::vector<std::string> add;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string user;
  std::string workdir;
  std::vector<std::string> env;
  RegistryFlags reg;
};

std::pair<std::string, std::string> key_value(const std::string& s, const char* flag) {
  size_t eq = s.find('=');
  if (eq == 0) throw Error(std::string(flag) + " " + s + ": the name is empty", ExitCode::kUsage);
  if (eq == std::string::npos) return {s, ""};
  return {s.substr(0, eq), s.substr(eq + 1)};
}

build::SecretSource parse_secret(const std::string& s) {
  build::SecretSource out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? s.size() + 1 : comma + 1;
    auto [k, v] = key_value(part, "--secret");
    if (k == "id")
      out.id = v;
    else if (k == "src" || k == "source")
      out.file = v;
    else if (k == "env")
      out.env = v;
    else if (k != "type")
      throw Error("--secret: unknown field " + k + " (id, src, env)", ExitCode::kUsage);
  }
  if (out.id.empty()) throw Error("--secret needs id=", ExitCode::kUsage);
  if (out.file.empty() && out.env.empty())
    out.env = out.id;  // as BuildKit: an env var of that name
  return out;
}

class Printer {
 public:
  explicit Printer(bool json) : json_(json) {}
  void on(const build::BuildEvent& e) {
    using T = build::BuildEvent::Type;
    if (json_) {
      static const char* names[] = {"step",  "cached", "done",    "output",
                                    "error", "export", "warning", "cache"};
      doc::Value v = doc::Value::map();
      v.set("type", names[static_cast<int>(e.type)]);
      if (e.step) v.set("step", e.step);
      if (!e.stage.empty()) v.set("stage", e.stage);
      if (!e.text.empty()) v.set("text", e.text);
      if (e.type == T::kDone) v.set("seconds", e.seconds);
      if (e.bytes) v.set("bytes", e.bytes);
      std::cout << doc::to_json(v) << "\n" << std::flush;
      return;
    }
    std::string prefix = "#" + std::to_string(e.step) + " ";
    char buf[64];
    switch (e.type) {
      case T::kStep:
        std::cerr << prefix << e.stage << " " << e.text << "\n";
        break;
      case T::kCached:
        std::cerr << prefix << "CACHED\n";
        break;
      case T::kDone:
        std::snprintf(buf, sizeof buf, "DONE %.1fs", e.seconds);
        std::cerr << prefix << buf;
        if (e.bytes) std::cerr << " (" << e.bytes << " bytes)";
        std::cerr << "\n";
        break;
      case T::kOutput:
        std::cerr << prefix << e.text << "\n";
        break;
      case T::kError:
        std::cerr << prefix << "ERROR\n";
        break;
      case T::kExport:
        std::cerr << "writing image to " << e.text << " done\n";
        break;
      case T::kWarning:
        std::cerr << "WARNING: " << e.text << "\n";
        break;
      case T::kCache:
        std::cerr << "cache: " << e.text << "\n";
        break;
    }
  }

 private:
  bool json_;
};

int run_build(Flags& f) {
  build::BuildOptions o;
  bool json = false;
  for (const std::string& out : f.outputs) {
    if (out == "json")
      json = true;
    else if (out != "text")
      o.outputs.push_back(out);
  }
  for (const std::string& out : o.outputs)
    if (out.rfind("oci:", 0) != 0)
      throw Error("--output " + out + ": expected oci:DIR[:TAG], json or text", ExitCode::kUsage);
  o.context = f.context;
  if (f.file == "-")
    o.dockerfile_text = std::string(std::istreambuf_iterator<char>(std::cin), {});
  else if (!f.file.empty())
    o.dockerfile = f.file;
  o.tags = f.tags;
  o.push = f.push;
  o.target = f.target;
  for (const std::string& a : f.build_args) {
    auto [k, v] = key_value(a, "--build-arg");
    if (a.find('=') == std::string::npos) {  // KEY alone: from the environment, if set
      const char* e = std::getenv(k.c_str());
      if (!e) continue;
      v = e;
    }
    o.build_args[k] = v;
  }
  for (const std::string& s : f.secrets)
    o.secrets.push_back(parse_secret(s));
  o.no_cache = f.no_cache;
  for (const std::string& c : f.cache_from)
    o.cache_from.push_back(build::cache_ref(c, "--cache-from"));
  if (!f.cache_to.empty()) o.cache_to = build::cache_ref(f.cache_to, "--cache-to");
  o.cache_dir = f.cache_dir;
  o.platform = f.platform;
  o.network = f.network;
  for (const std::string& l : f.labels) {
    auto [k, v] = key_value(l, "--label");
    o.labels[k] = v;
  }
  o.revision_labels = f.revision_labels;
  std::string epoch = f.epoch;
  if (epoch.empty())
    if (const char* e = std::getenv("SOURCE_DATE_EPOCH"); e && *e) epoch = e;
  if (!epoch.empty()) {
    try {
      size_t used = 0;
      o.epoch = std::stoll(epoch, &used);
      if (used != epoch.size() || *o.epoch < 0) throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw Error("SOURCE_DATE_EPOCH / --source-date-epoch must be seconds since 1970: " + epoch,
                  ExitCode::kUsage);
    }
  }
  if (!f.from.empty() || !f.add.empty() || !f.entrypoint.empty()) {
    if (!f.file.empty())
      throw Error("--from/--add build without a Dockerfile: drop --file", ExitCode::kUsage);
    build::BuildOptions::Files files;
    files.from = f.from;
    for (const std::string& a : f.add) {
      size_t colon = a.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == a.size())
        throw Error("--add " + a + ": expected SRC:DEST", ExitCode::kUsage);
      files.add.emplace_back(a.substr(0, colon), a.substr(colon + 1));
    }
    files.entrypoint = f.entrypoint;
    files.cmd = f.cmd;
    files.user = f.user;
    files.workdir = f.workdir;
    files.env = f.env;
    o.files = std::move(files);
  }
  o.jobs = f.reg.jobs;
  for (const std::string& t : f.tags)
    if (oci::parse_location(t).is_layout() == false && !f.push && o.outputs.empty())
      std::cerr << "WARNING: --tag " << t
                << " without --push or --output: the image stays in the build cache only\n";
  oci::Session session = make_session(f.reg);
  Printer printer(json);
  build::BuildResult r =
      build::build_image(session, o, [&](const build::BuildEvent& e) { printer.on(e); });
  if (json) {
    doc::Value written = doc::Value::list();
    for (const std::string& w : r.written)
      written.push_back(w);
    std::cout << doc::to_json(doc::Value::object({{"type", "result"},
                                                  {"digest", r.manifest.digest.str()},
                                                  {"config", r.config_digest},
                                                  {"steps", r.steps},
                                                  {"cached", r.cached},
                                                  {"written", written}}))
              << "\n";
  } else {
    std::cout << r.manifest.digest.str() << "\n";
  }
  return 0;
}

}  // namespace

void add_build_command(CLI::App& app, Action& action) {
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "build", "Build an image from a Dockerfile (or from files) without a daemon");
  cmd->add_option("context", f->context, "Build context directory (default .)");
  cmd->add_option("-f,--file", f->file, "Dockerfile (default CONTEXT/Dockerfile; - reads stdin)");
  cmd->add_option("-t,--tag", f->tags,
                  "Image reference or oci:DIR[:TAG] to name the image (repeatable)");
  cmd->add_flag("--push", f->push, "Push the --tag references to their registries");
  cmd->add_option("-o,--output", f->outputs,
                  "oci:DIR[:TAG] to write the image to (repeatable), or json / text for the "
                  "progress format");
  cmd->add_option("--target", f->target, "Build this stage (default: the last)");
  cmd->add_option("--build-arg", f->build_args,
                  "KEY=VALUE for an ARG (KEY alone: from the environment)");
  cmd->add_option("--secret", f->secrets,
                  "id=ID,src=FILE or id=ID,env=VAR for RUN --mount=type=secret");
  cmd->add_option("--cache-from", f->cache_from,
                  "Import the step cache from this registry reference or oci:DIR[:TAG] before "
                  "building (repeatable; BuildKit's type=registry,ref=REF accepted)");
  cmd->add_option("--cache-to", f->cache_to,
                  "Push the step cache (every step run or reused, with its layer) to this "
                  "registry reference or oci:DIR[:TAG] after building");
  cmd->add_flag("--no-cache", f->no_cache,
                "Run every step again (the results still refresh the cache)");
  cmd->add_option("--cache-dir", f->cache_dir,
                  "Build cache (default $XDG_CACHE_HOME/gantry/build)");
  cmd->add_option("--platform", f->platform,
                  "os/arch[/variant] of the image, or a comma-separated list for an OCI index of "
                  "one image per platform (default: this machine's)");
  cmd->add_option("--network", f->network, "Network of RUN steps: none (default) or host")
      ->check(CLI::IsMember({"none", "host"}));
  cmd->add_option("--label", f->labels, "KEY=VALUE label on the image (repeatable)");
  cmd->add_flag(
      "--revision-labels", f->revision_labels,
      "Label org.opencontainers.image.revision/source/created from the context's Git HEAD");
  cmd->add_option("--source-date-epoch", f->epoch,
                  "Clamp every timestamp to these seconds (default $SOURCE_DATE_EPOCH, else the "
                  "Git HEAD's commit time, else 0)");
  cmd->add_option("--from", f->from, "Without a Dockerfile: the base image (default scratch)");
  cmd->add_option("--add", f->add,
                  "Without a Dockerfile: SRC:DEST, a context path into the image (repeatable)");
  cmd->add_option("--entrypoint", f->entrypoint,
                  "Without a Dockerfile: the entrypoint (repeat for each argument)");
  cmd->add_option("--cmd", f->cmd, "Without a Dockerfile: the default arguments (repeatable)");
  cmd->add_option("--user", f->user, "Without a Dockerfile: the user");
  cmd->add_option("--workdir", f->workdir, "Without a Dockerfile: the working directory");
  cmd->add_option("--env", f->env, "Without a Dockerfile: KEY=VALUE (repeatable)");
  cmd->add_flag("--insecure", f->reg.insecure,
                "Allow plain HTTP and unverified TLS for every registry");
  cmd->add_option("--insecure-registry", f->reg.insecure_registries,
                  "Allow plain HTTP and unverified TLS for this registry host[:port] (repeatable)");
  cmd->add_option("--registry-mirror", f->reg.registry_mirrors,
                  "REGISTRY=HOST[:PORT][/PREFIX]: pull base images of REGISTRY (docker.io also "
                  "matches short names) from this mirror; names stay as written (repeatable)");
  cmd->add_option("--ca-file", f->reg.ca_file, "Trust the CA certificates in this PEM file");
  cmd->add_option("--authfile", f->reg.authfile, "Registry auth file (default: docker's)");
  cmd->add_option("-j,--jobs", f->reg.jobs, "Parallel blob transfers (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->callback([f, &action] { action = [f] { return run_build(*f); }; });
}

}  // namespace gantry::cli
