#!/usr/bin/env bash
# Rewrites expected.yaml of every case (or of the cases named on the command
# line) with the output of the real `kubectl kustomize` (kustomize v5.5).
# Error cases (an expected-error.txt instead of expected.yaml) are only
# checked: kubectl must fail with a message containing that file's text.
# For developers: the tests never run this; they compare against the stored
# files, and the integration test fails when kubectl disagrees with them.
set -euo pipefail
cd "$(dirname "$0")"
KUBECTL=${KUBECTL:-kubectl}
"$KUBECTL" version --client 2>/dev/null | grep -i kustomize >&2 || true
cases=("$@")
if [[ ${#cases[@]} -eq 0 ]]; then
  for d in */; do cases+=("${d%/}"); done
fi
failed=0
for c in "${cases[@]}"; do
  if [[ -f "$c/expected-error.txt" ]]; then
    # kubectl logs the error with its quotes escaped (\"); pipefail keeps
    # kubectl's exit status.
    if "$KUBECTL" kustomize "$c" 2>&1 >/dev/null | sed 's/\\"/"/g' >"$c/.stderr.tmp"; then
      echo "FAIL $c: kubectl succeeded, expected an error" >&2
      failed=1
    elif grep -qF -- "$(head -n1 "$c/expected-error.txt")" "$c/.stderr.tmp"; then
      echo "ok   $c (error)"
    else
      echo "FAIL $c: kubectl's error changed: $(cat "$c/.stderr.tmp")" >&2
      failed=1
    fi
    rm -f "$c/.stderr.tmp"
    continue
  fi
  # stdout only: kubectl prints deprecation warnings on stderr.
  if "$KUBECTL" kustomize "$c" >"$c/expected.yaml.tmp" 2>"$c/.stderr.tmp"; then
    mv "$c/expected.yaml.tmp" "$c/expected.yaml"
    echo "ok   $c"
  else
    echo "FAIL $c: $(cat "$c/.stderr.tmp")" >&2
    rm -f "$c/expected.yaml.tmp"
    failed=1
  fi
  rm -f "$c/.stderr.tmp"
done
exit $failed
