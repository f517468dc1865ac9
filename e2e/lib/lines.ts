// The WAL-G lines the harness runs, and the PostgresVersion each runs for a PostgreSQL major: KubeDB's
// catalog versions on WAL-G 0.2.x, custom() versions that name the line's release (and the build tags of
// its binary) on 1.x and later. Shared by the e2e (e2e/run.ts) and the restore bench (bench/restore.ts).
import { PostgresVersion, WalgBuildTag } from '../../src';
import { CATALOG, isKubedb, memberName } from '../../src/_catalog';
import { WalgLine } from './tools';

/** One WAL-G line and the PostgresVersions the harness runs on it. */
export interface Line {
  readonly walg: WalgLine;
  /** "walg-0.2.19": the cells' label. */
  readonly label: string;
  /** "w0219": for pod names (a Kubernetes name) and storage prefixes. */
  readonly tag: string;
  /** The PostgresVersion this line runs for a PostgreSQL major, or why it cannot run that major. */
  versionFor(major: number): PostgresVersion | string;
  /** Why this line cannot reach a provider's test server, if it cannot. */
  blockedProvider(provider: string): string | undefined;
}

/** Reasons, said once. */
export const PRE2_NO_PG15 = 'WAL-G before 2.0 calls pg_start_backup(), gone in PostgreSQL 15';
const PRE2_NO_AZURITE = 'WAL-G before 2.0 dials only <account>.blob.core.windows.net (no endpoint suffix): it cannot reach an emulator';

/**
 * The PostgresVersion a WAL-G 0.x line runs for a major: KubeDB's catalog version, whose image carries WAL-G
 * 0.2.x (0.2.13 for these two; WAL-E prefix names, and only the settings that WAL-G reads) — what the users
 * of the seeds' catalog archive with — or why there is none.
 */
export function seedVersionFor(major: number): PostgresVersion | string {
  return major === 10 ? PostgresVersion.V10_6_V3 : major === 11 ? PostgresVersion.V11_2_V1
    : `KubeDB's catalog has no PostgreSQL ${major} (it ends at 11.2); ${PRE2_NO_PG15}`;
}

/** What a WAL-G binary runs: the catalog versions on 0.x, custom versions that name its release on >= 1. */
export function lineOf(walg: WalgLine): Line {
  const v = walg.version;
  const base = {
    walg, label: `walg-${walg.id}`, tag: `w${v.major}${v.minor}${v.patch}`,
    blockedProvider: (provider: string) => (provider === 'azure' && v.major < 2 ? PRE2_NO_AZURITE : undefined),
  };
  if (v.major === 0) return { ...base, versionFor: seedVersionFor };
  const gen = v.major === 1 ? 'walg1' : `walg${v.major}`;
  return {
    ...base,
    versionFor: (major) => {
      if (major >= 15 && v.major < 2) return PRE2_NO_PG15;
      const modern = modernVersion(major, walg);
      if (modern) return modern;
      return PostgresVersion.custom({ name: `${major}-${gen}`, serverVersion: `${major}.0`, image: `example.com/postgres-walg:${major}-${gen}`, uid: 70, walgVersion: walg.id, walgBuildTags: tagsOf(walg) });
    },
  };
}

/**
 * The modern path of a PostgreSQL major on a WAL-G line: the catalog version itself when the line is the
 * WAL-G it declares, else its images with a WAL-G image of the line's release (custom(): what a version
 * declares decides its capabilities, so it must name the WAL-G that really runs). Undefined for a major
 * without a modern catalog version.
 */
export function modernVersion(major: number, walg: WalgLine): PostgresVersion | undefined {
  const entry = CATALOG.find((e) => !isKubedb(e) && e.name === String(major));
  if (!entry) return undefined;
  const catalog = (PostgresVersion as any)[memberName(entry.name)] as PostgresVersion;
  if (catalog.walgVersion === walg.id) return catalog;
  return PostgresVersion.custom({
    name: `${major}-walg${walg.id.replace(/\./g, '')}`, serverVersion: entry.postgres, image: entry.image, uid: entry.uid,
    walgVersion: walg.id, walgBuildTags: tagsOf(walg), walgImage: `example.com/wal-g:${walg.id}`, walgBinaryPath: '/usr/local/bin/wal-g',
  });
}

/** The build tags a custom() version of the line declares: those its binary was built with (tools.ts). */
export function tagsOf(walg: WalgLine): WalgBuildTag[] {
  return walg.buildTags.map((t) => (t === 'brotli' ? WalgBuildTag.BROTLI : WalgBuildTag.LIBSODIUM));
}

