// The modern catalog versions (PostgreSQL 14–18 on the official Debian images, uid 999) get wal-g from
// an init container: what each pod runs, per version and per construct, and the overrides.
import { ArchivingPostgres, PostgresVersion, S3Credentials, WalProvider, WalRestoredPostgres, WalStorage } from '../src';
import { container, envOf, find, forSnapshot, newChart, PROVIDER_LIST, storageFor, synth } from './util';
import { CATALOG, isKubedb, memberName } from '../src/_catalog';

const MODERN = CATALOG.filter((e) => !isKubedb(e)).map((e) => [e.name, (PostgresVersion as any)[memberName(e.name)] as PostgresVersion] as const);

/** An archiving and a restoring instance of a version, synthesized in one chart. */
function pods(version: PostgresVersion, provider: WalProvider = WalProvider.S3) {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, provider, version) });
  new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: storageFor(chart, provider, version, 'prod/source') });
  return synth(chart);
}

describe.each(MODERN)('PostgresVersion.V%s', (major, version) => {
  const objs = pods(version);
  const spec = (name: string) => find(objs, 'StatefulSet', name).spec.template.spec;

  test('matches the snapshot', () => {
    expect(forSnapshot(objs)).toMatchSnapshot();
  });

  test.each(['orders', 'copy'])('%s: an init container copies wal-g from WAL-G\'s image into a volume, before any other container', (name) => {
    const init = spec(name).initContainers;
    expect(init).toEqual([{
      name: 'walg-install',
      image: 'ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0',
      imagePullPolicy: 'IfNotPresent',
      command: ['cp', '/usr/local/bin/wal-g', '/opt/pg-walg/bin/wal-g'],
      resources: expect.any(Object),
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 999,
        runAsGroup: 999,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      volumeMounts: [{ name: 'walg', mountPath: '/opt/pg-walg/bin' }],
    }]);
    expect(spec(name).volumes).toContainEqual({ name: 'walg', emptyDir: { sizeLimit: '512Mi' } });
  });

  test.each(['orders', 'copy'])('%s: the containers mount it read-only and the scripts put it first on the PATH', (name) => {
    const names = spec(name).containers.map((c: any) => c.name);
    expect(names).toEqual(name === 'orders' ? ['postgres', 'walg-backup'] : ['postgres']);
    for (const cn of names) {
      const c = container(objs, name, cn);
      expect(c.volumeMounts).toContainEqual({ name: 'walg', mountPath: '/opt/pg-walg/bin', readOnly: true });
      expect(envOf(c).PG_WALG_WALG_DIR).toBe('/opt/pg-walg/bin');
      // The image's own PATH (with /usr/lib/postgresql/<major>/bin) is kept: the container sets none.
      expect(envOf(c).PATH).toBeUndefined();
      expect(c.image).toBe(`postgres:${version.serverVersion}-trixie`);
      expect(c.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, readOnlyRootFilesystem: true });
    }
  });

  test('the pod runs as uid 999, the official image\'s postgres user, and owns its volumes as that group', () => {
    expect(spec('orders').securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
  });

  test('PGDATA is the construct\'s, not the image\'s default, and a restore uses recovery.signal', () => {
    expect(envOf(container(objs, 'copy'))).toMatchObject({
      PGDATA: '/var/pv/data', PG_WALG_PG_MAJOR: major, PG_WALG_RECOVERY_STYLE: 'recovery.signal', PG_WALG_FETCH_NOT_FOUND_EXIT: '74',
    });
    const conf = find(objs, 'ConfigMap', 'copy-config').data['recovery-settings.conf'];
    expect(conf).toContain('restore_command = \'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p\'');
  });

  test('archives with WAL-G\'s own prefix spelling', () => {
    expect(find(objs, 'ConfigMap', 'orders-config').data['archive.env']).toContain('WALG_S3_PREFIX=s3://');
  });

  test.each(PROVIDER_LIST)('archives to and restores from %s', (provider) => {
    const o = pods(version, provider);
    expect(find(o, 'StatefulSet', 'orders').spec.template.spec.initContainers).toHaveLength(1);
  });
});

test('the KubeDB versions have wal-g in their images: no init container, no wal-g volume, no PG_WALG_WALG_DIR', () => {
  const objs = pods(PostgresVersion.V11_2_V1);
  const spec = find(objs, 'StatefulSet', 'orders').spec.template.spec;
  expect(spec.initContainers).toBeUndefined();
  expect(spec.volumes.map((v: any) => v.name)).not.toContain('walg');
  expect(envOf(container(objs, 'orders')).PG_WALG_WALG_DIR).toBeUndefined();
});

