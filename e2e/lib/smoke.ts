/**
 * Smoke test of the e2e tool chain: for each storage provider, a real WAL-G
 * round trip with PostgreSQL (default 17) run as the unprivileged user:
 *
 *   initdb -> archive_mode=on, archive_command='wal-g wal-push %p' -> table ->
 *   wal-g backup-push -> more rows -> pg_switch_wal -> archived_count > 0 ->
 *   stop -> wal-g backup-fetch LATEST -> recovery.signal + restore_command
 *   'wal-g wal-fetch %f %p' -> count rows.
 *
 * Also: WALE_*_PREFIX (old names) accepted by backup-list, and the exit code of
 * `wal-g wal-fetch` for a missing WAL file vs. an unreachable storage server.
 *
 * Usage: ts-node e2e/lib/smoke.ts [provider ...] [--pg 17] [--json out.json]
 * providers: minio minio-tls gcs azure swift local (default: all)
 * Prints "PASS|FAIL <provider> <seconds>" per provider; exit code 1 if any failed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { freePort } from './ports';
import { chownFor, Env, mkdtempFor, Proc, runAs, RunResult, startProcess, stopAll, userBaseEnv, waitFor } from './proc';
import { startAzurite, startFakeGcs, startLocal, startMinio, startSwift, StorageServer } from './servers';
import { hasAzurite, hasPg, hasSwift, hasTool, PG_USER, pgBinDir, pgEnv, walgBin } from './tools';

type Case = 'minio' | 'minio-tls' | 'gcs' | 'azure' | 'swift' | 'local';
const ALL: Case[] = ['minio', 'minio-tls', 'gcs', 'azure', 'swift', 'local'];

interface CaseReport {
  provider: Case;
  pass: boolean;
  seconds: number;
  steps: Record<string, unknown>;
  walgEnv?: Env;
  error?: string;
}

function log(msg: string): void {
  process.stderr.write(`[smoke ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function startFor(c: Case): Promise<StorageServer> {
  switch (c) {
    case 'minio': return startMinio();
    case 'minio-tls': return startMinio({ tls: true });
    case 'gcs': return startFakeGcs();
    case 'azure': return startAzurite();
    case 'swift': return startSwift();
    case 'local': return startLocal({ user: PG_USER });
  }
}

function missingTools(c: Case): string | undefined {
  if (!hasTool('wal-g')) return 'wal-g not installed (tools/install.sh, or PG_WALG_WALG_BIN)';
  if ((c === 'minio' || c === 'minio-tls') && !hasTool('minio')) return 'minio not installed';
  if (c === 'gcs' && !hasTool('fake-gcs-server')) return 'fake-gcs-server not installed';
  if (c === 'azure' && !hasAzurite()) return 'azurite not installed';
  if (c === 'swift' && !hasSwift()) return 'swift not installed';
  return undefined;
}

class Pg {
  proc?: Proc;
  constructor(readonly major: number, readonly dataDir: string, readonly port: number, readonly sockDir: string, readonly env: Env) {}

  async start(): Promise<void> {
    this.proc = startProcess(path.join(pgBinDir(this.major), 'postgres'), ['-D', this.dataDir], {
      name: `postgres-${path.basename(this.dataDir)}`,
      logFile: path.join(path.dirname(this.dataDir), `${path.basename(this.dataDir)}.log`),
      env: this.env, user: PG_USER, cwd: path.dirname(this.dataDir),
    });
    await waitFor(async () => (await this.sql('select 1', false)).code === 0, 120_000, { what: 'postgres accepting connections', proc: this.proc });
  }

  sql(query: string, check = true): Promise<RunResult> {
    return runAs(PG_USER, path.join(pgBinDir(this.major), 'psql'),
      ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.sockDir, '-p', String(this.port), '-U', 'postgres', '-d', 'postgres', '-c', query],
      this.env, { check, timeoutMs: 60_000 });
  }

  async value(query: string): Promise<string> {
    return (await this.sql(query)).stdout.trim();
  }

  async stop(): Promise<void> {
    if (!this.proc) return;
    await runAs(PG_USER, path.join(pgBinDir(this.major), 'pg_ctl'), ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '60'], this.env);
    await this.proc.stop(10_000);
  }
}

/** Env that keeps wal-g from retrying for minutes against a dead server. */
export const BOUNDED_RETRIES: Env = {
  WALG_S3_MAX_RETRIES: '1',
  GCS_MAX_RETRIES: '1',
  GCS_CONTEXT_TIMEOUT: '30',
  AZURE_TRY_TIMEOUT: '1',
  WALG_DOWNLOAD_FILE_RETRIES: '1',
};

