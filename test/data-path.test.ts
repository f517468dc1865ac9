// The storages' data-path options (src/storage-data-path.ts, rendered by src/_data-path.ts):
// compression, client-side encryption and parallelism, each checked against the version's WAL-G.
import { Chart } from 'cdk8s';
import {
  ArchivingPostgres, LibsodiumKeyTransform, PostgresVersion, S3Credentials, WalCompression, WalEncryption, WalgBuildTag, WalRestoredPostgres,
  WalStorage,
} from '../src';
import { find, newChart, Obj, synth } from './util';
import { hasWalgFeature } from '../src/_capabilities';
import { CATALOG, memberName } from '../src/_catalog';

type Opts = Parameters<typeof WalStorage.minio>[1];
const minio = (version: PostgresVersion, more: Partial<Opts> = {}, prefix = 'prod/orders') => WalStorage.minio(version as any, {
  bucket: 'walg', prefix, endpoint: 'https://minio.storage.svc:9000', credentials: S3Credentials.fromSecret('minio-walg'), ...more,
});
const custom = (walgVersion: string, walgBuildTags?: WalgBuildTag[]) =>
  PostgresVersion.custom({ name: 'mine', serverVersion: '14.12', image: 'example.com/pg:14', walgVersion, walgBuildTags });

function archive(version: PostgresVersion, more: Partial<Opts>): { objs: Obj[]; chart: Chart } {
  const chart = newChart();
  new ArchivingPostgres(chart, 'pg', { name: 'pg', storage: minio(version, more) });
  return { objs: synth(chart), chart };
}

