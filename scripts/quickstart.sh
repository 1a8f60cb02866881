#!/usr/bin/env bash
# The quick start: install what is needed, build gantry, and run the main job
# on the example project (examples/shop): render it for staging and production,
# show the image-tag bump CI would make (gantry update --dry-run), deploy
# staging to a local `gantry sandbox`, bump the tags, diff and deploy again.
# Then the whole loop on this machine (scripts/quickstart-loop.sh): a local
# registry and Git server, the controller, images built from the shop's
# Dockerfiles, a source change that becomes the running image by itself.
# QUICKSTART_LOOP=0 skips the loop.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --quickstart
cmake --preset release >/dev/null
cmake --build --preset release --target gantry
GANTRY=$PWD/build/release/gantry

echo "== gantry render -t staging (examples/shop)" >&2
"$GANTRY" render --project examples/shop -t staging
echo "== gantry render -t production, written one file per object to build/rendered/production" >&2
rm -rf build/rendered/production
"$GANTRY" render --project examples/shop -t production -o build/rendered/production
find build/rendered/production -type f | sort >&2

echo "== gantry update --dry-run: bump every # STAGING_IMAGE_TAG marker to 1.5.0 (shows the diff, writes nothing)" >&2
"$GANTRY" update examples/shop --marker STAGING_IMAGE_TAG=1.5.0 --dry-run

# Deploy: a local Kubernetes API (gantry sandbox) stands in for the staging
# cluster; its kubeconfig names the context the staging target is pinned to.
work=$(mktemp -d)
"$GANTRY" sandbox --context shop-staging --kubeconfig-out "$work/kubeconfig" --ready-delay 500ms \
  >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true; wait $sandbox_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q '^kubeconfig:' "$work/sandbox.log" && break; sleep 0.05; done
export GANTRY_CACHE_DIR=$work/cache
deploy_args=(--project "$work/shop" -t staging --kubeconfig "$work/kubeconfig")
cp -r examples/shop "$work/shop"

echo "== gantry deploy -t staging --yes --wait (to gantry sandbox, context shop-staging)" >&2
"$GANTRY" deploy "${deploy_args[@]}" --yes --wait --timeout 60s
if command -v kubectl >/dev/null; then
  echo "== kubectl get deployments: what the cluster has now" >&2
  kubectl --kubeconfig "$work/kubeconfig" get deployments -A -l gantry.dev/discriminator=shop-staging
fi

echo "== bump the staging tags in a copy of the project, then gantry diff (exit 1: changes)" >&2
"$GANTRY" update "$work/shop" --marker STAGING_IMAGE_TAG=1.5.0
"$GANTRY" diff "${deploy_args[@]}" || [[ $? == 1 ]]
echo "== gantry deploy again: only the changed Deployments are applied" >&2
"$GANTRY" deploy "${deploy_args[@]}" --yes --wait --timeout 60s

if [[ "${QUICKSTART_LOOP:-1}" != 0 ]]; then
  GANTRY_SANDBOX_KUBECONFIG=$work/kubeconfig bash scripts/quickstart-loop.sh "$GANTRY"
fi
