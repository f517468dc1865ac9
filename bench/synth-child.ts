// A child process of the synthesis bench (bench/synth.ts starts it with node --expose-gc, from the
// transpiled copy in the results' build directory). Prints one JSON line on stdout.
//
//   time <N> <runs> <warmups> <outdir> <manifests.jsonl>
//       In one process: synthesizes the library's app once and the baseline once (the outputs must be
//       byte-identical), writes the manifests for the memory children, runs <warmups> more pairs untimed
//       (the JIT compiler's warm-up), then <runs> pairs of timed runs, alternating which of the two goes
//       first. Each run builds its app and calls app.synth(); the baseline's run is given a fresh copy of
//       the objects (made before its clock starts), as the library makes its own.
//   mem <library|baseline> <N> <outdir> <manifests.jsonl>
//       One run in a fresh process; reports its peak RSS (process.resourceUsage().maxRSS). The baseline
//       reads its input line by line (one object a line), so that no copy of the whole input is in memory,
//       and keeps one string per script text, as the library does.
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { App } from 'cdk8s';
import { baselineApp, ChartManifests, libraryApp, manifestsOf } from './synth-apps';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** The files app.synth() wrote, by name. */
function written(dir: string): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

function bytes(dir: string): number {
  return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

/** A copy of the objects and arrays (the strings, immutable, are shared as the library shares them). */
function fresh<T>(value: T): T {
  if (Array.isArray(value)) {
    return value.map(fresh) as T;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fresh(v)])) as T;
  }
  return value;
}

/** Builds an app and synthesizes it; returns the wall and CPU (user + system) milliseconds it took. */
function timed(build: () => App): { wall: number; cpu: number } {
  gc();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  build().synth();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function time(n: number, runs: number, warmups: number, outdir: string, manifestsFile: string): void {
  const libDir = path.join(outdir, 'library');
  const baseDir = path.join(outdir, 'baseline');
  const clean = (dir: string) => fs.rmSync(dir, { recursive: true, force: true });
  clean(libDir);
  clean(baseDir);
  // Warm-up, and the baseline's input: the library's objects as JSON (the library's app is not kept).
  const charts = ((app: App) => {
    app.synth();
    return manifestsOf(app);
  })(libraryApp(n, libDir));
  writeManifests(manifestsFile, charts);
  baselineApp(charts, baseDir).synth();
  const a = written(libDir);
  const b = written(baseDir);
  const identical = a.size === b.size && [...a].every(([f, data]) => b.get(f)?.equals(data));
  const yamlBytes = bytes(libDir);
  const objects = charts.reduce((k, c) => k + c.objects.length, 0);
  const library: Array<{ wall: number; cpu: number }> = [];
  const baseline: Array<{ wall: number; cpu: number }> = [];
  for (let r = -warmups; r < runs; r++) {
    const order = r % 2 === 0 ? ['library', 'baseline'] : ['baseline', 'library'];
    for (const which of order) {
      if (which === 'library') {
        clean(libDir);
        const t = timed(() => libraryApp(n, libDir));
        if (r >= 0) library.push(t);
      } else {
        clean(baseDir);
        // Objects made for this run, as the library makes its own (not the same old objects run after run).
        const input = fresh(charts);
        const t = timed(() => baselineApp(input, baseDir));
        if (r >= 0) baseline.push(t);
      }
    }
  }
  clean(libDir);
  clean(baseDir);
  console.log(JSON.stringify({ n, library, baseline, identical, yamlBytes, objects }));
}

/** The charts' ids and namespaces on the first line, then one line per object: [chart index, object]. */
function writeManifests(file: string, charts: readonly ChartManifests[]): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, JSON.stringify(charts.map((c) => ({ id: c.id, namespace: c.namespace }))) + '\n');
  charts.forEach((c, i) => c.objects.forEach((o) => fs.writeSync(fd, JSON.stringify([i, o]) + '\n')));
  fs.closeSync(fd);
}

/**
 * The manifests written by writeManifests(), as objects. Long strings (the scripts) are one string per
 * text, as the library holds them, not one per object.
 */
async function readManifests(file: string): Promise<ChartManifests[]> {
  const texts = new Map<string, string>();
  const intern = (_key: string, v: unknown) => {
    if (typeof v !== 'string' || v.length < 1024) return v;
    const known = texts.get(v);
    if (known !== undefined) return known;
    texts.set(v, v);
    return v;
  };
  let charts: Array<{ id: string; namespace?: string; objects: any[] }> | undefined;
  for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
    if (charts === undefined) {
      charts = (JSON.parse(line) as Array<{ id: string; namespace?: string }>).map((c) => ({ ...c, objects: [] }));
    } else if (line) {
      const [i, o] = JSON.parse(line, intern) as [number, any];
      charts[i].objects.push(o);
    }
  }
  return charts ?? [];
}

async function mem(which: string, n: number, outdir: string, manifestsFile: string): Promise<void> {
  const dir = path.join(outdir, `mem-${which}`);
  fs.rmSync(dir, { recursive: true, force: true });
  let build: () => App;
  if (which === 'library') {
    build = () => libraryApp(n, dir);
  } else {
    const charts = await readManifests(manifestsFile);
    build = () => baselineApp(charts, dir);
  }
  const { wall } = timed(build);
  const maxRssKb = process.resourceUsage().maxRSS;
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ n, which, ms: wall, maxRssKb }));
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'time') {
  time(Number(args[0]), Number(args[1]), Number(args[2]), args[3], args[4]);
} else if (mode === 'mem') {
  mem(args[0], Number(args[1]), args[2], args[3]).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
} else {
  throw new Error(`usage: synth-child.js time <N> <runs> <warmups> <outdir> <manifests.jsonl> | mem <library|baseline> <N> <outdir> <manifests.jsonl> (got ${mode})`);
}