test('withImages() mirrors every image and the binary path, keeping name, PostgreSQL, WAL-G and type', () => {
  const mirrored = PostgresVersion.V17.withImages({
    image: 'registry.internal/library/postgres:17.10-trixie',
    walgImage: 'registry.internal/wal-g/cnpg-plugin-wal-g:0.3.0',
    walgBinaryPath: '/opt/wal-g/bin/wal-g',
  });
  expect([mirrored.name, mirrored.serverVersion, mirrored.walgVersion, mirrored.uid]).toEqual(['17', '17.10', '3.0.8', 999]);
  expect(mirrored.toolsImage).toBe('postgres:17.10-trixie');
  // Still an AllStoragePostgresVersion: it compiles with every factory.
  const chart = newChart();
  new ArchivingPostgres(chart, 'pg', { name: 'pg', storage: WalStorage.minio(mirrored, { bucket: 'walg', endpoint: 'https://minio.example:9000', credentials: S3Credentials.fromSecret('minio') }) });
  const objs = synth(chart);
  const spec = find(objs, 'StatefulSet').spec.template.spec;
  expect(spec.initContainers[0].image).toBe('registry.internal/wal-g/cnpg-plugin-wal-g:0.3.0');
  expect(spec.initContainers[0].command).toEqual(['cp', '/opt/wal-g/bin/wal-g', '/opt/pg-walg/bin/wal-g']);
  expect(spec.containers.map((c: any) => c.image)).toEqual(['registry.internal/library/postgres:17.10-trixie', 'registry.internal/library/postgres:17.10-trixie']);
  expect(PostgresVersion.V17.image).toBe('postgres:17.10-trixie');
});

test('custom() can name a WAL-G image; its binary path defaults to WAL-G\'s image\'s, its uid to the Debian images\' 999', () => {
  const v = PostgresVersion.custom({ name: '17-mine', serverVersion: '17.10', image: 'example.com/postgres:17.10-trixie', walgVersion: '3.0.8', walgImage: 'example.com/wal-g:3.0.8' });
  expect([v.walgImage, v.walgBinaryPath, v.uid]).toEqual(['example.com/wal-g:3.0.8', '/usr/local/bin/wal-g', 999]);
  expect(PostgresVersion.custom({ name: 'alpine', serverVersion: '17', image: 'example.com/pg:17' }).uid).toBe(70);
  const chart = newChart();
  new ArchivingPostgres(chart, 'pg', { name: 'pg', storage: storageFor(chart, WalProvider.LOCAL, v) });
  expect(find(synth(chart), 'StatefulSet').spec.template.spec.initContainers[0]).toMatchObject({ image: 'example.com/wal-g:3.0.8', command: ['cp', '/usr/local/bin/wal-g', '/opt/pg-walg/bin/wal-g'] });
});

test.each<[string, () => unknown, string]>([
  ['a walgImage with a space', () => PostgresVersion.V17.withImages({ walgImage: 'ghcr.io/wal-g/x y' }),
    'Invalid walgImage "ghcr.io/wal-g/x y" in PostgresVersion 17: withImages(): expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['a relative walgBinaryPath', () => PostgresVersion.V17.withImages({ walgBinaryPath: 'bin/wal-g' }),
    'Invalid walgBinaryPath "bin/wal-g" in PostgresVersion 17: withImages(): expected an absolute path such as "/usr/local/bin/wal-g", without "..", empty segments, a trailing "/", spaces or shell characters.'],
  ['a walgImage for a KubeDB version', () => PostgresVersion.V11_2_V1.withImages({ walgImage: 'ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0' }),
    'Invalid walgImage "ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0" in PostgresVersion 11.2-v1: withImages(): expected no walgImage: the database image of 11.2-v1 has wal-g itself (WAL-G 0.2.13). Use PostgresVersion.custom() for an image that needs wal-g copied in.'],
  ['a walgBinaryPath without a walgImage in custom()', () => PostgresVersion.custom({ name: 'x', serverVersion: '17', image: 'example.com/pg:17', walgBinaryPath: '/usr/bin/wal-g' }),
    'Invalid walgBinaryPath "/usr/bin/wal-g" in PostgresVersion.custom(): expected no walgBinaryPath without a walgImage to copy wal-g from (the database image\'s own wal-g is found on its PATH).'],
  ['a walgImage that is no image in custom()', () => PostgresVersion.custom({ name: 'x', serverVersion: '17', image: 'example.com/pg:17', walgImage: 'Wal-G' }),
    'Invalid walgImage "Wal-G" in PostgresVersion.custom(): expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['a toolsImage, which no pod runs', () => PostgresVersion.V17.withImages({ toolsImage: 'registry.internal/tools:1' } as any),
    'Invalid toolsImage "registry.internal/tools:1" in PostgresVersion 17: withImages(): expected image, walgImage or walgBinaryPath: no pod runs the tools image.'],
])('refuses %s', (_, f, message) => {
  expect(f).toThrow(new Error(message));
});

test('a restore archiving onward needs the source\'s version: the same image, WAL-G image and WAL-G release', () => {
  const chart = newChart();
  const mirrored = PostgresVersion.V17.withImages({ walgImage: 'registry.internal/wal-g/cnpg-plugin-wal-g:0.3.0' });
  expect(() => new WalRestoredPostgres(chart, 'copy', {
    name: 'copy', source: storageFor(chart, WalProvider.S3, mirrored, 'prod/a'), archive: storageFor(chart, WalProvider.S3, PostgresVersion.V17, 'prod/b'),
  })).toThrow(new Error('Invalid archive "17" in test/copy: expected a WalStorage of the source\'s PostgresVersion 17: one pod runs one image and one WAL-G, ' +
    'but the archive\'s version differs in walgImage (ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0 instead of registry.internal/wal-g/cnpg-plugin-wal-g:0.3.0).'));
});
