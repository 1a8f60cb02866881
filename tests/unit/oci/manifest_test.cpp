#include <gtest/gtest.h>

#include "core/error.h"
#include "oci/manifest.h"

using namespace gantry::oci;

namespace {
const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');

std::string image(std::string_view media_type_field) {
  return std::string("{\"schemaVersion\":2") + std::string(media_type_field) +
         ",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" +
         kD1 +
         "\",\"size\":7},\"layers\":[{\"mediaType\":\"application/"
         "vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" +
         kD2 + "\",\"size\":100}]}";
}
}  // namespace

TEST(Manifest, OciImage) {
  std::string bytes = image(",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"");
  Manifest m = parse_manifest(bytes, "", "test");
  EXPECT_EQ(m.media_type, media::kOciManifest);
  EXPECT_FALSE(m.is_index());
  EXPECT_EQ(m.config.digest.str(), kD1);
  EXPECT_EQ(m.config.size, 7);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].size, 100);
  EXPECT_EQ(m.bytes, bytes);
  EXPECT_EQ(m.digest, Digest::sha256_of(bytes));
  EXPECT_EQ(m.descriptor().size, static_cast<int64_t>(bytes.size()));
}

TEST(Manifest, MediaTypeFromHeaderOrStructure) {
  EXPECT_EQ(parse_manifest(image(""), std::string(media::kDockerManifest) + "; charset=utf-8", "t")
                .media_type,
            media::kDockerManifest);
  EXPECT_EQ(parse_manifest(image(""), "application/json", "t").media_type, media::kOciManifest);
  std::string idx = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" +
                    std::string(media::kDockerManifest) + "\",\"digest\":\"" + kD1 +
                    "\",\"size\":5,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
                    "\"variant\":\"v7\"}}]}";
  Manifest m = parse_manifest(idx, std::string(media::kDockerManifestList), "t");
  EXPECT_TRUE(m.is_index());
  ASSERT_EQ(m.manifests.size(), 1u);
  ASSERT_TRUE(m.manifests[0].platform);
  EXPECT_EQ(m.manifests[0].platform->str(), "linux/arm/v7");
  EXPECT_EQ(parse_manifest(idx, "", "t").media_type, media::kOciIndex);
}

TEST(Manifest, Rejects) {
  auto expect_error = [](const std::string& bytes, const std::string& ct,
                         const std::string& needle) {
    try {
      parse_manifest(bytes, ct, "reg/x:1");
      ADD_FAILURE() << "accepted " << bytes;
    } catch (const gantry::Error& e) {
      EXPECT_NE(e.why().find(needle), std::string::npos) << e.why();
      EXPECT_NE(e.why().find("reg/x:1"), std::string::npos) << e.why();
    }
  };
  expect_error("{not json", "", "not valid JSON");
  expect_error("[]", "", "not a JSON object");
  expect_error("{\"schemaVersion\":1,\"fsLayers\":[]}", "", "schema 1");
  expect_error("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example+json\"}", "",
               "unknown manifest media type");
  expect_error("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}",
               "", "config");
  std::string neg = image("");
  neg.replace(neg.find("\"size\":7"), 8, "\"size\":-7");
  expect_error(neg, "", "size");
  std::string bad_digest = image("");
  bad_digest.replace(bad_digest.find(kD1), kD1.size(), "sha256:xyz");
  expect_error(bad_digest, "", "invalid digest");
  expect_error(
      "{\"schemaVersion\":2,\"mediaType\":\"application/"
      "vnd.oci.image.index.v1+json\",\"manifests\":{}}",
      "", "manifests");
}

TEST(Manifest, DescriptorRoundTrip) {
  Descriptor d;
  d.media_type = std::string(media::kOciManifest);
  d.digest = Digest::parse(kD1);
  d.size = 42;
  d.platform = Platform{"linux", "amd64", "", ""};
  d.annotations.emplace_back("a", "b");
  Descriptor back = parse_descriptor(descriptor_value(d), "t", "d");
  EXPECT_EQ(back.digest, d.digest);
  EXPECT_EQ(back.size, 42);
  EXPECT_EQ(back.platform->str(), "linux/amd64");
  EXPECT_EQ(back.annotations, d.annotations);
}

TEST(Manifest, AcceptHeaderNamesAllTypes) {
  std::string a = media::accept_header();
  for (auto t :
       {media::kOciIndex, media::kOciManifest, media::kDockerManifestList, media::kDockerManifest})
    EXPECT_NE(a.find(t), std::string::npos);
}
