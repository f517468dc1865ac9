import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { Volume } from 'cdk8s-plus-27';
import {
  ArchivingPostgres, AzureCredentials, GcsCredentials, IAllStoragePostgresVersion, IAzureSwiftPostgresVersion, IPostgresVersion, PostgresVersion,
  S3Credentials, SwiftCredentials, WalProvider, WalRestoredPostgres, WalStorage,
} from '../src';
import { find, newChart, parseEnvFile, storageFor, synth } from './util';
import { prefixSpelling } from '../src/_capabilities';
import { CATALOG, memberName, PROVIDERS, supports } from '../src/_catalog';
import { walgPath } from '../src/_storage-binding';

const TITLES: Record<string, string> = { s3: 'S3', minio: 'MinIO', gcs: 'GCS', azure: 'Azure', swift: 'Swift', local: 'Local' };
const cells = CATALOG.flatMap((e) => PROVIDERS.map((p) => [e.name, p, supports(e, p)] as const));

test('the matrix has 162 cells', () => {
  expect(cells).toHaveLength(162);
});

// The runtime half of the matrix, for callers without a type checker (plain JS, Python without mypy/pyright).
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
    'Invalid version "11.2-v1" in WalStorage.s3(): expected a PostgresVersion such as PostgresVersion.V11_2_V1, or PostgresVersion.custom() for an image outside the catalog.',
  );
});

test('an object shaped like an IAzureSwiftPostgresVersion that is not a PostgresVersion is refused', () => {
  // It type-checks (the factories take interfaces), so the runtime check is what stops it.
  const v = PostgresVersion.V9_6_V2;
  const lookalike: IAzureSwiftPostgresVersion = {
    name: v.name,
    serverVersion: v.serverVersion,
    majorVersion: v.majorVersion,
    image: v.image,
    toolsImage: v.toolsImage,
    exporterImage: v.exporterImage,
    walgVersion: v.walgVersion,
    walgBuildTags: v.walgBuildTags,
    uid: v.uid,
    providers: [WalProvider.AZURE],
    supports: () => true,
    azureSwiftCapable: true,
  };
  expect(() => WalStorage.azure(lookalike, { container: 'walg', credentials: AzureCredentials.fromSecret('a') })).toThrow(
    'Invalid version "9.6-v2" (an object that is not a PostgresVersion) in WalStorage.azure(): expected a PostgresVersion such as PostgresVersion.V11_2_V1, or PostgresVersion.custom() for an image outside the catalog.',
  );
});

