// What a PostgresVersion can do, as data, and the one place that answers it: what its PostgreSQL
// major can do (how recovery is configured, which recovery targets exist) and what its WAL-G release
// can do (settings, exit codes, the env spelling, PostgreSQL 15 backups). A PostgresVersion carries
// both (its serverVersion; the catalog's `walg` or custom()'s walgVersion); the storage binders, the
// recovery settings, the pod's environment and the custom-version checks ask here, never the version
// strings themselves. The first release of each WAL-G feature was read from WAL-G's release tags.
import { IConstruct } from 'constructs';
import { CATALOG } from './_catalog';
import { invalid } from './_validation';

/** A PostgreSQL feature the library depends on, and the first major that has it. */
export interface PostgresFeature {
  /** What it is, as PostgreSQL names it. */
  readonly name: string;
  /** The first major that has it. */
  readonly since: number;
}

/** @see https://www.postgresql.org/docs/current/recovery-config.html (what changed in 12) */
export const POSTGRES_FEATURES = {
  /** recovery_target_lsn. */
  recoveryTargetLsn: { name: 'recovery_target_lsn', since: 10 },
  /**
   * Recovery configured by parameters in postgresql.conf and a recovery.signal file; before it, by a
   * recovery.conf file in PGDATA (which PostgreSQL 12 refuses to start with).
   */
  recoverySignal: { name: 'recovery.signal', since: 12 },
  /** The WAL directory named pg_wal (pg_xlog before 10), where archive_status keeps the .ready files. */
  walDirectoryPgWal: { name: 'pg_wal', since: 10 },
} as const satisfies Record<string, PostgresFeature>;

export type PostgresFeatureId = keyof typeof POSTGRES_FEATURES;

/** Anything that names its PostgreSQL major (a PostgresVersion). */
export interface HasMajor {
  readonly majorVersion: string;
}

/** Whether the version's PostgreSQL major has the feature. */
export function hasPostgresFeature(version: HasMajor, feature: PostgresFeatureId): boolean {
  return Number(version.majorVersion) >= POSTGRES_FEATURES[feature].since;
}

/**
 * How a restore is configured: "recovery.conf" (the settings file copied into PGDATA, PostgreSQL up to
 * 11) or "recovery.signal" (the settings included in postgresql.conf, and a signal file, from 12).
 */
export function recoveryStyle(version: HasMajor): 'recovery.conf' | 'recovery.signal' {
  return hasPostgresFeature(version, 'recoverySignal') ? 'recovery.signal' : 'recovery.conf';
}

/** A WAL-G setting or behaviour, and the first release that has it. */
export interface WalgFeature {
  /** What it is, as WAL-G names it (an environment setting) or as a phrase. */
  readonly name: string;
  /** The first release that has it: major.minor.patch. */
  readonly since: string;
  /** What the library does for a version whose WAL-G lacks it (the README's table). */
  readonly without: string;
  /**
   * A Go build tag that a WAL-G build needs for it, and the first release that needs the tag (before
   * it, the feature is always built in). A version has the feature only if it declares the tag
   * (PostgresVersion.walgBuildTags): the library cannot see how a binary was built.
   */
  readonly buildTag?: { readonly tag: WalgBuildTagId; readonly from: string };
  /** What releases before `since` do with the setting (the error's verb). @default "ignores" */
  readonly older?: string;
  /** What releases from `since` on do with it (the error's words). @default "read it" */
  readonly newer?: string;
  /** Releases from..to (inclusive) that have the setting but ignore it (a bug): treated as lacking it. */
  readonly brokenIn?: { readonly from: string; readonly to: string; readonly why: string };
}

/** The Go build tags of WAL-G that the library asks about (wal-g's Makefile: USE_BROTLI, USE_LIBSODIUM). */
export type WalgBuildTagId = 'brotli' | 'libsodium';

/**
 * The features the library depends on or lets users set, with the first upstream tag that has each
 * (read from WAL-G's repository: the tag's code, or the wal-g/storages version its go.mod pins).
 */
