// What every storage provider's binder shares: the binding it hands the pod, and the checks and
// settings common to several providers. Each provider's own file (storage-*.ts) holds its options,
// its credentials and its binder.
import { k8s } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { hasWalgFeature, prefixSpelling, requireWalgFeature } from './_capabilities';
import { CredentialSpec } from './_credential-spec';
import { EncryptionMount } from './_data-path';
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
  /** How the pod reads the keys of a credentials Secret (KubeDB's key names) into WAL-G's environment. */
  readonly secretKeys?: readonly SecretKeyRule[];
  /** The encryption key's Secret (the storage's data-path options), mounted at PG_WALG_SECRETS/<role>-encryption. */
  readonly encryption?: EncryptionMount;
}

/**
 * One key, or key pattern, of a provider's credentials Secret, and the env name WAL-G reads it as. The
 * pod's lib.sh gets one case arm per rule of the storages it binds (rendered into load_storage at synth
 * time), so the scripts name no provider's keys.
 */
export interface SecretKeyRule {
  /** A key ("AZURE_ACCOUNT_KEY"), or a prefix pattern ("AWS_*") whose keys are exported under their own names. */
  readonly key: string;
  /** The env name WAL-G reads, when it is not the key itself. */
  readonly env?: string;
  /**
   * "value" (the default: the file's content without its trailing line ends, read by lib.sh's secret_value,
   * which refuses a value of more than one line) or "path" (the file's path, for a key file or a CA bundle:
   * WAL-G reads the file itself, and its content is left exactly as the Secret holds it).
   */
  readonly as?: 'value' | 'path';
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

/**
 * A prefix: a relative path under the bucket, container or volume. `read` is how the provider's WAL-G
 * reads it: 'url' in a URL (scheme://bucket/prefix, parsed with Go's net/url), where characters of URL
 * syntax are refused (checkUrlPath); 'path' as a plain path (Local's WALG_FILE_PREFIX), where they are
 * ordinary characters.
 */
export function checkPrefix(scope: IConstruct, prop: string, prefix: unknown, read: 'url' | 'path'): string | undefined {
  if (prefix === undefined) {
    return undefined;
  }
  const s = requireString(scope, `${prop}.prefix`, prefix, 'expected a relative path such as "prod/orders"; leave prefix out to use the root of the bucket');
  checkSingleLine(scope, `${prop}.prefix`, s);
  if (s.startsWith('/') || s.endsWith('/') || s.split('/').some((p) => p === '' || p === '.' || p === '..') || s.length > 512) {
    invalid(scope, `${prop}.prefix`, prefix, 'expected a relative path such as "prod/orders": no leading or trailing "/", no empty, "." or ".." segments, at most 512 characters');
  }
  if (read === 'url') {
    checkUrlPath(scope, `${prop}.prefix`, s);
  }
  return s;
}

/** What each character of URL syntax in a prefix means to WAL-G (Go's url.Parse). */
const URL_SYNTAX: Record<string, string> = {
  '#': '"#" starts a fragment, which it ignores',
  '?': '"?" starts a query, which it ignores',
  '%': '"%" starts an escape such as "%41" (read as "A")',
};

/**
 * Refuses a prefix that WAL-G would not read as given: two prefixes that differ only after a "#" or a
 * "?" would be one location, and a "%" would change the path or make WAL-G fail to start.
 */
function checkUrlPath(scope: IConstruct, prop: string, prefix: string): void {
  const c = prefix.match(/[#?%]/)?.[0];
  if (c === undefined) {
    return;
  }
  const read = walgPath(prefix);
  const outcome = read === undefined
    ? 'fail to parse it ("%" must be followed by two hexadecimal digits)'
    : read === '' ? 'use the root of the bucket or container' : `use the prefix ${JSON.stringify(read)}`;
  invalid(scope, prop, prefix, `expected a prefix without "${c}": WAL-G reads the location as a URL, in which ${URL_SYNTAX[c]}, so it would ${outcome}`);
}

const BAD_ESCAPE = /%(?![0-9a-fA-F]{2})/;

/**
 * The path WAL-G reads from the prefix in "scheme://bucket/<prefix>", or undefined where it fails to
 * parse it. WAL-G (0.2.x to 3.x: storage.GetPathFromPrefix) takes the host and the path of Go's
 * url.Parse, which ends the path at "?" or "#", refuses a "%" without two hexadecimal digits before
 * the query and in the fragment, and decodes "%XX" escapes; WAL-G then trims "/" off the path.
 */
export function walgPath(prefix: string): string | undefined {
  const hash = prefix.indexOf('#');
  const fragment = hash < 0 ? '' : prefix.slice(hash + 1);
  const path = (hash < 0 ? prefix : prefix.slice(0, hash)).split('?')[0];
  if (BAD_ESCAPE.test(path) || BAD_ESCAPE.test(fragment)) {
    return undefined;
  }
  const decoded = path.replace(/(%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
  return decoded.replace(/^\/+|\/+$/g, '');
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

/**
 * The location as WAL-G reads it (walgPath), for StorageBinding.identity: two spellings of one location
 * compare equal. (The prefix checks refuse every prefix that WAL-G would read otherwise than given.)
 */
export function walgLocation(scheme: string, bucket: string, prefix: string | undefined): string {
  return location(scheme, bucket, prefix === undefined ? undefined : walgPath(prefix) ?? prefix);
}

