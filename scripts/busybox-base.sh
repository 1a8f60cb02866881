#!/usr/bin/env bash
# Writes a build context for a busybox base image made without network from
# Debian's busybox-static: /bin/busybox with a link per applet, /etc/passwd
# and /etc/group (root, and nonroot = 65532), /tmp. Build it with
#   gantry build DIR -t REGISTRY/library/busybox:1.36 --push
# Usage: scripts/busybox-base.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/busybox-base.sh DIR}
[[ -x /bin/busybox ]] || { echo "busybox-base: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/rootfs/bin" "$dir/rootfs/etc" "$dir/rootfs/tmp" "$dir/rootfs/root"
chmod 1777 "$dir/rootfs/tmp"
cp /bin/busybox "$dir/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [[ $applet == busybox ]] || ln -s busybox "$dir/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false\n' \
  >"$dir/rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/rootfs/etc/group"
cat >"$dir/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
CMD ["/bin/sh"]
DOCKERFILE
