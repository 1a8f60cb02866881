// HorizontalPodAutoscaler conversion between autoscaling/v2 (stored) and v1.
#include "sandbox/convert.h"

#include <gtest/gtest.h>

#include "doc/json.h"

namespace gantry::sandbox {
namespace {

using doc::Value;

ResourceType hpa(const std::string& version) {
  for (const auto& t : builtin_types())
    if (t.group == "autoscaling" && t.version == version) return t;
  ADD_FAILURE() << "no autoscaling/" << version;
  return {};
}

Value json(const std::string& s) {
  return doc::parse_json(s, "test");
}

// Every metric source v2 has, a status with metrics and conditions, a behavior.
const char* kFullV2 = R"({"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler",
 "metadata":{"name":"h","namespace":"default","annotations":{"team":"core"}},
 "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
  "minReplicas":2,"maxReplicas":9,
  "metrics":[
   {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":75}}},
   {"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"500Mi"}}},
   {"type":"Pods","pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}}},
   {"type":"Object","object":{"describedObject":{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","name":"main"},
     "metric":{"name":"requests","selector":{"matchLabels":{"a":"b"}}},"target":{"type":"Value","value":"2k"}}},
   {"type":"External","external":{"metric":{"name":"queue"},"target":{"type":"AverageValue","averageValue":"30"}}},
   {"type":"ContainerResource","containerResource":{"name":"cpu","container":"app","target":{"type":"Utilization","averageUtilization":60}}}],
  "behavior":{"scaleDown":{"stabilizationWindowSeconds":60,"selectPolicy":"Min",
   "policies":[{"type":"Pods","value":1,"periodSeconds":30}]}}},
 "status":{"observedGeneration":3,"currentReplicas":4,"desiredReplicas":5,
  "currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageValue":"200m","averageUtilization":40}}}],
  "conditions":[{"type":"AbleToScale","status":"True","reason":"ReadyForNewScale"}]}})";

TEST(HpaConversion, V1ShowsTheCpuTargetAndCarriesTheRestInAnnotations) {
  Value v1 = to_served_version(hpa("v1"), json(kFullV2));
  EXPECT_EQ(v1.get_string("apiVersion"), "autoscaling/v1");
  EXPECT_EQ(doc::to_json(*v1.find("spec")),
            R"({"scaleTargetRef":{"kind":"Deployment","name":"web","apiVersion":"apps/v1"},)"
            R"("minReplicas":2,"maxReplicas":9,"targetCPUUtilizationPercentage":75})");
  EXPECT_EQ(doc::to_json(*v1.find("status")),
            R"({"observedGeneration":3,"currentReplicas":4,"desiredReplicas":5,)"
            R"("currentCPUUtilizationPercentage":40})");
  const Value& a = *v1.find_path({"metadata", "annotations"});
  EXPECT_EQ(a.get_string("team"), "core");
  EXPECT_EQ(
      a.get_string("autoscaling.alpha.kubernetes.io/metrics"),
      R"([{"type":"Resource","resource":{"name":"memory","targetAverageValue":"500Mi"}},)"
      R"({"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"10"}},)"
      R"({"type":"Object","object":{"target":{"kind":"Ingress","name":"main","apiVersion":"networking.k8s.io/v1"},)"
      R"("metricName":"requests","selector":{"matchLabels":{"a":"b"}},"targetValue":"2k"}},)"
      R"({"type":"External","external":{"metricName":"queue","targetAverageValue":"30"}},)"
      R"({"type":"ContainerResource","containerResource":{"name":"cpu","targetAverageUtilization":60,"container":"app"}}])");
  EXPECT_EQ(a.get_string("autoscaling.alpha.kubernetes.io/behavior"),
            R"({"ScaleUp":null,"ScaleDown":{"StabilizationWindowSeconds":60,"SelectPolicy":"Min",)"
            R"("Policies":[{"Type":"Pods","Value":1,"PeriodSeconds":30}]}})");
  EXPECT_NE(a.get_string("autoscaling.alpha.kubernetes.io/current-metrics"), "");
  EXPECT_NE(a.get_string("autoscaling.alpha.kubernetes.io/conditions"), "");
}

