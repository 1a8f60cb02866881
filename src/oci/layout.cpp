#include "oci/layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "core/error.h"
#include "core/file.h"
#include "doc/json.h"

namespace gantry::oci {

namespace fs = std::filesystem;

namespace {

std::string unique_suffix() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rng() % 1000000);
}

constexpr std::string_view kLayoutFile = "{\"imageLayoutVersion\":\"1.0.0\"}";

}  // namespace

BlobWriter::BlobWriter(fs::path final_path, Descriptor expected, bool hash)
    : final_(std::move(final_path)),
      expected_(std::move(expected)),
      hasher_(expected_.digest.algorithm()),
      hash_(hash) {
  tmp_ = final_.parent_path() /
         (".tmp-" + expected_.digest.hex().substr(0, 16) + "-" + unique_suffix());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw Error("creating " + tmp_.string() + ": " + std::strerror(errno), ExitCode::kExternal);
}

BlobWriter::~BlobWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void BlobWriter::write(std::string_view chunk) {
  if (static_cast<int64_t>(written_ + chunk.size()) > expected_.size)
    throw Error("blob " + expected_.digest.str() + " is larger than its descriptor's size " +
                    std::to_string(expected_.size),
                ExitCode::kExternal);
  if (hash_) hasher_.update(chunk);
  written_ += chunk.size();
  while (!chunk.empty()) {
    ssize_t n = ::write(fd_, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error("writing " + tmp_.string() + ": " + std::strerror(errno), ExitCode::kExternal);
    chunk.remove_prefix(static_cast<size_t>(n));
  }
}

void BlobWriter::restart() {
  hasher_.reset();
  written_ = 0;
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
    throw Error("truncating " + tmp_.string() + ": " + std::strerror(errno), ExitCode::kExternal);
}

void BlobWriter::commit() {
  if (static_cast<int64_t>(written_) != expected_.size)
    throw Error("blob " + expected_.digest.str() + " is truncated: got " +
                    std::to_string(written_) + " of " + std::to_string(expected_.size) + " bytes",
                ExitCode::kExternal);
  if (hash_) {
    Digest got = hasher_.finish();
    if (got != expected_.digest)
      throw Error(
          "blob " + expected_.digest.str() + " has the wrong content: its digest is " + got.str(),
          ExitCode::kExternal);
  }
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0)
    throw Error("writing " + tmp_.string() + ": " + std::strerror(errno), ExitCode::kExternal);
  fs::rename(tmp_, final_);
  committed_ = true;
}

Layout Layout::open(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw Error("OCI layout " + dir.string() + " does not exist", ExitCode::kNotFound);
  if (!fs::exists(dir / "oci-layout"))
    throw Error(dir.string() + " is not an OCI image layout (no oci-layout file)",
                ExitCode::kInvalidInput);
  std::string marker = read_file(dir / "oci-layout", 1 << 16);
  doc::Value v = doc::parse_json(marker, (dir / "oci-layout").string());
  if (v.get_string("imageLayoutVersion").rfind("1.", 0) != 0)
    throw Error((dir / "oci-layout").string() + ": unsupported imageLayoutVersion \"" +
                v.get_string("imageLayoutVersion") + "\"");
  return Layout(dir);
}

Layout Layout::open_or_create(const fs::path& dir) {
  fs::create_directories(dir / "blobs" / "sha256");
  if (!fs::exists(dir / "oci-layout")) write_file_atomic(dir / "oci-layout", kLayoutFile);
  if (!fs::exists(dir / "index.json"))
    write_file_atomic(dir / "index.json", "{\"schemaVersion\":2,\"mediaType\":\"" +
                                              std::string(media::kOciIndex) +
                                              "\",\"manifests\":[]}");
  return open(dir);
}

fs::path Layout::blob_path(const Digest& d) const {
  return dir_ / "blobs" / d.algorithm() / d.hex();
}

