import { Duration } from 'cdk8s';
import { k8s, Volume } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { CATALOG, PROVIDER_TITLES, ProviderId, supports } from './_catalog';
import { checkCredentialSpec, CredentialSpec } from './_credential-spec';
import { checkAbsolutePath, checkSingleLine, invalid, requireString, show } from './_validation';
import { hasWalgFeature, prefixSpelling, requireWalgFeature } from './_walg-capabilities';
import { IAllStoragePostgresVersion, IAzureSwiftPostgresVersion, IPostgresVersion, PostgresVersion, WalProvider } from './postgres-version';
import { AzureCredentials, GcsCredentials, S3Credentials, SwiftCredentials } from './storage-credentials';

/** Where in a bucket or container the archive lives. */
export interface WalStorageLocationOptions {
  /**
   * The path inside the bucket (or container, or volume) under which WAL-G keeps this archive, e.g.
   * "prod/orders". It is used exactly as given, for archiving and restoring alike: nothing is appended.
   * Give every cluster its own prefix; two clusters archiving to one prefix mix their WAL histories
   * (the constructs refuse that in one app, and a new cluster refuses a prefix that already holds backups).
   *
   * @default - the root of the bucket
   */
  readonly prefix?: string;
}

/** Options shared by S3 and S3-compatible storage. */
export interface S3BucketOptions extends WalStorageLocationOptions {
  /** The bucket name. */
  readonly bucket: string;
  /** The credentials. */
  readonly credentials: S3Credentials;
  /**
   * The region of the bucket (`AWS_REGION`). It is applied with and without a custom endpoint.
   *
   * @default - WAL-G asks S3 for the bucket's region
   */
  readonly region?: string;
  /**
   * Path-style addressing (`AWS_S3_FORCE_PATH_STYLE`): `https://endpoint/bucket/key` instead of
   * `https://bucket.endpoint/key`.
   *
   * @default false for S3, true for MinIO
   */
  readonly forcePathStyle?: boolean;
  /**
   * A PEM CA bundle that signs the endpoint's certificate, for an endpoint with a private CA
   * (`WALG_S3_CA_CERT_FILE`). It is public data and goes into the ConfigMap. A `CA_CERT_DATA` key in
   * the credentials Secret works too (KubeDB's way). Needs WAL-G 0.2.10 or later: refused at synth time
   * for an older version (catalog versions with WAL-G 0.2.9 and earlier).
   *
   * @default - the system's trusted CAs
   * @see https://wal-g.readthedocs.io/STORAGES/#s3
   */
  readonly caCertificate?: string;
  /**
   * Allow an `http://` endpoint (no TLS): credentials and data then cross the network in clear.
   *
   * @default false
   */
  readonly allowInsecureEndpoint?: boolean;
  /**
   * How many times WAL-G retries a failed request before the command fails (`WALG_S3_MAX_RETRIES`). PostgreSQL
   * retries a failed archive_command itself and keeps the WAL meanwhile, so a small number makes an
   * outage show in the logs within seconds instead of after WAL-G's own long backoff, and loses nothing.
   * WAL-G reads it from 1.1.2 on: for an older version (every catalog version) it is refused at synth
   * time, and by default not written (such WAL-G retries 15 times).
   *
   * @default 3 where the version's WAL-G reads it
   * @see https://wal-g.readthedocs.io/STORAGES/#s3
   */
  readonly maxRetries?: number;
  /**
   * The S3 storage class of uploaded objects (`WALG_S3_STORAGE_CLASS`), e.g. "STANDARD_IA".
   *
   * @default "STANDARD"
   */
  readonly storageClass?: string;
}

/** Amazon S3. */
export interface S3StorageOptions extends S3BucketOptions {
  /**
   * A custom endpoint (`AWS_ENDPOINT`), for S3 reached through a VPC endpoint, a proxy, or an
   * S3-compatible service. It is applied whatever its host name.
   *
   * @default - Amazon S3's regional endpoint
   */
  readonly endpoint?: string;
}

