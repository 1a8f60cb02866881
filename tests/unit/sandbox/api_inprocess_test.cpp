// The sandbox Api in-process (no server, no TLS): server-side apply
// ownership rules, managedFields rewrites, watch-free semantics.
#include <gtest/gtest.h>

#include "doc/json.h"
#include "sandbox/api.h"

namespace gantry::sandbox {
namespace {

using doc::Value;

struct Reply {
  int status;
  Value body;
};

class ApiTest : public ::testing::Test {
 protected:
  Api api{ApiOptions{"", std::chrono::milliseconds(0), "127.0.0.1:1", 20000}};

  Reply call(const std::string& method, const std::string& path, const std::string& body = "",
             const std::string& content_type = "application/json") {
    http::ServerRequest req;
    req.method = method;
    size_t q = path.find('?');
    req.path = path.substr(0, q);
    if (q != std::string::npos) {
      std::string query = path.substr(q + 1);
      size_t i = 0;
      while (i <= query.size()) {
        size_t amp = query.find('&', i);
        std::string kv = query.substr(i, amp == std::string::npos ? std::string::npos : amp - i);
        size_t eq = kv.find('=');
        req.params.emplace(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
        if (amp == std::string::npos) break;
        i = amp + 1;
      }
    }
    req.headers.emplace("Content-Type", content_type);
    req.body = body;
    http::ServerResponse res;
    api.handle(req, res);
    return {res.status, res.body.empty() ? Value() : doc::parse_json(res.body)};
  }
  Reply apply(const std::string& manager, const std::string& body, bool force = false) {
    return call("PATCH",
                "/api/v1/namespaces/default/configmaps/c?fieldManager=" + manager +
                    (force ? "&force=true" : ""),
                body, "application/apply-patch+yaml");
  }
};

std::string managers(const Value& obj) {
  std::string out;
  if (const Value* mf = obj.find_path({"metadata", "managedFields"}))
    for (const auto& e : mf->as_list())
      out += e.get_string("manager") + "/" + e.get_string("operation") + "=" +
             doc::to_json(*e.find("fieldsV1")) + " ";
  return out;
}

TEST_F(ApiTest, ApplyOwnsLeavesAndRemovesWhatItStopsApplying) {
  auto r = apply("a",
                 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {x: '1'}\ndata: "
                 "{p: '1', q: '2'}\n");
  ASSERT_EQ(r.status, 201) << doc::to_json(r.body);
  EXPECT_EQ(managers(r.body),
            R"(a/Apply={"f:data":{"f:p":{},"f:q":{}},"f:metadata":{"f:labels":{"f:x":{}}}} )");
  r = apply("a", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {p: '1'}\n");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(doc::to_json(*r.body.find("data")), R"({"p":"1"})");
  EXPECT_EQ(r.body.find_path({"metadata", "labels", "x"}), nullptr);
  EXPECT_EQ(managers(r.body), R"(a/Apply={"f:data":{"f:p":{}}} )");
}

TEST_F(ApiTest, SharedFieldsStayUntilTheLastOwnerLetsGo) {
  ASSERT_EQ(
      apply("a",
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"p":"1"}})")
          .status,
      201);
  ASSERT_EQ(
      apply("b",
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"p":"1"}})")
          .status,
      200);
  auto r = apply("a", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  EXPECT_EQ(doc::to_json(*r.body.find("data")), R"({"p":"1"})");
  r = apply("b", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}})");
  EXPECT_EQ(r.body.find_path({"data", "p"}), nullptr);
}

TEST_F(ApiTest, UpdatesTakeOwnershipFromAppliers) {
  ASSERT_EQ(
      apply("a",
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"p":"1"}})")
          .status,
      201);
  auto p = call("PATCH", "/api/v1/namespaces/default/configmaps/c?fieldManager=ed",
                R"({"data":{"p":"2"}})", "application/merge-patch+json");
  ASSERT_EQ(p.status, 200);
  EXPECT_EQ(managers(p.body), R"(ed/Update={"f:data":{"f:p":{}}} )");
  auto c = apply(
      "a", R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"p":"3"}})");
  EXPECT_EQ(c.status, 409);
  EXPECT_EQ(c.body.get_string("message"),
            "Apply failed with 1 conflict: conflict with \"ed\" using v1: .data.p");
}

TEST_F(ApiTest, RequestsMayRewriteManagedFields) {
  ASSERT_EQ(
      apply("a",
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"p":"1"}})")
          .status,
      201);
  auto p = call(
      "PATCH", "/api/v1/namespaces/default/configmaps/c",
      R"([{"op":"replace","path":"/metadata/managedFields","value":[{"manager":"z","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:p":{}}}}]}])",
      "application/json-patch+json");
  ASSERT_EQ(p.status, 200) << doc::to_json(p.body);
  EXPECT_EQ(managers(p.body), R"(z/Apply={"f:data":{"f:p":{}}} )");
}

