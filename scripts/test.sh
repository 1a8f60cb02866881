#!/usr/bin/env bash
# Installs what is needed, builds with warnings as errors and runs every test
# (unit, integration, e2e); then the unit tests again under ASan+UBSan, and a
# short run of each fuzz target. Exit code: 0 when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
JOBS=$(nproc)

echo "== build (debug, -Werror)"
cmake --preset debug >/dev/null
cmake --build --preset debug -j "$JOBS"
echo "== tests (unit, integration, e2e)"
ctest --preset debug -j "$JOBS" --timeout 600

echo "== sanitizers: unit tests under ASan+UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$JOBS" --timeout 600

if [[ "${GANTRY_SKIP_FUZZ:-}" != "1" ]]; then
  echo "== fuzz targets: ${GANTRY_FUZZ_SECONDS:-20}s each"
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$JOBS"
  for f in build/fuzz/fuzz/fuzz_*; do
    [[ -x "$f" ]] || continue
    name=$(basename "$f")
    corpus=fuzz/corpus/${name#fuzz_}
    work=$(mktemp -d)
    [[ -d "$corpus" ]] && cp -r "$corpus"/. "$work"/
    echo "-- $name"
    "$f" -max_total_time="${GANTRY_FUZZ_SECONDS:-20}" -max_len=65536 -rss_limit_mb=2048 "$work" 2>&1 | tail -n 3
    rm -rf "$work"
  done
fi
echo "== all tests passed"