test('the factories take the tier interfaces, which the tier classes implement', () => {
  const tierB: IAzureSwiftPostgresVersion = PostgresVersion.V10_6_V1;
  const tierC: IAllStoragePostgresVersion = PostgresVersion.V11_2_V1;
  const tierA: IPostgresVersion = PostgresVersion.V9_6_V2;
  expect(WalStorage.azure(tierB, { container: 'walg', credentials: AzureCredentials.fromSecret('a') }).version).toBe(tierB);
  expect(WalStorage.local(tierC, { volume: Volume.fromEmptyDir(newChart(), 'v', 'v'), mountPath: '/walg' }).version).toBe(tierC);
  expect(WalStorage.gcs(tierA, { bucket: 'walg', credentials: GcsCredentials.fromSecret('g') }).version).toBe(tierA);
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

// A custom S3 endpoint is what the matrix calls MinIO: WalStorage.s3()'s endpoint must not open what
// WalStorage.minio()'s types close. Amazon's own endpoints stay open to every version.
describe.each(CATALOG.map((e) => [e.name, supports(e, 'minio')] as const))('WalStorage.s3(%s) with an endpoint (MinIO supported: %s)', (name, minio) => {
  const version = (PostgresVersion as unknown as Record<string, PostgresVersion>)[memberName(name)];
  const envWith = (endpoint: string) => {
    const chart = new Chart(new App(), 'c');
    return WalStorage.s3(version, { bucket: 'walg-archive', endpoint, credentials: S3Credentials.fromSecret('s3') })._bind(chart, 'storage').env;
  };

  test.each(['https://s3.eu-central-1.amazonaws.com', 'https://bucket.vpce-0123-abcd.s3.us-east-1.vpce.amazonaws.com', 'https://s3.cn-north-1.amazonaws.com.cn'])('Amazon\'s endpoint %s is accepted', (endpoint) => {
    expect(envWith(endpoint).AWS_ENDPOINT).toBe(endpoint);
  });

  test.each(['https://minio.storage.svc:9000', 'https://s3.example.com', 'https://amazonaws.com.example.org'])(`another endpoint, %s, is ${minio ? 'accepted' : 'refused'}`, (endpoint) => {
    if (minio) {
      expect(envWith(endpoint).AWS_ENDPOINT).toBe(endpoint);
    } else {
      expect(() => envWith(endpoint)).toThrow(`Invalid storage.endpoint "${endpoint}" in c: PostgresVersion ${name} archives to Amazon S3 only`);
    }
  });
});

// WAL-G reads the cloud locations as URLs (Go's url.Parse in storage.GetPathFromPrefix, WAL-G 0.2.x to 3.x)
// and Local's as a plain path: locations are validated, and compared, as WAL-G reads them.
describe('locations as WAL-G reads them', () => {
  const CLOUD = [WalProvider.S3, WalProvider.MINIO, WalProvider.GCS, WalProvider.AZURE, WalProvider.SWIFT];
  const DUPLICATE = 'two clusters in one archive mix their WAL histories, so give each its own prefix.';

  // What Go's url.Parse makes of "s3://bucket/<prefix>", as WAL-G takes it (checked with Go's net/url).
  test.each([
    ['prod/orders', 'prod/orders'],
    ['shop/orders#eu', 'shop/orders'],
    ['shop/orders?region=eu', 'shop/orders'],
    ['shop/orders#x?y', 'shop/orders'],
    ['#orders', ''],
    ['shop/#orders', 'shop'],
    ['shop/%6Frders', 'shop/orders'],
    ['shop%2Forders', 'shop/orders'],
    ['caf%C3%A9', 'café'],
    ['shop/%23eu', 'shop/#eu'],
    ['shop/orders?100%', 'shop/orders'],
    ['with spaces, + and ;', 'with spaces, + and ;'],
    ['shop/100%', undefined],
    ['shop/%zz', undefined],
    ['shop/orders#100%', undefined],
  ])('WAL-G reads the prefix %j as %j', (prefix, read) => {
    expect(walgPath(prefix)).toBe(read);
  });

  test.each(CLOUD.flatMap((p) => ['shop/orders#us', 'shop/orders?us', 'shop/%6Frders'].map((spelling) => [p, spelling] as const)))(
    '%s: next to an archive at "shop/orders", one at %j, which WAL-G reads as "shop/orders", is refused', (provider, spelling) => {
      const chart = newChart();
      new ArchivingPostgres(chart, 'a', { storage: storageFor(chart, provider, PostgresVersion.V11_2_V1, 'shop/orders') });
      expect(() => new ArchivingPostgres(chart, 'b', { storage: storageFor(chart, provider, PostgresVersion.V11_2_V1, spelling) }))
        .toThrow(`Invalid storage.prefix ${JSON.stringify(spelling)} in test/b: expected a prefix without "${spelling.match(/[#?%]/)![0]}": WAL-G reads the location as a URL`);
    });

  test.each(CLOUD)('%s: "shop/orders#eu" and "shop/orders#us", one location for WAL-G, are never taken for two', (provider) => {
    const chart = newChart();
    expect(() => new ArchivingPostgres(chart, 'eu', { storage: storageFor(chart, provider, PostgresVersion.V11_2_V1, 'shop/orders#eu') }))
      .toThrow('Invalid storage.prefix "shop/orders#eu" in test/eu: expected a prefix without "#": WAL-G reads the location as a URL, in which "#" starts a fragment, which it ignores, so it would use the prefix "shop/orders".');
  });

  test('Local: WAL-G reads WALG_FILE_PREFIX as a plain path, so "#", "?" and "%" are ordinary characters there', () => {
    const chart = newChart();
    const claim = (id: string) => Volume.fromPersistentVolumeClaim(chart, id, { name: 'walg-archive' } as any);
    const local = (id: string, prefix: string) => WalStorage.local(PostgresVersion.V11_2_V1, { volume: claim(id), mountPath: '/var/walg-archive', prefix });
    new ArchivingPostgres(chart, 'eu', { name: 'eu', storage: local('v1', 'shop/orders#eu') });
    new ArchivingPostgres(chart, 'us', { name: 'us', storage: local('v2', 'shop/orders#us') });
    new ArchivingPostgres(chart, 'pct', { name: 'pct', storage: local('v3', 'shop/%6Frders?x') });
    const prefixes = synth(chart).filter((o) => o.kind === 'ConfigMap').map((o) => parseEnvFile(o.data['archive.env']).WALG_FILE_PREFIX);
    expect(prefixes).toEqual(['/var/walg-archive/shop/orders#eu', '/var/walg-archive/shop/orders#us', '/var/walg-archive/shop/%6Frders?x']);
    // The same directory of the same claim, through another Volume object and mount path, is one location.
    expect(() => new ArchivingPostgres(chart, 'again', {
      storage: WalStorage.local(PostgresVersion.V11_2_V1, { volume: claim('v4'), mountPath: '/mnt/walg', prefix: 'shop/orders#eu' }),
    })).toThrow(`Invalid storage "/mnt/walg/shop/orders#eu" in test/again: test/eu already archives there; ${DUPLICATE}`);
  });

  const V = PostgresVersion.V11_2_V1;
  const s3 = (endpoint: string) => WalStorage.minio(V, { bucket: 'walg', prefix: 'prod/orders', endpoint, credentials: S3Credentials.fromSecret('s3') });
  const azure = (endpointSuffix?: string) => WalStorage.azure(V, { container: 'walg', prefix: 'prod/orders', endpointSuffix, credentials: AzureCredentials.fromSecret('az') });
  test.each([
    ['an S3 endpoint with an upper-case host name', () => s3('https://minio.storage.svc:9000'), () => s3('https://MinIO.Storage.svc:9000'), 's3://walg/prod/orders'],
    ['an S3 endpoint with its default port', () => s3('https://s3.example.com'), () => s3('https://s3.example.com:443/'), 's3://walg/prod/orders'],
    ['an Azure endpoint suffix given as its default', () => azure(), () => azure('core.windows.net'), 'azure://walg/prod/orders'],
  ])('%s is the same location', (_what, first, second, location) => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'a', { storage: first() });
    expect(() => new ArchivingPostgres(chart, 'b', { storage: second() })).toThrow(`Invalid storage "${location}" in test/b: test/a already archives there; ${DUPLICATE}`);
    expect(() => new WalRestoredPostgres(newChart(), 'r', { source: first(), archive: second() })).toThrow(
      `Invalid archive "${location}" in test/r: the onward archive must differ from the restore source (source): archiving into the archive being restored would mix two WAL histories; use another prefix.`,
    );
  });
});

