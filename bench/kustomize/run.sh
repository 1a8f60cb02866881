#!/usr/bin/env bash
# Benchmark: `gantry kustomize` vs `kubectl kustomize` on a synthetic
# three-layer overlay (base <- staging <- production) of APPS x 5 resources
# (default 400 apps: 2,000 resources, plus generators and patches).
# Both run on the same input in the same run; the objects must be the same.
# Prints the best of RUNS wall-clock times for gantry, the time of
# KUBECTL_RUNS kubectl runs (best), and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-build/release/gantry}
KUBECTL=${KUBECTL:-kubectl}
APPS=${APPS:-400}
RUNS=${RUNS:-5}
KUBECTL_RUNS=${KUBECTL_RUNS:-1}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
command -v "$KUBECTL" >/dev/null || { echo "kubectl is needed as the peer" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/kustomize/gen_overlay.py "$work/overlay" "$APPS"
dir="$work/overlay/production"

best() {  # best wall time in seconds of $1 runs of "${@:3}" (output to $2)
  local n=$1 out=$2 best="" i t0 t1 t
  shift 2
  for ((i = 0; i < n; i++)); do
    t0=$(date +%s.%N)
    "$@" >"$out"
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [[ -z "$best" ]] || (($(echo "$t < $best" | bc -l))); then best=$t; fi
  done
  echo "$best"
}

g=$(best "$RUNS" "$work/gantry.yaml" "$GANTRY" kustomize "$dir")
k=$(best "$KUBECTL_RUNS" "$work/kubectl.yaml" "$KUBECTL" kustomize "$dir")

# Same objects? Compare as parsed data, in order; then the bytes.
python3 - "$work/kubectl.yaml" "$work/gantry.yaml" <<'PY'
import sys, yaml
L = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
a = [d for d in yaml.load_all(open(sys.argv[1]), Loader=L) if d is not None]
b = [d for d in yaml.load_all(open(sys.argv[2]), Loader=L) if d is not None]
if a != b:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print(f"objects differ at #{i}:\n{x}\n{y}", file=sys.stderr)
            break
    print(f"MISMATCH: kubectl {len(a)} objects, gantry {len(b)}", file=sys.stderr)
    sys.exit(1)
print(f"same objects: {len(a)}")
PY
if cmp -s "$work/kubectl.yaml" "$work/gantry.yaml"; then echo "same bytes: yes"; else echo "same bytes: no"; fi

resources=$(find "$work/overlay/base/apps" -name '*.yaml' -exec grep -c '^kind:' {} + | awk -F: '{s+=$2} END {print s}')
printf 'kustomize three-layer overlay: %d apps, %d resources in files, %d objects out\n' \
  "$APPS" "$resources" "$(grep -c '^kind:' "$work/gantry.yaml")"
printf '  gantry kustomize   %8.3f s  (best of %d)\n' "$g" "$RUNS"
printf '  kubectl kustomize  %8.3f s  (best of %d)\n' "$k" "$KUBECTL_RUNS"
printf '  ratio (kubectl/gantry) %6.1fx\n' "$(echo "$k / $g" | bc -l)"
