import { Volume } from 'cdk8s-plus-27';
import { PostgresVersion, S3Credentials, WalProvider, WalStorage } from '../src';
import { newChart, storageFor } from './util';
import { CATALOG, memberName, PROVIDERS, supports } from '../src/_catalog';

const TITLES: Record<string, string> = { s3: 'S3', minio: 'MinIO', gcs: 'GCS', azure: 'Azure', swift: 'Swift', local: 'Local' };
const cells = CATALOG.flatMap((e) => PROVIDERS.map((p) => [e.name, p, supports(e, p)] as const));

test('the matrix has 132 cells', () => {
  expect(cells).toHaveLength(132);
});

// The runtime half of the matrix, for callers without a type checker (plain JS, Python).
test.each(cells)('%s × %s: supported=%s, and the runtime check agrees', (name, provider, supported) => {
  const chart = newChart();
  const version = (PostgresVersion as any)[memberName(name)];
  const make = () => storageFor(chart, provider as WalProvider, version);
  if (supported) {
    const storage = make();
    expect(storage.provider).toBe(provider);
    expect(storage.version).toBe(version);
  } else {
    const able = CATALOG.filter((e) => supports(e, provider)).map((e) => e.name).join(', ');
    const own = PROVIDERS.filter((p) => version.supports(p)).map((p) => TITLES[p]).join(', ');
    expect(make).toThrow(
      `Unsupported pair in WalStorage.${provider}(): PostgresVersion ${name} cannot archive to or restore from ${TITLES[provider]} (its WAL-G supports ${own}). Versions that support ${TITLES[provider]}: ${able}.`,
    );
  }
});

test('an untyped caller passing a string gets a clear error', () => {
  expect(() => WalStorage.s3('11.2-v1' as any, { bucket: 'b', credentials: S3Credentials.fromSecret('s') })).toThrow(
    'Invalid version "11.2-v1" in WalStorage.s3(): expected a PostgresVersion such as PostgresVersion.V11_2_V1.',
  );
});

test.each([
  ['s3', 's3://walg-archive/prod/orders'],
  ['minio', 's3://walg/prod/orders'],
  ['gcs', 'gs://walg-archive/prod/orders'],
  ['azure', 'azure://walg/prod/orders'],
  ['swift', 'swift://walg/prod/orders'],
  ['local', '/var/walg-archive/prod/orders'],
])('%s location is used exactly as given: %s', (provider, location) => {
  const chart = newChart();
  expect(storageFor(chart, provider as WalProvider, PostgresVersion.V11_2_V1).location).toBe(location);
});

test('without a prefix, the location is the bucket root', () => {
  const s = WalStorage.s3(PostgresVersion.V10_6, { bucket: 'walg', credentials: S3Credentials.fromSecret('s') });
  expect(s.location).toBe('s3://walg');
});

test('a Local storage takes any cdk8s-plus volume', () => {
  const chart = newChart();
  const s = WalStorage.local(PostgresVersion.V11_2_V1, { volume: Volume.fromEmptyDir(chart, 'v', 'archive'), mountPath: '/archive' });
  expect(s.location).toBe('/archive');
});
