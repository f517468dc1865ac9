// The synthesis bench (`npx projen bench:synth`): N ArchivingPostgres (mixed providers and versions) against a
// baseline app that writes the same objects as plain ApiObjects (bench/synth-apps.ts), side by side:
//
//   wall time    per N, one child process runs both apps: warm-up runs of each, then timed pairs (more
//                for small N, whose runs are short and noisy), alternating which goes first; medians and
//                their ratio (and, in the JSON, the median of the pairs' ratios)
//   peak memory  per N and app, fresh child processes that run it once: process.resourceUsage().maxRSS
//   require()    the cold require() of the library in fresh processes, beside cdk8s and cdk8s-plus-27 alone
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './build';

export interface SynthOptions {
  /** The numbers of databases. */
  readonly sizes: readonly number[];
  /** Timed pairs per N, at least. */
  readonly runs: number;
  /** Fresh processes per module for the cold require(). */
  readonly requireRuns: number;
  /** More timed pairs for small N: at least this many databases' worth, up to 51 pairs. */
  readonly timedDatabases: number;
  /**
   * Untimed pairs before them, per N: at least `warmupDatabases` databases' worth (the JIT compiler's warm-up;
   * a run of one database is over before it has compiled anything), and one more of each app that checks
   * that the two write the same YAML.
   */
  readonly warmupDatabases: number;
  /** Fresh processes per N and app for the peak memory. */
  readonly memRuns: number;
  /** The transpiled copy of src/ and bench/ (buildForBench()). */
  readonly buildDir: string;
  /** Scratch space for the apps' output. */
  readonly workDir: string;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface SynthRow {
  readonly n: number;
  /** Timed pairs. */
  readonly pairs: number;
  /** Objects written, and bytes of YAML. */
  readonly objects: number;
  readonly yamlBytes: number;
  /** Whether the baseline's YAML is byte-identical to the library's (it must be, for the comparison to hold). */
  readonly identical: boolean;
  /** Wall time of each timed run, ms. */
  readonly libraryMs: number[];
  readonly baselineMs: number[];
  readonly libraryMedianMs: number;
  readonly baselineMedianMs: number;
  /** libraryMedianMs / baselineMedianMs. */
  readonly ratio: number;
  /** The median of library/baseline over the pairs. */
  readonly pairRatio: number;
  /** CPU time (user + system) of each timed run, ms; the ratio of their medians, and the median of the pairs' ratios. */
  readonly libraryCpuMs: number[];
  readonly baselineCpuMs: number[];
  readonly cpuRatio: number;
  readonly cpuPairRatio: number;
  /** Peak RSS of each fresh process, MB. */
  readonly libraryPeakMb: number[];
  readonly baselinePeakMb: number[];
  readonly libraryPeakMedianMb: number;
  readonly baselinePeakMedianMb: number;
  readonly peakRatio: number;
}

export interface RequireRow {
  /** What is required. */
  readonly module: string;
  readonly ms: number[];
  readonly medianMs: number;
}

export interface SynthResult {
  readonly rows: SynthRow[];
  readonly require: RequireRow[];
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs node with the arguments; returns the JSON of its last line of output. */
function child(nodeArgs: string[], args: string[]): any {
  const r = spawnSync(process.execPath, [...nodeArgs, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // The build may be outside the project (a test's temporary directory): its requires of cdk8s,
    // cdk8s-plus-27 and constructs resolve to the project's node_modules.
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NODE_OPTIONS: '' },
  });
  if (r.status !== 0) {
    throw new Error(`bench child ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  }
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line);
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

/** The cold require() of `what` in a fresh process, ms (the process's own start-up is not counted). */
function coldRequire(what: string[]): number {
  const code = `const t0 = process.hrtime.bigint(); for (const m of ${JSON.stringify(what)}) require(m); ` +
    'console.log(JSON.stringify(Number(process.hrtime.bigint() - t0) / 1e6));';
  return child([], ['-e', code]);
}

export function runSynthBench(o: SynthOptions): SynthResult {
  const log = o.log ?? (() => undefined);
  const script = path.join(o.buildDir, 'bench', 'synth-child.js');
  fs.mkdirSync(o.workDir, { recursive: true });
  const rows: SynthRow[] = [];
  for (const n of o.sizes) {
    const manifests = path.join(o.workDir, `manifests-${n}.jsonl`);
    const warmups = Math.ceil(o.warmupDatabases / n);
    const pairs = Math.max(o.runs, Math.min(51, Math.ceil(o.timedDatabases / n)));
    log(`synthesis N=${n}: ${warmups} + 1 warm-up and ${pairs} timed pair(s) in one process`);
    const t = child(['--expose-gc'], [script, 'time', String(n), String(pairs), String(warmups), o.workDir, manifests]);
    const peaks: Record<'library' | 'baseline', number[]> = { library: [], baseline: [] };
    log(`synthesis N=${n}: peak memory, ${o.memRuns} fresh process(es) per app`);
    for (let r = 0; r < o.memRuns; r++) {
      for (const which of r % 2 === 0 ? ['library', 'baseline'] as const : ['baseline', 'library'] as const) {
        const m = child(['--expose-gc'], [script, 'mem', which, String(n), o.workDir, manifests]);
        peaks[which].push(round(m.maxRssKb / 1024));
      }
    }
    fs.rmSync(manifests, { force: true });
    const wall = (runs: Array<{ wall: number }>) => runs.map((x) => x.wall);
    const cpu = (runs: Array<{ cpu: number }>) => runs.map((x) => x.cpu);
    const pairRatio = (a: number[], b: number[]) => round(median(a.map((x, i) => x / b[i])), 2);
    const libraryMs = wall(t.library).map((x) => round(x));
    const baselineMs = wall(t.baseline).map((x) => round(x));
    rows.push({
      n,
      pairs,
      objects: t.objects,
      yamlBytes: t.yamlBytes,
      identical: t.identical,
      libraryMs,
      baselineMs,
      libraryMedianMs: round(median(wall(t.library))),
      baselineMedianMs: round(median(wall(t.baseline))),
      ratio: round(median(wall(t.library)) / median(wall(t.baseline)), 2),
      pairRatio: pairRatio(wall(t.library), wall(t.baseline)),
      libraryCpuMs: cpu(t.library).map((x) => round(x)),
      baselineCpuMs: cpu(t.baseline).map((x) => round(x)),
      cpuRatio: round(median(cpu(t.library)) / median(cpu(t.baseline)), 2),
      cpuPairRatio: pairRatio(cpu(t.library), cpu(t.baseline)),
      libraryPeakMb: peaks.library,
      baselinePeakMb: peaks.baseline,
      libraryPeakMedianMb: round(median(peaks.library)),
      baselinePeakMedianMb: round(median(peaks.baseline)),
      peakRatio: round(median(peaks.library) / median(peaks.baseline), 2),
    });
  }
  log(`cold require(): ${o.requireRuns} fresh process(es) each`);
  const modules: Array<[string, string[]]> = [
    ['cdk8s', ['cdk8s']],
    ['cdk8s + cdk8s-plus-27', ['cdk8s', 'cdk8s-plus-27']],
    ['cdk8s-postgres-walg (loads both)', [path.join(o.buildDir, 'src', 'index.js')]],
  ];
  const times = modules.map(() => [] as number[]);
  for (let r = 0; r < o.requireRuns; r++) {
    // Each round starts with another module, so that none always pays the first read of the files they share.
    for (let k = 0; k < modules.length; k++) {
      const i = (k + r) % modules.length;
      times[i].push(round(coldRequire(modules[i][1])));
    }
  }
  return {
    rows,
    require: modules.map(([module], i) => ({ module, ms: times[i], medianMs: round(median(times[i])) })),
  };
}

/** The results as markdown tables. */
export function synthMarkdown(result: SynthResult, requireRuns: number, memRuns: number): string {
  const lines = [
    'Wall time: medians of the timed runs (pairs) of each app in one process, after warm-up runs of each, the two alternating; '
    + 'ratio = library/baseline of the medians (CPU ratio: the same of each run\'s user + system CPU time, steadier '
    + 'when other processes share the machine). Each run builds its app and calls `app.synth()`. Peak memory: peak RSS of a fresh '
    + `process that builds and synthesizes the app once (median of ${memRuns}); the baseline's includes reading its input `
    + '(the same objects, as JSON lines).',
    '',
    '| N | objects | YAML | pairs | library | baseline | ratio | CPU ratio | library per DB | library peak RSS | baseline peak RSS | ratio |',
    '|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of result.rows) {
    lines.push(`| ${r.n} | ${r.objects} | ${(r.yamlBytes / 1e6).toFixed(2)} MB | ${r.pairs} | ${r.libraryMedianMs.toFixed(0)} ms | ${r.baselineMedianMs.toFixed(0)} ms `
      + `| ${r.ratio.toFixed(2)} | ${r.cpuRatio.toFixed(2)} | ${(r.libraryMedianMs / r.n).toFixed(2)} ms | ${r.libraryPeakMedianMb.toFixed(0)} MB | ${r.baselinePeakMedianMb.toFixed(0)} MB `
      + `| ${r.peakRatio.toFixed(2)} |`);
  }
  const notIdentical = result.rows.filter((r) => !r.identical).map((r) => r.n);
  if (notIdentical.length > 0) {
    lines.push('', `**The baseline's YAML differs from the library's at N = ${notIdentical.join(', ')}: those ratios compare different work.**`);
  }
  lines.push('', `Cold \`require()\` in a fresh process, the process's start-up not counted (median of ${requireRuns}; each round starts with the next module):`, '', '| module | require() |', '|---|--:|');
  for (const r of result.require) {
    lines.push(`| ${r.module} | ${r.medianMs.toFixed(0)} ms |`);
  }
  return lines.join('\n');
}
