#!/usr/bin/env bash
# Makes the cdk8s, cdk8s-plus-27 and constructs bindings of one jsii language available at the
# versions the npm package pins, and prints where they are:
#
#   bash bindings/deps.sh java|go
#
# Prints an empty line when the language's registry serves those versions (Maven Central, the Go module
# proxy: the build resolves them there). Otherwise it generates them with jsii-pacmak from the npm
# packages in node_modules (the jsii assemblies the official Maven and Go packages are generated from)
# into ${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}/bindings/deps-<versions>/<language>, once per
# set of versions, prints that directory (a Maven repository; a directory of Go modules) and says so on
# stderr in a `NOTE:` line.
#
# Environment: PG_WALG_CACHE, MAVEN_CENTRAL_URL (default https://repo.maven.apache.org/maven2).
set -euo pipefail
exec </dev/null
lang=${1:?usage: bash bindings/deps.sh java|go}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
# shellcheck source=bindings/env.sh
. bindings/env.sh

deps_dir="$cache/deps-cdk8s-$cdk8s_version-plus27-$plus_version-constructs-$constructs_version-pacmak-$jsii_version"

maven_serves() { # GROUP_PATH ARTIFACT VERSION
  curl -fsSIL --max-time 30 -o /dev/null "$central/$1/$2/$3/$2-$3.pom" 2>/dev/null
}
go_proxy_serves() { # MODULE VERSION
  local tmp rc=0
  tmp="$(mktemp -d)"
  (cd "$tmp" && go mod download -json "$1@$2" >/dev/null 2>&1) || rc=1
  rm -rf "$tmp"
  return $rc
}

case $lang in
  java)
    if maven_serves org/cdk8s cdk8s "$cdk8s_version" && maven_serves org/cdk8s cdk8s-plus-27 "$plus_version"; then
      echo "Maven Central serves org.cdk8s:cdk8s:$cdk8s_version and org.cdk8s:cdk8s-plus-27:$plus_version" >&2
      echo
      exit 0
    fi
    echo "NOTE: Maven Central ($central) does not serve org.cdk8s:cdk8s:$cdk8s_version and org.cdk8s:cdk8s-plus-27:$plus_version: using Java bindings jsii-pacmak $jsii_version generated from the npm packages" >&2
    ;;
  go)
    if go_proxy_serves github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2 "v$cdk8s_version" && go_proxy_serves github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2 "v$plus_version"; then
      echo "the Go module proxy serves cdk8s-core-go v$cdk8s_version and cdk8s-plus-go/cdk8splus27 v$plus_version" >&2
      echo
      exit 0
    fi
    echo "NOTE: the Go module proxy ($(go env GOPROXY)) does not serve github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2@v$cdk8s_version and github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2@v$plus_version: using Go bindings jsii-pacmak $jsii_version generated from the npm packages" >&2
    ;;
  *)
    echo "usage: bash bindings/deps.sh java|go" >&2
    exit 2
    ;;
esac

if [[ ! -f $deps_dir/$lang/.complete ]]; then
  echo "generating the $lang bindings of constructs, cdk8s and cdk8s-plus-27 into $deps_dir/$lang (cached)" >&2
  rm -rf "${deps_dir:?}/$lang.tmp" "${deps_dir:?}/$lang"
  mkdir -p "$deps_dir"
  # javadoc of cdk8s-plus-27 alone takes minutes; nothing here reads it.
  pacmak node_modules/constructs node_modules/cdk8s node_modules/cdk8s-plus-27 -t "$lang" -o "$deps_dir/$lang.tmp" \
    --maven-local-repository="$m2" --mvn-define=maven.javadoc.skip=true >&2
  mv "$deps_dir/$lang.tmp/$lang" "$deps_dir/$lang"
  rm -rf "$deps_dir/$lang.tmp"
  touch "$deps_dir/$lang/.complete"
fi
echo "$deps_dir/$lang"
