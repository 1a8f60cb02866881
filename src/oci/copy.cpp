#include "oci/copy.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/parallel.h"
#include "oci/layout.h"

namespace gantry::oci {

namespace fs = std::filesystem;

std::string ImageLocation::str() const {
  if (kind == Kind::kLayout) return "oci:" + dir.string() + (tag.empty() ? "" : ":" + tag);
  return ref.str();
}

ImageLocation parse_location(std::string_view text) {
  ImageLocation loc;
  if (text.rfind("oci:", 0) == 0) {
    loc.kind = ImageLocation::Kind::kLayout;
    std::string_view rest = text.substr(4);
    auto slash = rest.rfind('/');
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
      loc.tag = std::string(rest.substr(colon + 1));
      rest = rest.substr(0, colon);
      if (loc.tag.empty())
        throw Error("\"" + std::string(text) + "\": the tag after ':' is empty", ExitCode::kUsage);
    }
    if (rest.empty())
      throw Error("\"" + std::string(text) + "\": the layout directory is empty", ExitCode::kUsage);
    loc.dir = std::string(rest);
    return loc;
  }
  if (text.rfind("docker://", 0) == 0) text.remove_prefix(9);
  loc.ref = parse_reference(text);
  return loc;
}

namespace {

// A bounded byte pipe from a download thread to an upload. The reader never
// receives the last byte before the writer has closed successfully (after
// verifying the digest), so a corrupt blob never completes an upload.
class Pipe {
 public:
  // A ring buffer of `capacity` bytes: every byte is copied in once and out
  // once (the earlier string buffer also moved its unread half down every
  // time half of it had been read).
  Pipe(uint64_t total, size_t capacity) : total_(total), ring_(capacity ? capacity : 1) {}

  void write(std::string_view chunk) {
    std::unique_lock<std::mutex> g(mu_);
    while (!chunk.empty()) {
      cv_.wait(g, [&] { return size_ < ring_.size() || reader_gone_; });
      if (reader_gone_) throw Error("the upload stopped", ExitCode::kExternal);
      size_t tail = (head_ + size_) % ring_.size();
      size_t n = std::min({chunk.size(), ring_.size() - size_, ring_.size() - tail});
      std::memcpy(ring_.data() + tail, chunk.data(), n);
      size_ += n;
      chunk.remove_prefix(n);
      cv_.notify_all();
    }
  }
  void close(std::exception_ptr err) {
    std::lock_guard<std::mutex> g(mu_);
    closed_ = true;
    err_ = err;
    cv_.notify_all();
  }
  void reader_gone() {
    std::lock_guard<std::mutex> g(mu_);
    reader_gone_ = true;
    cv_.notify_all();
  }
  size_t read(char* out, size_t n) {
    std::unique_lock<std::mutex> g(mu_);
    while (true) {
      if (err_) std::rethrow_exception(err_);
      uint64_t allowed = size_;
      if (!closed_ && delivered_ + size_ >= total_)
        allowed = size_ ? size_ - 1 : 0;  // hold back the last byte
      if (allowed > 0) {
        size_t k = static_cast<size_t>(
            std::min<uint64_t>({allowed, n, static_cast<uint64_t>(ring_.size() - head_)}));
        std::memcpy(out, ring_.data() + head_, k);
        head_ = (head_ + k) % ring_.size();
        size_ -= k;
        delivered_ += k;
        cv_.notify_all();
        return k;
      }
      if (closed_) return 0;
      cv_.wait(g);
    }
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t delivered_ = 0;
  uint64_t total_;
  std::vector<char> ring_;
  size_t head_ = 0;  // first unread byte
  size_t size_ = 0;  // unread bytes
  bool closed_ = false;
  bool reader_gone_ = false;
  std::exception_ptr err_;
};

struct Copier {
  Session& session;
  const ImageLocation& src;
  const ImageLocation& dst;
  const CopyOptions& opts;
  std::optional<Layout> src_layout, dst_layout;
  Registry* src_reg = nullptr;
  Registry* dst_reg = nullptr;
  std::mutex event_mu;
  std::mutex result_mu;
  CopyResult result;