export const WALG_FEATURES = {
  /** A custom CA for an S3-compatible endpoint (MinIO over TLS). 0.2.9 and earlier ignore it. */
  s3CaCertFile: { name: 'WALG_S3_CA_CERT_FILE', since: '0.2.10', without: '`caCertificate` refused' },
  /** Retries of S3 requests. Before it, WAL-G retries 15 times. */
  s3MaxRetries: { name: 'WALG_S3_MAX_RETRIES', since: '1.1.2', without: '`maxRetries` refused; not written by default (WAL-G retries 15 times)' },
  /**
   * Keyless S3 access through a web identity token (IRSA). WAL-G before 2.0 hands the AWS SDK its own
   * credential chain without it; 2.0.2 to 3.0.5 also need AWS_ROLE_SESSION_NAME, which the library sets.
   */
  s3WebIdentity: { name: 'AWS_WEB_IDENTITY_TOKEN_FILE (IRSA)', since: '2.0.0', without: '`S3Credentials.fromPodIdentity()` refused' },
  /** A time limit on each GCS operation. */
  gcsContextTimeout: { name: 'GCS_CONTEXT_TIMEOUT', since: '0.2.10', without: '`contextTimeout` refused' },
  /** Retries of GCS requests (wal-g/storages of February 2021). */
  gcsMaxRetries: { name: 'GCS_MAX_RETRIES', since: '0.2.20', without: '`maxRetries` refused; not written by default' },
  /** The named Azure clouds (public, China, US Government, Germany). */
  azureEnvironmentName: { name: 'AZURE_ENVIRONMENT_NAME', since: '0.2.20', without: 'an `endpointSuffix` other than `core.windows.net` refused' },
  /**
   * Keyless Azure access through Microsoft Entra Workload ID (the federated token that the workload
   * identity webhook mounts). From 2.0.1 WAL-G falls back to the Azure SDK's default credential chain when
   * it has neither key nor SAS token, but that chain (azidentity 1.1.0, pinned up to 3.0.7) has no
   * workload identity; 3.0.8 pins azidentity 1.9.0, whose chain reads AZURE_FEDERATED_TOKEN_FILE.
   */
  azureWorkloadIdentity: { name: 'AZURE_FEDERATED_TOKEN_FILE (Azure workload identity)', since: '3.0.8', without: '`AzureCredentials.fromWorkloadIdentity()` refused' },
  /** Any host suffix of Azure Blob Storage (sovereign clouds, emulators). */
  azureEndpointSuffix: { name: 'AZURE_ENDPOINT_SUFFIX', since: '2.0.0', without: 'an `endpointSuffix` that is not a named cloud refused' },
  /** `wal-fetch` exits 74 (EX_IOERR) for a file that is not in the archive, and 1 for other errors. */
  fetchNotFoundExit74: { name: 'wal-fetch exit code 74 for a file not in the archive', since: '2.0.0', without: 'exit 1 plus WAL-G\'s "does not exist" message means not in the archive (the message is always required)' },
  /**
   * `backup-list --detail`: each base backup with the finish time that `backup-push` recorded in its
   * metadata.json (both from 0.2.10). Without it, a time target (and retention by age) is compared with
   * the storage's modification time of each backup, which a copied archive (bucket replication, rclone, a
   * restore of the bucket) resets to the copy time.
   */
  backupListDetail: { name: 'backup-list --detail (finish times of base backups)', since: '0.2.10', without: 'a time target, and `retainFor`, compare the storage modification time of each base backup (a copied archive shows the copy time)' },
  /**
   * Delta base backups (`WALG_DELTA_MAX_STEPS`, read from the environment; `delete` with FIND_FULL,
   * which keeps a kept delta's full backup, came in the same release). A release without it pushes
   * full backups and says nothing.
   */
  deltaBackups: { name: 'WALG_DELTA_MAX_STEPS', since: '0.1.3', without: '`deltaMaxSteps` refused' },
  /**
   * `backup-push` on a hot standby (it asks pg_is_in_recovery() and names the backup from the standby's
   * control file). 0.1.2 asks the WAL file name of pg_start_backup()'s position, which a standby refuses.
   */
  standbyBackups: { name: 'backup-push on a hot standby', since: '0.1.3', without: '`baseBackupsFromStandby` refused', older: 'fails in', newer: 'take it' },
  /** `backup-push` of PostgreSQL 15 and later (pg_backup_start(); pg_start_backup() is gone). */
  backupPostgres15: { name: 'backup-push of PostgreSQL 15 and later', since: '2.0.1', without: '`custom()` refuses the version for PostgreSQL 15 and later' },
  /**
   * Brotli compression (cgo, libbrotli). Built into every release up to 0.2.11 (the oldest read is
   * 0.2.4); from 0.2.12 (internal/compression/brotli_enabled.go, `+build brotli`) only into builds with
   * the `brotli` tag. An untagged build refuses the method.
   */
  brotliCompression: { name: 'WALG_COMPRESSION_METHOD=brotli', since: '0.2.4', without: '`WalCompression.BROTLI` refused', buildTag: { tag: 'brotli', from: '0.2.12' } },
  /** Zstandard compression: 0.2.x to 2.0 read it but refuse to write it. */
  zstdCompression: { name: 'WALG_COMPRESSION_METHOD=zstd', since: '3.0.0', without: '`WalCompression.ZSTD` refused', older: 'refuses', newer: 'write it' },
  /**
   * OpenPGP encryption with a key file (WALG_PGP_KEY_PATH, and WALG_PGP_KEY_PASSPHRASE). 0.2.4 has only
   * the external gpg binary and ignores both: the data would be stored unencrypted.
   */
  openPgpKeyPath: { name: 'WALG_PGP_KEY_PATH (OpenPGP encryption)', since: '0.2.7', without: '`WalEncryption.openPgp()` refused (the data would be stored unencrypted)' },
  /**
   * libsodium encryption with a key file. From 0.2.14 to 1.0 a build without the `libsodium` tag
   * ignores the key and stores the data unencrypted; from 1.1 such a build refuses to start. The
   * library requires 1.1 or later and the tag, and refuses 3.0.0 to 3.0.4, which ignore a
   * WALG_LIBSODIUM_KEY_PATH given alone (fixed in 3.0.5).
   */
  libsodiumKeyPath: {
    name: 'WALG_LIBSODIUM_KEY_PATH (libsodium encryption)',
    since: '1.1.0',
    without: '`WalEncryption.libsodium()` refused (the data would be stored unencrypted)',
    buildTag: { tag: 'libsodium', from: '0.0.0' },
    brokenIn: { from: '3.0.0', to: '3.0.4', why: 'a bug of 3.0.0 to 3.0.4 (fixed in 3.0.5) reads no key from it and stores the data unencrypted' },
  },
  /**
   * `wal-g wal-verify integrity timeline` (--json): the WAL chain from the oldest base backup to the server's
   * current segment, and whether the server's timeline is the archive's highest. 0.2.18 and 0.2.19 have a
   * `wal-verify` that takes no checks and prints another report; the named checks and their JSON came in 0.2.20.
   */
  walVerify: { name: 'wal-verify integrity timeline (WAL chain check)', since: '0.2.20', without: 'no WAL chain check (`walVerify` refused); the sidecar still fetches back the newest archived segment', older: 'lacks', newer: 'have it' },
  /** How WAL-G reads a libsodium key: none (the raw bytes), base64 or hex. */
  libsodiumKeyTransform: { name: 'WALG_LIBSODIUM_KEY_TRANSFORM', since: '2.0.0', without: 'only `LibsodiumKeyTransform.NONE`' },
} as const satisfies Record<string, WalgFeature>;

