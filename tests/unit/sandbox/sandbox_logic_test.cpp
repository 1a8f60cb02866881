// Pure logic of the sandbox: field sets (managedFields), patches, selectors.
#include <gtest/gtest.h>

#include "doc/json.h"
#include "sandbox/fieldset.h"
#include "sandbox/patch.h"
#include "sandbox/resources.h"
#include "sandbox/sandbox.h"
#include "sandbox/selector.h"

namespace gantry::sandbox {
namespace {

using doc::Value;

const ResourceType& type(const std::string& kind) {
  for (const auto& t : builtin_types())
    if (t.kind == kind) return t;
  throw std::runtime_error("no type " + kind);
}

Value j(const std::string& s) {
  return doc::parse_json(s);
}

TEST(FieldSet, ApplySetUsesMergeKeysAndNoDotOnMaps) {
  Value d =
      j(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","labels":{"app":"a"}},
    "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"i","args":["a","b"],
    "ports":[{"containerPort":80}],"env":[{"name":"E","value":"1"}]}]}}}})");
  FieldSet s = apply_set(d, type("Deployment"));
  strip_ignored(s, false, false);
  EXPECT_EQ(
      doc::to_json(s.to_value()),
      R"({"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:args":{},"f:env":{"k:{\"name\":\"E\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}})");
}

TEST(FieldSet, RoundTripsThroughFieldsV1) {
  Value v =
      j(R"({"f:data":{".":{},"f:a":{}},"f:metadata":{"f:finalizers":{".":{},"v:\"x\"":{}}}})");
  FieldSet s = FieldSet::from_value(v);
  EXPECT_TRUE(s.contains({"f:data"}));
  EXPECT_TRUE(s.contains({"f:data", "f:a"}));
  EXPECT_FALSE(s.contains({"f:metadata"}));
  EXPECT_TRUE(s.contains({"f:metadata", "f:finalizers", "v:\"x\""}));
  EXPECT_EQ(doc::to_json(s.to_value()), doc::to_json(v));
  s.remove({"f:data", "f:a"});
  s.remove({"f:data"});
  EXPECT_FALSE(s.contains({"f:data"}));
  EXPECT_EQ(s.children.count("f:data"), 0u);
}

TEST(FieldSet, ChangedSetHasOnlyDifferences) {
  Value before =
      j(R"({"data":{"a":"1","b":"2"},"spec":{"containers":[{"name":"c","image":"old"}]}})");
  Value after = j(
      R"({"data":{"a":"1","b":"3","c":"4"},"spec":{"containers":[{"name":"c","image":"new"},{"name":"d","image":"x"}]},"extra":{"m":1}})");
  FieldSet s = changed_set(&before, after, type("Deployment"));
  EXPECT_EQ(
      doc::to_json(s.to_value()),
      R"({"f:data":{"f:b":{},"f:c":{}},"f:extra":{".":{},"f:m":{}},"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{"f:image":{}},"k:{\"name\":\"d\"}":{".":{},"f:image":{},"f:name":{}}}}})");
}

TEST(FieldSet, PathStringsLikeTheApiserver) {
  EXPECT_EQ(path_string({"f:spec", "f:template", "f:spec", "f:containers", "k:{\"name\":\"c\"}",
                         "f:image"}),
            ".spec.template.spec.containers[name=\"c\"].image");
  EXPECT_EQ(path_string({"f:metadata", "f:finalizers", "v:\"a\""}), ".metadata.finalizers[=\"a\"]");
  EXPECT_EQ(path_string({"f:spec", "f:ports", "k:{\"port\":80,\"protocol\":\"TCP\"}"}),
            ".spec.ports[port=80,protocol=\"TCP\"]");
}

TEST(FieldSet, ResolveAndRemoveKeyedItems) {
  Value d = j(R"({"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"2"}]}})");
  const auto& t = type("Deployment");
  const Value* img = resolve(d, {"f:spec", "f:containers", "k:{\"name\":\"b\"}", "f:image"}, t);
  ASSERT_TRUE(img);
  EXPECT_EQ(img->as_string(), "2");
  EXPECT_TRUE(remove_path(d, {"f:spec", "f:containers", "k:{\"name\":\"a\"}"}, t));
  EXPECT_EQ(doc::to_json(d), R"({"spec":{"containers":[{"name":"b","image":"2"}]}})");
  EXPECT_FALSE(remove_path(d, {"f:spec", "f:nothing"}, t));
}

