#include "build/builder.h"

#include <sys/utsname.h>

#include <algorithm>
#include <thread>

#include "build/layer.h"
#include "build/registry_cache.h"
#include "build/stage_state.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/json.h"
#include "git/repository.h"
#include "oci/copy.h"
#include "oci/layout.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

oci::Descriptor descriptor(std::string_view media_type, const std::string& digest, int64_t size) {
  oci::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = oci::Digest::parse(digest);
  d.size = size;
  return d;
}

std::string now_key(const std::string& parent, const std::string& what) {
  return sha256_hex(parent + "\n" + what);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The predefined platform ARGs BuildKit provides.
std::map<std::string, std::string> platform_args(const std::string& target) {
  auto split = [](const std::string& p) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
      size_t slash = p.find('/', start);
      parts.push_back(p.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    parts.resize(3);
    return parts;
  };
  std::map<std::string, std::string> out;
  auto t = split(target);
  auto b = split(host_platform());
  out["TARGETPLATFORM"] = target;
  out["TARGETOS"] = t[0];
  out["TARGETARCH"] = t[1];
  out["TARGETVARIANT"] = t[2];
  out["BUILDPLATFORM"] = host_platform();
  out["BUILDOS"] = b[0];
  out["BUILDARCH"] = b[1];
  out["BUILDVARIANT"] = b[2];
  return out;
}

// A Dockerfile equivalent to `gantry build --from … --add …`.
std::string files_dockerfile(const BuildOptions::Files& f) {
  auto json = [](const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) {
      out += i ? ", \"" : "\"";
      for (char c : v[i]) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    return out + "]";
  };
  std::string df = "FROM " + (f.from.empty() ? std::string("scratch") : f.from) + "\n";
  for (const std::string& e : f.env)
    df += "ENV " + e + "\n";
  if (!f.workdir.empty()) df += "WORKDIR " + f.workdir + "\n";
  for (const auto& [src, dest] : f.add)
    df += "COPY " + json({src, dest}) + "\n";
  if (!f.user.empty()) df += "USER " + f.user + "\n";
  if (!f.entrypoint.empty()) df += "ENTRYPOINT " + json(f.entrypoint) + "\n";
  if (!f.cmd.empty()) df += "CMD " + json(f.cmd) + "\n";
  return df;
}

StageState build_stage(BuildRun& run, size_t index, const std::string& platform) {
  const Stage& stage = run.graph.stages[index];
  std::string label =
      run.label_prefix + (stage.name.empty() ? "stage-" + std::to_string(index) : stage.name);
  Location at{run.df.file, stage.line, 0};
  StageState s;
  std::string stage_platform = stage.platform.empty() ? platform : stage.platform;
  if (stage.base_stage >= 0) {
    s = run.stages.at(static_cast<size_t>(stage.base_stage)).get();
    s.args.clear();
    s.cmd_set_here = false;
  } else {
    int step = ++run.next_step;
    auto t0 = std::chrono::steady_clock::now();
    run.emit({BuildEvent::Type::kStep, step, "[" + label + "]", "FROM " + stage.base});
    s = pull_base(run, stage.base, stage_platform, at);
    run.emit({BuildEvent::Type::kDone, step, "[" + label + "]", "",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
  }
  s.platform = stage_platform;
  // The global ARGs are visible to FROM only; TARGET*/BUILD* may be declared.
  std::vector<Instruction> steps;
  for (const std::string& trigger : s.config.onbuild) {
    Dockerfile t = parse_dockerfile(trigger, run.df.file + " (ONBUILD of " + stage.base + ")");
    for (Instruction& i : t.instructions) {
      i.line = stage.line;
      steps.push_back(std::move(i));
    }
  }
  s.config.onbuild.clear();
  steps.insert(steps.end(), stage.steps.begin(), stage.steps.end());
  size_t n = steps.size();
  for (size_t i = 0; i < n; ++i) {
    const Instruction& ins = steps[i];
    std::string tag = "[" + label + " " + std::to_string(i + 1) + "/" + std::to_string(n) + "]";
    if (ins.keyword == "ARG") {
      // An ARG's value: --build-arg, else its default, else a global ARG's.
      Lookup lookup = stage_lookup(s);
      const std::map<std::string, std::string> predefined = platform_args(run.target_platform);
      for (const KeyValue& kv :
           expand_key_values("ARG", ins.args, lookup, run.df.escape, where(run, ins))) {
        std::optional<std::string> value;
        auto given = run.opts.build_args.find(kv.key);
        if (given != run.opts.build_args.end()) {
          value = given->second;
          std::lock_guard g(run.args_mu);
          run.used_args.insert(kv.key);
        } else if (kv.has_value) {
          value = kv.value;
        } else if (auto g = run.graph.global_args.find(kv.key); g != run.graph.global_args.end()) {
          value = g->second;
        } else if (auto p = predefined.find(kv.key); p != predefined.end()) {
          value = p->second;
        }
        if (!value) continue;  // declared without a value: not set
        auto it = std::find_if(s.args.begin(), s.args.end(),
                               [&](const auto& a) { return a.first == kv.key; });
        if (it != s.args.end())
          it->second = *value;
        else
          s.args.emplace_back(kv.key, *value);
        s.key = now_key(s.key, "ARG " + kv.key + "=" + *value);
      }
      continue;
    }
    if (apply_config_step(run, s, ins)) {
      s.key = now_key(s.key, ins.original);
      continue;
    }
    int step = ++run.next_step;
    auto t0 = std::chrono::steady_clock::now();
    run.emit({BuildEvent::Type::kStep, step, tag, ins.original});
    bool cached = false;
    size_t layers_before = s.layers.size();
    try {
      if (ins.keyword == "RUN")
        cached = run_run(run, s, ins, step);
      else if (ins.keyword == "COPY" || ins.keyword == "ADD")
        cached = run_copy(run, s, ins);
      else if (ins.keyword == "WORKDIR")
        cached = run_workdir(run, s, ins);
      else
        throw Error(where(run, ins), "unexpected instruction " + ins.keyword);
    } catch (Error& e) {
      e.set_location_if_unknown(where(run, ins));
      run.emit({BuildEvent::Type::kError, step, tag, e.str()});
      throw;
    }
    if (cached) {
      ++run.cached;
      run.emit({BuildEvent::Type::kCached, step, tag, ""});
    } else {
      int64_t bytes = s.layers.size() > layers_before ? s.layers.back().size : 0;
      run.emit({BuildEvent::Type::kDone, step, tag, "",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                bytes});
    }
  }
  return s;
}

// The manifest and config of a finished stage, stored in the cache's layout.
oci::Descriptor write_image(BuildRun& run, StageState s, std::string* config_digest) {
  for (const auto& [k, v] : run.opts.labels)
    s.config.labels[k] = v;
  std::string config = s.config.to_json(run.created);
  oci::Descriptor cd = descriptor(oci::media::kOciConfig, oci::Digest::sha256_of(config).str(),
                                  static_cast<int64_t>(config.size()));
  run.store.blobs().put_blob(cd, config);
  *config_digest = cd.digest.str();
  doc::Value layers = doc::Value::list();
  for (const StepRecord& l : s.layers)
    layers.push_back(oci::descriptor_value(
        descriptor(l.media_type.empty() ? std::string(oci::media::kOciLayerGzip) : l.media_type,
                   l.digest, l.size)));
  doc::Value m = doc::Value::map();
  m.set("schemaVersion", 2);
  m.set("mediaType", std::string(oci::media::kOciManifest));
  m.set("config", oci::descriptor_value(cd));
  m.set("layers", std::move(layers));
  std::string bytes = doc::to_json(m);
  oci::Descriptor md = descriptor(oci::media::kOciManifest, oci::Digest::sha256_of(bytes).str(),
                                  static_cast<int64_t>(bytes.size()));
  run.store.blobs().put_blob(md, bytes);
  return md;
}

// A URL without user name and password.
std::string strip_userinfo(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t at = url.find('@', scheme + 3), slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

}  // namespace

std::string host_platform() {
  struct utsname u {};
  ::uname(&u);
  std::string m = u.machine;
  if (m == "x86_64") return "linux/amd64";
  if (m == "aarch64") return "linux/arm64";
  if (m == "armv7l") return "linux/arm/v7";
  if (m == "i686" || m == "i386") return "linux/386";
  return "linux/" + m;
}

Lookup stage_lookup(const StageState& s) {
  return [&s](std::string_view name) -> std::optional<std::string> {
    if (auto v = s.config.get_env(name)) return v;
    for (auto it = s.args.rbegin(); it != s.args.rend(); ++it)
      if (it->first == name) return it->second;
    return std::nullopt;
  };
}

Location where(const BuildRun& run, const Instruction& ins) {
  return Location{run.df.file, ins.line, 0};
}

std::vector<fs::path> snapshots(BuildRun& run, const StageState& s) {
  std::vector<fs::path> out;
  for (const StepRecord& l : s.layers)
    out.push_back(run.store.snapshot(l));
  return out;
}

StageState pull_base(BuildRun& run, const std::string& ref, const std::string& platform,
                     const Location& at) {
  std::string key = ref + " " + platform;
  std::lock_guard g(run.pull_mu);
  if (auto it = run.pulled.find(key); it != run.pulled.end()) return it->second;
  StageState s;
  if (lower(ref) == "scratch") {
    size_t slash = platform.find('/');
    s.config.os = platform.substr(0, slash);
    std::string rest = slash == std::string::npos ? "" : platform.substr(slash + 1);
    size_t v = rest.find('/');
    s.config.architecture = rest.substr(0, v);
    if (v != std::string::npos) s.config.variant = rest.substr(v + 1);
    s.key = now_key("", "FROM scratch " + platform);
    run.pulled[key] = s;
    return s;
  }
  oci::ImageLocation src;
  try {
    src = oci::parse_location(ref);
  } catch (Error& e) {
    e.set_location_if_unknown(at);
    throw;
  }
  oci::ImageLocation dst;
  dst.kind = oci::ImageLocation::Kind::kLayout;
  dst.dir = run.store.blobs().dir();
  dst.tag = "base/" + src.str() + "/" + platform;
  oci::CopyOptions co;
  co.platform = platform;
  co.jobs = run.opts.jobs;
  oci::CopyResult r;
  try {
    r = oci::copy_image(run.session, src, dst, co);
  } catch (Error& e) {
    e.add_context("pulling the base image " + ref);
    e.set_location_if_unknown(at);
    throw;
  }
  oci::Manifest m = oci::read_manifest(run.session, dst, r.top);
  if (m.is_index())
    throw Error(at, ref + " is an index without an image for " + platform, ExitCode::kNotFound);
  std::string config = oci::read_small_blob(run.session, dst, m.config);
  s.config = ImageConfig::parse(config, ref + " config");
  if (s.config.diff_ids.size() != m.layers.size())
    throw Error(at,
                "the config of " + ref + " lists " + std::to_string(s.config.diff_ids.size()) +
                    " layers, its manifest " + std::to_string(m.layers.size()),
                ExitCode::kExternal);
  for (size_t i = 0; i < m.layers.size(); ++i)
    s.layers.push_back(StepRecord{m.layers[i].digest.str(), s.config.diff_ids[i], m.layers[i].size,
                                  m.layers[i].media_type});
  s.key = now_key("", "FROM " + m.digest.str() + " " + platform);
  if (run.early_push)
    for (const StepRecord& l : s.layers)
      run.early_push->layer(l);
  run.pulled[key] = s;
  return s;
}

bool layer_step(BuildRun& run, StageState& s, const std::string& key, const std::string& created_by,
                const std::function<void(const fs::path& upper)>& make) {
  s.key = key;
  std::optional<StepRecord> rec;
  if (!run.opts.no_cache) rec = run.store.find_step(key);
  bool cached = rec.has_value();
  if (!rec) {
    TempDir work(run.store.temp_dir("step"));
    fs::path upper = work.path() / "upper";
    fs::create_directory(upper);
    make(upper);
    StepRecord r;
    bool empty = fs::directory_iterator(upper) == fs::directory_iterator();
    if (!empty) {
      // The diff ID first: the same files as an earlier layer reuse its blob
      // without compressing again.
      std::string diff_id = layer_diff_id(upper, *run.opts.epoch);
      if (auto same = run.store.find_layer(diff_id)) {
        r = *same;
      } else {
        fs::path blob = work.path() / "layer.tar.gz";
        LayerFile layer = write_layer_file(upper, *run.opts.epoch, blob);
        if (layer.diff_id != diff_id)
          throw Error("the files of the layer of `" + created_by + "` changed while it was written",
                      ExitCode::kExternal);
        r.digest = layer.digest;
        r.diff_id = layer.diff_id;
        r.size = layer.size;
        r.media_type = std::string(oci::media::kOciLayerGzip);
        run.store.adopt_blob(blob, descriptor(r.media_type, r.digest, r.size));
      }
      run.store.adopt_snapshot(upper, r.diff_id);
    }
    run.store.put_step(key, r);
    rec = r;
  }
  {
    std::lock_guard g(run.steps_mu);
    run.steps_seen[key] = *rec;
  }
  if (run.early_push) run.early_push->layer(*rec);
  bool empty = rec->digest.empty();
  if (!empty) {
    s.layers.push_back(*rec);
    s.config.diff_ids.push_back(rec->diff_id);
  }
  s.config.add_history(created_by, empty, run.created);
  return cached;
}

StageState from_state(BuildRun& run, const StageState& s, const std::string& from,
                      const Location& at) {
  int idx = run.graph.find(from);
  if (idx >= 0) return run.stages.at(static_cast<size_t>(idx)).get();
  return pull_base(run, from, s.platform, at);
}

// "a,b" -> {a, b} (each trimmed); empty -> {this machine's}. Duplicates
// and malformed entries are usage errors.
std::vector<std::string> split_platforms(const std::string& list) {
  std::vector<std::string> out;
  if (list.empty()) return {host_platform()};
  size_t start = 0;
  for (;;) {
    size_t comma = list.find(',', start);
    std::string p =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!p.empty() && p.front() == ' ')
      p.erase(p.begin());
    while (!p.empty() && p.back() == ' ')
      p.pop_back();
    size_t slashes = static_cast<size_t>(std::count(p.begin(), p.end(), '/'));
    if (p.empty() || slashes < 1 || slashes > 2 || p.front() == '/' || p.back() == '/')
      throw Error("--platform: \"" + p + "\" is not os/arch[/variant] (e.g. linux/arm64)",
                  ExitCode::kUsage);
    if (std::find(out.begin(), out.end(), p) != out.end())
      throw Error("--platform: " + p + " is given twice", ExitCode::kUsage);
    out.push_back(p);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

struct PlatformImage {
  std::string platform;
  oci::Descriptor manifest;
  std::string config_digest;
  int cached = 0;
  std::set<std::string> used_args;
  std::map<std::string, StepRecord> steps;  // for --cache-to
};

// Builds the stages `opts.target` needs for one platform; `prefix` goes
// before the stage names in events ("linux/arm64 " when there are several).
PlatformImage build_platform(const BuildOptions& opts, oci::Session& session, Store& store,
                             BuildContext& ctx, const Dockerfile& df, const std::string& file,
                             const std::string& platform, const std::string& prefix,
                             const std::function<void(const BuildEvent&)>& emit,
                             std::atomic<int>& steps, EarlyPush* early_push) {
  StageGraph graph = plan_stages(df, opts.build_args, platform_args(platform));
  std::vector<size_t> needed = graph.needed_for(opts.target, file);
  BuildRun run(opts, session, store, ctx, df, graph, emit, rfc3339(*opts.epoch), steps);
  run.label_prefix = prefix;
  run.target_platform = platform;
  run.early_push = early_push;
  std::map<size_t, std::promise<StageState>> promises;
  for (size_t i : needed)
    run.stages[i] = promises[i].get_future().share();
  std::vector<std::thread> threads;
  for (size_t i : needed)
    threads.emplace_back([&, i] {
      try {
        promises[i].set_value(build_stage(run, i, platform));
      } catch (...) {
        promises[i].set_exception(std::current_exception());
      }
    });
  for (std::thread& t : threads)
    t.join();
  // The first failure in build order is the one reported.
  for (size_t i : needed)
    run.stages[i].get();
  StageState result = run.stages[needed.back()].get();
  PlatformImage img;
  img.platform = platform;
  img.manifest = write_image(run, result, &img.config_digest);
  img.cached = run.cached;
  img.used_args = run.used_args;
  img.steps = std::move(run.steps_seen);
  for (const auto& [k, v] : graph.global_args)
    img.used_args.insert(k);
  return img;
}

// An OCI image index of the platforms' images, stored in the cache's layout.
oci::Descriptor write_index(Store& store, const std::vector<PlatformImage>& images) {
  doc::Value manifests = doc::Value::list();
  for (const PlatformImage& img : images) {
    doc::Value d = oci::descriptor_value(img.manifest);
    doc::Value platform = doc::Value::map();
    size_t a = img.platform.find('/'), v = img.platform.find('/', a + 1);
    platform.set("architecture",
                 img.platform.substr(a + 1, v == std::string::npos ? v : v - a - 1));
    platform.set("os", img.platform.substr(0, a));
    if (v != std::string::npos) platform.set("variant", img.platform.substr(v + 1));
    d.set("platform", std::move(platform));
    manifests.push_back(std::move(d));
  }
  doc::Value index = doc::Value::map();
  index.set("schemaVersion", 2);
  index.set("mediaType", std::string(oci::media::kOciIndex));
  index.set("manifests", std::move(manifests));
  std::string bytes = doc::to_json(index);
  oci::Descriptor id = descriptor(oci::media::kOciIndex, oci::Digest::sha256_of(bytes).str(),
                                  static_cast<int64_t>(bytes.size()));
  store.blobs().put_blob(id, bytes);
  return id;
}

BuildResult build_image(oci::Session& session, const BuildOptions& opts,
                        const std::function<void(const BuildEvent&)>& on_event) {
  fs::path context = opts.context;
  if (!fs::is_directory(context))
    throw Error("build context " + context.string() + " is not a directory", ExitCode::kNotFound);
  std::string text, file = "Dockerfile";
  fs::path dockerfile = opts.dockerfile.empty() ? context / "Dockerfile" : opts.dockerfile;
  if (opts.files) {
    text = files_dockerfile(*opts.files);
    file = "(--from/--add)";
  } else if (!opts.dockerfile_text.empty()) {
    text = opts.dockerfile_text;
    file = "-";
  } else {
    text = read_file(dockerfile, 16u << 20);
    file = dockerfile.filename().string();
  }
  Dockerfile df = parse_dockerfile(text, file);
  std::vector<std::string> platforms = split_platforms(opts.platform);

  // <Dockerfile>.dockerignore beside the Dockerfile wins over .dockerignore.
  IgnoreRules ignore;
  fs::path specific = fs::path(dockerfile.string() + ".dockerignore");
  std::error_code ec;
  if (!opts.files && opts.dockerfile_text.empty() && fs::exists(specific, ec))
    ignore = IgnoreRules::parse(read_file(specific, 1 << 20), specific.filename().string());
  else if (fs::exists(context / ".dockerignore", ec))
    ignore = IgnoreRules::parse(read_file(context / ".dockerignore", 1 << 20));

  // The epoch and the Git labels.
  std::optional<git::Repository::HeadCommit> head;
  try {
    head = git::Repository::open(context).head();
  } catch (const Error&) {
  }
  BuildOptions resolved = opts;
  if (!resolved.epoch) resolved.epoch = head ? head->time : 0;
  if (opts.revision_labels) {
    if (!head)
      throw Error("--revision-labels: the build context " + context.string() +
                  " is not in a Git repository with a commit");
    resolved.labels.emplace("org.opencontainers.image.revision", head->id);
    if (!head->origin_url.empty())
      resolved.labels.emplace("org.opencontainers.image.source", strip_userinfo(head->origin_url));
    resolved.labels.emplace("org.opencontainers.image.created", rfc3339(*resolved.epoch));
  }
  Store store(opts.cache_dir.empty() ? default_cache_dir() : opts.cache_dir);
  BuildContext ctx(context, std::move(ignore), store.context_cache(context));
  std::mutex emit_mu;
  auto emit = [&](const BuildEvent& e) {
    std::lock_guard g(emit_mu);
    if (on_event) on_event(e);
  };
  // The registry cache first: its records join the local ones.
  for (const std::string& from : opts.cache_from) {
    try {
      size_t n = import_cache(session, store, from, opts.jobs);
      emit({BuildEvent::Type::kCache, 0, "",
            "imported " + std::to_string(n) + " step(s) from " + from});
    } catch (const Error& e) {
      emit({BuildEvent::Type::kWarning, 0, "", "cache from " + from + " not used: " + e.str()});
    }
  }
  // With --push, layers go to the registries while later steps run.
  std::vector<oci::ImageLocation> pushes;
  if (opts.push)
    for (const std::string& t : opts.tags)
      if (oci::ImageLocation l = oci::parse_location(t); !l.is_layout()) pushes.push_back(l);
  std::optional<EarlyPush> early;
  if (!pushes.empty()) early.emplace(session, store, pushes, opts.jobs);
  // Each platform on its own thread (each stage on its own thread within).
  std::vector<PlatformImage> images(platforms.size());
  std::atomic<int> steps{0};
  {
    std::vector<std::future<void>> done;
    for (size_t p = 0; p < platforms.size(); ++p)
      done.push_back(std::async(std::launch::async, [&, p] {
        images[p] = build_platform(resolved, session, store, ctx, df, file, platforms[p],
                                   platforms.size() > 1 ? platforms[p] + " " : "", emit, steps,
                                   early ? &*early : nullptr);
      }));
    for (auto& f : done)
      f.wait();
    for (auto& f : done)
      f.get();  // the first failure in platform order is the one reported
  }
  ctx.save();
  std::set<std::string> used;
  for (const PlatformImage& img : images)
    used.insert(img.used_args.begin(), img.used_args.end());
  for (const auto& [k, v] : opts.build_args)
    if (!used.count(k))
      emit({BuildEvent::Type::kWarning, 0, "", "build argument " + k + " was not used"});

  BuildResult out;
  out.steps = steps;
  for (const PlatformImage& img : images)
    out.cached += img.cached;
  if (platforms.size() == 1) {
    out.manifest = images[0].manifest;
    out.config_digest = images[0].config_digest;
  } else {
    out.manifest = write_index(store, images);
  }
  // Record the image in the cache's layout, then copy it where it goes.
  oci::ImageLocation built;
  built.kind = oci::ImageLocation::Kind::kLayout;
  built.dir = store.blobs().dir();
  built.tag = "build/" + out.manifest.digest.hex();
  store.blobs().set_tag(built.tag, out.manifest);
  if (early) early->finish();
  std::vector<std::string> dests = opts.outputs;
  for (const std::string& t : opts.tags) {
    oci::ImageLocation l = oci::parse_location(t);
    if (l.is_layout() || opts.push) dests.push_back(t);
  }
  for (const std::string& d : dests) {
    oci::ImageLocation dst = oci::parse_location(d);
    if (dst.is_layout() && dst.tag.empty()) dst.tag = "latest";  // replaced by the next build
    oci::CopyOptions co;
    co.jobs = opts.jobs;
    oci::copy_image(session, built, dst, co);
    out.written.push_back(dst.str());
    emit({BuildEvent::Type::kExport, 0, "", dst.str()});
  }
  if (!opts.cache_to.empty()) {
    std::map<std::string, StepRecord> steps;
    for (const PlatformImage& img : images)
      steps.insert(img.steps.begin(), img.steps.end());
    export_cache(session, store, steps, opts.cache_to, opts.jobs);
    emit({BuildEvent::Type::kCache, 0, "",
          "exported " + std::to_string(steps.size()) + " step(s) to " + opts.cache_to});
  }
  return out;
}

}  // namespace gantry::build
