// The shape the code keeps so that later features fit (see the Internals issue): small functions, and a
// flat public index.
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.join(__dirname, '..', 'src');
const MAX_FUNCTION_LINES = 80;

function functionsOf(file: string, text = fs.readFileSync(path.join(SRC, file), 'utf8')): { name: string; line: number; lines: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { name: string; line: number; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ name: node.name ? node.name.getText(source) : '(anonymous)', line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

const FILES = fs.readdirSync(SRC).filter((f) => f.endsWith('.ts'));

test.each(FILES)(`no function in src/%s is longer than ${MAX_FUNCTION_LINES} lines`, (file) => {
  const long = functionsOf(file).filter((f) => f.lines > MAX_FUNCTION_LINES).map((f) => `${f.name} (line ${f.line}, ${f.lines} lines)`);
  expect(long).toEqual([]);
});

test('the measure sees long functions (a canary: a 100-line function and a 100-line method are found)', () => {
  const body = Array.from({ length: 98 }, (_, i) => `  const x${i} = ${i};`).join('\n');
  const found = functionsOf('canary.ts', `function canary(): void {\n${body}\n}\nclass C {\n  m(): void {\n${body}\n  }\n}\n`);
  expect(found.map((f) => [f.name, f.lines])).toEqual([['canary', 100], ['m', 100]]);
});

test('src/index.ts is flat: it only re-exports modules', () => {
  const lines = fs.readFileSync(path.join(SRC, 'index.ts'), 'utf8').trim().split('\n');
  for (const line of lines) expect(line).toMatch(/^export \* from '\.\/[a-z0-9-]+';$/);
});
