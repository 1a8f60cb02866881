// The controller's metrics, served as Prometheus text (exposition format
// 0.0.4) on /metrics. Names follow Prometheus' conventions: a `gantry_`
// prefix, base units (`_seconds`, `_bytes`), `_total` for counters, and
// labels for the resource (kind, namespace, name) and outcome (result):
//
//   gantry_reconcile_duration_seconds{kind,namespace,name,result}   histogram
//   gantry_reconciles_total{kind,namespace,name,result}             counter
//   gantry_drift_repairs_total{kind,namespace,name,result}          counter
//   gantry_managed_objects{kind,namespace,name}                     gauge
//   gantry_last_applied_timestamp_seconds{kind,namespace,name,revision} gauge
//   gantry_image_scans_total{kind,namespace,name,result}            counter (image automation)
//   gantry_image_commits_total{kind,namespace,name,result}          counter (pushed, unchanged,
//   failed) gantry_git_fetch_duration_seconds{operation}                    histogram
//   gantry_watch_restarts_total                                     counter
//   gantry_leader                                                   gauge (1 when leading)
//   gantry_resources                                                gauge
//   process_resident_memory_bytes, process_cpu_seconds_total,
//   process_start_time_seconds, process_open_fds                    (as client libraries name them)
//
// Series of a deleted resource are removed. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace gantry::gitops {

// The labels that name one resource.
struct ResourceLabels {
  std::string kind, ns, name;
  bool operator<(const ResourceLabels& o) const {
    return std::tie(kind, ns, name) < std::tie(o.kind, o.ns, o.name);
  }
};

class Metrics {
 public:
  Metrics();

  void reconcile_done(const ResourceLabels& r, const std::string& result, double seconds);
  void drift_repaired(const ResourceLabels& r, bool ok);
  void managed_objects(const ResourceLabels& r, size_t n);
  void applied(const ResourceLabels& r, const std::string& revision, double unix_seconds);
  void git_fetch(const std::string& operation, double seconds);
  // Image automation: one registry scan (result "success" or the failure
  // reason) and what came of it ("pushed", "unchanged", "failed").
  void image_scan(const ResourceLabels& r, const std::string& result);
  void image_commit(const ResourceLabels& r, const std::string& result);
  void forget(const ResourceLabels& r);

  // Values read when the text is made (gauges owned elsewhere).
  std::function<uint64_t()> watch_restarts;
  std::function<bool()> leading;
  std::function<size_t()> resources;

  // The exposition text.
  std::string text() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts per bound, +Inf last
    double sum = 0;
    uint64_t count = 0;
  };
  void observe(Histogram& h, const std::vector<double>& bounds, double v);

  mutable std::mutex mu_;
  double start_time_ = 0;
  std::vector<double> reconcile_bounds_, fetch_bounds_;
  std::map<std::pair<ResourceLabels, std::string>, Histogram> reconcile_duration_;
  std::map<std::pair<ResourceLabels, std::string>, uint64_t> reconciles_;
  std::map<std::pair<ResourceLabels, std::string>, uint64_t> repairs_;
  std::map<std::pair<ResourceLabels, std::string>, uint64_t> image_scans_, image_commits_;
  std::map<ResourceLabels, size_t> managed_;
  std::map<ResourceLabels, std::pair<std::string, double>> applied_;
  std::map<std::string, Histogram> fetch_duration_;
};

}  // namespace gantry::gitops
