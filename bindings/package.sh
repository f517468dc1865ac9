#!/usr/bin/env bash
# Packages one jsii language into OUTDIR/<language> (what projen's package:<language> tasks run):
#
#   bash bindings/package.sh python|java|go|dotnet [OUTDIR]      (default OUTDIR: dist; after the jsii compile)
#
#   python   the wheel and sdist, with the static properties typed for mypy and pyright
#            (bindings/python/build-wheel.sh; jsii alone types them Any: aws/jsii#3633)
#   java     the jar, javadoc and sources as a Maven repository (jsii-pacmak)
#   go       the Go module, built with `go build` (jsii-pacmak)
#   dotnet   the NuGet package with a .NET SDK on the PATH; without one (as on this project's machines)
#            the C# sources only, and a NOTE saying so
#
# Java and Go need cdk8s, cdk8s-plus-27 and constructs at the pinned versions: bindings/deps.sh finds them
# in the registry or generates them. Generated ones are build inputs only: they are removed from OUTDIR
# afterwards, so OUTDIR holds this package's artifacts and nothing to publish by mistake.
set -euo pipefail
exec </dev/null
lang=${1:?usage: bash bindings/package.sh python|java|go|dotnet [OUTDIR]}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$root"
mkdir -p "${2:-dist}"
out="$(cd "${2:-dist}" && pwd -P)"
# shellcheck source=bindings/env.sh
. bindings/env.sh

case $lang in
  python)
    bash bindings/python/build-wheel.sh "$out/python"
    ;;
  java)
    deps="$(bash bindings/deps.sh java)"
    rm -rf "$out/java"
    mkdir -p "$out/java"
    # jsii-pacmak resolves dependencies it finds in its output directory (a Maven repository).
    [[ -z $deps ]] || cp -a "$deps/." "$out/java/"
    pacmak -t java -o "$out" --maven-local-repository="$m2"
    if [[ -n $deps ]]; then
      (cd "$deps" && find . -name '*.pom' -printf '%h\n') | while read -r v; do rm -rf "${out:?}/java/$(dirname "$v")"; done
      rm -f "$out/java/.complete"
      find "$out/java" -type d -empty -delete
    fi
    ls -l "$out/java/io/github/cdk8s-postgres-walg/cdk8s-postgres-walg/$version"
    ;;
  go)
    deps="$(bash bindings/deps.sh go)"
    rm -rf "$out/go"
    mkdir -p "$out/go"
    # jsii-pacmak builds against dependencies it finds in its output directory (go build ./...).
    [[ -z $deps ]] || cp -a "$deps/." "$out/go/"
    pacmak -t go -o "$out"
    if [[ -n $deps ]]; then
      for d in "$deps"/*/; do rm -rf "${out:?}/go/$(basename "$d")"; done
      rm -f "$out/go/.complete"
    fi
    ls "$out/go"
    cat "$out/go/cdk8spostgreswalg/go.mod"
    ;;
  dotnet)
    if command -v dotnet >/dev/null 2>&1; then
      pacmak -t dotnet -o "$out"
    else
      pacmak -t dotnet --code-only -o "$out"
      echo "NOTE: no .NET SDK (dotnet) on the PATH: the C# sources are generated ($out/dotnet), not compiled or packed"
    fi
    ls -l "$out/dotnet"
    ;;
  *)
    echo "usage: bash bindings/package.sh python|java|go|dotnet [OUTDIR]" >&2
    exit 2
    ;;
esac
