# Sourced by the bindings scripts (bash): the cache, the versions the npm package pins, and the
# settings every jsii-pacmak, pip, Maven and Go call here shares. Expects $root (the repository).
# shellcheck shell=bash disable=SC2034,SC2154  # sourced: the callers use these names and set $root
cache_root="${PG_WALG_CACHE:-$HOME/.cache/cdk8s-postgres-walg}"
mkdir -p "$cache_root/bindings"
cache="$(cd "$cache_root/bindings" && pwd -P)"
m2="$cache/m2"
mkdir -p "$m2"
central="${MAVEN_CENTRAL_URL:-https://repo.maven.apache.org/maven2}"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$node_major"
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="$node_major"
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION="$node_major"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$cache/pip}" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1
export GOMODCACHE="${GOMODCACHE:-$cache/go-mod}" GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:--buildvcs=false}"
export MAVEN_OPTS="${MAVEN_OPTS:-} -XX:+TieredCompilation -XX:TieredStopAtLevel=1"
bin="$root/node_modules/.bin"

pkg() { node -p "require('$root/node_modules/$1/package.json').version"; }
version="$(node -p "require('$root/package.json').version")"
cdk8s_version="$(pkg cdk8s)"
plus_version="$(pkg cdk8s-plus-27)"
constructs_version="$(pkg constructs)"
jsii_version="$(pkg jsii-pacmak)"

pacmak() { "$bin/jsii-pacmak" --no-npmignore --force "$@"; }
# py_hash FILE...: a short hash of requirement files and the Python version, to name a cached venv.
py_hash() { cat "$@" <(python3 --version) | sha256sum | cut -c1-12; }
