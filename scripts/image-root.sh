#!/usr/bin/env bash
# Writes the build context of gantry's own image (the Dockerfile at the
# repository's root): rootfs/ holds the gantry binary (stripped) and exactly
# the shared libraries it links (from ldd, with the dynamic loader), the CA
# bundle for TLS, /etc/passwd and /etc/group with the non-root user gantry
# (65532, the user `gantry install` runs as), /etc/nsswitch.conf, /tmp and
# the user's home. Nothing else: no shell, no package manager.
# Usage: scripts/image-root.sh GANTRY_BINARY DIR
set -euo pipefail
bin=${1:?usage: scripts/image-root.sh GANTRY_BINARY DIR}
dir=${2:?usage: scripts/image-root.sh GANTRY_BINARY DIR}
root=$dir/rootfs
rm -rf "$dir"
mkdir -p "$root/usr/bin" "$root/etc/ssl/certs" "$root/tmp" "$root/home/gantry" "$root/var/cache/gantry"
chmod 1777 "$root/tmp"
strip --strip-unneeded -o "$root/usr/bin/gantry" "$bin"
chmod 0755 "$root/usr/bin/gantry"
# Every library ldd resolves (NAME => /path) and the loader (a bare /path),
# copied to the same path with symlinks followed.
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u |
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
if [[ -e /etc/ssl/certs/ca-certificates.crt ]]; then
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
fi
printf 'root:x:0:0:root:/root:/sbin/nologin\ngantry:x:65532:65532:gantry:/home/gantry:/sbin/nologin\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\ngantry:x:65532:\n' >"$root/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
chown -R 65532:65532 "$root/home/gantry" "$root/var/cache/gantry"