TEST(HpaConversion, V1RoundTripLosesNothing) {
  Value v2 = json(kFullV2);
  Value back = to_storage_version(hpa("v1"), to_served_version(hpa("v1"), v2));
  // The CPU utilization metric comes back after the annotation's metrics
  // (as kube-apiserver orders them), the scale-up rules get their defaults.
  const Value& metrics = *back.find_path({"spec", "metrics"});
  ASSERT_EQ(metrics.size(), 6u);
  EXPECT_EQ(doc::to_json(metrics.as_list()[5]), doc::to_json(v2["spec"]["metrics"].as_list()[0]));
  // (key order aside: references come back in Go's field order)
  for (size_t i = 1; i < 6; ++i)
    EXPECT_TRUE(metrics.as_list()[i - 1].equals(v2["spec"]["metrics"].as_list()[i]))
        << i << ": " << doc::to_json(metrics.as_list()[i - 1]);
  EXPECT_EQ(doc::to_json(*back.find_path({"spec", "behavior", "scaleDown"})),
            doc::to_json(*v2.find_path({"spec", "behavior", "scaleDown"})));
  EXPECT_EQ(
      doc::to_json(*back.find_path({"spec", "behavior", "scaleUp"})),
      R"({"stabilizationWindowSeconds":0,"selectPolicy":"Max","policies":)"
      R"([{"type":"Pods","value":4,"periodSeconds":15},{"type":"Percent","value":100,"periodSeconds":15}]})");
  EXPECT_EQ(doc::to_json(*back.find_path({"status", "conditions"})),
            doc::to_json(*v2.find_path({"status", "conditions"})));
  EXPECT_EQ(doc::to_json(*back.find_path({"status", "currentMetrics"})),
            doc::to_json(*v2.find_path({"status", "currentMetrics"})));
  EXPECT_EQ(doc::to_json(*back.find_path({"metadata", "annotations"})), R"({"team":"core"})");
}

TEST(HpaConversion, V1WithoutCpuTargetGetsTheImplicitDefault) {
  Value v2 = to_storage_version(hpa("v1"), json(R"({"apiVersion":"autoscaling/v1",
    "kind":"HorizontalPodAutoscaler","metadata":{"name":"h"},
    "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":3}})"));
  EXPECT_EQ(v2.get_string("apiVersion"), "autoscaling/v2");
  EXPECT_EQ(doc::to_json(*v2.find("spec")),
            R"({"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":3,"metrics":)"
            R"([{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization",)"
            R"("averageUtilization":80}}}],"minReplicas":1})");
}

TEST(HpaConversion, MalformedInputNeverThrows) {
  for (const char* body :
       {R"({"spec":"x","status":[1]})",
        R"({"metadata":{"annotations":{"autoscaling.alpha.kubernetes.io/metrics":"not json",
            "autoscaling.alpha.kubernetes.io/behavior":"[1]"}},"spec":{"metrics":[1,"a",{}]}})",
        R"({"metadata":{"annotations":{"autoscaling.alpha.kubernetes.io/metrics":"[1,{\"type\":3}]",
            "autoscaling.alpha.kubernetes.io/conditions":"{}"}},"spec":{"behavior":{"scaleUp":3}}})"}) {
    Value v = json(body);
    EXPECT_NO_THROW(to_served_version(hpa("v1"), to_storage_version(hpa("v1"), v))) << body;
    EXPECT_NO_THROW(to_storage_version(hpa("v1"), to_served_version(hpa("v1"), v))) << body;
  }
  // Types that are stored in their own version pass unchanged.
  ResourceType v2 = hpa("v2");
  EXPECT_FALSE(converts(v2));
  EXPECT_EQ(doc::to_json(to_served_version(v2, json(kFullV2))), doc::to_json(json(kFullV2)));
}

}  // namespace
}  // namespace gantry::sandbox
