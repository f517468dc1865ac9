// The type-level matrix: test/types/matrix.types.ts (rendered from src/_catalog.ts) has one call per
// cell, `@ts-expect-error` on the unsupported ones; `tsc --noEmit` in the test task fails if an
// unsupported cell compiles or a supported one does not. This test checks the rendered file covers
// all 162 cells (27 versions × 6 providers), and that without the markers each unsupported call fails for the right reason: its
// version argument's type (TS2345), and nothing else.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { CATALOG, PROVIDERS, supports } from '../src/_catalog';

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
