// Hooks: objects applied before or after the rest of their deployment item.
//
// Annotations (gantry's own, and kluctl's under `kluctl.io/`, which the
// course uses):
//   gantry.dev/hook: pre-deploy | post-deploy | pre-deploy-initial |
//                    post-deploy-initial | pre-deploy-upgrade | post-deploy-upgrade
//                    (several, comma-separated)
//   gantry.dev/hook-weight: integer, lower runs first (default 0)
//   gantry.dev/hook-delete-policy: before-hook-creation (default) |
//                    hook-succeeded | hook-failed (comma-separated)
//   gantry.dev/hook-wait: "true" (default) | "false"
// "initial" hooks run only when none of the item's other objects exists yet;
// "upgrade" hooks only when some do.
//
// Helm's annotations (kept on objects rendered from Helm charts) are read as
// kluctl reads them: helm.sh/hook pre-install / post-install are the
// pre/post-deploy-initial hooks, pre-upgrade / post-upgrade the
// pre/post-deploy-upgrade ones (so "pre-install,pre-upgrade" is pre-deploy);
// pre/post-delete and pre/post-rollback make the object a hook that never
// runs; other events are ignored. helm.sh/hook-weight is the weight when
// gantry's (or kluctl's) is not set; helm.sh/hook-delete-policy adds to
// gantry's delete policies.
#pragma once

#include <string>

#include "doc/value.h"

namespace gantry::kube {

struct HookSpec {
  bool pre_initial = false, pre_upgrade = false;
  bool post_initial = false, post_upgrade = false;
  int64_t weight = 0;
  bool delete_before_creation = true;
  bool delete_on_success = false;
  bool delete_on_failure = false;
  bool wait = true;
  // A Helm hook of delete or rollback events only: never applied.
  bool never_runs = false;

  bool is_hook() const {
    return pre_initial || pre_upgrade || post_initial || post_upgrade || never_runs;
  }
  bool runs_pre(bool initial) const { return initial ? pre_initial : pre_upgrade; }
  bool runs_post(bool initial) const { return initial ? post_initial : post_upgrade; }
};

// Reads the hook annotations of an object; throws Error (at the annotation's
// source position) for unknown hook kinds, policies or a weight that is not
// an integer.
HookSpec hook_spec(const doc::Value& object);

}  // namespace gantry::kube
