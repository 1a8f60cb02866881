// run_container: fork, new namespaces, overlayfs root, pivot_root, exec.
// Everything the child needs is prepared before fork(): between fork and
// exec the child of a multithreaded process may only make system calls.
#include "build/container.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>

#include "build/layered_view.h"
#include "build/overlay_form.h"
#include "build/snapshot_copy.h"
#include "core/error.h"
#include "core/file.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

// One mount the child makes, all strings ready.
struct Step {
  enum class Kind { kBind, kBindRo, kTmpfs, kProc, kSysfs, kDevpts, kMkdir, kFile, kSymlink };
  Kind kind;
  std::string source, target, data;
};

// Writes a message and errno to the error pipe, then exits: async-signal-safe.
[[noreturn]] void die(int fd, const char* what, const char* path) {
  int e = errno;
  auto put = [fd](const char* s) {
    if (s) {
      ssize_t n = ::write(fd, s, std::strlen(s));
      (void)n;
    }
  };
  put(what);
  put(" ");
  put(path);
  put(": ");
  put(::strerrordesc_np(e));
  ::_exit(125);
}

void mkdir_p(int err, const std::string& path, std::string& buf) {
  buf = path;  // capacity reserved by the caller: no allocation
  for (size_t i = 1; i <= buf.size(); ++i) {
    if (i == buf.size() || buf[i] == '/') {
      char saved = buf[i];
      buf[i] = '\0';
      if (::mkdir(buf.c_str(), 0755) != 0 && errno != EEXIST) die(err, "mkdir", buf.c_str());
      buf[i] = saved;
    }
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

// Image paths (absolute) that do not exist in the image and would be
// created to mount on: they are removed from the upper directory afterwards.
void add_stub(const LayeredView& view, const std::string& path, std::vector<std::string>& stubs) {
  std::string prefix;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    prefix = path.substr(0, slash);
    if (!view.lookup(prefix, true)) {
      if (std::find(stubs.begin(), stubs.end(), prefix) == stubs.end()) stubs.push_back(prefix);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
}

// Removes directories overlayfs copied up without a change below them (a
// file created and removed again, a mount point stub): empty, not opaque,
// same mode and owner as below. The copying snapshotter leaves them out too.
bool prune_copied_up_dirs(const LayeredView& view, const fs::path& upper, const std::string& rel) {
  fs::path dir = rel.empty() ? upper : upper / rel;
  bool empty = true;
  std::error_code ec;
  std::vector<fs::path> children;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    children.push_back(it->path());
  for (const fs::path& c : children) {
    struct stat st {};
    if (::lstat(c.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      std::string r = rel.empty() ? c.filename().string() : rel + "/" + c.filename().string();
      if (prune_copied_up_dirs(view, upper, r)) continue;
    }
    empty = false;
  }
  if (rel.empty() || !empty) return false;
  if (is_opaque(dir)) return false;
  struct stat st {};
  auto below = view.lookup("/" + rel, false);
  if (!below || ::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(below->st.st_mode) ||
      (below->st.st_mode & 07777) != (st.st_mode & 07777) || below->st.st_uid != st.st_uid ||
      below->st.st_gid != st.st_gid)
    return false;
  fs::remove(dir, ec);
  return !ec;
}

bool use_copy_snapshotter() {
  const char* v = std::getenv("GANTRY_SNAPSHOTTER");
  return v && std::string(v) == "copy";
}

struct Prepared {
  std::string root;  // the merged directory
  std::string overlay_dir;
  std::string overlay_opts;
  bool copy = false;
  std::vector<Step> steps;
  std::string cwd;
  std::string hostname;
  std::vector<std::string> argv, env, path_dirs;
  std::vector<gid_t> groups;
  uid_t uid = 0;
  gid_t gid = 0;
  bool new_net = true;
};

[[noreturn]] void child_main(const Prepared& p, int out_fd, int err_fd, int status_fd) {
  std::string buf;  // reserved in the parent's copy: capacity kept
  if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
                (p.new_net ? CLONE_NEWNET : 0)) != 0)
    die(err_fd, "unshare", "namespaces");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    die(err_fd, "mount", "/ private");
  pid_t pid = ::fork();
  if (pid < 0) die(err_fd, "fork", "pid 1");
  if (pid > 0) {  // waits for pid 1 and passes its status on
    ::close(out_fd);
    ::close(err_fd);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    ssize_t n = ::write(status_fd, &st, sizeof st);
    (void)n;
    ::_exit(0);
  }
  ::close(status_fd);
  if (p.copy) {
    if (::mount(p.root.c_str(), p.root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      die(err_fd, "mount", p.root.c_str());
  } else {
    if (::chdir(p.overlay_dir.c_str()) != 0) die(err_fd, "chdir", p.overlay_dir.c_str());
    if (::mount("overlay", p.root.c_str(), "overlay", 0, p.overlay_opts.c_str()) != 0)
      die(err_fd, "overlay", "mount");
  }
  if (p.new_net) {  // bring lo up
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
      struct ifreq ifr {};
      std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
      if (::ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
        ::ioctl(s, SIOCSIFFLAGS, &ifr);
      }
      ::close(s);
    }
  }
  for (const Step& s : p.steps) {
    const char* t = s.target.c_str();
    switch (s.kind) {
      case Step::Kind::kMkdir:
        mkdir_p(err_fd, s.target, buf);
        break;
      case Step::Kind::kFile: {
        // O_EXCL: an existing file must not be opened for writing (overlayfs
        // would copy it up into the layer).
        int fd = ::open(t, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) die(err_fd, "create", t);
        if (fd >= 0) ::close(fd);
        break;
      }
      case Step::Kind::kSymlink:
        ::unlink(t);
        if (::symlink(s.source.c_str(), t) != 0) die(err_fd, "symlink", t);
        break;
      case Step::Kind::kBind:
      case Step::Kind::kBindRo:
        if (::mount(s.source.c_str(), t, nullptr, MS_BIND | MS_REC, nullptr) != 0)
          die(err_fd, "bind mount", t);
        if (s.kind == Step::Kind::kBindRo &&
            ::mount(nullptr, t, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, nullptr) != 0)
          die(err_fd, "read-only remount", t);
        break;
      case Step::Kind::kTmpfs:
        if (::mount("tmpfs", t, "tmpfs", MS_NOSUID | MS_NODEV, s.data.c_str()) != 0)
          die(err_fd, "tmpfs", t);
        break;
      case Step::Kind::kProc:
        if (::mount("proc", t, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
          die(err_fd, "proc", t);
        break;
      case Step::Kind::kSysfs:
        if (::mount("sysfs", t, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, nullptr) !=
                0 &&
            (::mount("/sys", t, nullptr, MS_BIND | MS_REC, nullptr) != 0 ||
             ::mount(nullptr, t, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, nullptr) != 0))
          die(err_fd, "sysfs", t);
        break;
      case Step::Kind::kDevpts:
        if (::mount("devpts", t, "devpts", MS_NOSUID | MS_NOEXEC,
                    "newinstance,ptmxmode=0666,mode=0620") != 0)
          die(err_fd, "devpts", t);
        break;
    }
  }
  if (::chdir(p.root.c_str()) != 0) die(err_fd, "chdir", p.root.c_str());
  if (::syscall(SYS_pivot_root, ".", ".") != 0) die(err_fd, "pivot_root", p.root.c_str());
  if (::umount2(".", MNT_DETACH) != 0) die(err_fd, "umount", "old root");
  if (::chdir("/") != 0) die(err_fd, "chdir", "/");
  ::sethostname(p.hostname.data(), p.hostname.size());
  mkdir_p(err_fd, p.cwd, buf);
  if (::chdir(p.cwd.c_str()) != 0) die(err_fd, "chdir", p.cwd.c_str());
  if (::setgroups(p.groups.size(), p.groups.data()) != 0) die(err_fd, "setgroups", "");
  if (::setgid(p.gid) != 0) die(err_fd, "setgid", "");
  if (::setuid(p.uid) != 0) die(err_fd, "setuid", "");
  int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0) ::dup2(null, 0);
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  ::syscall(SYS_close_range, 3u, ~0u, 0u);  // err_fd included: exec reached
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<std::string>& argv_s = const_cast<std::vector<std::string>&>(p.argv);
  std::vector<std::string>& env_s = const_cast<std::vector<std::string>&>(p.env);
  // The pointer arrays were sized in the parent (see run_container).
  char* argv[256 + 1];
  char* envp[1024 + 1];
  size_t na = std::min<size_t>(argv_s.size(), 256), ne = std::min<size_t>(env_s.size(), 1024);
  for (size_t i = 0; i < na; ++i)
    argv[i] = argv_s[i].data();
  argv[na] = nullptr;
  for (size_t i = 0; i < ne; ++i)
    envp[i] = env_s[i].data();
  envp[ne] = nullptr;
  const std::string& cmd = p.argv[0];
  if (cmd.find('/') != std::string::npos) {
    ::execve(cmd.c_str(), argv, envp);
  } else {
    for (const std::string& dir : p.path_dirs) {
      // dir already ends with "/" + cmd (prepared by the parent).
      ::execve(dir.c_str(), argv, envp);
    }
  }
  const char* msg = ": executable file not found\n";
  ssize_t n = ::write(2, cmd.c_str(), cmd.size());
  n = ::write(2, msg, std::strlen(msg));
  (void)n;
  ::_exit(127);
}

}  // namespace

namespace {
// Thrown when overlayfs cannot be mounted here: the step is run again with
// the copying snapshotter.
struct NoOverlay {};

ContainerResult run_with(const ContainerSpec& spec, bool copy);
}  // namespace

ContainerResult run_container(const ContainerSpec& spec) {
  bool copy = use_copy_snapshotter();
  static std::atomic<bool> overlay_failed{false};
  if (!copy && !overlay_failed) {
    try {
      return run_with(spec, false);
    } catch (const NoOverlay&) {
      overlay_failed = true;  // and for the rest of this build
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(spec.upper, ec))
        fs::remove_all(e.path(), ec);
    }
  }
  return run_with(spec, true);
}

namespace {
ContainerResult run_with(const ContainerSpec& spec, bool copy) {
  if (spec.argv.empty()) throw Error("RUN needs a command");
  if (spec.argv.size() > 256 || spec.env.size() > 1024)
    throw Error("RUN has too many arguments or environment variables");
  fs::path base = spec.upper.parent_path();
  Prepared p;
  p.copy = copy;
  p.root = (base / "merged").string();
  fs::create_directories(p.root);
  LayeredView view(spec.lowers);
  std::vector<std::string> stubs;
  auto in_root = [&](const std::string& image_path) { return p.root + image_path; };

  if (p.copy) {
    copy_snapshots(spec.lowers, p.root);
  } else {
    // lowerdir: topmost first, relative to the snapshots' common directory
    // when they share one (keeps the option under the 4 KiB page limit).
    fs::path work = base / "ovl-work";
    fs::create_directories(work);
    fs::path empty = base / "ovl-empty";
    std::string lower;
    fs::path dir = spec.lowers.empty() ? base : spec.lowers.front().parent_path();
    bool common = true;
    for (const fs::path& l : spec.lowers)
      common = common && l.parent_path() == dir;
    p.overlay_dir = common ? dir.string() : "/";
    for (size_t i = spec.lowers.size(); i-- > 0;) {
      if (!lower.empty()) lower += ":";
      lower += common ? spec.lowers[i].filename().string() : spec.lowers[i].string();
    }
    if (spec.lowers.empty()) {
      fs::create_directories(empty);
      lower = empty.string();
    }
    p.overlay_opts = "lowerdir=" + lower + ",upperdir=" + fs::absolute(spec.upper).string() +
                     ",workdir=" + fs::absolute(work).string();
    if (p.overlay_opts.size() > 4000)
      throw Error("the image has too many layers (" + std::to_string(spec.lowers.size()) +
                  ") for one overlayfs mount");
  }

  // Standard mounts.
  using K = Step::Kind;
  fs::path etc = base / "etc";
  fs::create_directories(etc);
  write_file_atomic(etc / "hosts",
                    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" +
                        spec.hostname + "\n");
  std::string resolv;
  if (spec.host_network) {
    try {
      resolv = read_file("/etc/resolv.conf", 1 << 20);
    } catch (const Error&) {
    }
  }
  write_file_atomic(etc / "resolv.conf", resolv);
  for (const char* d : {"/proc", "/dev", "/sys"}) {
    add_stub(view, d, stubs);
    p.steps.push_back({K::kMkdir, "", in_root(d), ""});
  }
  p.steps.push_back({K::kProc, "", in_root("/proc"), ""});
  p.steps.push_back({K::kTmpfs, "", in_root("/dev"), "mode=755,size=65536k"});
  for (const char* d : {"/dev/pts", "/dev/shm", "/dev/mqueue"})
    p.steps.push_back({K::kMkdir, "", in_root(d), ""});
  p.steps.push_back({K::kDevpts, "", in_root("/dev/pts"), ""});
  p.steps.push_back({K::kTmpfs, "", in_root("/dev/shm"), "mode=1777,size=65536k"});
  for (const char* n : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string t = in_root(std::string("/dev/") + n);
    p.steps.push_back({K::kFile, "", t, ""});
    p.steps.push_back({K::kBind, std::string("/dev/") + n, t, ""});
  }
  p.steps.push_back({K::kSymlink, "/proc/self/fd", in_root("/dev/fd"), ""});
  p.steps.push_back({K::kSymlink, "/proc/self/fd/0", in_root("/dev/stdin"), ""});
  p.steps.push_back({K::kSymlink, "/proc/self/fd/1", in_root("/dev/stdout"), ""});
  p.steps.push_back({K::kSymlink, "/proc/self/fd/2", in_root("/dev/stderr"), ""});
  p.steps.push_back({K::kSymlink, "pts/ptmx", in_root("/dev/ptmx"), ""});
  p.steps.push_back({K::kSysfs, "", in_root("/sys"), ""});
  for (const char* f : {"/etc/hosts", "/etc/resolv.conf"}) {
    auto e = view.lookup(f, true);
    add_stub(view, "/etc", stubs);
    if (!e) add_stub(view, f, stubs);
    p.steps.push_back({K::kMkdir, "", in_root("/etc"), ""});
    std::string target = in_root(view.resolve(f, true));
    p.steps.push_back({K::kFile, "", target, ""});
    p.steps.push_back({K::kBind, (etc / fs::path(f).filename()).string(), target, ""});
  }
  for (const ContainerMount& m : spec.mounts) {
    if (m.target.empty() || m.target[0] != '/')
      throw Error("mount target " + m.target + " is not absolute");
    std::string resolved = view.resolve(m.target, true);
    if (resolved == "/" || resolved == "/proc" || resolved == "/dev" || resolved == "/sys")
      throw Error("cannot mount on " + m.target);
    add_stub(view, resolved, stubs);
    std::string target = in_root(resolved);
    bool file = m.type == ContainerMount::Type::kBind && !fs::is_directory(m.source);
    std::string parent = resolved.substr(0, resolved.rfind('/'));
    p.steps.push_back({K::kMkdir, "", in_root(parent.empty() ? "/" : parent), ""});
    p.steps.push_back({file ? K::kFile : K::kMkdir, "", target, ""});
    if (m.type == ContainerMount::Type::kTmpfs)
      p.steps.push_back({K::kTmpfs, "", target,
                         m.tmpfs_size ? "size=" + std::to_string(m.tmpfs_size) : std::string()});
    else
      p.steps.push_back(
          {m.readonly ? K::kBindRo : K::kBind, fs::absolute(m.source).string(), target, ""});
  }

  // The process.
  ResolvedUser user = resolve_user(spec.lowers, {}, spec.user.empty() ? "0" : spec.user);
  p.uid = user.uid;
  p.gid = user.gid;
  p.groups.assign(user.groups.begin(), user.groups.end());
  p.cwd = spec.cwd.empty() ? "/" : spec.cwd;
  p.hostname = spec.hostname;
  p.argv = spec.argv;
  p.env = spec.env;
  // As runc: HOME from the user's passwd entry ("/" without one) unless set.
  if (std::none_of(p.env.begin(), p.env.end(),
                   [](const std::string& e) { return e.rfind("HOME=", 0) == 0; }))
    p.env.push_back("HOME=" + (user.home.empty() ? std::string("/") : user.home));
  p.new_net = !spec.host_network;
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const std::string& e : spec.env)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir =
        path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    start = colon == std::string::npos ? path.size() + 1 : colon + 1;
    if (dir.empty()) dir = ".";
    p.path_dirs.push_back(dir + "/" + spec.argv[0]);
  }

  int out[2], err[2], status[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
      ::pipe2(status, O_CLOEXEC) != 0)
    throw Error("cannot create pipes for RUN", ExitCode::kExternal);
  std::string scratch;
  scratch.reserve(8192);
  pid_t pid = ::fork();
  if (pid < 0)
    throw Error("cannot fork for RUN: " + std::string(std::strerror(errno)), ExitCode::kExternal);
  if (pid == 0) {
    ::close(out[0]);
    ::close(err[0]);
    ::close(status[0]);
    child_main(p, out[1], err[1], status[1]);
  }
  ::close(out[1]);
  ::close(err[1]);
  ::close(status[1]);
  char buf[65536];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    spec.output(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(out[0]);
  std::string setup_error = read_all(err[0]);
  ::close(err[0]);
  int st = 0;
  ssize_t got = ::read(status[0], &st, sizeof st);
  ::close(status[0]);
  int wst = 0;
  while (::waitpid(pid, &wst, 0) < 0 && errno == EINTR) {
  }
  // Remove the mount points the step needed but the image did not have.
  std::sort(stubs.begin(), stubs.end(),
            [](const std::string& a, const std::string& b) { return a > b; });
  fs::path changes = p.copy ? fs::path(p.root) : spec.upper;
  for (const std::string& s : stubs) {
    fs::path host = changes / s.substr(1);
    struct stat sb {};
    if (::lstat(host.c_str(), &sb) != 0) continue;
    std::error_code ec;
    if (S_ISDIR(sb.st_mode))
      fs::remove(host, ec);  // only when empty
    else if (S_ISREG(sb.st_mode) && sb.st_size == 0)
      fs::remove(host, ec);
  }
  if (p.copy) {
    diff_into_upper(spec.lowers, p.root, spec.upper);
  } else {
    std::error_code ec;
    fs::remove_all(base / "ovl-work", ec);
    prune_copied_up_dirs(view, spec.upper, "");
  }
  std::error_code ec;
  fs::remove_all(p.root, ec);
  if (!setup_error.empty()) {
    if (!p.copy && setup_error.rfind("overlay", 0) == 0) throw NoOverlay{};
    throw Error("cannot set up the RUN container: " + setup_error, ExitCode::kExternal);
  }
  if (got != sizeof st)
    throw Error("the RUN container ended without a status", ExitCode::kExternal);
  ContainerResult r;
  if (WIFEXITED(st)) {
    r.exit_code = WEXITSTATUS(st);
  } else if (WIFSIGNALED(st)) {
    r.signal = WTERMSIG(st);
    r.exit_code = 128 + r.signal;
  }
  return r;
}

}  // namespace

}  // namespace gantry::build
