// The properties of each construct's props, as data the compiler keeps complete: a Record over
// `keyof` the interface fails to compile when a property is added to the interface and not here (or
// listed here and not there). JavaScript callers (and jsii languages passing a map) can misspell a
// property; TypeScript's excess-property check does not reach them, and a misspelt option would be
// dropped silently. checkKnownProps refuses it, naming the nearest property.
import { IConstruct } from 'constructs';
import { invalid } from './_validation';
import type { ArchivingPostgresProps } from './archiving-postgres';
import type { ArchivingOptions, PostgresInstanceOptions } from './postgres-options';
import type { CustomPostgresVersionProps, PostgresVersionImages } from './postgres-version';
import type { RecoveryTarget } from './recovery-target';
import type { RestoreDrillOptions } from './restore-drill-options';
import type { WalDataPathOptions } from './storage-data-path';
import type { WalStorageLocationOptions } from './storage-location';
import type { LibsodiumEncryptionOptions, OpenPgpEncryptionOptions } from './wal-encryption';
import type { WalRestoredPostgresProps } from './wal-restored-postgres';
import type { AzureStorageOptions, GcsStorageOptions, LocalStorageOptions, MinioStorageOptions, S3StorageOptions, SwiftStorageOptions } from './wal-storage';

const INSTANCE: Record<keyof PostgresInstanceOptions, true> = {
  name: true,
  superuserPassword: true,
  replicas: true,
  primaryMember: true,
  replicationPassword: true,
  storageSize: true,
  storageClassName: true,
  resources: true,
  imagePullPolicy: true,
  labels: true,
  parameters: true,
  storageAttempts: true,
  storageRetryInterval: true,
  nodeSelector: true,
  tolerations: true,
  affinity: true,
  topologySpreadConstraints: true,
  priorityClassName: true,
  podAnnotations: true,
  serviceAnnotations: true,
  serviceType: true,
  loadBalancerSourceRanges: true,
  externalTrafficPolicy: true,
  imagePullSecrets: true,
  networkPolicy: true,
  metrics: true,
};
const ARCHIVING: Record<keyof ArchivingOptions, true> = {
  archiveTimeout: true,
  baseBackupInterval: true,
  retainBaseBackups: true,
  retainFor: true,
  deltaMaxSteps: true,
  baseBackupsFromStandby: true,
  walVerify: true,
  walVerifyInterval: true,
  baseBackupTimeout: true,
  allowNonEmptyArchive: true,
  restoreDrill: true,
};

/** Every property of ArchivingOptions (a restore without an onward archive refuses them). */
export const ARCHIVING_OPTIONS = Object.keys(ARCHIVING) as Array<keyof ArchivingOptions>;

/** Every property of ArchivingPostgresProps. */
export const ARCHIVING_POSTGRES_PROPS: Record<keyof ArchivingPostgresProps, true> = { ...INSTANCE, ...ARCHIVING, storage: true };

/** Every property of WalRestoredPostgresProps. */
export const WAL_RESTORED_POSTGRES_PROPS: Record<keyof WalRestoredPostgresProps, true> = {
  ...INSTANCE, ...ARCHIVING, source: true, backupName: true, baseBackupFetchTimeout: true, recoveryTarget: true, archive: true,
};

const STORAGE: Record<keyof WalStorageLocationOptions | keyof WalDataPathOptions, true> = {
  prefix: true, compression: true, encryption: true, uploadConcurrency: true, downloadConcurrency: true,
};
const S3_BUCKET = {
  ...STORAGE,
  bucket: true,
  credentials: true,
  region: true,
  forcePathStyle: true,
  caCertificate: true,
  allowInsecureEndpoint: true,
  maxRetries: true,
  storageClass: true,
} as const;

/** Every property of each WalStorage factory's options, by factory name. */
export const STORAGE_PROPS = {
  s3: { ...S3_BUCKET, endpoint: true } satisfies Record<keyof S3StorageOptions, true>,
  minio: { ...S3_BUCKET, endpoint: true } satisfies Record<keyof MinioStorageOptions, true>,
  gcs: { ...STORAGE, bucket: true, credentials: true, contextTimeout: true, maxRetries: true } satisfies Record<keyof GcsStorageOptions, true>,
  azure: { ...STORAGE, container: true, credentials: true, endpointSuffix: true } satisfies Record<keyof AzureStorageOptions, true>,
  swift: { ...STORAGE, container: true, credentials: true } satisfies Record<keyof SwiftStorageOptions, true>,
  local: { ...STORAGE, volume: true, mountPath: true } satisfies Record<keyof LocalStorageOptions, true>,
};

/** The options objects inside the props: a misspelt property there would be dropped just the same. */
export const NESTED_PROPS = {
  libsodium: { secretName: true, key: true, keyTransform: true } satisfies Record<keyof LibsodiumEncryptionOptions, true>,
  openPgp: { secretName: true, key: true, passphraseKey: true } satisfies Record<keyof OpenPgpEncryptionOptions, true>,
  custom: {
    name: true,
    serverVersion: true,
    image: true,
    toolsImage: true,
    exporterImage: true,
    walgVersion: true,
    walgBuildTags: true,
    uid: true,
    walgImage: true,
    walgBinaryPath: true,
  } satisfies Record<keyof CustomPostgresVersionProps, true>,
  images: { image: true, walgImage: true, walgBinaryPath: true } satisfies Record<keyof PostgresVersionImages, true>,
  restoreDrill: {
    schedule: true, timeZone: true, scratchSize: true, scratchStorageClassName: true, checkQuery: true, timeout: true, resources: true,
  } satisfies Record<keyof RestoreDrillOptions, true>,
  recoveryTarget: {
    time: true, xid: true, name: true, lsn: true, immediate: true, inclusive: true, timeline: true,
  } satisfies Record<keyof RecoveryTarget, true>,
};

/** Where a property of the storage options is found when it is given to a construct instead. */
const STORAGE_ONLY = new Set(Object.keys(STORAGE));

/**
 * Refuses a property of `props` that `known` does not list. The value is not shown (a misspelt
 * superuserPassword would hold a password); the nearest known name is, when it is close.
 */
export function checkKnownProps(scope: IConstruct | string, typeName: string, props: object, known: Record<string, true>): void {
  for (const key of Object.keys(props)) {
    if (!Object.prototype.hasOwnProperty.call(known, key)) {
      const near = nearest(key, Object.keys(known));
      const storage = !near && STORAGE_ONLY.has(key) && ('storage' in known || 'source' in known)
        ? ` (${key} is an option of the storage: WalStorage.s3(version, { …, ${key} }) and the other factories)` : '';
      invalid(scope, key, '(an unknown property: its value is not shown)',
        `expected a property of ${typeName}${near ? ` (did you mean "${near}"?)` : storage}; an unknown property would be ignored`);
    }
  }
}

/** The known name within edit distance 3 of `key` (case-insensitive), if one is. */
function nearest(key: string, names: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = distance(key.toLowerCase(), name.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) {
      best = { name, d };
    }
  }
  return best?.name;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
