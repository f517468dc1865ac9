#!/usr/bin/env bash
# Run by run.sh inside a fresh network and mount namespace: etcd and kube-apiserver on 127.0.0.1 with
# certificates made for this run, Pod Security admission on; then e2e/cluster.ts applies the manifests.
# Every process started here is stopped by PID when the script ends, on failure too.
#
# PG_WALG_CLUSTER_NODE=1 adds a node (e2e-node): Debian's containerd and runc with a kubelet, in a cgroup
# tree of this run (e2e-cluster-<id> in each cgroup v1 hierarchy: containerd and its shims in .../runtime,
# the kubelet's pods under its cgroupRoot), a bridge e2e0 (10.250.0.1/24, the default route: nothing
# leaves the namespace) as the node's address and the CNI bridge plugin for the pods (10.244.0.0/24, their
# default route through the bridge's 10.244.0.1: they reach the node's address, where MinIO listens),
# images built per run by image.sh. At the end every process of that cgroup tree is killed by PID, then
# the cgroups are removed. The kubelet's clusterDNS is the node's address, cluster domain cluster.local.
# With the node, e2e/cluster.ts then starts kube-controller-manager and kube-scheduler itself (after its
# admission cells, whose pods it makes by hand), CoreDNS on the node's address (port 53: the pods' DNS,
# CLUSTER_COREDNS, built by build.sh) and MinIO there, for the round trips of e2e/cluster-roundtrip.ts; it
# stops them by PID.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"
bin="${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}/cluster/$K8S_VERSION/bin"

ip link set lo up
if ip -o link show | grep -qv ' lo:'; then echo "cluster.sh: not in a network namespace of its own" >&2; exit 1; fi

