#include "gitops/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace gantry::gitops {

namespace {

double now_unix() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

// A label value as the text format wants it: \ " and newline escaped.
std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// The shortest text that reads back as `v` ("0.05", not "0.050000000000000003").
std::string number(double v) {
  char buf[64];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string labels(const ResourceLabels& r) {
  return "kind=\"" + escape(r.kind) + "\",namespace=\"" + escape(r.ns) + "\",name=\"" +
         escape(r.name) + "\"";
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += " ";
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " ";
  out += type;
  out += "\n";
}

// Resident set size from /proc/self/statm (pages).
double resident_bytes() {
  std::ifstream in("/proc/self/statm");
  long size = 0, resident = 0;
  in >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return 0;
  double n = 0;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory's own descriptor
}

}  // namespace

Metrics::Metrics()
    : start_time_(now_unix()),
      // Reconciles take from milliseconds (nothing changed) to minutes (waits).
      reconcile_bounds_{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
      fetch_bounds_{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60} {}

void Metrics::observe(Histogram& h, const std::vector<double>& bounds, double v) {
  if (h.buckets.empty()) h.buckets.assign(bounds.size() + 1, 0);
  for (size_t i = 0; i < bounds.size(); ++i)
    if (v <= bounds[i]) ++h.buckets[i];
  ++h.buckets.back();
  h.sum += v;
  ++h.count;
}

void Metrics::reconcile_done(const ResourceLabels& r, const std::string& result, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  observe(reconcile_duration_[{r, result}], reconcile_bounds_, seconds);
  ++reconciles_[{r, result}];
}

void Metrics::drift_repaired(const ResourceLabels& r, bool ok) {
  std::lock_guard<std::mutex> lock(mu_);
  ++repairs_[{r, ok ? "success" : "failure"}];
}

void Metrics::managed_objects(const ResourceLabels& r, size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  managed_[r] = n;
}

void Metrics::applied(const ResourceLabels& r, const std::string& revision, double unix_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  applied_[r] = {revision, unix_seconds};
}

void Metrics::git_fetch(const std::string& operation, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  observe(fetch_duration_[operation], fetch_bounds_, seconds);
}

void Metrics::image_scan(const ResourceLabels& r, const std::string& result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++image_scans_[{r, result}];
}

void Metrics::image_commit(const ResourceLabels& r, const std::string& result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++image_commits_[{r, result}];
}

void Metrics::forget(const ResourceLabels& r) {
  std::lock_guard<std::mutex> lock(mu_);
  auto erase_resource = [&](auto& m) {
    for (auto it = m.begin(); it != m.end();)
      it = it->first.first.kind == r.kind && it->first.first.ns == r.ns &&
                   it->first.first.name == r.name
               ? m.erase(it)
               : std::next(it);
  };
  erase_resource(reconcile_duration_);
  erase_resource(reconciles_);
  erase_resource(repairs_);
  erase_resource(image_scans_);
  erase_resource(image_commits_);
  managed_.erase(r);
  applied_.erase(r);
}

std::string Metrics::text() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  auto histogram = [&](const std::string& name, const std::string& lbl, const Histogram& h,
                       const std::vector<double>& bounds) {
    std::string sep = lbl.empty() ? "" : ",";
    for (size_t i = 0; i < bounds.size(); ++i)
      out += name + "_bucket{" + lbl + sep + "le=\"" + number(bounds[i]) + "\"} " +
             std::to_string(h.buckets[i]) + "\n";
    out +=
        name + "_bucket{" + lbl + sep + "le=\"+Inf\"} " + std::to_string(h.buckets.back()) + "\n";
    std::string braces = lbl.empty() ? "" : "{" + lbl + "}";
    out += name + "_sum" + braces + " " + number(h.sum) + "\n";
    out += name + "_count" + braces + " " + std::to_string(h.count) + "\n";
  };

  header(out, "gantry_reconcile_duration_seconds", "histogram",
         "Time one reconcile of a resource took, by result.");
  for (const auto& [k, h] : reconcile_duration_)
    histogram("gantry_reconcile_duration_seconds",
              labels(k.first) + ",result=\"" + escape(k.second) + "\"", h, reconcile_bounds_);
  header(out, "gantry_reconciles_total", "counter", "Reconciles of a resource, by result.");
  for (const auto& [k, n] : reconciles_)
    out += "gantry_reconciles_total{" + labels(k.first) + ",result=\"" + escape(k.second) + "\"} " +
           std::to_string(n) + "\n";
  header(out, "gantry_drift_repairs_total", "counter",
         "Objects re-applied because they drifted from Git, by result.");
  for (const auto& [k, n] : repairs_)
    out += "gantry_drift_repairs_total{" + labels(k.first) + ",result=\"" + escape(k.second) +
           "\"} " + std::to_string(n) + "\n";
  auto counter = [&](const std::string& name, const char* help, const auto& m) {
    header(out, name.c_str(), "counter", help);
    for (const auto& [k, n] : m)
      out += name + "{" + labels(k.first) + ",result=\"" + escape(k.second) + "\"} " +
             std::to_string(n) + "\n";
  };
  counter("gantry_image_scans_total",
          "Registry scans of image automation resources, by result (success or the reason).",
          image_scans_);
  counter("gantry_image_commits_total",
          "Image automation runs after a successful scan: pushed (a commit was pushed), "
          "unchanged (nothing to commit) or failed (Git).",
          image_commits_);
  header(out, "gantry_managed_objects", "gauge",
         "Objects a resource applied in its last reconcile.");
  for (const auto& [r, n] : managed_)
    out += "gantry_managed_objects{" + labels(r) + "} " + std::to_string(n) + "\n";
  header(out, "gantry_last_applied_timestamp_seconds", "gauge",
         "When the revision in the label was last applied successfully (Unix time).");
  for (const auto& [r, v] : applied_)
    out += "gantry_last_applied_timestamp_seconds{" + labels(r) + ",revision=\"" + escape(v.first) +
           "\"} " + number(v.second) + "\n";
  header(out, "gantry_git_fetch_duration_seconds", "histogram",
         "Time to resolve a Git ref (ls-remote) or to fetch a commit.");
  for (const auto& [op, h] : fetch_duration_)
    histogram("gantry_git_fetch_duration_seconds", "operation=\"" + escape(op) + "\"", h,
              fetch_bounds_);
  header(out, "gantry_watch_restarts_total", "counter",
         "Watches that had to be started again (connection lost, 410 Gone).");
  out +=
      "gantry_watch_restarts_total " + std::to_string(watch_restarts ? watch_restarts() : 0) + "\n";
  header(out, "gantry_leader", "gauge", "1 when this replica leads (reconciles), else 0.");
  out += std::string("gantry_leader ") + (leading && leading() ? "1" : "0") + "\n";
  header(out, "gantry_resources", "gauge",
         "GantryDeployments and KluctlDeployments this replica knows.");
  out += "gantry_resources " + std::to_string(resources ? resources() : 0) + "\n";

  header(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  out += "process_resident_memory_bytes " + number(resident_bytes()) + "\n";
  header(out, "process_cpu_seconds_total", "counter", "User and system CPU time in seconds.");
  out += "process_cpu_seconds_total " + number(cpu_seconds()) + "\n";
  header(out, "process_start_time_seconds", "gauge", "Start time of the process (Unix time).");
  out += "process_start_time_seconds " + number(start_time_) + "\n";
  header(out, "process_open_fds", "gauge", "Open file descriptors.");
  out += "process_open_fds " + number(open_fds()) + "\n";
  return out;
}

}  // namespace gantry::gitops
