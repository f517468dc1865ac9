import * as fs from 'fs';
import * as path from 'path';
import { AllStoragePostgresVersion, AzureSwiftPostgresVersion, PostgresVersion, WalProvider } from '../src';
import { CATALOG, isKubedb, memberName, PROVIDERS, tierOf } from '../src/_catalog';

/** The WAL-G each image bundles, from KubeDB's image build scripts (../shared/reference/kubedb.md), typed out here independently of src/_catalog.ts. */
const BUNDLED_WALG: Record<string, string> = {
  ...Object.fromEntries(['9.6-v2', '9.6.7-v2', '10.2-v2', '10.6', '11.1'].map((n) => [n, '0.2.4'])),
  ...Object.fromEntries(['9.6-v3', '9.6.7-v3', '10.2-v3', '10.6-v1', '11.1-v1'].map((n) => [n, '0.2.7'])),
  ...Object.fromEntries(['9.6-v4', '9.6.7-v4', '10.2-v4', '10.6-v2', '11.1-v2', '11.2'].map((n) => [n, '0.2.9'])),
  ...Object.fromEntries(['9.6-v5', '9.6.7-v5', '10.2-v5', '10.6-v3', '11.1-v3', '11.2-v1'].map((n) => [n, '0.2.13'])),
  // The modern versions: the wal-g of ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0.
  ...Object.fromEntries(['14', '15', '16', '17', '18'].map((n) => [n, '3.0.8'])),
};

/** The PostgreSQL builds the e2e harness runs (tools/versions.env), e.g. { 14: "14.23" }. */
function e2eMinors(): Record<string, string> {
  const text = fs.readFileSync(path.join(__dirname, '..', 'tools', 'versions.env'), 'utf8');
  return Object.fromEntries([...text.matchAll(/^PG(\d+)_NPM_VERSION=(\d+\.\d+)\./gm)].map((m) => [m[1], m[2]]));
}

/** The WAL-G release tools/install.sh pins for the modern versions' line (WALG_VERSION), e.g. "3.0.8". */
function pinnedWalg(): string | undefined {
  const text = fs.readFileSync(path.join(__dirname, '..', 'tools', 'versions.env'), 'utf8');
  return /^WALG_VERSION=v(\S+)$/m.exec(text)?.[1];
}

const CLASSES: Record<string, Function> = {
  PostgresVersion,
  AzureSwiftPostgresVersion,
  AllStoragePostgresVersion,
};

