#!/usr/bin/env bash
# Benchmark: gantry render vs Python Jinja2 + PyYAML on a synthetic project of
# ITEMS items x MANIFESTS templated manifests (default 200 x 20 = 4,000 objects).
# Prints the best of RUNS wall-clock times for each and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-build/release/gantry}
ITEMS=${ITEMS:-200}
MANIFESTS=${MANIFESTS:-20}
RUNS=${RUNS:-3}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/render/gen_project.py "$work/project" "$ITEMS" "$MANIFESTS"

best() {  # best wall time in seconds of RUNS runs of "$@" (output to $work/out.N)
  local best="" i t0 t1 t
  for ((i = 0; i < RUNS; i++)); do
    t0=$(date +%s.%N)
    "$@" >"$work/out.$i"
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [[ -z "$best" ]] || (($(echo "$t < $best" | bc -l))); then best=$t; fi
  done
  echo "$best"
}

g=$(best "$GANTRY" render --project "$work/project" -t bench)
gantry_objects=$(grep -c '^kind:' "$work/out.0")
cp "$work/out.0" "$work/gantry.yaml"
p=$(best python3 bench/render/jinja_peer.py "$work/project")
peer_objects=$(grep -c '^kind:' "$work/out.0")

# Same objects? Compare as parsed data (formatting differs between the writers).
python3 - "$work/gantry.yaml" "$work/out.0" <<'PY'
import sys, yaml
L = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
a = list(yaml.load_all(open(sys.argv[1]), Loader=L))
b = list(yaml.load_all(open(sys.argv[2]), Loader=L))
if a != b:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print(f"objects differ at #{i}:\n{x}\n{y}", file=sys.stderr)
            break
    print(f"MISMATCH: gantry {len(a)} objects, peer {len(b)}", file=sys.stderr)
    sys.exit(1)
print(f"same objects: {len(a)}")
PY

printf 'render %d items x %d manifests (%d objects), best of %d runs\n' "$ITEMS" "$MANIFESTS" "$gantry_objects" "$RUNS"
printf '  gantry render          %8.3f s\n' "$g"
printf '  python jinja2+pyyaml   %8.3f s  (%d objects)\n' "$p" "$peer_objects"
printf '  ratio (python/gantry)  %8.1fx\n' "$(echo "$p / $g" | bc -l)"
