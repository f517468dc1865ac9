import { AllStoragePostgresVersion, AzureSwiftPostgresVersion, PostgresVersion, WalProvider } from '../src';
import { CATALOG, memberName, PROVIDERS, REGISTRY, tierOf } from '../src/_catalog';

const CLASSES: Record<string, Function> = {
  PostgresVersion,
  AzureSwiftPostgresVersion,
  AllStoragePostgresVersion,
};

test('the catalog has the 22 KubeDB PostgresVersions of the seed documents', () => {
  expect(CATALOG.map((e) => e.name)).toEqual([
    '9.6-v2', '9.6.7-v2', '10.2-v2', '10.6', '11.1',
    '9.6-v3', '9.6.7-v3', '10.2-v3', '10.6-v1', '11.1-v1',
    '9.6-v4', '9.6.7-v4', '10.2-v4', '10.6-v2', '11.1-v2', '11.2',
    '9.6-v5', '9.6.7-v5', '10.2-v5', '10.6-v3', '11.1-v3', '11.2-v1',
  ]);
  expect(PostgresVersion.catalog()).toHaveLength(22);
});

describe.each(CATALOG.map((e) => [e.name, e] as const))('PostgresVersion %s', (name, entry) => {
  const version = (PostgresVersion as any)[memberName(name)] as PostgresVersion;

  test('is a static member of the tier class named by the data', () => {
    expect(version).toBeInstanceOf(CLASSES[tierOf(entry.tier).className]);
    // …and of no narrower tier class.
    const narrower = ['A', 'B', 'C'].slice(['A', 'B', 'C'].indexOf(entry.tier) + 1);
    for (const t of narrower) {
      expect(version).not.toBeInstanceOf(CLASSES[tierOf(t as 'A').className]);
    }
  });

  test('carries its images and PostgreSQL version', () => {
    expect(version.name).toBe(name);
    expect(version.serverVersion).toBe(entry.postgres);
    expect(version.image).toBe(`${REGISTRY}/postgres:${entry.db}`);
    expect(version.toolsImage).toBe(`${REGISTRY}/postgres-tools:${entry.tools}`);
    expect(version.exporterImage).toBe('kubedb/postgres_exporter:v0.4.7');
    expect(version.majorVersion).toBe(entry.postgres.startsWith('9.') ? '9.6' : entry.postgres.split('.')[0]);
    expect(version.walgVersion).toBe('0.2');
    expect(version.uid).toBe(70);
  });

  test('supports exactly its tier\'s providers', () => {
    expect(version.providers).toEqual(PROVIDERS.filter((p) => tierOf(entry.tier).providers.includes(p)));
    for (const p of PROVIDERS) {
      expect(version.supports(p as WalProvider)).toBe(tierOf(entry.tier).providers.includes(p));
    }
  });

  test('is one instance, found by name too', () => {
    expect(PostgresVersion.of(name)).toBe(version);
    expect(version.toString()).toBe(name);
  });
});

test('the static members cannot be replaced', () => {
  const before = PostgresVersion.V11_2_V1;
  expect(() => {
    (PostgresVersion as any).V11_2_V1 = PostgresVersion.V9_6_V2;
  }).toThrow(TypeError);
  expect(PostgresVersion.V11_2_V1).toBe(before);
});

test('an unknown name lists the valid ones', () => {
  expect(() => PostgresVersion.of('12.1')).toThrow(
    'Unknown PostgresVersion "12.1": expected one of 9.6-v2, 9.6.7-v2, 10.2-v2, 10.6, 11.1, 9.6-v3, 9.6.7-v3, 10.2-v3, 10.6-v1, 11.1-v1, 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1.',
  );
});

test('a custom version supports every provider and has WAL-G 3 defaults', () => {
  const v = PostgresVersion.custom({ name: '17.2-walg3', serverVersion: '17.2', image: 'example.com/postgres-walg:17.2' });
  expect(v).toBeInstanceOf(AllStoragePostgresVersion);
  expect(v.majorVersion).toBe('17');
  expect(v.walgVersion).toBe('3.0');
  expect(v.toolsImage).toBe('example.com/postgres-walg:17.2');
  expect(v.providers).toEqual(['s3', 'minio', 'gcs', 'azure', 'swift', 'local']);
  expect(v.allStorageCapable).toBe(true);
  expect(v.azureSwiftCapable).toBe(true);
});
