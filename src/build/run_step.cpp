// RUN: the command in a container over the stage's snapshots, with its
// --mount, --network and the stage's ENV, ARGs, WORKDIR, USER and SHELL.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>
#include <deque>

#include "build/container.h"
#include "build/emulation.h"
#include "build/stage_state.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr size_t kTailLines = 40;

struct MountSpec {
  std::string type = "bind";
  std::map<std::string, std::string> opts;
  std::string get(std::initializer_list<const char*> names, std::string fallback = {}) const {
    for (const char* n : names)
      if (auto it = opts.find(n); it != opts.end()) return it->second;
    return fallback;
  }
  bool flag(const char* name) const {
    auto it = opts.find(name);
    return it != opts.end() && it->second != "false";
  }
};

MountSpec parse_mount(const std::string& text, const Location& at) {
  MountSpec m;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string k = part.substr(0, eq), v = eq == std::string::npos ? "true" : part.substr(eq + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    if (k == "type")
      m.type = v;
    else
      m.opts[k] = v;
  }
  static const std::set<std::string> known = {
      "target",   "dst", "destination", "source", "src", "from", "id",   "sharing",  "ro",
      "readonly", "rw",  "readwrite",   "mode",   "uid", "gid",  "size", "required", "env"};
  for (const auto& [k, v] : m.opts)
    if (!known.count(k)) throw Error(at, "RUN --mount: unknown option " + k);
  if (m.type != "bind" && m.type != "cache" && m.type != "secret" && m.type != "tmpfs")
    throw Error(at, "RUN --mount=type=" + m.type + " is not supported by gantry build" +
                        (m.type == "ssh" ? " (ssh agent forwarding)" : ""));
  return m;
}

uint32_t number(const std::string& v, uint32_t fallback, int base, const Location& at) {
  if (v.empty()) return fallback;
  char* end = nullptr;
  unsigned long n = std::strtoul(v.c_str(), &end, base);
  if (*end) throw Error(at, "RUN --mount: " + v + " is not a number");
  return static_cast<uint32_t>(n);
}

// Holds a flock for a cache mount with sharing=locked.
struct FileLock {
  int fd = -1;
  ~FileLock() {
    if (fd >= 0) ::close(fd);
  }
};

// Collects output into lines for events and keeps the last lines for errors.
class OutputLines {
 public:
  OutputLines(BuildRun& run, int step) : run_(run), step_(step) {}
  void add(std::string_view chunk) {
    partial_.append(chunk);
    size_t nl;
    while ((nl = partial_.find('\n')) != std::string::npos) {
      line(partial_.substr(0, nl));
      partial_.erase(0, nl + 1);
    }
  }
  void flush() {
    if (!partial_.empty()) line(partial_);
    partial_.clear();
  }
  std::string tail() const {
    std::string out;
    for (const std::string& l : tail_)
      out += "  " + l + "\n";
    return out;
  }

 private:
  void line(const std::string& l) {
    run_.emit({BuildEvent::Type::kOutput, step_, "", l});
    tail_.push_back(l);
    if (tail_.size() > kTailLines) tail_.pop_front();
  }
  BuildRun& run_;
  int step_;
  std::string partial_;
  std::deque<std::string> tail_;
};

}  // namespace

