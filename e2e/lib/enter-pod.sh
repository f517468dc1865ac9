#!/bin/sh
# Runs inside a private mount namespace (unshare -m): bind-mounts each "hostdir containerpath [ro]" line
# of MOUNTS (read-only where the container's volumeMount says readOnly, as the kubelet does), then runs COMMAND as uid UID / gid GID (COMMAND is "env -i NAME=VALUE… program …",
# so the container gets exactly its env).
# Usage: enter-pod.sh MOUNTS UID GID COMMAND...
set -eu
mounts=$1
uid=$2
gid=$3
shift 3
while read -r src dst mode; do
  [ -n "$src" ] || continue
  mkdir -p "$dst"
  mount --bind "$src" "$dst"
  if [ "$mode" = ro ]; then
    mount -o remount,bind,ro "$dst"
  fi
done <"$mounts"
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
