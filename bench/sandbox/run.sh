#!/usr/bin/env bash
# Load benchmark for `gantry sandbox`: 10,000 objects created and listed over
# HTTPS; prints create throughput, list latency and server memory.
# N=objects CONCURRENCY=connections PERSIST=1 (run with --data).
# No peer runs here: a real kube-apiserver (kind, k3s, envtest) cannot run on
# these machines, so the figures are absolute.
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-build/release/gantry}
N=${N:-10000}
CONCURRENCY=${CONCURRENCY:-8}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
exec python3 bench/sandbox/load.py "$GANTRY" "$N" "$CONCURRENCY"
