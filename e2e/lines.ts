// Entry point of `npx projen e2e`: harnesses (e2e/run.ts) side by side, one per installed WAL-G line and
// group of providers (SHARDS). Their cells mostly wait (on storage outages, replays, archive timeouts), so
// four children on two cores take little more than the longest one. Each child runs one line (E2E_WALG)
// and its providers (E2E_PROVIDERS) as the same test user, with its own storage servers on free ports
// and its own results directory; this process alone clears leftovers of the test user before and after.
// Cell lines are printed as they come; at the end, each child's summary, e2e-results/results.md (the
// children's tables), and "N passed, N failed" over all children.
// With E2E_WALG or E2E_SERIAL=1 set, or one line installed, run.ts runs alone, as before.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { killOwnedLeftovers, OWNER_VAR } from './lib/proc';
import { PG_USER, walgLines } from './lib/tools';

const RESULTS = path.resolve(__dirname, '..', 'e2e-results');
const TS_NODE = path.resolve(__dirname, '..', 'node_modules', '.bin', 'ts-node');
const HARNESS = ['--project', path.resolve(__dirname, '..', 'test', 'tsconfig.json'), path.join(__dirname, 'run.ts')];
/**
 * The providers each line's children take. S3 and MinIO are apart: against a stopped MinIO, WAL-G before
 * 1.1.2 (no WALG_S3_MAX_RETRIES) retries with backoff until each `fault` and `replay-fault` cell's outage
 * ends, which makes them the longest groups (12 and 10 minutes of the 0.2.19 line in the 2026-11-30 run).
 */
const SHARDS = [['s3', 'gcs', 'swift', 'azure'], ['minio', 'local']];
const ALL_PROVIDERS = SHARDS.flat();

interface Outcome { id: string; dir: string; code: number | null; passed: number; failed: number; summaries: string[] }

/** Runs the harness for one line; echoes its cell lines, keeps its totals. */
function child(id: string, dir: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    const proc = spawn(TS_NODE, HARNESS, { env: { ...process.env, ...env, E2E_RESULTS: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Outcome = { id, dir, code: null, passed: 0, failed: 0, summaries: [] };
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

/** The first lines of each failed cell's error in a child's results directory (without the stack), one cell per line. */
function failures(dir: string): string[] {
  const failed = path.join(dir, 'failed');
  if (!fs.existsSync(failed)) return [];
  return fs.readdirSync(failed).sort().map((cell) => {
    const file = path.join(failed, cell, 'error.txt');
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(no error.txt)';
    const message = text.split('\n').filter((l) => !/^\s+at /.test(l) && l.trim() !== '').slice(0, 4).map((l) => l.slice(0, 300));
    return `failed ${cell}: ${message.join(' | ')} (its logs: ${path.join(failed, cell)})`;
  });
}

async function main(): Promise<number> {
  const ids = walgLines().map((l) => l.id);
  if (process.env.E2E_WALG || process.env.E2E_SERIAL === '1' || ids.length < 2) {
    return spawnSync(TS_NODE, HARNESS, { stdio: 'inherit' }).status ?? 1;
  }
  // Every process the children start carries this mark; only those are swept, before and after.
  process.env[OWNER_VAR] ??= path.resolve(RESULTS);
  killOwnedLeftovers(PG_USER);
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const wanted = (process.env.E2E_PROVIDERS ?? ALL_PROVIDERS.join(',')).split(',').map((p) => p.trim());
  const unknown = wanted.filter((p) => !ALL_PROVIDERS.includes(p));
  if (unknown.length) throw new Error(`E2E_PROVIDERS: unknown provider ${unknown.join(', ')} (known: ${ALL_PROVIDERS.join(', ')})`);
  const shards = SHARDS.map((s) => s.filter((p) => wanted.includes(p))).filter((s) => s.length > 0);
  console.log(`e2e: WAL-G lines ${ids.join(', ')} × providers ${shards.map((s) => s.join('+')).join(' | ')}, side by side`);
  // Short directory names: PostgreSQL's socket path in a pod's directory must stay under 108 bytes.
  const slots = ids.length * shards.length;
  const outcomes = await Promise.all(ids.flatMap((id, i) => shards.map((providers, n) => child(`${id} (${providers.join(', ')})`,
    path.join(RESULTS, `walg-${id}-${n + 1}`), {
      // Every provider is in one shard of the first line: its children report the rows about no line.
      E2E_WALG: id, E2E_PROVIDERS: providers.join(','), E2E_CHILD: '1', E2E_GLOBAL_ROWS: i === 0 ? '1' : '0',
      // The first child of each line reports the rows about the line itself (what its binary links).
      E2E_LINE_ROWS: n === 0 ? '1' : '0',
      // Disjoint ports (e2e/lib/ports.ts): a pod's port taken by another child's pod made a readiness check
      // answer for the wrong server (swift pg10 walg-1.1.3 pitr-name, 2026-11-30).
      E2E_PORT_SLOTS: String(slots), E2E_PORT_SLOT: String(i * shards.length + n),
    }))));
  killOwnedLeftovers(PG_USER);
  const tables = outcomes.map((o) => {
    const file = path.join(o.dir, 'results.md');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(/^# e2e results/, `## WAL-G ${o.id}`) : `## WAL-G ${o.id}\n\nno results (exit ${o.code})\n`;
  });
  fs.writeFileSync(path.join(RESULTS, 'results.md'), `# e2e results\n\n${tables.join('\n')}`);
  for (const o of outcomes) {
    o.summaries.forEach((s) => console.log(s));
    if (o.code !== 0 && o.failed === 0) console.log(`e2e: the harness of WAL-G ${o.id} exited ${o.code} without a failed cell`);
  }
  // Each failed cell's error again, next to the totals, where a CI log's tail shows it (the full one and the
  // pods' logs are in its directory).
  for (const o of outcomes) failures(o.dir).forEach((l) => console.log(l));
  const passed = outcomes.reduce((n, o) => n + o.passed, 0);
  const failed = outcomes.reduce((n, o) => n + o.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || outcomes.some((o) => o.code !== 0) ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 1; });