function settings(objs: Obj[], role: 'archive' | 'restore'): Record<string, string> {
  const text: string = find(objs, 'ConfigMap').data[`${role}.env`];
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const podSpec = (objs: Obj[]) => find(objs, 'StatefulSet').spec.template.spec;
const mountsOf = (objs: Obj[], container: string) => podSpec(objs).containers.find((c: any) => c.name === container).volumeMounts;

const METHODS = [
  ['LZ4', WalCompression.LZ4, () => true],
  ['LZMA', WalCompression.LZMA, () => true],
  ['ZSTD', WalCompression.ZSTD, (v: PostgresVersion) => hasWalgFeature(v, 'zstdCompression')],
  ['BROTLI', WalCompression.BROTLI, (v: PostgresVersion) => hasWalgFeature(v, 'brotliCompression')],
] as const;

describe.each(CATALOG.filter((e) => e.tier === 'C').map((e) => [e.name, e.walg] as const))('catalog version %s (WAL-G %s)', (name) => {
  const version = (PostgresVersion as any)[memberName(name)] as PostgresVersion;
  test.each(METHODS)('compression %s is written where the WAL-G writes it, and refused where not', (_, method, able) => {
    if (able(version)) {
      expect(settings(archive(version, { compression: method }).objs, 'archive').WALG_COMPRESSION_METHOD).toBe(method.method);
    } else {
      expect(() => archive(version, { compression: method })).toThrow(`Invalid storage.compression "${method.method}" in test/pg: PostgresVersion ${name} bundles WAL-G`);
    }
  });
});

test('no compression setting is written by default (WAL-G\'s lz4)', () => {
  expect(settings(archive(PostgresVersion.V17, {}).objs, 'archive').WALG_COMPRESSION_METHOD).toBeUndefined();
});

test('zstd is refused for WAL-G before 3.0, with what supports it', () => {
  expect(() => archive(PostgresVersion.V11_2_V1, { compression: WalCompression.ZSTD })).toThrow(
    'Invalid storage.compression "zstd" in test/pg: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which refuses WALG_COMPRESSION_METHOD=zstd; WAL-G 3.0.0 and later write it. ' +
    'Use WalCompression.LZ4 or WalCompression.LZMA (every WAL-G writes them), or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "3.0.0" or later.',
  );
});

test('brotli needs the build tag from WAL-G 0.2.12 on: a custom version must declare it', () => {
  expect(() => archive(custom('1.1.3'), { compression: WalCompression.BROTLI })).toThrow(
    'Invalid storage.compression "brotli" in test/pg: PostgresVersion mine does not declare its WAL-G (1.1.3) built with the Go build tag "brotli", which WALG_COMPRESSION_METHOD=brotli needs',
  );
  expect(settings(archive(custom('1.1.3', [WalgBuildTag.BROTLI]), { compression: WalCompression.BROTLI }).objs, 'archive').WALG_COMPRESSION_METHOD).toBe('brotli');
  // Up to 0.2.11 every build has it.
  expect(settings(archive(custom('0.2.11'), { compression: WalCompression.BROTLI }).objs, 'archive').WALG_COMPRESSION_METHOD).toBe('brotli');
  expect(settings(archive(PostgresVersion.V11_2, { compression: WalCompression.BROTLI }).objs, 'archive').WALG_COMPRESSION_METHOD).toBe('brotli');
});

test('a compression that is not a WalCompression is refused', () => {
  expect(() => archive(PostgresVersion.V17, { compression: 'zstd' as any })).toThrow(
    'Invalid storage.compression "zstd" in test/pg: expected WalCompression.LZ4, WalCompression.LZMA, WalCompression.ZSTD or WalCompression.BROTLI.',
  );
});

describe('libsodium', () => {
  const enc = WalEncryption.libsodium({ secretName: 'walg-key' });

  test('the key file is mounted read-only from the Secret, its path given to WAL-G, in both containers', () => {
    const { objs } = archive(PostgresVersion.V17, { encryption: enc });
    expect(settings(objs, 'archive').WALG_LIBSODIUM_KEY_PATH).toBe('/etc/pg-walg/secrets/archive-encryption/libsodium-key');
    expect(settings(objs, 'archive').WALG_LIBSODIUM_KEY_TRANSFORM).toBeUndefined();
    expect(podSpec(objs).volumes.find((v: any) => v.name === 'archive-encryption')).toEqual({
      name: 'archive-encryption',
      secret: { secretName: 'walg-key', defaultMode: 0o440, items: [{ key: 'WALG_LIBSODIUM_KEY', path: 'libsodium-key' }] },
    });
    for (const c of ['postgres', 'walg-backup']) {
      expect(mountsOf(objs, c)).toContainEqual({ name: 'archive-encryption', mountPath: '/etc/pg-walg/secrets/archive-encryption', readOnly: true });
    }
    // The library makes no Secret for it: the key exists only in the user's Secret.
    expect(objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name)).not.toContain('walg-key');
  });

  test('another key of the Secret, and an encoded key (WAL-G 2.0 and later)', () => {
    const { objs } = archive(PostgresVersion.V17, { encryption: WalEncryption.libsodium({ secretName: 'walg-key', key: 'key.b64', keyTransform: LibsodiumKeyTransform.BASE64 }) });
    expect(settings(objs, 'archive').WALG_LIBSODIUM_KEY_TRANSFORM).toBe('base64');
    expect(podSpec(objs).volumes.find((v: any) => v.name === 'archive-encryption').secret.items).toEqual([{ key: 'key.b64', path: 'libsodium-key' }]);
  });

  test('refused where WAL-G would store the data unencrypted: KubeDB\'s 0.2.x', () => {
    expect(() => archive(PostgresVersion.V11_2_V1, { encryption: enc })).toThrow(
      'Invalid storage.encryption "libsodium" in test/pg: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which ignores WALG_LIBSODIUM_KEY_PATH (libsodium encryption); WAL-G 1.1.0 and later read it. ' +
      'Use WalEncryption.openPgp() where the version has it, or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "1.1.0" or later (not 3.0.0 to 3.0.4) and walgBuildTags including "libsodium".',
    );
  });

  test('refused for 3.0.0 to 3.0.4, which ignore a key file given alone', () => {
    expect(() => archive(custom('3.0.2', [WalgBuildTag.LIBSODIUM]), { encryption: enc })).toThrow(
      'Invalid storage.encryption "libsodium" in test/pg: PostgresVersion mine bundles WAL-G 3.0.2, which has WALG_LIBSODIUM_KEY_PATH (libsodium encryption) but a bug of 3.0.0 to 3.0.4 (fixed in 3.0.5) reads no key from it and stores the data unencrypted.',
    );
    expect(settings(archive(custom('3.0.5', [WalgBuildTag.LIBSODIUM]), { encryption: enc }).objs, 'archive').WALG_LIBSODIUM_KEY_PATH).toBeDefined();
  });

  test('refused for a custom version that does not declare the libsodium build tag', () => {
    expect(() => archive(custom('1.1.3'), { encryption: enc })).toThrow(
      'Invalid storage.encryption "libsodium" in test/pg: PostgresVersion mine does not declare its WAL-G (1.1.3) built with the Go build tag "libsodium"',
    );
    expect(settings(archive(custom('1.1.3', [WalgBuildTag.LIBSODIUM]), { encryption: enc }).objs, 'archive').WALG_LIBSODIUM_KEY_PATH).toBeDefined();
  });

  test('an encoded key needs WAL-G 2.0', () => {
    expect(() => archive(custom('1.1.3', [WalgBuildTag.LIBSODIUM]), { encryption: WalEncryption.libsodium({ secretName: 'k', keyTransform: LibsodiumKeyTransform.HEX }) })).toThrow(
      'Invalid storage.encryption.keyTransform "hex" in test/pg: PostgresVersion mine bundles WAL-G 1.1.3, which ignores WALG_LIBSODIUM_KEY_TRANSFORM; WAL-G 2.0.0 and later read it. Use LibsodiumKeyTransform.NONE with a key of at least 32 bytes, or use',
    );
  });

  test.each([
    [{ secretName: 'Not_A_Name' }, 'Invalid storage.encryption.secretName "Not_A_Name" in test/pg: expected a Kubernetes object name'],
    [{ secretName: 'k', key: 'a/b' }, 'Invalid storage.encryption.key "a/b" in test/pg: expected a Secret key'],
    [{ secretName: 'k', keyTransform: 'rot13' }, 'Invalid storage.encryption.keyTransform "rot13" in test/pg: expected LibsodiumKeyTransform.NONE, BASE64 or HEX.'],
  ])('bad options %j are refused', (options, message) => {
    expect(() => archive(PostgresVersion.V17, { encryption: WalEncryption.libsodium(options as any) })).toThrow(message);
  });
});