export type WalgFeatureId = keyof typeof WALG_FEATURES;

/** The WAL-G release as numbers; "0.2" is that line's first release, 0.2.0. */
export function walgRelease(version: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version);
  if (!m) {
    throw new Error(`Not a WAL-G version: ${JSON.stringify(version)}`);
  }
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Whether release `version` is `since` or later. */
export function walgAtLeast(version: string, since: string): boolean {
  const a = walgRelease(version);
  const b = walgRelease(since);
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      return a[i] > b[i];
    }
  }
  return true;
}

/** Anything that names its WAL-G release (a PostgresVersion), and the build tags of its binary. */
export interface HasWalg {
  readonly name: string;
  readonly walgVersion: string;
  /** The Go build tags the version declares for its wal-g (none when not given). */
  readonly walgBuildTags?: readonly string[];
}

/**
 * Whether the version's WAL-G has the feature, and if not, why: its release is older than the first
 * that has it, its release ignores it (a bug), or it does not declare the build tag the feature needs.
 */
export function walgFeatureState(version: HasWalg, feature: WalgFeatureId): 'yes' | 'too-old' | 'broken' | 'no-build-tag' {
  const f: WalgFeature = WALG_FEATURES[feature];
  const v = version.walgVersion;
  if (!walgAtLeast(v, f.since)) {
    return 'too-old';
  }
  if (f.brokenIn && walgAtLeast(v, f.brokenIn.from) && walgAtLeast(f.brokenIn.to, v)) {
    return 'broken';
  }
  if (f.buildTag && walgAtLeast(v, f.buildTag.from) && !(version.walgBuildTags ?? []).includes(f.buildTag.tag)) {
    return 'no-build-tag';
  }
  return 'yes';
}

/** Whether the version's WAL-G has the feature. */
export function hasWalgFeature(version: HasWalg, feature: WalgFeatureId): boolean {
  return walgFeatureState(version, feature) === 'yes';
}

/** Who has a feature: the catalog versions, and custom() from its first release on (with its build tag). */
export function whoHasWalgFeature(feature: WalgFeatureId): string {
  const f: WalgFeature = WALG_FEATURES[feature];
  const catalog = CATALOG.filter((e) => hasWalgFeature({ name: e.name, walgVersion: e.walg, walgBuildTags: e.walgBuildTags }, feature))
    .map((e) => e.name);
  const broken = f.brokenIn ? ` (not ${f.brokenIn.from} to ${f.brokenIn.to})` : '';
  const tag = !f.buildTag ? '' : f.buildTag.from === '0.0.0' ? ` and walgBuildTags including "${f.buildTag.tag}"`
    : ` and, from ${f.buildTag.from}, walgBuildTags including "${f.buildTag.tag}"`;
  const custom = `PostgresVersion.custom() with walgVersion "${f.since}" or later${broken}${tag}`;
  return catalog.length > 0 ? `${catalog.join(', ')}, or ${custom}` : `${custom} (no catalog version has it)`;
}

