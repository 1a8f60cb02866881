#include "cli/oci_common.h"

#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "core/error.h"
#include "core/file.h"
#include "doc/json.h"

namespace gantry::cli {

void add_registry_flags(CLI::App* cmd, RegistryFlags& f, bool copy_creds) {
  cmd->add_flag("--insecure", f.insecure,
                "Allow plain HTTP and unverified TLS for every registry of this command");
  cmd->add_option("--insecure-registry", f.insecure_registries,
                  "Allow plain HTTP and unverified TLS for this registry host[:port] (repeatable)");
  cmd->add_flag("--plain-http", f.plain_http,
                "Use http:// without trying https first (with --insecure)");
  cmd->add_option("--ca-file", f.ca_file,
                  "Trust the CA certificates in this PEM file (besides the system's)");
  cmd->add_option("--authfile", f.authfile,
                  "Auth file (default: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, "
                  "~/.docker/config.json)");
  if (copy_creds) {
    cmd->add_option("--src-creds", f.src_creds, "USERNAME:PASSWORD for the source registry");
    cmd->add_option("--dest-creds", f.dest_creds, "USERNAME:PASSWORD for the destination registry");
  } else {
    cmd->add_option("--creds", f.creds, "USERNAME:PASSWORD for the registry");
    cmd->add_option("-u,--username", f.username,
                    "Username (the password comes from --password-stdin)");
    cmd->add_flag("--password-stdin", f.password_stdin, "Read the password from stdin");
  }
  cmd->add_option("-o,--output", f.output, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--manifest-limit", f.manifest_limit,
                  "Largest manifest accepted, in bytes (default 4 MiB)");
  cmd->add_option("--retries", f.retries, "Retries of a failed request (default 4)");
}

bool json_output(const RegistryFlags& f) {
  return f.output == "json";
}

std::optional<oci::Credential> flag_credential(const RegistryFlags& f,
                                               const std::string& creds_flag) {
  if (!creds_flag.empty()) return oci::parse_creds_flag(creds_flag);
  if (!f.username.empty() || f.password_stdin) {
    if (f.username.empty()) throw Error("--password-stdin needs --username", ExitCode::kUsage);
    oci::Credential c;
    c.username = f.username;
    if (f.password_stdin) {
      std::getline(std::cin, c.password);
      if (!c.password.empty() && c.password.back() == '\r') c.password.pop_back();
    }
    return c;
  }
  return std::nullopt;
}

oci::Session make_session(const RegistryFlags& f) {
  oci::Session::Options o;
  o.insecure = f.insecure;
  o.insecure_registries = f.insecure_registries;
  for (const std::string& m : f.registry_mirrors)
    o.mirrors.push_back(oci::parse_mirror(m));
  o.plain_http = f.plain_http;
  if (f.plain_http && !f.insecure && f.insecure_registries.empty())
    throw Error(
        "--plain-http needs --insecure (plain HTTP sends credentials and content unprotected)",
        ExitCode::kUsage);
  if (!f.ca_file.empty()) o.ca_pem = read_file(f.ca_file, 16u << 20);
  o.auth_file = f.authfile;
  o.manifest_limit = f.manifest_limit;
  o.chunk_size = f.chunk_size;
  o.tags_page_size = f.page_size;
  o.http.max_retries = f.retries;
  return oci::Session(std::move(o));
}

namespace {

std::string human(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
  return buf;
}

std::string short_digest(const std::string& d) {
  auto colon = d.find(':');
  return colon == std::string::npos ? d : d.substr(colon + 1, 12);
}

}  // namespace

Progress::Progress(bool json) {
  tty_ = ::isatty(STDERR_FILENO) != 0 && !json;
  quiet_ = json;
}

Progress::~Progress() = default;

void Progress::on_event(const oci::TransferEvent& e) {
  using T = oci::TransferEvent::Type;
  if (quiet_) return;
  if (!tty_) {
    switch (e.type) {
      case T::kStart:
        std::fprintf(stderr, "copying blob %s (%s)\n", e.digest.c_str(),
                     human(static_cast<double>(e.size)).c_str());
        break;
      case T::kDone:
        std::fprintf(stderr, "copied blob %s\n", e.digest.c_str());
        break;
      case T::kExists:
        std::fprintf(stderr, "blob %s already exists\n", e.digest.c_str());
        break;
      case T::kMounted:
        std::fprintf(stderr, "mounted blob %s\n", e.digest.c_str());
        break;
      case T::kManifest:
        std::fprintf(stderr, "wrote manifest %s\n", e.digest.c_str());
        break;
      case T::kProgress:
        break;
    }
    return;
  }
  if (e.type == T::kManifest) return;
  auto it = index_.find(e.digest);
  if (it == index_.end()) {
    index_[e.digest] = items_.size();
    items_.push_back({e.digest, e.size, 0, "waiting"});
    it = index_.find(e.digest);
  }
  Item& item = items_[it->second];
  switch (e.type) {
    case T::kStart:
      item.state = "copying";
      break;
    case T::kProgress:
      item.bytes = e.bytes;
      break;
    case T::kDone:
      item.state = "done";
      item.bytes = static_cast<uint64_t>(item.size);
      break;
    case T::kExists:
      item.state = "exists";
      break;
    case T::kMounted:
      item.state = "mounted";
      break;
    case T::kManifest:
      break;
  }
  redraw(e.type != T::kProgress);
}

void Progress::redraw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string out;
  if (drawn_lines_) out += "\x1b[" + std::to_string(drawn_lines_) + "A";
  for (const auto& it : items_) {
    const int width = 30;
    double frac = it.size > 0 ? static_cast<double>(it.bytes) / static_cast<double>(it.size) : 1.0;
    if (it.state == "exists" || it.state == "mounted") frac = 1.0;
    int fill = static_cast<int>(frac * width);
    std::string bar = "[" + std::string(static_cast<size_t>(fill), '#') +
                      std::string(static_cast<size_t>(width - fill), '.') + "]";
    out += "\x1b[2K" + short_digest(it.digest) + " " + bar + " " +
           human(static_cast<double>(it.bytes)) + " / " + human(static_cast<double>(it.size)) +
           " " + it.state + "\n";
  }
  drawn_lines_ = items_.size();
  std::fwrite(out.data(), 1, out.size(), stderr);
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_ && !items_.empty()) redraw(true);
}

