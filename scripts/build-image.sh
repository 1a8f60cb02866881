#!/usr/bin/env bash
# Builds gantry's own image with gantry build: a release build of gantry,
# its image context (scripts/image-root.sh) under build/image, then the
# Dockerfile at the repository's root. Arguments go to `gantry build`, e.g.
#   bash scripts/build-image.sh -t ghcr.io/gantry-dev/gantry:0.1.0 --push
#   bash scripts/build-image.sh -o oci:build/gantry-image:latest
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target gantry
bash scripts/image-root.sh build/release/gantry build/image
exec build/release/gantry build -f Dockerfile build/image "$@"
