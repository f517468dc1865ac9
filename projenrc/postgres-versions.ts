// Renders src/postgres-version.ts from the catalog data in src/_catalog.ts, so that the
// provider × version support matrix lives once, as data, and the type system derives from it.
import { CATALOG, CatalogEntry, EXPORTER_IMAGE, interfaceName, MODERN_EXPORTER_IMAGE, isKubedb, memberName, PROVIDER_TITLES, ProviderId, PROVIDERS, TIERS, tierOf, WALG_IMAGE } from '../src/_catalog';

const PROVIDER_DOCS: Record<ProviderId, string> = {
  s3: 'Amazon S3 (or an S3-compatible endpoint given explicitly).',
  minio: 'MinIO or any S3-compatible endpoint, path-style addressing, optional custom CA.',
  gcs: 'Google Cloud Storage.',
  azure: 'Azure Blob Storage.',
  swift: 'OpenStack Object Storage (Swift).',
  local: 'A volume mounted into the pod (PVC, NFS, hostPath, …).',
};

/** The properties of a PostgresVersion: declared by IPostgresVersion and by the class. */
const FIELDS: ReadonlyArray<[string, string, string]> = [
  ['name', 'string', 'The version\'s name, e.g. "11.2-v1".'],
  ['serverVersion', 'string', 'The PostgreSQL version, e.g. "11.2".'],
  ['majorVersion', 'string', 'The PostgreSQL major version: "9.6", "10", "11", …'],
  ['image', 'string', 'The database image.'],
  ['toolsImage', 'string', 'The tools image.'],
  ['exporterImage', 'string', 'The Prometheus exporter image.'],
  ['walgVersion', 'string', 'The WAL-G release bundled in the image, e.g. "0.2.13" (what it can do follows from it).'],
  ['walgBuildTags', 'string[]', 'The Go build tags its `wal-g` was built with, of those the library asks about (`WalgBuildTag`): brotli and libsodium need them.'],
  ['uid', 'number', 'The numeric user id of the image\'s postgres user.'],
  ['walgImage?', 'string', 'The image an init container copies `wal-g` from; undefined when the database image has `wal-g` on its PATH.'],
  ['walgBinaryPath?', 'string', 'The path of `wal-g` in `walgImage`; undefined when the database image has `wal-g` on its PATH.'],
];

/** The constructor's parameters (and _create's), in order. */
const PARAMS = 'name: string, serverVersion: string, image: string, toolsImage: string, exporterImage: string, walgVersion: string, walgBuildTags: string[], uid: number, walgImage?: string, walgBinaryPath?: string';
const ARGS = 'name, serverVersion, image, toolsImage, exporterImage, walgVersion, walgBuildTags, uid, walgImage, walgBinaryPath';

/** The docstring lines of a catalog member. */
function memberDoc(entry: CatalogEntry): string[] {
  const ps = tierOf(entry.tier).providers.map((p) => PROVIDER_TITLES[p]).join(', ');
  if (isKubedb(entry)) {
    return [`KubeDB PostgresVersion \`${entry.name}\`: PostgreSQL ${entry.postgres}, image \`${entry.image}\` (WAL-G ${entry.walg}).`, `Archives to and restores from ${ps}.`];
  }
  return [
    `PostgreSQL ${entry.postgres} on the ${entry.publisher} image \`${entry.image}\` (uid ${entry.uid}), with WAL-G ${entry.walg}`,
    `copied by an init container from \`${entry.walgImage}\` (\`${entry.walgBinaryPath}\`).`,
    `Archives to and restores from ${ps}. Mirror the images with \`withImages()\`.`,
    '@see https://hub.docker.com/_/postgres',
  ];
}

