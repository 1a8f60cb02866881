// The sandbox's API semantics at the HTTP level: status objects and codes,
// resourceVersion/generation, patches, selectors, dry-run, watch, finalizers,
// garbage collection, namespaces, CRDs, server-side apply, auth, bad input,
// persistence.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "doc/json.h"
#include "support/sandbox.h"

namespace gantry::testing {
namespace {

using doc::Value;

Value json(const Sandbox::Response& r) {
  try {
    return doc::parse_json(r.body);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON (" << r.status << "): " << r.body;
    return Value();
  }
}

std::string str(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* p = v.find_path(path);
  if (!p) return "";
  if (p->is_string()) return p->as_string();
  return doc::to_json(*p);
}

const std::string kCms = "/api/v1/namespaces/default/configmaps";
const std::string kDeploys = "/apis/apps/v1/namespaces/default/deployments";

std::string cm(const std::string& name, const std::string& extra_meta = "",
               const std::string& data = "{\"k\":\"v\"}") {
  return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\"" +
         (extra_meta.empty() ? "" : "," + extra_meta) + "},\"data\":" + data + "}";
}

std::string deployment(const std::string& name, const std::string& image = "nginx:1",
                       int replicas = 1, const std::string& annotations = "") {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name + "\"" +
         (annotations.empty() ? "" : ",\"annotations\":" + annotations) +
         R"(},"spec":{"replicas":)" + std::to_string(replicas) +
         R"(,"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"main","image":")" +
         image + R"("},{"name":"side","image":"busybox"}]}}}})";
}

// Polls until `pred` holds (or 10 s pass).
template <typename F>
bool eventually(F pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

TEST(SandboxApi, DiscoveryAndVersion) {
  Sandbox s;
  auto v = json(s.request("GET", "/version", "", "", "-"));
  EXPECT_EQ(str(v, {"major"}), "1");
  EXPECT_EQ(str(v, {"minor"}), "32");
  auto api = json(s.request("GET", "/api"));
  EXPECT_EQ(str(api, {"kind"}), "APIVersions");
  EXPECT_EQ(str(api, {"versions"}), "[\"v1\"]");
  auto apis = json(s.request("GET", "/apis"));
  EXPECT_EQ(str(apis, {"kind"}), "APIGroupList");
  EXPECT_NE(apis.find("groups")->size(), 0u);
  auto v1 = json(s.request("GET", "/api/v1"));
  EXPECT_EQ(str(v1, {"groupVersion"}), "v1");
  bool saw_cm = false, saw_status = false;
  for (const auto& r : v1.find("resources")->as_list()) {
    saw_cm =
        saw_cm || (r.get_string("name") == "configmaps" && r.get_string("kind") == "ConfigMap");
    saw_status = saw_status || r.get_string("name") == "pods/status";
  }
  EXPECT_TRUE(saw_cm);
  EXPECT_TRUE(saw_status);
  auto apps = json(s.request("GET", "/apis/apps/v1"));
  EXPECT_EQ(str(apps, {"groupVersion"}), "apps/v1");
  auto agg = json(s.request(
      "GET", "/apis", "", "", "",
      {"Accept: "
       "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"}));
  EXPECT_EQ(str(agg, {"kind"}), "APIGroupDiscoveryList");
  EXPECT_EQ(str(agg, {"apiVersion"}), "apidiscovery.k8s.io/v2");
  auto root = json(s.request("GET", "/openapi/v3"));
  EXPECT_TRUE(root.find_path({"paths", "apis/apps/v1"}));
  EXPECT_EQ(s.request("GET", "/apis/nope.example.com/v1").status, 404);
  EXPECT_EQ(s.request("GET", "/healthz", "", "", "-").body, "ok");
}

TEST(SandboxApi, ABusyPortIsAnError) {
  Sandbox s;
  std::string port = s.url().substr(s.url().rfind(':') + 1);
  ProcessOptions o;
  o.timeout = std::chrono::seconds(20);
  auto r = run_process({GANTRY_BINARY, "sandbox", "--listen", "127.0.0.1:" + port}, o);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + port), std::string::npos) << r.err;
}

TEST(SandboxApi, AuthenticationIsRequired) {
  Sandbox s;
  auto none = s.request("GET", kCms, "", "", "-");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(
      none.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})");
  EXPECT_EQ(s.request("GET", kCms, "", "", "wrong-token").status, 401);
  EXPECT_EQ(s.request("GET", kCms).status, 200);
  EXPECT_EQ(s.request("GET", "/readyz", "", "", "-").status, 200);
}

TEST(SandboxApi, CreateGetAndObjectMetadata) {
  Sandbox s;
  auto c = s.request("POST", kCms, cm("one"));
  ASSERT_EQ(c.status, 201) << c.body;
  auto o = json(c);
  EXPECT_EQ(str(o, {"metadata", "namespace"}), "default");
  EXPECT_EQ(str(o, {"metadata", "uid"}).size(), 36u);
  EXPECT_FALSE(str(o, {"metadata", "resourceVersion"}).empty());
  EXPECT_EQ(str(o, {"metadata", "creationTimestamp"}).size(), 20u);
  EXPECT_EQ(o.find_path({"metadata", "generation"}), nullptr);  // ConfigMaps have none
  auto g = json(s.request("GET", kCms + "/one"));
  EXPECT_EQ(str(g, {"metadata", "uid"}), str(o, {"metadata", "uid"}));
  EXPECT_EQ(str(g, {"data", "k"}), "v");
  auto d = json(s.request("POST", kDeploys, deployment("web")));
  EXPECT_EQ(str(d, {"metadata", "generation"}), "1");
  auto secret = json(s.request(
      "POST", "/api/v1/namespaces/default/secrets",
      R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"pw":"hunter2"}})"));
  EXPECT_EQ(str(secret, {"data", "pw"}), "aHVudGVyMg==");
  EXPECT_EQ(secret.find("stringData"), nullptr);
  EXPECT_EQ(str(secret, {"type"}), "Opaque");
  auto gen = json(s.request("POST", kCms, cm("", "\"generateName\":\"gen-\"")));
  EXPECT_EQ(str(gen, {"metadata", "name"}).rfind("gen-", 0), 0u);
  EXPECT_EQ(str(gen, {"metadata", "name"}).size(), 9u);
}

