#!/usr/bin/env bash
# gantry build against buildah bud (Debian's buildah, the daemonless peer) on
# the same Dockerfile and context in the same run: a COPY-heavy image
# (FILES files, SIZE_MB MB in all, text-like content), a RUN step, and a
# second stage that COPY --from's the data; both write an OCI layout.
#  - cold: empty caches (gantry --cache-dir, buildah --root) each run;
#  - unchanged: the same build again with the warm cache.
# The base image is busybox-static, made here (no network). Prints min,
# median and max of RUNS runs, the ratios, and whether gantry's cold builds
# all gave one digest. Bars (issue 14): cold >= 3x faster, unchanged >= 10x.
# Needs root (namespaces, overlayfs). FILES=5000 SIZE_MB=200 RUNS=3
# GANTRY=binary (default: the release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-$PWD/build/release/gantry}
FILES=${FILES:-5000}
SIZE_MB=${SIZE_MB:-200}
RUNS=${RUNS:-3}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
command -v buildah >/dev/null && [[ -x /bin/busybox ]] || { echo "buildah and busybox-static are needed (scripts/install-deps.sh)" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 2; }

work=/tmp/gantry-bench-build-$$   # lower case: buildah names images after oci: paths
mkdir -p "$work"
cleanup() { buildah --root "$work/b-root" --runroot "$work/b-run" rm -a >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

# The base image: busybox-static, written by gantry to an OCI layout.
mkdir -p "$work/base-ctx/rootfs/bin" "$work/base-ctx/rootfs/etc" "$work/base-ctx/rootfs/tmp"
cp /bin/busybox "$work/base-ctx/rootfs/bin/"
for a in $(/bin/busybox --list); do [[ $a == busybox ]] || ln -s busybox "$work/base-ctx/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/base-ctx/rootfs/etc/passwd"
printf 'FROM scratch\nCOPY rootfs/ /\n' >"$work/base-ctx/Dockerfile"
"$GANTRY" build "$work/base-ctx" --cache-dir "$work/base-cache" -o "oci:$work/base:latest" >/dev/null 2>&1

# The context: FILES files in 50 directories, SIZE_MB MB of base64 text.
python3 - "$work/ctx" "$FILES" "$SIZE_MB" <<'PY'
import base64, os, random, sys
root, files, size_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(14)
per = size_mb * 1024 * 1024 // files
for i in range(files):
    d = os.path.join(root, "data", f"d{i % 50:02d}")
    os.makedirs(d, exist_ok=True)
    raw = rng.randbytes(per * 3 // 4)
    with open(os.path.join(d, f"f{i:05d}"), "wb") as f:
        f.write(base64.encodebytes(raw)[:per])
PY
cat >"$work/ctx/Dockerfile" <<DF
FROM oci:$work/base:latest AS build
COPY data/ /data/
RUN find /data -type f | wc -l > /count && md5sum /data/d00/f00000 > /sum
FROM oci:$work/base:latest
COPY --from=build /data /data
COPY --from=build /count /sum /
DF

now() { date +%s.%N; }
stats() { sort -n | awk '{v[NR]=$1} END {printf "min %.2f s  median %.2f s  max %.2f s", v[1], v[int((NR+1)/2)], v[NR]}'; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

gantry_build() {  # cache-dir output
  "$GANTRY" build "$work/ctx" --cache-dir "$1" -o "oci:$2:latest" 2>/dev/null | tail -1
}
buildah_build() {  # root output
  buildah --root "$1" --runroot "$work/b-run" bud --layers --isolation chroot -q -t bench "$work/ctx" >/dev/null 2>&1
  buildah --root "$1" --runroot "$work/b-run" push -q bench "oci:$2:latest" >/dev/null 2>&1
}

: >"$work/g-cold"; : >"$work/g-warm"; : >"$work/b-cold"; : >"$work/b-warm"; : >"$work/digests"
for i in $(seq "$RUNS"); do
  rm -rf "$work/g-cache" "$work/g-out"; sync
  t0=$(now); gantry_build "$work/g-cache" "$work/g-out" >>"$work/digests"; t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/g-cold"
  t0=$(now); gantry_build "$work/g-cache" "$work/g-out" >/dev/null; t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/g-warm"
  rm -rf "$work/b-root" "$work/b-out"; sync
  t0=$(now); buildah_build "$work/b-root" "$work/b-out"; t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/b-cold"
  t0=$(now); buildah_build "$work/b-root" "$work/b-out"; t1=$(now)
  echo "$t1 - $t0" | bc >>"$work/b-warm"
done

echo "context: $FILES files, $SIZE_MB MB; $RUNS runs each; output to an OCI layout"
echo "gantry  cold:      $(stats <"$work/g-cold")"
echo "buildah cold:      $(stats <"$work/b-cold")"
echo "gantry  unchanged: $(stats <"$work/g-warm")"
echo "buildah unchanged: $(stats <"$work/b-warm")"
gc=$(median <"$work/g-cold"); bc_=$(median <"$work/b-cold"); gw=$(median <"$work/g-warm"); bw=$(median <"$work/b-warm")
echo "ratio cold (buildah/gantry, medians):      $(echo "scale=1; $bc_ / $gc" | bc)x (bar: >= 3x)"
echo "ratio unchanged (buildah/gantry, medians): $(echo "scale=1; $bw / $gw" | bc)x (bar: >= 10x)"
echo "gantry cold digests: $(sort -u "$work/digests" | wc -l) distinct of $RUNS builds ($(sort -u "$work/digests" | head -1))"