describe('OpenPGP', () => {
  test('the armored key and its passphrase are mounted from the Secret; the passphrase never in the ConfigMap', () => {
    const { objs } = archive(PostgresVersion.V11_2_V1, { encryption: WalEncryption.openPgp({ secretName: 'pgp', passphraseKey: 'passphrase' }) });
    expect(settings(objs, 'archive').WALG_PGP_KEY_PATH).toBe('/etc/pg-walg/secrets/archive-encryption/pgp-key');
    expect(find(objs, 'ConfigMap').data['archive.env']).not.toContain('PASSPHRASE');
    expect(podSpec(objs).volumes.find((v: any) => v.name === 'archive-encryption-check').secret.items).toEqual([
      { key: 'WALG_PGP_KEY', path: 'pgp-key' }, { key: 'passphrase', path: 'pgp-passphrase' },
    ]);
  });

  test('refused for WAL-G 0.2.4, which ignores it (the data would be stored unencrypted)', () => {
    const chart = newChart();
    const storage = WalStorage.s3(PostgresVersion.V11_1, { bucket: 'walg', credentials: S3Credentials.fromSecret('s3'), encryption: WalEncryption.openPgp({ secretName: 'pgp' }) });
    expect(() => new ArchivingPostgres(chart, 'pg', { name: 'pg', storage })).toThrow(
      'Invalid storage.encryption "openpgp" in test/pg: PostgresVersion 11.1 bundles WAL-G 0.2.4, which ignores WALG_PGP_KEY_PATH (OpenPGP encryption); WAL-G 0.2.7 and later read it. Use a version whose WAL-G reads it: 9.6-v3,',
    );
  });

  test('the passphrase must be another key than the OpenPGP key', () => {
    expect(() => archive(PostgresVersion.V17, { encryption: WalEncryption.openPgp({ secretName: 'pgp', key: 'k', passphraseKey: 'k' }) })).toThrow(
      'Invalid storage.encryption.passphraseKey "k" in test/pg: expected another key of the Secret than the OpenPGP key itself.',
    );
  });
});

