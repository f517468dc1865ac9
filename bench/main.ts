// `npx projen bench:synth [--smoke] [--out DIR]`: measures the library and prints a markdown table; writes
// DIR/bench.json and DIR/bench.md (default bench-results/, git-ignored) with the machine it ran on.
//
//   --smoke   N = 1 and 10, one run each: keeps the bench working (the unit tests run it), measures nothing
//   --out     where the results (and the bench's scratch files) go
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildForBench, ROOT } from './build';
import { runSynthBench, SynthResult, synthMarkdown } from './synth';

export interface BenchOptions {
  readonly smoke?: boolean;
  /** The results directory. */
  readonly out?: string;
  readonly log?: (line: string) => void;
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly os: string;
  /** The 1-minute load average at the start and at the end. */
  readonly loadStart: number;
  readonly loadEnd?: number;
}

export interface BenchResult {
  readonly date: string;
  readonly smoke: boolean;
  readonly machine: Machine;
  /**
   * With the least number of timed pairs per N, the fresh processes per N and app for the peak memory, and
   * per module for the cold require().
   */
  readonly synthesis: SynthResult & { readonly runs: number; readonly memRuns: number; readonly requireRuns: number };
  readonly markdown: string;
}

function machine(): Machine {
  let cpus: number;
  try {
    cpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    cpus = os.availableParallelism();
  }
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux: os.cpus()
  }
  return { cpus, cpuModel, node: process.version, os: `${os.type()} ${os.release()}`, loadStart: os.loadavg()[0] };
}

export function machineLine(m: Machine, date: string): string {
  const load = m.loadEnd === undefined ? m.loadStart.toFixed(2) : `${m.loadStart.toFixed(2)} → ${m.loadEnd.toFixed(2)}`;
  return `Machine: ${m.cpus} CPUs (nproc), ${m.cpuModel}, Node.js ${m.node}, ${m.os}; load average ${load}; ${date}.`;
}

export function runBench(options: BenchOptions = {}): BenchResult {
  const smoke = options.smoke ?? false;
  const out = path.resolve(options.out ?? path.join(ROOT, 'bench-results'));
  const log = options.log ?? (() => undefined);
  fs.mkdirSync(out, { recursive: true });
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const m = machine();
  log('transpiling src/ and bench/ for the child processes');
  const buildDir = buildForBench(path.join(out, '.build'));
  const workDir = path.join(out, '.work');
  const runs = smoke ? 1 : 7;
  const memRuns = smoke ? 1 : 3;
  const requireRuns = smoke ? 1 : 11;
  const synthesis = runSynthBench({
    sizes: smoke ? [1, 10] : [1, 10, 100, 1000],
    runs,
    requireRuns,
    timedDatabases: smoke ? 0 : 2000,
    warmupDatabases: smoke ? 0 : 100,
    memRuns,
    buildDir,
    workDir,
    log,
  });
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.rmSync(buildDir, { recursive: true, force: true });
  const machineDone = { ...m, loadEnd: os.loadavg()[0] };
  const markdown = [
    `# Benchmarks${smoke ? ' (smoke run: N = 1 and 10, one run: not a measurement)' : ''}`,
    '',
    machineLine(machineDone, date),
    '',
    '## Synthesis',
    '',
    synthMarkdown(synthesis, requireRuns, memRuns),
    '',
  ].join('\n');
  const result: BenchResult = { date, smoke, machine: machineDone, synthesis: { ...synthesis, runs, memRuns, requireRuns }, markdown };
  fs.writeFileSync(path.join(out, 'bench.json'), JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(path.join(out, 'bench.md'), markdown);
  return result;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const unknown = args.filter((a, i) => a !== '--smoke' && a !== '--out' && (outAt < 0 || i !== outAt + 1));
  if (unknown.length > 0 || (outAt >= 0 && args[outAt + 1] === undefined)) {
    console.error(`usage: npx projen bench:synth [--smoke] [--out DIR] (got ${args.join(' ')})`);
    process.exit(2);
  }
  const result = runBench({
    smoke: args.includes('--smoke'),
    out: outAt >= 0 ? args[outAt + 1] : undefined,
    log: (line) => console.error(`bench: ${line}`),
  });
  console.log(result.markdown);
}
