// src/_imports/monitoring.coreos.com.ts is generated (`npx projen import:crds`, imports/import.sh) from the
// Prometheus Operator's CRDs committed in imports/crds/: the committed module is exactly what the import writes,
// offline, with the cdk8s CLI of the devDependencies.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');

test('the committed ServiceMonitor and PrometheusRule module is what imports/import.sh generates from imports/crds/', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-walg-import-'));
  try {
    // No network: the CLI's upgrade check is off, and the CRDs are files.
    const r = spawnSync('bash', [path.join(ROOT, 'imports', 'import.sh'), out], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr.trim()).toBe('Importing resources, this may take a few moments...');
    expect(r.status).toBe(0);
    const fresh = fs.readFileSync(path.join(out, 'monitoring.coreos.com.ts'), 'utf8');
    const committed = fs.readFileSync(path.join(ROOT, 'src', '_imports', 'monitoring.coreos.com.ts'), 'utf8');
    expect(fresh === committed).toBe(true);
    expect(committed).toMatch(/^export class ServiceMonitor extends ApiObject/m);
    expect(committed).toMatch(/^export class PrometheusRule extends ApiObject/m);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the CRDs are the Prometheus Operator release the imports README names, with its license', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'imports', 'README.md'), 'utf8');
  for (const f of ['monitoring.coreos.com_servicemonitors.yaml', 'monitoring.coreos.com_prometheusrules.yaml']) {
    const text = fs.readFileSync(path.join(ROOT, 'imports', 'crds', f), 'utf8');
    const version = /operator\.prometheus\.io\/version: (\S+)/.exec(text)?.[1];
    expect(version).toBe('0.85.0');
    expect(readme).toContain(f);
  }
  expect(readme).toContain('v0.85.0');
  expect(fs.readFileSync(path.join(ROOT, 'imports', 'crds', 'LICENSE.prometheus-operator'), 'utf8')).toContain('Apache License');
});
