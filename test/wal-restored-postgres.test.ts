import { Duration } from 'cdk8s';
import { ServiceType } from 'cdk8s-plus-27';
import { AzureCredentials, PostgresVersion, S3Credentials, WalProvider, WalRestoredPostgres, WalRestoredPostgresProps, WalStorage } from '../src';
import { container, envOf, everyPodOption, find, forSnapshot, newChart, Obj, parseEnvFile, PROVIDER_LIST, storageFor, synth } from './util';
import { configChecksum } from '../src/_pod-options';

describe.each(PROVIDER_LIST)('WalRestoredPostgres restoring from %s', (provider) => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: storageFor(chart, provider, PostgresVersion.V11_2_V1) });
  const objs = synth(chart);

  test('matches the snapshot', () => {
    expect(forSnapshot(objs)).toMatchSnapshot();
  });

  test('bootstraps by restore, archives nothing, has no backup sidecar', () => {
    const c = container(objs, 'copy');
    expect(envOf(c)).toMatchObject({ PG_WALG_BOOTSTRAP: 'restore', PG_WALG_ARCHIVE: 'off', PG_WALG_RECOVERY_STYLE: 'recovery.conf' });
    expect(find(objs, 'StatefulSet').spec.template.spec.containers.map((x: any) => x.name)).toEqual(['postgres']);
    const data = find(objs, 'ConfigMap').data;
    expect(data['postgresql.conf']).toContain('archive_mode = off');
    expect(data['archive.env']).toBeUndefined();
    expect(data['restore.env']).toBeDefined();
  });
});

const MAJORS: Array<[string, PostgresVersion, string]> = [
  ['9.6', PostgresVersion.V9_6_V5, 'recovery.conf'],
  ['10', PostgresVersion.V10_6_V3, 'recovery.conf'],
  ['11', PostgresVersion.V11_2_V1, 'recovery.conf'],
  ['12', PostgresVersion.custom({ name: '12', serverVersion: '12.20', image: 'example.com/pg:12' }), 'recovery.signal'],
  ['15', PostgresVersion.custom({ name: '15', serverVersion: '15.8', image: 'example.com/pg:15' }), 'recovery.signal'],
  ['17', PostgresVersion.custom({ name: '17', serverVersion: '17.2', image: 'example.com/pg:17' }), 'recovery.signal'],
];

test.each(MAJORS)('PostgreSQL %s uses %s style recovery', (major, version, style) => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: storageFor(chart, WalProvider.S3, version), recoveryTarget: { xid: '1234', inclusive: false } });
  const objs = synth(chart);
  expect(envOf(container(objs, 'copy'))).toMatchObject({ PG_WALG_RECOVERY_STYLE: style, PG_WALG_PG_MAJOR: major });
  const rec = find(objs, 'ConfigMap').data['recovery-settings.conf'];
  expect(rec).toContain(`# Recovery settings for PostgreSQL ${major} (cdk8s-postgres-walg).`);
  expect(rec).toContain('restore_command = \'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p\'');
  expect(rec).toContain("recovery_target_xid = '1234'");
  expect(rec).toContain('recovery_target_inclusive = false');
  expect(rec).toContain("recovery_target_timeline = 'latest'");
  expect(rec).toContain("recovery_target_action = 'promote'");
});

test.each([
  // Rendered in UTC with a numeric offset: PostgreSQL >= 12 rejects zone abbreviations ("Z", "UTC") there.
  [{ time: '2026-11-23T10:15:00+01:00' }, "recovery_target_time = '2026-11-23 09:15:00+00'", { PG_WALG_TARGET_TIME_UTC: '2026-11-23T09:15:00Z' }],
  [{ time: '2026-11-23 10:15:00.123456Z' }, "recovery_target_time = '2026-11-23 10:15:00.123456+00'", { PG_WALG_TARGET_TIME_UTC: '2026-11-23T10:15:00Z' }],
  [{ time: '2026-11-23T00:30:00-0530' }, "recovery_target_time = '2026-11-23 06:00:00+00'", { PG_WALG_TARGET_TIME_UTC: '2026-11-23T06:00:00Z' }],
  [{ time: '2026-03-01T00:30:00 UTC' }, "recovery_target_time = '2026-03-01 00:30:00+00'", { PG_WALG_TARGET_TIME_UTC: '2026-03-01T00:30:00Z' }],
  [{ name: "before 'migration'" }, "recovery_target_name = 'before ''migration'''", {}],
  [{ lsn: '0/3000060' }, "recovery_target_lsn = '0/3000060'", {}],
  [{ immediate: true }, "recovery_target = 'immediate'", {}],
  [{ timeline: '2' }, "recovery_target_timeline = '2'", {}],
])('recovery target %j renders %s', (target, line, env) => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: storageFor(chart, WalProvider.GCS, PostgresVersion.V11_1), recoveryTarget: target });
  const objs = synth(chart);
  expect(find(objs, 'ConfigMap').data['recovery-settings.conf']).toContain(line);
  expect(envOf(container(objs, 'copy'))).toMatchObject(env);
});