/**
 * Refuses a setting that the version's WAL-G would ignore (it would be dropped silently: a user who
 * sets it must not believe it applies). The error names the construct, the property, the value, the
 * version and its WAL-G, the WAL-G setting, what to do `instead` (by default: leave the property out;
 * '' where leaving it out would silently do something else) and the versions that have it.
 */
export function requireWalgFeature(scope: IConstruct | string, prop: string, value: unknown, version: HasWalg, feature: WalgFeatureId,
  instead = `Leave ${prop} out`): void {
  const state = walgFeatureState(version, feature);
  if (state === 'yes') {
    return;
  }
  const f: WalgFeature = WALG_FEATURES[feature];
  const why = {
    'too-old': `PostgresVersion ${version.name} bundles WAL-G ${version.walgVersion}, which ${f.older ?? 'ignores'} ${f.name}; WAL-G ${f.since} and later ${f.newer ?? 'read it'}`,
    'broken': `PostgresVersion ${version.name} bundles WAL-G ${version.walgVersion}, which has ${f.name} but ${f.brokenIn?.why}`,
    'no-build-tag': `PostgresVersion ${version.name} does not declare its WAL-G (${version.walgVersion}) built with the Go build tag "${f.buildTag?.tag}", ` +
      `which ${f.name} needs (WAL-G's own release binaries have it; declare it with walgBuildTags in PostgresVersion.custom() only if the image's wal-g was built with it)`,
  }[state];
  // "3.0" counts as 3.0.0: a custom() version that names no patch release may lack what its image has.
  const patch = /^\d+\.\d+$/.test(version.walgVersion)
    ? ` (walgVersion "${version.walgVersion}", given or custom()'s default, counts as ${version.walgVersion}.0: name the patch release of the image's wal-g, as \`wal-g --version\` prints it)`
    : '';
  invalid(scope, prop, value, `${why}${patch}. ${instead ? `${instead}, or use` : 'Use'} a version whose WAL-G reads it: ${whoHasWalgFeature(feature)}`);
}

/**
 * The exit code of `wal-g wal-fetch` for a file that is not in the archive. The restore_command
 * wrapper takes it for "not found" only together with WAL-G's message: before 2.0 it is 1, the code of
 * every other error too.
 */
export function fetchNotFoundExit(version: HasWalg): number {
  return hasWalgFeature(version, 'fetchNotFoundExit74') ? 74 : 1;
}

/**
 * Whether the version's WAL-G can take a base backup of its PostgreSQL major (and so restore one): WAL-G
 * before 2.0.1 calls pg_start_backup(), which PostgreSQL 15 removed.
 */
export function walgCanBackUp(version: HasWalg & HasMajor): boolean {
  return Number(version.majorVersion) < 15 || hasWalgFeature(version, 'backupPostgres15');
}

/**
 * The spelling of the storage prefix settings: the KubeDB images' own scripts read WAL-E's
 * (`WALE_S3_PREFIX`, …), which every WAL-G release accepts; from 1.0 on the library writes WAL-G's.
 */
export function prefixSpelling(version: HasWalg): 'WALE' | 'WALG' {
  return walgAtLeast(version.walgVersion, '1.0') ? 'WALG' : 'WALE';
}

function featureId(f: WalgFeature): WalgFeatureId {
  return (Object.keys(WALG_FEATURES) as WalgFeatureId[]).find((id) => WALG_FEATURES[id] === f)!;
}

/** The markdown table of WAL-G features by release (the README embeds it between markers). */
export function walgFeatureTable(): string {
  const releases = [...new Set(CATALOG.map((e) => e.walg))];
  const header = ['WAL-G setting or behaviour', 'since', ...releases.map((r) => `${r} (catalog)`), 'where WAL-G lacks it'];
  const tags = (r: string) => CATALOG.find((e) => e.walg === r)?.walgBuildTags;
  const rows = Object.values(WALG_FEATURES).map((f: WalgFeature) => [
    f.name.replace(/^([A-Z0-9_]+(?:=[a-z0-9]+)?)/, '`$1`'),
    f.since + (f.brokenIn ? `, not ${f.brokenIn.from}–${f.brokenIn.to}` : '') + (f.buildTag ? `; build tag \`${f.buildTag.tag}\`${f.buildTag.from === '0.0.0' ? '' : ` from ${f.buildTag.from}`}` : ''),
    ...releases.map((r) => (hasWalgFeature({ name: r, walgVersion: r, walgBuildTags: tags(r) }, featureId(f)) ? '✓' : '✗')),
    f.without,
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
