#include "build/emulation.h"

#include <map>

#include "build/builder.h"
#include "core/file.h"

namespace gantry::build {

namespace {

std::string arch_of(const std::string& platform) {
  size_t a = platform.find('/');
  if (a == std::string::npos) return "";
  size_t v = platform.find('/', a + 1);
  return platform.substr(a + 1, v == std::string::npos ? v : v - a - 1);
}

}  // namespace

std::optional<std::string> emulation_problem(const std::string& platform,
                                             const std::filesystem::path& binfmt_dir) {
  const std::string host = host_platform();
  const std::string os = platform.substr(0, platform.find('/'));
  if (os != "linux") return "RUN needs a linux platform; " + platform + " is not one";
  const std::string arch = arch_of(platform), host_arch = arch_of(host);
  if (arch == host_arch) return std::nullopt;
  if (host_arch == "amd64" && arch == "386") return std::nullopt;  // the CPU runs it natively
  // Debian's qemu-user-static registers these names.
  static const std::map<std::string, std::string> qemu{
      {"amd64", "x86_64"},    {"386", "i386"},          {"arm64", "aarch64"},
      {"arm", "arm"},         {"ppc64le", "ppc64le"},   {"s390x", "s390x"},
      {"riscv64", "riscv64"}, {"mips64le", "mips64el"}, {"loong64", "loongarch64"}};
  auto q = qemu.find(arch);
  if (q == qemu.end())
    return "RUN for " + platform + ": gantry knows no qemu-user emulator for " + arch;
  const std::string install =
      " (on Debian: apt-get install qemu-user-static binfmt-support); this machine is " + host;
  const std::filesystem::path entry = binfmt_dir / ("qemu-" + q->second);
  std::error_code ec;
  if (!std::filesystem::exists(entry, ec))
    return "RUN for " + platform + " needs qemu-" + q->second +
           " registered in binfmt_misc, and it is not" + install;
  std::string text;
  try {
    text = read_file(entry, 1 << 16);
  } catch (const std::exception&) {
    return "RUN for " + platform + ": " + entry.string() + " cannot be read";
  }
  if (text.rfind("enabled", 0) != 0)
    return "RUN for " + platform + ": qemu-" + q->second +
           " is registered in binfmt_misc but disabled";
  size_t flags = text.find("\nflags:");
  std::string f = flags == std::string::npos
                      ? ""
                      : text.substr(flags + 7, text.find('\n', flags + 1) - flags - 7);
  if (f.find('F') == std::string::npos)
    return "RUN for " + platform + ": qemu-" + q->second +
           " is registered without the F (fix binary) flag, so it cannot run inside the build's "
           "root filesystem" +
           install;
  return std::nullopt;
}

}  // namespace gantry::build
