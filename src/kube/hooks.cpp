#include "kube/hooks.h"

#include <charconv>

#include "core/error.h"
#include "kube/objects.h"

namespace gantry::kube {

using doc::Value;

namespace {

std::string text(const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_int()) return std::to_string(v.as_int());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  return {};
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t c = s.find(',', pos);
    if (c == std::string::npos) c = s.size();
    std::string part = s.substr(pos, c - pos);
    size_t b = part.find_first_not_of(' '), e = part.find_last_not_of(' ');
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
    pos = c + 1;
  }
  return out;
}

const Value* helm_annotation(const Value& obj, std::string_view name) {
  const Value* ann = obj.find_path({"metadata", "annotations"});
  if (!ann || !ann->is_map()) return nullptr;
  return ann->find("helm.sh/" + std::string(name));
}

// helm.sh/hook events as kluctl maps them: install is the initial deploy,
// upgrade every later one. Delete and rollback events make the object a hook
// that never runs (gantry runs no hooks on delete or rollback); `test` and
// unknown events are ignored.
void read_helm_hook(const Value& obj, HookSpec& h) {
  const Value* hook = helm_annotation(obj, "hook");
  if (!hook) return;
  for (const auto& event : split_list(text(*hook))) {
    if (event == "pre-install")
      h.pre_initial = true;
    else if (event == "pre-upgrade")
      h.pre_upgrade = true;
    else if (event == "post-install")
      h.post_initial = true;
    else if (event == "post-upgrade")
      h.post_upgrade = true;
    else if (event == "pre-delete" || event == "post-delete" || event == "pre-rollback" ||
             event == "post-rollback")
      h.never_runs = true;
  }
}

}  // namespace

HookSpec hook_spec(const Value& obj) {
  HookSpec h;
  read_helm_hook(obj, h);
  const Value* hook = gantry_annotation(obj, "hook");
  if (!hook && !h.is_hook()) return h;
  for (const auto& kind : hook ? split_list(text(*hook)) : std::vector<std::string>{}) {
    if (kind == "pre-deploy") {
      h.pre_initial = h.pre_upgrade = true;
    } else if (kind == "post-deploy") {
      h.post_initial = h.post_upgrade = true;
    } else if (kind == "pre-deploy-initial") {
      h.pre_initial = true;
    } else if (kind == "post-deploy-initial") {
      h.post_initial = true;
    } else if (kind == "pre-deploy-upgrade") {
      h.pre_upgrade = true;
    } else if (kind == "post-deploy-upgrade") {
      h.post_upgrade = true;
    } else {
      hook->fail("unknown hook \"" + kind +
                 "\" (known: pre-deploy, post-deploy, pre-deploy-initial, post-deploy-initial, "
                 "pre-deploy-upgrade, post-deploy-upgrade)");
    }
  }
  const Value* weight = gantry_annotation(obj, "hook-weight");
  if (!weight) weight = helm_annotation(obj, "hook-weight");
  if (const Value* w = weight) {
    std::string s = text(*w);
    int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size())
      w->fail("hook-weight must be an integer, got \"" + s + "\"");
    h.weight = n;
  }
  const Value* policies[] = {gantry_annotation(obj, "hook-delete-policy"),
                             helm_annotation(obj, "hook-delete-policy")};
  h.delete_before_creation = false;
  bool any_policy = false;
  for (const Value* d : policies) {
    if (!d) continue;
    for (const auto& p : split_list(text(*d))) {
      any_policy = true;
      if (p == "before-hook-creation")
        h.delete_before_creation = true;
      else if (p == "hook-succeeded")
        h.delete_on_success = true;
      else if (p == "hook-failed")
        h.delete_on_failure = true;
      else
        d->fail("unknown hook-delete-policy \"" + p +
                "\" (known: before-hook-creation, hook-succeeded, hook-failed)");
    }
  }
  if (!any_policy) h.delete_before_creation = true;
  if (const Value* w = gantry_annotation(obj, "hook-wait")) {
    std::string s = text(*w);
    if (s != "true" && s != "false") w->fail("hook-wait must be \"true\" or \"false\"");
    h.wait = s == "true";
  }
  return h;
}

}  // namespace gantry::kube
