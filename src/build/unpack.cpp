#include "build/unpack.h"

#include "build/container.h"
#include "build/overlay_form.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

}  // namespace

fs::path resolve_in_root(const fs::path& root, std::string_view relative, bool follow_last) {
  std::vector<std::string> done =
      resolve_components(relative, follow_last,
                         [&](const std::vector<std::string>& parts) -> std::optional<std::string> {
                           fs::path candidate = root;
                           for (const std::string& d : parts)
                             candidate /= d;
                           struct stat st {};
                           if (::lstat(candidate.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
                             return std::nullopt;
                           std::vector<char> buf(4096);
                           ssize_t n = ::readlink(candidate.c_str(), buf.data(), buf.size());
                           if (n < 0) throw Error("cannot read link " + candidate.string());
                           return std::string(buf.data(), static_cast<size_t>(n));
                         });
  fs::path out = root;
  for (const std::string& d : done)
    out /= d;
  return out;
}

namespace {

struct ReadCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteCloser {
  void operator()(archive* a) const { archive_write_free(a); }
};

void remove_children(const fs::path& dir) {
  std::error_code ec;
  for (const auto& child : fs::directory_iterator(dir, ec))
    fs::remove_all(child.path(), ec);
}

}  // namespace

void unpack_layer(std::string_view blob, const fs::path& root_in, const UnpackLimits& limits,
                  Whiteouts whiteouts) {
  fs::path root = fs::canonical(root_in);
  std::unique_ptr<archive, ReadCloser> in(archive_read_new());
  archive_read_support_filter_gzip(in.get());
  archive_read_support_filter_zstd(in.get());
  archive_read_support_filter_xz(in.get());
  archive_read_support_filter_bzip2(in.get());
  archive_read_support_filter_none(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_memory(in.get(), blob.data(), blob.size()) != ARCHIVE_OK)
    throw Error(std::string("cannot read layer: ") + archive_error_string(in.get()));
  std::unique_ptr<archive, WriteCloser> out(archive_write_disk_new());
  archive_write_disk_set_options(
      out.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                     ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                     ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK);
  uint64_t entries = 0, bytes = 0;
  archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      throw Error(std::string("malformed layer: ") + archive_error_string(in.get()));
    if (++entries > limits.max_entries)
      throw Error("layer has more than the allowed number of entries");
    const char* raw = archive_entry_pathname(entry);
    std::string name = raw ? raw : "";
    for (const std::string& part : path_components(name))
      if (part == "..") throw Error("layer entry " + name + " has a '..' component; refused");
    std::vector<std::string> parts = path_components(name);
    if (parts.empty()) continue;  // the root itself
    std::string base = parts.back();
    std::string parent_rel;
    for (size_t k = 0; k + 1 < parts.size(); ++k)
      parent_rel += "/" + parts[k];
    fs::path parent = resolve_in_root(root, parent_rel, true);
    if (base == kOpaque && whiteouts != Whiteouts::kKeep) {
      fs::create_directories(parent);
      if (whiteouts == Whiteouts::kApply) {
        remove_children(parent);
      } else if (::lsetxattr(parent.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
        throw Error("cannot mark " + parent_rel + " opaque (needs root): " + std::strerror(errno),
                    ExitCode::kExternal);
      }
      continue;
    }
    if (base.rfind(kWhiteout, 0) == 0 && whiteouts != Whiteouts::kKeep) {
      std::error_code ec;
      fs::path victim = parent / base.substr(kWhiteout.size());
      fs::remove_all(victim, ec);
      if (whiteouts == Whiteouts::kOverlay) {
        fs::create_directories(parent);
        if (::mknod(victim.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0)
          throw Error(
              "cannot create the whiteout of " + name + " (needs root): " + std::strerror(errno),
              ExitCode::kExternal);
      }
      continue;
    }
    fs::create_directories(parent);
    fs::path target = parent / base;
    archive_entry_set_pathname(entry, target.c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      std::string link_name = link;
      for (const std::string& part : path_components(link_name))
        if (part == "..")
          throw Error("layer entry " + name + " links to " + link_name + "; refused");
      fs::path link_target = resolve_in_root(root, link_name, false);
      archive_entry_set_hardlink(entry, link_target.c_str());
    }
    if (archive_entry_size(entry) > 0) {
      bytes += static_cast<uint64_t>(archive_entry_size(entry));
      if (bytes > limits.max_bytes) throw Error("layer is larger than the allowed size");
    }
    if (archive_write_header(out.get(), entry) < ARCHIVE_WARN)
      throw Error("cannot write " + name + ": " + archive_error_string(out.get()));
    const void* buf = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    while ((r = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK)
      if (archive_write_data_block(out.get(), buf, size, offset) < ARCHIVE_WARN)
        throw Error("cannot write " + name + ": " + archive_error_string(out.get()));
    if (r != ARCHIVE_EOF)
      throw Error("malformed layer at " + name + ": " + archive_error_string(in.get()));
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN)
      throw Error("cannot write " + name + ": " + archive_error_string(out.get()));
  }
}

void unpack_snapshot(std::string_view blob, const fs::path& dir, const UnpackLimits& limits) {
  fs::create_directories(dir);
  unpack_layer(blob, dir, limits, Whiteouts::kOverlay);
}

}  // namespace gantry::build
