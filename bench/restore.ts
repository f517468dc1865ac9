// The restore bench (`npx projen bench:restore`): how fast a WalRestoredPostgres replays WAL from MinIO
// through the library's restore_command (src/scripts/wal-fetch.sh and lib.sh, run as in a pod by
// e2e/lib/pod.ts, with a real WAL-G and a real PostgreSQL), against the floor (the same WAL already in
// pg_wal), a serial setup like KubeDB's (WALG_DOWNLOAD_CONCURRENCY=1: no prefetch) and a sweep of the
// download concurrency (WAL-G's prefetch depth); on loopback and with a round-trip time added between WAL-G
// and MinIO by a delaying proxy (bench/delay-proxy.ts). Then archiving under load: pgbench against an
// ArchivingPostgres with the defaults, and the largest archive lag. Then storage cost: the same workload
// archived with each compression method the version's WAL-G writes, its bytes in the bucket beside the time
// a restore of it takes.
//
// Every way of restoring replays the same archive; the runs alternate (one of each, then again), so that
// a change in the machine's load falls on all of them alike; medians of BENCH_RUNS. Times are PostgreSQL's
// own, from its log: "redo starts at" to "redo done at". Each restore is checked against the source (the
// rows of pgbench_history), so that a replay that ended early cannot pass for a fast one.
//
// Needs root (mount namespaces, as the e2e) and tools/install.sh's tools; run as
//   PG_WALG_USER=<user> npx projen bench:restore [--smoke]
// --smoke: the smallest run (32 MiB, one run of each, no sweep, +20 ms, 5 s of load, 16 MiB a method), as CI runs it
// to keep the bench working; it measures nothing. Environment (defaults in brackets; --smoke's after them):
//   BENCH_WAL_MB [1024; 32]     WAL to replay, in MiB
//   BENCH_RUNS [3; 1]           runs of each way of restoring
//   BENCH_RTT_MS [50; 20]       round-trip times added by the proxy, a comma list (0 or empty: loopback only)
//   BENCH_CONCURRENCY [2,4,16; none]  the download concurrencies of the sweep (the defaults' 10 runs anyway)
//   BENCH_MAJOR [11]            PostgreSQL major
//   BENCH_WALG [1.1.3]          the WAL-G line (tools.ts walgLines(); PG_WALG_WALG_BIN adds a hand-built one)
//   BENCH_LOAD_SECONDS [60; 5]  pgbench seconds of the archiving-under-load part (0: skip it)
//   BENCH_PARTS [restore,load,storage]  which parts to run
//   BENCH_STORAGE_MB [256; 16]  WAL of the storage-cost part's workload, in MiB, per compression method
//   BENCH_WAYS [all]            which ways of restoring (ids: floor, floor-archive, cp, defaults, no-fast-path, serial, c<N>)
//   BENCH_RESULTS [bench-results]  where restore.md and restore.json go (git-ignored)
//   BENCH_REPORT                only write the report again from this restore.json (nothing is run)
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { DelayProxy, startDelayProxy } from './delay-proxy';
import { ArchiveLag, CostRow, Machine, median, renderReport, replayOf, Results, Row, verdicts } from './restore-report';
import { waitArchived } from '../e2e/lib/judge';
import { lineOf } from '../e2e/lib/lines';
import { Obj, Pod } from '../e2e/lib/pod';
import { freePort } from '../e2e/lib/ports';
import { chownFor, Env, run, runAs, startProcess, stopAll, userBaseEnv, waitFor } from '../e2e/lib/proc';
import { listObjects, startMinio, StorageServer } from '../e2e/lib/servers';
import { PG_USER, pgBinDir, versions, WalgLine, walgLines } from '../e2e/lib/tools';
import {
  ArchivingPostgres, PostgresVersion, S3Credentials, SuperuserPassword, WalCompression, WalRestoredPostgres, WalStorage,
} from '../src';

