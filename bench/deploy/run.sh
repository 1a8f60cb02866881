#!/usr/bin/env bash
# gantry deploy against kubectl apply --server-side: the same 1,000 objects
# (ConfigMaps, Services, Deployments in one namespace) applied to a fresh
# `gantry sandbox` each, then applied again with nothing changed (no-op).
# Bars (issue 6): first apply >= 5x faster, no-op >= 10x faster.
# N=objects (default 1000), JOBS=gantry -j (default 16), RUNS=runs, medians
# printed (default 3), GANTRY=binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-$PWD/build/release/gantry}
N=${N:-1000}
JOBS=${JOBS:-16}
RUNS=${RUNS:-3}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "kubectl is needed" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# --- the project: one namespace and N objects, a file each ------------------
proj=$work/project
mkdir -p "$proj/manifests" "$work/plain"
cat > "$proj/.gantry.yaml" <<'Y'
targets:
  - name: bench
discriminator: bench-{{ target.name }}
Y
printf 'deployments:\n  - path: namespace\n  - barrier: true\n  - path: manifests\n' > "$proj/deployment.yaml"
mkdir -p "$proj/namespace"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n' > "$proj/namespace/ns.yaml"
python3 - "$proj/manifests" "$N" <<'PY'
import sys, os
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    k = i % 10
    if k < 4:
        body = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{i}
  namespace: bench
  labels: {{app: app-{i}}}
data:
  index: "{i}"
  settings.yaml: |
    name: app-{i}
    replicas: 2
"""
    elif k < 7:
        body = f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
  namespace: bench
  labels: {{app: app-{i}}}
spec:
  selector: {{app: app-{i}}}
  ports:
    - name: http
      port: 80
      targetPort: 8080
"""
    else:
        body = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: bench
  labels: {{app: app-{i}}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{i}
          ports:
            - containerPort: 8080
          env:
            - name: INDEX
              value: "{i}"
"""
    open(os.path.join(d, f"obj-{i:05d}.yaml"), "w").write(body)
PY
# kubectl gets exactly what gantry applies (labels included).
"$GANTRY" render --project "$proj" -t bench -o "$work/plain" >/dev/null
kubectl_dir=$work/kubectl
mkdir -p "$kubectl_dir"
find "$work/plain/manifests" -name '*.yaml' -exec cp {} "$kubectl_dir/" \;
count=$(ls "$kubectl_dir" | wc -l)
kubectl_ns=$work/plain/namespace/Namespace-bench.yaml

start_sandbox() {  # $1: name; sets kc to the kubeconfig path
  kc=$work/$1.kubeconfig
  "$GANTRY" sandbox --kubeconfig-out "$kc" --ready-delay 1h >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [[ -s "$kc" ]] && grep -q serving "$work/$1.log" && break; sleep 0.05; done
}
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
k_firsts=(); k_noops=(); g_firsts=(); g_noops=()
for run in $(seq "$RUNS"); do
  # --- kubectl (a fresh sandbox per run) -------------------------------------
  start_sandbox "kubectl-$run"
  export KUBECACHEDIR=$work/kubectl-cache-$run
  # The namespace first (kubectl applies a directory in file-name order).
  kapply() { kubectl --kubeconfig "$kc" apply --server-side -f "$kubectl_ns" >/dev/null &&
             kubectl --kubeconfig "$kc" apply --server-side -f "$kubectl_dir" >/dev/null; }
  t=$(now); kapply; k_firsts+=("$(elapsed "$t")")
  t=$(now); kapply; k_noops+=("$(elapsed "$t")")
  k_count=$(kubectl --kubeconfig "$kc" get cm,svc,deploy -n bench -o name | wc -l)

  # --- gantry ------------------------------------------------------------------
  start_sandbox "gantry-$run"
  export GANTRY_CACHE_DIR=$work/gantry-cache-$run
  t=$(now); "$GANTRY" deploy --project "$proj" -t bench --kubeconfig "$kc" --yes -j "$JOBS" >"$work/first.out"; g_firsts+=("$(elapsed "$t")")
  t=$(now); "$GANTRY" deploy --project "$proj" -t bench --kubeconfig "$kc" --yes -j "$JOBS" >"$work/noop.out"; g_noops+=("$(elapsed "$t")")
  g_count=$(kubectl --kubeconfig "$kc" get cm,svc,deploy -n bench -o name | wc -l)
  grep -q "nothing to do" "$work/noop.out" || { echo "the no-op deploy was not a no-op:" >&2; cat "$work/noop.out" >&2; exit 1; }
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
done
k_first=$(median "${k_firsts[@]}"); k_noop=$(median "${k_noops[@]}")
g_first=$(median "${g_firsts[@]}"); g_noop=$(median "${g_noops[@]}")
echo "runs: kubectl first ${k_firsts[*]}; no-op ${k_noops[*]}"
echo "runs: gantry  first ${g_firsts[*]}; no-op ${g_noops[*]}"
printf 'objects: %s files (+1 namespace); in cluster after apply: kubectl %s, gantry %s\n' "$count" "$k_count" "$g_count"
printf 'medians of %s runs\n%-22s %10s %10s %8s\n' "$RUNS" "" "kubectl" "gantry" "ratio"
printf '%-22s %9.3fs %9.3fs %7.1fx\n' "first apply" "$k_first" "$g_first" "$(echo "$k_first / $g_first" | bc -l)"
printf '%-22s %9.3fs %9.3fs %7.1fx\n' "no-op re-apply" "$k_noop" "$g_noop" "$(echo "$k_noop / $g_noop" | bc -l)"
echo "bars: first apply >= 5x, no-op >= 10x (gantry -j $JOBS)"