  Copier(Session& s, const ImageLocation& a, const ImageLocation& b, const CopyOptions& o)
      : session(s), src(a), dst(b), opts(o) {
    if (src.is_layout()) {
      src_layout = Layout::open(src.dir);
    } else {
      src_reg = &session.registry(src.ref.api_host(), src.cred);
    }
    if (dst.is_layout()) {
      dst_layout = Layout::open_or_create(dst.dir);
    } else {
      dst_reg = &session.registry(dst.ref.api_host(), dst.cred);
    }
  }

  void emit(TransferEvent::Type t, const Descriptor& d, uint64_t bytes = 0) {
    if (!opts.on_event) return;
    TransferEvent e;
    e.type = t;
    e.digest = d.digest.str();
    e.media_type = d.media_type;
    e.size = d.size;
    e.bytes = bytes;
    std::lock_guard<std::mutex> g(event_mu);
    opts.on_event(e);
  }

  bool same_registry() const {
    return src_reg && dst_reg && src.ref.api_host() == dst.ref.api_host();
  }

  bool dst_has(const Descriptor& d) {
    if (dst_layout) return dst_layout->has_blob(d.digest, d.size);
    auto sz = dst_reg->blob_size(dst.ref.repository, d.digest);
    return sz && (*sz == d.size || *sz < 0);
  }

  void transfer(const Descriptor& d) {
    if (dst_has(d)) {
      emit(TransferEvent::Type::kExists, d);
      std::lock_guard<std::mutex> g(result_mu);
      ++result.blobs_existing;
      return;
    }
    std::string location;
    if (same_registry() && src.ref.repository != dst.ref.repository) {
      if (dst_reg->mount_blob(dst.ref.repository, d.digest, src.ref.repository, &location)) {
        emit(TransferEvent::Type::kMounted, d);
        std::lock_guard<std::mutex> g(result_mu);
        ++result.blobs_mounted;
        return;
      }
    }
    emit(TransferEvent::Type::kStart, d);
    auto progress = [&](uint64_t b) { emit(TransferEvent::Type::kProgress, d, b); };
    for (int attempt = 0;; ++attempt) {
      try {
        move_blob(d, location, progress);
        break;
      } catch (const IntegrityError&) {
        throw;
      } catch (const Error& e) {
        // A registry-to-registry stream cannot be retried inside the HTTP
        // client (the upload already consumed the data): start the blob over.
        bool streamed = src_reg && dst_reg;
        if (!streamed || attempt >= 2 || e.code() != ExitCode::kExternal) throw;
        location.clear();
      }
    }
    emit(TransferEvent::Type::kDone, d, static_cast<uint64_t>(d.size));
    std::lock_guard<std::mutex> g(result_mu);
    ++result.blobs_copied;
    result.bytes_copied += static_cast<uint64_t>(d.size);
  }

  void move_blob(const Descriptor& d, const std::string& location,
                 const std::function<void(uint64_t)>& progress) {
    if (src_layout && dst_reg) {
      fs::path p = src_layout->blob_path(d.digest);
      std::error_code ec;
      auto sz = fs::file_size(p, ec);
      if (ec)
        throw Error("OCI layout " + src.dir.string() + " lacks blob " + d.digest.str(),
                    ExitCode::kNotFound);
      if (static_cast<int64_t>(sz) != d.size)
        throw IntegrityError("blob " + p.string() + " has " + std::to_string(sz) +
                             " bytes, its descriptor says " + std::to_string(d.size));
      dst_reg->upload_blob(dst.ref.repository, d, http::Body::file_range(p, 0, sz), progress,
                           location);
    } else if (src_layout && dst_layout) {
      auto w = dst_layout->write_blob(d);
      std::ifstream in(src_layout->blob_path(d.digest), std::ios::binary);
      if (!in)
        throw Error("OCI layout " + src.dir.string() + " lacks blob " + d.digest.str(),
                    ExitCode::kNotFound);
      std::string buf(1 << 20, '\0');
      uint64_t done = 0;
      while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        auto n = static_cast<size_t>(in.gcount());
        if (n == 0) break;
        w->write(std::string_view(buf.data(), n));
        done += n;
        progress(done);
      }
      w->commit();
    } else if (src_reg && dst_layout) {
      auto w = dst_layout->write_blob(d, /*hash=*/false);  // fetch_blob verifies size and digest
      src_reg->fetch_blob(
          src.ref.repository, d, [&](std::string_view c) { w->write(c); }, [&] { w->restart(); },
          progress);
      w->commit();
    } else {
      // registry -> registry: stream the download into the upload.
      Pipe pipe(static_cast<uint64_t>(d.size), 8u << 20);
      std::thread downloader([&] {
        try {
          src_reg->fetch_blob(src.ref.repository, d, [&](std::string_view c) { pipe.write(c); });
          pipe.close(nullptr);
        } catch (...) {
          pipe.close(std::current_exception());
        }
      });
      std::exception_ptr up_err;
      try {
        dst_reg->upload_blob(dst.ref.repository, d,
                             http::Body::stream([&](char* b, size_t n) { return pipe.read(b, n); },
                                                static_cast<uint64_t>(d.size)),
                             progress, location);
      } catch (...) {
        up_err = std::current_exception();
      }
      pipe.reader_gone();
      downloader.join();
      if (up_err) std::rethrow_exception(up_err);
    }
  }

