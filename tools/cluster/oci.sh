#!/usr/bin/env bash
# Sourced by image.sh and pg-image.sh: oci_pack REF OUT ROOTFS CONFIG-JSON writes an OCI image archive (for
# `ctr images import`) of one layer, the directory ROOTFS, with the image config CONFIG-JSON (the "config"
# object: Entrypoint, Env, User, ...). REF is the name containerd stores it under (io.containerd.image.name):
# give it fully qualified (docker.io/library/postgres:14.23-trixie), as the CRI plugin looks up the name
# a pod's manifest gives (postgres:14.23-trixie). Reproducible: sorted, mtime 0, numeric owners as in ROOTFS.
oci_pack() {
  local ref="$1" out="$2" rootfs="$3" config="$4" d b ld ls cd_ cs md ms
  d="$(mktemp -d)"
  tar --sort=name --mtime=@0 --numeric-owner -C "$rootfs" -cf "$d/layer.tar" .
  b="$d/oci/blobs/sha256"; mkdir -p "$b"
  ld=$(sha256sum "$d/layer.tar" | cut -d' ' -f1); mv "$d/layer.tar" "$b/$ld"; ls=$(stat -c %s "$b/$ld")
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$config" "$ld" >"$d/config.json"
  cd_=$(sha256sum "$d/config.json" | cut -d' ' -f1); cp "$d/config.json" "$b/$cd_"; cs=$(stat -c %s "$d/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$cd_" "$cs" "$ld" "$ls" >"$d/manifest.json"
  md=$(sha256sum "$d/manifest.json" | cut -d' ' -f1); cp "$d/manifest.json" "$b/$md"; ms=$(stat -c %s "$d/manifest.json")
  printf '{"imageLayoutVersion":"1.0.0"}' >"$d/oci/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' "$md" "$ms" "$ref" "${ref##*:}" >"$d/oci/index.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$d/oci" -cf "$out" .
  rm -rf "$d"
}

# busybox_rootfs ROOTFS: Debian's busybox as /bin/busybox with every applet it has linked in /bin (sh, cp,
# awk, od, timeout, ...), the libraries it links, and the directories a container needs.
busybox_rootfs() {
  local r="$1" a l
  mkdir -p "$r/bin" "$r/usr/bin" "$r/lib/x86_64-linux-gnu" "$r/lib64" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/etc"
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  copy_libs "$r" /bin/busybox
}

# copy_libs ROOTFS BINARY...: the system libraries (/lib, /usr/lib) each BINARY links (ldd), at the same
# paths in ROOTFS (a library found by a RUNPATH elsewhere comes with its binary).
copy_libs() {
  local r="$1" l; shift
  for l in $(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\/(usr\/)?lib/ { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u); do mkdir -p "$r$(dirname "$l")"; [ -e "$r$l" ] || cp -L "$l" "$r$l"; done
}