/** MinIO or any S3-compatible endpoint. */
export interface MinioStorageOptions extends S3BucketOptions {
  /** The endpoint URL, e.g. "https://minio.storage.svc:9000". */
  readonly endpoint: string;
}

/** Google Cloud Storage. */
export interface GcsStorageOptions extends WalStorageLocationOptions {
  /** The bucket name. */
  readonly bucket: string;
  /** The credentials. */
  readonly credentials: GcsCredentials;
  /**
   * The time limit of one storage operation (`GCS_CONTEXT_TIMEOUT`). The GCS client retries inside
   * it, so against an unreachable endpoint a `wal-push` hangs until it runs out instead of failing:
   * a shorter limit makes outages visible sooner, but must leave time to upload one tar part of a
   * base backup (up to 1 GiB by default). Needs WAL-G 0.2.10 or later: refused at synth time for
   * an older version.
   *
   * @default - WAL-G's default, 1 hour
   * @see https://wal-g.readthedocs.io/STORAGES/#gcs
   */
  readonly contextTimeout?: Duration;
  /**
   * How many times WAL-G retries a failed request before the command fails (`GCS_MAX_RETRIES`). PostgreSQL
   * retries a failed archive_command itself and keeps the WAL meanwhile, so a small number makes an
   * outage show in the logs within seconds instead of after WAL-G's own long backoff, and loses nothing.
   * WAL-G reads it from 0.2.20 on: for an older version (every catalog version) it is refused at synth
   * time, and by default not written.
   *
   * @default 3 where the version's WAL-G reads it
   * @see https://wal-g.readthedocs.io/STORAGES/#gcs
   */
  readonly maxRetries?: number;
}

/** Azure Blob Storage. */
export interface AzureStorageOptions extends WalStorageLocationOptions {
  /** The blob container name. */
  readonly container: string;
  /** The credentials. */
  readonly credentials: AzureCredentials;
  /**
   * The endpoint suffix (`AZURE_ENDPOINT_SUFFIX`), for sovereign clouds such as
   * "core.chinacloudapi.cn" or an Azure-compatible endpoint. WAL-G 2.0 and later honour it; WAL-G
   * 0.2.20 to 1.x only know the named clouds (`AZURE_ENVIRONMENT_NAME`), which is also set for the
   * suffixes of the China, US Government and German clouds; older WAL-G (every catalog version) only the
   * public cloud. A suffix the version's WAL-G cannot reach is refused at synth time.
   *
   * @default "core.windows.net"
   * @see https://wal-g.readthedocs.io/STORAGES/#azure
   */
  readonly endpointSuffix?: string;
}

/** OpenStack Object Storage (Swift). */
export interface SwiftStorageOptions extends WalStorageLocationOptions {
  /** The container name. */
  readonly container: string;
  /** The credentials. */
  readonly credentials: SwiftCredentials;
}

/** A volume mounted into the pod. */
export interface LocalStorageOptions extends WalStorageLocationOptions {
  /**
   * The volume that holds the archive: any volume source (a PersistentVolumeClaim, NFS, a hostPath, …).
   * To restore in another pod than the one that archives, the volume must be mountable by both
   * (e.g. a ReadWriteMany claim).
   */
  readonly volume: Volume;
  /** Where the volume is mounted in the pod, e.g. "/var/walg-archive". */
  readonly mountPath: string;
}

/** @internal The storage, rendered for a pod. */
export interface StorageBinding {
  /** Non-secret WAL-G settings, written to the ConfigMap as `<role>.env`. */
  readonly env: Record<string, string>;
  /** A PEM CA bundle, written to the ConfigMap as `<role>-ca.crt`. */
  readonly caCertificate?: string;
  readonly credentials?: CredentialSpec;
  readonly volume?: k8s.Volume;
  readonly mountPath?: string;
  /** What identifies the location (to refuse one location used twice). */
  readonly identity: string;
}

interface StorageSpec {
  readonly provider: WalProvider;
  readonly version: IPostgresVersion;
  readonly options: unknown;
}

/**
 * Where WAL-G archives WAL and base backups, and where a restore reads them: a provider, its
 * location and credentials, and the PostgresVersion whose WAL-G uses it.
 *
 * The version travels with the storage, so that the compiler can check the pair: each factory takes
 * the narrowest version type whose WAL-G supports its provider.
 *
 * @see https://wal-g.readthedocs.io/STORAGES/
 */