work="$(mktemp -d /tmp/e2e-cluster.XXXXXX)"
node="${PG_WALG_CLUSTER_NODE:-}"
cg="e2e-cluster-${work##*.}"
pids=()
# shellcheck disable=SC2317 # run by the trap
cleanup() {
  local rc=$? pid i m
  # In the reverse order of their start: the checks, the kubelet, containerd, the API server, etcd.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[i]}"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -d "/sys/fs/cgroup/pids/$cg" ]; then
    # What containerd started (shims, the pods' processes): every PID in the run's cgroup tree.
    for _ in 1 2 3 4 5; do
      m="$(find "/sys/fs/cgroup/pids/$cg" -name cgroup.procs -exec cat {} + 2>/dev/null)"
      [ -n "$m" ] || break
      for pid in $m; do kill -KILL "$pid" 2>/dev/null || true; done
      sleep 0.5
    done
    find /sys/fs/cgroup/*/"$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    if ls -d /sys/fs/cgroup/*/"$cg" >/dev/null 2>&1; then echo "cluster.sh: cgroups left: /sys/fs/cgroup/*/$cg" >&2; rc=1; fi
  fi
  # The kubelet's and containerd's mounts (this mount namespace's only).
  awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  if [ "$rc" != 0 ] || [ "${PG_WALG_CLUSTER_KEEP:-}" = 1 ]; then
    echo "cluster run directory kept: $work (etcd.log, kube-apiserver.log)" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Certificates (this run only) ----------------------------------------------------
t0=$SECONDS
pki="$work/pki"
mkdir -p "$pki"
ossl() { openssl "$@" 2>>"$work/openssl.log"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=e2e-cluster-ca \
  -keyout "$pki/ca.key" -out "$pki/ca.crt"
# cert NAME SUBJECT EXTENSIONS
cert() {
  ossl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$2" -keyout "$pki/$1.key" -out "$pki/$1.csr"
  printf '%s\n' "$3" >"$pki/$1.ext"
  ossl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 1 \
    -extfile "$pki/$1.ext" -out "$pki/$1.crt"
}
serving='basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=serverAuth,clientAuth'
client='basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=clientAuth'
cert etcd /CN=etcd "$serving
subjectAltName=IP:127.0.0.1,DNS:localhost"
cert apiserver /CN=kube-apiserver "$serving
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
cert apiserver-etcd-client /CN=kube-apiserver-etcd-client "$client"
cert admin "/O=system:masters/CN=e2e-cluster-admin" "$client"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key"
ossl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
echo "certificates: $((SECONDS - t0)) s" >&2

# --- etcd --------------------------------------------------------------------------------
# setpriv --pdeathsig: a server gets SIGTERM when this script ends, even by SIGKILL (the trap then cannot run).
setpriv --pdeathsig TERM etcd --name e2e --data-dir "$work/etcd" \
  --listen-client-urls https://127.0.0.1:2379 --advertise-client-urls https://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster e2e=http://127.0.0.1:2380 \
  --cert-file "$pki/etcd.crt" --key-file "$pki/etcd.key" --client-cert-auth --trusted-ca-file "$pki/ca.crt" \
  >"$work/etcd.log" 2>&1 &
pids+=($!)

# --- kube-apiserver ----------------------------------------------------------------------
# The service range is only allocated in API objects: nothing routes it (no kube-proxy), and this
# namespace has nothing but loopback. The endpoint reconciler (the `kubernetes` Service's endpoints)
# refuses a loopback address: off.
setpriv --pdeathsig TERM "$bin/kube-apiserver" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port=6443 \
  --etcd-servers=https://127.0.0.1:2379 --etcd-cafile="$pki/ca.crt" \
  --etcd-certfile="$pki/apiserver-etcd-client.crt" --etcd-keyfile="$pki/apiserver-etcd-client.key" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" --authorization-mode=RBAC \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc \
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
  --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,DefaultStorageClass,ResourceQuota \
  --kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key" \
  --kubelet-preferred-address-types=InternalIP \
  --allow-privileged=true --profiling=false --v=1 \
  >"$work/kube-apiserver.log" 2>&1 &
pids+=($!)

export KUBECONFIG="$work/kubeconfig"
kc() { "$bin/kubectl" "$@" >/dev/null; }
kc config set-cluster e2e --server=https://127.0.0.1:6443 --certificate-authority="$pki/ca.crt" --embed-certs
kc config set-credentials admin --client-certificate="$pki/admin.crt" --client-key="$pki/admin.key" --embed-certs
kc config set-context e2e --cluster=e2e --user=admin
kc config use-context e2e

# Ready: /readyz (etcd reachable, every post-start hook done), at most 120 tries over about 2 minutes.
ready=
for _ in $(seq 1 120); do
  if "$bin/kubectl" get --raw /readyz --request-timeout=2s >/dev/null 2>&1; then ready=1; break; fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "cluster.sh: a server exited" >&2; tail -n 20 "$work/etcd.log" "$work/kube-apiserver.log" >&2; exit 1; }; done
  sleep 1
done
if [ -z "$ready" ]; then echo "cluster.sh: kube-apiserver not ready after 120 tries" >&2; tail -n 30 "$work/kube-apiserver.log" >&2; exit 1; fi
echo "cluster up in $((SECONDS - t0)) s: kube-apiserver $("$bin/kubectl" version -o json --request-timeout=5s | sed -n 's/.*"gitVersion": "\([^"]*\)".*/\1/p' | tail -1), etcd $ETCD_DEBIAN_VERSION, Pod Security $POD_SECURITY_LEVEL:$POD_SECURITY_VERSION" >&2

# --- The node (PG_WALG_CLUSTER_NODE=1) ------------------------------------------------------------
if [ "$node" = 1 ]; then
  t1=$SECONDS
  # The kubelet checks these host-wide sysctls (protectKernelDefaults: it only reads them); this mount
  # namespace shows it files with the values it wants, so that nothing of the host is changed.
  for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
    k="${kv%%=*}"; f="$work/sysctl-${k//\//_}"; echo "${kv#*=}" >"$f"; mount --bind "$f" "/proc/sys/$k"
  done
  # The kubelet links each container's log into /var/log/containers (a fixed path): this mount namespace
  # shows it the run's directory there, not the host's /var/log.
  mkdir -p "$work/var-log"
  mount --bind "$work/var-log" /var/log
  ip link add e2e0 type bridge
  ip addr add 10.250.0.1/24 dev e2e0
  ip link set e2e0 up
  ip route add default dev e2e0
  mkdir -p "$work/containerd" "$work/cni" "$work/kubelet"
  cat >"$work/cni/10-e2e.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "e2e", "plugins": [
  {"type": "bridge", "bridge": "e2e-br0", "isGateway": true, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$work/cni-ipam"}},
  {"type": "loopback"}
]}
JSON
  for d in /sys/fs/cgroup/*/; do case "$d" in */unified/) ;; *) mkdir -p "$d$cg" ;; esac; done
  mkdir -p "/sys/fs/cgroup/pids/$cg/runtime"
  # restrict_oom_score_adj: this machine gives root no CAP_SYS_RESOURCE, so a pod's oom_score_adj may
  # not go below containerd's own.
  cat >"$work/containerd/config.toml" <<TOML
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$work/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "e2e.local/pause:1"
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$work/cni"
TOML
  setpriv --pdeathsig TERM containerd --config "$work/containerd/config.toml" >"$work/containerd.log" 2>&1 &
  pids+=($!)
  echo "$!" >"/sys/fs/cgroup/pids/$cg/runtime/cgroup.procs"
  for _ in $(seq 1 30); do [ -S "$work/containerd/containerd.sock" ] && break; sleep 1; done
  bash "$here/image.sh" e2e.local/pause:1 "$work/pause.tar" '["/bin/sleep","2147483647"]'
  bash "$here/image.sh" e2e.local/busybox:1 "$work/busybox.tar" '["/bin/sh"]'
  for t in pause busybox; do ctr -a "$work/containerd/containerd.sock" -n k8s.io images import "$work/$t.tar" >/dev/null; done
  cat >"$work/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 10.250.0.1
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$work/containerd/containerd.sock
cgroupDriver: cgroupfs
cgroupRoot: /$cg
failCgroupV1: false
protectKernelDefaults: true
failSwapOn: false
resolvConf: ""
# The cluster's DNS: CoreDNS, which e2e/cluster-roundtrip.ts runs as a process of the run on the node's own
# address (its kubernetes plugin reads this API server). Not a ClusterIP Service as in a real cluster: there is
# no kube-proxy here, so nothing would route a Service address to it. Pods of dnsPolicy ClusterFirst get it as
# their nameserver and the search path <namespace>.svc.cluster.local svc.cluster.local cluster.local.
clusterDNS: [10.250.0.1]
clusterDomain: cluster.local
enforceNodeAllocatable: []
# The containers' logs in the run's directory (the default, /var/log/pods, is the host's).
podLogsDir: $work/kubelet/pod-logs
YAML
  "$bin/kubectl" config view --raw >"$work/kubelet/kubeconfig"
  setpriv --pdeathsig TERM "$bin/kubelet" --config "$work/kubelet/config.yaml" --kubeconfig "$work/kubelet/kubeconfig" \
    --root-dir "$work/kubelet/root" --cert-dir "$work/kubelet/pki" --hostname-override e2e-node --node-ip 10.250.0.1 \
    >"$work/kubelet.log" 2>&1 &
  pids+=($!)
  ready=
  for _ in $(seq 1 90); do
    if [ "$("$bin/kubectl" get node e2e-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' --request-timeout=5s 2>/dev/null)" = True ]; then ready=1; break; fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 1
  done
  if [ -z "$ready" ]; then echo "cluster.sh: node e2e-node not Ready" >&2; tail -n 30 "$work/kubelet.log" >&2; exit 1; fi
  echo "node e2e-node Ready in $((SECONDS - t1)) s: kubelet $K8S_VERSION, containerd $(containerd --version | cut -d' ' -f3), runc $(runc --version | sed -n 's/^runc version //p')" >&2
  export CLUSTER_NODE=e2e-node CLUSTER_NODE_IP=10.250.0.1 CLUSTER_CONTAINERD="$work/containerd/containerd.sock"
  export CLUSTER_COREDNS="${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}/cluster/coredns-$COREDNS_VERSION/bin/coredns"
fi

# In the background and waited for: bash runs a trap only once the foreground command has ended, and
# `wait` returns at once on a signal. The checks, started last, are stopped first.
cd "$root"
CLUSTER_KUBECTL="$bin/kubectl" CLUSTER_BIN="$bin" CLUSTER_PKI="$pki" CLUSTER_WORK="$work" POD_SECURITY_LEVEL="$POD_SECURITY_LEVEL" POD_SECURITY_VERSION="$POD_SECURITY_VERSION" \
  TS_NODE_TRANSPILE_ONLY=true node_modules/.bin/ts-node --project test/tsconfig.json e2e/cluster.ts &
checks=$!
pids+=("$checks")
rc=0
wait "$checks" || rc=$?
exit "$rc"
