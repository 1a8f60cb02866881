#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "doc/json.h"
#include "oci/layout.h"
#include "support/fixtures.h"

using namespace gantry::oci;
namespace fs = std::filesystem;

namespace {
Descriptor desc_of(const std::string& data, std::string media_type = "application/octet-stream") {
  Descriptor d;
  d.media_type = std::move(media_type);
  d.digest = Digest::sha256_of(data);
  d.size = static_cast<int64_t>(data.size());
  return d;
}
}  // namespace

TEST(Layout, CreateWriteResolve) {
  gantry::testing::TempDir tmp;
  fs::path dir = tmp.path() / "img";
  Layout l = Layout::open_or_create(dir);
  EXPECT_TRUE(fs::exists(dir / "oci-layout"));
  EXPECT_TRUE(fs::exists(dir / "index.json"));
  Descriptor d = desc_of("hello world");
  EXPECT_FALSE(l.has_blob(d.digest));
  l.put_blob(d, "hello world");
  EXPECT_TRUE(l.has_blob(d.digest, 11));
  EXPECT_FALSE(l.has_blob(d.digest, 12));
  EXPECT_EQ(l.read_blob(d.digest, 100), "hello world");

  Descriptor m = desc_of("{}", std::string(media::kOciManifest));
  l.set_tag("v1", m);
  l.set_tag("v2", m);
  EXPECT_EQ(l.resolve("v1").digest, m.digest);
  EXPECT_EQ(l.resolve(m.digest.str()).digest, m.digest);
  EXPECT_THROW(l.resolve(""), gantry::Error);  // two entries
  EXPECT_THROW(l.resolve("nope"), gantry::Error);
  // Re-tagging replaces the entry.
  Descriptor m2 = desc_of("{\"a\":1}", std::string(media::kOciManifest));
  l.set_tag("v1", m2);
  EXPECT_EQ(l.resolve("v1").digest, m2.digest);
  EXPECT_EQ(l.read_index().find("manifests")->size(), 2u);
}

TEST(Layout, BlobWriterVerifies) {
  gantry::testing::TempDir tmp;
  Layout l = Layout::open_or_create(tmp.path());
  Descriptor d = desc_of("abcdef");
  {
    auto w = l.write_blob(d);
    w->write("abcxef");
    EXPECT_THROW(w->commit(), gantry::Error);
  }
  EXPECT_FALSE(l.has_blob(d.digest));
  {
    auto w = l.write_blob(d);
    w->write("abc");
    EXPECT_THROW(w->commit(), gantry::Error);  // truncated
  }
  {
    auto w = l.write_blob(d);
    EXPECT_THROW(w->write("abcdefg"), gantry::Error);  // larger than the descriptor
  }
  {
    auto w = l.write_blob(d);
    w->write("zzz");
    w->restart();
    w->write("abc");
    w->write("def");
    w->commit();
  }
  EXPECT_TRUE(l.has_blob(d.digest, 6));
  // No temporary files are left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path() / "blobs" / "sha256")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(Layout, OpenRejectsNonLayouts) {
  gantry::testing::TempDir tmp;
  EXPECT_THROW(Layout::open(tmp.path() / "missing"), gantry::Error);
  EXPECT_THROW(Layout::open(tmp.path()), gantry::Error);
  tmp.write("oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
  EXPECT_THROW(Layout::open(tmp.path()), gantry::Error);
}

TEST(Layout, CorruptBlobIsDetected) {
  gantry::testing::TempDir tmp;
  Layout l = Layout::open_or_create(tmp.path());
  Descriptor d = desc_of("content");
  l.put_blob(d, "content");
  std::ofstream(l.blob_path(d.digest)) << "tampered";
  EXPECT_THROW(l.read_blob(d.digest, 100), gantry::Error);
}
