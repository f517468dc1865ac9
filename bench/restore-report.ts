// The restore bench's arithmetic and its report: how long a replay took (from PostgreSQL's own log),
// medians and ratios, the verdicts on the issue's targets, and the markdown tables. No I/O here.

/** Bytes of a PostgreSQL LSN ("16/B374D848"). */
export function lsnBytes(lsn: string): number {
  const m = /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(lsn.trim());
  if (!m) throw new Error(`not an LSN: ${lsn}`);
  return parseInt(m[1], 16) * 2 ** 32 + parseInt(m[2], 16);
}

/** A replay as PostgreSQL logged it: from "redo starts at" to "redo done at". */
export interface Replay {
  readonly seconds: number;
  readonly bytes: number;
  readonly from: string;
  readonly to: string;
}

// log_line_prefix '%m [%p] ' (the default since PostgreSQL 10): "2026-11-30 22:03:51.123 UTC [42] LOG:  …".
const STAMP = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) \S+ \[\d+\] LOG: +/;

/**
 * The replay in a server log: the first "redo starts at" and the "redo done at" after it, timed by the log's
 * time stamps (both in the log's one time zone). Undefined when the log has no whole replay.
 */
export function replayOf(log: string): Replay | undefined {
  let start: { t: number; lsn: string } | undefined;
  for (const line of log.split('\n')) {
    const m = STAMP.exec(line);
    if (!m) continue;
    const t = Date.parse(`${m[1]}T${m[2]}Z`);
    const rest = line.slice(m[0].length);
    const starts = /^redo starts at ([0-9A-F]+\/[0-9A-F]+)/.exec(rest);
    if (starts && !start) start = { t, lsn: starts[1] };
    const done = /^redo done at ([0-9A-F]+\/[0-9A-F]+)/.exec(rest);
    if (done && start) {
      return { seconds: (t - start.t) / 1000, bytes: lsnBytes(done[1]) - lsnBytes(start.lsn), from: start.lsn, to: done[1] };
    }
  }
  return undefined;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One way of restoring, and how it did. */
export interface Row {
  /** Stable id: "defaults", "serial", "c8", "floor", … */
  readonly id: string;
  readonly label: string;
  /** "loopback" or "+30 ms" */
  readonly network: string;
  readonly seconds: number[];
  /** WAL bytes of the replay (the same in every run). */
  bytes: number;
  /**
   * CPU seconds the store's processes (MinIO, and the delaying proxy) used during each restore: on this
   * bench's one machine they share its CPUs with the replay, as a real object store's would not.
   */
  readonly storeCpu?: number[];
}

export interface ArchiveLag {
  readonly seconds: number;
  readonly archiveTimeout: number;
  readonly walMbPerSecond: number;
  readonly segmentsWritten: number;
  readonly maxWaiting: number;
  readonly maxSecondsBehind: number;
  readonly drainSeconds: number;
  readonly failed: number;
}

/** The storage cost of one compression method: the same workload archived with it, and restores of it. */
export interface CostRow {
  /** WALG_COMPRESSION_METHOD */
  readonly method: string;
  /** Why the library refused the method for the version (its synth-time error's first line), if it did. */
  readonly refused?: string;
  /** WAL the workload wrote (bytes). */
  readonly walBytes: number;
  /** Bytes under the archive's prefix: base backup and WAL. */
  readonly stored: number;
  /** Of which the WAL (wal_005/). */
  readonly storedWal: number;
  /** Seconds from the archiving pod's start to the last segment archived (pgbench included). */
  readonly archiveSeconds?: number;
  /** Replay seconds of each restore with the defaults ("redo starts" to "redo done"). */
  readonly replay: number[];
  /** Seconds from each restore pod's start to the server accepting connections (backup-fetch included). */
  readonly ready: number[];
}

export interface Machine {
  readonly date: string;
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
  readonly load: string;
  readonly postgres: string;
  readonly walg: string;
  readonly minio: string;
  readonly shell: string;
}

export interface Verdicts {
  readonly lines: string[];
  /** The fastest download concurrency of the sweep and the defaults, per network: for the recommendation. */
  readonly best: Record<string, { id: string; seconds: number }>;
}

const MiB = 1024 * 1024;

export function mbps(bytes: number, seconds: number): number {
  return bytes / MiB / seconds;
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

/**
 * The median of the ratios of two rows' runs, run by run: each round of the bench runs every way of
 * restoring once, so a change of the machine's load between rounds falls on both sides of each ratio.
 */
export function pairedRatio(a: Row, b: Row): number {
  return runRatio(a.seconds, b.seconds);
}

/** The median of the ratios a[i] / b[i] of two series of runs, round by round. */
export function runRatio(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  return median(a.slice(0, n).map((s, i) => s / b[i]));
}

/**
 * The rows of one network, in their order, as a markdown table: the median time and its MiB/s, and the
 * ratios to the floor and to the defaults (medians of the ratios round by round: pairedRatio).
 */
export function table(rows: readonly Row[], floor: Row | undefined): string[] {
  const defaults = rows.find((r) => r.id === 'defaults');
  const out = [
    '| restore | median s | MiB/s | × floor | × defaults | store CPU s | runs (s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const m = median(r.seconds);
    const f = floor ? pairedRatio(r, floor) : NaN;
    const d = defaults ? pairedRatio(r, defaults) : NaN;
    const cpu = r.storeCpu?.length ? fmt(median(r.storeCpu), 1) : '–';
    out.push(`| ${r.label} | ${fmt(m)} | ${fmt(mbps(r.bytes, m), 1)} | ${fmt(f)} | ${fmt(d)} | ${cpu} | ${r.seconds.map((s) => fmt(s, 1)).join(', ')} |`);
  }
  return out;
}

/** The issue's targets, each with the figures it is judged on; and the best setting per network. */
export function verdicts(rows: readonly Row[], networks: readonly string[]): Verdicts {
  const lines: string[] = [];
  const best: Verdicts['best'] = {};
  const get = (id: string, network: string) => rows.find((r) => r.id === id && r.network === network);
  const med = (r: Row | undefined) => (r ? median(r.seconds) : NaN);
  const floor = rows.find((r) => r.id === 'floor');
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  for (const network of networks) {
    const defaults = get('defaults', network);
    if (!defaults) continue;
    const candidates = rows.filter((r) => r.network === network && (r.id === 'defaults' || /^c\d+$/.test(r.id)));
    // The fastest: the lowest median of its runs' ratios to the defaults' (the defaults' own is 1).
    const b = candidates.reduce((x, y) => (pairedRatio(y, defaults) < pairedRatio(x, defaults) ? y : x));
    best[network] = { id: b.id, seconds: med(b) };
    const overBest = 1 / pairedRatio(b, defaults) - 1;
    // Without a sweep there is nothing to compare the defaults with.
    if (candidates.length > 1) {
      lines.push(`- ${network}: the fastest download concurrency is ${b.label} (${fmt(med(b))} s); the defaults take ${fmt(overBest * 100, 1)} % longer (target ≤ 10 %: ${met(overBest <= 0.1)}).`);
    }
    const serial = get('serial', network);
    if (serial) {
      const x = pairedRatio(serial, defaults);
      lines.push(`- ${network}: the serial setup takes ${fmt(x)}× as long as the defaults${network === 'loopback' ? '' : ` (target ≥ 2×: ${met(x >= 2)})`}.`);
    }
    const before = get('no-fast-path', network);
    if (before) lines.push(`- ${network}: without serving prefetched segments directly (the wrapper before this change), restores take ${fmt(pairedRatio(before, defaults))}× as long.`);
    if (network === 'loopback' && floor) {
      const x = pairedRatio(defaults, floor);
      lines.push(`- loopback: the defaults take ${fmt(x)}× the floor (target ≤ 1.1×: ${met(x <= 1.1)}).`);
    }
    const archiveFloor = get('floor-archive', network);
    if (network === 'loopback' && archiveFloor) {
      lines.push(`- loopback: the defaults take ${fmt(pairedRatio(defaults, archiveFloor))}× the floor in archive recovery (the WAL in pg_wal, ` +
        'restore_command = false: the mode every restore runs in, with the checkpointer\'s restartpoints), which takes ' +
        `${fmt(floor ? pairedRatio(archiveFloor, floor) : NaN)}× the floor.`);
    }
    const cp = get('cp', network);
    if (network === 'loopback' && cp) {
      lines.push(`- loopback: the defaults take ${fmt(pairedRatio(defaults, cp))}× a restore_command that only copies each segment from local disk ` +
        `(\`cp\`: what any restore_command pays to write the segment into pg_wal, which the floor does not), and \`cp\` ${fmt(floor ? pairedRatio(cp, floor) : NaN)}× the floor.`);
    }
  }
  return { lines, best };
}

export function lagLines(lag: ArchiveLag): string[] {
  const ok = lag.maxWaiting <= 1 && lag.maxSecondsBehind <= lag.archiveTimeout;
  return [
    '| pgbench | WAL written | archive_timeout | most segments waiting | most seconds behind | drained after | failed pushes |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${lag.seconds} s | ${lag.segmentsWritten} segments (${fmt(lag.walMbPerSecond, 1)} MiB/s) | ${lag.archiveTimeout} s | ${lag.maxWaiting} | ${fmt(lag.maxSecondsBehind, 1)} | ${fmt(lag.drainSeconds, 1)} s | ${lag.failed} |`,
    '',
    `Target: at most one segment waiting and no more than archive_timeout behind: ${ok ? 'met' : '**not met**'}.`,
  ];
}

/**
 * The storage-cost table: per compression method, the bytes stored against the WAL written (the archive's
 * share of it), and the restores' median replay and time to ready, with the replay's ratio to LZ4's.
 */
export function costLines(rows: readonly CostRow[]): string[] {
  const lz4 = rows.find((r) => r.method === 'lz4' && !r.refused);
  const out = [
    '| compression | WAL written | stored (base backup + WAL) | of the WAL written | WAL stored | archived after s | replay s | × lz4 | ready after s | runs: replay (s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    if (r.refused) {
      out.push(`| ${r.method} | refused: ${r.refused.replace(/\|/g, '\\|')} | | | | | | | | |`);
      continue;
    }
    const replay = median(r.replay);
    out.push(`| ${r.method} | ${fmt(r.walBytes / MiB, 0)} MiB | ${fmt(r.stored / MiB, 1)} MiB | ${fmt((100 * r.stored) / r.walBytes, 1)} % | ` +
      `${fmt(r.storedWal / MiB, 1)} MiB | ${fmt(r.archiveSeconds ?? NaN, 0)} | ${fmt(replay)} | ${lz4 ? fmt(runRatio(r.replay, lz4.replay)) : '–'} | ${fmt(median(r.ready), 1)} | ${r.replay.map((x) => fmt(x, 1)).join(', ')} |`);
  }
  return out;
}

export function machineLine(m: Machine): string {
  return `${m.date}; ${m.nproc} × ${m.cpu}; Node ${m.node}; load ${m.load}; ${m.postgres}; ${m.walg}; MinIO ${m.minio}; scripts under ${m.shell}`;
}

/** What a run of the restore bench found (restore.json). */
export interface Results {
  readonly machine: Machine;
  readonly settings: {
    readonly walMb: number;
    readonly runs: number;
    readonly rttMs: number[];
    readonly sweep: number[];
    readonly major: number;
    readonly version: string;
    readonly walg: string;
    readonly loadSeconds: number;
    readonly storageMb?: number;
  };
  /** The archive the restores replayed (absent when only the load part ran). */
  readonly source?: { readonly prefix: string; readonly history: number; readonly lastSegment: string; readonly walBytes: number };
  /** "loopback", then one per added round-trip time ("+50 ms"). */
  readonly networks: ReadonlyArray<{ readonly name: string; readonly rttMs: number }>;
  readonly rows: Row[];
  readonly archiveLag?: ArchiveLag;
  readonly storage?: CostRow[];
}

/** The markdown report of a run: the machine, a table per network, the verdicts, the archive lag. */
export function renderReport(r: Results): string {
  const md: string[] = ['# Restore bench', '', `Machine: ${machineLine(r.machine)}.`, ''];
  if (r.source) {
    // The WAL each restore replays ("redo starts" to "redo done"), which MiB/s is of: a little more than the
    // source wrote after its base backup began.
    const replayed = Math.max(0, ...r.rows.map((x) => x.bytes));
    md.push(`Workload: pgbench, ${(replayed / MiB).toFixed(0)} MiB of WAL replayed from MinIO (PostgresVersion ${r.settings.version}); ` +
      `medians of ${r.settings.runs} runs, every way of restoring once a round; ratios are medians of the ratios round by round; ` +
      'replay time from PostgreSQL\'s log ("redo starts" to "redo done"); every restore checked against the source\'s rows.', '');
    const floor = r.rows.find((x) => x.id === 'floor');
    for (const n of r.networks) {
      md.push(`## ${n.rttMs ? `MinIO behind a proxy that adds ${n.rttMs} ms per round trip` : 'MinIO on loopback'}`, '');
      md.push(...table(r.rows.filter((x) => x.network === n.name), floor), '');
    }
    md.push('## Targets', '', ...verdicts(r.rows, r.networks.map((n) => n.name)).lines, '');
  }
  if (r.archiveLag) md.push('## Archiving under load (the defaults)', '', ...lagLines(r.archiveLag), '');
  if (r.storage) {
    md.push('## Storage cost per compression method', '',
      `The same workload (pgbench until ${r.settings.storageMb ?? '?'} MiB of WAL) archived with each method, then restored with the defaults on loopback; ` +
      'medians of the runs, the methods alternating.', '', ...costLines(r.storage), '');
  }
  return md.join('\n');
}