TEST(SandboxApi, ErrorStatusObjectsMatchKubeApiserver) {
  Sandbox s;
  auto nf = s.request("GET", kCms + "/missing");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(
      nf.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"missing\" not found","reason":"NotFound","details":{"name":"missing","kind":"configmaps"},"code":404})");
  auto nfd = json(s.request("GET", kDeploys + "/missing"));
  EXPECT_EQ(str(nfd, {"message"}), "deployments.apps \"missing\" not found");
  EXPECT_EQ(str(nfd, {"details", "group"}), "apps");
  ASSERT_EQ(s.request("POST", kCms, cm("dup")).status, 201);
  auto dup = s.request("POST", kCms, cm("dup"));
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(
      dup.body,
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"dup\" already exists","reason":"AlreadyExists","details":{"name":"dup","kind":"configmaps"},"code":409})");
  auto bad = s.request("POST", kCms, cm("Bad_Name"));
  EXPECT_EQ(bad.status, 422);
  auto b = json(bad);
  EXPECT_EQ(str(b, {"reason"}), "Invalid");
  EXPECT_EQ(str(b, {"message"}),
            "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a "
            "lowercase RFC 1123 "
            "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
            "start and end "
            "with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  ASSERT_TRUE(b.find_path({"details", "causes"}));
  const Value& cause = b.find_path({"details", "causes"})->as_list()[0];
  EXPECT_EQ(cause.get_string("reason"), "FieldValueInvalid");
  EXPECT_EQ(cause.get_string("field"), "metadata.name");
  auto ns =
      json(s.request("POST", "/api/v1/namespaces",
                     R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"has.dot"}})"));
  EXPECT_EQ(str(ns, {"code"}), "422");
  // A valid subdomain that is no label: kube-apiserver says why.
  EXPECT_EQ(str(ns, {"message"}),
            "Namespace \"has.dot\" is invalid: metadata.name: Invalid value: \"has.dot\": must not "
            "contain dots");
  ns = json(s.request("POST", "/api/v1/namespaces",
                      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"Has_Caps"}})"));
  EXPECT_NE(str(ns, {"message"}).find("a lowercase RFC 1123 label must consist of"),
            std::string::npos);
  auto sel = json(s.request(
      "POST", kDeploys,
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"c"}}}}})"));
  EXPECT_EQ(str(sel, {"code"}), "422");
  EXPECT_NE(str(sel, {"message"})
                .find("spec.template.metadata.labels: Invalid value: "
                      "map[string]string{\"a\":\"c\"}: `selector` "
                      "does not match template `labels`"),
            std::string::npos)
      << str(sel, {"message"});
  auto nons = json(s.request("POST", "/api/v1/namespaces/nowhere/configmaps", cm("x")));
  EXPECT_EQ(str(nons, {"code"}), "404");
  EXPECT_EQ(str(nons, {"message"}), "namespaces \"nowhere\" not found");
}