async function walg(env: Env, args: string[], timeoutMs = 300_000): Promise<RunResult> {
  return runAs(PG_USER, walgBin(), args, env, { timeoutMs });
}

function appendConf(dataDir: string, lines: string[]): void {
  // Appending keeps the file's owner (pgwalg).
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), `\n# e2e smoke\n${lines.join('\n')}\n`);
}

async function runCase(c: Case, major: number): Promise<CaseReport> {
  const t0 = Date.now();
  const steps: Record<string, unknown> = {};
  const report: CaseReport = { provider: c, pass: false, seconds: 0, steps };
  const missing = missingTools(c);
  if (missing) {
    report.error = missing;
    return report;
  }
  let server: StorageServer | undefined;
  const pgs: Pg[] = [];
  const work = mkdtempFor(PG_USER, `e2e-smoke-${c}-`);
  const cleanups: Array<() => void> = [];
  try {
    let t = Date.now();
    server = await startFor(c);
    steps.serverStartMs = Date.now() - t;
    log(`${c}: server up in ${steps.serverStartMs} ms (${server.endpoint})`);
    const storageEnv = server.walgEnv('smoke');
    report.walgEnv = storageEnv;
    const pe = pgEnv(major);
    const baseEnv: Env = { ...userBaseEnv(PG_USER), PATH: pe.PATH, PGUSER: 'postgres', PGDATABASE: 'postgres', PGHOST: work };

    // ---- source cluster
    const port = await freePort();
    const dataDir = path.join(work, 'data');
    const env: Env = { ...baseEnv, ...storageEnv, PGPORT: String(port), PGDATA: dataDir };
    await runAs(PG_USER, path.join(pgBinDir(major), 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
      env, { check: true });
    appendConf(dataDir, [
      `port = ${port}`, "listen_addresses = ''", `unix_socket_directories = '${work}'`,
      'fsync = off', 'wal_level = replica', 'archive_mode = on',
      `archive_command = '${walgBin()} wal-push %p'`, 'archive_timeout = 0',
    ]);
    const src = new Pg(major, dataDir, port, work, env);
    pgs.push(src);
    await src.start();
    await src.sql('create table smoke(i int primary key, note text); insert into smoke select g, md5(g::text) from generate_series(1, 1000) g;');

    t = Date.now();
    const bp = await walg(env, ['backup-push', dataDir]);
    steps.backupPush = { code: bp.code, ms: Date.now() - t };
    if (bp.code !== 0) throw new Error(`backup-push failed (${bp.code}):\n${bp.stderr.slice(-3000)}`);

    await src.sql('insert into smoke select g, md5(g::text) from generate_series(1001, 2000) g;');
    const seg = await src.value('select pg_walfile_name(pg_switch_wal())');
    const archived = await waitFor(async () => {
      const row = await src.value('select archived_count, coalesce(last_archived_wal, \'\'), failed_count from pg_stat_archiver');
      const [count, last] = row.split('|');
      return Number(count) > 0 && last >= seg ? row : '';
    }, 120_000, { what: `archiving of ${seg}`, proc: src.proc });
    steps.archiver = archived;
    await src.stop();

    // ---- old-style env names
    const oldEnv: Env = { ...baseEnv, ...server.walgEnv('smoke', { old: true }) };
    {
      const bl = await walg(oldEnv, ['backup-list']);
      const prefixVar = Object.keys(server.walgEnv('smoke', { old: true })).find((k) => k.endsWith('_PREFIX'));
      steps.oldEnvBackupList = { var: prefixVar, code: bl.code, listed: /base_/.test(bl.stdout) };
      if (bl.code !== 0) log(`${c}: backup-list with ${prefixVar} failed:\n${bl.stderr.slice(-1500)}`);
    }

    // ---- wal-fetch of a missing file (server up)
    const missing = await walg(env, ['wal-fetch', '0000000100000099000000FE', path.join(work, 'nonexistent-wal')], 120_000);
    steps.walFetchMissing = { code: missing.code, ms: missing.ms, stderr: missing.stderr.trim().split('\n').slice(-2).join(' | ') };

    // ---- restore
    const restoreDir = path.join(work, 'restore');
    t = Date.now();
    const bf = await walg(env, ['backup-fetch', restoreDir, 'LATEST']);
    steps.backupFetch = { code: bf.code, ms: Date.now() - t };
    if (bf.code !== 0) throw new Error(`backup-fetch failed (${bf.code}):\n${bf.stderr.slice(-3000)}`);
    const port2 = await freePort();
    const renv: Env = { ...env, PGPORT: String(port2), PGDATA: restoreDir };
    const restoreCommand = `restore_command = '${walgBin()} wal-fetch %f %p'`;
    appendConf(restoreDir, [`port = ${port2}`, 'archive_mode = off', ...(major >= 12 ? [restoreCommand] : [])]);
    // PostgreSQL >= 12: recovery.signal + restore_command in postgresql.conf; <= 11: recovery.conf.
    const signalFile = path.join(restoreDir, major >= 12 ? 'recovery.signal' : 'recovery.conf');
    fs.writeFileSync(signalFile, major >= 12 ? '' : `${restoreCommand}\n`);
    chownFor(PG_USER, signalFile);
    fs.chmodSync(restoreDir, 0o700);
    const dst = new Pg(major, restoreDir, port2, work, renv);
    pgs.push(dst);
    await dst.start();
    await waitFor(async () => (await dst.value('select pg_is_in_recovery()')) === 'f', 120_000, { what: 'end of recovery', proc: dst.proc });
    const rows = Number(await dst.value('select count(*) from smoke'));
    steps.restoredRows = rows;
    await dst.stop();

    // ---- wal-fetch with the storage server stopped
    // Keep the dir: CA files must still be readable for the "unreachable" case.
    await server.stop({ keepDir: true });
    const serverDir = server.dir;
    server = undefined;
    cleanups.push(() => fs.rmSync(serverDir, { recursive: true, force: true }));
    if (c !== 'local') {
      // Default retry settings: can block for many minutes (S3: 15 retries with
      // exponential backoff), so cap it; then again with retries bounded.
      const capMs = Number(process.env.E2E_UNREACHABLE_CAP_MS ?? 60_000);
      const summary = (r: RunResult): Record<string, unknown> => ({
        code: r.code, signal: r.signal, ms: r.ms, stderr: r.stderr.trim().split('\n').slice(-2).join(' | ').slice(0, 400),
      });
      const down = await walg(env, ['wal-fetch', seg, path.join(work, 'unreachable-wal')], capMs);
      steps.walFetchUnreachableDefault = { ...summary(down), cappedAtMs: capMs };
      const bounded = await walg({ ...env, ...BOUNDED_RETRIES }, ['wal-fetch', seg, path.join(work, 'unreachable-wal2')], 300_000);
      steps.walFetchUnreachableBounded = summary(bounded);
    }
    report.pass = rows === 2000;
    if (!report.pass) report.error = `restored ${rows} rows, expected 2000`;
  } catch (e) {
    report.error = e instanceof Error ? e.message : String(e);
  } finally {
    for (const p of pgs) { try { await p.stop(); } catch { /* ignore */ } }
    if (server) await server.stop();
    if (process.env.E2E_KEEP_TMP !== '1') {
      fs.rmSync(work, { recursive: true, force: true });
      for (const f of cleanups) f();
    }
    report.seconds = Math.round((Date.now() - t0) / 100) / 10;
  }
  return report;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let major = 17;
  let jsonOut: string | undefined;
  const cases: Case[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--pg') major = Number(args[++i]);
    else if (args[i] === '--json') jsonOut = args[++i];
    else if ((ALL as string[]).includes(args[i])) cases.push(args[i] as Case);
    else throw new Error(`unknown argument ${args[i]}`);
  }
  if (!hasPg(major)) throw new Error(`PostgreSQL ${major} not installed (tools/install.sh)`);
  const reports: CaseReport[] = [];
  for (const c of cases.length ? cases : ALL) {
    const r = await runCase(c, major);
    reports.push(r);
    console.log(`${r.pass ? 'PASS' : 'FAIL'} ${c} ${r.seconds}`);
    if (!r.pass) log(`${c}: ${r.error}`);
    log(`${c}: ${JSON.stringify(r.steps)}`);
  }
  await stopAll();
  if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(reports, null, 2));
  const failed = reports.filter((r) => !r.pass).length;
  console.log(`${reports.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch(async (e) => {
  console.error(e);
  await stopAll();
  process.exit(2);
});