export class WalStorage {
  /** Amazon S3 (any version), or an S3-compatible endpoint given as `endpoint`. */
  public static s3(version: IPostgresVersion, options: S3StorageOptions): WalStorage {
    return new WalStorage('s3', { provider: WalProvider.S3, version, options });
  }

  /** MinIO or any S3-compatible endpoint, with path-style addressing and an optional custom CA. */
  public static minio(version: IAllStoragePostgresVersion, options: MinioStorageOptions): WalStorage {
    return new WalStorage('minio', { provider: WalProvider.MINIO, version, options });
  }

  /** Google Cloud Storage (any version). */
  public static gcs(version: IPostgresVersion, options: GcsStorageOptions): WalStorage {
    return new WalStorage('gcs', { provider: WalProvider.GCS, version, options });
  }

  /** Azure Blob Storage. */
  public static azure(version: IAzureSwiftPostgresVersion, options: AzureStorageOptions): WalStorage {
    return new WalStorage('azure', { provider: WalProvider.AZURE, version, options });
  }

  /** OpenStack Object Storage (Swift). */
  public static swift(version: IAzureSwiftPostgresVersion, options: SwiftStorageOptions): WalStorage {
    return new WalStorage('swift', { provider: WalProvider.SWIFT, version, options });
  }

  /** A volume mounted into the pod. */
  public static local(version: IAllStoragePostgresVersion, options: LocalStorageOptions): WalStorage {
    return new WalStorage('local', { provider: WalProvider.LOCAL, version, options });
  }

  /** The provider. */
  public readonly provider: WalProvider;
  /** The PostgresVersion whose images archive to (or restore from) this storage. */
  public readonly version: PostgresVersion;
  private readonly options: unknown;

  private constructor(factory: string, spec: StorageSpec) {
    const version = checkPair(factory, spec.provider, spec.version);
    if (spec.options === null || typeof spec.options !== 'object') {
      throw new Error(`Invalid options ${show(spec.options)} in WalStorage.${factory}(): expected an object with the ${PROVIDER_TITLES[spec.provider as ProviderId]} settings.`);
    }
    this.provider = spec.provider;
    this.version = version;
    this.options = spec.options;
  }

  /**
   * The WAL-G storage prefix, e.g. "s3://bucket/prod/orders", "/var/walg-archive/prod/orders" for Local.
   */
  public get location(): string {
    const o = this.options as { bucket?: string; container?: string; prefix?: string; mountPath?: string };
    const scheme = { s3: 's3', minio: 's3', gcs: 'gs', azure: 'azure', swift: 'swift', local: '' }[this.provider];
    const root = this.provider === WalProvider.LOCAL ? `${o.mountPath}` : `${scheme}://${o.bucket ?? o.container}`;
    return o.prefix ? `${root}/${o.prefix}` : root;
  }

  /**
   * @internal Validates the options and renders them for a pod; errors name the construct and the
   * property (`prop`, e.g. "storage" or "source").
   */
  public _bind(scope: IConstruct, prop: string): StorageBinding {
    const spec: StorageSpec = { provider: this.provider, version: this.version, options: this.options };
    switch (this.provider) {
      case WalProvider.S3:
      case WalProvider.MINIO:
        return bindS3(scope, prop, spec);
      case WalProvider.GCS:
        return bindGcs(scope, prop, spec);
      case WalProvider.AZURE:
        return bindAzure(scope, prop, spec);
      case WalProvider.SWIFT:
        return bindSwift(scope, prop, spec);
      case WalProvider.LOCAL:
        return bindLocal(scope, prop, spec);
    }
  }
}

