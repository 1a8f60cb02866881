#!/usr/bin/env bash
# The dashboard at scale, against `gantry sandbox`: DEPLOYMENTS
# GantryDeployments whose statuses list OBJECTS managed objects each (100 x
# 100 = 10,000; the statuses are written directly, no controller runs, so the
# objects themselves are not created). Measures:
#  - the server's answer times (median and max of RUNS) for GET /api/deployments,
#    /api/session, /api/deployment of one deployment (OBJECTS GETs behind it)
#    and an action made with a user's Kubernetes token (--token-review);
#  - in headless Chromium, the time from the page's load to the overview
#    table holding every row (median of RUNS page loads).
# Bars (issue 18): API answers under 50 ms, the overview rendered under
# 500 ms after load. No other dashboard runs here to compare with.
# DEPLOYMENTS=100, OBJECTS=100, RUNS=20, GANTRY=binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-$PWD/build/release/gantry}
DEPLOYMENTS=${DEPLOYMENTS:-100}
OBJECTS=${OBJECTS:-100}
RUNS=${RUNS:-20}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
command -v kubectl >/dev/null && command -v chromium >/dev/null && command -v node >/dev/null ||
  { echo "kubectl, chromium and node are needed" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$GANTRY" sandbox --listen 127.0.0.1:0 --kubeconfig-out "$work/kubeconfig" >"$work/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/kubeconfig" ]] && break; sleep 0.1; done
export KUBECONFIG=$work/kubeconfig
for _ in $(seq 100); do kubectl get ns default >/dev/null 2>&1 && break; sleep 0.1; done
"$GANTRY" controller --crds | kubectl apply --server-side -f - >/dev/null

python3 - "$work" "$DEPLOYMENTS" "$OBJECTS" <<'PY'
import json, sys
work, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(f"{work}/deployments.yaml", "w") as f:
    for i in range(n):
        f.write(f"""---
apiVersion: gantry.dev/v1alpha1
kind: GantryDeployment
metadata: {{name: d{i}, namespace: default}}
spec:
  source: {{git: {{url: "https://git.example/repo{i}.git", path: project}}}}
  target: t{i}
  interval: 10m
""")
for i in range(n):
    inv = [f"Namespace ns-{i}"] + [f"ConfigMap ns-{i}/config-{j}" for j in range(m - 1)]
    status = {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
              "message": "deployed", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}],
              "lastAppliedRevision": f"main@sha1:{i:040x}", "managedObjects": m, "inventory": inv,
              "lastResult": {"applied": m, "unchanged": 0, "pruned": 0, "hooks": 0, "failed": 0,
                             "durationMs": 100, "time": "2026-01-01T00:00:00Z"},
              "driftRepairs": i % 3, "recentRepairs": []}}
    with open(f"{work}/status-{i}.json", "w") as f:
        json.dump(status, f)
PY
kubectl apply --server-side -f "$work/deployments.yaml" >/dev/null
for i in $(seq 0 $((DEPLOYMENTS - 1))); do
  kubectl patch gantrydeployment "d$i" -n default --subresource=status --type=merge \
    --patch-file "$work/status-$i.json" >/dev/null
done

# A user who may reconcile (patch GantryDeployments), for the actions' timing.
kubectl create serviceaccount bench -n default >/dev/null
kubectl create role bench -n default --verb=get,patch --resource=gantrydeployments.gantry.dev >/dev/null
kubectl create rolebinding bench -n default --role=bench --serviceaccount=default:bench >/dev/null

"$GANTRY" dashboard --kubeconfig "$KUBECONFIG" --listen 127.0.0.1:0 --token-review \
  --cache-dir "$work/cache" >"$work/dashboard.log" 2>&1 &
pids+=($!)
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/dashboard.log" || true)
  [[ -n "$url" ]] && break
  sleep 0.1
done
for _ in $(seq 100); do
  n=$( (curl -s "$url/api/deployments" || true) | (grep -o '"kind":"GantryDeployment"' || true) | wc -l)
  [[ "$n" -ge "$DEPLOYMENTS" ]] && break
  sleep 0.1
done
echo "deployments: $DEPLOYMENTS, managed objects listed in their statuses: $((DEPLOYMENTS * OBJECTS))"

# measure LABEL CURL-ARGS...: RUNS requests, their median and max answer time.
measure() {
  local label=$1 times=()
  shift
  for _ in $(seq "$RUNS"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$@")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {printf "%s: median %.1f ms, max %.1f ms (%d runs)\n", l, a[int((NR+1)/2)]*1000, a[NR]*1000, NR}'
}
measure "GET /api/deployments" "$url/api/deployments"
measure "GET /api/session" "$url/api/session"
# One deployment's page: its $OBJECTS managed objects read with a GET each
# (the ConfigMaps do not exist: every one is "missing").
measure "GET /api/deployment ($OBJECTS objects)" \
  "$url/api/deployment?kind=GantryDeployment&namespace=default&name=d0"
# An action with a user's Kubernetes token: TokenReview, SubjectAccessReview,
# then the merge patch (reconcile).
token=$(kubectl create token bench -n default)
measure "POST /api/actions/reconcile (TokenReview + SubjectAccessReview + patch)" \
  -X POST --data "" -H "Authorization: Bearer $token" -H "X-Gantry-CSRF: 1" \
  "$url/api/actions/reconcile?kind=GantryDeployment&namespace=default&name=d0"

profile=$work/chromium
mkdir -p "$profile"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --remote-debugging-port=0 --window-size=1280,900 about:blank \
  >"$work/chromium.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [[ -s "$profile/DevToolsActivePort" ]] && break; sleep 0.1; done
port=$(head -1 "$profile/DevToolsActivePort")
cdp() { node --no-warnings --experimental-websocket tests/e2e/browser/cdp.mjs "$port" "$@"; }
renders=()
for _ in $(seq "$RUNS"); do
  cdp open "about:blank" >/dev/null
  cdp open "$url/#/" >/dev/null
  # From the load event to the table holding every row (the page marks each render).
  renders+=("$(cdp wait "(() => { const m = performance.getEntriesByName('overview-rows-$DEPLOYMENTS')[0]; const n = performance.getEntriesByType('navigation')[0]; return m && n.loadEventEnd > 0 && String(Math.max(0, m.startTime - n.loadEventEnd)); })()" 20000 | tr -d '"')")
done
printf '%s\n' "${renders[@]}" | sort -n | awk '{a[NR]=$1} END {printf "overview rendered after load: median %.0f ms, max %.0f ms (%d loads)\n", a[int((NR+1)/2)], a[NR], NR}'
