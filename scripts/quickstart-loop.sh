#!/usr/bin/env bash
# The whole loop on one machine, with local defaults: a local OCI registry
# (docker-registry), a local Git server (git daemon), a cluster (`gantry
# sandbox`; the one of GANTRY_SANDBOX_KUBECONFIG when set, else a new one)
# and the GitOps controller (`gantry controller`, here as a local process).
#   1. CI's first run: `gantry version-tag`, `gantry build --push` of the
#      shop's apps (examples/shop/apps) on a busybox base made offline.
#   2. The controller deploys the shop from Git (GantryDeployment) and scans
#      the registry (GantryImageUpdate), both applied with `gantry deploy`.
#   3. A source change is pushed and released; CI builds and pushes again;
#      image automation commits the new tag into Git; the controller deploys
#      it. The time from `git push` to the new images running is printed.
#   4. A manual change in the cluster is repaired.
# Intervals are 2s for the demo; docs/guides/commit-to-cluster.md gives the
# steady-state ones. Usage: scripts/quickstart-loop.sh GANTRY_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
GANTRY=$(realpath "${1:?usage: scripts/quickstart-loop.sh GANTRY_BINARY}")
repo_root=$PWD
loop_start=$(date +%s%N)
step_start=$loop_start
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
step() {
  if [[ $step_start != "$loop_start" ]]; then echo "   (took $(ms_since "$step_start") ms)" >&2; fi
  step_start=$(date +%s%N)
  echo "== loop [$(ms_since "$loop_start") ms] $*" >&2
}
die() { echo "quickstart-loop: $*" >&2; exit 1; }
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  die "no free port"
}
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; die "nothing listens on port $1"; }
# wait_for SECONDS WHAT COMMAND...: runs COMMAND until it succeeds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < end)) || die "$what did not happen within ${limit}s (logs in $loop)"
    sleep 0.2
  done
}

loop=$(mktemp -d)
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((rc == 0)); then rm -rf "$loop"; else echo "quickstart-loop: logs kept in $loop" >&2; fi
}
trap cleanup EXIT
export GANTRY_CACHE_DIR=$loop/cache
export GIT_AUTHOR_NAME=Developer GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME=Developer GIT_COMMITTER_EMAIL=dev@example.com

step "start a local registry (docker-registry), a Git server (git daemon) and the cluster"
reg_port=$(free_port)
cat >"$loop/registry.yml" <<YAML
version: 0.1
storage:
  filesystem: {rootdirectory: $loop/registry}
http:
  addr: 127.0.0.1:$reg_port
YAML
docker-registry serve "$loop/registry.yml" >"$loop/registry.log" 2>&1 &
pids+=($!)
REG=127.0.0.1:$reg_port
mkdir -p "$loop/git"
git_port=$(free_port)
git daemon --reuseaddr --listen=127.0.0.1 --port="$git_port" --base-path="$loop/git" \
  --export-all --enable=receive-pack "$loop/git" >"$loop/git-daemon.log" 2>&1 &
pids+=($!)
if [[ -n "${GANTRY_SANDBOX_KUBECONFIG:-}" ]]; then
  kubeconfig=$GANTRY_SANDBOX_KUBECONFIG
else
  kubeconfig=$loop/kubeconfig
  "$GANTRY" sandbox --context shop-staging --kubeconfig-out "$kubeconfig" --ready-delay 500ms \
    >"$loop/sandbox.log" 2>&1 &
  pids+=($!)
  wait_for 10 "the sandbox start" grep -q '^kubeconfig:' "$loop/sandbox.log"
fi
wait_port "$reg_port"
wait_port "$git_port"
echo "   registry $REG, git://127.0.0.1:$git_port/shop.git, kubeconfig $kubeconfig" >&2
# Reads the cluster with curl (no kubectl needed): GET or merge-PATCH a path.
server=$(sed -n 's/^ *server: //p' "$kubeconfig" | head -1)
token=$(sed -n 's/^ *token: //p' "$kubeconfig" | head -1)
sed -n 's/^ *certificate-authority-data: //p' "$kubeconfig" | head -1 | base64 -d >"$loop/ca.pem"
kube() { curl -sS --fail --cacert "$loop/ca.pem" -H "Authorization: Bearer $token" "$@"; }
image_of() {
  kube "$server/apis/apps/v1/namespaces/shop-staging/deployments/$1" 2>/dev/null |
    grep -o '"image": *"[^"]*"' | head -1 | sed 's/.*: *"//; s/"$//'
}
running() { for a in api worker frontend; do [[ $(image_of "$a") == "$REG/shop/$a:$1" ]] || return 1; done; }

step "make a busybox base image without network and push it to $REG/library/busybox:1.36"
bash scripts/busybox-base.sh "$loop/base"
"$GANTRY" build "$loop/base" -t "$REG/library/busybox:1.36" --push >/dev/null 2>>"$loop/build.log"

