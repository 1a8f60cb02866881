#!/usr/bin/env bash
# Benchmark: gantry update vs the course's find | grep | sed pipeline
# (examples/course/github-actions/Taskfile.yaml, task update-image-tags) on a
# synthetic repository of FILES YAML files, MARKED of them with the course's
# `# STAGING_IMAGE_TAG` marker (default 10,000 / 1,000). Each run starts from a
# fresh copy of the same tree. Checks that both tools changed exactly the
# marked lines to the same bytes, prints the best of RUNS (gantry) and
# SED_RUNS (pipeline) wall-clock times and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
GANTRY=${GANTRY:-build/release/gantry}
FILES=${FILES:-10000}
MARKED=${MARKED:-1000}
RUNS=${RUNS:-5}
SED_RUNS=${SED_RUNS:-1}
NEW_TAG=${NEW_TAG:-1.2.3}
[[ -x "$GANTRY" ]] || { echo "build gantry first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
GANTRY=$(realpath "$GANTRY")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/update/gen_repo.py "$work/orig" "$FILES" "$MARKED"

# The course's pipeline, as in its Taskfile (one grep per file found, the
# exclusion check and one sed per marked file).
course_pipeline() {
  local STARTING_PATH=$1 IDENTIFIER_COMMENT="# STAGING_IMAGE_TAG"
  local EXCLUDED_FILES="$STARTING_PATH/Taskfile.yaml
MORE_FILES_CAN_GO_HERE"
  find "$STARTING_PATH" -type f \( -name "*.yaml" -o -name "*.yml" \) -exec grep -l "$IDENTIFIER_COMMENT" {} \; | while read -r file; do
    if ! echo "$EXCLUDED_FILES" | grep -q "$file"; then
      echo "Updating: $file"
      sed -i "s|\(\s*.*:\s*\).* \($IDENTIFIER_COMMENT\)|\1$NEW_TAG \2|" "$file"
    fi
  done
}

now() { date +%s.%N; }

best() {  # best wall time of $1 runs of "${@:3}" on a fresh copy at $work/$2
  local runs=$1 copy=$2 best="" i t0 t1 t
  shift 2
  for ((i = 0; i < runs; i++)); do
    rm -rf "${work:?}/$copy"
    cp -a "$work/orig" "$work/$copy"
    sync
    t0=$(now)
    "$@" "$work/$copy" >"$work/$copy.out"
    t1=$(now)
    t=$(echo "$t1 - $t0" | bc -l)
    if [[ -z "$best" ]] || (($(echo "$t < $best" | bc -l))); then best=$t; fi
  done
  echo "$best"
}

gantry_update() { "$GANTRY" update "$1" --marker "STAGING_IMAGE_TAG=$NEW_TAG"; }

g=$(best "$RUNS" gantry gantry_update)
s=$(best "$SED_RUNS" sed course_pipeline)

# Both changed exactly the marked files, to the same bytes.
changed_g=$(grep -c ' -> ' "$work/gantry.out" || true)
changed_s=$(grep -c '^Updating: ' "$work/sed.out" || true)
if ! diff -r "$work/gantry" "$work/sed" >/dev/null; then
  echo "MISMATCH: gantry and the sed pipeline wrote different trees:" >&2
  diff -r "$work/gantry" "$work/sed" | head -20 >&2
  exit 1
fi
differing=$(diff -rq "$work/orig" "$work/gantry" | wc -l || true)
left=$(grep -rl "1.0.0 # STAGING_IMAGE_TAG" "$work/gantry" | wc -l || true)
now_set=$(grep -rl "version: $NEW_TAG # STAGING_IMAGE_TAG" "$work/gantry" | wc -l || true)
if [[ "$differing" -ne "$MARKED" || "$left" -ne 0 || "$now_set" -ne "$MARKED" || "$changed_g" -ne "$MARKED" ]]; then
  echo "UNEXPECTED: $differing files changed, $now_set set, $left left, gantry reported $changed_g" >&2
  exit 1
fi
echo "same result: $MARKED marked files changed identically by both, every other file untouched"

printf 'update %d YAML files (%d with # STAGING_IMAGE_TAG), best of %d / %d runs\n' "$FILES" "$MARKED" "$RUNS" "$SED_RUNS"
printf '  gantry update            %8.3f s  (%d changes)\n' "$g" "$changed_g"
printf '  find|grep|sed (course)   %8.3f s  (%d files)\n' "$s" "$changed_s"
printf '  ratio (sed/gantry)       %8.1fx\n' "$(echo "$s / $g" | bc -l)"
