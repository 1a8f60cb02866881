#!/usr/bin/env bash
# Rewrites expected.yaml of the helm cases (all, or those named) with
# `kubectl kustomize --enable-helm`, each built in a scratch copy of the case
# with the shared charts copied into its chart home (the file `chart-home`
# names it; `charts` by default). kubectl (kustomize v5.5) talks to helm 4
# through helm-v3-shim.sh. Review the diff before committing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
export GANTRY_REAL_HELM=${GANTRY_REAL_HELM:-$repo/build/tools/helm/helm}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cases=("$@")
if ((${#cases[@]} == 0)); then
  for d in "$here"/*/kustomization.yaml; do cases+=("$(basename "$(dirname "$d")")"); done
fi
for c in "${cases[@]}"; do
  work="$scratch/$c"
  cp -r "$here/$c" "$work"
  home=charts
  [[ -f "$here/$c/chart-home" ]] && home=$(cat "$here/$c/chart-home")
  mkdir -p "$work/$home"
  cp -r "$here"/charts/* "$work/$home/"
  rm -f "$work/expected.yaml"
  kubectl kustomize "$work" --enable-helm --helm-command "$here/helm-v3-shim.sh" \
    >"$here/$c/expected.yaml"
  echo "regenerated $c"
done