  // Transfers the blobs on up to opts.jobs threads; after the first failure
  // no new blob is started, and an error of the failed blobs is rethrown.
  void transfer_all(const std::vector<Descriptor>& blobs) {
    std::atomic<bool> failed{false};
    parallel_for(blobs.size(), static_cast<size_t>(std::max(1, opts.jobs)), [&](size_t i) {
      if (failed) return;
      try {
        transfer(blobs[i]);
      } catch (...) {
        failed = true;
        throw;
      }
    });
  }

  void put_manifest(const Manifest& m, const std::string& ref, bool top) {
    Descriptor d = m.descriptor();
    if (dst_layout) {
      if (!dst_layout->has_blob(m.digest, d.size)) dst_layout->put_blob(d, m.bytes);
      if (top) dst_layout->set_tag(dst.tag, d);
    } else {
      dst_reg->put_manifest(dst.ref.repository, ref, m);
    }
    emit(TransferEvent::Type::kManifest, d);
    ++result.manifests;
  }

  CopyResult run() {
    Manifest top = read_manifest(session, src);
    if (!opts.platform.empty() && top.is_index()) {
      std::string available;
      const Descriptor* pick = nullptr;
      for (const auto& d : top.manifests) {
        if (!d.platform) continue;
        std::string p = d.platform->str();
        available += (available.empty() ? "" : ", ") + p;
        bool match = p == opts.platform ||
                     (d.platform->variant.empty()
                          ? false
                          : d.platform->os + "/" + d.platform->architecture == opts.platform);
        if (match && !pick) pick = &d;
      }
      if (!pick)
        throw Error(src.str() + " has no image for platform " + opts.platform +
                        " (it has: " + (available.empty() ? "none" : available) + ")",
                    ExitCode::kNotFound);
      Descriptor chosen = *pick;
      top = read_manifest(session, src, chosen);
      if (top.is_index())
        throw Error(src.str() + ": nested image indexes are not supported", ExitCode::kExternal);
      result.platforms.push_back(chosen.platform->str());
    }
    std::vector<Manifest> children;
    std::vector<Descriptor> blobs;
    std::set<std::string> seen;
    auto add_image = [&](const Manifest& m) {
      auto add = [&](const Descriptor& d) {
        if (!d.urls.empty()) return;  // foreign layers stay where they are
        if (seen.insert(d.digest.str()).second) blobs.push_back(d);
      };
      add(m.config);
      for (const auto& l : m.layers)
        add(l);
    };
    if (top.is_index()) {
      for (const auto& d : top.manifests) {
        if (!media::is_manifest(d.media_type))
          throw Error(src.str() + ": the index lists an unknown media type \"" +
                          d.media_type.substr(0, 200) + "\" for " + d.digest.str(),
                      ExitCode::kExternal);
        Manifest child = read_manifest(session, src, d);
        if (child.is_index())
          throw Error(
              src.str() + ": nested image indexes are not supported (" + d.digest.str() + ")",
              ExitCode::kExternal);
        add_image(child);
        result.platforms.push_back(d.platform ? d.platform->str() : "unknown");
        children.push_back(std::move(child));
      }
    } else {
      add_image(top);
    }
    transfer_all(blobs);
    for (const auto& c : children)
      put_manifest(c, c.digest.str(), false);
    std::string ref;
    if (dst_reg) {
      if (!dst.ref.digest.empty() && dst.ref.digest != top.digest.str())
        throw Error("the destination names digest " + dst.ref.digest +
                        " but the image's digest is " + top.digest.str(),
                    ExitCode::kInvalidInput);
      ref = dst.ref.tag.empty() ? top.digest.str() : dst.ref.tag;
    }
    put_manifest(top, ref, true);
    result.top = top.descriptor();
    return result;
  }
};

// Where to read a location from: a registry image through the session's
// mirror of its registry, if any (the name users see stays `loc`'s).
ImageLocation pull_from(const Session& session, const ImageLocation& loc) {
  if (loc.is_layout() || session.options().mirrors.empty()) return loc;
  ImageLocation out = loc;
  out.ref = mirrored(loc.ref, session.options().mirrors);
  return out;
}

}  // namespace

