#include "support/fixtures.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

#include "core/error.h"

namespace gantry::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/gantry-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(std::string_view relative, std::string_view content) const {
  fs::path p = path_ / relative;
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return p;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv, const fs::path& log,
                                     const std::vector<std::string>& extra_env)
    : log_(log) {
  // Everything is prepared before fork(): the child only calls async-signal-safe functions.
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& x : extra_env)
      replaced |= entry.substr(0, entry.find('=')) == std::string_view(x).substr(0, x.find('='));
    if (!replaced) env_store.emplace_back(entry);
  }
  env_store.insert(env_store.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp, args;
  for (auto& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::setpgid(0, 0);
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
}

BackgroundProcess::~BackgroundProcess() {
  stop();
}

void BackgroundProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string BackgroundProcess::log() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ProcessResult run_gantry(const std::vector<std::string>& args, const fs::path& cwd,
                         const std::vector<std::string>& env) {
  std::vector<std::string> argv{GANTRY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions opts;
  opts.cwd = cwd;
  opts.extra_env = env;
  opts.timeout = std::chrono::minutes(5);
  return run_process(argv, opts);
}

std::string helm_binary() {
  if (::access(GANTRY_TEST_HELM, X_OK) == 0) return GANTRY_TEST_HELM;
  auto found = find_program("helm");
  return found ? found->string() : "";
}

ProcessResult run_helm(std::vector<std::string> args, const std::filesystem::path& home) {
  args.insert(args.begin(), helm_binary());
  ProcessOptions o;
  o.extra_env = {"HELM_CONFIG_HOME=" + (home / "config").string(),
                 "HELM_CACHE_HOME=" + (home / "cache").string(),
                 "HELM_DATA_HOME=" + (home / "data").string()};
  return run_process(args, o);
}

fs::path source_dir() {
  return GANTRY_SOURCE_DIR;
}
fs::path course_dir() {
  return GANTRY_COURSE_DIR;
}

std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.str();
  }
  return "<no error>";
}

}  // namespace gantry::testing
