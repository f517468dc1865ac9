// What each WAL-G release can do (src/_capabilities.ts): one table, asked everywhere. The first
// releases are checked here against WAL-G's tags as read from its repository, typed out independently.
import { Chart, Duration, Testing } from 'cdk8s';
import { ArchivingPostgres, GcsCredentials, PostgresVersion, S3Credentials, WalRestoredPostgres, WalStorage } from '../src';
import { fetchNotFoundExit, hasWalgFeature, prefixSpelling, recoveryStyle, walgCanBackUp, WalgFeature, walgFeatureState, WALG_FEATURES, walgAtLeast, walgRelease, whoHasWalgFeature } from '../src/_capabilities';
import { CATALOG, isKubedb } from '../src/_catalog';

const custom = (walgVersion: string, serverVersion = '11.22') => PostgresVersion.custom({ name: `w${walgVersion.replace(/\./g, '-')}`, serverVersion, image: 'example.com/pg:1', walgVersion });

test('the first release of each feature', () => {
  expect(Object.fromEntries(Object.entries(WALG_FEATURES).map(([k, f]) => [k, f.since]))).toEqual({
    s3CaCertFile: '0.2.10', // commit 89889ed3, not in v0.2.9
    s3MaxRetries: '1.1.2', // #1148, first in v1.1.2-rc; v1.1 retries 15 times
    s3WebIdentity: '2.0.0', // own credential chain before v2.0.0-rc1
    gcsContextTimeout: '0.2.10', // #312
    gcsMaxRetries: '0.2.20', // wal-g/storages of 2021-02-18, first pinned by v0.2.20
    azureEnvironmentName: '0.2.20', // wal-g/storages #43
    azureWorkloadIdentity: '3.0.8', // go.mod of v3.0.8 pins azidentity v1.9.0 (66f469bf); v2.0.1 to v3.0.7 pin v1.1.0, whose default chain has no workload identity
    azureEndpointSuffix: '2.0.0', // ae33828d, v2.0.0-rc1
    fetchNotFoundExit74: '2.0.0', // 3107d83f (#1195), v2.0.0-rc1
    backupListDetail: '0.2.10', // 57a1c0ba (#283): cmd/pg/backup_list.go of v0.2.10 has --detail, v0.2.9 neither it nor metadata.json
    deltaBackups: '0.1.3', // commands.go of v0.1.3 reads WALG_DELTA_MAX_STEPS (and parses delete … FIND_FULL); v0.1.2 has neither
    standbyBackups: '0.1.3', // 249c7cf5 (#32): connect.go of v0.1.3 asks pg_is_in_recovery() in its pg_start_backup() query; v0.1.2 asks pg_xlogfile_name_offset(), refused in recovery
    backupPostgres15: '2.0.1', // v2.0.0 still calls pg_start_backup()
    brotliCompression: '0.2.4', // built in (cgo) up to v0.2.11; internal/compression/brotli_enabled.go `+build brotli` from v0.2.12
    zstdCompression: '3.0.0', // zstd_enabled.go (07c2734e) first in v3.0.0; v0.2.13 to v2.0.1 only read zstd
    openPgpKeyPath: '0.2.7', // ConfigurePGPCrypter reads WALG_PGP_KEY_PATH in v0.2.7; v0.2.4 only WALE_GPG_KEY_ID
    libsodiumKeyPath: '1.1.0', // cadf598e: an untagged v1.1 build refuses the key; v0.2.14a to v1.0 ignore it
    libsodiumKeyTransform: '2.0.0', // 05d04a3b, first in v2.0.0-rc1
    walVerify: '0.2.20', // cmd/pg/wal_verify.go of v0.2.20 takes the checks integrity and timeline; v0.2.18 (#746) and v0.2.19 take none (cobra.NoArgs)
  });
});