// WAL-G's Swift client (ncw/swift, every release WAL-G 0.2.7 to 3.0 pins) reads the auth version from
// ST_AUTH_VERSION only; without it, it looks for "v3", "v2" or "v1" in the auth URL and fails with
// "Can't find AuthVersion in AuthUrl". The URLs below name no version.
describe('Swift credentials set the auth version they imply', () => {
  const walg = (v: string) => PostgresVersion.custom({ name: `11-walg${v.replace(/\./g, '-')}`, serverVersion: '11.22', image: 'example.com/pg:11', walgVersion: v });
  const versions = [PostgresVersion.V11_1_V1, PostgresVersion.V11_2_V1, walg('0.2.19'), walg('1.1'), walg('3.0')];
  const factories = [
    ['fromV1', () => SwiftCredentials.fromV1('https://swift.example.com/auth', 'walg:walg', 'key'),
      { ST_AUTH: 'https://swift.example.com/auth', ST_AUTH_VERSION: '1', ST_USER: 'walg:walg' }, { ST_KEY: 'key' }],
    ['fromKeystoneV2', () => SwiftCredentials.fromKeystoneV2({ authUrl: 'https://cloud.example.com/identity', username: 'walg', password: 'pw', tenantName: 'db' }),
      { OS_AUTH_URL: 'https://cloud.example.com/identity', ST_AUTH_VERSION: '2', OS_USERNAME: 'walg', OS_TENANT_NAME: 'db' }, { OS_PASSWORD: 'pw' }],
    ['fromKeystoneV3', () => SwiftCredentials.fromKeystoneV3({
      authUrl: 'https://cloud.example.com/identity', username: 'walg', password: 'pw', userDomainName: 'Default', projectName: 'db', projectDomainName: 'Default', region: 'RegionOne',
    }), {
      OS_AUTH_URL: 'https://cloud.example.com/identity',
      ST_AUTH_VERSION: '3',
      OS_USERNAME: 'walg',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_NAME: 'db',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
    }, { OS_PASSWORD: 'pw' }],
  ] as const;
  const cases = factories.flatMap(([name, make, env, secret]) => versions.map((v) => [name, v.walgVersion, v, make, env, secret] as const));

  test.each(cases)('%s with WAL-G %s: the env file has the version, the Secret only the secret', (_name, _walg, version, make, env, secret) => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: WalStorage.swift(version, { container: 'walg', prefix: 'db', credentials: make() }) });
    const objs = synth(chart);
    expect(parseEnvFile(find(objs, 'ConfigMap').data['archive.env'])).toEqual({ [`${prefixSpelling(version)}_SWIFT_PREFIX`]: 'swift://walg/db', ...env });
    expect(find(objs, 'Secret', 'orders-archive-credentials').stringData).toEqual(secret);
  });

  test.each(factories)('%s: load_storage exports ST_AUTH_VERSION from the env file', (_name, make, env) => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: WalStorage.swift(PostgresVersion.V11_2_V1, { container: 'walg', credentials: make() }) });
    const got = loadStorage(find(synth(chart), 'ConfigMap').data, {}, ['ST_AUTH_VERSION']);
    expect(got).toEqual({ ST_AUTH_VERSION: env.ST_AUTH_VERSION });
  });

  test('fromSecret: load_storage exports ST_AUTH_VERSION from the Secret (the docstring names the key)', () => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: WalStorage.swift(PostgresVersion.V11_2_V1, { container: 'walg', credentials: SwiftCredentials.fromSecret('swift-walg') }) });
    const data = find(synth(chart), 'ConfigMap').data;
    expect(parseEnvFile(data['archive.env'])).toEqual({ WALE_SWIFT_PREFIX: 'swift://walg' });
    const got = loadStorage(data, { OS_AUTH_URL: 'https://cloud.example.com/identity', ST_AUTH_VERSION: '3' }, ['OS_AUTH_URL', 'ST_AUTH_VERSION']);
    expect(got).toEqual({ OS_AUTH_URL: 'https://cloud.example.com/identity', ST_AUTH_VERSION: '3' });
  });
});

