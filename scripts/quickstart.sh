#!/usr/bin/env bash
# The quick start: install what is needed, build gantry, and run the main job
# on the example project (examples/shop): render it for staging and production,
# then show the image-tag bump CI would make (gantry update --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --build-only
cmake --preset release >/dev/null
cmake --build --preset release --target gantry
GANTRY=build/release/gantry

echo "== gantry render -t staging (examples/shop)" >&2
"$GANTRY" render --project examples/shop -t staging
echo "== gantry render -t production, written one file per object to build/rendered/production" >&2
rm -rf build/rendered/production
"$GANTRY" render --project examples/shop -t production -o build/rendered/production
find build/rendered/production -type f | sort >&2

echo "== gantry update --dry-run: bump every # STAGING_IMAGE_TAG marker to 1.5.0 (shows the diff, writes nothing)" >&2
"$GANTRY" update examples/shop --marker STAGING_IMAGE_TAG=1.5.0 --dry-run
