import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { requireWalgFeature } from './_capabilities';
import { CredentialSpec, checkCredentialSpec, requireValues, secretValue } from './_credential-spec';
import { checkPrefix, location, prefixEnv, retries, SecretKeyRule, StorageBinder, StorageBinding, walgLocation } from './_storage-binding';
import { checkWholeSeconds, invalid, requireString } from './_validation';
import { PostgresVersion } from './postgres-version';
import { WalDataPathOptions } from './storage-data-path';
import { WalStorageLocationOptions } from './storage-location';

/** Google Cloud Storage. */
export interface GcsStorageOptions extends WalStorageLocationOptions, WalDataPathOptions {
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
   * WAL-G reads it from 0.2.20 on: for an older version (every KubeDB catalog version) it is refused at synth
   * time, and by default not written.
   *
   * @default 3 where the version's WAL-G reads it
   * @see https://wal-g.readthedocs.io/STORAGES/#gcs
   */
  readonly maxRetries?: number;
}

/**
 * Credentials for Google Cloud Storage.
 *
 * The pod reads each value of the Secret as the file's content without the line ends at its end (`\n`,
 * `\r\n`, as `kubectl create secret --from-file` or an editor leaves them); a value of more than one line
 * stops the pod with an error that names the key and never shows the value (a value given in code is
 * refused at synth time). The JSON key (`GOOGLE_SERVICE_ACCOUNT_JSON_KEY`) is a file that WAL-G
 * reads itself: the pod passes its path, and its content reaches WAL-G exactly as the Secret holds it.
 *
 * @see https://wal-g.readthedocs.io/STORAGES/#gcs
 */
export class GcsCredentials {
  /**
   * An existing Secret (the recommended way) with KubeDB's keys: `GOOGLE_SERVICE_ACCOUNT_JSON_KEY`
   * (the service account's JSON key) and optionally `GOOGLE_PROJECT_ID`.
   *
   * @see https://kubernetes.io/docs/concepts/configuration/secret/
   */
  public static fromSecret(secretName: string): GcsCredentials {
    return new GcsCredentials({ kind: 'GcsCredentials.fromSecret', secretName });
  }

  /**
   * A service account JSON key given in code; the construct puts it into a Secret it creates.
   */
  public static fromServiceAccountKey(jsonKey: string): GcsCredentials {
    requireValues('GcsCredentials.fromServiceAccountKey()', { jsonKey });
    let parsed: { type?: unknown; project_id?: unknown };
    try {
      parsed = JSON.parse(jsonKey);
    } catch {
      invalid('GcsCredentials.fromServiceAccountKey()', 'jsonKey', '(not shown: it is secret)', 'expected the JSON key file of a Google service account');
    }
    if (parsed === null || typeof parsed !== 'object' || parsed.type !== 'service_account') {
      invalid('GcsCredentials.fromServiceAccountKey()', 'jsonKey', '(not shown: it is secret)', 'expected a JSON key whose "type" is "service_account"');
    }
    const secretData: Record<string, string> = { GOOGLE_SERVICE_ACCOUNT_JSON_KEY: jsonKey };
    if (typeof parsed.project_id === 'string') {
      secretData.GOOGLE_PROJECT_ID = secretValue('GcsCredentials.fromServiceAccountKey()', 'jsonKey project_id', parsed.project_id);
    }
    return new GcsCredentials({ kind: 'GcsCredentials.fromServiceAccountKey', secretData });
  }

  /**
   * No key: the pod runs as this Kubernetes ServiceAccount, bound to a Google service account with
   * GKE Workload Identity.
   *
   * @see https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity
   */
  public static fromWorkloadIdentity(serviceAccountName: string): GcsCredentials {
    requireValues('GcsCredentials.fromWorkloadIdentity()', { serviceAccountName });
    return new GcsCredentials({ kind: 'GcsCredentials.fromWorkloadIdentity', serviceAccountName });
  }

  /** @internal */
  public readonly _spec: CredentialSpec;

  private constructor(spec: CredentialSpec) {
    this._spec = spec;
  }
}

/** @internal How WalStorage.gcs() binds its options. */
export function gcsBinder(options: GcsStorageOptions): StorageBinder {
  return {
    location: () => location('gs', options.bucket, options.prefix),
    bind: (scope, prop, version) => bindGcs(scope, prop, version, options),
  };
}

/** KubeDB's Secret keys for GCS: the service account's JSON key is read from its file. */
const GCS_SECRET_KEYS: SecretKeyRule[] = [
  { key: 'GOOGLE_SERVICE_ACCOUNT_JSON_KEY', env: 'GOOGLE_APPLICATION_CREDENTIALS', as: 'path' },
  { key: 'GOOGLE_PROJECT_ID' },
];

function bindGcs(scope: IConstruct, prop: string, version: PostgresVersion, o: GcsStorageOptions): StorageBinding {
  const bucketExpected = 'expected a GCS bucket name: 3 to 63 lower-case letters, digits, "-", "_" and ".", starting and ending with a letter or digit, not starting with "goog"';
  const bucket = requireString(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  const max = bucket.includes('.') ? 222 : 63;
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(bucket) || bucket.length < 3 || bucket.length > max || bucket.startsWith('goog') || bucket.includes('google') || bucket.includes('..')) {
    invalid(scope, `${prop}.bucket`, o.bucket, bucketExpected);
  }
  const prefix = checkPrefix(scope, prop, o.prefix, 'url');
  const credentials = checkCredentialSpec(scope, `${prop}.credentials`, o.credentials, 'GcsCredentials.fromSecret(), .fromServiceAccountKey() or .fromWorkloadIdentity()');
  if (!credentials.kind.startsWith('GcsCredentials.')) {
    invalid(scope, `${prop}.credentials`, credentials.kind, 'expected GcsCredentials');
  }
  const loc = location('gs', bucket, prefix);
  const env: Record<string, string> = { [prefixEnv(version, 'GS')]: loc };
  const gcsRetries = retries(scope, prop, version, o.maxRetries, 'GCS_MAX_RETRIES');
  if (gcsRetries !== undefined) {
    env.GCS_MAX_RETRIES = gcsRetries;
  }
  if (o.contextTimeout !== undefined) {
    env.GCS_CONTEXT_TIMEOUT = String(checkWholeSeconds(scope, `${prop}.contextTimeout`, o.contextTimeout, 'expected a Duration of whole seconds, at least 1, such as Duration.minutes(5)'));
    requireWalgFeature(scope, `${prop}.contextTimeout`, o.contextTimeout, version, 'gcsContextTimeout');
  }
  return {
    env,
    credentials,
    identity: `gcs ${walgLocation('gs', bucket, prefix)}`,
    secretKeys: GCS_SECRET_KEYS,
  };
}