test('the catalog has the 22 KubeDB PostgresVersions of the seed documents, then PostgreSQL 14 to 18', () => {
  expect(CATALOG.map((e) => e.name)).toEqual([
    '9.6-v2', '9.6.7-v2', '10.2-v2', '10.6', '11.1',
    '9.6-v3', '9.6.7-v3', '10.2-v3', '10.6-v1', '11.1-v1',
    '9.6-v4', '9.6.7-v4', '10.2-v4', '10.6-v2', '11.1-v2', '11.2',
    '9.6-v5', '9.6.7-v5', '10.2-v5', '10.6-v3', '11.1-v3', '11.2-v1',
    '14', '15', '16', '17', '18',
  ]);
  expect(CATALOG.filter(isKubedb)).toHaveLength(22);
  expect(PostgresVersion.catalog()).toHaveLength(27);
  expect([PostgresVersion.V14, PostgresVersion.V15, PostgresVersion.V16, PostgresVersion.V17, PostgresVersion.V18].map((v) => v.name)).toEqual(['14', '15', '16', '17', '18']);
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
    expect(version.image).toBe(entry.image);
    expect(version.toolsImage).toBe(entry.toolsImage);
    expect(version.exporterImage).toBe(entry.exporterImage);
    expect(version.uid).toBe(entry.uid);
    expect(version.majorVersion).toBe(entry.postgres.startsWith('9.') ? '9.6' : entry.postgres.split('.')[0]);
    expect(version.walgVersion).toBe(BUNDLED_WALG[name]);
  });

  if (isKubedb(entry)) {
    test('KubeDB versions run KubeDB\'s Alpine images with wal-g in them, as uid 70, tagged for their PostgreSQL', () => {
      expect(version.image).toMatch(new RegExp(`^kubedb/postgres:${entry.postgres.replace(/\./g, '\\.')}(-v\\d+)?$`));
      expect(version.toolsImage).toMatch(new RegExp(`^kubedb/postgres-tools:${entry.postgres.replace(/\./g, '\\.')}(-v\\d+)?$`));
      expect(version.exporterImage).toBe('kubedb/postgres_exporter:v0.4.7');
      expect(version.uid).toBe(70);
      expect(version.walgImage).toBeUndefined();
      expect(version.walgBinaryPath).toBeUndefined();
    });
  } else {
    test('modern versions run the official Debian trixie image of the minor the e2e runs, as uid 999, with WAL-G 3.0.8 copied from WAL-G\'s image', () => {
      expect(entry.postgres).toBe(e2eMinors()[name]);
      expect(pinnedWalg()).toBe(version.walgVersion);
      expect(version.image).toBe(`postgres:${entry.postgres}-trixie`);
      expect(version.toolsImage).toBe(version.image);
      expect(version.uid).toBe(999);
      expect(version.walgImage).toBe('ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0');
      expect(version.walgBinaryPath).toBe('/usr/local/bin/wal-g');
      expect(version).toBeInstanceOf(AllStoragePostgresVersion);
    });
  }

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
    'Unknown PostgresVersion "12.1": expected one of 9.6-v2, 9.6.7-v2, 10.2-v2, 10.6, 11.1, 9.6-v3, 9.6.7-v3, 10.2-v3, 10.6-v1, 11.1-v1, 9.6-v4, 9.6.7-v4, 10.2-v4, 10.6-v2, 11.1-v2, 11.2, 9.6-v5, 9.6.7-v5, 10.2-v5, 10.6-v3, 11.1-v3, 11.2-v1, 14, 15, 16, 17, 18.',
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

const GOOD = { name: '17.2-walg3', serverVersion: '17.2', image: 'example.com/postgres-walg:17.2' };

// The exporter KubeDB paired with its 2018 images is the catalog's; a custom version, whatever its layout, gets the
// maintained one that the e2e runs.
test.each([
  ['a database image with wal-g in it (uid 70)', {}],
  ['the modern layout (wal-g copied from walgImage, uid 999)', { walgImage: 'example.com/wal-g:3.0.8' }],
  ['PostgreSQL 11', { serverVersion: '11.22', walgVersion: '1.1' }],
])('a custom version on %s defaults its exporter to the modern versions\' one', (_, change) => {
  const v = PostgresVersion.custom({ ...GOOD, ...change });
  expect(v.exporterImage).toBe('quay.io/prometheuscommunity/postgres-exporter:v0.17.1');
  expect(v.exporterImage).toBe(PostgresVersion.V17.exporterImage);
  expect(PostgresVersion.custom({ ...GOOD, ...change, exporterImage: 'example.com/exporter:1' }).exporterImage).toBe('example.com/exporter:1');
});

test.each([
  ['9.6.24', '9.6'],
  ['9.6', '9.6'],
  ['10.0', '10'],
  ['11.22', '11'],
  ['17', '17'],
])('custom serverVersion %s has major %s', (serverVersion, major) => {
  expect(PostgresVersion.custom({ ...GOOD, serverVersion }).majorVersion).toBe(major);
});

test.each([
  ['registry.local:5000/team/postgres-walg:17.2-3.0.7'],
  ['postgres-walg@sha256:' + 'a'.repeat(64)],
  ['ghcr.io/acme/pg:17.2-V1'],
])('custom image %s is accepted', (image) => {
  expect(PostgresVersion.custom({ ...GOOD, image, toolsImage: image }).toolsImage).toBe(image);
});