test('features that need a build tag, and releases that ignore a setting they have', () => {
  expect(Object.fromEntries(Object.entries(WALG_FEATURES).filter(([, f]) => 'buildTag' in f || 'brokenIn' in f)
    .map(([k, f]) => {
      const w = f as WalgFeature;
      return [k, { tag: w.buildTag, broken: w.brokenIn && [w.brokenIn.from, w.brokenIn.to] }];
    })))
    .toEqual({
      brotliCompression: { tag: { tag: 'brotli', from: '0.2.12' }, broken: undefined }, // brotli_enabled.go (`+build brotli`) first in v0.2.12
      // bc77d079 (#1832) fixed `libsodiumKeyPath := config.IsSet(conf.LibsodiumKeySetting)` in v3.0.5
      libsodiumKeyPath: { tag: { tag: 'libsodium', from: '0.0.0' }, broken: ['3.0.0', '3.0.4'] },
    });
});

test.each([
  // version, build tags, feature, state
  ['0.2.9', [], 'brotliCompression', 'yes'],
  ['0.2.13', [], 'brotliCompression', 'no-build-tag'],
  ['0.2.13', ['brotli'], 'brotliCompression', 'yes'],
  ['0.2.19', ['libsodium'], 'libsodiumKeyPath', 'too-old'],
  ['1.1.3', [], 'libsodiumKeyPath', 'no-build-tag'],
  ['1.1.3', ['libsodium'], 'libsodiumKeyPath', 'yes'],
  ['3.0.0', ['libsodium'], 'libsodiumKeyPath', 'broken'],
  ['3.0.4', ['libsodium'], 'libsodiumKeyPath', 'broken'],
  ['3.0.5', ['libsodium'], 'libsodiumKeyPath', 'yes'],
  ['2.0.1', ['brotli', 'libsodium'], 'zstdCompression', 'too-old'],
  ['0.2.4', [], 'openPgpKeyPath', 'too-old'],
  ['0.2.7', [], 'openPgpKeyPath', 'yes'],
] as const)('WAL-G %s built with %j: %s is %s', (walgVersion, walgBuildTags, feature, state) => {
  expect(walgFeatureState({ name: 'x', walgVersion, walgBuildTags }, feature)).toBe(state);
});

test.each([
  ['0.2', [0, 2, 0]], ['0.2.13', [0, 2, 13]], ['1.1.3', [1, 1, 3]], ['3.0', [3, 0, 0]], ['10.20.30', [10, 20, 30]],
])('walgRelease(%s)', (v, parts) => {
  expect(walgRelease(v)).toEqual(parts);
});
test('walgRelease refuses what is not a version', () => {
  expect(() => walgRelease('v3.0')).toThrow('Not a WAL-G version: "v3.0"');
});
test.each([
  ['0.2.13', '0.2.10', true], ['0.2.9', '0.2.10', false], ['0.2.10', '0.2.10', true], ['1.1', '1.1.2', false], ['1.1.3', '1.1.2', true],
  ['2.0', '2.0.1', false], ['3.0', '2.0.1', true], ['0.10.0', '0.9.9', true], ['0.2.100', '0.2.20', true],
])('walgAtLeast(%s, %s) is %s', (a, b, expected) => {
  expect(walgAtLeast(a, b)).toBe(expected);
});