TEST(SandboxApi, BadInputGetsApiserverCodes) {
  Sandbox s;
  auto malformed = s.request("POST", kCms, "{\"apiVersion\":");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(str(json(malformed), {"reason"}), "BadRequest");
  auto yaml =
      s.request("POST", kCms, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n",
                "application/yaml");
  EXPECT_EQ(yaml.status, 201) << yaml.body;
  auto badyaml = s.request("POST", kCms, "a: [unclosed\n", "application/yaml");
  EXPECT_EQ(badyaml.status, 400);
  auto unknown = s.request("GET", "/api/v1/namespaces/default/gizmos");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(str(json(unknown), {"message"}), "the server could not find the requested resource");
  auto wrong_version = json(s.request(
      "POST", kCms, R"({"apiVersion":"apps/v1","kind":"ConfigMap","metadata":{"name":"x"}})"));
  EXPECT_EQ(str(wrong_version, {"code"}), "400");
  EXPECT_EQ(str(wrong_version, {"message"}),
            "the API version in the data (apps/v1) does not match the expected API version (v1)");
  auto wrong_kind = json(
      s.request("POST", kCms, R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}})"));
  EXPECT_EQ(str(wrong_kind, {"code"}), "400");
  auto ns_mismatch = json(s.request("POST", kCms, cm("x", "\"namespace\":\"kube-system\"")));
  EXPECT_EQ(
      str(ns_mismatch, {"message"}),
      "the namespace of the provided object does not match the namespace sent on the request");
  std::string big = cm("big", "", "{\"k\":\"" + std::string(3u << 20, 'a') + "\"}");
  auto too_big = s.request("POST", kCms, big);
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(str(json(too_big), {"message"}), "Request entity too large: limit is 3145728");
  ASSERT_EQ(s.request("POST", kCms, cm("p")).status, 201);
  auto media = s.request("PATCH", kCms + "/p", "{}", "text/plain");
  EXPECT_EQ(media.status, 415);
  EXPECT_EQ(str(json(media), {"reason"}), "UnsupportedMediaType");
  // Protobuf: a malformed body is a 400, a type the sandbox does not decode a 415.
  auto proto = s.request("POST", kCms, "\x6b\x38\x73", "application/vnd.kubernetes.protobuf");
  EXPECT_EQ(proto.status, 400);
  std::string widget = std::string("k8s\0", 4) + "\x0a\x1c\x0a\x0e" + "example.com/v1" +
                       "\x12\x06" + "Widget" + std::string("\x12\x00", 2);
  widget[5] = static_cast<char>(2 + 14 + 2 + 6);
  auto widget_res = s.request("POST", kCms, widget, "application/vnd.kubernetes.protobuf");
  EXPECT_EQ(widget_res.status, 415);
  EXPECT_NE(str(json(widget_res), {"message"}).find("example.com/v1 Widget"), std::string::npos)
      << widget_res.body;
  auto ssa_no_manager =
      json(s.request("PATCH", kCms + "/p", cm("p"), "application/apply-patch+yaml"));
  EXPECT_EQ(str(ssa_no_manager, {"code"}), "422");
  EXPECT_EQ(str(ssa_no_manager, {"message"}),
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required "
            "for apply patch");
  auto badsel = s.request("GET", kCms + "?labelSelector=a%20in%20b");
  EXPECT_EQ(badsel.status, 400);
  auto badfield = json(s.request("GET", kCms + "?fieldSelector=spec.foo%3Dx"));
  EXPECT_EQ(str(badfield, {"message"}), "field label not supported: spec.foo");
  // Shapes the schema does not allow are refused, never a crash.
  auto list_meta =
      s.request("POST", kCms, R"({"apiVersion":"v1","kind":"ConfigMap","metadata":[1]})");
  EXPECT_EQ(list_meta.status, 400);
  auto not_object = s.request("POST", kCms, "[1,2]");
  EXPECT_EQ(not_object.status, 400);
  auto odd = s.request(
      "POST", kDeploys,
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"odd"},"spec":"x"})");
  EXPECT_EQ(odd.status, 422);
  EXPECT_EQ(s.request("GET", "/readyz", "", "", "-").status, 200);
  auto name_url = json(s.request("PUT", kCms + "/p", cm("q")));
  EXPECT_EQ(str(name_url, {"message"}),
            "the name of the object (q) does not match the name on the URL (p)");
}

TEST(SandboxApi, ResourceVersionConflictsAndGeneration) {
  Sandbox s;
  auto d = json(s.request("POST", kDeploys, deployment("web")));
  std::string rv1 = str(d, {"metadata", "resourceVersion"});
  // Labels only: no generation bump.
  auto relabel = s.request("PATCH", kDeploys + "/web", R"({"metadata":{"labels":{"x":"y"}}})",
                           "application/merge-patch+json");
  ASSERT_EQ(relabel.status, 200) << relabel.body;
  auto r1 = json(relabel);
  EXPECT_EQ(str(r1, {"metadata", "generation"}), "1");
  EXPECT_GT(std::stoll(str(r1, {"metadata", "resourceVersion"})), std::stoll(rv1));
  // Spec change: generation 2.
  auto r2 = json(s.request("PATCH", kDeploys + "/web", R"({"spec":{"replicas":3}})",
                           "application/merge-patch+json"));
  EXPECT_EQ(str(r2, {"metadata", "generation"}), "2");
  // PUT with a stale resourceVersion: 409.
  std::string stale = deployment("web");
  stale.replace(stale.find("\"name\":\"web\""), 12,
                "\"name\":\"web\",\"resourceVersion\":\"" + rv1 + "\"");
  auto conflict = s.request("PUT", kDeploys + "/web", stale);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(str(json(conflict), {"message"}),
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been "
            "modified; please "
            "apply your changes to the latest version and try again");
  // No-op update keeps the resourceVersion (a ConfigMap: no controller writes to it meanwhile).
  auto cur = json(s.request("POST", kCms, cm("still")));
  auto same = json(
      s.request("PATCH", kCms + "/still", R"({"data":{"k":"v"}})", "application/merge-patch+json"));
  EXPECT_EQ(str(same, {"metadata", "resourceVersion"}), str(cur, {"metadata", "resourceVersion"}));
  auto put_same = json(s.request("PUT", kCms + "/still", doc::to_json(cur)));
  EXPECT_EQ(str(put_same, {"metadata", "resourceVersion"}),
            str(cur, {"metadata", "resourceVersion"}));
  // Status via the main resource is ignored; via /status it is stored without a generation bump.
  auto ignored = json(s.request("PATCH", kDeploys + "/web", R"({"status":{"replicas":42}})",
                                "application/merge-patch+json"));
  EXPECT_NE(str(ignored, {"status", "replicas"}), "42");
  auto st = s.request("PATCH", kDeploys + "/web/status", R"({"status":{"replicas":42}})",
                      "application/merge-patch+json");
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(str(json(st), {"status", "replicas"}), "42");
  EXPECT_EQ(str(json(st), {"metadata", "generation"}), "2");
}