// Every message names PostgresVersion.custom(), the property, the value and what would be valid.
test.each<[string, Record<string, unknown>, string]>([
  ['an empty name', { name: '' }, 'Invalid name "" in PostgresVersion.custom(): expected a name such as "17.2-walg3".'],
  ['a name that is no label value', { name: '-17' }, 'Invalid name "-17" in PostgresVersion.custom(): expected at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (it becomes the app.kubernetes.io/version label).'],
  ['a name with a space', { name: '17 walg' }, 'Invalid name "17 walg" in PostgresVersion.custom(): expected at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (it becomes the app.kubernetes.io/version label).'],
  ['a missing serverVersion', { serverVersion: undefined }, 'Invalid serverVersion (missing) in PostgresVersion.custom(): expected the PostgreSQL version the image runs, such as "17.2".'],
  ['a serverVersion that is no version', { serverVersion: 'latest' }, 'Invalid serverVersion "latest" in PostgresVersion.custom(): expected a PostgreSQL version of 9.6 or later, such as "9.6.24", "11.22", "17.2" or "17".'],
  ['PostgreSQL 9.5', { serverVersion: '9.5.25' }, 'Invalid serverVersion "9.5.25" in PostgresVersion.custom(): expected a PostgreSQL version of 9.6 or later, such as "9.6.24", "11.22", "17.2" or "17".'],
  ['a 9.x major without its minor', { serverVersion: '9' }, 'Invalid serverVersion "9" in PostgresVersion.custom(): expected a PostgreSQL version of 9.6 or later, such as "9.6.24", "11.22", "17.2" or "17".'],
  ['three parts after PostgreSQL 10', { serverVersion: '17.2.1' }, 'Invalid serverVersion "17.2.1" in PostgresVersion.custom(): expected a PostgreSQL version of 9.6 or later, such as "9.6.24", "11.22", "17.2" or "17".'],
  ['a missing image', { image: undefined }, 'Invalid image (missing) in PostgresVersion.custom(): expected an image reference such as "example.com/postgres-walg:17.2".'],
  ['an image with a space', { image: 'example.com/pg 17' }, 'Invalid image "example.com/pg 17" in PostgresVersion.custom(): expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['an image with a newline', { image: 'pg:17\nx' }, 'Invalid image "pg:17\\nx" in PostgresVersion.custom(): expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['an uppercase repository', { image: 'Example.com/PG:17' }, 'Invalid image "Example.com/PG:17" in PostgresVersion.custom(): expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['an empty toolsImage', { toolsImage: '' }, 'Invalid toolsImage "" in PostgresVersion.custom(): expected an image reference such as "example.com/postgres-walg:17.2".'],
  ['an exporterImage with "//"', { exporterImage: 'example.com//exporter:1' }, 'Invalid exporterImage "example.com//exporter:1" in PostgresVersion.custom(): expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['a walgVersion that is no version', { walgVersion: 'v3' }, 'Invalid walgVersion "v3" in PostgresVersion.custom(): expected the WAL-G version in the image as major.minor or major.minor.patch, such as "3.0", "3.0.7" or "0.2.19".'],
  ['a WAL-G before 2.0.1 for PostgreSQL 15', { serverVersion: '15.8', walgVersion: '1.1.3' }, 'Invalid walgVersion "1.1.3" in PostgresVersion.custom(): PostgreSQL 15.8 needs WAL-G 2.0.1 or later: older WAL-G calls pg_start_backup(), which PostgreSQL 15 removed.'],
  ['WAL-G 2.0 (2.0.0) for PostgreSQL 17', { serverVersion: '17', walgVersion: '2.0' }, 'Invalid walgVersion "2.0" in PostgresVersion.custom(): PostgreSQL 17 needs WAL-G 2.0.1 or later: older WAL-G calls pg_start_backup(), which PostgreSQL 15 removed.'],
  ['uid 0 (root)', { uid: 0 }, 'Invalid uid 0 in PostgresVersion.custom(): expected the image\'s postgres user id, an integer from 1 to 2147483647 (pods run as non-root).'],
  ['a fractional uid', { uid: 70.5 }, 'Invalid uid 70.5 in PostgresVersion.custom(): expected the image\'s postgres user id, an integer from 1 to 2147483647 (pods run as non-root).'],
  ['a uid given as a string', { uid: '70' }, 'Invalid uid "70" in PostgresVersion.custom(): expected the image\'s postgres user id, an integer from 1 to 2147483647 (pods run as non-root).'],
])('custom() refuses %s', (_, change, message) => {
  // An Error argument makes jest compare the whole message, not a substring.
  expect(() => PostgresVersion.custom({ ...GOOD, ...change } as any)).toThrow(new Error(message));
});
