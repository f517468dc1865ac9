#!/usr/bin/env bash
# `npx projen import:crds`: generates src/_imports/monitoring.coreos.com.ts (the L1 classes ServiceMonitor and
# PrometheusRule) from the Prometheus Operator's CRDs in imports/crds/, offline, with the cdk8s CLI of the
# devDependencies. test/imports.test.ts checks that the committed module is what this writes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/src/_imports}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One multi-document file: one module for the API group, with both kinds.
{
  cat "$root/imports/crds/monitoring.coreos.com_servicemonitors.yaml"
  echo '---'
  cat "$root/imports/crds/monitoring.coreos.com_prometheusrules.yaml"
} >"$work/monitoring.coreos.com.yaml"
(cd "$work" && "$root/node_modules/.bin/cdk8s" import monitoring.coreos.com.yaml --output imports --language typescript --no-check-upgrade >/dev/null)
mkdir -p "$out"
cp "$work/imports/monitoring.coreos.com.ts" "$out/monitoring.coreos.com.ts"
