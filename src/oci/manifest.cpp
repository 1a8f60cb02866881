#include "oci/manifest.h"

#include "core/error.h"
#include "doc/json.h"

namespace gantry::oci {

namespace media {

bool is_image_manifest(std::string_view t) {
  return t == kOciManifest || t == kDockerManifest;
}
bool is_index(std::string_view t) {
  return t == kOciIndex || t == kDockerManifestList;
}

std::string accept_header() {
  return std::string(kOciIndex) + ", " + std::string(kOciManifest) + ", " +
         std::string(kDockerManifestList) + ", " + std::string(kDockerManifest);
}

}  // namespace media

std::string Platform::str() const {
  std::string s = os + "/" + architecture;
  if (!variant.empty()) s += "/" + variant;
  return s;
}

Descriptor Manifest::descriptor() const {
  Descriptor d;
  d.media_type = media_type;
  d.digest = digest;
  d.size = static_cast<int64_t>(bytes.size());
  return d;
}

namespace {

std::string strip_params(std::string_view ct) {
  auto semi = ct.find(';');
  std::string_view t = ct.substr(0, semi);
  while (!t.empty() && t.back() == ' ')
    t.remove_suffix(1);
  while (!t.empty() && t.front() == ' ')
    t.remove_prefix(1);
  return std::string(t);
}

}  // namespace

Descriptor parse_descriptor(const doc::Value& v, std::string_view where, const std::string& field) {
  auto fail = [&](const std::string& why) -> Error {
    return Error(std::string(where) + ": " + field + ": " + why, ExitCode::kExternal);
  };
  if (!v.is_map()) throw fail("a descriptor must be an object");
  Descriptor d;
  const doc::Value* mt = v.find("mediaType");
  if (!mt || !mt->is_string() || mt->as_string().empty()) throw fail("mediaType is missing");
  d.media_type = mt->as_string();
  const doc::Value* dg = v.find("digest");
  if (!dg || !dg->is_string()) throw fail("digest is missing");
  if (!Digest::valid(dg->as_string()))
    throw fail("invalid digest \"" + dg->as_string().substr(0, 80) + "\"");
  d.digest = Digest::parse(dg->as_string());
  const doc::Value* sz = v.find("size");
  if (!sz || !sz->is_int() || sz->as_int() < 0) throw fail("size must be a non-negative integer");
  d.size = sz->as_int();
  if (const doc::Value* p = v.find("platform"); p && p->is_map()) {
    Platform pl;
    pl.os = p->get_string("os");
    pl.architecture = p->get_string("architecture");
    pl.variant = p->get_string("variant");
    pl.os_version = p->get_string("os.version");
    d.platform = pl;
  }
  if (const doc::Value* a = v.find("annotations"); a && a->is_map())
    for (const auto& m : a->as_map())
      if (m.value.is_string()) d.annotations.emplace_back(m.key, m.value.as_string());
  d.artifact_type = v.get_string("artifactType");
  if (const doc::Value* u = v.find("urls"); u && u->is_list())
    for (const auto& x : u->as_list())
      if (x.is_string()) d.urls.push_back(x.as_string());
  return d;
}

doc::Value descriptor_value(const Descriptor& d) {
  doc::Value v = doc::Value::map();
  v.set("mediaType", d.media_type);
  v.set("digest", d.digest.str());
  v.set("size", static_cast<int64_t>(d.size));
  if (!d.urls.empty()) {
    doc::Value u = doc::Value::list();
    for (const auto& x : d.urls)
      u.push_back(x);
    v.set("urls", u);
  }
  if (!d.annotations.empty()) {
    doc::Value a = doc::Value::map();
    for (const auto& [k, x] : d.annotations)
      a.set(k, x);
    v.set("annotations", a);
  }
  if (d.platform) {
    doc::Value p = doc::Value::map();
    p.set("architecture", d.platform->architecture);
    p.set("os", d.platform->os);
    if (!d.platform->os_version.empty()) p.set("os.version", d.platform->os_version);
    if (!d.platform->variant.empty()) p.set("variant", d.platform->variant);
    v.set("platform", p);
  }
  if (!d.artifact_type.empty()) v.set("artifactType", d.artifact_type);
  return v;
}

Manifest parse_manifest(std::string bytes, std::string_view content_type, std::string_view where) {
  Manifest m;
  m.digest = Digest::sha256_of(bytes);
  doc::Value v;
  try {
    v = doc::parse_json(bytes, where, doc::JsonLimits{bytes.size() + 1, 64});
  } catch (Error& e) {
    throw Error(std::string(where) + ": the manifest is not valid JSON: " + e.why(),
                ExitCode::kExternal);
  }
  if (!v.is_map())
    throw Error(std::string(where) + ": the manifest is not a JSON object", ExitCode::kExternal);
  std::string ct = strip_params(content_type);
  std::string mt = v.get_string("mediaType");
  if (const doc::Value* sv = v.find("schemaVersion"); sv && sv->is_int() && sv->as_int() == 1)
    throw Error(std::string(where) + ": Docker schema 1 manifests are not supported",
                ExitCode::kExternal);
  if (mt.empty()) {
    if (media::is_manifest(ct)) {
      mt = ct;
    } else if (v.contains("manifests")) {
      mt = std::string(media::kOciIndex);
    } else if (v.contains("config") && v.contains("layers")) {
      mt = std::string(media::kOciManifest);
    } else {
      mt = ct;
    }
  }
  if (mt == media::kDockerSchema1 || mt == media::kDockerSchema1Signed)
    throw Error(std::string(where) + ": Docker schema 1 manifests are not supported",
                ExitCode::kExternal);
  if (!media::is_manifest(mt))
    throw Error(
        std::string(where) + ": unknown manifest media type \"" + mt.substr(0, 200) +
            "\" (supported: OCI image manifest and index, Docker v2 manifest and manifest list)",
        ExitCode::kExternal);
  m.media_type = mt;
  if (const doc::Value* sv = v.find("schemaVersion"); !sv || !sv->is_int() || sv->as_int() != 2)
    throw Error(std::string(where) + ": schemaVersion must be 2", ExitCode::kExternal);
  if (media::is_index(mt)) {
    const doc::Value* list = v.find("manifests");
    if (!list || !list->is_list())
      throw Error(std::string(where) + ": an image index needs a \"manifests\" list",
                  ExitCode::kExternal);
    size_t i = 0;
    for (const auto& d : list->as_list()) {
      m.manifests.push_back(parse_descriptor(d, where, "manifests[" + std::to_string(i++) + "]"));
    }
  } else {
    const doc::Value* cfg = v.find("config");
    if (!cfg)
      throw Error(std::string(where) + ": an image manifest needs a \"config\"",
                  ExitCode::kExternal);
    m.config = parse_descriptor(*cfg, where, "config");
    const doc::Value* layers = v.find("layers");
    if (!layers || !layers->is_list())
      throw Error(std::string(where) + ": an image manifest needs a \"layers\" list",
                  ExitCode::kExternal);
    size_t i = 0;
    for (const auto& d : layers->as_list())
      m.layers.push_back(parse_descriptor(d, where, "layers[" + std::to_string(i++) + "]"));
  }
  m.bytes = std::move(bytes);
  return m;
}

}  // namespace gantry::oci