TEST(FieldSet, ApplyMergeMergesKeyedListsAndReplacesAtomicOnes) {
  Value live = j(
      R"({"spec":{"replicas":1,"containers":[{"name":"a","image":"1","args":["x"]}],"tolerations":[{"key":"k"}]}})");
  Value applied = j(
      R"({"spec":{"containers":[{"name":"a","args":["y"]},{"name":"b","image":"2"}],"tolerations":[{"key":"z"}]}})");
  apply_merge(live, applied, type("Deployment"));
  EXPECT_EQ(
      doc::to_json(live),
      R"({"spec":{"replicas":1,"containers":[{"name":"a","image":"1","args":["y"]},{"name":"b","image":"2"}],"tolerations":[{"key":"z"}]}})");
}

TEST(FieldSet, CrdSchemaListTypes) {
  Value crd = j(R"({"spec":{"group":"e.com","scope":"Namespaced","names":{"plural":"ws","kind":"W"},
    "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{
    "spec":{"type":"object","properties":{"items":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["id"],
    "items":{"type":"object"}},"tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}}}}}]}})");
  auto types = types_from_crd(crd);
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0].resource, "ws");
  EXPECT_EQ(types[0].singular, "w");
  EXPECT_TRUE(types[0].namespaced);
  EXPECT_EQ(list_type({"spec", "items"}, types[0]).kind, ListType::kMap);
  EXPECT_EQ(list_type({"spec", "items"}, types[0]).keys, std::vector<std::string>{"id"});
  EXPECT_EQ(list_type({"spec", "tags"}, types[0]).kind, ListType::kSet);
  EXPECT_EQ(list_type({"spec", "other"}, types[0]).kind, ListType::kAtomic);
}

TEST(Patch, JsonMergePatch) {
  Value t = j(R"({"a":{"b":1,"c":2},"l":[1,2]})");
  json_merge_patch(t, j(R"({"a":{"b":null,"d":3},"l":[3]})"));
  EXPECT_EQ(doc::to_json(t), R"({"a":{"c":2,"d":3},"l":[3]})");
}

TEST(Patch, JsonPatchOperations) {
  Value t = j(R"({"a":[1,2],"b":{"c":"x"}})");
  json_patch(t, j(R"([{"op":"add","path":"/a/-","value":3},{"op":"add","path":"/a/0","value":0},
    {"op":"remove","path":"/b/c"},{"op":"copy","from":"/a/1","path":"/b/one"},{"op":"move","from":"/b/one","path":"/m"},
    {"op":"replace","path":"/a/3","value":"three"},{"op":"test","path":"/m","value":1},{"op":"add","path":"/k~1e","value":true}])"));
  EXPECT_EQ(doc::to_json(t), R"({"a":[0,1,2,"three"],"b":{},"m":1,"k/e":true})");
  EXPECT_THROW(json_patch(t, j(R"([{"op":"test","path":"/m","value":2}])")), Error);
  EXPECT_THROW(json_patch(t, j(R"([{"op":"remove","path":"/nope"}])")), Error);
  EXPECT_THROW(json_patch(t, j(R"([{"op":"replace","path":"/a/9","value":1}])")), Error);
}

TEST(Patch, StrategicMergePatchWithMergeKeysAndDirectives) {
  const auto& t = type("Deployment");
  Value d = j(
      R"({"metadata":{"finalizers":["a"]},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1","env":[{"name":"X","value":"1"}]},{"name":"b","image":"2"}]}}}})");
  strategic_merge_patch(
      d, j(R"({"metadata":{"finalizers":["b"]},"spec":{"template":{"spec":{"containers":[
    {"name":"a","env":[{"name":"Y","value":"2"}]},{"name":"b","$patch":"delete"},{"name":"c","image":"3"}]}}}})"),
      t);
  EXPECT_EQ(
      doc::to_json(d),
      R"({"metadata":{"finalizers":["a","b"]},"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]},{"name":"c","image":"3"}]}}}})");
  strategic_merge_patch(
      d,
      j(R"({"spec":{"template":{"spec":{"containers":[{"name":"z","image":"9"},{"$patch":"replace"}]}}},"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})"),
      t);
  EXPECT_EQ(
      doc::to_json(d),
      R"({"metadata":{"finalizers":["b"]},"spec":{"template":{"spec":{"containers":[{"name":"z","image":"9"}]}}}})");
  strategic_merge_patch(d, j(R"({"spec":{"template":{"$patch":"replace","x":1}}})"), t);
  EXPECT_EQ(doc::to_json(d), R"({"metadata":{"finalizers":["b"]},"spec":{"template":{"x":1}}})");
}