const num = (name: string, dflt: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v}: expected a number`);
  return n;
};
const ARGS = require.main === module ? process.argv.slice(2) : [];
const SMOKE = ARGS.includes('--smoke');
const WAL_MB = num('BENCH_WAL_MB', SMOKE ? 32 : 1024);
const RUNS = num('BENCH_RUNS', SMOKE ? 1 : 3);
const RTT_MS = (process.env.BENCH_RTT_MS ?? (SMOKE ? '20' : '50')).split(',').map((x) => x.trim()).filter((x) => x !== '' && Number(x) > 0).map(Number);
const SWEEP = (process.env.BENCH_CONCURRENCY ?? (SMOKE ? '' : '2,4,16')).split(',').filter((x) => x.trim() !== '').map(Number);
const MAJOR = num('BENCH_MAJOR', 11);
const WALG = process.env.BENCH_WALG ?? '1.1.3';
const LOAD_SECONDS = num('BENCH_LOAD_SECONDS', SMOKE ? 5 : 60);
const PARTS = (process.env.BENCH_PARTS ?? 'restore,load,storage').split(',');
const STORAGE_MB = num('BENCH_STORAGE_MB', SMOKE ? 16 : 256);
const OUT = path.resolve(process.env.BENCH_RESULTS ?? path.join(__dirname, '..', 'bench-results'));
const WORK = path.join(OUT, 'restore-work');
/** The restore pods' logs (the pods' directories are removed after each run). */
const LOGS = path.join(OUT, 'restore-logs');
const WAYS = process.env.BENCH_WAYS?.split(',').map((x) => x.trim()).filter((x) => x !== '');
const PGBENCH = process.env.BENCH_PGBENCH ?? ['/usr/lib/postgresql/17/bin/pgbench', '/usr/lib/postgresql/16/bin/pgbench', '/usr/lib/postgresql/15/bin/pgbench', '/usr/bin/pgbench'].find((p) => fs.existsSync(p)) ?? 'pgbench';
const PASSWORD = SuperuserPassword.fromValue('bench-secret');
const SEGMENT = 16 * 1024 * 1024;
const LOOPBACK = 'loopback';

function say(msg: string): void {
  console.log(`${new Date().toISOString().slice(11, 19)} ${msg}`);
}

/** The PostgresVersion a major runs on the WAL-G line, as the e2e chooses it (e2e/lib/lines.ts). */
function versionFor(major: number, walg: WalgLine): PostgresVersion {
  const v = lineOf(walg).versionFor(major);
  if (typeof v === 'string') throw new Error(`WAL-G ${walg.id} cannot run PostgreSQL ${major}: ${v}`);
  return v;
}

interface Ctx {
  readonly server: StorageServer;
  /** One delaying proxy per network other than loopback ("+50 ms"). */
  readonly proxies: Record<string, DelayProxy>;
  readonly walg: WalgLine;
  readonly version: PostgresVersion;
  readonly busybox: boolean;
}

function synth(build: (chart: Chart) => void): Obj[] {
  // An outdir of the bench's own (Testing.app() would leave a new directory in /tmp at every call).
  const chart = new Chart(Testing.app({ outdir: path.join(WORK, 'cdk8s.out') }), 'bench', { disableResourceNameHashes: true });
  build(chart);
  return Testing.synth(chart) as Obj[];
}

function storage(ctx: Ctx, prefix: string, endpoint: string, compression?: WalCompression): WalStorage {
  return WalStorage.s3(ctx.version as any, {
    compression,
    bucket: ctx.server.bucket,
    prefix,
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    allowInsecureEndpoint: true,
    credentials: S3Credentials.fromAccessKey(ctx.server.credentials.accessKey, ctx.server.credentials.secretKey),
  });
}

/** Adds KEY=VALUE lines to a role's WAL-G settings in the ConfigMap (what load_storage exports to the scripts and the server). */
function addEnv(objects: Obj[], role: 'restore' | 'archive', env: Env): void {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.data?.[`${role}.env`] !== undefined);
  if (!cm) throw new Error(`no ConfigMap with ${role}.env`);
  cm.data[`${role}.env`] += Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join('');
}

let seq = 0;
/** A pod of the StatefulSet name in objects; its volumes and log under WORK/<seq>-<label>. */
async function pod(ctx: Ctx, objects: Obj[], name: string, label = name): Promise<Pod> {
  const dir = path.join(WORK, `${String(++seq).padStart(3, '0')}-${label}`);
  return new Pod({ objects, name, major: MAJOR, walgDir: ctx.walg.dir, busybox: ctx.busybox, port: await freePort(), infraEnv: {}, claims: {}, dir });
}

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) used so far by the processes with these PIDs and all their descendants. */
export function treeCpuSeconds(pids: readonly number[]): number {
  const stats: Array<{ pid: number; ppid: number; ticks: number }> = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    stats.push({ pid: Number(d), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
  }
  const inTree = new Set(pids);
  for (let grew = true; grew;) {
    grew = false;
    for (const x of stats) {
      if (!inTree.has(x.pid) && inTree.has(x.ppid)) {
        inTree.add(x.pid);
        grew = true;
      }
    }
  }
  return stats.filter((x) => inTree.has(x.pid)).reduce((n, x) => n + x.ticks, 0) / TICKS;
}

/** The store's processes on a network: MinIO, and the delaying proxy in front of it. */
function storePids(ctx: Ctx, network: string): number[] {
  return [...ctx.server.procs.map((p) => p.pid), ...(network === LOOPBACK ? [] : [ctx.proxies[network].proc.pid])];
}

function dataDir(p: Pod): string {
  return path.join(p.volumes.data, 'data');
}

async function pgbench(p: Pod, args: string[], timeoutMs: number): Promise<string> {
  const r = await run(PGBENCH, ['-h', p.volumes.run, '-p', String(p.o.port), '-U', 'postgres', ...args, 'postgres'],
    // Commits without waiting for their flush (a client setting: the server keeps the library's): WAL
    // comes as fast as the machine writes it, not at the pace of one fsync per commit.
    { PATH: process.env.PATH ?? '/usr/bin:/bin', PGAPPNAME: 'bench', PGOPTIONS: '-c synchronous_commit=off' }, { timeoutMs, check: true });
  return r.stdout + r.stderr;
}

/**
 * The transactions of both parts: pgbench's TPC-B and, as often, an update of 100 neighbouring accounts
 * (TPC-B alone writes too little WAL a second on a small machine to fill 1 GiB in minutes).
 */
function mix(scale: number): string[] {
  const batch = path.join(WORK, `batch-${scale}.sql`);
  fs.writeFileSync(batch, [
    `\\set aid random(1, ${scale * 100000 - 100})`,
    'UPDATE pgbench_accounts SET abalance = abalance + 1, filler = md5(random()::text) WHERE aid BETWEEN :aid AND :aid + 99;', '',
  ].join('\n'));
  return ['-b', 'tpcb-like', '-f', batch];
}


/** What the restores replay: the archive's prefix, the source's rows, and the segments it holds. */
interface Source { readonly prefix: string; readonly history: number; readonly lastSegment: string; readonly walBytes: number }

/**
 * An ArchivingPostgres (the library's defaults, or another compression method) into which pgbench writes
 * about walMb MiB of WAL.
 */
async function makeSource(ctx: Ctx, walMb = WAL_MB, compression?: WalCompression): Promise<Source> {
  const prefix = `restore-${compression?.method ?? 'default'}-${Date.now()}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'source', { name: 'source', storage: storage(ctx, prefix, ctx.server.endpoint, compression), superuserPassword: PASSWORD }));
  const p = await pod(ctx, objects, 'source', `source-${compression?.method ?? 'default'}`);
  p.start();
  try {
    await p.waitReady(300_000);
    const start = await p.sql('SELECT pg_current_wal_lsn()');
    // About a quarter of the WAL from loading the tables, the rest from transactions (mix()).
    const scale = Math.max(1, Math.min(16, Math.round(walMb / 64)));
    say(`source: pgbench -i -s ${scale}, then pgbench (tpcb-like and a 100-row update) until ${walMb} MiB of WAL`);
    await pgbench(p, ['-i', '-q', '-s', String(scale)], 1_800_000);
    for (;;) {
      const bytes = Number(await p.sql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${start}')`));
      if (bytes >= walMb * 1024 * 1024) break;
      // Short steps for a small workload, so that the WAL written ends close to walMb.
      await pgbench(p, ['-n', '-c', '4', '-j', '2', '-T', walMb >= 512 ? '10' : '2', ...mix(scale)], 120_000);
    }
    const history = Number(await p.sql('SELECT count(*) FROM pgbench_history'));
    const walBytes = Number(await p.sql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${start}')`));
    const lastSegment = await p.sql('SELECT pg_walfile_name(pg_switch_wal())');
    await waitArchived(p, lastSegment, 600_000);
    say(`source: ${(walBytes / 1024 / 1024).toFixed(0)} MiB of WAL archived (up to ${lastSegment}), ${history} rows in pgbench_history`);
    return { prefix, history, lastSegment, walBytes };
  } finally {
    await p.stop();
    fs.rmSync(p.o.dir, { recursive: true, force: true });
  }
}

/** One way of restoring. */
interface Way { readonly id: string; readonly label: string; readonly env: Env }

function ways(): Way[] {
  return [
    { id: 'defaults', label: 'library defaults (download concurrency 10; prefetched segments served without wal-g)', env: {} },
    { id: 'no-fast-path', label: 'library before this change (every segment through wal-g wal-fetch)', env: { PG_WALG_SERVE_PREFETCHED: 'off' } },
    { id: 'serial', label: 'serial, like KubeDB (WALG_DOWNLOAD_CONCURRENCY=1: no prefetch)', env: { WALG_DOWNLOAD_CONCURRENCY: '1' } },
    ...SWEEP.map((n) => ({ id: `c${n}`, label: `WALG_DOWNLOAD_CONCURRENCY=${n}`, env: { WALG_DOWNLOAD_CONCURRENCY: String(n) } })),
  ];
}

/** Restores the source with a WalRestoredPostgres pod; returns its replay's seconds and bytes. */
async function podRestore(
  ctx: Ctx, src: Source, way: Way, network: string, compression?: WalCompression,
): Promise<{ seconds: number; bytes: number; readySeconds: number; storeCpu: number }> {
  const endpoint = network === LOOPBACK ? ctx.server.endpoint : ctx.proxies[network].endpoint;
  const name = `restore-${way.id}`;
  const objects = synth((chart) => new WalRestoredPostgres(chart, 'restore', { name, source: storage(ctx, src.prefix, endpoint, compression), superuserPassword: PASSWORD }));
  addEnv(objects, 'restore', way.env);
  const p = await pod(ctx, objects, name, `${way.id}-${network === LOOPBACK ? 'lo' : 'rtt'}`);
  const t0 = Date.now();
  const cpu0 = treeCpuSeconds(storePids(ctx, network));
  p.start();
  try {
    await p.waitReady(600_000 + (src.walBytes / 1024 / 1024) * 2000);
    const readySeconds = (Date.now() - t0) / 1000;
    const storeCpu = treeCpuSeconds(storePids(ctx, network)) - cpu0;
    const history = Number(await p.sql('SELECT count(*) FROM pgbench_history'));
    if (history !== src.history) throw new Error(`${way.id} (${network}): ${history} rows in pgbench_history, the source has ${src.history}`);
    const r = replayOf(p.log());
    if (!r) throw new Error(`${way.id} (${network}): no "redo starts"/"redo done" in the pod's log ${p.logFile}`);
    return { ...r, readySeconds, storeCpu };
  } finally {
    await p.stop();
    fs.mkdirSync(LOGS, { recursive: true });
    fs.copyFileSync(p.logFile, path.join(LOGS, `${path.basename(p.o.dir)}.log`));
    fs.rmSync(p.o.dir, { recursive: true, force: true });
  }
}

/**
 * The floor's material, fetched once with wal-g as the test user: the base backup (a PGDATA) and every
 * archived segment after it, in a directory of their own.
 */
interface Floor { readonly dir: string; readonly data: string; readonly segments: string; readonly names: string[] }

function walgEnvOf(ctx: Ctx, src: Source): Env {
  return {
    ...userBaseEnv(PG_USER),
    PATH: `${ctx.walg.dir}:${pgBinDir(MAJOR)}:/usr/bin:/bin`,
    WALG_S3_PREFIX: `s3://${ctx.server.bucket}/${src.prefix}`,
    ...ctx.server.env,
  };
}

/** Segment names from first to last (16 MiB segments: 256 to a log file), on first's timeline. */
export function segmentNames(first: string, last: string): string[] {
  const no = (n: string) => parseInt(n.slice(8, 16), 16) * 256 + parseInt(n.slice(16, 24), 16);
  const hex = (x: number) => x.toString(16).toUpperCase().padStart(8, '0');
  const out: string[] = [];
  for (let s = no(first); s <= no(last); s++) out.push(`${first.slice(0, 8)}${hex(Math.floor(s / 256))}${hex(s % 256)}`);
  return out;
}

/** A directory of the test user's under WORK, which the next run (or this one, at its end) removes. */
function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(WORK, prefix));
  chownFor(PG_USER, dir);
  fs.chmodSync(dir, 0o700);
  return dir;
}

