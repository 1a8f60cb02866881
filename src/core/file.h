// File I/O: whole-file reads with a size limit, atomic writes, safe joins.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry {

// Reads a whole file. Throws Error (kNotFound when missing) naming the path;
// files larger than max_bytes are an Error, not a truncated read.
std::string read_file(const std::filesystem::path& path, size_t max_bytes = 256u << 20);

// Writes `data` to a temporary file beside `path`, fsyncs and renames it over
// `path`, so readers see the old or the new content, never half of it.
void write_file_atomic(const std::filesystem::path& path, std::string_view data);

// Writes several files as write_file_atomic does, with one sync per
// filesystem (syncfs) instead of one fsync per file: every temporary file is
// written and synced first, then each is renamed over its target. An error
// before the renames removes the temporary files and leaves every target
// untouched; a rename that fails (rare) leaves the earlier ones done.
void write_files_atomic(
    const std::vector<std::pair<std::filesystem::path, std::string_view>>& files);

// Joins `relative` onto `root` and checks that the normalised result stays
// inside `root` (no "../" escapes, no absolute paths). Symlinks are not
// followed here; callers that open files check with is_within() on the
// canonical path. Throws Error naming `relative` when it escapes.
std::filesystem::path join_within(const std::filesystem::path& root, std::string_view relative);

// True when `path` (made absolute and normalised) is `root` or below it.
bool is_within(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace gantry
