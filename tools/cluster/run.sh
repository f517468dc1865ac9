#!/usr/bin/env bash
# `npx projen e2e:cluster`: builds (or finds cached) kube-apiserver and kubectl (build.sh; with the node also
# the kubelet, the scheduler, the controller manager and CoreDNS), then runs
# cluster.sh in a network namespace made for this run (`unshare --net`: only a loopback interface, so
# nothing the run starts can reach the machine's network) and a mount namespace of its own. Needs root
# (unshare, apt-get).
#
# Environment: PG_WALG_CACHE (build cache, as build.sh), PG_WALG_CLUSTER_KEEP=1 keeps the run's
# directory (certificates, etcd data, logs) for inspection, PG_WALG_CLUSTER_NODE=1 adds a node
# (containerd and a kubelet, see cluster.sh) and the cells of e2e/cluster-roundtrip.ts (the controller
# manager, the scheduler, CoreDNS, MinIO and the library's pods; they need the e2e's tools:
# `npx projen install:tools`), E2E_CLUSTER_SCENARIOS=pitr-time,wrong-credentials,killed-mid-write,standby,metrics,restore-drill,promotion
# selects the cells besides `roundtrip` (default: all; `none`: the round trips only), E2E_CLUSTER_ROUNDTRIP=0
# leaves out the round trips (and the scenarios that follow them), E2E_CLUSTER_MAJORS=11,14 the PostgreSQL
# majors (default both).
set -euo pipefail
exec </dev/null
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$(id -u)" != 0 ]; then echo "e2e:cluster: run as root (it makes a network namespace)" >&2; exit 1; fi
t0=$SECONDS
bash "$here/build.sh"
echo "build step: $((SECONDS - t0)) s" >&2
exec unshare --net --mount --fork --kill-child=TERM -- bash "$here/cluster.sh"