/** The runtime half of the support matrix, for callers without a type checker. */
function checkPair(factory: string, provider: WalProvider, version: unknown): PostgresVersion {
  const title = PROVIDER_TITLES[provider as ProviderId];
  if (!(version instanceof PostgresVersion)) {
    // The factories take interfaces (so that jsii lets untyped calls reach this check); only the
    // library's own PostgresVersion objects carry a checked tier.
    const name = (version as { name?: unknown } | null)?.name;
    const what = typeof version === 'object' && version !== null && typeof name === 'string'
      ? `${JSON.stringify(name)} (an object that is not a PostgresVersion)`
      : show(version);
    throw new Error(
      `Invalid version ${what} in WalStorage.${factory}(): expected a PostgresVersion such as PostgresVersion.V11_2_V1, ` +
      'or PostgresVersion.custom() for an image outside the catalog.',
    );
  }
  if (!version.supports(provider)) {
    const able = CATALOG.filter((e) => supports(e, provider as ProviderId)).map((e) => e.name);
    throw new Error(
      `Unsupported pair in WalStorage.${factory}(): PostgresVersion ${version.name} cannot archive to or restore from ${title} ` +
      `(its WAL-G supports ${version.providers.map((p) => PROVIDER_TITLES[p as ProviderId]).join(', ')}). ` +
      `Versions that support ${title}: ${able.join(', ')}.`,
    );
  }
  return version;
}

/** The prefix env name, in the spelling the version's images read. */
function prefixEnv(version: PostgresVersion, kind: 'S3' | 'GS' | 'AZ' | 'SWIFT'): string {
  return `${prefixSpelling(version)}_${kind}_PREFIX`;
}

/**
 * A retry count for WAL-G: the option, or the library's default where the version's WAL-G reads the
 * setting (undefined where it does not: an explicit value is then refused, never dropped).
 */
function retries(scope: IConstruct, prop: string, spec: StorageSpec, value: unknown, feature: 'S3_MAX_RETRIES' | 'GCS_MAX_RETRIES'): string | undefined {
  const id = feature === 'S3_MAX_RETRIES' ? 's3MaxRetries' : 'gcsMaxRetries';
  if (value !== undefined) {
    requireWalgFeature(scope, `${prop}.maxRetries`, value, spec.version, id);
  } else if (!hasWalgFeature(spec.version, id)) {
    return undefined;
  }
  return String(maxRetries(scope, prop, value));
}

function checkPrefix(scope: IConstruct, prop: string, prefix: unknown): string | undefined {
  if (prefix === undefined) {
    return undefined;
  }
  const s = requireString(scope, `${prop}.prefix`, prefix, 'expected a relative path such as "prod/orders"; leave prefix out to use the root of the bucket');
  checkSingleLine(scope, `${prop}.prefix`, s);
  if (s.startsWith('/') || s.endsWith('/') || s.split('/').some((p) => p === '' || p === '.' || p === '..') || s.length > 512) {
    invalid(scope, `${prop}.prefix`, prefix, 'expected a relative path such as "prod/orders": no leading or trailing "/", no empty, "." or ".." segments, at most 512 characters');
  }
  return s;
}

function wholeSeconds(scope: IConstruct, prop: string, d: unknown): number {
  const s = d instanceof Duration ? d.toSeconds({ integral: false }) : NaN;
  if (!Number.isInteger(s) || s < 1) {
    invalid(scope, prop, d instanceof Duration ? `${s} seconds` : d, 'expected a Duration of whole seconds, at least 1, such as Duration.minutes(5)');
  }
  return s;
}

function maxRetries(scope: IConstruct, prop: string, value: unknown): number {
  if (value === undefined) {
    return 3;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    invalid(scope, `${prop}.maxRetries`, value, 'expected a whole number from 0 to 100');
  }
  return value;
}

function location(scheme: string, bucket: string, prefix: string | undefined): string {
  return prefix ? `${scheme}://${bucket}/${prefix}` : `${scheme}://${bucket}`;
}

function optionalBoolean(scope: IConstruct, prop: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    invalid(scope, prop, value, 'expected true or false');
  }
  return value;
}

