// The copying snapshotter, for machines where overlayfs cannot be mounted:
// the snapshots are copied into one directory (whiteouts and opaque
// directories applied), the step runs there, and the difference with the
// snapshots is written into an upper directory in overlayfs's form, so both
// snapshotters give the same layer.
#pragma once

#include <filesystem>
#include <vector>

namespace gantry::build {

// Copies the snapshots (lowest first) into `merged`, as overlayfs would show them.
void copy_snapshots(const std::vector<std::filesystem::path>& lowers,
                    const std::filesystem::path& merged);

// Writes into `upper` what differs between `merged` and the snapshots: new and
// changed entries, and 0/0 character devices for what was removed. Entries
// are compared by type, mode, owner, size, mtime and link target.
void diff_into_upper(const std::vector<std::filesystem::path>& lowers,
                     const std::filesystem::path& merged, const std::filesystem::path& upper);

}  // namespace gantry::build
