// The README's TypeScript examples compile (type-checked against the library's source) and run, and
// its support table is the one rendered from the catalog data.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import * as YAML from 'yaml';
import { supportTable } from '../src/_catalog';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has TypeScript examples', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

/** Type-checks a README example against the library's source, runs it, and returns the files it wrote. */
function runExample(i: number, code: string): Record<string, string> {
  const file = path.join(__dirname, `.readme-example-${i}.ts`);
  fs.writeFileSync(file, code.replace(/from 'cdk8s-postgres-walg'/g, "from '../src'"));
  try {
    const config = ts.getParsedCommandLineOfConfigFile(path.join(__dirname, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
    const program = ts.createProgram([file], { ...config.options, noEmit: true, isolatedModules: false });
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
    expect(diagnostics).toEqual([]);
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
    process.env.CDK8S_OUTDIR = outdir;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      jest.isolateModules(() => require(file));
      return Object.fromEntries(fs.readdirSync(outdir).map((f) => [f, fs.readFileSync(path.join(outdir, f), 'utf8')]));
    } finally {
      delete process.env.CDK8S_OUTDIR;
      fs.rmSync(outdir, { recursive: true });
    }
  } finally {
    fs.unlinkSync(file);
  }
}

test.each(blocks.map((b, i) => [i, b] as const))('README example %i compiles and synthesizes', (i, code) => {
  const written = Object.values(runExample(i, code));
  expect(written.length).toBeGreaterThan(0);
  expect(written[0]).toContain('kind: StatefulSet');
});

describe('the README "Connect an app" example', () => {
  const i = blocks.findIndex((b) => b.includes('connectionEnv()'));
  let synthesized: any[] | undefined;
  // Synthesized once, by the first test that asks.
  const objects = (): any[] => {
    expect(i).toBeGreaterThanOrEqual(0);
    synthesized ??= Object.values(runExample(i, blocks[i])).flatMap((text) => YAML.parseAllDocuments(text).map((d) => d.toJSON()));
    return synthesized;
  };

  test('gives the Deployment the connection settings, the password from the Secret only', () => {
    const objs = objects();
    const api = objs.find((o) => o.kind === 'Deployment');
    const env = api.spec.template.spec.containers[0].env;
    expect(env).toEqual([
      { name: 'PGHOST', value: 'orders.shop.svc' },
      { name: 'PGPORT', value: '5432' },
      { name: 'PGUSER', value: 'postgres' },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'orders-db', key: 'password' } } },
      { name: 'PGDATABASE', value: 'postgres' },
    ]);
    // The Secret and key the database pod reads its password from; PGHOST is its client Service.
    const sts = objs.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'orders');
    expect(sts.spec.template.spec.volumes.find((v: any) => v.name === 'auth').secret).toMatchObject({ secretName: 'orders-db', items: [{ key: 'password', path: 'POSTGRES_PASSWORD' }] });
    expect(objs.find((o) => o.kind === 'Service' && o.metadata.name === 'orders').metadata.namespace).toBe('shop');
    expect(objs.some((o) => o.kind === 'Secret')).toBe(false);
  });

  test('shows the env the Deployment gets', () => {
    const shown = README.match(/The api's container gets:\n\n```yaml\n([\s\S]*?)```/);
    expect(shown).not.toBeNull();
    const api = objects().find((o) => o.kind === 'Deployment');
    expect(YAML.parse(shown![1]).env).toEqual(api.spec.template.spec.containers[0].env);
  });

  test('admits the api to the database pod on 5432, and isolates nothing else', () => {
    const objs = objects();
    const sts = objs.find((o) => o.kind === 'StatefulSet');
    const policies = objs.filter((o) => o.kind === 'NetworkPolicy');
    expect(policies).toHaveLength(1);
    expect(policies[0].metadata.namespace).toBe('shop');
    expect(policies[0].spec.podSelector).toEqual(sts.spec.selector);
    expect(policies[0].spec.policyTypes).toEqual(['Ingress']);
    expect(policies[0].spec.ingress).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchLabels: objs.find((o) => o.kind === 'Deployment').spec.selector.matchLabels } }],
      ports: [{ port: 5432, protocol: 'TCP' }],
    }]);
  });
});

// ```typescript blocks are not run: they are files of examples/cdk8s-app (its main.test.ts in full), or
// parts of them, verbatim; those files are type-checked, synthesized and run by test/cdk8s-app.test.ts
// and examples/cdk8s-app/main.test.ts.
test('the README\'s `typescript` blocks are examples/cdk8s-app\'s files, verbatim', () => {
  const app = path.join(__dirname, '..', 'examples', 'cdk8s-app');
  const files = ['main.ts', 'main.test.ts'].map((f) => fs.readFileSync(path.join(app, f), 'utf8'));
  const fileBlocks = [...README.matchAll(/```typescript\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(fileBlocks).toContain(files[1]);
  for (const block of fileBlocks) {
    expect(files.some((f) => f.includes(block))).toBe(true);
  }
});

test('the README support table is the one rendered from src/_catalog.ts', () => {
  expect(README).toContain(`<!-- support-matrix:start -->\n${supportTable()}\n<!-- support-matrix:end -->`);
});