bool run_run(BuildRun& run, StageState& s, const Instruction& ins, int step) {
  Location at = where(run, ins);
  const ImageConfig& c = s.config;
  // The command.
  std::vector<std::string> argv;
  if (ins.json && ins.heredocs.empty()) {
    argv = ins.argv;
  } else {
    argv = c.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : c.shell;
    std::string script = ins.args;
    std::string trimmed = script;
    trimmed.erase(trimmed.find_last_not_of(" \t") + 1);
    if (ins.heredocs.size() == 1 &&
        (trimmed == "<<" + ins.heredocs[0].name || trimmed == "<<-" + ins.heredocs[0].name ||
         trimmed == "<<\"" + ins.heredocs[0].name + "\"" ||
         trimmed == "<<'" + ins.heredocs[0].name + "'")) {
      script = ins.heredocs[0].content;  // the heredoc is the script
    } else {
      for (const Heredoc& h : ins.heredocs)
        script += "\n" + h.content + h.name;
    }
    argv.push_back(script);
  }
  // The environment: ENV, then ARGs ENV does not set, and a default PATH.
  std::vector<std::string> env = c.env;
  for (const auto& [k, v] : s.args)
    if (!c.get_env(k)) env.push_back(k + "=" + v);
  if (!c.get_env("PATH")) env.insert(env.begin(), std::string("PATH=") + kDefaultPath);
  std::string network = run.opts.network;
  if (const Flag* n = ins.flag("network")) {
    if (n->value == "host" || n->value == "none")
      network = n->value;
    else if (n->value != "default")
      throw Error(at, "RUN --network=" + n->value + " is not supported (none, host or default)");
  }
  if (const Flag* sec = ins.flag("security"); sec && sec->value == "insecure")
    throw Error(at, "RUN --security=insecure is not supported by gantry build");

  // The mounts and what they add to the key.
  Lookup lookup = stage_lookup(s);
  std::string key_text = "RUN\n" + network + "\n" + c.user + "\n" + c.working_dir + "\n";
  for (const std::string& a : argv)
    key_text += "arg " + a + "\n";
  for (const std::string& e : env)
    key_text += "env " + e + "\n";
  std::vector<MountSpec> mounts;
  std::vector<std::optional<StageState>> mount_from;
  for (const Flag& f : ins.flags) {
    if (f.name != "mount") continue;
    MountSpec m = parse_mount(expand_word(f.value, lookup, run.df.escape, at), at);
    std::optional<StageState> from;
    if (std::string fr = m.get({"from"}); !fr.empty() && m.type != "secret")
      from = from_state(run, s, fr, at);
    key_text += "mount " + m.type + " " + m.get({"target", "dst", "destination"}) + " " +
                m.get({"source", "src"}) + " " +
                (m.flag("rw") || m.flag("readwrite") ? "rw" : "ro");
    if (m.type == "bind") {
      if (from)
        key_text += " from " + from->key;
      else {
        std::vector<std::string> all;
        for (const std::string& p : run.context.match(m.get({"source", "src"}, "."), at)) {
          auto t = run.context.walk(p);
          all.insert(all.end(), t.begin(), t.end());
        }
        key_text += " context " + run.context.digest(all);
      }
    }
    key_text += "\n";
    mounts.push_back(std::move(m));
    mount_from.push_back(std::move(from));
  }
  std::string key = sha256_hex(s.key + "\n" + key_text);
  std::string created_by = "RUN";
  if (ins.json)
    created_by += " " + ins.args;
  else
    for (const std::string& a : argv)
      created_by += " " + a;

  return layer_step(run, s, key, created_by, [&](const fs::path& upper) {
    if (auto why = emulation_problem(s.platform)) throw Error(where(run, ins), *why);
    TempDir work(run.store.temp_dir("run"));
    ContainerSpec spec;
    spec.lowers = snapshots(run, s);
    spec.upper = upper;
    spec.argv = argv;
    spec.env = env;
    spec.cwd = c.working_dir.empty() ? "/" : c.working_dir;
    spec.user = c.user;
    spec.host_network = network == "host";
    std::vector<std::unique_ptr<FileLock>> locks;
    int n = 0;
    for (size_t i = 0; i < mounts.size(); ++i) {
      const MountSpec& m = mounts[i];
      ContainerMount cm;
      cm.target = m.get({"target", "dst", "destination"});
      bool rw = m.flag("rw") || m.flag("readwrite");
      if (m.type == "secret") {
        std::string id = m.get({"id"});
        if (id.empty() && !cm.target.empty()) id = fs::path(cm.target).filename().string();
        if (cm.target.empty() && m.get({"env"}).empty()) cm.target = "/run/secrets/" + id;
        const SecretSource* src = nullptr;
        for (const SecretSource& sec : run.opts.secrets)
          if (sec.id == id) src = &sec;
        if (!src) {
          if (m.flag("required"))
            throw Error(at, "secret " + id + " is required but was not given (--secret id=" + id +
                                ",src=FILE)");
          continue;
        }
        std::string value;
        if (!src->env.empty()) {
          const char* v = std::getenv(src->env.c_str());
          value = v ? v : "";
        } else {
          value = read_file(src->file, 4u << 20);
        }
        if (std::string name = m.get({"env"}); !name.empty()) {
          spec.env.push_back(name + "=" + value);
          if (cm.target.empty()) continue;
        }
        fs::path f = work.path() / ("secret-" + std::to_string(n++));
        write_file_atomic(f, value);
        ::chmod(f.c_str(), number(m.get({"mode"}), 0400, 8, at));
        if (::chown(f.c_str(), number(m.get({"uid"}), 0, 10, at),
                    number(m.get({"gid"}), 0, 10, at)) != 0) {
        }
        cm.source = f;
        cm.readonly = true;
      } else if (m.type == "tmpfs") {
        cm.type = ContainerMount::Type::kTmpfs;
        cm.tmpfs_size = number(m.get({"size"}), 0, 10, at);
      } else if (m.type == "cache") {
        std::string id = m.get({"id"}, cm.target);
        fs::path dir = run.store.cache_mount(id);
        std::string sharing = m.get({"sharing"}, "shared");
        if (sharing == "locked" || sharing == "private") {
          auto lock = std::make_unique<FileLock>();
          lock->fd = ::open((dir.string() + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
          if (lock->fd >= 0) {
            if (sharing == "private" && ::flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
              dir = work.path() / ("cache-" + std::to_string(n++));  // in use: a new empty one
              fs::create_directories(dir);
            } else if (sharing == "locked") {
              ::flock(lock->fd, LOCK_EX);
            }
          }
          locks.push_back(std::move(lock));
        } else if (sharing != "shared") {
          throw Error(at, "RUN --mount=type=cache: sharing must be shared, private or locked");
        }
        struct stat st {};
        ::stat(dir.c_str(), &st);
        uint32_t uid = number(m.get({"uid"}), 0, 10, at), gid = number(m.get({"gid"}), 0, 10, at);
        if (st.st_uid != uid || st.st_gid != gid) {
          if (::chown(dir.c_str(), uid, gid) != 0) {
          }
        }
        ::chmod(dir.c_str(), number(m.get({"mode"}), 0755, 8, at));
        cm.source = dir;
        cm.readonly = m.flag("ro") || m.flag("readonly");
      } else {  // bind
        fs::path dir = work.path() / ("bind-" + std::to_string(n++));
        fs::create_directories(dir);
        std::string source = m.get({"source", "src"}, mount_from[i] ? "/" : ".");
        materialize(run, mount_from[i] ? &*mount_from[i] : nullptr, source, dir, at);
        // A single file is mounted as that file.
        std::vector<fs::path> inside;
        for (const auto& e : fs::directory_iterator(dir))
          inside.push_back(e.path());
        bool single_file = inside.size() == 1 && !fs::is_directory(inside[0]) &&
                           source.back() != '/' && source != "." && source != "/" &&
                           fs::path(source).filename() == inside[0].filename();
        cm.source = single_file ? inside[0] : dir;
        cm.readonly = !rw;
      }
      if (cm.target.empty()) throw Error(at, "RUN --mount=type=" + m.type + " needs a target");
      if (cm.target[0] != '/')
        cm.target = (c.working_dir.empty() ? std::string("/") : c.working_dir + "/") + cm.target;
      spec.mounts.push_back(std::move(cm));
    }
    OutputLines out(run, step);
    spec.output = [&](std::string_view chunk) { out.add(chunk); };
    ContainerResult r = run_container(spec);
    out.flush();
    if (r.exit_code != 0) {
      std::string why = "RUN " + ins.args + " failed with exit code " + std::to_string(r.exit_code);
      if (r.signal) why += " (killed by signal " + std::to_string(r.signal) + ")";
      std::string tail = out.tail();
      if (!tail.empty()) why += "; its last output:\n" + tail;
      if (network == "none") why += "(the step had no network; use --network=host if it needs one)";
      throw Error(at, why, ExitCode::kExternal);
    }
  });
}

}  // namespace gantry::build
