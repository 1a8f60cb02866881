// RUN steps of a foreign platform. The kernel runs another architecture's
// programs only through an interpreter registered in binfmt_misc (qemu-user,
// as `qemu-user-static` + `binfmt-support` register it on Debian), and only
// with the F (fix binary) flag does that interpreter work inside the build's
// own root filesystem. Stages without RUN need nothing of this.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace gantry::build {

// nullopt when RUN steps for `platform` ("os/arch[/variant]") can run here;
// otherwise why not, in words for the user. `binfmt_dir` is where
// binfmt_misc is mounted.
std::optional<std::string> emulation_problem(
    const std::string& platform,
    const std::filesystem::path& binfmt_dir = "/proc/sys/fs/binfmt_misc");

}  // namespace gantry::build