test('the latest state (no target) does not set recovery_target_action', () => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', { source: storageFor(chart, WalProvider.GCS, PostgresVersion.V11_1) });
  const rec = find(synth(chart), 'ConfigMap').data['recovery-settings.conf'];
  expect(rec).not.toContain('recovery_target_action');
  expect(rec).not.toMatch(/^recovery_target_(time|xid|name|lsn) /m);
});

test('a named backup is passed to the bootstrap with the time target, which it must have been stored by', () => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: storageFor(chart, WalProvider.SWIFT, PostgresVersion.V10_6_V1),
    backupName: 'base_000000010000000000000004',
    recoveryTarget: { time: '2026-11-23T10:15:00Z' },
  });
  const env = envOf(container(synth(chart), 'copy'));
  expect(env.PG_WALG_BACKUP_NAME).toBe('base_000000010000000000000004');
  expect(env.PG_WALG_TARGET_TIME_UTC).toBe('2026-11-23T10:15:00Z');
});

test.each([
  ['without a target', undefined, {}],
  ['with a time target', { time: '2026-11-23T10:15:00Z' }, { PG_WALG_TARGET_TIME_UTC: '2026-11-23T10:15:00Z' }],
])('backupName "LATEST" is the same as leaving it out (%s): no backup name reaches the pod', (_what, recoveryTarget, expected) => {
  const env = (backupName?: string) => {
    const chart = newChart();
    new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1), backupName, recoveryTarget });
    return envOf(container(synth(chart), 'copy'));
  };
  const latest = env('LATEST');
  expect(latest.PG_WALG_BACKUP_NAME).toBeUndefined();
  expect(latest).toEqual(env(undefined));
  expect(latest).toMatchObject(expected);
});

test('restore then archive onward to another location: both storages, two credential mounts', () => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: storageFor(chart, WalProvider.AZURE, PostgresVersion.V11_2_V1, 'prod/orders'),
    archive: storageFor(chart, WalProvider.AZURE, PostgresVersion.V11_2_V1, 'prod/orders-copy'),
  });
  const objs = synth(chart);
  const data = find(objs, 'ConfigMap').data;
  expect(data['restore.env']).toBe('WALE_AZ_PREFIX=azure://walg/prod/orders\n');
  expect(data['archive.env']).toBe('WALE_AZ_PREFIX=azure://walg/prod/orders-copy\n');
  expect(data['postgresql.conf']).toContain("archive_command = 'wal-g wal-push %p'");
  const c = container(objs, 'copy');
  expect(envOf(c)).toMatchObject({ PG_WALG_BOOTSTRAP: 'restore', PG_WALG_ARCHIVE: 'on' });
  expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(['/etc/pg-walg/secrets/restore', '/etc/pg-walg/secrets/archive']));
  expect(container(objs, 'copy', 'walg-backup').volumeMounts.map((m: any) => m.mountPath)).not.toContain('/etc/pg-walg/secrets/restore');
});

test.each([
  ['an onward archive with the same identity', () => WalStorage.azure(PostgresVersion.V17, { container: 'walg', prefix: 'copy', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }),
    { WALG_AZ_PREFIX: 'azure://walg/copy', AZURE_STORAGE_ACCOUNT: 'walgarchive' }],
  ['an onward archive with a key', () => WalStorage.azure(PostgresVersion.V17, { container: 'walg', prefix: 'copy', credentials: AzureCredentials.fromSecret('azure-walg') }),
    { WALG_AZ_PREFIX: 'azure://walg/copy' }],
])('Azure workload identity on the restore path, with %s', (_what, archive, archiveEnv) => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'pg', {
    name: 'pg',
    source: WalStorage.azure(PostgresVersion.V17, { container: 'walg', prefix: 'prod/orders', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }),
    archive: archive(),
  });
  const objs = synth(chart);
  const data = find(objs, 'ConfigMap').data;
  expect(parseEnvFile(data['restore.env'])).toEqual({ WALG_AZ_PREFIX: 'azure://walg/prod/orders', AZURE_STORAGE_ACCOUNT: 'walgarchive' });
  expect(parseEnvFile(data['archive.env'])).toEqual(archiveEnv);
  const sts = find(objs, 'StatefulSet');
  expect(sts.spec.template.spec.serviceAccountName).toBe('walg-azure');
  expect(sts.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
  expect(sts.spec.template.spec.volumes.map((v: any) => v.name)).not.toContain('restore-credentials');
});

