#!/usr/bin/env bash
# Run by run.sh inside a fresh network namespace: etcd and kube-apiserver on 127.0.0.1 with certificates
# made for this run, Pod Security admission on; then e2e/cluster.ts applies the manifests. Every
# process started here is stopped by PID when the script ends, on failure too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"
bin="${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}/cluster/$K8S_VERSION/bin"

ip link set lo up
if ip -o link show | grep -qv ' lo:'; then echo "cluster.sh: not in a network namespace of its own" >&2; exit 1; fi

work="$(mktemp -d /tmp/e2e-cluster.XXXXXX)"
pids=()
# shellcheck disable=SC2317 # run by the trap
cleanup() {
  local rc=$? pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
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

# In the background and waited for: bash runs a trap only once the foreground command has ended, and
# `wait` returns at once on a signal. The checks are stopped first, then the servers.
cd "$root"
CLUSTER_KUBECTL="$bin/kubectl" CLUSTER_WORK="$work" POD_SECURITY_LEVEL="$POD_SECURITY_LEVEL" POD_SECURITY_VERSION="$POD_SECURITY_VERSION" \
  TS_NODE_TRANSPILE_ONLY=true node_modules/.bin/ts-node --project test/tsconfig.json e2e/cluster.ts &
checks=$!
pids=("$checks" "${pids[@]}")
rc=0
wait "$checks" || rc=$?
exit "$rc"