Manifest read_manifest(Session& session, const ImageLocation& location) {
  ImageLocation loc = pull_from(session, location);
  if (loc.is_layout()) {
    Layout l = Layout::open(loc.dir);
    Descriptor d = l.resolve(loc.tag);
    return read_manifest(session, loc, d);
  }
  Registry& r = session.registry(loc.ref.api_host(), loc.cred);
  return r.get_manifest(loc.ref.repository, loc.ref.identifier());
}

Manifest read_manifest(Session& session, const ImageLocation& location, const Descriptor& d) {
  ImageLocation loc = pull_from(session, location);
  size_t limit = session.options().manifest_limit;
  if (d.size > static_cast<int64_t>(limit))
    throw Error(loc.str() + ": manifest " + d.digest.str() + " is " + std::to_string(d.size) +
                    " bytes, over the limit of " + std::to_string(limit),
                ExitCode::kExternal);
  if (loc.is_layout()) {
    Layout l = Layout::open(loc.dir);
    std::string bytes = l.read_blob(d.digest, limit);
    if (static_cast<int64_t>(bytes.size()) != d.size)
      throw IntegrityError(loc.str() + ": manifest " + d.digest.str() + " has the wrong size");
    return parse_manifest(std::move(bytes), d.media_type, loc.str() + "@" + d.digest.str());
  }
  Registry& r = session.registry(loc.ref.api_host(), loc.cred);
  Manifest m = r.get_manifest(loc.ref.repository, d.digest.str());
  if (static_cast<int64_t>(m.bytes.size()) != d.size)
    throw IntegrityError(loc.str() + ": manifest " + d.digest.str() + " has the wrong size");
  return m;
}

std::string read_small_blob(Session& session, const ImageLocation& location, const Descriptor& d,
                            size_t limit) {
  ImageLocation loc = pull_from(session, location);
  if (d.size > static_cast<int64_t>(limit))
    throw Error(loc.str() + ": blob " + d.digest.str() + " is larger than " +
                    std::to_string(limit) + " bytes",
                ExitCode::kExternal);
  if (loc.is_layout()) return Layout::open(loc.dir).read_blob(d.digest, limit);
  std::string out;
  Registry& r = session.registry(loc.ref.api_host(), loc.cred);
  r.fetch_blob(
      loc.ref.repository, d, [&](std::string_view c) { out.append(c); }, [&] { out.clear(); });
  return out;
}

CopyResult copy_image(Session& session, const ImageLocation& src, const ImageLocation& dst,
                      const CopyOptions& opts) {
  ImageLocation from = pull_from(session, src);
  Copier c(session, from, dst, opts);
  try {
    return c.run();
  } catch (Error& e) {
    std::string through =
        from.str() == src.str() ? "" : " (pulled from the mirror " + from.str() + ")";
    e.add_context("copying " + src.str() + through + " to " + dst.str());
    throw;
  }
}

}  // namespace gantry::oci
