// Runs the pod scripts (src/scripts) under each shell the images have (sh: dash on Debian; busybox
// sh: the Alpine images) with a stand-in `wal-g` on the PATH whose behaviour each test writes. The
// stand-in logs every call to $STUB_DIR/calls, one line of arguments each.
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const SCRIPTS = path.join(__dirname, '..', '..', 'src', 'scripts');

/** The shells the pod scripts must run under. CI installs busybox (tools/install.sh). */
export const SHELLS: ReadonlyArray<readonly string[]> = [['sh'], ['busybox', 'sh']];

export interface Stub {
  readonly dir: string;
  /** A scratch directory for the test (PGDATA, state, outputs). */
  readonly work: string;
  /** The ConfigMap directory (PG_WALG_CONFIG): the scripts, and the files a test adds with config(). */
  readonly configDir: string;
  /** Adds a file to the ConfigMap directory (e.g. "restore.env"). */
  config(name: string, text: string): void;
  /** Arguments of every wal-g call so far. */
  calls(): string[];
  /** Runs `sh -c SCRIPT` with lib.sh sourced first; args are $1…; env adds to a minimal environment. */
  lib(shell: readonly string[], script: string, args?: string[], env?: Record<string, string>): SpawnSyncReturns<string>;
  /** Runs a script file of src/scripts. */
  run(shell: readonly string[], file: string, args?: string[], env?: Record<string, string>, timeoutMs?: number): SpawnSyncReturns<string>;
  /**
   * Runs backup.sh, the walg-backup sidecar, for `seconds` with the pod's paths under work/ and an archiving
   * check every second; env adds to (or overrides) that.
   */
  sidecar(shell: readonly string[], env: Record<string, string>, seconds: number): SpawnSyncReturns<string>;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/**
 * A stand-in wal-g: `body` is POSIX sh run with the arguments of the call ("$1" is the subcommand),
 * e.g. `case $1 in wal-fetch) echo "ERROR: x" >&2; exit 1 ;; esac`. Extra executables (name → sh body)
 * can stand in for psql, pg_isready, postgres, …
 */
export function stub(body: string, others: Record<string, string> = {}): Stub {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-walg-stub-'));
  dirs.push(dir);
  const bin = path.join(dir, 'bin');
  const work = path.join(dir, 'work');
  const configDir = path.join(dir, 'config');
  fs.mkdirSync(bin);
  fs.mkdirSync(work);
  fs.mkdirSync(configDir);
  for (const f of fs.readdirSync(SCRIPTS)) {
    fs.copyFileSync(path.join(SCRIPTS, f), path.join(configDir, f));
  }
  fs.writeFileSync(path.join(bin, 'wal-g'), `#!/bin/sh\nprintf '%s\\n' "$*" >>"${dir}/calls"\n${body}\n`, { mode: 0o755 });
  for (const [name, text] of Object.entries(others)) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${text}\n`, { mode: 0o755 });
  }
  const baseEnv = (env: Record<string, string> = {}) => ({
    PATH: `${bin}:${process.env.PATH}`,
    HOME: work,
    TMPDIR: work,
    PG_WALG_CONFIG: configDir,
    PG_WALG_ATTEMPTS: '3',
    PG_WALG_RETRY_SECONDS: '0',
    PG_WALG_LIST_TIMEOUT: '10',
    PG_WALG_FETCH_NOT_FOUND_EXIT: '1',
    STUB_DIR: dir,
    WORK: work,
    ...env,
  });
  const run: Stub['run'] = (shell, file, args = [], env, timeoutMs = 60_000) =>
    spawnSync(shell[0], [...shell.slice(1), path.join(configDir, file), ...args], { encoding: 'utf8', env: baseEnv(env), timeout: timeoutMs });
  return {
    dir,
    work,
    configDir,
    config: (name, text) => fs.writeFileSync(path.join(configDir, name), text),
    calls: () => (fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').filter((l) => l !== '') : []),
    lib: (shell, script, args = [], env) => spawnSync(shell[0], [...shell.slice(1), '-c', `. "$PG_WALG_CONFIG/lib.sh"\n${script}`, 'sh', ...args], { encoding: 'utf8', env: baseEnv(env), timeout: 60_000 }),
    run,
    sidecar: (shell, env, seconds) => {
      // The running server's data directory, where the sidecar reports its last base backup.
      fs.mkdirSync(path.join(work, 'data'), { recursive: true });
      return run(shell, 'backup.sh', [], sidecarEnv(env), seconds * 1000);
    },
  };
  function sidecarEnv(env: Record<string, string>): Record<string, string> {
    return {
      PGDATA: path.join(work, 'data'),
      PG_WALG_STATE: path.join(work, 'state'),
      PGHOST: work,
      PGPORT: '5432',
      PG_WALG_SECRETS: path.join(work, 'secrets'),
      PG_WALG_CHECK_SECONDS: '1',
      ...env,
    };
  }
}

/**
 * A WAL segment as PostgreSQL writes it, for the checks of a fetched file: the long page header's
 * magic (0xD098, PostgreSQL 11) and segment size (bytes 32–35), little-endian, in a file of that size.
 */
export function walSegment(file: string, size = 1024 * 1024, headerSize = size): void {
  const b = Buffer.alloc(size);
  b.writeUInt16LE(0xd098, 0);
  b.writeUInt16LE(0x0002, 2); // XLP_LONG_HEADER
  b.writeUInt32LE(1, 4);
  b.writeUInt32LE(headerSize, 32);
  b.writeUInt32LE(8192, 36);
  fs.writeFileSync(file, b);
}

/** WAL-G's log line for a file that is not in the archive (every release, 0.2.x to 3.x). */
export function notInArchive(file: string): string {
  return `ERROR: 2026/11/30 10:04:37.859081 Archive '${file}' does not exist.\n`;
}

/**
 * Stand-ins for the server binaries: each records its arguments (one line a call); the single-user backend and psql
 * record the SQL they read on stdin; psql answers the queries of a restore that has just promoted.
 */
export const SERVER: Record<string, string> = {
  initdb: 'printf \'%s\\n\' "initdb $*" >>"$STUB_DIR/argv"; echo 17 >"$2/PG_VERSION"; : >"$2/postgresql.conf"',
  postgres: 'printf \'%s\\n\' "postgres $*" >>"$STUB_DIR/argv"; env >"$STUB_DIR/postgres-env"; if [ "$1" = --single ]; then cat >"$STUB_DIR/single.sql"; fi',
  psql: `printf '%s\\n' "psql $*" >>"$STUB_DIR/argv"
case "$*" in
  *"pg_is_in_recovery()"*) echo f ;;
  *"now()"*) echo 2026-11-30 ;;
  *) cat >"$STUB_DIR/psql.sql" ;;
esac`,
  pg_isready: 'exit 0',
  pg_ctl: 'printf \'%s\\n\' "pg_ctl $*" >>"$STUB_DIR/argv"',
};
