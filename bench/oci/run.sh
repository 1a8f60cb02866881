#!/usr/bin/env bash
# OCI image transfer benchmark: gantry vs `skopeo copy` on the same 1 GiB,
# 8-layer image of incompressible data, in the same run, plus the floor (the
# same blobs moved with parallel raw curl requests: `curl -T` PUT uploads, and
# GET downloads for the pull path). Three paths:
#   A. OCI layout -> local registry      (gantry push  / skopeo copy oci: docker://)
#   B. registry   -> another registry    (gantry copy  / skopeo copy docker:// docker://)
#   C. registry   -> OCI layout          (gantry pull  / skopeo copy docker:// oci:)
# Every destination registry is fresh (its own docker-registry process and
# storage), so no run profits from an earlier one. Also prints the SHA-256
# throughput of gantry's digest code.
#
# Usage: bash bench/oci/run.sh   (env: GANTRY=path/to/gantry, SHA_BENCH=path,
#        BENCH_DIR=scratch dir, LAYERS=8, LAYER_MIB=128, JOBS=4)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
GANTRY=${GANTRY:-$ROOT/build/release/gantry}
SHA_BENCH=${SHA_BENCH:-$ROOT/build/release/bench/bench_oci_sha256}
LAYERS=${LAYERS:-8}
LAYER_MIB=${LAYER_MIB:-128}
JOBS=${JOBS:-4}  # gantry's own default; on 2 cores -j 8 loses to the registries' CPU use
for tool in "$GANTRY" docker-registry skopeo curl python3; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/gantry-oci-bench.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
POLICY=$WORK/policy.json
echo '{"default":[{"type":"insecureAcceptAnything"}]}' > "$POLICY"
# Neither tool reads the user's credentials. (Not exported: docker-registry
# would read REGISTRY_AUTH_* as configuration.)
export DOCKER_CONFIG=$WORK/docker

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# start_registry NAME -> sets REG (host:port); storage under $WORK/NAME
start_registry() {
  local name=$1 port
  port=$(free_port)
  mkdir -p "$WORK/$name"
  cat > "$WORK/$name.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/$name
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$WORK/$name.yml" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  REG_PID=$!
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$WORK/$name.log" >&2; exit 1; }
  REG=127.0.0.1:$port
}
stop_registry() {  # stop_registry NAME
  kill "$REG_PID" 2>/dev/null || true
  wait "$REG_PID" 2>/dev/null || true
  rm -rf "${WORK:?}/$1"
}

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }

echo "generating a $LAYERS x $LAYER_MIB MiB image of random data (gzip, stored blocks) ..." >&2
MANIFEST=$(python3 - "$WORK/src" "$LAYERS" "$LAYER_MIB" <<'PY'
import gzip, hashlib, json, os, sys
root, layers, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{root}/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{root}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return "sha256:" + d
descs, diff_ids = [], []
for i in range(layers):
    raw = os.urandom(mib << 20)
    gz = gzip.compress(raw, compresslevel=0, mtime=0)
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob(gz), "size": len(gz)})
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(cfg), "size": len(cfg)},
                  "layers": descs}).encode()
md = blob(man)
open(f"{root}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
           "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}, open(f"{root}/index.json", "w"))
print(md)
PY
)
SRC=$WORK/src
# The floors move the config and the layers (the manifest is not a blob upload).
BLOBS=$(ls "$SRC/blobs/sha256" | grep -v "${MANIFEST#sha256:}")
sync

# floor_upload: every blob PUT with curl -T in parallel (POST for the upload URL first).
floor_upload() {
  local reg=$1 repo=$2
  local t0; t0=$(now)
  for b in $BLOBS; do
    (
      loc=$(curl -sS -D - -o /dev/null -X POST "http://$reg/v2/$repo/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
      case $loc in http*) ;; *) loc="http://$reg$loc" ;; esac
      sep='?'; [[ $loc == *\?* ]] && sep='&'
      curl -sS -f -o /dev/null -T "$SRC/blobs/sha256/$b" -H 'Content-Type: application/octet-stream' \
        "$loc${sep}digest=sha256:$b"
    ) &
  done
  wait
  elapsed "$t0"
}
# floor_relay: every blob streamed from one registry into another by two
# curls (GET | PUT -T -) in parallel: what registry -> registry costs when
# the source registry's serving is counted too.
floor_relay() {
  local src=$1 dst=$2 repo=$3
  local t0; t0=$(now)
  for b in $BLOBS; do
    (
      loc=$(curl -sS -D - -o /dev/null -X POST "http://$dst/v2/$repo/blobs/uploads/" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
      case $loc in http*) ;; *) loc="http://$dst$loc" ;; esac
      sep='?'; [[ $loc == *\?* ]] && sep='&'
      curl -sS -f "http://$src/v2/$repo/blobs/sha256:$b" |
        curl -sS -f -o /dev/null -T - -H 'Content-Type: application/octet-stream' "$loc${sep}digest=sha256:$b"
    ) &
  done
  wait
  elapsed "$t0"
}
# floor_download: every blob GET with curl in parallel.
floor_download() {
  local reg=$1 repo=$2 out=$3
  mkdir -p "$out"
  local t0; t0=$(now)
  for b in $BLOBS; do curl -sS -f -o "$out/$b" "http://$reg/v2/$repo/blobs/sha256:$b" & done
  wait
  elapsed "$t0"
}

