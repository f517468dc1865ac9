// `npx projen bench:synth --smoke` keeps the synthesis bench working: it runs here, in the unit tests, and its table and
// results file are checked for their rows. It measures nothing worth asserting (one run of N = 1 and 10 on
// whatever else the machine is doing): no timing is checked.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runBench } from '../bench/main';

test('the smoke run prints and writes the synthesis table, the require() table and the machine', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  try {
    const result = runBench({ smoke: true, out });
    expect(fs.readFileSync(path.join(out, 'bench.md'), 'utf8')).toBe(result.markdown);
    const json = JSON.parse(fs.readFileSync(path.join(out, 'bench.json'), 'utf8'));
    expect(json.smoke).toBe(true);
    expect(json.synthesis.rows.map((r: { n: number }) => r.n)).toEqual([1, 10]);
    for (const row of json.synthesis.rows) {
      // The baseline wrote exactly the library's YAML: the two did the same work.
      expect(row.identical).toBe(true);
      expect(row.libraryMs).toHaveLength(1);
      expect(row.baselineMs).toHaveLength(1);
      expect(row.libraryPeakMb[0]).toBeGreaterThan(0);
      expect(row.baselinePeakMb[0]).toBeGreaterThan(0);
    }
    // Six providers in turn: the first database's storage (S3 with keys in code) and password bring two Secrets.
    expect(json.synthesis.rows[0].objects).toBe(6);
    const md = result.markdown;
    const number = '[0-9]+(\\.[0-9]+)?';
    for (const n of [1, 10]) {
      expect(md).toMatch(new RegExp(`^\\| ${n} \\| [0-9]+ \\| ${number} MB \\| 1 \\| ${number} ms \\| ${number} ms \\| ${number} \\| ${number} \\| ${number} ms \\| ${number} MB \\| ${number} MB \\| ${number} \\|$`, 'm'));
    }
    expect(md).not.toMatch(/^\| 100 \|/m);
    for (const module of ['cdk8s', 'cdk8s \\+ cdk8s-plus-27', 'cdk8s-postgres-walg \\(loads both\\)']) {
      expect(md).toMatch(new RegExp(`^\\| ${module} \\| ${number} ms \\|$`, 'm'));
    }
    expect(md).toMatch(/^Machine: [0-9]+ CPUs \(nproc\), .+, Node\.js v[0-9]+\.[0-9]+\.[0-9]+, .+; load average .+; [0-9]{4}-[0-9]{2}-[0-9]{2}T.+Z\.$/m);
    // The scratch files are gone; only the results stay.
    expect(fs.readdirSync(out).sort()).toEqual(['bench.json', 'bench.md']);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 300_000);