bool Layout::has_blob(const Digest& d, int64_t size) const {
  std::error_code ec;
  auto st = fs::status(blob_path(d), ec);
  if (ec || !fs::is_regular_file(st)) return false;
  if (size < 0) return true;
  auto sz = fs::file_size(blob_path(d), ec);
  return !ec && static_cast<int64_t>(sz) == size;
}

std::unique_ptr<BlobWriter> Layout::write_blob(const Descriptor& d, bool hash) const {
  fs::create_directories(dir_ / "blobs" / d.digest.algorithm());
  return std::make_unique<BlobWriter>(blob_path(d.digest), d, hash);
}

void Layout::put_blob(const Descriptor& d, std::string_view bytes) const {
  auto w = write_blob(d);
  w->write(bytes);
  w->commit();
}

std::string Layout::read_blob(const Digest& d, size_t max_bytes) const {
  std::string data = read_file(blob_path(d), max_bytes);
  Hasher h(d.algorithm());
  h.update(data);
  if (h.finish() != d)
    throw Error("blob " + blob_path(d).string() + " does not match its digest " + d.str(),
                ExitCode::kInvalidInput);
  return data;
}

doc::Value Layout::read_index() const {
  fs::path p = dir_ / "index.json";
  doc::Value v = doc::parse_json(read_file(p, kDefaultManifestLimit), p.string());
  if (!v.is_map() || !v.find("manifests") || !v.find("manifests")->is_list())
    throw Error(p.string() + ": not an image index (no \"manifests\" list)");
  return v;
}

Descriptor Layout::resolve(std::string_view tag) const {
  doc::Value idx = read_index();
  std::string where = (dir_ / "index.json").string();
  const auto& list = idx.find("manifests")->as_list();
  std::vector<Descriptor> all;
  for (size_t i = 0; i < list.size(); ++i)
    all.push_back(parse_descriptor(list[i], where, "manifests[" + std::to_string(i) + "]"));
  if (tag.empty()) {
    if (all.size() == 1) return all.front();
    throw Error("OCI layout " + dir_.string() + " holds " + std::to_string(all.size()) +
                    " images; name one with oci:DIR:TAG",
                all.empty() ? ExitCode::kNotFound : ExitCode::kInvalidInput);
  }
  bool by_digest = tag.rfind("sha256:", 0) == 0;
  for (const auto& d : all) {
    if (by_digest) {
      if (d.digest.str() == tag) return d;
      continue;
    }
    for (const auto& [k, v] : d.annotations)
      if (k == kRefNameAnnotation && v == tag) return d;
  }
  throw Error("OCI layout " + dir_.string() + " has no image tagged \"" + std::string(tag) + "\"",
              ExitCode::kNotFound);
}

void Layout::set_tag(std::string_view tag, const Descriptor& d) const {
  doc::Value idx = read_index();
  doc::List kept;
  for (const auto& e : idx.find("manifests")->as_list()) {
    bool drop = false;
    if (const doc::Value* a = e.find("annotations")) {
      if (!tag.empty() && a->get_string(std::string(kRefNameAnnotation)) == tag) drop = true;
    } else if (tag.empty() && e.get_string("digest") == d.digest.str()) {
      drop = true;
    }
    if (!drop) kept.push_back(e);
  }
  Descriptor entry = d;
  entry.platform.reset();
  std::erase_if(entry.annotations, [](const auto& kv) { return kv.first == kRefNameAnnotation; });
  if (!tag.empty())
    entry.annotations.emplace_back(std::string(kRefNameAnnotation), std::string(tag));
  kept.push_back(descriptor_value(entry));
  idx.set("manifests", doc::Value(std::move(kept)));
  if (!idx.contains("mediaType")) idx.set("mediaType", std::string(media::kOciIndex));
  write_file_atomic(dir_ / "index.json", doc::to_json(idx));
}

}  // namespace gantry::oci
