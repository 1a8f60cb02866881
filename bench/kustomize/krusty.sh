#!/usr/bin/env bash
# Benchmark: building the whole krusty corpus (tests/data/kustomize-krusty,
# every case kubectl builds) with `gantry kustomize` and with
# `kubectl kustomize`, one process per case as a user would run them, in the
# same run. Prints both wall-clock totals (best of RUNS for gantry, of
# KUBECTL_RUNS for kubectl), the ratio, and how many outputs are byte-identical.
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-build/release/gantry}
KUBECTL=${KUBECTL:-kubectl}
RUNS=${RUNS:-3}
KUBECTL_RUNS=${KUBECTL_RUNS:-1}
CORPUS=tests/data/kustomize-krusty
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
command -v "$KUBECTL" >/dev/null || { echo "kubectl is needed as the peer" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cases=()
for d in "$CORPUS"/*/; do
  [[ -f "$d/expected.yaml" ]] && cases+=("$(basename "$d")")
done

# Runs one tool over every case ($1: gantry|kubectl), outputs in $work/$1/.
run_all() {
  local tool=$1 c dir flags
  mkdir -p "$work/$tool"
  for c in "${cases[@]}"; do
    dir="$CORPUS/$c/in/$(head -n1 "$CORPUS/$c/build-dir")"
    if [[ $tool == gantry ]]; then
      flags=()  # the one flag of the corpus gantry kustomize shares with kubectl
      grep -qx LoadRestrictionsNone "$CORPUS/$c/flags" 2>/dev/null &&
        flags=(--load-restrictor LoadRestrictionsNone)
      "$GANTRY" kustomize "$dir" "${flags[@]}" >"$work/$tool/$c.yaml" 2>/dev/null || true
    else
      flags=()
      [[ -f "$CORPUS/$c/flags" ]] && mapfile -t flags < <(sed "s#^HELM\$#build/tools/helm/helm#" "$CORPUS/$c/flags")
      "$KUBECTL" kustomize "$dir" "${flags[@]}" >"$work/$tool/$c.yaml" 2>/dev/null || true
    fi
  done
}

best() {  # best wall time in seconds of $1 runs of run_all $2
  local n=$1 tool=$2 best="" i t0 t1 t
  for ((i = 0; i < n; i++)); do
    t0=$(date +%s.%N)
    run_all "$tool"
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [[ -z "$best" ]] || (($(echo "$t < $best" | bc -l))); then best=$t; fi
  done
  echo "$best"
}

g=$(best "$RUNS" gantry)
k=$(best "$KUBECTL_RUNS" kubectl)
same=0
for c in "${cases[@]}"; do
  cmp -s "$work/gantry/$c.yaml" "$work/kubectl/$c.yaml" && same=$((same + 1))
done
printf 'krusty corpus: %d cases kubectl builds, %d byte-identical outputs\n' "${#cases[@]}" "$same"
printf '  gantry kustomize   %8.3f s  (best of %d)\n' "$g" "$RUNS"
printf '  kubectl kustomize  %8.3f s  (best of %d)\n' "$k" "$KUBECTL_RUNS"
printf '  ratio (kubectl/gantry) %6.1fx\n' "$(echo "$k / $g" | bc -l)"
