// Entry point of `npx projen e2e`: one harness (e2e/run.ts) per installed WAL-G line, side by side.
// Their cells mostly wait (on storage outages, replays, archive timeouts), so two lines on two cores take
// little more than the longer one. Each child runs one line (E2E_WALG) as the same test user, with its
// own storage servers on free ports and its own results directory; this process alone clears leftovers
// of the test user before and after. Cell lines are printed as they come; at the end, each line's
// summary, e2e-results/results.md (the children's tables), and "N passed, N failed" over all lines.
// With E2E_WALG or E2E_SERIAL=1 set, or one line installed, run.ts runs alone, as before.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { PG_USER, walgLines } from './lib/tools';

const RESULTS = path.resolve(__dirname, '..', 'e2e-results');
const TS_NODE = path.resolve(__dirname, '..', 'node_modules', '.bin', 'ts-node');
const HARNESS = ['--project', path.resolve(__dirname, '..', 'test', 'tsconfig.json'), path.join(__dirname, 'run.ts')];

interface Outcome { id: string; code: number | null; passed: number; failed: number; summaries: string[] }

/** Runs the harness for one line; echoes its cell lines, keeps its totals. */
function child(id: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    const proc = spawn(TS_NODE, HARNESS, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Outcome = { id, code: null, passed: 0, failed: 0, summaries: [] };
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      const total = /^(\d+) passed, (\d+) failed$/.exec(line);
      if (total) {
        out.passed = Number(total[1]);
        out.failed = Number(total[2]);
      } else if (line.startsWith('summary: ')) {
        out.summaries.push(line);
      } else {
        console.log(line);
      }
    });
    proc.on('close', (code) => resolve({ ...out, code }));
  });
}

async function main(): Promise<number> {
  const ids = walgLines().map((l) => l.id);
  if (process.env.E2E_WALG || process.env.E2E_SERIAL === '1' || ids.length < 2) {
    return spawnSync(TS_NODE, HARNESS, { stdio: 'inherit' }).status ?? 1;
  }
  spawnSync('pkill', ['-KILL', '-u', PG_USER]);
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  console.log(`e2e: WAL-G lines ${ids.join(', ')}, side by side`);
  const outcomes = await Promise.all(ids.map((id, i) => child(id, {
    E2E_WALG: id, E2E_CHILD: '1', E2E_GLOBAL_ROWS: i === 0 ? '1' : '0', E2E_RESULTS: path.join(RESULTS, `walg-${id}`),
  })));
  spawnSync('pkill', ['-KILL', '-u', PG_USER]);
  const tables = outcomes.map((o) => {
    const file = path.join(RESULTS, `walg-${o.id}`, 'results.md');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(/^# e2e results/, `## WAL-G ${o.id}`) : `## WAL-G ${o.id}\n\nno results (exit ${o.code})\n`;
  });
  fs.writeFileSync(path.join(RESULTS, 'results.md'), `# e2e results\n\n${tables.join('\n')}`);
  for (const o of outcomes) {
    o.summaries.forEach((s) => console.log(s));
    if (o.code !== 0 && o.failed === 0) console.log(`e2e: the harness of WAL-G ${o.id} exited ${o.code} without a failed cell`);
  }
  const passed = outcomes.reduce((n, o) => n + o.passed, 0);
  const failed = outcomes.reduce((n, o) => n + o.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || outcomes.some((o) => o.code !== 0) ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
