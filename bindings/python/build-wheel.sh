#!/usr/bin/env bash
# Builds the Python wheel and sdist into OUTDIR (default dist/python) the way `jsii-pacmak -t python`
# does (its requirements-dev.txt, `python -m build`, `twine check`), with one step in between:
# bindings/python/type_classproperties.py types the static properties (PostgresVersion.V9_6_V2) for
# mypy and pyright, which otherwise see them as Any (https://github.com/aws/jsii/issues/3633) and so
# cannot reject an unsupported version/provider pair.
#
# Usage: bash bindings/python/build-wheel.sh [OUTDIR]      (after the jsii compile: needs .jsii and lib/)
# The build venv is cached in ${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}/bindings.
set -euo pipefail
exec </dev/null
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$root"
mkdir -p "${1:-dist/python}"
out="$(cd "${1:-dist/python}" && pwd -P)"
# shellcheck source=bindings/env.sh
. bindings/env.sh

module="$(node -p "require('./package.json').jsii.targets.python.module")"
requirements="$root/node_modules/jsii-pacmak/lib/targets/python/requirements-dev.txt"

gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
pacmak -t python --code-only -o "$gen"
python3 "$root/bindings/python/type_classproperties.py" "$gen/python/src/$module/__init__.py"

venv="$cache/venv-build-$(py_hash "$requirements")"
if [[ ! -f $venv/.complete ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q -r "$requirements"
  touch "$venv/.complete"
fi
"$venv/bin/python" -m build --no-isolation --outdir "$out" "$gen/python"
"$venv/bin/python" -m twine check "$out"/*
ls -l "$out"