test('an encryption that is not a WalEncryption is refused without showing it', () => {
  expect(() => archive(PostgresVersion.V17, { encryption: { method: 'libsodium', _options: { secretName: 'k' } } as any })).toThrow(
    'Invalid storage.encryption "(not a WalEncryption)" in test/pg: expected WalEncryption.libsodium() or WalEncryption.openPgp().',
  );
});

test('a restore mounts the source\'s key as restore-encryption, and an onward archive its own key', () => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: minio(PostgresVersion.V17, { encryption: WalEncryption.libsodium({ secretName: 'old-key' }) }),
    archive: minio(PostgresVersion.V17, { encryption: WalEncryption.libsodium({ secretName: 'new-key' }), compression: WalCompression.ZSTD }, 'prod/copy'),
  });
  const objs = synth(chart);
  expect(settings(objs, 'restore').WALG_LIBSODIUM_KEY_PATH).toBe('/etc/pg-walg/secrets/restore-encryption/libsodium-key');
  expect(settings(objs, 'archive').WALG_LIBSODIUM_KEY_PATH).toBe('/etc/pg-walg/secrets/archive-encryption/libsodium-key');
  expect(settings(objs, 'restore').WALG_COMPRESSION_METHOD).toBeUndefined();
  expect(settings(objs, 'archive').WALG_COMPRESSION_METHOD).toBe('zstd');
  const secrets = Object.fromEntries(podSpec(objs).volumes.filter((v: any) => v.name.endsWith('-encryption')).map((v: any) => [v.name, v.secret.secretName]));
  expect(secrets).toEqual({ 'restore-encryption': 'old-key', 'archive-encryption': 'new-key' });
  // The sidecar pushes to the onward archive only: it has that key and not the source's.
  expect(mountsOf(objs, 'walg-backup').map((m: any) => m.name)).toEqual(expect.arrayContaining(['archive-encryption']));
  expect(mountsOf(objs, 'walg-backup').map((m: any) => m.name)).not.toContain('restore-encryption');
});

describe('concurrency', () => {
  test('upload and download concurrency are WAL-G settings of the role', () => {
    const s = settings(archive(PostgresVersion.V11_2_V1, { uploadConcurrency: 4, downloadConcurrency: 32 }).objs, 'archive');
    expect([s.WALG_UPLOAD_CONCURRENCY, s.WALG_DOWNLOAD_CONCURRENCY]).toEqual(['4', '32']);
  });
  test('WAL-G\'s defaults are kept when they are not given', () => {
    const s = settings(archive(PostgresVersion.V17, {}).objs, 'archive');
    expect([s.WALG_UPLOAD_CONCURRENCY, s.WALG_DOWNLOAD_CONCURRENCY]).toEqual([undefined, undefined]);
  });
  test.each([
    ['uploadConcurrency', 0], ['uploadConcurrency', 65], ['downloadConcurrency', 1.5], ['downloadConcurrency', '8'],
  ])('%s %j is refused', (prop, value) => {
    expect(() => archive(PostgresVersion.V17, { [prop]: value } as any)).toThrow(`Invalid storage.${prop} ${JSON.stringify(value)} in test/pg: expected a whole number from 1 to 64.`);
  });
});

test('a misspelt storage option is refused, not dropped (a misspelt encryption would store the data in clear)', () => {
  expect(() => minio(PostgresVersion.V17, { encrpytion: WalEncryption.libsodium({ secretName: 'k' }) } as any)).toThrow(
    'Invalid encrpytion "(an unknown property: its value is not shown)" in WalStorage.minio(): expected a property of the MinIO storage options (did you mean "encryption"?); an unknown property would be ignored.',
  );
});

