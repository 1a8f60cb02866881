#!/usr/bin/env bash
# Regenerates the screenshots in docs/commands/dashboard/ (referenced from
# docs/commands/dashboard.md): runs the dashboard's browser test
# (tests/e2e/dashboard_browser_test.cpp: gantry sandbox, git daemon, the
# controller and gantry dashboard in headless Chromium), which saves its
# screenshots under <build>/test-artifacts/dashboard/ and checks they are not
# blank, then copies the ones the page shows. Each must stay under 200 KB.
# PRESET=debug (default) or release: the build whose test binary runs; it must
# be built already (cmake --build --preset "$PRESET").
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${PRESET:-debug}
src=build/$PRESET/test-artifacts/dashboard
dst=docs/commands/dashboard
rm -f "$src"/*.png
ctest --preset "$PRESET" -R 'DashboardBrowserTest\.' --output-on-failure
mkdir -p "$dst"
for name in overview deployment object-diff; do
  f=$src/$name.png
  [[ -s "$f" ]] || { echo "the browser test saved no $name.png" >&2; exit 1; }
  size=$(stat -c %s "$f")
  ((size < 200 * 1024)) || { echo "$name.png is $size bytes (over 200 KB)" >&2; exit 1; }
  cp "$f" "$dst/$name.png"
  echo "$dst/$name.png: $size bytes"
done
