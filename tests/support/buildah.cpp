#include "support/buildah.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <functional>

namespace gantry::testing {

namespace fs = std::filesystem;

Buildah::Buildah(fs::path dir) : dir_(std::move(dir)) {}

Buildah::~Buildah() {
  if (containers_ > 0) run({"rm", "--all"});
  for (const fs::path& l : links_) {
    std::error_code ec;
    fs::remove(l, ec);
  }
}

bool Buildah::available() {
  return find_program("buildah").has_value();
}

ProcessResult Buildah::run(std::vector<std::string> args) {
  std::vector<std::string> argv{
      "buildah",          "--root", (dir_ / "root").string(), "--runroot", (dir_ / "run").string(),
      "--storage-driver", "vfs"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.timeout = std::chrono::minutes(2);
  return run_process(argv, o);
}

std::string Buildah::container_from(const std::string& location) {
  std::string c = "c" + std::to_string(++containers_);
  // buildah names images after the layout's path, which must be lower case.
  std::string loc = location;
  if (loc.rfind("oci:", 0) == 0) {
    std::string rest = loc.substr(4);
    size_t colon = rest.find(':');
    fs::path link = fs::temp_directory_path() /
                    ("gantry-buildah-" + std::to_string(::getpid()) + "-" +
                     std::to_string(std::hash<std::string>{}(dir_.string())) + "-" + c);
    std::error_code ec;
    fs::remove(link, ec);
    fs::create_symlink(rest.substr(0, colon), link);
    links_.push_back(link);
    loc = "oci:" + link.string() + (colon == std::string::npos ? "" : rest.substr(colon));
  }
  ProcessResult from = run({"from", "--name", c, "--tls-verify=false", loc});
  EXPECT_EQ(from.exit_code, 0) << from.err;
  return c;
}

ProcessResult Buildah::exec(const std::string& container, const std::vector<std::string>& argv) {
  std::vector<std::string> args{"run", "--isolation", "chroot", container, "--"};
  args.insert(args.end(), argv.begin(), argv.end());
  return run(args);
}

fs::path Buildah::mount(const std::string& container) {
  ProcessResult r = run({"mount", container});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

}  // namespace gantry::testing
