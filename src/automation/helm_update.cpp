#include "automation/helm_update.h"

#include "automation/policy.h"
#include "core/error.h"
#include "core/file.h"
#include "doc/yaml.h"

namespace gantry::automation {

namespace fs = std::filesystem;

std::string newest_allowed(const std::vector<std::string>& versions, const std::string& current,
                           const std::string& constraint) {
  std::optional<SemverRange> range;
  if (!constraint.empty()) range = SemverRange::parse(constraint);
  std::optional<SemVer> cur = SemVer::parse(current);
  std::string best;
  std::optional<SemVer> best_v;
  for (const auto& text : versions) {
    std::optional<SemVer> v = SemVer::parse(text);
    if (!v) continue;
    if (range ? !range->matches(*v) : v->prerelease()) continue;
    if (cur && compare(*v, *cur) <= 0) continue;
    if (!best_v || compare(*v, *best_v) > 0 || (compare(*v, *best_v) == 0 && text > best)) {
      best_v = v;
      best = text;
    }
  }
  return best;
}

namespace {

// The edit of helmChart.chartVersion in `file` to `version`.
FileUpdate edit_chart_version(const fs::path& file, const std::string& version) {
  FileUpdate f;
  f.path = file.string();
  f.original = read_file(file);
  doc::Value d = doc::parse_yaml(f.original, f.path);
  const doc::Value* v = d.find_path({"helmChart", "chartVersion"});
  if (!v || !v->is_scalar() || v->span().end <= v->span().begin)
    d.fail("helmChart.chartVersion is not a scalar gantry can rewrite");
  Edit e{v->span().begin, v->span().end, format_scalar(*v, version)};
  Change ch;
  ch.file = f.path;
  ch.line = v->span().line;
  ch.old_text = f.original.substr(e.begin, e.end - e.begin);
  ch.new_text = e.text;
  f.updated = f.original.substr(0, e.begin) + e.text + f.original.substr(e.end);
  f.edits.push_back(std::move(e));
  f.changes.push_back(std::move(ch));
  return f;
}

}  // namespace

HelmUpdatePlan plan_helm_update(const fs::path& root, render::ChartPuller& puller) {
  HelmUpdatePlan plan;
  for (auto& pc : render::find_project_charts(root)) {
    ChartVersionCheck c;
    c.chart = std::move(pc);
    try {
      if (c.chart.chart.skip_update) {
        c.skipped = true;
      } else {
        c.newest = newest_allowed(puller.versions(c.chart.chart), c.chart.chart.chart_version,
                                  c.chart.chart.update_constraints);
        if (!c.newest.empty())
          plan.edits.files.push_back(edit_chart_version(c.chart.file, c.newest));
      }
    } catch (Error& e) {
      e.add_context("checking the chart of item " + c.chart.item);
      throw;
    }
    plan.charts.push_back(std::move(c));
  }
  return plan;
}

}  // namespace gantry::automation
