#!/usr/bin/env bash
# image.sh NAME:TAG OUT.tar ENTRYPOINT-JSON
# Writes an OCI image archive (for `ctr images import`) whose one layer holds Debian's busybox, the
# libraries it links and a passwd file: no image registry is reachable here, so cluster.sh builds the
# node's images per run (the sandbox image and the test pod's). Reproducible: sorted, mtime 0, owner 0.
set -euo pipefail
ref="$1"; out="$2"; entry="$3"
d="$(mktemp -d)"; trap 'rm -rf "$d"' EXIT
r="$d/rootfs"; mkdir -p "$r/bin" "$r/lib/x86_64-linux-gnu" "$r/lib64" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/etc"
cp /bin/busybox "$r/bin/"; for a in sh sleep echo cat ls id; do ln -s busybox "$r/bin/$a"; done
for l in $(ldd /bin/busybox | grep -o '/lib[^ ]*'); do cp -L "$l" "$r$l"; done
echo 'root:x:0:0:root:/:/bin/sh' >"$r/etc/passwd"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$r" -cf "$d/layer.tar" .
b="$d/oci/blobs/sha256"; mkdir -p "$b"
ld=$(sha256sum "$d/layer.tar" | cut -d' ' -f1); cp "$d/layer.tar" "$b/$ld"; ls=$(stat -c %s "$d/layer.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":%s,"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$entry" "$ld" >"$d/config.json"
cd_=$(sha256sum "$d/config.json" | cut -d' ' -f1); cp "$d/config.json" "$b/$cd_"; cs=$(stat -c %s "$d/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$cd_" "$cs" "$ld" "$ls" >"$d/manifest.json"
md=$(sha256sum "$d/manifest.json" | cut -d' ' -f1); cp "$d/manifest.json" "$b/$md"; ms=$(stat -c %s "$d/manifest.json")
printf '{"imageLayoutVersion":"1.0.0"}' >"$d/oci/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' "$md" "$ms" "$ref" "${ref##*:}" >"$d/oci/index.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$d/oci" -cf "$out" .