describe('walgBuildTags of custom()', () => {
  test('carried by the version; the catalog declares its own', () => {
    expect(custom('3.0.8', [WalgBuildTag.BROTLI, WalgBuildTag.LIBSODIUM]).walgBuildTags).toEqual(['brotli', 'libsodium']);
    expect(custom('3.0.8').walgBuildTags).toEqual([]);
    expect(PostgresVersion.V17.walgBuildTags).toEqual(['brotli', 'libsodium']);
    expect(PostgresVersion.V11_2_V1.walgBuildTags).toEqual(['brotli']);
    expect(PostgresVersion.V17.withImages({ image: 'registry.example.com/postgres:17.6-trixie' }).walgBuildTags).toEqual(['brotli', 'libsodium']);
  });
  test.each([[['lzo']], [['brotli', 'brotli']], ['brotli']])('%j is refused', (tags) => {
    expect(() => custom('3.0.8', tags as any)).toThrow(`Invalid walgBuildTags ${JSON.stringify(tags)} in PostgresVersion.custom(): expected a list of distinct WalgBuildTag values ("brotli", "libsodium") that the image's wal-g was built with.`);
  });
});

describe('a newcomer\'s mistakes, refused', () => {
  test.each([
    ['libsodium', () => WalEncryption.libsodium({ secretName: 'k', keytransform: LibsodiumKeyTransform.HEX } as any),
      'Invalid keytransform "(an unknown property: its value is not shown)" in WalEncryption.libsodium(): expected a property of LibsodiumEncryptionOptions (did you mean "keyTransform"?); an unknown property would be ignored.'],
    ['openPgp', () => WalEncryption.openPgp({ secretName: 'k', passphrase: 'p' } as any),
      'Invalid passphrase "(an unknown property: its value is not shown)" in WalEncryption.openPgp(): expected a property of OpenPgpEncryptionOptions'],
    ['custom()', () => PostgresVersion.custom({ name: 'x', serverVersion: '17', image: 'a/b:1', walgVersoin: '3.0.8' } as any),
      'Invalid walgVersoin "(an unknown property: its value is not shown)" in PostgresVersion.custom(): expected a property of CustomPostgresVersionProps (did you mean "walgVersion"?)'],
    ['withImages()', () => PostgresVersion.V17.withImages({ walgImge: 'registry.internal/wal-g:1' } as any),
      'Invalid walgImge "(an unknown property: its value is not shown)" in PostgresVersion 17: withImages(): expected a property of PostgresVersionImages (did you mean "walgImage"?)'],
  ])('a misspelt property of %s', (_, make, message) => {
    expect(make).toThrow(message);
  });

  test('a misspelt recovery target would restore to the end of the archive', () => {
    const chart = newChart();
    expect(() => new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: minio(PostgresVersion.V17), recoveryTarget: { tiem: '2026-11-30T10:00:00Z' } as any })).toThrow(
      'Invalid tiem "(an unknown property: its value is not shown)" in test/copy: expected a property of RecoveryTarget (did you mean "time"?); an unknown property would be ignored.',
    );
  });

  test('a storage option given to the construct says where it belongs', () => {
    const chart = newChart();
    expect(() => new ArchivingPostgres(chart, 'pg', { name: 'pg', storage: minio(PostgresVersion.V17), encryption: WalEncryption.libsodium({ secretName: 'k' }) } as any)).toThrow(
      'Invalid encryption "(an unknown property: its value is not shown)" in test/pg: expected a property of ArchivingPostgresProps (encryption is an option of the storage: WalStorage.s3(version, { …, encryption }) and the other factories); an unknown property would be ignored.',
    );
  });

  test.each([
    ['hex', 'a3f1c9e2b7d4a6f8c1e3b5d7f9a2c4e6a3f1c9e2b7d4a6f8c1e3b5d7f9a2c4e6'],
    ['alphanumeric', 'Zk3q9XbT0pLm7VwR2sYc8NdF4hJg6KaE'],
  ])('key material (%s) given as the Secret\'s key name is refused, not shown', (_, material) => {
    const f = () => archive(PostgresVersion.V17, { encryption: WalEncryption.libsodium({ secretName: 'k', key: material }) });
    expect(f).toThrow('Invalid storage.encryption.key "(not shown: it looks like key material)" in test/pg: expected the name of the Secret\'s data key that holds the key (e.g. "WALG_LIBSODIUM_KEY"), not the key itself.');
    try { f(); } catch (e) { expect((e as Error).message).not.toContain(material); }
  });

  test('custom()\'s default walgVersion "3.0" counts as 3.0.0, and the message says so', () => {
    const v = PostgresVersion.custom({ name: 'mine', serverVersion: '17', image: 'a/b:1', walgImage: 'a/w:1', walgBuildTags: [WalgBuildTag.LIBSODIUM] });
    expect(() => archive(v, { encryption: WalEncryption.libsodium({ secretName: 'k' }) })).toThrow(
      '(walgVersion "3.0", given or custom()\'s default, counts as 3.0.0: name the patch release of the image\'s wal-g, as `wal-g --version` prints it).',
    );
  });

  test('a restore of an archive of the same app must use its encryption, whichever is made first', () => {
    const enc = WalEncryption.libsodium({ secretName: 'k' });
    const a = newChart();
    new ArchivingPostgres(a, 'pg', { name: 'pg', storage: minio(PostgresVersion.V17, { encryption: enc }) });
    expect(() => new WalRestoredPostgres(a, 'copy', { name: 'copy', source: minio(PostgresVersion.V17) })).toThrow(
      'Invalid source.encryption "no encryption" in test/copy: test/pg (storage) writes this location with libsodium encryption, and this restore (source) would read it with no encryption: give both storages the same encryption (the same method and key).',
    );
    const b = newChart();
    new WalRestoredPostgres(b, 'copy', { name: 'copy', source: minio(PostgresVersion.V17, { encryption: WalEncryption.openPgp({ secretName: 'pgp' }) }) });
    expect(() => new ArchivingPostgres(b, 'pg', { name: 'pg', storage: minio(PostgresVersion.V17, { encryption: enc }) })).toThrow(
      'Invalid storage.encryption "libsodium encryption" in test/pg: this archive (storage) writes this location with libsodium encryption, and test/copy (source) would read it with OpenPGP encryption',
    );
    // The same method with another Secret (a public-key Secret for the archive, a private one for restores) is fine.
    const c = newChart();
    new ArchivingPostgres(c, 'pg', { name: 'pg', storage: minio(PostgresVersion.V17, { encryption: WalEncryption.openPgp({ secretName: 'pgp-public' }) }) });
    new WalRestoredPostgres(c, 'copy', { name: 'copy', source: minio(PostgresVersion.V17, { encryption: WalEncryption.openPgp({ secretName: 'pgp-private', passphraseKey: 'passphrase' }) }) });
    expect(synth(c).filter((o) => o.kind === 'StatefulSet')).toHaveLength(2);
  });
});

