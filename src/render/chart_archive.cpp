#include "render/chart_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <memory>
#include <set>

#include "core/error.h"
#include "core/file.h"

namespace gantry::render {

namespace fs = std::filesystem;

namespace {

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

[[noreturn]] void refuse(const std::string& why) {
  throw Error("chart archive: " + why, ExitCode::kInvalidInput);
}

// The entry's path split into its components, "." and empty ones dropped.
// Absolute paths, "..", backslashes and NUL bytes are refused.
std::vector<std::string> components(const std::string& name) {
  if (name.empty()) refuse("an entry has no name");
  if (name.front() == '/') refuse("entry \"" + name + "\" is an absolute path");
  if (name.find('\\') != std::string::npos) refuse("entry \"" + name + "\" holds a backslash");
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string::npos) slash = name.size();
    std::string part = name.substr(pos, slash - pos);
    if (part == "..") refuse("entry \"" + name + "\" climbs out of the chart with \"..\"");
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    pos = slash + 1;
  }
  return parts;
}

}  // namespace

ChartArchive read_chart_archive(std::string_view data, const ArchiveLimits& limits) {
  std::unique_ptr<archive, ArchiveCloser> a(archive_read_new());
  if (!a) throw Error("chart archive: libarchive could not start", ExitCode::kExternal);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_none(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    refuse(std::string("not a gzip-compressed tar archive (") + archive_error_string(a.get()) +
           ")");
  ChartArchive out;
  std::set<std::string> seen;
  uint64_t total = 0;
  size_t entries = 0;
  bool top_set = false;
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
      refuse(std::string("corrupt archive (") + archive_error_string(a.get()) + ")");
    if (++entries > limits.max_entries)
      refuse("more than " + std::to_string(limits.max_entries) + " entries");
    const char* raw = archive_entry_pathname(e);
    std::string name = raw ? raw : "";
    std::vector<std::string> parts = components(name);
    if (parts.empty()) continue;  // "./"
    if (!top_set) {
      out.top = parts.front();
      top_set = true;
    } else if (parts.front() != out.top) {
      refuse("entry \"" + name + "\" is not under the chart's folder \"" + out.top + "\"");
    }
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR) continue;
    if (type != AE_IFREG || archive_entry_hardlink(e) != nullptr)
      refuse("entry \"" + name + "\" is not a regular file (links and devices are refused)");
    if (parts.size() < 2) refuse("entry \"" + name + "\" is not inside the chart's folder");
    int64_t size = archive_entry_size(e);
    if (size < 0 || static_cast<uint64_t>(size) > limits.max_file_bytes)
      refuse("entry \"" + name + "\" is larger than " + std::to_string(limits.max_file_bytes) +
             " bytes");
    total += static_cast<uint64_t>(size);
    if (total > limits.max_total_bytes)
      refuse("the files add up to more than " + std::to_string(limits.max_total_bytes) + " bytes");
    ChartFile f;
    for (size_t i = 1; i < parts.size(); ++i)
      f.path += (i > 1 ? "/" : "") + parts[i];
    if (!seen.insert(f.path).second) refuse("entry \"" + name + "\" appears twice");
    f.data.resize(static_cast<size_t>(size));
    size_t got = 0;
    while (got < f.data.size()) {
      la_ssize_t n = archive_read_data(a.get(), f.data.data() + got, f.data.size() - got);
      if (n < 0)
        refuse("corrupt archive at \"" + name + "\" (" + archive_error_string(a.get()) + ")");
      if (n == 0) refuse("entry \"" + name + "\" is truncated");
      got += static_cast<size_t>(n);
    }
    out.files.push_back(std::move(f));
  }
  if (out.files.empty()) refuse("the archive holds no files");
  if (!seen.count("Chart.yaml"))
    refuse("the archive holds no " + (out.top.empty() ? std::string() : out.top + "/") +
           "Chart.yaml");
  return out;
}

void write_chart_files(const ChartArchive& chart, const fs::path& dest) {
  fs::create_directories(dest);
  std::vector<std::pair<fs::path, std::string_view>> files;
  for (const auto& f : chart.files) {
    fs::path path = join_within(dest, f.path);
    fs::create_directories(path.parent_path());
    files.emplace_back(std::move(path), f.data);
  }
  write_files_atomic(files);
}

}  // namespace gantry::render
