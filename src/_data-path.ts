// The data-path options of a storage (storage-data-path.ts) rendered for a pod: WAL-G settings for
// `<role>.env`, and the encryption key's Secret, mounted read-only at PG_WALG_SECRETS/<role>-encryption.
import { IConstruct } from 'constructs';
import { requireWalgFeature, WalgFeatureId } from './_capabilities';
import { checkSecretKey, checkDnsSubdomain, invalid } from './_validation';
import { PostgresVersion } from './postgres-version';
import { WalDataPathOptions } from './storage-data-path';
import { WalCompression } from './wal-compression';
import { LibsodiumEncryptionOptions, LibsodiumKeyTransform, OpenPgpEncryptionOptions, WalEncryption } from './wal-encryption';

/** The files of an encryption Secret, as the pod sees them under PG_WALG_SECRETS/<role>-encryption. */
export const ENCRYPTION_FILES = {
  libsodiumKey: 'libsodium-key',
  pgpKey: 'pgp-key',
  pgpPassphrase: 'pgp-passphrase',
} as const;

/** An encryption key's Secret, for the pod: which keys it mounts under which file names. */
export interface EncryptionMount {
  readonly secretName: string;
  readonly items: ReadonlyArray<{ readonly key: string; readonly path: string }>;
  /** WAL-G settings that name a mounted file: the env name and the file's name under the mount. */
  readonly pathEnv: Readonly<Record<string, string>>;
}

/** The data path, rendered. */
export interface DataPathBinding {
  readonly env: Record<string, string>;
  readonly encryption?: EncryptionMount;
}

const COMPRESSION_FEATURES: Record<string, WalgFeatureId | undefined> = { lz4: undefined, lzma: undefined, zstd: 'zstdCompression', brotli: 'brotliCompression' };

/** Validates the data-path options of a storage against its version and renders them. */
export function bindDataPath(scope: IConstruct, prop: string, version: PostgresVersion, o: WalDataPathOptions): DataPathBinding {
  const env: Record<string, string> = {};
  if (o.compression !== undefined) {
    env.WALG_COMPRESSION_METHOD = compression(scope, `${prop}.compression`, version, o.compression);
  }
  for (const [name, setting] of [['uploadConcurrency', 'WALG_UPLOAD_CONCURRENCY'], ['downloadConcurrency', 'WALG_DOWNLOAD_CONCURRENCY']] as const) {
    const value = o[name];
    if (value !== undefined) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 64) {
        invalid(scope, `${prop}.${name}`, value, 'expected a whole number from 1 to 64');
      }
      env[setting] = String(value);
    }
  }
  const encryption = o.encryption === undefined ? undefined : encrypt(scope, `${prop}.encryption`, version, o.encryption, env);
  return { env, encryption };
}

function compression(scope: IConstruct, prop: string, version: PostgresVersion, given: unknown): string {
  const method = (given as { method?: unknown } | null)?.method;
  if (!(given instanceof WalCompression) || typeof method !== 'string' || !(method in COMPRESSION_FEATURES)) {
    invalid(scope, prop, given, 'expected WalCompression.LZ4, WalCompression.LZMA, WalCompression.ZSTD or WalCompression.BROTLI');
  }
  const feature = COMPRESSION_FEATURES[method];
  if (feature) {
    requireWalgFeature(scope, prop, method, version, feature, 'Use WalCompression.LZ4 or WalCompression.LZMA (every WAL-G writes them)');
  }
  return method;
}

function encrypt(scope: IConstruct, prop: string, version: PostgresVersion, given: unknown, env: Record<string, string>): EncryptionMount {
  if (!(given instanceof WalEncryption)) {
    invalid(scope, prop, given === null || typeof given !== 'object' ? given : '(not a WalEncryption)', 'expected WalEncryption.libsodium() or WalEncryption.openPgp()');
  }
  const o = given._options;
  if (o === null || typeof o !== 'object') {
    invalid(scope, prop, o, 'expected the options of WalEncryption.libsodium() or .openPgp(): an object with secretName');
  }
  const secretName = checkDnsSubdomain(scope, `${prop}.secretName`, o.secretName);
  if (given.method === 'libsodium') {
    const lo = o as LibsodiumEncryptionOptions;
    requireWalgFeature(scope, prop, 'libsodium', version, 'libsodiumKeyPath', 'Use WalEncryption.openPgp() where the version has it');
    const key = secretKey(scope, `${prop}.key`, lo.key, 'WALG_LIBSODIUM_KEY');
    const transform = lo.keyTransform ?? LibsodiumKeyTransform.NONE;
    if (!Object.values(LibsodiumKeyTransform).includes(transform)) {
      invalid(scope, `${prop}.keyTransform`, transform, 'expected LibsodiumKeyTransform.NONE, BASE64 or HEX');
    }
    if (transform !== LibsodiumKeyTransform.NONE) {
      requireWalgFeature(scope, `${prop}.keyTransform`, transform, version, 'libsodiumKeyTransform', 'Use LibsodiumKeyTransform.NONE with a key of at least 32 bytes');
      env.WALG_LIBSODIUM_KEY_TRANSFORM = transform;
    }
    return { secretName, items: [{ key, path: ENCRYPTION_FILES.libsodiumKey }], pathEnv: { WALG_LIBSODIUM_KEY_PATH: ENCRYPTION_FILES.libsodiumKey } };
  }
  const po = o as OpenPgpEncryptionOptions;
  requireWalgFeature(scope, prop, 'openpgp', version, 'openPgpKeyPath', '');
  const key = secretKey(scope, `${prop}.key`, po.key, 'WALG_PGP_KEY');
  const items: Array<{ key: string; path: string }> = [{ key, path: ENCRYPTION_FILES.pgpKey }];
  if (po.passphraseKey !== undefined) {
    const passphrase = secretKey(scope, `${prop}.passphraseKey`, po.passphraseKey, undefined);
    if (passphrase === key) {
      invalid(scope, `${prop}.passphraseKey`, passphrase, 'expected another key of the Secret than the OpenPGP key itself');
    }
    items.push({ key: passphrase, path: ENCRYPTION_FILES.pgpPassphrase });
  }
  return { secretName, items, pathEnv: { WALG_PGP_KEY_PATH: ENCRYPTION_FILES.pgpKey } };
}

function secretKey(scope: IConstruct, prop: string, value: unknown, fallback: string | undefined): string {
  const key = value === undefined ? fallback : value;
  // The name of the Secret's data key, not the key itself: a value that looks like key material would
  // land in the StatefulSet (a volume's items), which is not a Secret. Its value is not shown.
  if (typeof key === 'string' && (/^[0-9a-fA-F]{32,}$/.test(key) || (/^[A-Za-z0-9]{32,}$/.test(key) && /[0-9]/.test(key) && /[a-z]/.test(key) && /[A-Z]/.test(key)))) {
    invalid(scope, prop, '(not shown: it looks like key material)', 'expected the name of the Secret\'s data key that holds the key (e.g. "WALG_LIBSODIUM_KEY"), not the key itself');
  }
  checkSecretKey(scope, prop, key);
  return key as string;
}