TEST(Selector, LabelSelectorGrammar) {
  Value labels = j(R"({"app":"web","tier":"front","n":"5"})");
  auto m = [&](const std::string& s) { return LabelSelector::parse(s).matches(&labels); };
  EXPECT_TRUE(m(""));
  EXPECT_TRUE(m("app=web"));
  EXPECT_TRUE(m("app==web,tier"));
  EXPECT_FALSE(m("app!=web"));
  EXPECT_TRUE(m("tier in (front, back)"));
  EXPECT_FALSE(m("tier notin (front)"));
  EXPECT_TRUE(m("!missing"));
  EXPECT_FALSE(m("!app"));
  EXPECT_TRUE(m("n>3"));
  EXPECT_FALSE(m("n<3"));
  EXPECT_THROW(LabelSelector::parse("a in b"), Error);
  EXPECT_THROW(LabelSelector::parse("a=b=c"), Error);
  EXPECT_THROW(LabelSelector::parse("a,,b"), Error);
  EXPECT_FALSE(LabelSelector::parse("x=y").matches(nullptr));
  EXPECT_TRUE(LabelSelector::parse("x!=y").matches(nullptr));
}

TEST(Selector, LabelSelectorFromObject) {
  Value sel = j(
      R"({"matchLabels":{"a":"1"},"matchExpressions":[{"key":"b","operator":"In","values":["x","y"]},{"key":"c","operator":"DoesNotExist"}]})");
  Value yes = j(R"({"a":"1","b":"y"})"), no = j(R"({"a":"1","b":"y","c":""})");
  EXPECT_TRUE(LabelSelector::from_object(sel).matches(&yes));
  EXPECT_FALSE(LabelSelector::from_object(sel).matches(&no));
}

TEST(Selector, FieldSelectors) {
  Value o = j(
      R"({"metadata":{"name":"a","namespace":"ns"},"status":{"phase":"Running"},"spec":{"n":3}})");
  EXPECT_TRUE(FieldSelector::parse("metadata.name=a").matches(o));
  EXPECT_TRUE(FieldSelector::parse("metadata.name==a,metadata.namespace!=x").matches(o));
  EXPECT_FALSE(FieldSelector::parse("status.phase=Pending").matches(o));
  EXPECT_TRUE(FieldSelector::parse("spec.n=3").matches(o));
  EXPECT_EQ(FieldSelector::parse("metadata.name=a").pinned("metadata.name"), "a");
  EXPECT_THROW(FieldSelector::parse("nonsense"), Error);
}

TEST(Sandbox, ParseDuration) {
  EXPECT_EQ(parse_duration("500ms").count(), 500);
  EXPECT_EQ(parse_duration("2s").count(), 2000);
  EXPECT_EQ(parse_duration("1m30s").count(), 90000);
  EXPECT_EQ(parse_duration("3").count(), 3000);
  EXPECT_EQ(parse_duration("0").count(), 0);
  EXPECT_THROW(parse_duration("soon"), Error);
  EXPECT_THROW(parse_duration("5x"), Error);
  EXPECT_EQ(parse_duration("1.5s").count(), 1500);
  // Not numbers, or too large for milliseconds: an Error, never a std:: exception
  // (found by fuzz_kustomize_remote_url through kustomize's ?timeout=).
  for (const char* bad : {".", "1m..7s", ".s", "1..2h", "99999999999999999999", "9999999999999h",
                          "1234567890123456789012345678901234567890s"})
    EXPECT_THROW(parse_duration(bad), Error) << bad;
}

}  // namespace
}  // namespace gantry::sandbox
