#!/bin/sh
# Assembles the API's document root in $1 from the sources here.
set -eu
out=$1
mkdir -p "$out/www/api" /cache
echo ok > "$out/www/healthz"
cp version "$out/www/version"
for f in data/*.json; do
  cp "$f" "$out/www/api/$(basename "$f" .json)"
done
# A cache mount survives between builds; it never ends up in the image.
date +%s > /cache/last-build