G=(--insecure -j "$JOBS")
SK=(env REGISTRY_AUTH_FILE="$WORK/auth.json" skopeo --policy "$POLICY")
declare -A T

echo "A. OCI layout -> registry" >&2
start_registry a1; t0=$(now); "$GANTRY" push "${G[@]}" "oci:$SRC:v1" "$REG/bench/app:v1" >/dev/null 2>&1; T[A_gantry]=$(elapsed "$t0"); stop_registry a1
start_registry a2; t0=$(now); "${SK[@]}" copy -q --dest-tls-verify=false "oci:$SRC:v1" "docker://$REG/bench/app:v1" >/dev/null; T[A_skopeo]=$(elapsed "$t0"); stop_registry a2
start_registry a3; T[A_floor]=$(floor_upload "$REG" bench/app); stop_registry a3

echo "B. registry -> registry" >&2
start_registry srcreg; SRCREG=$REG; SRCPID=$REG_PID
"$GANTRY" push "${G[@]}" "oci:$SRC:v1" "$SRCREG/bench/app:v1" >/dev/null 2>&1
start_registry b1; t0=$(now); "$GANTRY" copy "${G[@]}" "$SRCREG/bench/app:v1" "$REG/bench/app:v1" >/dev/null 2>&1; T[B_gantry]=$(elapsed "$t0"); stop_registry b1
start_registry b2; t0=$(now); "${SK[@]}" copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$SRCREG/bench/app:v1" "docker://$REG/bench/app:v1" >/dev/null; T[B_skopeo]=$(elapsed "$t0"); stop_registry b2
start_registry b3; T[B_floor]=$(floor_upload "$REG" bench/app); stop_registry b3
start_registry b4; T[B_relay]=$(floor_relay "$SRCREG" "$REG" bench/app); stop_registry b4

echo "C. registry -> OCI layout" >&2
t0=$(now); "$GANTRY" pull "${G[@]}" "$SRCREG/bench/app:v1" "oci:$WORK/c1:v1" >/dev/null 2>&1; T[C_gantry]=$(elapsed "$t0"); rm -rf "$WORK/c1"
t0=$(now); "${SK[@]}" copy -q --src-tls-verify=false "docker://$SRCREG/bench/app:v1" "oci:$WORK/c2:v1" >/dev/null; T[C_skopeo]=$(elapsed "$t0"); rm -rf "$WORK/c2"
T[C_floor]=$(floor_download "$SRCREG" bench/app "$WORK/c3"); rm -rf "$WORK/c3"

MIB=$(( (LAYERS * LAYER_MIB) ))
printf '\nOCI transfer benchmark: %d layers x %d MiB (%d MiB), gantry -j %d\n' "$LAYERS" "$LAYER_MIB" "$MIB" "$JOBS"
printf '%-28s %9s %9s %9s %14s %14s\n' path gantry skopeo floor skopeo/gantry gantry/floor
for p in A B C; do
  case $p in A) name="layout -> registry";; B) name="registry -> registry";; C) name="registry -> layout";; esac
  g=${T[${p}_gantry]} s=${T[${p}_skopeo]} f=${T[${p}_floor]}
  printf '%-28s %8.2fs %8.2fs %8.2fs %13.2fx %13.2fx\n' "$name" "$g" "$s" "$f" "$(echo "$s/$g" | bc -l)" "$(echo "$g/$f" | bc -l)"
done
echo "(floor: parallel curl -T PUT uploads for A and B, parallel curl GET downloads for C)"
printf 'B with the relay floor (parallel curl GET | curl -T - PUT): %.2fs, gantry/relay %.2fx\n' \
  "${T[B_relay]}" "$(echo "${T[B_gantry]}/${T[B_relay]}" | bc -l)"
if [[ -x "$SHA_BENCH" ]]; then "$SHA_BENCH" 512; else echo "sha256 bench not built: $SHA_BENCH" >&2; fi
