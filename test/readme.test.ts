// The README's TypeScript examples compile (type-checked against the library's source) and run, and
// its support table is the one rendered from the catalog data.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import { supportTable } from '../src/_catalog';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

test('the README has TypeScript examples', () => {
  expect(blocks.length).toBeGreaterThan(0);
});

test.each(blocks.map((b, i) => [i, b] as const))('README example %i compiles and synthesizes', (i, code) => {
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
      const written = fs.readdirSync(outdir);
      expect(written.length).toBeGreaterThan(0);
      expect(fs.readFileSync(path.join(outdir, written[0]), 'utf8')).toContain('kind: StatefulSet');
    } finally {
      delete process.env.CDK8S_OUTDIR;
      fs.rmSync(outdir, { recursive: true });
    }
  } finally {
    fs.unlinkSync(file);
  }
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
