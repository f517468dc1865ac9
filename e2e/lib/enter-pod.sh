#!/bin/sh
# Runs inside private mount and UTS namespaces (unshare -m -u): sets the host name to the pod's name, as
# the kubelet does; bind-mounts each "hostdir containerpath [ro]" line of MOUNTS (read-only where the
# container's volumeMount says readOnly, as the kubelet does; a file over a file, as the kubelet mounts
# the pod's /etc/hosts), then runs COMMAND as uid UID / gid GID (COMMAND is "env -i NAME=VALUE… program …",
# so the container gets exactly its env).
# Usage: enter-pod.sh MOUNTS UID GID HOSTNAME COMMAND...
set -eu
mounts=$1
uid=$2
gid=$3
hostname=$4
shift 4
printf '%s\n' "$hostname" >/proc/sys/kernel/hostname
while read -r src dst mode; do
  [ -n "$src" ] || continue
  [ -e "$dst" ] || mkdir -p "$dst"
  mount --bind "$src" "$dst"
  if [ "$mode" = ro ]; then
    mount -o remount,bind,ro "$dst"
  fi
done <"$mounts"
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