async function prepareFloor(ctx: Ctx, src: Source): Promise<Floor> {
  const dir = scratchDir('floor-');
  const data = path.join(dir, 'data');
  const segments = path.join(dir, 'segments');
  const env = walgEnvOf(ctx, src);
  await runAs(PG_USER, 'wal-g', ['backup-fetch', data, 'LATEST'], env, { check: true, timeoutMs: 1_800_000, cwd: dir });
  await runAs(PG_USER, 'mkdir', [segments], env, { check: true });
  const label = fs.readFileSync(path.join(data, 'backup_label'), 'utf8');
  const first = /START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)/.exec(label)?.[1];
  if (!first) throw new Error(`no START WAL LOCATION in backup_label:\n${label}`);
  const names = segmentNames(first, src.lastSegment);
  say(`floor: fetching ${names.length} segments (${first} to ${src.lastSegment})`);
  let next = 0;
  await Promise.all([0, 1, 2, 3].map(async () => {
    while (next < names.length) {
      const n = names[next++];
      await runAs(PG_USER, 'wal-g', ['wal-fetch', n, path.join(segments, n)], { ...env, WALG_DOWNLOAD_CONCURRENCY: '1' }, { check: true, timeoutMs: 300_000, cwd: dir });
      if (fs.statSync(path.join(segments, n)).size !== SEGMENT) throw new Error(`segment ${n}: not ${SEGMENT} bytes`);
    }
  }));
  return { dir, data, segments, names };
}