// The pod's load_storage knows the Secret keys of its own storages only, rendered from the provider files:
// KubeDB's key names become the names WAL-G reads, key files are read by path, other keys are left alone.
describe('the pod reads a KubeDB credentials Secret of each provider', () => {
  const V = PostgresVersion.V11_2_V1;
  test.each([
    ['S3', () => WalStorage.s3(V, { bucket: 'walg-archive', credentials: S3Credentials.fromSecret('creds') }),
      { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'key', AWS_SESSION_TOKEN: 'token', CA_CERT_DATA: 'pem', AZURE_ACCOUNT_KEY: 'x', PATH: '/evil' },
      { AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'key', AWS_SESSION_TOKEN: 'token', WALG_S3_CA_CERT_FILE: '<dir>/secrets/archive/CA_CERT_DATA', AZURE_STORAGE_ACCESS_KEY: '<unset>' }],
    ['GCS', () => WalStorage.gcs(V, { bucket: 'walg-archive', credentials: GcsCredentials.fromSecret('creds') }),
      { GOOGLE_SERVICE_ACCOUNT_JSON_KEY: '{}', GOOGLE_PROJECT_ID: 'project', AWS_ACCESS_KEY_ID: 'id' },
      { GOOGLE_APPLICATION_CREDENTIALS: '<dir>/secrets/archive/GOOGLE_SERVICE_ACCOUNT_JSON_KEY', GOOGLE_PROJECT_ID: 'project', AWS_ACCESS_KEY_ID: '<unset>' }],
    ['Azure', () => WalStorage.azure(V, { container: 'walg', credentials: AzureCredentials.fromSecret('creds') }),
      { AZURE_ACCOUNT_NAME: 'account', AZURE_ACCOUNT_KEY: 'key', AZURE_STORAGE_SAS_TOKEN: 'sas' },
      { AZURE_STORAGE_ACCOUNT: 'account', AZURE_STORAGE_ACCESS_KEY: 'key', AZURE_STORAGE_SAS_TOKEN: 'sas' }],
    ['Swift', () => WalStorage.swift(V, { container: 'walg', credentials: SwiftCredentials.fromSecret('creds') }),
      { ST_AUTH: 'https://swift.example.com/auth/v1.0', ST_USER: 'user', ST_KEY: 'key', OS_REGION_NAME: 'r1' },
      { ST_AUTH: 'https://swift.example.com/auth/v1.0', ST_USER: 'user', ST_KEY: 'key', OS_REGION_NAME: 'r1' }],
  ])('%s', (_name, storage, secret, expected) => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storage() });
    const got = loadStorage(find(synth(chart), 'ConfigMap').data, secret, [...Object.keys(expected), 'PATH']);
    expect(got).toEqual({ ...expected, PATH: process.env.PATH });
  });
});

