#!/usr/bin/env bash
# The GitOps controller at scale, against `gantry sandbox` and `git daemon`:
#  - 50 GantryDeployments (one target each) managing 10,000 objects in all
#    (200 per target: ConfigMaps, Services, Deployments), deployed from Git;
#  - drift-repair latency: 100 edits of managed objects, each measured from
#    the edit's response to the repaired object showing up in a watch
#    (median and p99);
#  - the controller's memory (RSS, and its peak) once everything is deployed,
#    and its CPU while idle for a minute.
# Bars (issues 12, 13): median repair <= 1 s, p99 <= 2 s, RSS <= 64 MB,
# idle CPU <= 1% of one core with no periodic re-lists. For scale:
# Flux and kluctl repair drift only at their next interval (minutes), and
# Argo CD users report 400-800 MiB for its application controller with a
# dozen applications (no Argo CD can run here to measure side by side).
# DEPLOYMENTS=50, OBJECTS=200 (per deployment), EDITS=100, IDLE=60 (seconds),
# GANTRY=binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-$PWD/build/release/gantry}
DEPLOYMENTS=${DEPLOYMENTS:-50}
OBJECTS=${OBJECTS:-200}
EDITS=${EDITS:-100}
IDLE=${IDLE:-60}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
command -v kubectl >/dev/null || { echo "kubectl is needed" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; if [[ -n "${KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

# --- the project: DEPLOYMENTS targets, OBJECTS objects each --------------------
repo=$work/seed
mkdir -p "$repo/project/objects" "$repo/project/namespace"
python3 - "$repo/project" "$DEPLOYMENTS" "$OBJECTS" <<'PY'
import sys, os
d, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f"{d}/.gantry.yaml", "w") as f:
    f.write("targets:\n")
    for i in range(n):
        f.write(f"  - name: t{i}\n")
    f.write("discriminator: bench-{{ target.name }}\n")
with open(f"{d}/deployment.yaml", "w") as f:
    f.write("deployments:\n  - path: namespace\n  - barrier: true\n  - path: objects\n")
with open(f"{d}/namespace/ns.yaml", "w") as f:
    f.write("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{{ target.name }}\n")
for i in range(m - 1):
    k = i % 10
    if k < 7:
        body = f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{i}
  namespace: ns-{{{{ target.name }}}}
data:
  index: "{i}"
  value: original
"""
    elif k < 9:
        body = f"""apiVersion: v1
kind: Service
metadata:
  name: svc-{i}
  namespace: ns-{{{{ target.name }}}}
spec:
  selector: {{app: app-{i}}}
  ports: [{{port: 80, targetPort: 8080}}]
"""
    else:
        body = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: ns-{{{{ target.name }}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: app-{i}}}}}
  template:
    metadata: {{labels: {{app: app-{i}}}}}
    spec:
      containers: [{{name: app, image: "registry.local/app:{i}"}}]
"""
    with open(f"{d}/objects/obj-{i}.yaml", "w") as f:
        f.write(body)
PY
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=bench -c user.email=bench@localhost add -A
git -C "$repo" -c user.name=bench -c user.email=bench@localhost commit -q -m project
mkdir -p "$work/repos"
git clone -q --bare "$repo" "$work/repos/app.git"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$work/repos" --export-all "$work/repos" >"$work/daemon.log" 2>&1 &
pids+=($!)

# --- the cluster and the controller -----------------------------------------------
mkdir -p "$work/sandbox"; "$GANTRY" sandbox --kubeconfig-out "$work/sandbox/kubeconfig" --ready-delay 200ms >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/sandbox/kubeconfig" ]] && break; sleep 0.1; done
export KUBECONFIG=$work/sandbox/kubeconfig
"$GANTRY" controller --crds | kubectl apply --server-side -f - >/dev/null
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$GANTRY" controller --kubeconfig "$KUBECONFIG" --cache-dir "$work/cache" --log-format json \
  --listen "127.0.0.1:$mport" >"$work/controller.log" 2>&1 &
cpid=$!
pids+=($cpid)

start=$(date +%s.%N)
for i in $(seq 0 $((DEPLOYMENTS - 1))); do
  cat <<Y
apiVersion: gantry.dev/v1alpha1
kind: GantryDeployment
metadata: {name: d$i, namespace: default}
spec:
  source: {git: {url: "git://127.0.0.1:$port/app.git", path: project}}
  target: t$i
  interval: 30m
---
Y
done | kubectl apply --server-side -f - >/dev/null
echo "waiting for $DEPLOYMENTS deployments ($((DEPLOYMENTS * OBJECTS)) objects) to be Ready..."
for _ in $(seq 1200); do
  ready=$(kubectl get gd -n default -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
  [[ "$ready" -ge "$DEPLOYMENTS" ]] && break
  sleep 0.5
done
end=$(date +%s.%N)
[[ "$ready" -ge "$DEPLOYMENTS" ]] || { echo "only $ready of $DEPLOYMENTS Ready"; tail -20 "$work/controller.log"; exit 1; }
managed=$(kubectl get gd -n default -o jsonpath='{range .items[*]}{.status.managedObjects}{"\n"}{end}' | awk '{s+=$1} END {print s}')
printf 'initial deploy: %d deployments, %d managed objects in %.1f s\n' "$DEPLOYMENTS" "$managed" "$(echo "$end - $start" | bc)"

rss() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$cpid/status"; }
hwm() { awk '/^VmHWM/ {printf "%.1f", $2/1024}' "/proc/$cpid/status"; }
echo "controller RSS after deploy: $(rss) MB (peak $(hwm) MB; bar 64 MB)"

# --- drift-repair latency -----------------------------------------------------------
python3 "$(dirname "$0")/drift.py" "$KUBECONFIG" "$EDITS"

# --- idle CPU -----------------------------------------------------------------------
# From /metrics: reconciles and watch restarts during the idle minute (a
# re-list storm would show as restarts, a busy loop as reconciles).
metric() { curl -s "http://127.0.0.1:$mport/metrics" | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { printf "%d", s }'; }
r0=$(metric 'gantry_reconciles_total{'); w0=$(metric 'gantry_watch_restarts_total ')
t0=$(awk '{print $14 + $15}' "/proc/$cpid/stat")
sleep "$IDLE"
t1=$(awk '{print $14 + $15}' "/proc/$cpid/stat")
r1=$(metric 'gantry_reconciles_total{'); w1=$(metric 'gantry_watch_restarts_total ')
hz=$(getconf CLK_TCK)
printf 'idle CPU over %ss: %.2f%% of one core (bar 1%%); during it: %d reconciles, %d watch restarts\n' \
  "$IDLE" "$(echo "($t1 - $t0) * 100 / $hz / $IDLE" | bc -l)" "$((r1 - r0))" "$((w1 - w0))"
echo "controller RSS at the end: $(rss) MB (peak $(hwm) MB)"