test('Azure workload identity and another storage\'s service account cannot share the pod', () => {
  const chart = newChart();
  expect(() => new WalRestoredPostgres(chart, 'pg', {
    name: 'pg',
    source: WalStorage.azure(PostgresVersion.V17, { container: 'walg', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }),
    archive: WalStorage.s3(PostgresVersion.V17, { bucket: 'walg-archive', credentials: S3Credentials.fromPodIdentity('walg-irsa') }),
  })).toThrow('Invalid archive.credentials "walg-irsa" in test/pg: a pod has one service account, and the other storage uses "walg-azure"; use the same one.');
});

test('the onward archive must differ from the source', () => {
  const chart = newChart();
  const s = storageFor(chart, WalProvider.MINIO, PostgresVersion.V11_2_V1);
  expect(() => new WalRestoredPostgres(chart, 'copy', { source: s, archive: s })).toThrow(
    'Invalid archive "s3://walg/prod/orders" in test/copy: the onward archive must differ from the restore source (source): archiving into the archive being restored would mix two WAL histories; use another prefix.',
  );
});

describe('a Local restore source is mounted read-only', () => {
  const mountsOf = (chart: ReturnType<typeof newChart>, c = 'postgres') =>
    Object.fromEntries(container(synth(chart), 'copy', c).volumeMounts.map((m: any) => [m.name, m]));

  test('restore only: read-only', () => {
    const chart = newChart();
    new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: storageFor(chart, WalProvider.LOCAL, PostgresVersion.V11_2_V1) });
    expect(mountsOf(chart)['restore-local']).toEqual({ name: 'restore-local', mountPath: '/var/walg-archive', readOnly: true });
  });

  test('archiving onward into the same volume and mount path: one read-write mount', () => {
    const chart = newChart();
    new WalRestoredPostgres(chart, 'copy', {
      name: 'copy',
      source: storageFor(chart, WalProvider.LOCAL, PostgresVersion.V11_2_V1, 'prod/orders'),
      archive: storageFor(chart, WalProvider.LOCAL, PostgresVersion.V11_2_V1, 'prod/orders-copy'),
    });
    const mounts = container(synth(chart), 'copy').volumeMounts.filter((m: any) => m.mountPath === '/var/walg-archive');
    expect(mounts).toEqual([{ name: 'restore-local', mountPath: '/var/walg-archive' }]);
    expect(mountsOf(chart, 'walg-backup')['restore-local']).toEqual({ name: 'restore-local', mountPath: '/var/walg-archive' });
  });

  test('archiving onward to another store: the source stays read-only', () => {
    const chart = newChart();
    new WalRestoredPostgres(chart, 'copy', {
      name: 'copy',
      source: storageFor(chart, WalProvider.LOCAL, PostgresVersion.V11_2_V1),
      archive: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/orders-copy'),
    });
    expect(mountsOf(chart)['restore-local']).toEqual({ name: 'restore-local', mountPath: '/var/walg-archive', readOnly: true });
  });
});

test.each([
  [undefined, undefined],
  [false, 'false'],
  [true, 'true'],
])('allowNonEmptyArchive %s on a restore that archives onward reaches the pod (the bootstrap reads it): %s', (allow, expected) => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/orders'),
    archive: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/orders-copy'),
    allowNonEmptyArchive: allow,
  });
  const env = envOf(container(synth(chart), 'copy'));
  expect(env.PG_WALG_ARCHIVE).toBe('on');
  expect(env.PG_WALG_ALLOW_NONEMPTY_ARCHIVE).toBe(expected);
});

test.each([
  [{}, {}],
  [{ baseBackupFetchTimeout: Duration.minutes(90) }, { PG_WALG_BACKUP_FETCH_TIMEOUT: '5400' }],
  [{ baseBackupFetchTimeout: Duration.minutes(90), archive: 'onward', baseBackupTimeout: Duration.hours(6) }, { PG_WALG_BACKUP_FETCH_TIMEOUT: '5400', PG_WALG_BACKUP_PUSH_TIMEOUT: '21600' }],
])('the time bounds of backup-fetch and backup-push reach every container that runs them (%o)', (given, expected) => {
  const chart = newChart();
  const { archive, ...rest } = given as { archive?: string; baseBackupFetchTimeout?: Duration; baseBackupTimeout?: Duration };
  new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/orders'),
    archive: archive ? storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/orders-copy') : undefined,
    ...rest,
  });
  const objs = synth(chart);
  const containers = archive ? ['postgres', 'walg-backup'] : ['postgres'];
  for (const name of containers) {
    const env = envOf(container(objs, 'copy', name));
    const bounds = Object.fromEntries(Object.entries(env).filter(([k]) => k.endsWith('_TIMEOUT')));
    expect(bounds).toEqual(expected);
  }
});