class Capture : public http::StreamWriter {
 public:
  bool write(std::string_view d) override {
    out.append(d);
    return true;
  }
  std::string out;
};

TEST(ApiWatch, ReplaysFromAResourceVersionAndExpiresOldOnes) {
  ApiOptions o;
  o.max_events = 5;
  Api api(o);
  auto send = [&](const std::string& method, const std::string& path, const std::string& body,
                  const std::multimap<std::string, std::string>& params = {}) {
    http::ServerRequest req;
    req.method = method;
    req.path = path;
    req.params = params;
    req.headers.emplace("Content-Type", "application/json");
    req.body = body;
    http::ServerResponse res;
    api.handle(req, res);
    return res;
  };
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  auto first = send("POST", cms, R"({"metadata":{"name":"a"}})");
  ASSERT_EQ(first.status, 201);
  std::string rv =
      doc::parse_json(first.body).find_path({"metadata", "resourceVersion"})->as_string();
  ASSERT_EQ(send("POST", cms, R"({"metadata":{"name":"b"}})").status, 201);
  auto w =
      send("GET", cms, "", {{"watch", "true"}, {"resourceVersion", rv}, {"timeoutSeconds", "0"}});
  ASSERT_TRUE(w.stream);
  Capture c;
  w.stream(c);
  EXPECT_NE(
      c.out.find(
          R"({"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b",)"),
      std::string::npos)
      << c.out;
  EXPECT_EQ(c.out.find(R"("name":"a")"), std::string::npos);
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(send("POST", cms, "{\"metadata\":{\"name\":\"n" + std::to_string(i) + "\"}}").status,
              201);
  auto old =
      send("GET", cms, "", {{"watch", "true"}, {"resourceVersion", rv}, {"timeoutSeconds", "0"}});
  Capture c2;
  old.stream(c2);
  EXPECT_NE(c2.out.find(R"({"type":"ERROR","object":{"kind":"Status")"), std::string::npos)
      << c2.out;
  EXPECT_NE(c2.out.find(R"("reason":"Expired")"), std::string::npos);
  EXPECT_NE(c2.out.find(R"("code":410)"), std::string::npos);
}

TEST_F(ApiTest, SnapshotRestoresObjectsAndVersions) {
  ASSERT_EQ(
      apply("a",
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"p":"1"}})")
          .status,
      201);
  std::string snap = api.snapshot_json();
  Api other{ApiOptions{}};
  other.restore(doc::parse_json(snap));
  EXPECT_EQ(other.resource_version(), api.resource_version());
  EXPECT_NE(snap.find("\"name\":\"c\""), std::string::npos);
}

// A write through autoscaling/v1 replaces the spec (what v1 cannot express is
// lost unless the client sends the annotations back) but keeps the stored
// v2 status, conditions included, as kube-apiserver's update strategy does.
TEST_F(ApiTest, HpaWrittenThroughV1KeepsItsV2Status) {
  const std::string v2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";
  ASSERT_EQ(call("POST", v2,
                 R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",)"
                 R"("metadata":{"name":"h"},"spec":{"scaleTargetRef":{"kind":"Deployment",)"
                 R"("name":"web"},"maxReplicas":4,"metrics":[{"type":"Resource","resource":)"
                 R"({"name":"memory","target":{"type":"Utilization","averageUtilization":70}}}]}})")
                .status,
            201);
  ASSERT_EQ(call("PATCH", v2 + "/h/status",
                 R"({"status":{"desiredReplicas":3,"conditions":[{"type":"AbleToScale",)"
                 R"("status":"True","reason":"ReadyForNewScale"}]}})",
                 "application/merge-patch+json")
                .status,
            200);
  auto put = call("PUT", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/h",
                  R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",)"
                  R"("metadata":{"name":"h","namespace":"default"},"spec":{"scaleTargetRef":)"
                  R"({"kind":"Deployment","name":"web"},"maxReplicas":6,)"
                  R"("targetCPUUtilizationPercentage":50}})");
  ASSERT_EQ(put.status, 200) << doc::to_json(put.body);
  EXPECT_EQ(put.body.get_string("apiVersion"), "autoscaling/v1");
  EXPECT_EQ(doc::to_json(*put.body.find("status")), R"({"currentReplicas":0,"desiredReplicas":3})");
  auto got = call("GET", v2 + "/h");
  EXPECT_EQ(doc::to_json(*got.body.find_path({"spec", "metrics"})),
            R"([{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization",)"
            R"("averageUtilization":50}}}])");
  EXPECT_EQ(got.body.find_path({"spec", "maxReplicas"})->as_int(), 6);
  EXPECT_EQ(doc::to_json(*got.body.find_path({"status", "conditions"})),
            R"([{"type":"AbleToScale","status":"True","reason":"ReadyForNewScale"}])");
}

}  // namespace
}  // namespace gantry::sandbox
