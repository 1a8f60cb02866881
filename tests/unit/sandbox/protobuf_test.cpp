#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "core/file.h"
#include "doc/json.h"
#include "sandbox/protobuf.h"
#include "support/fixtures.h"

namespace gantry::sandbox {
namespace {

// A minimal protobuf writer for building bodies by hand.
std::string varint(uint64_t n) {
  std::string out;
  do {
    uint8_t b = n & 0x7f;
    n >>= 7;
    out += static_cast<char>(n ? (b | 0x80) : b);
  } while (n);
  return out;
}
std::string field(int num, int wire, const std::string& payload) {
  std::string key = varint(static_cast<uint64_t>(num) << 3 | static_cast<uint64_t>(wire));
  return wire == 2 ? key + varint(payload.size()) + payload : key + payload;
}
std::string str(int num, const std::string& s) {
  return field(num, 2, s);
}
std::string envelope(const std::string& api, const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + field(1, 2, str(1, api) + str(2, kind)) + field(2, 2, raw);
}

TEST(Protobuf, ConfigMapAsKubectlSendsIt) {
  // The seed of the fuzz corpus: built like kubectl's create configmap body.
  std::string body = read_file(testing::source_dir() / "fuzz/corpus/protobuf/configmap");
  ProtobufObject o = decode_protobuf(body);
  ASSERT_TRUE(o.supported);
  EXPECT_EQ(o.type, "v1 ConfigMap");
  EXPECT_EQ(doc::to_json(o.object),
            R"({"metadata":{"name":"settings","namespace":"default","labels":{"app":"web"}},)"
            R"("data":{"a":"1","b":"two"},"apiVersion":"v1","kind":"ConfigMap"})");
}

TEST(Protobuf, HorizontalPodAutoscalerAsKubectlAutoscaleSendsIt) {
  // The body kubectl 1.32 sent for `kubectl autoscale deployment web --min=2
  // --max=5 --cpu-percent=80` (captured with -v=8), a fuzz seed too.
  std::string body = read_file(testing::source_dir() / "fuzz/corpus/protobuf/hpa-autoscale");
  ProtobufObject o = decode_protobuf(body);
  ASSERT_TRUE(o.supported);
  EXPECT_EQ(o.type, "autoscaling/v1 HorizontalPodAutoscaler");
  const doc::Value& spec = *o.object.find("spec");
  EXPECT_EQ(doc::to_json(spec),
            R"({"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},)"
            R"("minReplicas":2,"maxReplicas":5,"targetCPUUtilizationPercentage":80})");
  EXPECT_EQ(o.object.get_string("apiVersion"), "autoscaling/v1");
}

TEST(Protobuf, PointersKeepZeroValuesOthersDropThem) {
  // Deployment spec.replicas is a *int32: 0 sent means 0. ContainerPort.hostPort
  // is a plain int32: 0 is what every writer sends, JSON leaves it out.
  std::string port = field(2, 0, varint(0)) + field(3, 0, varint(8080));
  std::string container = str(1, "web") + str(2, "nginx") + field(6, 2, port);
  std::string tmpl = field(2, 2, field(2, 2, container));
  std::string spec = field(1, 0, varint(0)) + field(3, 2, tmpl);
  ProtobufObject o = decode_protobuf(
      envelope("apps/v1", "Deployment", field(1, 2, str(1, "w")) + field(2, 2, spec)));
  ASSERT_TRUE(o.supported);
  const doc::Value* replicas = o.object.find_path({"spec", "replicas"});
  ASSERT_TRUE(replicas);
  EXPECT_EQ(replicas->as_int(), 0);
  std::string json = doc::to_json(o.object);
  EXPECT_NE(json.find(R"("ports":[{"containerPort":8080}])"), std::string::npos) << json;
}

TEST(Protobuf, TimesIntOrStringQuantitiesBytesAndMaps) {
  // A Secret's data is map<string, bytes>: base64 in JSON.
  ProtobufObject s = decode_protobuf(
      envelope("v1", "Secret",
               field(1, 2, str(1, "s") + field(8, 2, field(1, 0, varint(1700000000)))) +
                   field(2, 2, str(1, "pw") + str(2, std::string("\x00\xff", 2)))));
  ASSERT_TRUE(s.supported);
  EXPECT_EQ(s.object.find_path({"data", "pw"})->as_string(), "AP8=");
  EXPECT_EQ(s.object.find_path({"metadata", "creationTimestamp"})->as_string(),
            "2023-11-14T22:13:20Z");
  // PodDisruptionBudget minAvailable is an IntOrString; ResourceQuota hard is map<string,
  // Quantity>.
  ProtobufObject pdb =
      decode_protobuf(envelope("policy/v1", "PodDisruptionBudget",
                               field(2, 2, field(1, 2, field(1, 0, varint(1)) + str(3, "50%")))));
  EXPECT_EQ(pdb.object.find_path({"spec", "minAvailable"})->as_string(), "50%");
  ProtobufObject q = decode_protobuf(envelope(
      "v1", "ResourceQuota", field(2, 2, field(1, 2, str(1, "cpu") + field(2, 2, str(1, "2"))))));
  EXPECT_EQ(q.object.find_path({"spec", "hard", "cpu"})->as_string(), "2");
}

TEST(Protobuf, UnknownTypesAndMalformedBodies) {
  ProtobufObject o = decode_protobuf(envelope("example.com/v1", "Widget", ""));
  EXPECT_FALSE(o.supported);
  EXPECT_EQ(o.type, "example.com/v1 Widget");
  auto bad = [](const std::string& body) {
    try {
      decode_protobuf(body);
      return std::string("<accepted>");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::kInvalidInput);
      return e.why();
    }
  };
  EXPECT_NE(bad("{}").find("k8s"), std::string::npos);
  // Truncated: a length beyond the end.
  EXPECT_NE(bad(std::string("k8s\0", 4) + "\x12\x10\x0a").find("beyond the end"),
            std::string::npos);
  // A wire type that does not exist.
  std::string cm = envelope("v1", "ConfigMap", "\x0f");
  EXPECT_NE(bad(cm).find("wire type"), std::string::npos) << bad(cm);
  // Unknown field numbers are skipped whatever they hold (a newer client's fields).
  ProtobufObject skipped = decode_protobuf(envelope(
      "v1", "ConfigMap", field(99, 2, std::string(1000, '\xff')) + field(1, 2, str(1, "cm"))));
  ASSERT_TRUE(skipped.supported);
  EXPECT_EQ(skipped.object.find_path({"metadata", "name"})->as_string(), "cm");
}

}  // namespace
}  // namespace gantry::sandbox
