// Output shared by diff, deploy, prune and delete: progress lines and reports.
#pragma once

#include <string>
#include <vector>

#include "doc/value.h"
#include "kube/deploy.h"
#include "kube/plan.h"

namespace gantry::cli {

// Progress on standard error: one line per event when stderr is a terminal or
// `verbose`; nothing for -o json.
kube::EventSink progress_sink(bool json);

// "Deployment demo-app/api (services/api/Deployment.yaml:3): message"
std::string problem_line(const kube::ObjectProblem& p);

doc::Value problems_json(const std::vector<kube::ObjectProblem>& problems);

// [{"object": "ConfigMap shop/x", "why": "..."}] for -o json.
doc::Value kept_objects_json(const std::vector<kube::Kept>& kept);

// One line per object that changes ("+ create", "~ update", "- prune", "! failed").
std::string plan_summary_lines(const kube::Plan& plan, bool with_orphans);

// "3 to create, 1 to update, 10 unchanged, 2 to prune, 1 kept, 0 failed" (kept:
// labelled objects that are not gantry's, counted when there are any)
std::string plan_counts(const kube::Plan& plan, bool with_orphans);

// The plan's problems (objects the server rejected in the dry run).
std::vector<kube::ObjectProblem> plan_problems(const kube::Plan& plan);

}  // namespace gantry::cli