export function renderPostgresVersions(marker: string): string {
  const out: string[] = [];
  const w = (s = '') => out.push(s);
  w(`// ${marker}`);
  w('// Rendered by projenrc/postgres-versions.ts from the data in src/_catalog.ts: edit that file, then run "npx projen".');
  w('/* eslint-disable @stylistic/max-len */');
  w("import { CATALOG, MODERN_EXPORTER_IMAGE, memberName, tierOf } from './_catalog';");
  w("import { checkCustomVersion, checkVersionImages } from './_custom-version';");
  w();
  w('/**');
  w(' * A Go build tag of WAL-G that decides what its binary can do.');
  w(' *');
  w(' * @see https://github.com/wal-g/wal-g/blob/master/docs/PostgreSQL.md');
  w(' */');
  w('export enum WalgBuildTag {');
  w('  /** Brotli compression (`USE_BROTLI=1` in WAL-G\'s Makefile). */');
  w("  BROTLI = 'brotli',");
  w('  /** libsodium encryption (`USE_LIBSODIUM=1` in WAL-G\'s Makefile). */');
  w("  LIBSODIUM = 'libsodium',");
  w('}');
  w();
  w('/**');
  w(' * A storage provider that WAL-G archives to and restores from.');
  w(' *');
  w(' * @see https://wal-g.readthedocs.io/STORAGES/');
  w(' */');
  w('export enum WalProvider {');
  for (const p of PROVIDERS) {
    w(`  /** ${PROVIDER_DOCS[p]} */`);
    w(`  ${p.toUpperCase()} = '${p}',`);
  }
  w('}');
  w();
  w('/**');
  w(' * Properties of a PostgresVersion that is not in the KubeDB catalog.');
  w(' */');
  w('export interface CustomPostgresVersionProps {');
  w('  /** A name for the version, used in labels and messages, e.g. "17.2-walg3". */');
  w('  readonly name: string;');
  w('  /** The PostgreSQL version the image runs, e.g. "17.2"; its major decides the recovery configuration style. */');
  w('  readonly serverVersion: string;');
  w('  /** The database image; it must have `wal-g`, `postgres`, `initdb`, `pg_ctl`, `psql` and a POSIX `sh` on the PATH. */');
  w('  readonly image: string;');
  w('  /**');
  w('   * The tools image.');
  w('   * @default - the database image');
  w('   */');
  w('  readonly toolsImage?: string;');
  w('  /**');
  w('   * The image of the metrics container (`metrics`): a postgres_exporter that reads `DATA_SOURCE_NAME` and');
  w('   * `PG_EXPORTER_EXTEND_QUERY_PATH`, with its exporter as the image\'s entrypoint, serving port 9187.');
  w(`   * @default "${MODERN_EXPORTER_IMAGE}" - the modern versions' exporter, maintained`);
  w('   * and run by the e2e on PostgreSQL 10, 11 and 14, whatever the database image\'s layout (KubeDB\'s');
  w(`   * \`${EXPORTER_IMAGE}\`, from 2018, stays the KubeDB catalog's own)`);
  w('   * @see https://github.com/prometheus-community/postgres_exporter');
  w('   */');
  w('  readonly exporterImage?: string;');
  w('  /**');
  w('   * The WAL-G release in the image: major.minor, or major.minor.patch such as "0.2.19" or "3.0.7".');
  w('   * It decides the settings the library may give WAL-G (one that this release would ignore is refused at');
  w('   * synth time) and how a restore tells a WAL file that is not in the archive from a storage error:');
  w('   * `wal-fetch` exits 74 for a missing file from WAL-G 2.0 on, and 1 (as for any error) before, so for');
  w('   * every release the restore also requires WAL-G\'s "Archive \'…\' does not exist." message. A');
  w('   * major.minor version counts as that line\'s first release (x.y.0).');
  w('   * @default "3.0"');
  w('   * @see https://github.com/wal-g/wal-g/releases');
  w('   */');
  w('  readonly walgVersion?: string;');
  w('  /**');
  w('   * The Go build tags its `wal-g` was built with, of those that decide what it can do: `BROTLI` (brotli');
  w('   * compression; built into every release up to 0.2.11 without a tag) and `LIBSODIUM` (libsodium');
  w('   * encryption). A build without a tag lacks the feature: from 0.2.14 to 1.0 it even ignores a libsodium');
  w('   * key and stores the data unencrypted. The library cannot see how a binary was built, so it enables');
  w('   * those features only for the tags declared here. WAL-G\'s own release binaries and its images are');
  w('   * built with both (`make pg_build` with USE_BROTLI and USE_LIBSODIUM); `go install` sets none.');
  w('   * @default - none: brotli (from WAL-G 0.2.12) and libsodium are refused');
  w('   * @see https://github.com/wal-g/wal-g/blob/master/docs/PostgreSQL.md');
  w('   */');
  w('  readonly walgBuildTags?: WalgBuildTag[];');
  w('  /**');
  w("   * The numeric user id of the image's postgres user (pods run as this user, non-root).");
  w('   * @default 70 (the Alpine images\' postgres user), or 999 with a `walgImage` (the official Debian images\' postgres user: a copied glibc `wal-g` needs a Debian image)');
  w('   */');
  w('  readonly uid?: number;');
  w('  /**');
  w('   * An image to copy `wal-g` from, for a database image without it: an init container copies');
  w('   * `walgBinaryPath` from it into a volume that the scripts put first on the PATH of the postgres and');
  w('   * sidecar containers. The image needs `cp`; the binary must run on the database image\'s C library');
  w(`   * (WAL-G's image \`${WALG_IMAGE.image}\` is Debian ${WALG_IMAGE.debian}: use a ${WALG_IMAGE.debian} database image,`);
  w('   * never an Alpine one). `walgVersion` must name the release of this binary.');
  w('   * @default - the database image has `wal-g` on its PATH');
  w('   * @see https://kubernetes.io/docs/concepts/workloads/pods/init-containers/');
  w('   */');
  w('  readonly walgImage?: string;');
  w('  /**');
  w('   * The absolute path of the `wal-g` binary in `walgImage`.');
  w(`   * @default "${WALG_IMAGE.binaryPath}" when walgImage is set`);
  w('   */');
  w('  readonly walgBinaryPath?: string;');
  w('}');
  w();
  w('/**');
  w(' * Images that replace a version\'s own, e.g. copies in an internal registry: the images its pods run.');
  w(' * What the version can do still follows from its WAL-G release: a replacement must hold the same software.');
  w(' */');
  w('export interface PostgresVersionImages {');
  w('  /**');
  w('   * The database image.');
  w('   * @default - the version\'s');
  w('   */');
  w('  readonly image?: string;');
  w('  /**');
  w('   * The image an init container copies `wal-g` from (only for a version that copies it: the other');
  w('   * versions\' database images have it).');
  w('   * @default - the version\'s');
  w('   */');
  w('  readonly walgImage?: string;');
  w('  /**');
  w('   * The absolute path of `wal-g` in `walgImage`.');
  w('   * @default - the version\'s');
  w('   */');
  w('  readonly walgBinaryPath?: string;');
  w('}');
  w();
  for (const tier of TIERS) {
    const providers = tier.providers.map((p) => PROVIDER_TITLES[p]).join(', ');
    const parent = tier.parent ? TIERS.find((t) => t.className === tier.parent)! : undefined;
    w('/**');
    w(` * A PostgreSQL version whose WAL-G archives to ${providers}: the type the \`WalStorage\` factories of`);
    w(` * ${tier.providers.filter((p) => !parent || !parent.providers.includes(p)).map((p) => `\`${p}()\``).join(' and ')} take.`);
    w(' *');
    w(` * Get one from the static members of \`PostgresVersion\` typed \`${tier.className}\`${tier.id === 'C' ? ' or from `PostgresVersion.custom()`' : ''}.`);
    w(' * Only `PostgresVersion` objects are accepted; at synth time any other implementation is refused.');
    w(' */');
    if (!parent) {
      w(`export interface ${interfaceName(tier)} {`);
      for (const [field, type, doc] of FIELDS) {
        w(`  /** ${doc} */`);
        w(`  readonly ${field}: ${type};`);
      }
      w('  /** The providers this version\'s WAL-G can archive to and restore from. */');
      w('  readonly providers: WalProvider[];');
      w('  /** Whether this version can archive to and restore from the provider. */');
      w('  supports(provider: WalProvider): boolean;');
    } else {
      w(`export interface ${interfaceName(tier)} extends ${interfaceName(parent)} {`);
      w(`  /** Always true: this version archives to ${providers}. */`);
      w(`  readonly ${tier.marker}: boolean;`);
    }
    w('}');
    w();
  }
  w('const instances = new Map<string, PostgresVersion>();');
  w();
  w('function fromCatalog(name: string): PostgresVersion {');
  w('  const cached = instances.get(name);');
  w('  if (cached) {');
  w('    return cached;');
  w('  }');
  w('  const entry = CATALOG.find((e) => e.name === name);');
  w('  if (!entry) {');
  w("    throw new Error(`Unknown PostgresVersion \"${name}\": expected one of ${CATALOG.map((e) => e.name).join(', ')}.`);");
  w('  }');
  w('  const args: [string, string, string, string, string, string, string[], number, string | undefined, string | undefined] = [');
  w('    entry.name,');
  w('    entry.postgres,');
  w('    entry.image,');
  w('    entry.toolsImage,');
  w('    entry.exporterImage,');
  w('    entry.walg,');
  w('    [...entry.walgBuildTags],');
  w('    entry.uid,');
  w('    entry.walgImage,');
  w('    entry.walgBinaryPath,');
  w('  ];');
  w('  let version: PostgresVersion;');
  w('  switch (tierOf(entry.tier).className) {');
  for (const tier of TIERS) {
    w(`    case '${tier.className}':`);
    w(`      version = ${tier.className}._create(...args);`);
    w('      break;');
  }
  w('    default:');
  w('      throw new Error(`No class for tier ${entry.tier}`);');
  w('  }');
  w('  instances.set(name, version);');
  w('  return version;');
  w('}');
  w();
  for (const tier of TIERS) {
    const providers = tier.providers.map((p) => PROVIDER_TITLES[p]).join(', ');
    const isRoot = !tier.parent;
    w('/**');
    if (isRoot) {
      w(' * A PostgreSQL version: the images a pod runs and the storage providers its WAL-G can use.');
      w(' *');
      w(' * The 22 KubeDB PostgresVersions and the modern ones are static members (`PostgresVersion.V11_2_V1`,');
      w(' * `PostgresVersion.V17`). Their types encode');
      w(' * the support matrix: a `PostgresVersion` archives to S3 and GCS, an `AzureSwiftPostgresVersion` also');
      w(' * to Azure and Swift, an `AllStoragePostgresVersion` to every provider. `WalStorage` factories take the');
      w(' * narrowest type that supports their provider, so an unsupported pair does not compile.');
    } else {
      w(` * A PostgreSQL version whose WAL-G archives to ${providers}.`);
      w(' *');
      w(` * The \`${tier.marker}\` property exists so that every jsii language (including Go, whose interfaces are`);
      w(` * structural) can tell this type from \`${tier.parent}\`.`);
    }
    w(' *');
    w(' * @see https://kubedb.com/docs/v2020.09.04-beta.0/guides/postgres/initialization/wal/overview/');
    w(' */');
    const ext = `${tier.parent ? ` extends ${tier.parent}` : ''} implements ${interfaceName(tier)}`;
    w(`export class ${tier.className}${ext} {`);
    if (isRoot) {
      for (const entry of CATALOG) {
        const t = tierOf(entry.tier);
        w('  /**');
        for (const l of memberDoc(entry)) w(`   * ${l}`);
        w('   */');
        w(`  public static readonly ${memberName(entry.name)}: ${t.className} = undefined!; // assigned at the end of this module`);
        w();
      }
      w('  /**');
      w('   * The catalog version with this name (e.g. "11.2-v1" or "17"), for callers that hold the name as a string.');
      w('   * Prefer the static members: their types let the compiler check provider support.');
      w('   */');
      w('  public static of(name: string): PostgresVersion {');
      w('    return fromCatalog(name);');
      w('  }');
      w();
      w('  /** Every catalog version: the KubeDB ones in the order of the KubeDB docs, then the modern ones. */');
      w('  public static catalog(): PostgresVersion[] {');
      w('    return CATALOG.map((e) => fromCatalog(e.name));');
      w('  }');
      w();
      w('  /**');
      w('   * A version outside the catalog, e.g. your own image with PostgreSQL 17 and WAL-G 3, or a database');
      w('   * image without WAL-G and an image to copy it from (`walgImage`).');
      w('   * You vouch that its WAL-G supports every provider. The properties are checked: a name that is a valid');
      w('   * label value, a server version of 9.6 or later (its major decides the recovery configuration), image');
      w('   * references, a major.minor WAL-G version and a non-root uid.');
      w('   */');
      w('  public static custom(props: CustomPostgresVersionProps): AllStoragePostgresVersion {');
      w('    checkCustomVersion(props);');
      w('    return AllStoragePostgresVersion._create(');
      w('      props.name,');
      w('      props.serverVersion,');
      w('      props.image,');
      w('      props.toolsImage ?? props.image,');
      w('      props.exporterImage ?? MODERN_EXPORTER_IMAGE,');
      w("      props.walgVersion ?? '3.0',");
      w('      [...(props.walgBuildTags ?? [])],');
      w('      props.uid ?? (props.walgImage === undefined ? 70 : 999),');
      w('      props.walgImage,');
      w(`      props.walgImage === undefined ? undefined : props.walgBinaryPath ?? '${WALG_IMAGE.binaryPath}',`);
      w('    );');
      w('  }');
      w();
      w('  /** @internal */');
      w(`  public static _create(${PARAMS}): PostgresVersion {`);
      w(`    return new PostgresVersion(${ARGS});`);
      w('  }');
      w();
      for (const [field, type, doc] of FIELDS) {
        w(`  /** ${doc} */`);
        w(`  public readonly ${field}: ${type};`);
      }
      w();
      w(`  protected constructor(${PARAMS}) {`);
      w('    this.name = name;');
      w('    this.serverVersion = serverVersion;');
      w("    const [major, minor] = serverVersion.split('.');");
      w('    this.majorVersion = Number(major) < 10 ? `${major}.${minor}` : major;');
      w('    this.image = image;');
      w('    this.toolsImage = toolsImage;');
      w('    this.exporterImage = exporterImage;');
      w('    this.walgVersion = walgVersion;');
      w('    this.walgBuildTags = walgBuildTags;');
      w('    this.uid = uid;');
      w('    this.walgImage = walgImage;');
      w('    this.walgBinaryPath = walgBinaryPath;');
      w('  }');
      w();
      w('  /** The providers this version\'s WAL-G can archive to and restore from. */');
      w('  public get providers(): WalProvider[] {');
      w(`    return [${tier.providers.map((p) => `WalProvider.${p.toUpperCase()}`).join(', ')}];`);
      w('  }');
      w();
      w('  /** Whether this version can archive to and restore from the provider. */');
      w('  public supports(provider: WalProvider): boolean {');
      w('    return this.providers.includes(provider);');
      w('  }');
      w();
      w("  /** The version's name. */");
      w('  public toString(): string {');
      w('    return this.name;');
      w('  }');
    } else {
      w('  /** @internal */');
      w(`  public static _create(${PARAMS}): ${tier.className} {`);
      w(`    return new ${tier.className}(${ARGS});`);
      w('  }');
      w();
      w(`  /** Always true: this version archives to ${providers}. */`);
      w(`  public readonly ${tier.marker}: boolean = true;`);
      w();
      w(`  protected constructor(${PARAMS}) {`);
      w(`    super(${ARGS});`);
      w('  }');
      if (tier.id === 'C') {
        w();
        w('  /**');
        w('   * This version with other images, e.g. copies of its images in an internal registry. Its name,');
        w('   * PostgreSQL and WAL-G release stay: what it can do still follows from them.');
        w('   * @throws an Error naming the property, the value and what is valid, for an invalid image reference');
        w('   *   or path, or a `walgImage` for a version whose database image has `wal-g` itself.');
        w('   */');
        w(`  public withImages(images: PostgresVersionImages): ${tier.className} {`);
        w('    checkVersionImages(this, images);');
        w(`    return ${tier.className}._create(`);
        w('      this.name,');
        w('      this.serverVersion,');
        w('      images.image ?? this.image,');
        w('      this.toolsImage,');
        w('      this.exporterImage,');
        w('      this.walgVersion,');
        w('      [...this.walgBuildTags],');
        w('      this.uid,');
        w('      images.walgImage ?? this.walgImage,');
        w('      images.walgBinaryPath ?? this.walgBinaryPath,');
        w('    );');
        w('  }');
      }
      w();
      w('  /** The providers this version\'s WAL-G can archive to and restore from. */');
      w('  public get providers(): WalProvider[] {');
      w(`    return [${tier.providers.map((p) => `WalProvider.${p.toUpperCase()}`).join(', ')}];`);
      w('  }');
    }
    w('}');
    w();
  }
  w('// The static members are assigned here, once every tier class exists (a static initializer in');
  w('// PostgresVersion could not reference its subclasses yet).');
  w('for (const entry of CATALOG) {');
  w('  Object.defineProperty(PostgresVersion, memberName(entry.name), { value: fromCatalog(entry.name), enumerable: true, writable: false });');
  w('}');
  w();
  return out.join('\n');
}

