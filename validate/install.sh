#!/usr/bin/env bash
# Installs what `npx projen validate` needs, pinned in validate/versions.env, into a cache directory
# outside the repository:
#
#   ${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}
#     bin/kubeconform bin/kube-score bin/kube-linter   Go builds (+ bin/.<name>.stamp)
#     k8s-openapi/v<K8S_VERSION>/swagger.json          the Kubernetes OpenAPI v2 document
#
# validate/run.ts turns swagger.json into strict JSON schemas for kubeconform (validate/k8s-schemas.ts).
#
# kube-linter: built from the github.com/stackrox/kube-linter module zip the Go proxy serves (hash-checked).
#
# Idempotent and non-interactive: every step is skipped when the pinned version is in place. Needs Go
# (GOTOOLCHAIN=local: no toolchain download) and the Go module proxy.
#
# Environment:
#   PG_WALG_CACHE            cache dir (default ~/.cache/cdk8s-postgres-walg)
#   PG_WALG_ALLOW_MISSING=1  exit 0 even if a tool could not be installed (validate then reports it)
set -euo pipefail
exec </dev/null
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--buildvcs=false}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"

cache="${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}"
mkdir -p "$cache/bin" "$cache/logs"
cache="$(cd "$cache" && pwd -P)"
bin="$cache/bin"
logdir="$cache/logs"
failed=()

note() { printf '%-14s %s\n' "$1" "$2"; }
fail() { failed+=("$1"); note "$1" "MISSING ($2)"; }

command -v go >/dev/null 2>&1 || { echo "validate/install.sh: go is not on the PATH" >&2; exit 1; }


# go_tool NAME PACKAGE VERSION: go install PACKAGE@VERSION into bin/, unless the stamp says it is there.
go_tool() {
  local name=$1 pkg=$2 version=$3
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/.$name.stamp" 2>/dev/null)" = "$version" ]; then
    note "$name" "$version (cached)"
    return 0
  fi
  local t=$SECONDS
  if GOBIN="$bin" go install "$pkg@$version" >"$logdir/validate-$name.log" 2>&1; then
    printf '%s\n' "$version" >"$bin/.$name.stamp"
    note "$name" "$version (built in $((SECONDS - t)) s)"
  else
    tail -5 "$logdir/validate-$name.log" >&2
    fail "$name" "go install $pkg@$version failed, see $logdir/validate-$name.log"
  fi
}

install_kube_linter() {
  local name=kube-linter version=$KUBE_LINTER_VERSION stamp="$KUBE_LINTER_VERSION $KUBE_LINTER_SUM"
  if [ -x "$bin/$name" ] && [ "$(cat "$bin/.$name.stamp" 2>/dev/null)" = "$stamp" ]; then
    note "$name" "$version (cached)"
    return 0
  fi
  # `go install golang.stackrox.io/kube-linter/...` cannot work here: the proxy refuses that host, and
  # the github.com/stackrox/kube-linter module it does serve declares the other path in its go.mod.
  # So: download that module zip from the proxy, check its pinned hash, build inside it.
  local t=$SECONDS log="$logdir/validate-$name.log" info dir sum work
  if ! info=$(GONOSUMDB=github.com/stackrox/kube-linter GOFLAGS=-mod=mod go mod download -json "$KUBE_LINTER_MODULE@$version" 2>"$log"); then
    fail "$name" "go mod download $KUBE_LINTER_MODULE@$version failed, see $log"
    return 0
  fi
  dir=$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Dir))')
  sum=$(printf '%s' "$info" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).Sum))')
  if [ "$sum" != "$KUBE_LINTER_SUM" ]; then
    fail "$name" "$KUBE_LINTER_MODULE@$version has hash $sum, expected $KUBE_LINTER_SUM"
    return 0
  fi
  work=$(mktemp -d)
  cp -r "$dir/." "$work/" && chmod -R u+w "$work"
  if (cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-X golang.stackrox.io/kube-linter/internal/version.version=$version" \
    -o "$bin/$name" ./cmd/kube-linter) >>"$log" 2>&1; then
    printf '%s\n' "$stamp" >"$bin/.$name.stamp"
    note "$name" "$version (module zip from the Go proxy, $((SECONDS - t)) s)"
  else
    tail -5 "$log" >&2
    fail "$name" "build of $KUBE_LINTER_MODULE@$version failed, see $log"
  fi
  rm -rf "$work"
}

install_swagger() {
  local dir="$cache/k8s-openapi/v$K8S_VERSION"
  if [ -f "$dir/swagger.json" ] && [ "$(sha256sum "$dir/swagger.json" | cut -d' ' -f1)" = "$K8S_SWAGGER_SHA256" ]; then
    note "k8s-openapi" "v$K8S_VERSION (cached)"
    return 0
  fi
  local t=$SECONDS modcache json sum file
  modcache=$(mktemp -d)
  if json=$(cd "$modcache" && GOMODCACHE="$modcache/mod" GOFLAGS=-mod=mod go mod download -json "$K8S_MODULE@v$K8S_VERSION" 2>"$logdir/validate-k8s-openapi.log"); then
    sum=$(printf '%s' "$json" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p')
    file="$modcache/mod/$K8S_MODULE@v$K8S_VERSION/api/openapi-spec/swagger.json"
    if [ "$sum" != "$K8S_MODULE_SUM" ]; then
      fail "k8s-openapi" "$K8S_MODULE@v$K8S_VERSION has sum $sum, expected $K8S_MODULE_SUM"
    elif [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$K8S_SWAGGER_SHA256" ]; then
      fail "k8s-openapi" "swagger.json of $K8S_MODULE@v$K8S_VERSION does not have the pinned sha256"
    else
      mkdir -p "$dir"
      cp "$file" "$dir/swagger.json.tmp" && chmod 644 "$dir/swagger.json.tmp" && mv "$dir/swagger.json.tmp" "$dir/swagger.json"
      note "k8s-openapi" "v$K8S_VERSION ($((SECONDS - t)) s)"
    fi
  else
    tail -5 "$logdir/validate-k8s-openapi.log" >&2
    fail "k8s-openapi" "go mod download $K8S_MODULE@v$K8S_VERSION failed, see $logdir/validate-k8s-openapi.log"
  fi
  chmod -R u+w "$modcache" 2>/dev/null || true
  rm -rf "$modcache"
}

install_swagger
go_tool kubeconform "$KUBECONFORM_PACKAGE" "$KUBECONFORM_VERSION"
go_tool kube-score "$KUBE_SCORE_PACKAGE" "$KUBE_SCORE_VERSION"
install_kube_linter

if [ "${#failed[@]}" -gt 0 ]; then
  echo "validate/install.sh: missing: ${failed[*]}" >&2
  [ "${PG_WALG_ALLOW_MISSING:-0}" = 1 ] || exit 1
fi