TEST(SandboxApi, PatchFormats) {
  Sandbox s;
  ASSERT_EQ(s.request("POST", kDeploys, deployment("web")).status, 201);
  // Strategic merge: containers merge by name; $patch: delete removes one.
  auto smp = json(s.request(
      "PATCH", kDeploys + "/web",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:2"},{"name":"side","$patch":"delete"},{"name":"new","image":"redis"}]}}}})",
      "application/strategic-merge-patch+json"));
  const Value* cs = smp.find_path({"spec", "template", "spec", "containers"});
  ASSERT_TRUE(cs);
  ASSERT_EQ(cs->size(), 2u) << doc::to_json(*cs);
  EXPECT_EQ(cs->as_list()[0].get_string("name"), "main");
  EXPECT_EQ(cs->as_list()[0].get_string("image"), "nginx:2");
  EXPECT_EQ(cs->as_list()[1].get_string("name"), "new");
  // Merge patch replaces lists and deletes with null.
  auto mp = json(s.request(
      "PATCH", kDeploys + "/web",
      R"({"metadata":{"labels":{"a":"1"}},"spec":{"template":{"spec":{"containers":[{"name":"only","image":"x"}]}}}})",
      "application/merge-patch+json"));
  EXPECT_EQ(mp.find_path({"spec", "template", "spec", "containers"})->size(), 1u);
  auto del = json(s.request("PATCH", kDeploys + "/web", R"({"metadata":{"labels":{"a":null}}})",
                            "application/merge-patch+json"));
  EXPECT_EQ(del.find_path({"metadata", "labels", "a"}), nullptr);
  // JSON patch: add, replace, test, remove.
  auto jp = s.request(
      "PATCH", kDeploys + "/web",
      R"([{"op":"add","path":"/metadata/annotations","value":{"n":"1"}},{"op":"replace","path":"/spec/replicas","value":5},{"op":"test","path":"/spec/replicas","value":5}])",
      "application/json-patch+json");
  ASSERT_EQ(jp.status, 200) << jp.body;
  EXPECT_EQ(str(json(jp), {"spec", "replicas"}), "5");
  auto failed_test =
      s.request("PATCH", kDeploys + "/web", R"([{"op":"test","path":"/spec/replicas","value":1}])",
                "application/json-patch+json");
  EXPECT_EQ(failed_test.status, 422);
  auto missing = s.request("PATCH", kDeploys + "/nope", "{}", "application/merge-patch+json");
  EXPECT_EQ(missing.status, 404);
  // Patches record an Update manager.
  auto obj = json(s.request("GET", kDeploys + "/web"));
  std::string mf = str(obj, {"metadata", "managedFields"});
  EXPECT_NE(mf.find("\"operation\":\"Update\""), std::string::npos) << mf;
}

TEST(SandboxApi, SelectorsLimitAndContinue) {
  Sandbox s;
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(s.request("POST", kCms,
                        cm("c" + std::to_string(i),
                           "\"labels\":{\"n\":\"" + std::to_string(i % 2) + "\"}"))
                  .status,
              201);
  auto names = [](const Value& list) {
    std::string out;
    for (const auto& i : list.find("items")->as_list())
      out += i.find("metadata")->get_string("name") + " ";
    return out;
  };
  EXPECT_EQ(names(json(s.request("GET", kCms + "?labelSelector=n%3D1"))), "c1 c3 ");
  EXPECT_EQ(names(json(s.request("GET", kCms + "?labelSelector=n%21%3D1"))), "c0 c2 c4 ");
  EXPECT_EQ(names(json(s.request("GET", kCms + "?fieldSelector=metadata.name%3Dc2"))), "c2 ");
  EXPECT_EQ(names(json(s.request(
                "GET", kCms + "?fieldSelector=metadata.name%21%3Dc2&labelSelector=n%3D0"))),
            "c0 c4 ");
  auto page1 = json(s.request("GET", kCms + "?limit=2"));
  EXPECT_EQ(names(page1), "c0 c1 ");
  std::string cont = str(page1, {"metadata", "continue"});
  ASSERT_FALSE(cont.empty());
  auto page2 = json(s.request("GET", kCms + "?limit=2&continue=" + cont));
  EXPECT_EQ(names(page2), "c2 c3 ");
  auto all = json(s.request("GET", "/api/v1/configmaps"));
  EXPECT_EQ(str(all, {"kind"}), "ConfigMapList");
  EXPECT_EQ(all.find("items")->size(), 5u);
}

TEST(SandboxApi, DryRunStoresNothing) {
  Sandbox s;
  auto c = s.request("POST", kCms + "?dryRun=All", cm("dry"));
  EXPECT_EQ(c.status, 201);
  EXPECT_EQ(str(json(c), {"metadata", "name"}), "dry");
  EXPECT_EQ(s.request("GET", kCms + "/dry").status, 404);
  ASSERT_EQ(s.request("POST", kCms, cm("real")).status, 201);
  auto p = json(s.request("PATCH", kCms + "/real?dryRun=All&fieldManager=t&force=true",
                          cm("real", "", "{\"k\":\"changed\"}"), "application/apply-patch+yaml"));
  EXPECT_EQ(str(p, {"data", "k"}), "changed");
  EXPECT_EQ(str(json(s.request("GET", kCms + "/real")), {"data", "k"}), "v");
  EXPECT_EQ(s.request("DELETE", kCms + "/real?dryRun=All").status, 200);
  EXPECT_EQ(s.request("GET", kCms + "/real").status, 200);
}