function bindS3(scope: IConstruct, prop: string, spec: StorageSpec): StorageBinding {
  const o = spec.options as S3StorageOptions;
  const minio = spec.provider === WalProvider.MINIO;
  const bucketExpected = 'expected an S3 bucket name: 3 to 63 lower-case letters, digits, "." and "-", starting and ending with a letter or digit, not an IP address';
  const bucket = requireString(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket) || bucket.startsWith('xn--')) {
    invalid(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  }
  const prefix = checkPrefix(scope, prop, o.prefix);
  const env: Record<string, string> = { [prefixEnv(spec.version, 'S3')]: location('s3', bucket, prefix) };
  if (o.region !== undefined) {
    const region = requireString(scope, `${prop}.region`, o.region);
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(region)) {
      invalid(scope, `${prop}.region`, o.region, 'expected a region name such as "eu-west-1"');
    }
    env.AWS_REGION = region;
  } else if (minio) {
    env.AWS_REGION = 'us-east-1';
  }
  let endpointUrl: URL | undefined;
  if (o.endpoint !== undefined || minio) {
    endpointUrl = checkEndpoint(scope, prop, o);
    env.AWS_ENDPOINT = o.endpoint!.replace(/\/$/, '');
  }
  const pathStyle = optionalBoolean(scope, `${prop}.forcePathStyle`, o.forcePathStyle) ?? minio;
  if (pathStyle) {
    env.AWS_S3_FORCE_PATH_STYLE = 'true';
  }
  if (o.storageClass !== undefined) {
    const sc = requireString(scope, `${prop}.storageClass`, o.storageClass);
    if (!/^[A-Z_]+$/.test(sc)) {
      invalid(scope, `${prop}.storageClass`, o.storageClass, 'expected an S3 storage class such as "STANDARD_IA"');
    }
    env.WALG_S3_STORAGE_CLASS = sc;
  }
  const s3Retries = retries(scope, prop, spec, o.maxRetries, 'S3_MAX_RETRIES');
  if (s3Retries !== undefined) {
    env.WALG_S3_MAX_RETRIES = s3Retries;
  }
  let caCertificate: string | undefined;
  if (o.caCertificate !== undefined) {
    caCertificate = requireString(scope, `${prop}.caCertificate`, o.caCertificate);
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(caCertificate)) {
      invalid(scope, `${prop}.caCertificate`, `${caCertificate.slice(0, 40)}…`, 'expected a PEM CA bundle ("-----BEGIN CERTIFICATE-----" …)');
    }
    if (!endpointUrl || endpointUrl.protocol !== 'https:') {
      invalid(scope, `${prop}.caCertificate`, `${caCertificate.slice(0, 27)}…`, 'a custom CA only applies to an https endpoint; set endpoint to the https URL it signs');
    }
    requireWalgFeature(scope, `${prop}.caCertificate`, `${caCertificate.slice(0, 27)}…`, spec.version, 's3CaCertFile');
  }
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, (o.credentials as S3Credentials | undefined)?._spec, 'S3Credentials.fromSecret(), .fromAccessKey() or .fromPodIdentity()');
  if (!credentials.kind.startsWith('S3Credentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected S3Credentials');
  }
  if (credentials.serviceAccountName) {
    requireWalgFeature(scope, `${prop}.credentials`, credentials.kind, spec.version, 's3WebIdentity');
    // WAL-G 2.0.2 to 3.0.5 assume the role themselves and fail without a session name.
    env.AWS_ROLE_SESSION_NAME = 'cdk8s-postgres-walg';
  }
  return {
    env,
    caCertificate,
    credentials,
    identity: `s3 ${env.AWS_ENDPOINT ?? 'aws'} ${location('s3', bucket, prefix)}`,
  };
}

