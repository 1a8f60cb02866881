// Helm chart archives (`NAME-VERSION.tgz`, as `helm package` writes them),
// read with libarchive as untrusted input: every entry lies under one top
// folder (the chart's name), only regular files and folders are accepted,
// and paths that are absolute or climb out with ".." are refused, as are
// archives over the size limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::render {

struct ArchiveLimits {
  uint64_t max_total_bytes = 256u << 20;  // sum of the files' sizes, unpacked
  uint64_t max_file_bytes = 64u << 20;    // one file, unpacked
  size_t max_entries = 20000;
};

struct ChartFile {
  std::string path;  // relative to the top folder, '/'-separated, never empty
  std::string data;
};

struct ChartArchive {
  std::string top;  // the top folder every entry lies under
  std::vector<ChartFile> files;
};

// Reads a gzip-compressed (or plain) tar archive. Throws Error
// (kInvalidInput) saying which entry is wrong, or that the archive is
// corrupt (libarchive's message), empty, or holds no top-level Chart.yaml.
ChartArchive read_chart_archive(std::string_view archive, const ArchiveLimits& limits = {});

// Writes the files of `chart` below `dest` (created; the top folder is left
// out, so `dest/Chart.yaml` is the chart's), each path joined with
// join_within so nothing lands outside `dest`.
void write_chart_files(const ChartArchive& chart, const std::filesystem::path& dest);

}  // namespace gantry::render