TEST(SandboxApi, WatchStreamsEventsWithResourceVersions) {
  Sandbox s;
  auto start = json(s.request("GET", kCms));
  std::string rv = str(start, {"metadata", "resourceVersion"});
  Sandbox::Response watched;
  std::thread watcher([&] {
    watched = s.request("GET", kCms + "?watch=true&timeoutSeconds=3&resourceVersion=" + rv);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(s.request("POST", kCms, cm("w")).status, 201);
  EXPECT_EQ(s.request("PATCH", kCms + "/w", R"({"data":{"k":"2"}})", "application/merge-patch+json")
                .status,
            200);
  EXPECT_EQ(s.request("DELETE", kCms + "/w").status, 200);
  watcher.join();
  std::vector<std::pair<std::string, long long>> events;
  size_t i = 0;
  while (i < watched.body.size()) {
    size_t nl = watched.body.find('\n', i);
    if (nl == std::string::npos) nl = watched.body.size();
    std::string line = watched.body.substr(i, nl - i);
    i = nl + 1;
    if (line.empty()) continue;
    Value ev = doc::parse_json(line);
    events.push_back(
        {ev.get_string("type"), std::stoll(str(ev, {"object", "metadata", "resourceVersion"}))});
  }
  ASSERT_EQ(events.size(), 3u) << watched.body;
  EXPECT_EQ(events[0].first, "ADDED");
  EXPECT_EQ(events[1].first, "MODIFIED");
  EXPECT_EQ(events[2].first, "DELETED");
  EXPECT_LT(events[0].second, events[1].second);
  EXPECT_LT(events[1].second, events[2].second);
  // Resuming from a resourceVersion replays what happened after it; rv 0 lists current state.
  auto replay = s.request("GET", kCms + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv);
  EXPECT_NE(replay.body.find("\"type\":\"DELETED\""), std::string::npos);
  ASSERT_EQ(s.request("POST", kCms, cm("x", "\"labels\":{\"a\":\"b\"}")).status, 201);
  auto initial = s.request("GET", kCms + "?watch=1&timeoutSeconds=1&labelSelector=a%3Db");
  EXPECT_NE(initial.body.find("\"type\":\"ADDED\""), std::string::npos);
  EXPECT_NE(initial.body.find("\"name\":\"x\""), std::string::npos);
  // Watch-list: initial events end with a bookmark carrying the annotation.
  auto wl =
      s.request("GET", kCms +
                           "?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&"
                           "allowWatchBookmarks=true&timeoutSeconds=1");
  size_t added = wl.body.find("\"type\":\"ADDED\"");
  size_t bookmark = wl.body.find("\"type\":\"BOOKMARK\"");
  ASSERT_NE(added, std::string::npos) << wl.body;
  ASSERT_NE(bookmark, std::string::npos) << wl.body;
  EXPECT_LT(added, bookmark);
  EXPECT_NE(wl.body.find("\"k8s.io/initial-events-end\":\"true\""), std::string::npos);
}

TEST(SandboxApi, FinalizersDelayDeletion) {
  Sandbox s;
  ASSERT_EQ(s.request("POST", kCms, cm("f", "\"finalizers\":[\"example.com/hold\"]")).status, 201);
  auto d = s.request("DELETE", kCms + "/f");
  EXPECT_EQ(d.status, 200);
  auto o = json(s.request("GET", kCms + "/f"));
  EXPECT_FALSE(str(o, {"metadata", "deletionTimestamp"}).empty());
  auto r = s.request("PATCH", kCms + "/f", R"({"metadata":{"finalizers":null}})",
                     "application/merge-patch+json");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(s.request("GET", kCms + "/f").status, 404);
  ASSERT_EQ(s.request("POST", kCms, cm("g")).status, 201);
  auto plain = json(s.request("DELETE", kCms + "/g"));
  EXPECT_EQ(str(plain, {"status"}), "Success");
  EXPECT_EQ(str(plain, {"details", "name"}), "g");
}

TEST(SandboxApi, OwnerReferencesAreGarbageCollected) {
  Sandbox s;
  auto owner = json(s.request("POST", kCms, cm("owner")));
  std::string uid = str(owner, {"metadata", "uid"});
  std::string ref =
      "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"owner\","
      "\"uid\":\"" +
      uid + "\"}]";
  ASSERT_EQ(s.request("POST", kCms, cm("dep", ref)).status, 201);
  ASSERT_EQ(s.request("DELETE", kCms + "/owner").status, 200);
  EXPECT_TRUE(eventually([&] { return s.request("GET", kCms + "/dep").status == 404; }));
  // Cascades: a -> b -> c all go when a goes.
  auto a = json(s.request("POST", kCms, cm("a")));
  auto b = json(s.request("POST", kCms,
                          cm("b",
                             "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                             "\"name\":\"a\",\"uid\":\"" +
                                 str(a, {"metadata", "uid"}) + "\"}]")));
  ASSERT_EQ(s.request("POST", kCms,
                      cm("c",
                         "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                         "\"name\":\"b\",\"uid\":\"" +
                             str(b, {"metadata", "uid"}) + "\"}]"))
                .status,
            201);
  ASSERT_EQ(s.request("DELETE", kCms + "/a").status, 200);
  EXPECT_TRUE(eventually([&] { return s.request("GET", kCms + "/c").status == 404; }));
  EXPECT_EQ(s.request("GET", kCms + "/b").status, 404);
  // Orphan: the dependent stays, without the reference.
  auto owner2 = json(s.request("POST", kCms, cm("owner2")));
  std::string ref2 =
      "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"owner2\","
      "\"uid\":\"" +
      str(owner2, {"metadata", "uid"}) + "\"}]";
  ASSERT_EQ(s.request("POST", kCms, cm("dep2", ref2)).status, 201);
  ASSERT_EQ(s.request("DELETE", kCms + "/owner2", R"({"propagationPolicy":"Orphan"})").status, 200);
  EXPECT_TRUE(eventually([&] { return s.request("GET", kCms + "/owner2").status == 404; }));
  auto kept = json(s.request("GET", kCms + "/dep2"));
  EXPECT_EQ(str(kept, {"metadata", "name"}), "dep2");
  EXPECT_EQ(kept.find_path({"metadata", "ownerReferences"}), nullptr);
  // Foreground: the owner waits (with a finalizer) until its dependents are gone.
  auto owner3 = json(s.request("POST", kCms, cm("owner3")));
  std::string ref3 =
      "\"finalizers\":[\"example.com/"
      "hold\"],\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":"
      "\"owner3\",\"uid\":\"" +
      str(owner3, {"metadata", "uid"}) + "\",\"blockOwnerDeletion\":true}]";
  ASSERT_EQ(s.request("POST", kCms, cm("dep3", ref3)).status, 201);
  auto fg = json(s.request("DELETE", kCms + "/owner3", R"({"propagationPolicy":"Foreground"})"));
  EXPECT_NE(str(fg, {"metadata", "finalizers"}).find("foregroundDeletion"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(s.request("GET", kCms + "/owner3").status, 200);
  EXPECT_FALSE(
      str(json(s.request("GET", kCms + "/dep3")), {"metadata", "deletionTimestamp"}).empty());
  ASSERT_EQ(s.request("PATCH", kCms + "/dep3", R"({"metadata":{"finalizers":null}})",
                      "application/merge-patch+json")
                .status,
            200);
  EXPECT_TRUE(eventually([&] { return s.request("GET", kCms + "/owner3").status == 404; }));
}

TEST(SandboxApi, NamespaceDeletionRemovesContent) {
  Sandbox s;
  ASSERT_EQ(s.request("POST", "/api/v1/namespaces",
                      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}})")
                .status,
            201);
  ASSERT_EQ(s.request("POST", "/api/v1/namespaces/team/configmaps", cm("a")).status, 201);
  ASSERT_EQ(s.request("POST", "/apis/apps/v1/namespaces/team/deployments", deployment("d")).status,
            201);
  auto del = json(s.request("DELETE", "/api/v1/namespaces/team"));
  EXPECT_EQ(str(del, {"status", "phase"}), "Terminating");
  auto refused = s.request("POST", "/api/v1/namespaces/team/configmaps", cm("b"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(str(json(refused), {"message"}),
            "configmaps \"b\" is forbidden: unable to create new content in namespace team because "
            "it is being terminated");
  EXPECT_TRUE(
      eventually([&] { return s.request("GET", "/api/v1/namespaces/team").status == 404; }));
  auto system = s.request("DELETE", "/api/v1/namespaces/default");
  EXPECT_EQ(system.status, 403);
  EXPECT_EQ(str(json(system), {"message"}),
            "namespaces \"default\" is forbidden: this namespace may not be deleted");
  EXPECT_EQ(s.request("GET", "/api/v1/namespaces/team/configmaps/a").status, 404);
  EXPECT_EQ(json(s.request("GET", "/apis/apps/v1/deployments")).find("items")->size(), 0u);
}

TEST(SandboxApi, CustomResourceDefinitionsAreServedOnceEstablished) {
  Sandbox s;
  EXPECT_EQ(s.request("GET", "/apis/example.com/v1/namespaces/default/gadgets").status, 404);
  std::string crd =
      R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"gadgets.example.com"},
    "spec":{"group":"example.com","scope":"Cluster","names":{"plural":"gadgets","kind":"Gadget"},
    "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
                {"name":"v1beta1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})";
  auto c = json(s.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd));
  EXPECT_NE(str(c, {"status", "conditions"}).find("\"type\":\"Established\",\"status\":\"True\""),
            std::string::npos)
      << str(c, {"status"});
  EXPECT_NE(str(c, {"status", "conditions"}).find("NamesAccepted"), std::string::npos);
  auto bad = s.request(
      "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
      R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"wrong"},"spec":{"group":"example.com","scope":"Cluster","names":{"plural":"things","kind":"Thing"},"versions":[{"name":"v1","served":true,"storage":true}]}})");
  EXPECT_EQ(bad.status, 422);
  auto disc = json(s.request("GET", "/apis/example.com/v1"));
  EXPECT_EQ(str(disc, {"resources"}).find("gadgets") != std::string::npos, true);
  auto g = s.request(
      "POST", "/apis/example.com/v1/gadgets",
      R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1"},"spec":{"a":1},"status":{"ok":true}})");
  ASSERT_EQ(g.status, 201) << g.body;
  EXPECT_EQ(json(g).find("status"), nullptr);  // status only through /status
  EXPECT_EQ(str(json(g), {"metadata", "generation"}), "1");
  auto st = s.request(
      "PUT", "/apis/example.com/v1/gadgets/g1/status",
      R"({"apiVersion":"example.com/v1","kind":"Gadget","metadata":{"name":"g1"},"status":{"ok":true}})");
  ASSERT_EQ(st.status, 200) << st.body;
  EXPECT_EQ(str(json(st), {"status", "ok"}), "true");
  EXPECT_EQ(str(json(st), {"metadata", "generation"}), "1");
  auto other_version = json(s.request("GET", "/apis/example.com/v1beta1/gadgets/g1"));
  EXPECT_EQ(str(other_version, {"apiVersion"}), "example.com/v1beta1");
  auto wrong_gv =
      s.request("POST", "/apis/example.com/v1/gadgets",
                R"({"apiVersion":"example.com/v2","kind":"Gadget","metadata":{"name":"g2"}})");
  EXPECT_EQ(wrong_gv.status, 400);
  auto smp = s.request("PATCH", "/apis/example.com/v1/gadgets/g1", "{}",
                       "application/strategic-merge-patch+json");
  EXPECT_EQ(smp.status, 415);
  ASSERT_EQ(s.request("DELETE",
                      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com")
                .status,
            200);
  EXPECT_TRUE(
      eventually([&] { return s.request("GET", "/apis/example.com/v1/gadgets").status == 404; }));
}

TEST(SandboxApi, CustomResourcesAreCheckedAgainstTheirSchema) {
  Sandbox s;
  std::string crd =
      R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"things.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"things","kind":"Thing"},
    "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
      "spec":{"type":"object","required":["size"],"properties":{"size":{"type":"integer"},"mode":{"type":"string","enum":["a","b"]},
      "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}}}]}})";
  ASSERT_EQ(
      s.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status,
      201);
  const std::string things = "/apis/example.com/v1/namespaces/default/things";
  auto thing = [](const std::string& name, const std::string& spec) {
    return R"({"apiVersion":"example.com/v1","kind":"Thing","metadata":{"name":")" + name +
           R"("},"spec":)" + spec + "}";
  };
  EXPECT_EQ(s.request("POST", things, thing("ok", R"({"size":1,"mode":"a","free":{"x":{"y":1}}})"))
                .status,
            201);
  auto strict = s.request("POST", things + "?fieldValidation=Strict",
                          thing("strict", R"({"size":1,"extra":true})"));
  EXPECT_EQ(strict.status, 400);
  EXPECT_EQ(str(json(strict), {"message"}),
            "Thing in version \"v1\" cannot be handled as a Thing: strict decoding error: unknown "
            "field \"spec.extra\"");
  auto pruned = s.request("POST", things, thing("pruned", R"({"size":1,"extra":true})"));
  ASSERT_EQ(pruned.status, 201);
  EXPECT_EQ(str(json(pruned), {"spec"}), R"({"size":1})");
  auto wrong_type = json(s.request("POST", things, thing("t", R"({"size":"big"})")));
  EXPECT_EQ(str(wrong_type, {"code"}), "422");
  EXPECT_EQ(str(wrong_type, {"message"}),
            "Thing.example.com \"t\" is invalid: spec.size: Invalid value: \"string\": spec.size "
            "in body must be of "
            "type integer: \"string\"");
  auto missing = json(s.request("POST", things, thing("m", R"({"mode":"a"})")));
  EXPECT_EQ(str(missing, {"message"}),
            "Thing.example.com \"m\" is invalid: spec.size: Required value");
  auto bad_enum = json(s.request("POST", things, thing("e", R"({"size":1,"mode":"c"})")));
  EXPECT_EQ(str(bad_enum, {"message"}),
            "Thing.example.com \"e\" is invalid: spec.mode: Unsupported value: \"c\": supported "
            "values: \"a\", \"b\"");
  auto patch = s.request("PATCH", things + "/ok", R"({"spec":{"size":"x"}})",
                         "application/merge-patch+json");
  EXPECT_EQ(patch.status, 422);
}

TEST(SandboxApi, ServerSideApplyManagedFieldsAndConflicts) {
  Sandbox s;
  auto apply = [&](const std::string& manager, const std::string& body, bool force = false) {
    return s.request("PATCH",
                     kDeploys + "/web?fieldManager=" + manager + (force ? "&force=true" : ""), body,
                     "application/apply-patch+yaml");
  };
  auto a = apply("alice", deployment("web", "nginx:1", 2));
  ASSERT_EQ(a.status, 201) << a.body;
  std::string mf = str(json(a), {"metadata", "managedFields"});
  EXPECT_NE(mf.find(R"("f:containers":{"k:{\"name\":\"main\"}":{".":{},"f:image":{},"f:name":{}})"),
            std::string::npos)
      << mf;
  EXPECT_NE(mf.find(R"("manager":"alice","operation":"Apply")"), std::string::npos) << mf;
  // A different manager changing two of alice's fields: 409 listing both.
  auto c = apply("bob", deployment("web", "nginx:2", 3));
  EXPECT_EQ(c.status, 409);
  auto cj = json(c);
  EXPECT_EQ(str(cj, {"reason"}), "Conflict");
  EXPECT_EQ(str(cj, {"message"}),
            "Apply failed with 2 conflicts: conflicts with \"alice\":\n- .spec.replicas\n- "
            ".spec.template.spec.containers[name=\"main\"].image");
  const Value* causes = cj.find_path({"details", "causes"});
  ASSERT_TRUE(causes);
  ASSERT_EQ(causes->size(), 2u);
  EXPECT_EQ(causes->as_list()[0].get_string("type"), "FieldManagerConflict");
  EXPECT_EQ(causes->as_list()[0].get_string("message"), "conflict with \"alice\"");
  EXPECT_EQ(causes->as_list()[0].get_string("field"), ".spec.replicas");
  // An Update manager is named with its apiVersion.
  ASSERT_EQ(s.request("PATCH", kDeploys + "/web?fieldManager=editor", R"({"spec":{"paused":true}})",
                      "application/merge-patch+json")
                .status,
            200);
  std::string paused =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"paused":false}})";
  auto c2 = json(apply("carol", paused));
  EXPECT_EQ(str(c2, {"message"}),
            "Apply failed with 1 conflict: conflict with \"editor\" using apps/v1: .spec.paused");
  // force=true takes ownership.
  auto f = apply("bob", deployment("web", "nginx:2", 3), true);
  ASSERT_EQ(f.status, 200) << f.body;
  auto fo = json(f);
  EXPECT_EQ(str(fo, {"spec", "replicas"}), "3");
  mf = str(fo, {"metadata", "managedFields"});
  EXPECT_NE(mf.find(R"("manager":"bob")"), std::string::npos);
  // alice stops applying the sidecar: bob still owns it (he applied it too), so it stays.
  std::string without_side = deployment("web", "nginx:1", 2);
  without_side.replace(without_side.find(R"(,{"name":"side","image":"busybox"})"), 34, "");
  auto a2 = apply("alice", without_side, true);
  ASSERT_EQ(a2.status, 200) << a2.body;
  EXPECT_EQ(json(a2).find_path({"spec", "template", "spec", "containers"})->size(), 2u);
  // bob stops applying it too: now it goes.
  std::string bob_without = deployment("web", "nginx:1", 2);
  bob_without.replace(bob_without.find(R"(,{"name":"side","image":"busybox"})"), 34, "");
  auto b2 = apply("bob", bob_without, true);
  ASSERT_EQ(b2.status, 200) << b2.body;
  EXPECT_EQ(json(b2).find_path({"spec", "template", "spec", "containers"})->size(), 1u) << b2.body;
}