describe.each(CATALOG.filter(isKubedb).map((e) => [e.name, e.walg] as const))('KubeDB catalog version %s (WAL-G %s)', (name, walg) => {
  const v = (PostgresVersion as any)[`V${name.replace(/[.-]/g, '_').toUpperCase()}`] as PostgresVersion;
  test('carries its WAL-G release', () => {
    expect(v.walgVersion).toBe(walg);
  });
  test('wal-fetch exits 1 for a missing file (as for any error): the message decides', () => {
    expect(fetchNotFoundExit(v)).toBe(1);
  });
  test('writes the WAL-E prefix spelling its image scripts read', () => {
    expect(prefixSpelling(v)).toBe('WALE');
  });
  test('has no feature of WAL-G 1.0 or later', () => {
    for (const id of ['s3MaxRetries', 's3WebIdentity', 'gcsMaxRetries', 'azureEnvironmentName', 'azureEndpointSuffix', 'fetchNotFoundExit74', 'backupPostgres15',
      'zstdCompression', 'libsodiumKeyPath', 'libsodiumKeyTransform'] as const) {
      expect(hasWalgFeature(v, id)).toBe(false);
    }
  });
  test('brotli (KubeDB builds it in), OpenPGP from 0.2.7 on', () => {
    expect(hasWalgFeature(v, 'brotliCompression')).toBe(true);
    expect(hasWalgFeature(v, 'openPgpKeyPath')).toBe(walg !== '0.2.4');
  });
  test('a custom CA, GCS timeouts and the detailed backup list from 0.2.10 on', () => {
    expect(hasWalgFeature(v, 's3CaCertFile')).toBe(walg === '0.2.13');
    expect(hasWalgFeature(v, 'gcsContextTimeout')).toBe(walg === '0.2.13');
    expect(hasWalgFeature(v, 'backupListDetail')).toBe(walg === '0.2.13');
  });
});

describe.each(CATALOG.filter((e) => !isKubedb(e)).map((e) => [e.name] as const))('modern catalog version %s (WAL-G 3.0.8)', (name) => {
  const v = (PostgresVersion as any)[`V${name}`] as PostgresVersion;
  test('has every WAL-G feature the library knows: exit 74 for a missing WAL file, WAL-G\'s prefix spelling, backups of PostgreSQL 15 and later', () => {
    expect(v.walgVersion).toBe('3.0.8');
    for (const id of Object.keys(WALG_FEATURES) as Array<keyof typeof WALG_FEATURES>) {
      expect([id, hasWalgFeature(v, id)]).toEqual([id, true]);
    }
    expect(fetchNotFoundExit(v)).toBe(74);
    expect(prefixSpelling(v)).toBe('WALG');
    expect(walgCanBackUp(v)).toBe(true);
  });
  test('configures recovery with recovery.signal', () => {
    expect(recoveryStyle(v)).toBe('recovery.signal');
  });
});

test.each([
  ['0.2.19', 1, 'WALE'], ['1.1', 1, 'WALG'], ['1.1.3', 1, 'WALG'], ['2.0', 74, 'WALG'], ['3.0.7', 74, 'WALG'],
])('custom WAL-G %s: wal-fetch\'s not-found code %s, prefix spelling %s', (walg, code, spelling) => {
  expect(fetchNotFoundExit(custom(walg))).toBe(code);
  expect(prefixSpelling(custom(walg))).toBe(spelling);
});

test('who has a feature: catalog versions, then custom()', () => {
  expect(whoHasWalgFeature('s3CaCertFile')).toBe('9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "0.2.10" or later');
  expect(whoHasWalgFeature('azureEndpointSuffix')).toBe('14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "2.0.0" or later');
  expect(whoHasWalgFeature('libsodiumKeyPath')).toBe('14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "1.1.0" or later (not 3.0.0 to 3.0.4) and walgBuildTags including "libsodium"');
  expect(whoHasWalgFeature('brotliCompression')).toMatch(/^9\.6-v2, .*, 18, or PostgresVersion\.custom\(\) with walgVersion "0\.2\.4" or later and, from 0\.2\.12, walgBuildTags including "brotli"$/);
});

