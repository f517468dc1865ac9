import { IConstruct } from 'constructs';
import { requireWalgFeature } from './_capabilities';
import { versionsSupporting } from './_catalog';
import { CredentialSpec, checkCredentialSpec, requireValues, secretValue } from './_credential-spec';
import { checkPrefix, location, prefixEnv, retries, SecretKeyRule, StorageBinder, StorageBinding, walgLocation } from './_storage-binding';
import { checkSingleLine, invalid, optionalBoolean, requireString } from './_validation';
import { PostgresVersion, WalProvider } from './postgres-version';
import { WalDataPathOptions } from './storage-data-path';
import { WalStorageLocationOptions } from './storage-location';

/** Options shared by S3 and S3-compatible storage. */
export interface S3BucketOptions extends WalStorageLocationOptions, WalDataPathOptions {
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
   * WAL-G reads it from 1.1.2 on: for an older version (every KubeDB catalog version) it is refused at synth
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
   * S3-compatible service. It is applied whatever its host name. An endpoint outside amazonaws.com is what
   * the support matrix calls MinIO: with a version that does not support MinIO it is refused at synth time.
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

/**
 * Credentials for S3 and S3-compatible storage (MinIO, Ceph RGW, …).
 *
 * The pod reads each value of the Secret as the file's content without the line ends at its end (`\n`,
 * `\r\n`, as `kubectl create secret --from-file` or an editor leaves them); a value of more than one line
 * stops the pod with an error that names the key and never shows the value (a value given in code is
 * refused at synth time). `CA_CERT_DATA` is a file that WAL-G reads itself: the pod passes its
 * path, and its content reaches WAL-G exactly as the Secret holds it.
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#s3
 */
export class S3Credentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys: `AWS_ACCESS_KEY_ID`,
   * `AWS_SECRET_ACCESS_KEY`, and optionally `AWS_SESSION_TOKEN` and `CA_CERT_DATA` (a PEM CA bundle
   * for an endpoint with a private CA).
   *
   * @see https://kubernetes.io/docs/concepts/configuration/secret/
   */
  public static fromSecret(secretName: string): S3Credentials {
    return new S3Credentials({ kind: 'S3Credentials.fromSecret', secretName });
  }

  /**
   * An access key given in code. The construct puts both values into a Secret it creates; they
   * appear in plain text (the Secret's `stringData`) in the synthesized manifests, so keep those out of version control.
   */
  public static fromAccessKey(accessKeyId: string, secretAccessKey: string): S3Credentials {
    requireValues('S3Credentials.fromAccessKey()', { accessKeyId, secretAccessKey });
    const factory = 'S3Credentials.fromAccessKey()';
    return new S3Credentials({
      kind: 'S3Credentials.fromAccessKey',
      secretData: { AWS_ACCESS_KEY_ID: secretValue(factory, 'accessKeyId', accessKeyId), AWS_SECRET_ACCESS_KEY: secretValue(factory, 'secretAccessKey', secretAccessKey) },
    });
  }

  /**
   * No keys: the pod runs as this Kubernetes ServiceAccount and WAL-G uses the AWS SDK's default
   * chain (IAM Roles for Service Accounts, EKS Pod Identity, instance profile). WAL-G reads a web
   * identity from 2.0 on: with an older version (every KubeDB catalog version) it is refused at synth time.
   * The library sets `AWS_ROLE_SESSION_NAME`, without which WAL-G 2.0.2 to 3.0.5 fail to assume the role.
   *
   * @see https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
   */
  public static fromPodIdentity(serviceAccountName: string): S3Credentials {
    requireValues('S3Credentials.fromPodIdentity()', { serviceAccountName });
    return new S3Credentials({ kind: 'S3Credentials.fromPodIdentity', serviceAccountName });
  }

  /** @internal */
  public readonly _spec: CredentialSpec;

  private constructor(spec: CredentialSpec) {
    this._spec = spec;
  }
}

/** @internal How WalStorage.s3() and .minio() bind their options. */
export function s3Binder(options: S3StorageOptions, minio: boolean): StorageBinder {
  return {
    location: () => location('s3', options.bucket, options.prefix),
    bind: (scope, prop, version) => bindS3(scope, prop, version, options, minio),
  };
}

/** KubeDB's Secret keys for S3 and MinIO: the AWS keys, and a CA bundle read from its file. */
const S3_SECRET_KEYS: SecretKeyRule[] = [
  { key: 'CA_CERT_DATA', env: 'WALG_S3_CA_CERT_FILE', as: 'path' },
  { key: 'AWS_*' },
];

function bindS3(scope: IConstruct, prop: string, version: PostgresVersion, o: S3StorageOptions, minio: boolean): StorageBinding {
  const bucketExpected = 'expected an S3 bucket name: 3 to 63 lower-case letters, digits, "." and "-", starting and ending with a letter or digit, not an IP address';
  const bucket = requireString(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket) || bucket.startsWith('xn--')) {
    invalid(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  }
  const prefix = checkPrefix(scope, prop, o.prefix, 'url');
  const env: Record<string, string> = { [prefixEnv(version, 'S3')]: location('s3', bucket, prefix) };
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
    requireCustomEndpoint(scope, prop, version, o.endpoint!, endpointUrl);
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
  const s3Retries = retries(scope, prop, version, o.maxRetries, 'S3_MAX_RETRIES');
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
    requireWalgFeature(scope, `${prop}.caCertificate`, `${caCertificate.slice(0, 27)}…`, version, 's3CaCertFile');
  }
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, o.credentials, 'S3Credentials.fromSecret(), .fromAccessKey() or .fromPodIdentity()');
  if (!credentials.kind.startsWith('S3Credentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected S3Credentials');
  }
  if (credentials.serviceAccountName) {
    requireWalgFeature(scope, `${prop}.credentials`, credentials.kind, version, 's3WebIdentity', 'Use S3Credentials.fromSecret() or .fromAccessKey()');
    // WAL-G 2.0.2 to 3.0.5 assume the role themselves and fail without a session name.
    env.AWS_ROLE_SESSION_NAME = 'cdk8s-postgres-walg';
  }
  return {
    env,
    caCertificate,
    credentials,
    // The endpoint as its origin: one server whatever the case of its host name or an explicit default port.
    identity: `s3 ${endpointUrl?.origin ?? 'aws'} ${walgLocation('s3', bucket, prefix)}`,
    secretKeys: S3_SECRET_KEYS,
  };
}

/** Amazon S3's own endpoints: regional, dual-stack, FIPS, VPC interface endpoints, China regions. */
const AMAZON_S3_HOST = /(^|\.)amazonaws\.com(\.cn)?$/;

/**
 * A custom endpoint is what the support matrix calls MinIO: WalStorage.s3() must not open, through its
 * `endpoint` option, the door that the types close on WalStorage.minio() (KubeDB's first two image
 * generations archive to Amazon S3 only).
 */
function requireCustomEndpoint(scope: IConstruct, prop: string, version: PostgresVersion, endpoint: string, url: URL): void {
  if (!version.supports(WalProvider.MINIO) && !AMAZON_S3_HOST.test(url.hostname)) {
    const able = versionsSupporting('minio');
    invalid(scope, `${prop}.endpoint`, endpoint,
      `PostgresVersion ${version.name} archives to Amazon S3 only (endpoints under amazonaws.com), and a custom endpoint (MinIO or another S3-compatible service) ` +
      `needs a version that supports MinIO: ${able.join(', ')}, or PostgresVersion.custom(). Leave endpoint out to use Amazon S3`);
  }
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