test('the OpenPGP passphrase reaches the sidecar (its check decrypts) and a restore, never the archiving server', () => {
  const { objs } = archive(PostgresVersion.V17, { encryption: WalEncryption.openPgp({ secretName: 'pgp', passphraseKey: 'passphrase' }) });
  const volumes = Object.fromEntries(podSpec(objs).volumes.filter((v: any) => v.name.startsWith('archive-encryption')).map((v: any) => [v.name, v.secret.items.map((i: any) => i.path)]));
  expect(volumes).toEqual({ 'archive-encryption': ['pgp-key'], 'archive-encryption-check': ['pgp-key', 'pgp-passphrase'] });
  expect(mountsOf(objs, 'postgres')).toContainEqual({ name: 'archive-encryption', mountPath: '/etc/pg-walg/secrets/archive-encryption', readOnly: true });
  expect(mountsOf(objs, 'walg-backup')).toContainEqual({ name: 'archive-encryption-check', mountPath: '/etc/pg-walg/secrets/archive-encryption', readOnly: true });
  expect(mountsOf(objs, 'walg-backup').map((m: any) => m.name)).not.toContain('archive-encryption');
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: minio(PostgresVersion.V17, { encryption: WalEncryption.openPgp({ secretName: 'pgp', passphraseKey: 'passphrase' }) }) });
  expect(podSpec(synth(chart)).volumes.find((v: any) => v.name === 'restore-encryption').secret.items.map((i: any) => i.path)).toEqual(['pgp-key', 'pgp-passphrase']);
});