/** An S3 endpoint: an https URL (http only when allowed), with nothing but a scheme, a host and a port. */
function checkEndpoint(scope: IConstruct, prop: string, o: S3StorageOptions): URL {
  const endpoint = requireString(scope, `${prop}.endpoint`, o.endpoint, 'expected an https URL such as "https://minio.storage.svc:9000"');
  // Before parsing: the URL parser drops newlines, which would then split the line of the env file.
  checkSingleLine(scope, `${prop}.endpoint`, endpoint);
  let endpointUrl: URL;
  try {
    endpointUrl = new URL(endpoint);
  } catch {
    invalid(scope, `${prop}.endpoint`, o.endpoint, 'expected an https URL such as "https://minio.storage.svc:9000"');
  }
  if (endpointUrl.protocol !== 'https:' && endpointUrl.protocol !== 'http:') {
    invalid(scope, `${prop}.endpoint`, o.endpoint, 'expected an https URL such as "https://minio.storage.svc:9000"');
  }
  if (endpointUrl.username || endpointUrl.password || endpointUrl.search || endpointUrl.hash || (endpointUrl.pathname !== '/' && endpointUrl.pathname !== '')) {
    invalid(scope, `${prop}.endpoint`, o.endpoint, 'expected a URL with only a scheme, a host and a port (credentials go into the credentials, the path into bucket and prefix)');
  }
  const insecure = optionalBoolean(scope, `${prop}.allowInsecureEndpoint`, o.allowInsecureEndpoint) ?? false;
  if (endpointUrl.protocol === 'http:' && !insecure) {
    invalid(scope, `${prop}.endpoint`, o.endpoint, 'expected an https URL; set allowInsecureEndpoint: true to send credentials and data over plain http');
  }
  return endpointUrl;
}

function bindGcs(scope: IConstruct, prop: string, spec: StorageSpec): StorageBinding {
  const o = spec.options as GcsStorageOptions;
  const bucketExpected = 'expected a GCS bucket name: 3 to 63 lower-case letters, digits, "-", "_" and ".", starting and ending with a letter or digit, not starting with "goog"';
  const bucket = requireString(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  const max = bucket.includes('.') ? 222 : 63;
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(bucket) || bucket.length < 3 || bucket.length > max || bucket.startsWith('goog') || bucket.includes('google') || bucket.includes('..')) {
    invalid(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  }
  const prefix = checkPrefix(scope, prop, o.prefix);
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, (o.credentials as GcsCredentials | undefined)?._spec, 'GcsCredentials.fromSecret(), .fromServiceAccountKey() or .fromWorkloadIdentity()');
  if (!credentials.kind.startsWith('GcsCredentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected GcsCredentials');
  }
  const loc = location('gs', bucket, prefix);
  const env: Record<string, string> = { [prefixEnv(spec.version, 'GS')]: loc };
  const gcsRetries = retries(scope, prop, spec, o.maxRetries, 'GCS_MAX_RETRIES');
  if (gcsRetries !== undefined) {
    env.GCS_MAX_RETRIES = gcsRetries;
  }
  if (o.contextTimeout !== undefined) {
    env.GCS_CONTEXT_TIMEOUT = String(wholeSeconds(scope, `${prop}.contextTimeout`, o.contextTimeout));
    requireWalgFeature(scope, `${prop}.contextTimeout`, o.contextTimeout, spec.version, 'gcsContextTimeout');
  }
  return {
    env,
    credentials,
    identity: `gcs ${loc}`,
  };
}

/** The named clouds older WAL-G understands (AZURE_ENVIRONMENT_NAME), by endpoint suffix. */
const AZURE_CLOUDS: Record<string, string> = {
  'core.windows.net': 'AzurePublicCloud',
  'core.chinacloudapi.cn': 'AzureChinaCloud',
  'core.usgovcloudapi.net': 'AzureUSGovernmentCloud',
  'core.cloudapi.de': 'AzureGermanCloud',
};

