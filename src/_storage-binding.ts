// What every storage provider's binder shares: the binding it hands the pod, and the checks and
// settings common to several providers. Each provider's own file (storage-*.ts) holds its options,
// its credentials and its binder.
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { hasWalgFeature, prefixSpelling, requireWalgFeature } from './_capabilities';
import { CredentialSpec } from './_credential-spec';
import { checkSingleLine, invalid, requireString } from './_validation';
import { PostgresVersion } from './postgres-version';

/** The storage, rendered for a pod. */
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

/** How a provider's options become a binding: what WalStorage holds instead of the options themselves. */
export interface StorageBinder {
  /** The WAL-G storage prefix (WalStorage.location). */
  location(): string;
  /** Validates the options and renders them for a pod; errors name the construct and the property. */
  bind(scope: IConstruct, prop: string, version: PostgresVersion): StorageBinding;
}

/** The prefix env name, in the spelling the version's images read. */
export function prefixEnv(version: PostgresVersion, kind: 'S3' | 'GS' | 'AZ' | 'SWIFT'): string {
  return `${prefixSpelling(version)}_${kind}_PREFIX`;
}

/**
 * A retry count for WAL-G: the option, or the library's default where the version's WAL-G reads the
 * setting (undefined where it does not: an explicit value is then refused, never dropped).
 */
export function retries(scope: IConstruct, prop: string, version: PostgresVersion, value: unknown, feature: 'S3_MAX_RETRIES' | 'GCS_MAX_RETRIES'): string | undefined {
  const id = feature === 'S3_MAX_RETRIES' ? 's3MaxRetries' : 'gcsMaxRetries';
  if (value !== undefined) {
    requireWalgFeature(scope, `${prop}.maxRetries`, value, version, id);
  } else if (!hasWalgFeature(version, id)) {
    return undefined;
  }
  return String(maxRetries(scope, prop, value));
}

export function checkPrefix(scope: IConstruct, prop: string, prefix: unknown): string | undefined {
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

function maxRetries(scope: IConstruct, prop: string, value: unknown): number {
  if (value === undefined) {
    return 3;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    invalid(scope, `${prop}.maxRetries`, value, 'expected a whole number from 0 to 100');
  }
  return value;
}

/** A WAL-G storage prefix: scheme://bucket-or-container[/prefix]. */
export function location(scheme: string, bucket: string, prefix: string | undefined): string {
  return prefix ? `${scheme}://${bucket}/${prefix}` : `${scheme}://${bucket}`;
}

