#include "support/sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/base64.h"

namespace gantry::testing {

namespace fs = std::filesystem;

namespace {

std::string value_after(const std::string& text, const std::string& key) {
  size_t p = text.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  size_t e = text.find('\n', p);
  return text.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

}  // namespace

Sandbox::Sandbox(Options options) {
  fs::path kc = dir_.path() / "kubeconfig";
  std::vector<std::string> args{GANTRY_BINARY,   "sandbox",          "--listen",
                                options.listen,  "--kubeconfig-out", kc.string(),
                                "--ready-delay", options.ready_delay};
  if (!options.data_dir.empty()) {
    args.push_back("--data");
    args.push_back(options.data_dir.string());
  }
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    int devnull = ::open((dir_.path() / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (devnull >= 0) ::dup2(devnull, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  stdout_fd_ = out[0];
  // Wait for the "kubeconfig:" line.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (banner_.find("kubeconfig: ") == std::string::npos ||
         banner_.find('\n', banner_.find("kubeconfig: ")) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("gantry sandbox did not start: " + banner_);
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) {
      char buf[4096];
      ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
      if (n <= 0) {
        stop();
        throw std::runtime_error("gantry sandbox exited early: " + banner_);
      }
      banner_.append(buf, static_cast<size_t>(n));
    }
  }
  url_ = value_after(banner_, "serving the Kubernetes API on ");
  kubeconfig_ = value_after(banner_, "kubeconfig: ");
  std::ifstream in(kubeconfig_);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string kcs = ss.str();
  token_ = value_after(kcs, "    token: ");
  auto ca = base64_decode(value_after(kcs, "certificate-authority-data: "));
  ca_file_ = dir_.path() / "ca.crt";
  std::ofstream(ca_file_) << (ca ? *ca : "");
  // Ready when /readyz answers.
  while (request("GET", "/readyz", "", "", "-").status != 200) {
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("gantry sandbox never became ready");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Sandbox::~Sandbox() {
  stop();
}

int Sandbox::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  pid_ = -1;
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ProcessResult Sandbox::kubectl(const std::vector<std::string>& args,
                               std::optional<std::string> input) const {
  std::vector<std::string> argv{"kubectl", "--kubeconfig", kubeconfig_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.input = std::move(input);
  o.timeout = std::chrono::seconds(60);
  o.extra_env = {"KUBECACHEDIR=" + (dir_.path() / "kubecache").string(),
                 "HOME=" + dir_.path().string()};
  return run_process(argv, o);
}

Sandbox::Response Sandbox::request(const std::string& method, const std::string& path,
                                   const std::string& body, const std::string& content_type,
                                   const std::string& token,
                                   const std::vector<std::string>& headers) const {
  std::vector<std::string> argv{"curl", "-sS", "--cacert", ca_file_.string(), "-X",         method,
                                "-o",   "-",   "-w",       "\n%{http_code}",  "--max-time", "30"};
  std::string tok = token.empty() ? token_ : token;
  if (tok != "-") {
    argv.push_back("-H");
    argv.push_back("Authorization: Bearer " + tok);
  }
  if (!content_type.empty()) {
    argv.push_back("-H");
    argv.push_back("Content-Type: " + content_type);
  }
  for (const auto& h : headers) {
    argv.push_back("-H");
    argv.push_back(h);
  }
  ProcessOptions o;
  o.timeout = std::chrono::seconds(40);
  if (!body.empty()) {
    argv.push_back("--data-binary");
    argv.push_back("@-");
    o.input = body;
  }
  argv.push_back(url_ + path);
  ProcessResult r = run_process(argv, o);
  Response res;
  size_t nl = r.out.rfind('\n');
  if (nl == std::string::npos) return res;
  res.body = r.out.substr(0, nl);
  try {
    res.status = std::stoi(r.out.substr(nl + 1));
  } catch (const std::exception&) {
    res.status = 0;
  }
  return res;
}

}  // namespace gantry::testing
