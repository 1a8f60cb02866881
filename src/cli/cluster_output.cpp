#include "cli/cluster_output.h"

#include <unistd.h>

#include <iostream>

namespace gantry::cli {

using kube::Change;
using kube::DeployEvent;

kube::EventSink progress_sink(bool json) {
  if (json || !::isatty(STDERR_FILENO)) return {};
  return [](const DeployEvent& e) {
    const char* mark = "";
    switch (e.kind) {
      case DeployEvent::Kind::kGroup:
        mark = "==>";
        break;
      case DeployEvent::Kind::kApplied:
        mark = "  ✓";
        break;
      case DeployEvent::Kind::kFailed:
        mark = "  ✗";
        break;
      case DeployEvent::Kind::kHook:
        mark = "  ↪";
        break;
      case DeployEvent::Kind::kWaiting:
        mark = "  …";
        break;
      case DeployEvent::Kind::kReady:
        mark = "  ●";
        break;
      case DeployEvent::Kind::kNotReady:
        mark = "  ○";
        break;
      case DeployEvent::Kind::kDeleted:
        mark = "  -";
        break;
    }
    std::cerr << mark << " " << e.subject << (e.text.empty() ? "" : ": " + e.text) << "\n";
  };
}

std::string problem_line(const kube::ObjectProblem& p) {
  std::string s = p.object;
  if (p.source.known()) s += " (" + p.source.str() + ")";
  return s + ": " + p.message;
}

doc::Value problems_json(const std::vector<kube::ObjectProblem>& problems) {
  doc::Value out = doc::Value::list();
  for (const auto& p : problems) {
    doc::Value v = doc::Value::object({{"object", p.object}, {"message", p.message}});
    if (p.source.known()) v.set("source", p.source.str());
    out.push_back(std::move(v));
  }
  return out;
}

doc::Value kept_objects_json(const std::vector<kube::Kept>& kept) {
  doc::Value out = doc::Value::list();
  for (const auto& k : kept)
    out.push_back(doc::Value::object({{"object", k.object.name()}, {"why", k.why}}));
  return out;
}

std::string plan_summary_lines(const kube::Plan& plan, bool with_orphans) {
  std::string out;
  for (const auto& o : plan.objects) {
    switch (o.change) {
      case Change::kCreate:
      case Change::kPending:
        out += "+ " + o.name() + "\n";
        break;
      case Change::kUpdate:
        out += "~ " + o.name() + "\n";
        break;
      case Change::kFailed:
        out += "! " + o.name() + " (" + o.source.str() + "): " + o.error + "\n";
        break;
      default:
        break;
    }
  }
  if (with_orphans) {
    for (const auto& o : plan.orphans)
      out += "- " + o.name() + "\n";
    for (const auto& k : plan.kept)
      out += "= " + k.object.name() + " kept: " + k.why + "\n";
  }
  return out;
}

std::string plan_counts(const kube::Plan& plan, bool with_orphans) {
  std::string s = std::to_string(plan.count(Change::kCreate) + plan.count(Change::kPending)) +
                  " to create, " + std::to_string(plan.count(Change::kUpdate)) + " to update, " +
                  std::to_string(plan.count(Change::kUnchanged)) + " unchanged";
  if (with_orphans) s += ", " + std::to_string(plan.orphans.size()) + " to prune";
  if (with_orphans && !plan.kept.empty()) s += ", " + std::to_string(plan.kept.size()) + " kept";
  if (size_t h = plan.count(Change::kHook)) s += ", " + std::to_string(h) + " hooks";
  if (size_t f = plan.count(Change::kFailed)) s += ", " + std::to_string(f) + " failed";
  return s;
}

std::vector<kube::ObjectProblem> plan_problems(const kube::Plan& plan) {
  std::vector<kube::ObjectProblem> out;
  for (const auto& o : plan.objects)
    if (o.change == Change::kFailed) out.push_back({o.name(), o.source, o.error});
  return out;
}

}  // namespace gantry::cli
