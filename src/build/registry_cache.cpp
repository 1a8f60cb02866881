#include "build/registry_cache.h"

#include "core/digest.h"
#include "core/error.h"
#include "doc/json.h"
#include "oci/copy.h"
#include "oci/layout.h"

namespace gantry::build {

namespace {

oci::Descriptor descriptor_of(std::string_view media_type, const std::string& bytes) {
  oci::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = oci::Digest::sha256_of(bytes);
  d.size = static_cast<int64_t>(bytes.size());
  return d;
}

oci::ImageLocation store_location(const Store& store, const std::string& tag) {
  oci::ImageLocation l;
  l.kind = oci::ImageLocation::Kind::kLayout;
  l.dir = store.blobs().dir();
  l.tag = tag;
  return l;
}

}  // namespace

std::string cache_ref(const std::string& flag, const std::string& name) {
  if (flag.find('=') == std::string::npos) return flag;
  std::string ref, type = "registry";
  size_t start = 0;
  for (;;) {
    size_t comma = flag.find(',', start);
    std::string part = flag.substr(start, comma == std::string::npos ? comma : comma - start);
    size_t eq = part.find('=');
    std::string k = part.substr(0, eq), v = eq == std::string::npos ? "" : part.substr(eq + 1);
    if (k == "ref")
      ref = v;
    else if (k == "type")
      type = v;
    else if (k != "mode" && k != "oci-mediatypes" && k != "compression" && k != "ignore-error")
      throw Error(name + ": option " + k + " is not supported (give REF or type=registry,ref=REF)",
                  ExitCode::kUsage);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (type != "registry")
    throw Error(
        name + ": only type=registry is supported (or oci:DIR[:TAG] as the ref), not " + type,
        ExitCode::kUsage);
  if (ref.empty()) throw Error(name + ": give ref=REF", ExitCode::kUsage);
  return ref;
}

void export_cache(oci::Session& session, Store& store,
                  const std::map<std::string, StepRecord>& steps, const std::string& ref,
                  int jobs) {
  doc::Value records = doc::Value::map();
  doc::Value layers = doc::Value::list();
  std::map<std::string, bool> listed;
  for (const auto& [key, r] : steps) {
    doc::Value rec = doc::Value::map();
    rec.set("digest", r.digest);
    rec.set("diffID", r.diff_id);
    rec.set("size", r.size);
    rec.set("mediaType", r.media_type);
    records.set(key, std::move(rec));
    if (r.digest.empty() || listed[r.digest]) continue;
    listed[r.digest] = true;
    oci::Descriptor d;
    d.media_type = r.media_type.empty() ? std::string(oci::media::kOciLayerGzip) : r.media_type;
    d.digest = oci::Digest::parse(r.digest);
    d.size = r.size;
    layers.push_back(oci::descriptor_value(d));
  }
  doc::Value config = doc::Value::map();
  config.set("steps", std::move(records));
  std::string config_bytes = doc::to_json(config);
  oci::Descriptor cd = descriptor_of(kCacheConfigType, config_bytes);
  store.blobs().put_blob(cd, config_bytes);
  doc::Value m = doc::Value::map();
  m.set("schemaVersion", 2);
  m.set("mediaType", std::string(oci::media::kOciManifest));
  m.set("artifactType", std::string(kCacheConfigType));
  m.set("config", oci::descriptor_value(cd));
  m.set("layers", std::move(layers));
  std::string bytes = doc::to_json(m);
  oci::Descriptor md = descriptor_of(oci::media::kOciManifest, bytes);
  store.blobs().put_blob(md, bytes);
  const std::string tag = "cache-export";  // replaced by the next export
  store.blobs().set_tag(tag, md);
  oci::CopyOptions co;
  co.jobs = jobs;
  try {
    oci::copy_image(session, store_location(store, tag), oci::parse_location(ref), co);
  } catch (Error& e) {
    e.add_context("exporting the build cache to " + ref);
    throw;
  }
}

size_t import_cache(oci::Session& session, Store& store, const std::string& ref, int jobs) {
  oci::ImageLocation src = oci::parse_location(ref);
  const std::string tag = "cache-import/" + sha256_hex(ref);
  oci::CopyOptions co;
  co.jobs = jobs;
  oci::CopyResult r;
  try {
    r = oci::copy_image(session, src, store_location(store, tag), co);
  } catch (Error& e) {
    e.add_context("importing the build cache from " + ref);
    throw;
  }
  oci::ImageLocation local = store_location(store, tag);
  oci::Manifest m = oci::read_manifest(session, local, r.top);
  if (m.is_index() || m.config.media_type != kCacheConfigType)
    throw Error(ref + " is not a gantry build cache (its config is " + m.config.media_type + ")",
                ExitCode::kInvalidInput);
  doc::Value config =
      doc::parse_json(oci::read_small_blob(session, local, m.config, 64u << 20), ref);
  const doc::Value* steps = config.find("steps");
  if (!steps || !steps->is_map())
    throw Error(ref + ": the build cache has no steps", ExitCode::kInvalidInput);
  size_t added = 0;
  for (const doc::Member& member : steps->as_map()) {
    const std::string& key = member.key;
    const doc::Value& v = member.value;
    if (!v.is_map() || store.find_step(key)) continue;
    StepRecord rec{v.get_string("digest"), v.get_string("diffID"), 0, v.get_string("mediaType")};
    if (const doc::Value* s = v.find("size"); s && s->is_int()) rec.size = s->as_int();
    // Only records whose layer came along (the copy verified its digest).
    if (!rec.digest.empty() && !store.blobs().has_blob(oci::Digest::parse(rec.digest), rec.size))
      continue;
    store.put_step(key, rec);
    ++added;
  }
  return added;
}

}  // namespace gantry::build
