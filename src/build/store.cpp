#include "build/store.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "build/container.h"
#include "core/digest.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/json.h"

namespace gantry::build {
namespace fs = std::filesystem;
namespace {

std::string hex_of(const std::string& digest) {
  size_t colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

}  // namespace

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

fs::path default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return fs::path(x) / "gantry/build";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".cache/gantry/build";
  return fs::temp_directory_path() / "gantry-build-cache";
}

Store::Store(fs::path dir)
    : dir_(std::move(dir)), blobs_(oci::Layout::open_or_create(dir_ / "blobs")) {
  for (const char* sub : {"snapshots", "steps", "mounts", "context", "tmp"})
    fs::create_directories(dir_ / sub);
}

void Store::adopt_blob(const fs::path& file, const oci::Descriptor& d) const {
  fs::path dest = blobs_.blob_path(d.digest);
  fs::create_directories(dest.parent_path());
  if (blobs_.has_blob(d.digest, d.size)) {  // written meanwhile (same content)
    fs::remove(file);
    return;
  }
  fs::rename(file, dest);  // same file system: tmp/ and blobs/ are both in the cache
}

std::optional<StepRecord> Store::find_step(const std::string& key) const {
  fs::path p = dir_ / "steps" / key;
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  try {
    doc::Value v = doc::parse_json(read_file(p, 1 << 16), p.string());
    StepRecord r;
    r.digest = v.get_string("digest");
    r.diff_id = v.get_string("diffID");
    r.media_type = v.get_string("mediaType");
    if (const doc::Value* s = v.find("size"); s && s->is_int()) r.size = s->as_int();
    if (!r.digest.empty() && !blobs_.has_blob(oci::Digest::parse(r.digest), r.size))
      return std::nullopt;  // the blob was removed: build the step again
    return r;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::optional<StepRecord> Store::find_layer(const std::string& diff_id) const {
  return find_step("layer-" + hex_of(diff_id));
}

void Store::put_step(const std::string& key, const StepRecord& r) const {
  doc::Value v = doc::Value::object(
      {{"digest", r.digest}, {"diffID", r.diff_id}, {"size", r.size}, {"mediaType", r.media_type}});
  write_file_atomic(dir_ / "steps" / key, doc::to_json(v));
  if (!r.diff_id.empty() && key.rfind("layer-", 0) != 0)
    write_file_atomic(dir_ / "steps" / ("layer-" + hex_of(r.diff_id)), doc::to_json(v));
}

fs::path Store::snapshot(const StepRecord& layer) {
  fs::path dest = dir_ / "snapshots" / hex_of(layer.diff_id);
  std::error_code ec;
  if (fs::exists(dest, ec)) return dest;
  std::shared_ptr<std::mutex> lock;
  {
    std::lock_guard g(mu_);
    auto& m = unpacking_[layer.diff_id];
    if (!m) m = std::make_shared<std::mutex>();
    lock = m;
  }
  std::lock_guard g(*lock);
  if (fs::exists(dest, ec)) return dest;
  std::string blob = blobs_.read_blob(oci::Digest::parse(layer.digest), ~size_t{0} >> 1);
  TempDir tmp(temp_dir("unpack"));
  fs::path into = tmp.path() / "s";
  unpack_snapshot(blob, into);
  fs::rename(into, dest, ec);
  if (ec && !fs::exists(dest))
    throw Error("cannot store the snapshot of " + layer.diff_id + ": " + ec.message(),
                ExitCode::kExternal);
  return dest;
}

void Store::adopt_snapshot(const fs::path& upper, const std::string& diff_id) {
  fs::path dest = dir_ / "snapshots" / hex_of(diff_id);
  std::error_code ec;
  if (fs::exists(dest, ec)) {
    fs::remove_all(upper, ec);
    return;
  }
  fs::rename(upper, dest, ec);
  if (ec) fs::remove_all(upper, ec);  // another build stored it first
}

fs::path Store::temp_dir(const std::string& prefix) const {
  std::string tmpl = (dir_ / "tmp" / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw Error("cannot create a work directory under " + (dir_ / "tmp").string(),
                ExitCode::kExternal);
  return tmpl;
}

fs::path Store::cache_mount(const std::string& id) const {
  fs::path p = dir_ / "mounts" / sha256_hex(id).substr(0, 32);
  fs::create_directories(p);
  return p;
}

fs::path Store::context_cache(const fs::path& context) const {
  return dir_ / "context" / sha256_hex(fs::absolute(context).lexically_normal().string());
}

}  // namespace gantry::build