TEST(SandboxApi, SimulatedControllersFillWorkloadStatus) {
  Sandbox s;
  ASSERT_EQ(s.request("POST", kDeploys, deployment("web", "nginx:1", 3)).status, 201);
  ASSERT_EQ(s.request("POST", kDeploys,
                      deployment("broken", "nginx:1", 1, R"({"sandbox.gantry.dev/fail":"true"})"))
                .status,
            201);
  EXPECT_TRUE(eventually([&] {
    auto o = json(s.request("GET", kDeploys + "/web"));
    return str(o, {"status", "availableReplicas"}) == "3";
  }));
  auto o = json(s.request("GET", kDeploys + "/web"));
  EXPECT_EQ(str(o, {"status", "observedGeneration"}), "1");
  EXPECT_EQ(str(o, {"status", "readyReplicas"}), "3");
  EXPECT_EQ(str(o, {"status", "updatedReplicas"}), "3");
  EXPECT_NE(str(o, {"status", "conditions"}).find("\"type\":\"Available\",\"status\":\"True\""),
            std::string::npos);
  EXPECT_NE(str(o, {"status", "conditions"}).find("\"type\":\"Progressing\",\"status\":\"True\""),
            std::string::npos);
  // A new generation rolls out again.
  auto p = json(s.request("PATCH", kDeploys + "/web", R"({"spec":{"replicas":4}})",
                          "application/merge-patch+json"));
  EXPECT_EQ(str(p, {"metadata", "generation"}), "2");
  EXPECT_TRUE(eventually([&] {
    auto x = json(s.request("GET", kDeploys + "/web"));
    return str(x, {"status", "observedGeneration"}) == "2" &&
           str(x, {"status", "availableReplicas"}) == "4";
  }));
  auto b = json(s.request("GET", kDeploys + "/broken"));
  EXPECT_EQ(b.find_path({"status", "availableReplicas"}), nullptr);
  EXPECT_NE(str(b, {"status", "conditions"}).find("\"type\":\"Available\",\"status\":\"False\""),
            std::string::npos);
  ASSERT_EQ(
      s.request(
           "POST", "/apis/apps/v1/namespaces/default/statefulsets",
           R"({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db"},"spec":{"replicas":2,"serviceName":"db","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}})")
          .status,
      201);
  EXPECT_TRUE(eventually([&] {
    return str(json(s.request("GET", "/apis/apps/v1/namespaces/default/statefulsets/db")),
               {"status", "readyReplicas"}) == "2";
  }));
  ASSERT_EQ(
      s.request(
           "POST", "/apis/apps/v1/namespaces/default/daemonsets",
           R"({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}})")
          .status,
      201);
  EXPECT_TRUE(eventually([&] {
    return str(json(s.request("GET", "/apis/apps/v1/namespaces/default/daemonsets/agent")),
               {"status", "numberReady"}) == "1";
  }));
  auto job = s.request(
      "POST", "/apis/batch/v1/namespaces/default/jobs",
      R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x"}]}}}})");
  ASSERT_EQ(job.status, 201);
  EXPECT_TRUE(eventually([&] {
    return str(json(s.request("GET", "/apis/batch/v1/namespaces/default/jobs/j")),
               {"status", "succeeded"}) == "1";
  }));
}