/** Mounts the ConfigMap's files and an archive Secret as the pod does, runs lib.sh's load_storage archive, returns the named variables. */
function loadStorage(config: Record<string, string>, secret: Record<string, string>, vars: string[]): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-walg-swift-'));
  try {
    fs.mkdirSync(path.join(dir, 'config'));
    fs.mkdirSync(path.join(dir, 'secrets', 'archive'), { recursive: true });
    for (const [k, v] of Object.entries(config)) fs.writeFileSync(path.join(dir, 'config', k), v);
    for (const [k, v] of Object.entries(secret)) fs.writeFileSync(path.join(dir, 'secrets', 'archive', k), v);
    const script = `. "$PG_WALG_CONFIG/lib.sh"; load_storage archive; printf '%s\\n' ${vars.map((v) => `"\${${v}-<unset>}"`).join(' ')}`;
    const r = spawnSync('sh', ['-c', script], {
      env: { PATH: process.env.PATH, HOME: dir, PG_WALG_CONFIG: path.join(dir, 'config'), PG_WALG_SECRETS: path.join(dir, 'secrets') },
      encoding: 'utf8',
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    const values = r.stdout.split('\n').slice(0, -1).map((v) => v.split(dir).join('<dir>'));
    return Object.fromEntries(vars.map((v, i) => [v, values[i]]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
