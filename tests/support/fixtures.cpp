#include "support/fixtures.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

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

ProcessResult run_gantry(const std::vector<std::string>& args, const fs::path& cwd) {
  std::vector<std::string> argv{GANTRY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions opts;
  opts.cwd = cwd;
  opts.timeout = std::chrono::minutes(5);
  return run_process(argv, opts);
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