TEST(SandboxApi, DataDirectoryPersistsStateAcrossRestarts) {
  TempDir data;
  std::string uid, rv;
  std::filesystem::path kc;
  {
    Sandbox s({"300ms", data.path(), {}});
    auto c = json(s.request("POST", kCms, cm("kept")));
    uid = str(c, {"metadata", "uid"});
    rv = str(c, {"metadata", "resourceVersion"});
    ASSERT_EQ(s.request("POST", "/api/v1/namespaces",
                        R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team"}})")
                  .status,
              201);
    EXPECT_EQ(s.stop(), 0);
  }
  EXPECT_TRUE(std::filesystem::exists(data.path() / "state.json"));
  EXPECT_TRUE(std::filesystem::exists(data.path() / "ca.crt"));
  Sandbox s2({"300ms", data.path(), {}});
  auto g = json(s2.request("GET", kCms + "/kept"));
  EXPECT_EQ(str(g, {"metadata", "uid"}), uid);
  EXPECT_EQ(str(g, {"metadata", "resourceVersion"}), rv);
  EXPECT_EQ(s2.request("GET", "/api/v1/namespaces/team").status, 200);
  auto c2 = json(s2.request("POST", kCms, cm("new")));
  EXPECT_GT(std::stoll(str(c2, {"metadata", "resourceVersion"})), std::stoll(rv));
}

}  // namespace
}  // namespace gantry::testing