/** Valid options per provider, so that in the type test only the version can make a call fail. */
const CELL_OPTIONS: Record<ProviderId, string> = {
  s3: 'S3',
  minio: 'MINIO',
  gcs: 'GCS',
  azure: 'AZURE',
  swift: 'SWIFT',
  local: 'LOCAL',
};

/**
 * Renders test/types/matrix.types.ts: one call per cell of the 22 × 6 matrix. Unsupported cells carry
 * `@ts-expect-error`, so `tsc --noEmit` (the test task) fails if one compiles; supported cells must
 * compile. test/matrix-types.test.ts also checks that each expected error is the version's type.
 */
export function renderMatrixTypeTest(marker: string): string {
  const out: string[] = [
    `// ${marker}`,
    '// Rendered by projenrc/postgres-versions.ts from src/_catalog.ts: the type-level support matrix.',
    "import { Volume } from 'cdk8s-plus-27';",
    "import { AzureCredentials, GcsCredentials, PostgresVersion, S3Credentials, SwiftCredentials, WalStorage } from '../../src';",
    '',
    'declare const volume: Volume;',
    "const S3 = { bucket: 'walg', credentials: S3Credentials.fromSecret('s3') };",
    "const MINIO = { bucket: 'walg', endpoint: 'https://minio.example:9000', credentials: S3Credentials.fromSecret('minio') };",
    "const GCS = { bucket: 'walg', credentials: GcsCredentials.fromSecret('gcs') };",
    "const AZURE = { container: 'walg', credentials: AzureCredentials.fromSecret('azure') };",
    "const SWIFT = { container: 'walg', credentials: SwiftCredentials.fromSecret('swift') };",
    "const LOCAL = { volume, mountPath: '/var/walg' };",
    '',
    'export function cells(): WalStorage[] {',
    '  return [',
  ];
  for (const entry of CATALOG) {
    for (const p of PROVIDERS) {
      if (!tierOf(entry.tier).providers.includes(p)) {
        out.push(`    // @ts-expect-error unsupported: ${entry.name} × ${PROVIDER_TITLES[p]}`);
      }
      out.push(`    WalStorage.${p}(PostgresVersion.${memberName(entry.name)}, ${CELL_OPTIONS[p]}), // cell ${entry.name} ${p}`);
    }
  }
  out.push('  ];', '}', '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// The modern versions' cells in the jsii languages: bindings/snippets/modern_cells.py, ModernCells.java
// and modern_cells.go, one call per cell (the 30 of the non-KubeDB versions × the six providers), with
// the options of CELL_OPTIONS. `npx projen bindings` type-checks them (mypy and pyright, javac -Werror,
// go vet and go build) and runs them: each archives one ArchivingPostgres per cell, so every cell has
// its own prefix (one App refuses two archives at one location), and prints the StatefulSets it synthesized.

/** A value of a cell's options, rendered per language. */
type CellValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'secret'; readonly credentials: string; readonly secret: string }
  | { readonly kind: 'volume' };

/** A provider's options in the bindings: jsii's struct name and its fields, in TypeScript's camelCase. */
interface CellSpec {
  readonly struct: string;
  readonly fields: ReadonlyArray<readonly [string, CellValue]>;
}

const str = (value: string): CellValue => ({ kind: 'string', value });
const secret = (credentials: string, name: string): CellValue => ({ kind: 'secret', credentials, secret: name });

/** CELL_OPTIONS of the TypeScript type test, as data (the prefix is each cell's own). */
const CELL_SPECS: Record<ProviderId, CellSpec> = {
  s3: { struct: 'S3StorageOptions', fields: [['bucket', str('walg')], ['credentials', secret('S3Credentials', 's3')]] },
  minio: {
    struct: 'MinioStorageOptions',
    fields: [['bucket', str('walg')], ['endpoint', str('https://minio.example:9000')], ['credentials', secret('S3Credentials', 'minio')]],
  },
  gcs: { struct: 'GcsStorageOptions', fields: [['bucket', str('walg')], ['credentials', secret('GcsCredentials', 'gcs')]] },
  azure: { struct: 'AzureStorageOptions', fields: [['container', str('walg')], ['credentials', secret('AzureCredentials', 'azure')]] },
  swift: { struct: 'SwiftStorageOptions', fields: [['container', str('walg')], ['credentials', secret('SwiftCredentials', 'swift')]] },
  local: { struct: 'LocalStorageOptions', fields: [['volume', { kind: 'volume' }], ['mountPath', str('/var/walg')]] },
};

/** The credentials classes the cells use, sorted (for the imports). */
const CELL_CREDENTIALS = [...new Set(PROVIDERS.flatMap((p) => CELL_SPECS[p].fields.flatMap(([, v]) => (v.kind === 'secret' ? [v.credentials] : []))))].sort();

interface ModernCell {
  /** "17 azure": the marker test/matrix-types.test.ts counts. */
  readonly label: string;
  /** The construct id and the instance name, e.g. "pg17-azure". */
  readonly id: string;
  readonly member: string;
  readonly provider: ProviderId;
  readonly spec: CellSpec;
  /** The cell's own prefix, e.g. "cells/17/azure". */
  readonly prefix: string;
}

/** The cells of the modern versions (CATALOG's non-KubeDB entries) × PROVIDERS, all supported. */
export function modernCells(): ModernCell[] {
  return CATALOG.filter((e) => !isKubedb(e)).flatMap((entry) => PROVIDERS.map((provider) => {
    if (!tierOf(entry.tier).providers.includes(provider)) {
      throw new Error(`modern version ${entry.name} does not support ${provider}: the bindings' cells expect every modern version to support every provider`);
    }
    return {
      label: `${entry.name} ${provider}`,
      id: `pg${entry.name.replace(/\./g, '-')}-${provider}`,
      member: memberName(entry.name),
      provider,
      spec: CELL_SPECS[provider],
      prefix: `cells/${entry.name}/${provider}`,
    };
  }));
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);
const GENERATED_BY = 'Rendered by projenrc/postgres-versions.ts from src/_catalog.ts: the modern versions\' cells';

/** bindings/snippets/modern_cells.py: mypy --strict and pyright (strict) must accept it. */
export function renderModernCellsPython(marker: string): string {
  const cells = modernCells();
  const value = (v: CellValue): string => {
    switch (v.kind) {
      case 'string': return JSON.stringify(v.value);
      case 'secret': return `${v.credentials}.from_secret(${JSON.stringify(v.secret)})`;
      case 'volume': return 'volume';
    }
  };
  const out: string[] = [
    `# ${marker}`,
    `# ${GENERATED_BY} in Python (${cells.length}).`,
    '"""Every cell of the modern PostgreSQL versions: one WalStorage per version and provider, each archived',
    'by an ArchivingPostgres. `npx projen bindings` type-checks this file (mypy --strict, pyright strict)',
    'and runs it: it synthesizes the chart and checks that it holds one StatefulSet per cell."""',
    'import sys',
    '',
    'from cdk8s import App, Chart',
    'from cdk8s_plus_27 import Volume',
    `from cdk8s_postgres_walg import ${['ArchivingPostgres', ...CELL_CREDENTIALS, 'PostgresVersion', 'WalStorage'].sort().join(', ')}`,
    '',
    'app = App()',
    'chart = Chart(app, "modern-cells", namespace="cells")',
    'volume = Volume.from_empty_dir(chart, "archive", "archive")',
    '',
    'cells: list[tuple[str, WalStorage]] = [',
  ];
  for (const c of cells) {
    const args = [...c.spec.fields, ['prefix', str(c.prefix)] as const].map(([k, v]) => `${snake(k)}=${value(v)}`).join(', ');
    out.push(`    # cell ${c.label}`, `    (${JSON.stringify(c.id)}, WalStorage.${c.provider}(PostgresVersion.${c.member}, ${args})),`);
  }
  out.push(
    ']',
    'for cell, storage in cells:',
    '    ArchivingPostgres(chart, cell, name=cell, storage=storage)',
    '',
    'app.synth()',
    'stateful_sets = sum(1 for o in chart.to_json() if o["kind"] == "StatefulSet")',
    'print(f"{len(cells)} cells, {stateful_sets} StatefulSets")',
    'if stateful_sets != len(cells):',
    '    sys.exit("expected one StatefulSet per cell")',
    '',
  );
  return out.join('\n');
}

/** bindings/snippets/ModernCells.java: javac -Werror must compile it. */
export function renderModernCellsJava(marker: string): string {
  const cells = modernCells();
  const value = (v: CellValue): string => {
    switch (v.kind) {
      case 'string': return JSON.stringify(v.value);
      case 'secret': return `${v.credentials}.fromSecret(${JSON.stringify(v.secret)})`;
      case 'volume': return 'volume';
    }
  };
  const structs = [...new Set(PROVIDERS.map((p) => CELL_SPECS[p].struct))];
  const imports = [
    ...['ArchivingPostgres', ...CELL_CREDENTIALS, ...structs, 'PostgresVersion', 'WalStorage'].map((n) => `io.github.cdk8s_postgres_walg.${n}`),
    'java.util.LinkedHashMap', 'java.util.Map', 'org.cdk8s.App', 'org.cdk8s.Chart', 'org.cdk8s.ChartProps', 'org.cdk8s.plus27.Volume',
  ].sort();
  const out: string[] = [
    `// ${marker}`,
    `// ${GENERATED_BY} in Java (${cells.length}).`,
    ...imports.map((i) => `import ${i};`),
    '',
    '/**',
    ' * Every cell of the modern PostgreSQL versions: one WalStorage per version and provider, each archived',
    ' * by an ArchivingPostgres. `npx projen bindings` compiles this file (javac -Werror) and runs it: it',
    ' * synthesizes the chart and checks that it holds one StatefulSet per cell.',
    ' */',
    'public class ModernCells {',
    '    public static void main(String[] args) {',
    '        App app = new App();',
    '        Chart chart = new Chart(app, "modern-cells", ChartProps.builder().namespace("cells").build());',
    '        Volume volume = Volume.fromEmptyDir(chart, "archive", "archive");',
    '',
    '        Map<String, WalStorage> cells = new LinkedHashMap<>();',
  ];
  for (const c of cells) {
    const builder = [...c.spec.fields, ['prefix', str(c.prefix)] as const].map(([k, v]) => `.${k}(${value(v)})`).join('');
    out.push(`        // cell ${c.label}`, `        cells.put(${JSON.stringify(c.id)}, WalStorage.${c.provider}(PostgresVersion.${c.member}, ${c.spec.struct}.builder()${builder}.build()));`);
  }
  out.push(
    '        for (Map.Entry<String, WalStorage> cell : cells.entrySet()) {',
    '            ArchivingPostgres.Builder.create(chart, cell.getKey()).name(cell.getKey()).storage(cell.getValue()).build();',
    '        }',
    '',
    '        app.synth();',
    '        long statefulSets = chart.toJson().stream().filter((o) -> o instanceof Map && "StatefulSet".equals(((Map<?, ?>) o).get("kind"))).count();',
    '        System.out.println(cells.size() + " cells, " + statefulSets + " StatefulSets");',
    '        if (statefulSets != cells.size()) {',
    '            System.err.println("expected one StatefulSet per cell");',
    '            System.exit(1);',
    '        }',
    '    }',
    '}',
    '',
  );
  return out.join('\n');
}

/** bindings/snippets/modern_cells.go (package main): go vet and go build must accept it. */
export function renderModernCellsGo(marker: string): string {
  const cells = modernCells();
  const value = (v: CellValue): string => {
    switch (v.kind) {
      case 'string': return `jsii.String(${JSON.stringify(v.value)})`;
      case 'secret': return `walg.${v.credentials}_FromSecret(jsii.String(${JSON.stringify(v.secret)}))`;
      case 'volume': return 'volume';
    }
  };
  const out: string[] = [
    `// ${marker}`,
    `// ${GENERATED_BY} in Go (${cells.length}).`,
    '',
    '// Every cell of the modern PostgreSQL versions: one WalStorage per version and provider, each archived',
    '// by an ArchivingPostgres. `npx projen bindings` checks this program (go vet, go build) and runs it: it',
    '// synthesizes the chart and checks that it holds one StatefulSet per cell.',
    'package main',
    '',
    'import (',
    '\t"fmt"',
    '\t"os"',
    '',
    '\t"github.com/aws/jsii-runtime-go"',
    '\twalg "github.com/cdk8s-postgres-walg/cdk8s-postgres-walg-go/cdk8spostgreswalg"',
    '\t"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"',
    '\t"github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2"',
    ')',
    '',
    'type cell struct {',
    '\tid      string',
    '\tstorage walg.WalStorage',
    '}',
    '',
    'func main() {',
    '\tapp := cdk8s.NewApp(nil)',
    '\tchart := cdk8s.NewChart(app, jsii.String("modern-cells"), &cdk8s.ChartProps{Namespace: jsii.String("cells")})',
    '\tvolume := cdk8splus27.Volume_FromEmptyDir(chart, jsii.String("archive"), jsii.String("archive"), nil)',
    '',
    '\tcells := []cell{',
  ];
  for (const c of cells) {
    const fields = [...c.spec.fields, ['prefix', str(c.prefix)] as const].map(([k, v]) => `${pascal(k)}: ${value(v)}`).join(', ');
    out.push(`\t\t// cell ${c.label}`, `\t\t{${JSON.stringify(c.id)}, walg.WalStorage_${pascal(c.provider)}(walg.PostgresVersion_${c.member}(), &walg.${c.spec.struct}{${fields}})},`);
  }
  out.push(
    '\t}',
    '\tfor _, c := range cells {',
    '\t\twalg.NewArchivingPostgres(chart, jsii.String(c.id), &walg.ArchivingPostgresProps{Name: jsii.String(c.id), Storage: c.storage})',
    '\t}',
    '',
    '\tapp.Synth()',
    '\tstatefulSets := 0',
    '\tfor _, o := range *chart.ToJson() {',
    '\t\tif m, ok := o.(map[string]interface{}); ok && m["kind"] == "StatefulSet" {',
    '\t\t\tstatefulSets++',
    '\t\t}',
    '\t}',
    '\tfmt.Printf("%d cells, %d StatefulSets\\n", len(cells), statefulSets)',
    '\tif statefulSets != len(cells) {',
    '\t\tfmt.Fprintln(os.Stderr, "expected one StatefulSet per cell")',
    '\t\tos.Exit(1)',
    '\t}',
    '}',
    '',
  );
  return out.join('\n');
}