function bindAzure(scope: IConstruct, prop: string, spec: StorageSpec): StorageBinding {
  const o = spec.options as AzureStorageOptions;
  const containerExpected = 'expected an Azure container name: 3 to 63 lower-case letters, digits and single "-", starting and ending with a letter or digit';
  const container = requireString(scope, `${prop}.container`, o.container, containerExpected);
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    invalid(scope, `${prop}.container`, o.container, containerExpected);
  }
  const prefix = checkPrefix(scope, prop, o.prefix);
  const loc = location('azure', container, prefix);
  const env: Record<string, string> = { [prefixEnv(spec.version, 'AZ')]: loc };
  if (o.endpointSuffix !== undefined) {
    const suffix = requireString(scope, `${prop}.endpointSuffix`, o.endpointSuffix);
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$/.test(suffix)) {
      invalid(scope, `${prop}.endpointSuffix`, o.endpointSuffix, 'expected a DNS suffix such as "core.windows.net"');
    }
    const cloud = AZURE_CLOUDS[suffix];
    // WAL-G before 2.0 reaches only the named clouds (AZURE_ENVIRONMENT_NAME), and before that only the public one.
    if (suffix !== 'core.windows.net' && !hasWalgFeature(spec.version, 'azureEndpointSuffix')) {
      requireWalgFeature(scope, `${prop}.endpointSuffix`, suffix, spec.version, cloud ? 'azureEnvironmentName' : 'azureEndpointSuffix');
    }
    env.AZURE_ENDPOINT_SUFFIX = suffix;
    if (cloud) {
      env.AZURE_ENVIRONMENT_NAME = cloud;
    }
  }
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, (o.credentials as AzureCredentials | undefined)?._spec, 'AzureCredentials.fromSecret() or .fromAccountKey()');
  if (!credentials.kind.startsWith('AzureCredentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected AzureCredentials');
  }
  return { env, credentials, identity: `azure ${env.AZURE_ENDPOINT_SUFFIX ?? ''} ${credentials.secretData?.AZURE_ACCOUNT_NAME ?? credentials.secretName} ${loc}` };
}

function bindSwift(scope: IConstruct, prop: string, spec: StorageSpec): StorageBinding {
  const o = spec.options as SwiftStorageOptions;
  const containerExpected = 'expected a Swift container name: 1 to 256 characters without "/"';
  const container = requireString(scope, `${prop}.container`, o.container, containerExpected);
  checkSingleLine(scope, `${prop}.container`, container);
  if (container.length > 256 || container.includes('/')) {
    invalid(scope, `${prop}.container`, o.container, containerExpected);
  }
  const prefix = checkPrefix(scope, prop, o.prefix);
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, (o.credentials as SwiftCredentials | undefined)?._spec, 'SwiftCredentials.fromSecret(), .fromV1(), .fromKeystoneV2(), .fromKeystoneV3() or .fromToken()');
  if (!credentials.kind.startsWith('SwiftCredentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected SwiftCredentials');
  }
  const loc = location('swift', container, prefix);
  return {
    env: { [prefixEnv(spec.version, 'SWIFT')]: loc, ...credentials.env },
    credentials,
    identity: `swift ${credentials.env?.ST_AUTH ?? credentials.env?.OS_AUTH_URL ?? credentials.secretName} ${loc}`,
  };
}

/** Paths the pod uses itself; a Local archive must not be mounted over them. */
export const RESERVED_PATHS = ['/var/pv', '/etc/pg-walg', '/var/run/postgresql', '/dev/shm', '/tmp'];

function bindLocal(scope: IConstruct, prop: string, spec: StorageSpec): StorageBinding {
  const o = spec.options as LocalStorageOptions;
  const mountPath = checkAbsolutePath(scope, `${prop}.mountPath`, o.mountPath);
  const clash = RESERVED_PATHS.find((p) => mountPath === p || mountPath.startsWith(`${p}/`) || p.startsWith(`${mountPath}/`));
  if (clash) {
    invalid(scope, `${prop}.mountPath`, o.mountPath, `expected a path outside ${RESERVED_PATHS.join(', ')} (the pod uses ${clash})`);
  }
  const volume = o.volume as unknown as { _toKube?: () => k8s.Volume } | undefined;
  if (!volume || typeof volume._toKube !== 'function') {
    invalid(scope, `${prop}.volume`, volume === undefined ? undefined : '(not a Volume)', 'expected a cdk8s-plus Volume, e.g. Volume.fromPersistentVolumeClaim(...)');
  }
  const prefix = checkPrefix(scope, prop, o.prefix);
  const kube = volume._toKube();
  const loc = prefix ? `${mountPath}/${prefix}` : mountPath;
  return {
    env: { WALG_FILE_PREFIX: loc },
    volume: kube,
    mountPath,
    identity: `local ${JSON.stringify({ ...kube, name: undefined })} ${prefix ?? ''}`,
  };
}