/**
 * A replay without WAL-G: a copy of the base backup with every segment either already in pg_wal (the floor:
 * crash recovery from backup_label, no restore_command), already in pg_wal in archive recovery (`floor-archive`:
 * a restore_command that finds nothing, `false`, so PostgreSQL reads pg_wal; archive recovery also runs the
 * checkpointer's restartpoints, which crash recovery before PostgreSQL 15 does not), or fetched by `cp` from a
 * local directory (one process per segment, no network).
 */
async function localRestore(floor: Floor, src: Source, how: 'floor' | 'floor-archive' | 'cp'): Promise<{ seconds: number; bytes: number }> {
  const dir = scratchDir(`${how}-`);
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'run');
  try {
    execFileSync('cp', ['-a', floor.data, data]);
    fs.mkdirSync(sock);
    chownFor(PG_USER, sock);
    const port = String(await freePort());
    const args = ['-D', data, '-k', sock, '-c', 'listen_addresses=', '-c', 'archive_mode=off', '-p', port];
    if (how !== 'cp') {
      for (const n of floor.names) fs.copyFileSync(path.join(floor.segments, n), path.join(data, 'pg_wal', n));
      chownFor(PG_USER, path.join(data, 'pg_wal'));
    }
    if (how !== 'floor') {
      const restore = how === 'cp' ? `cp "${floor.segments}/%f" "%p"` : 'false';
      if (MAJOR <= 11) {
        fs.writeFileSync(path.join(data, 'recovery.conf'), `restore_command = '${restore}'\nrecovery_target_timeline = 'latest'\n`);
        chownFor(PG_USER, path.join(data, 'recovery.conf'));
      } else {
        fs.writeFileSync(path.join(data, 'recovery.signal'), '');
        chownFor(PG_USER, path.join(data, 'recovery.signal'));
        args.push('-c', `restore_command=${restore}`);
      }
    }
    const logFile = path.join(dir, 'postgres.log');
    const env = { ...userBaseEnv(PG_USER), PATH: `${pgBinDir(MAJOR)}:/usr/bin:/bin` };
    const proc = startProcess(path.join(pgBinDir(MAJOR), 'postgres'), args, { user: PG_USER, env, logFile, name: `postgres-${how}` });
    try {
      await waitFor(() => fs.readFileSync(logFile, 'utf8').includes('database system is ready to accept connections'), 600_000 + WAL_MB * 2000, { what: `${how} replay`, proc, intervalMs: 200 });
      const history = Number((await run(path.join(pgBinDir(MAJOR), 'psql'), ['-X', '-At', '-h', sock, '-p', port, '-U', 'postgres', '-d', 'postgres', '-c', 'SELECT count(*) FROM pgbench_history'], env, { check: true })).stdout.trim());
      if (history !== src.history) throw new Error(`${how}: ${history} rows in pgbench_history, the source has ${src.history}`);
    } finally {
      await proc.stop(30_000);
    }
    const r = replayOf(fs.readFileSync(logFile, 'utf8'));
    if (!r) throw new Error(`${how}: no "redo starts"/"redo done" in ${logFile}`);
    return r;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Archiving under load: pgbench for LOAD_SECONDS against an ArchivingPostgres with the defaults, sampling archive_status. */
async function archiveUnderLoad(ctx: Ctx): Promise<ArchiveLag> {
  const objects = synth((chart) => new ArchivingPostgres(chart, 'load', { name: 'load', storage: storage(ctx, `load-${Date.now()}`, ctx.server.endpoint), superuserPassword: PASSWORD }));
  const p = await pod(ctx, objects, 'load');
  p.start();
  try {
    await p.waitReady(300_000);
    const archiveTimeout = Number((await p.sql("SELECT setting FROM pg_settings WHERE name = 'archive_timeout'")));
    await pgbench(p, ['-i', '-q', '-s', '2'], 600_000);
    const status = path.join(dataDir(p), 'pg_wal', 'archive_status');
    const sample = () => {
      const ready = fs.readdirSync(status).filter((f) => f.endsWith('.ready'));
      const oldest = Math.min(...ready.map((f) => fs.statSync(path.join(status, f)).mtimeMs));
      return { waiting: ready.length, behind: ready.length ? (Date.now() - oldest) / 1000 : 0 };
    };
    // Start from a drained archive.
    await waitFor(() => sample().waiting === 0, 300_000, { what: 'archive drained before the load', intervalMs: 500 });
    const lsn0 = await p.sql('SELECT pg_current_wal_lsn()');
    let maxWaiting = 0;
    let maxBehind = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        const s = sample();
        maxWaiting = Math.max(maxWaiting, s.waiting);
        maxBehind = Math.max(maxBehind, s.behind);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    say(`load: pgbench -c 4 -j 2 -T ${LOAD_SECONDS} (tpcb-like and a 100-row update) against an ArchivingPostgres with the defaults`);
    const t0 = Date.now();
    await pgbench(p, ['-n', '-c', '4', '-j', '2', '-T', String(LOAD_SECONDS), ...mix(2)], LOAD_SECONDS * 1000 + 120_000);
    const seconds = (Date.now() - t0) / 1000;
    const bytes = Number(await p.sql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${lsn0}')`));
    const t1 = Date.now();
    await waitFor(() => sample().waiting === 0, 600_000, { what: 'archive drained after the load', intervalMs: 250 });
    const drainSeconds = (Date.now() - t1) / 1000;
    running = false;
    await sampler;
    const failed = Number(await p.sql('SELECT failed_count FROM pg_stat_archiver'));
    return {
      seconds: LOAD_SECONDS,
      archiveTimeout,
      walMbPerSecond: bytes / 1024 / 1024 / seconds,
      segmentsWritten: Math.round(bytes / SEGMENT),
      maxWaiting,
      maxSecondsBehind: maxBehind,
      drainSeconds,
      failed,
    };
  } finally {
    await p.stop();
    fs.rmSync(p.o.dir, { recursive: true, force: true });
  }
}

/**
 * Storage cost: for each compression method the version's WAL-G writes (the library refuses the others at
 * synth time, and the report says why), an ArchivingPostgres archives the same workload (pgbench until
 * STORAGE_MB of WAL); the bytes of its prefix in the bucket, then RUNS restores of it with the defaults,
 * the methods alternating run by run.
 */
async function storageCost(ctx: Ctx): Promise<CostRow[]> {
  const rows: CostRow[] = [];
  const sources = new Map<string, { src: Source; compression: WalCompression }>();
  for (const c of [WalCompression.LZ4, WalCompression.LZMA, WalCompression.ZSTD, WalCompression.BROTLI]) {
    try {
      synth((chart) => new ArchivingPostgres(chart, 'probe', { name: 'probe', storage: storage(ctx, 'probe', ctx.server.endpoint, c), superuserPassword: PASSWORD }));
    } catch (e) {
      rows.push({ method: c.method, refused: String((e as Error).message).split('\n')[0], walBytes: 0, stored: 0, storedWal: 0, replay: [], ready: [] });
      continue;
    }
    const t0 = Date.now();
    const src = await makeSource(ctx, STORAGE_MB, c);
    const objects = await listObjects(ctx.server, src.prefix);
    const sum = (f: (key: string) => boolean) => objects.filter((o) => f(o.key)).reduce((n, o) => n + o.size, 0);
    rows.push({ method: c.method, walBytes: src.walBytes, stored: sum(() => true), storedWal: sum((k) => k.startsWith('wal_')), archiveSeconds: (Date.now() - t0) / 1000, replay: [], ready: [] });
    sources.set(c.method, { src, compression: c });
    say(`storage: ${c.method}: ${(src.walBytes / 1024 / 1024).toFixed(0)} MiB of WAL stored in ${(rows[rows.length - 1].stored / 1024 / 1024).toFixed(1)} MiB`);
  }
  const defaults = ways().find((w) => w.id === 'defaults')!;
  for (let i = 0; i < RUNS; i++) {
    for (const row of rows) {
      const source = sources.get(row.method);
      if (!source) continue;
      const r = await podRestore(ctx, source.src, defaults, LOOPBACK, source.compression);
      row.replay.push(r.seconds);
      row.ready.push(r.readySeconds);
      say(`storage run ${i + 1}/${RUNS} ${row.method}: replay ${r.seconds.toFixed(2)} s, ready after ${r.readySeconds.toFixed(1)} s`);
    }
  }
  return rows;
}

function machine(ctx: Ctx): Machine {
  const pg = execFileSync(path.join(pgBinDir(MAJOR), 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  return {
    date: new Date().toISOString(),
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    cpu: os.cpus()[0]?.model ?? '?',
    node: process.version,
    load: os.loadavg().map((x) => x.toFixed(1)).join(' '),
    postgres: pg,
    walg: ctx.walg.text,
    minio: versions().MINIO_GO_VERSION ?? '?',
    shell: ctx.busybox ? 'busybox sh' : 'dash',
  };
}

/** A mistake in how the bench was run: said in one line, without a stack trace. */
class UsageError extends Error {}

/**
 * The order of round i (from 0): the items taken with a stride coprime to their count (1, then backwards,
 * then 2, 3, … skipping those that share a factor with it), starting i places in. A way of restoring then
 * follows another one in each round — as many different ones as the count allows — so that no way always
 * follows the same one.
 */
export function roundOrder<T>(items: readonly T[], i: number): T[] {
  const n = items.length;
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const strides = [1, n - 1];
  for (let st = 2; st < n - 1; st++) if (gcd(st, n) === 1) strides.push(st);
  const stride = n > 0 ? strides[i % strides.length] : 1;
  return items.map((_, k) => items[(i + k * stride) % n]);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new UsageError('the restore bench runs pods in mount namespaces, as the e2e: run it as root');
  const walg = walgLines().find((l) => l.id === WALG || l.id.startsWith(`${WALG}.`));
  if (!walg) {
    throw new UsageError(`BENCH_WALG=${WALG}: no such WAL-G line (installed: ${walgLines().map((l) => l.id).join(', ')}; ` +
      'PG_WALG_WALG_BIN=<path of a wal-g binary> adds its line, as in the e2e)');
  }
  const version = versionFor(MAJOR, walg);
  // The previous run's scratch files and logs go only once this run can start.
  for (const d of [WORK, LOGS]) fs.rmSync(d, { recursive: true, force: true });
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(OUT, { recursive: true });
  const server = await startMinio({ tls: false, dir: path.join(WORK, 'minio') });
  const proxies: Record<string, DelayProxy> = {};
  for (const rtt of RTT_MS) proxies[`+${rtt} ms`] = await startDelayProxy(path.join(WORK, `proxy-${rtt}`), `127.0.0.1:${server.port}`, rtt);
  const networks = [LOOPBACK, ...Object.keys(proxies)];
  const ctx: Ctx = { server, proxies, walg, version, busybox: version.walgImage === undefined && (MAJOR === 11 || MAJOR === 17) };
  const m0 = machine(ctx);
  say(`restore bench: PostgreSQL ${MAJOR} (${version.name}), ${walg.text}, ${WAL_MB} MiB of WAL, ${RUNS} runs, networks ${networks.join(', ')}`);
  const rows: Row[] = [];
  let lag: ArchiveLag | undefined;
  let cost: CostRow[] | undefined;
  let src: Source | undefined;
  try {
    if (PARTS.includes('restore')) {
      src = await makeSource(ctx);
      const floor = await prepareFloor(ctx, src);
      const row = (id: string, label: string, network: string): Row => {
        let r = rows.find((x) => x.id === id && x.network === network);
        if (!r) rows.push(r = { id, label, network, seconds: [], bytes: 0, storeCpu: network === LOOPBACK && ['floor', 'floor-archive', 'cp'].includes(id) ? undefined : [] });
        return r;
      };
      const jobs: Array<{ id: string; label: string; network: string; go: () => Promise<{ seconds: number; bytes: number; storeCpu?: number }> }> = [
        { id: 'floor', label: 'floor: the WAL already in pg_wal (no restore_command)', network: LOOPBACK, go: async () => ({ ...await localRestore(floor, src!, 'floor'), storeCpu: undefined }) },
        {
          id: 'floor-archive',
          label: 'floor in archive recovery: the WAL already in pg_wal, restore_command = false',
          network: LOOPBACK,
          go: async () => ({ ...await localRestore(floor, src!, 'floor-archive'), storeCpu: undefined }),
        },
        { id: 'cp', label: 'restore_command = cp from a local directory', network: LOOPBACK, go: async () => ({ ...await localRestore(floor, src!, 'cp'), storeCpu: undefined }) },
        ...networks.flatMap((network) => ways().map((w) => ({ id: w.id, label: w.label, network, go: () => podRestore(ctx, src!, w, network) }))),
      ].filter((j) => !WAYS || WAYS.includes(j.id));
      for (let i = 0; i < RUNS; i++) {
        const order = roundOrder(jobs, i);
        for (const j of order) {
          const r = await j.go();
          const x = row(j.id, j.label, j.network);
          x.seconds.push(r.seconds);
          if (r.storeCpu !== undefined) x.storeCpu?.push(r.storeCpu);
          x.bytes = r.bytes;
          say(`run ${i + 1}/${RUNS} ${j.network} ${j.id}: ${r.seconds.toFixed(2)} s (${(r.bytes / 1024 / 1024 / r.seconds).toFixed(1)} MiB/s)`);
          // What is measured so far, in case the run is cut short.
          fs.writeFileSync(path.join(OUT, 'restore.partial.json'), `${JSON.stringify({ source: src, networks, rows }, null, 2)}\n`);
        }
      }
      fs.rmSync(floor.dir, { recursive: true, force: true });
    }
    if (PARTS.includes('load') && LOAD_SECONDS > 0) lag = await archiveUnderLoad(ctx);
    if (PARTS.includes('storage') && STORAGE_MB > 0) cost = await storageCost(ctx);
  } finally {
    for (const p of Object.values(proxies)) await p.stop();
    await server.stop({ keepDir: true });
    fs.rmSync(path.join(WORK, 'minio'), { recursive: true, force: true });
    await stopAll();
  }
  const m1 = machine(ctx);
  const results: Results = {
    machine: { ...m0, load: `${m0.load} (start), ${m1.load} (end)` },
    settings: {
      walMb: WAL_MB,
      runs: RUNS,
      rttMs: RTT_MS,
      sweep: SWEEP,
      major: MAJOR,
      version: version.name,
      walg: walg.text,
      loadSeconds: LOAD_SECONDS,
      storageMb: STORAGE_MB,
    },
    source: src,
    networks: networks.map((name) => ({ name, rttMs: proxies[name]?.rttMs ?? 0 })),
    rows: rows.map((r) => ({ ...r, median: median(r.seconds) })),
    archiveLag: lag,
    storage: cost,
  };
  write(results);
  // The scratch files (pods' volumes, MinIO's data, the floors) go; the pods' logs stay in LOGS.
  fs.rmSync(WORK, { recursive: true, force: true });
}

/** Writes restore.json and restore.md (renderReport), and prints the markdown. */
function write(results: Results): void {
  const text = renderReport(results);
  console.log(`\n${text}`);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'restore.md'), text);
  fs.writeFileSync(path.join(OUT, 'restore.json'), `${JSON.stringify({ ...results, best: verdicts(results.rows, results.networks.map((n) => n.name)).best }, null, 2)}\n`);
  fs.rmSync(path.join(OUT, 'restore.partial.json'), { force: true });
  say(`wrote ${path.join(OUT, 'restore.md')} and restore.json`);
}

if (require.main === module && process.env.BENCH_REPORT) {
  // Only the report again, from a restore.json (e.g. after a change of the report).
  write(JSON.parse(fs.readFileSync(process.env.BENCH_REPORT, 'utf8')) as Results);
} else if (require.main === module) {
  const unknown = ARGS.filter((a) => a !== '--smoke');
  if (unknown.length) {
    throw new Error(`bench/restore.ts: unknown argument ${unknown.join(' ')} (the only one is --smoke; the settings are environment variables)`);
  }
  const keepAlive = setInterval(() => undefined, 60_000);
  main().then(() => clearInterval(keepAlive)).catch(async (e) => {
    console.error(e instanceof UsageError ? `bench:restore: ${e.message}` : e);
    await stopAll();
    process.exit(1);
  });
}