/** The pod's environment and the archive settings for a version. */
function synth(storage: (c: Chart) => WalStorage) {
  const chart = new Chart(Testing.app(), 'c', { disableResourceNameHashes: true });
  new ArchivingPostgres(chart, 'pg', { name: 'pg', storage: storage(chart) });
  const objects = Testing.synth(chart);
  const sts = objects.find((o) => o.kind === 'StatefulSet');
  const env = Object.fromEntries(sts.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
  const settings = Object.fromEntries(objects.find((o) => o.kind === 'ConfigMap').data['archive.env'].trim().split('\n').map((l: string) => l.split('=')));
  return { env, settings };
}

test.each([
  ['0.2.13 (catalog 11.2-v1)', PostgresVersion.V11_2_V1, '1', undefined],
  ['1.1', custom('1.1'), '1', undefined],
  ['1.1.3', custom('1.1.3'), '1', '3'],
  ['3.0.7', custom('3.0.7'), '74', '3'],
])('WAL-G %s: PG_WALG_FETCH_NOT_FOUND_EXIT and the default S3 retries where WAL-G reads them', (_what, v, code, retries) => {
  const { env, settings } = synth(() => WalStorage.s3(v, { bucket: 'walg', credentials: S3Credentials.fromSecret('s3') }));
  expect(env.PG_WALG_FETCH_NOT_FOUND_EXIT).toBe(code);
  expect(settings.WALG_S3_MAX_RETRIES).toBe(retries);
});

test.each([
  ['0.2.13', PostgresVersion.V11_2_V1, undefined],
  ['0.2.20', custom('0.2.20'), '3'],
])('WAL-G %s: GCS_MAX_RETRIES by default only where WAL-G reads it', (_what, v, retries) => {
  const { settings } = synth(() => WalStorage.gcs(v, { bucket: 'walg', credentials: GcsCredentials.fromSecret('gcs'), contextTimeout: Duration.seconds(30) }));
  expect(settings.GCS_MAX_RETRIES).toBe(retries);
  expect(settings.GCS_CONTEXT_TIMEOUT).toBe('30');
});

test('S3 pod identity with WAL-G 2.0+: a role session name, which WAL-G 2.0.2 to 3.0.5 need', () => {
  const { settings } = synth(() => WalStorage.s3(custom('3.0'), { bucket: 'walg', credentials: S3Credentials.fromPodIdentity('walg-irsa') }));
  expect(settings.AWS_ROLE_SESSION_NAME).toBe('cdk8s-postgres-walg');
});

// A time target is compared with the finish time WAL-G recorded in each backup where its backup-list has
// --detail (0.2.10 on), else with the storage's modification time: the pod is told which, and its WAL-G.
test.each([
  ['0.2.9 (catalog 11.2)', PostgresVersion.V11_2, 'off', '0.2.9'],
  ['0.2.13 (catalog 11.2-v1)', PostgresVersion.V11_2_V1, 'on', '0.2.13'],
  ['0.2.9 (custom)', custom('0.2.9'), 'off', '0.2.9'],
  ['0.2.10 (custom)', custom('0.2.10'), 'on', '0.2.10'],
  ['1.1.3', custom('1.1.3'), 'on', '1.1.3'],
  ['3.0', custom('3.0'), 'on', '3.0'],
])('WAL-G %s: a time target lists the backups in detail: %s', (_what, v, detail, walg) => {
  const env = (recoveryTarget?: { time: string }) => {
    const chart = new Chart(Testing.app(), 'c', { disableResourceNameHashes: true });
    new WalRestoredPostgres(chart, 'pg', { name: 'pg', source: WalStorage.s3(v, { bucket: 'walg', credentials: S3Credentials.fromSecret('s3') }), recoveryTarget });
    const sts = Testing.synth(chart).find((o) => o.kind === 'StatefulSet');
    return Object.fromEntries(sts.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
  };
  expect(env({ time: '2026-11-30T10:00:00+01:00' })).toMatchObject({ PG_WALG_TARGET_TIME_UTC: '2026-11-30T09:00:00Z', PG_WALG_LIST_DETAIL: detail, PG_WALG_WALG_VERSION: walg });
  // Without a time target no time is compared.
  expect(Object.keys(env()).filter((k) => ['PG_WALG_LIST_DETAIL', 'PG_WALG_WALG_VERSION'].includes(k))).toEqual([]);
});