step "a Git repository with the shop (its staging markers at 1.0.0), tagged 1.0.0 and pushed"
src=$loop/src
cp -r examples/shop "$src"
git -C "$src" init -q -b main
"$GANTRY" update "$src" --marker STAGING_IMAGE_TAG=1.0.0 >/dev/null
git -C "$src" add -A
git -C "$src" commit -q -m "the shop"
git -C "$src" tag 1.0.0
git init -q --bare -b main "$loop/git/shop.git"
git -C "$src" remote add origin "git://127.0.0.1:$git_port/shop.git"
git -C "$src" push -q origin main --tags

# What examples/ci's workflows run for each release.
ci() {
  local tag app
  tag=$("$GANTRY" version-tag "$src" --match '[0-9]*.[0-9]*.[0-9]*' --first-parent)
  for app in api worker frontend; do
    "$GANTRY" build "$src/apps/$app" --build-arg "BASE_IMAGE=$REG/library/busybox:1.36" \
      -t "$REG/shop/$app:$tag" --push 2>>"$loop/build.log" | tail -1 | sed "s|^|   $REG/shop/$app:$tag |" >&2
  done
}
step "CI's first run: gantry version-tag, then gantry build --push of api, worker and frontend"
ci

step "give the cluster the shop (CRDs, a GantryDeployment, a GantryImageUpdate: gantry deploy), start the controller"
gitops=$loop/gitops
mkdir -p "$gitops/crds" "$gitops/shop"
context=$(sed -n 's/^current-context: //p' "$kubeconfig")
printf 'targets:\n  - name: local\n    context: %s\ndiscriminator: gitops-local\n' "$context" >"$gitops/.gantry.yaml"
printf 'deployments:\n  - path: crds\n  - barrier: true\n  - path: shop\n' >"$gitops/deployment.yaml"
"$GANTRY" controller --crds >"$gitops/crds/crds.yaml"
cat >"$gitops/shop/shop.yaml" <<YAML
apiVersion: gantry.dev/v1alpha1
kind: GantryDeployment
metadata:
  name: shop-staging
  namespace: default
spec:
  source:
    git:
      url: git://127.0.0.1:$git_port/shop.git
      ref: {branch: main}
  target: staging
  args:
    registry: $REG/shop
  interval: 2s          # a demo; steady state: 5m, with a push webhook to /hooks/git
  retryInterval: 2s
  prune: true
---
apiVersion: gantry.dev/v1alpha1
kind: GantryImageUpdate
metadata:
  name: shop
  namespace: default
spec:
  interval: 2s          # a demo; steady state: 5m, with the registry's webhook to /hooks/registry
  git:
    url: git://127.0.0.1:$git_port/shop.git
    branch: main
  policies:
    - name: api
      image: $REG/shop/api
      policy: {semver: {range: ">=1.0.0"}}
  markers:              # the course's markers: every service's staging tag follows api's
    - {name: STAGING_IMAGE_TAG, policy: api}
  commit:
    author: {name: gantry image automation, email: images@example.com}
    messageTemplate: "images: {values}\n\n{changes}\n"
YAML
"$GANTRY" deploy --project "$gitops" -t local --kubeconfig "$kubeconfig" --yes >/dev/null
"$GANTRY" controller --kubeconfig "$kubeconfig" --cache-dir "$loop/controller-cache" \
  --log-format json >"$loop/controller.log" 2>&1 &
pids+=($!)
wait_for 60 "the controller's first deploy" running 1.0.0
echo "   the cluster runs $REG/shop/api:1.0.0 (and worker, frontend)" >&2

step "a source change: git push of a new api price, released as 1.1.0"
sed -i 's/"price": 18/"price": 21/' "$src/apps/api/data/products.json"
git -C "$src" commit -q -am "api: teapots cost more"
git -C "$src" tag 1.1.0
git -C "$src" push -q origin main --tags
pushed=$(date +%s%N)

step "CI: version-tag, build and push the three images at 1.1.0"
ci

step "image automation commits the new tag into Git"
bot_commit() { [[ $(git -C "$loop/git/shop.git" log -1 --format=%an main) == "gantry image automation" ]]; }
wait_for 60 "the image automation commit" bot_commit
git -C "$loop/git/shop.git" show --format='   %h %an: %s' -U0 main | sed 's/^/   /' >&2

step "the controller deploys it"
wait_for 60 "the deploy of 1.1.0" running 1.1.0
loop_ms=$(ms_since "$pushed")
echo "   the cluster runs $REG/shop/api:1.1.0 (and worker, frontend)" >&2
echo "   git push of the source change -> new images running: $loop_ms ms" >&2

step "a manual change in the cluster (api scaled to 4 replicas) is repaired"
kube -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"replicas":4}}' \
  "$server/apis/apps/v1/namespaces/shop-staging/deployments/api" >/dev/null
replicas() { kube "$server/apis/apps/v1/namespaces/shop-staging/deployments/api" |
  grep -o '"replicas": *[0-9]*' | head -1 | grep -o '[0-9]*$'; }
repaired() { [[ $(replicas) == 1 ]]; }
wait_for 30 "the drift repair" repaired
echo "   replicas are back to 1" >&2
step "done"
echo "loop: $(ms_since "$loop_start") ms in all; git push -> running: $loop_ms ms" >&2
