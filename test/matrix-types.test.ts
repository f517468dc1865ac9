// The type-level matrix: test/types/matrix.types.ts (rendered from src/_catalog.ts) has one call per
// cell, `@ts-expect-error` on the unsupported ones; `tsc --noEmit` in the test task fails if an
// unsupported cell compiles or a supported one does not. This test checks the rendered file covers
// all 162 cells (27 versions × 6 providers), and that without the markers each unsupported call fails for the right reason: its
// version argument's type (TS2345), and nothing else.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { CATALOG, isKubedb, memberName, PROVIDERS, supports } from '../src/_catalog';

const FILE = path.join(__dirname, 'types', 'matrix.types.ts');

test('the rendered type test covers every cell', () => {
  const text = fs.readFileSync(FILE, 'utf8');
  const cells = [...text.matchAll(/\/\/ cell (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  expect(cells).toHaveLength(162);
  expect(new Set(cells)).toEqual(new Set(CATALOG.flatMap((e) => PROVIDERS.map((p) => `${e.name} ${p}`))));
  const expected = CATALOG.flatMap((e) => PROVIDERS.filter((p) => !supports(e, p))).length;
  expect((text.match(/@ts-expect-error/g) ?? []).length).toBe(expected);
  expect(expected).toBe(5 * 4 + 5 * 2); // tier A lacks 4 providers, tier B lacks 2, tier C none
});

test('without @ts-expect-error, exactly the unsupported cells fail, on the version argument', () => {
  const text = fs.readFileSync(FILE, 'utf8').replace(/^\s*\/\/ @ts-expect-error.*\n/gm, '');
  const probe = path.join(__dirname, 'types', '.matrix.probe.ts');
  fs.writeFileSync(probe, text);
  try {
    const config = ts.getParsedCommandLineOfConfigFile(path.join(__dirname, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
    const program = ts.createProgram([probe], { ...config.options, noEmit: true, isolatedModules: false });
    const source = program.getSourceFile(probe)!;
    const failing = new Map<string, string[]>();
    for (const d of ts.getPreEmitDiagnostics(program, source)) {
      const line = source.getLineAndCharacterOfPosition(d.start!).line;
      const cell = /\/\/ cell (\S+ \S+)$/.exec(source.text.split('\n')[line])?.[1] ?? `line ${line + 1}`;
      failing.set(cell, [...(failing.get(cell) ?? []), `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`]);
    }
    const unsupported = CATALOG.flatMap((e) => PROVIDERS.filter((p) => !supports(e, p)).map((p) => `${e.name} ${p}`));
    expect([...failing.keys()].sort()).toEqual(unsupported.sort());
    for (const [, messages] of failing) {
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatch(/^TS2345 Argument of type '(PostgresVersion|AzureSwiftPostgresVersion)' is not assignable to parameter of type '(IAzureSwiftPostgresVersion|IAllStoragePostgresVersion)'/);
    }
  } finally {
    fs.unlinkSync(probe);
  }
});

// The modern versions' cells in the jsii languages (bindings/snippets, rendered from src/_catalog.ts too):
// `npx projen bindings` type-checks and runs them; here, that each file has one call per cell, on the line
// after its marker, passing the version's static member to the provider's factory.
const MODERN = CATALOG.filter((e) => !isKubedb(e)).flatMap((e) => PROVIDERS.map((p) => ({ name: e.name, member: memberName(e.name), provider: p })));
const pascal = (s: string) => s[0].toUpperCase() + s.slice(1);
test.each([
  ['modern_cells.py', /^\s*# cell (\S+) (\S+)$/, (c: typeof MODERN[number]) => `WalStorage.${c.provider}(PostgresVersion.${c.member}, `],
  ['ModernCells.java', /^\s*\/\/ cell (\S+) (\S+)$/, (c: typeof MODERN[number]) => `WalStorage.${c.provider}(PostgresVersion.${c.member}, `],
  ['modern_cells.go', /^\s*\/\/ cell (\S+) (\S+)$/, (c: typeof MODERN[number]) => `walg.WalStorage_${pascal(c.provider)}(walg.PostgresVersion_${c.member}(), `],
])('bindings/snippets/%s has one call per modern cell', (file, marker, call) => {
  const lines = fs.readFileSync(path.join(__dirname, '..', 'bindings', 'snippets', file), 'utf8').split('\n');
  const found = lines.flatMap((l, i) => {
    const m = marker.exec(l);
    return m ? [{ cell: `${m[1]} ${m[2]}`, next: lines[i + 1] }] : [];
  });
  expect(MODERN).toHaveLength(30);
  expect(found.map((f) => f.cell)).toEqual(MODERN.map((c) => `${c.name} ${c.provider}`));
  found.forEach((f, i) => expect(f.next).toContain(call(MODERN[i])));
  // No other factory call: exactly the cells.
  expect(lines.filter((l) => /WalStorage[._]/.test(l) && /PostgresVersion[._]V/.test(l))).toHaveLength(30);
});
