#!/usr/bin/env bash
# image.sh NAME:TAG OUT.tar ENTRYPOINT-JSON
# Writes an OCI image archive (for `ctr images import`) whose one layer holds Debian's busybox, the
# libraries it links and a passwd file: no image registry is reachable here, so cluster.sh builds the
# node's images per run (the sandbox image and the test pod's). Reproducible: sorted, mtime 0, owner 0.
set -euo pipefail
ref="$1"; out="$2"; entry="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=oci.sh disable=SC1091
. "$here/oci.sh"
d="$(mktemp -d)"; trap 'rm -rf "$d"' EXIT
busybox_rootfs "$d/rootfs"
echo 'root:x:0:0:root:/:/bin/sh' >"$d/rootfs/etc/passwd"
oci_pack "$ref" "$out" "$d/rootfs" "{\"Entrypoint\":$entry,\"Env\":[\"PATH=/bin\"]}"