int run_copy_like(const std::string& src_text, const std::string& dst_text, const RegistryFlags& f,
                  const char* verb) {
  auto start = std::chrono::steady_clock::now();
  oci::ImageLocation src = oci::parse_location(src_text);
  oci::ImageLocation dst = oci::parse_location(dst_text);
  std::string verb_s(verb);
  if (verb_s == "push") {
    if (!src.is_layout())
      throw Error("push reads an OCI layout: the source must be oci:DIR[:TAG]", ExitCode::kUsage);
    if (dst.is_layout())
      throw Error("push writes to a registry: the destination must be an image reference",
                  ExitCode::kUsage);
    dst.cred = flag_credential(f, f.creds);
  } else if (verb_s == "pull") {
    if (src.is_layout())
      throw Error("pull reads from a registry: the source must be an image reference",
                  ExitCode::kUsage);
    if (!dst.is_layout())
      throw Error("pull writes an OCI layout: the destination must be oci:DIR[:TAG]",
                  ExitCode::kUsage);
    src.cred = flag_credential(f, f.creds);
  } else {
    if (!f.src_creds.empty()) src.cred = oci::parse_creds_flag(f.src_creds);
    if (!f.dest_creds.empty()) dst.cred = oci::parse_creds_flag(f.dest_creds);
  }
  // A pull into a layout without a tag keeps the source's tag.
  if (dst.is_layout() && dst.tag.empty() && !src.is_layout()) dst.tag = src.ref.tag;
  if (dst.is_layout() && dst.tag.empty() && src.is_layout()) dst.tag = src.tag;

  oci::Session session = make_session(f);
  Progress progress(json_output(f));
  oci::CopyOptions opts;
  opts.jobs = f.jobs;
  opts.platform = f.platform;
  opts.on_event = [&](const oci::TransferEvent& e) { progress.on_event(e); };
  oci::CopyResult r = oci::copy_image(session, src, dst, opts);
  progress.finish();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (json_output(f)) {
    doc::Value v = doc::Value::map();
    v.set("source", src.str());
    v.set("destination", dst.str());
    v.set("digest", r.top.digest.str());
    v.set("mediaType", r.top.media_type);
    v.set("size", static_cast<int64_t>(r.top.size));
    doc::Value pl = doc::Value::list();
    for (const auto& p : r.platforms)
      pl.push_back(p);
    v.set("platforms", pl);
    v.set("blobs", doc::Value::object({{"copied", r.blobs_copied},
                                       {"existing", r.blobs_existing},
                                       {"mounted", r.blobs_mounted}}));
    v.set("bytesCopied", static_cast<int64_t>(r.bytes_copied));
    v.set("seconds", secs);
    std::cout << doc::to_json_pretty(v, 2) << "\n";
  } else {
    char t[32];
    std::snprintf(t, sizeof t, "%.2f", secs);
    std::cout << src.str() << " -> " << dst.str() << "\n"
              << "digest: " << r.top.digest.str() << "\n";
    std::cerr << verb << ": " << r.blobs_copied << " blobs copied ("
              << human(static_cast<double>(r.bytes_copied)) << "), " << r.blobs_existing
              << " already present, " << r.blobs_mounted << " mounted";
    if (!r.platforms.empty()) std::cerr << ", " << r.platforms.size() << " platforms";
    std::cerr << " in " << t << " s\n";
  }
  return 0;
}

void add_copy_like_command(CLI::App& app, Action& action, const CopyLikeCommand& spec) {
  struct Flags {
    std::string src, dst;
    RegistryFlags reg;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(spec.name, spec.description);
  cmd->add_option("source", f->src, spec.source_help)->required();
  cmd->add_option("destination", f->dst, spec.destination_help)->required();
  add_registry_flags(cmd, f->reg, spec.copy_creds);
  if (spec.platform_flag)
    cmd->add_option("--platform", f->reg.platform,
                    "From an index copy only this platform's image (os/arch[/variant])");
  cmd->add_option("-j,--jobs", f->reg.jobs, "Parallel blob transfers (default 4)")
      ->check(CLI::Range(1, 64));
  cmd->add_option(
      "--chunk-size", f->reg.chunk_size,
      "Upload blobs larger than this many bytes in chunks (PATCH); default: one request");
  const char* verb = spec.name;
  cmd->callback([f, verb, &action] {
    action = [f, verb] { return run_copy_like(f->src, f->dst, f->reg, verb); };
  });
}

}  // namespace gantry::cli