// --- pod options ---------------------------------------------------------------------------------------

const CHECKSUM = 'cdk8s-postgres-walg/config-checksum';

/** A WalRestoredPostgres "copy" of S3 prod/orders, archiving onward to prod/orders-copy, with these props. */
function copy(props: Partial<WalRestoredPostgresProps> = {}, version: PostgresVersion = PostgresVersion.V17): Obj[] {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: storageFor(chart, WalProvider.S3, version, 'prod/orders'),
    archive: storageFor(chart, WalProvider.S3, version, 'prod/orders-copy'),
    ...props,
  });
  return synth(chart);
}

describe('WalRestoredPostgres with every pod option (PostgreSQL 17 archiving onward: init container, postgres and sidecar)', () => {
  const options = everyPodOption();
  const objs = copy({ ...options, recoveryTarget: { time: '2026-11-23T10:15:00Z' } });
  const template = find(objs, 'StatefulSet').spec.template;

  test('matches the snapshot', () => {
    expect(forSnapshot(objs)).toMatchSnapshot();
  });

  test('the scheduling options and the image pull Secrets are fields of the pod spec, as given', () => {
    expect(template.spec).toMatchObject({
      nodeSelector: options.nodeSelector,
      tolerations: options.tolerations,
      affinity: options.affinity,
      topologySpreadConstraints: options.topologySpreadConstraints,
      priorityClassName: 'database-critical',
      imagePullSecrets: [{ name: 'registry-credentials' }, { name: 'mirror.credentials' }],
    });
    expect([...template.spec.initContainers, ...template.spec.containers].map((c: any) => c.name)).toEqual(['walg-install', 'postgres', 'walg-backup']);
  });

  test('the pod annotations and the config checksum are on the pod template; the service annotations on the client Service only', () => {
    expect(template.metadata.annotations).toEqual({ ...options.podAnnotations, [CHECKSUM]: configChecksum(find(objs, 'ConfigMap').data) });
    expect(find(objs, 'Service', 'copy').metadata.annotations).toEqual(options.serviceAnnotations);
    expect(objs.filter((o) => o.metadata.annotations !== undefined).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/copy']);
  });

  test('the client Service is a LoadBalancer with source ranges; the headless Service is unchanged', () => {
    expect(find(objs, 'Service', 'copy').spec).toMatchObject({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8', '2001:db8::/32'] });
    const plain = copy({ labels: options.labels, recoveryTarget: { time: '2026-11-23T10:15:00Z' } });
    expect(find(objs, 'Service', 'copy-pods')).toEqual(find(plain, 'Service', 'copy-pods'));
    expect(find(objs, 'ConfigMap')).toEqual(find(plain, 'ConfigMap'));
  });
});

test('serviceType NodePort: the client Service only', () => {
  const objs = copy({ serviceType: ServiceType.NODE_PORT });
  expect(find(objs, 'Service', 'copy').spec.type).toBe('NodePort');
  expect(find(objs, 'Service', 'copy-pods').spec.clusterIP).toBe('None');
});

test('the config checksum changes with the recovery target, which is in the ConfigMap', () => {
  const checksumOf = (props: Partial<WalRestoredPostgresProps>) => find(copy(props), 'StatefulSet').spec.template.metadata.annotations[CHECKSUM];
  const latest = checksumOf({});
  expect(checksumOf({})).toBe(latest);
  expect(checksumOf({ recoveryTarget: { time: '2026-11-23T10:15:00Z' } })).not.toBe(latest);
  expect(checksumOf({ recoveryTarget: { xid: '1234' } })).not.toBe(checksumOf({ recoveryTarget: { xid: '1235' } }));
});

test('three members (replicas 3) archiving onward: a restored primary and two hot standbys of the onward archive, matches the snapshot', () => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'orders', {
    name: 'orders-copy',
    source: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/orders'),
    archive: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/orders-copy'),
    recoveryTarget: { time: '2026-11-23T10:15:00Z' },
    replicas: 3,
  });
  expect(forSnapshot(synth(chart))).toMatchSnapshot();
});
