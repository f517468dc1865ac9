// Hot standbys (src/_postgres-instance.ts, `replicas`): one StatefulSet per member, the primary's sidecar,
// the member env of the pod contract, the client and read-only Services, the PodDisruptionBudget, the
// default anti-affinity and the replication Secret, for both constructs; and one instance unchanged.
import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  ArchivingPostgres, AzureCredentials, PostgresInstanceOptions, PostgresVersion, ReplicationPassword, S3Credentials, WalEncryption, WalProvider,
  WalRestoredPostgres, WalStorage,
} from '../src';
import { container, envOf, find, forSnapshot, newChart, Obj, storageFor, synth } from './util';

type Db = ArchivingPostgres | WalRestoredPostgres;

const V = PostgresVersion.V11_2_V1;
const CONSTRUCTS: Array<[string, (chart: Construct, options: PostgresInstanceOptions) => Db]> = [
  ['ArchivingPostgres', (chart, o) => new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, V, 'prod/orders'), ...o })],
  ['WalRestoredPostgres', (chart, o) => new WalRestoredPostgres(chart, 'orders', {
    name: 'orders', source: storageFor(chart, WalProvider.S3, V, 'prod/old-orders'), archive: storageFor(chart, WalProvider.S3, V, 'prod/orders'), ...o,
  })],
];

const SELECTOR = { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'orders' };
const MEMBER = 'cdk8s-postgres-walg/member';
const ROLE = 'cdk8s-postgres-walg/role';

const statefulSets = (objs: Obj[]) => objs.filter((o) => o.kind === 'StatefulSet');
const names = (objs: Obj[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`);

describe.each(CONSTRUCTS)('%s with three members', (_kind, make) => {
  const chart = newChart();
  const db = make(chart, { replicas: 3 });
  const objs = synth(chart);

  test('one StatefulSet of one pod per member: <name> for member 0, <name>-<i> after, all governed by the headless Service', () => {
    expect(statefulSets(objs).map((s) => [s.metadata.name, s.spec.replicas, s.spec.serviceName])).toEqual([
      ['orders', 1, 'orders-pods'], ['orders-1', 1, 'orders-pods'], ['orders-2', 1, 'orders-pods'],
    ]);
    expect(db.memberNames).toEqual(['orders', 'orders-1', 'orders-2']);
    expect(db.memberStatefulSets.map((s) => s.name)).toEqual(['orders', 'orders-1', 'orders-2']);
    expect(db.statefulSet).toBe(db.memberStatefulSets[0]);
  });

  test('selectors: member 0 keeps the single instance\'s (a StatefulSet\'s selector cannot change), the others select their member label', () => {
    const [m0, m1, m2] = statefulSets(objs);
    expect(m0.spec.selector).toEqual({ matchLabels: SELECTOR });
    expect(m1.spec.selector).toEqual({ matchLabels: { ...SELECTOR, [MEMBER]: '1' } });
    expect(m2.spec.selector).toEqual({ matchLabels: { ...SELECTOR, [MEMBER]: '2' } });
    for (const s of [m0, m1, m2]) {
      expect(s.spec.template.metadata.labels).toMatchObject(s.spec.selector.matchLabels);
      expect(s.spec.volumeClaimTemplates[0].metadata.labels).toEqual(s.spec.selector.matchLabels);
    }
  });

  test('pod labels: the member\'s number and role, member 0 the primary', () => {
    expect(statefulSets(objs).map((s) => [s.spec.template.metadata.labels[MEMBER], s.spec.template.metadata.labels[ROLE]])).toEqual([
      ['0', 'primary'], ['1', 'standby'], ['2', 'standby'],
    ]);
  });

  test('env: the role and the replication user on every member, the primary\'s pod on the standbys', () => {
    const role = (name: string) => {
      const env = envOf(container(objs, name));
      return [env.PG_WALG_ROLE, env.PG_WALG_REPLICATION_USER, env.PG_WALG_PRIMARY_HOST];
    };
    expect(role('orders')).toEqual(['primary', 'streaming_replica', undefined]);
    expect(role('orders-1')).toEqual(['standby', 'streaming_replica', 'orders-0.orders-pods']);
    expect(role('orders-2')).toEqual(['standby', 'streaming_replica', 'orders-0.orders-pods']);
    expect(envOf(container(objs, 'orders')).PG_WALG_PRIMARY_PORT).toBeUndefined();
  });

  test('env: the recovery style of the major on every member (a standby\'s recovery.conf up to 11; any member may become a standby)', () => {
    for (const name of ['orders', 'orders-1', 'orders-2']) expect(envOf(container(objs, name)).PG_WALG_RECOVERY_STYLE).toBe('recovery.conf');
    const modern = newChart();
    const v14 = PostgresVersion.V14;
    new ArchivingPostgres(modern, 'orders', { name: 'orders', storage: storageFor(modern, WalProvider.S3, v14, 'prod/orders'), replicas: 2 });
    for (const name of ['orders', 'orders-1']) expect(envOf(container(synth(modern), name)).PG_WALG_RECOVERY_STYLE).toBe('recovery.signal');
  });

  test('baseBackupsFromStandby: the lowest-numbered standby gets a sidecar that pushes them, the primary\'s checks only', () => {
    const sidecars = (primaryMember: number) => {
      const c = newChart();
      make(c, { replicas: 3, primaryMember, baseBackupsFromStandby: true } as PostgresInstanceOptions);
      return statefulSets(synth(c)).map((st) => st.spec.template.spec.containers.filter((x: any) => x.name === 'walg-backup')
        .map((x: any) => [envOf(x).PG_WALG_ROLE, envOf(x).PG_WALG_BASE_BACKUPS_FROM]));
    };
    expect(sidecars(0)).toEqual([[['primary', 'standby']], [['standby', 'standby']], []]);
    expect(sidecars(1)).toEqual([[['standby', 'standby']], [['primary', 'standby']], []]);
    expect(envOf(container(objs, 'orders', 'walg-backup')).PG_WALG_BASE_BACKUPS_FROM).toBeUndefined();
  });

  test('only the primary runs the walg-backup sidecar (scheduled base backups are the primary\'s)', () => {
    expect(statefulSets(objs).map((s) => s.spec.template.spec.containers.map((c: any) => c.name))).toEqual([
      ['postgres', 'walg-backup'], ['postgres'], ['postgres'],
    ]);
  });

  test('every member archives to the same archive (a standby with archive_mode on never runs archive_command)', () => {
    for (const name of db.memberNames) {
      expect(envOf(container(objs, name)).PG_WALG_ARCHIVE).toBe('on');
    }
  });

  test('one ConfigMap for every member, with hot_standby and max_wal_senders', () => {
    expect(objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual(['orders-config']);
    const checksums = new Set(statefulSets(objs).map((s) => s.spec.template.metadata.annotations['cdk8s-postgres-walg/config-checksum']));
    expect(checksums.size).toBe(1);
    const conf: string = find(objs, 'ConfigMap').data['postgresql.conf'];
    expect(conf).toContain('\nhot_standby = on\nmax_wal_senders = 10\n');
    expect(conf).toContain('archive_mode = on');
  });

  test('the replication Secret "<name>-replication" (not created: referenced) is mounted read-only on every member\'s postgres container, not on the sidecar', () => {
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const s of statefulSets(objs)) {
      const vol = s.spec.template.spec.volumes.find((v: any) => v.name === 'replication');
      expect(vol).toEqual({ name: 'replication', secret: { secretName: 'orders-replication', defaultMode: 0o440, items: [{ key: 'REPLICATION_PASSWORD', path: 'REPLICATION_PASSWORD' }] } });
      const [postgres, ...others] = s.spec.template.spec.containers;
      expect(postgres.volumeMounts).toContainEqual({ name: 'replication', mountPath: '/etc/pg-walg/secrets/replication', readOnly: true });
      for (const c of others) expect(c.volumeMounts.map((m: any) => m.name)).not.toContain('replication');
    }
  });

  test('Services: the client Service selects the primary, <name>-ro the standbys, the headless one every member', () => {
    expect(find(objs, 'Service', 'orders').spec.selector).toEqual({ ...SELECTOR, [ROLE]: 'primary' });
    expect(find(objs, 'Service', 'orders-ro').spec).toEqual({
      type: 'ClusterIP', selector: { ...SELECTOR, [ROLE]: 'standby' }, ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }],
    });
    expect(find(objs, 'Service', 'orders-pods').spec).toMatchObject({ clusterIP: 'None', selector: SELECTOR, publishNotReadyAddresses: true });
    expect(db.readOnlyServiceName).toBe('orders-ro');
    expect(db.readOnlyHost).toBe('orders-ro.db.svc');
    expect(db.host).toBe('orders.db.svc');
  });

  test('a PodDisruptionBudget over every member: one member down at a time', () => {
    expect(find(objs, 'PodDisruptionBudget', 'orders')).toEqual({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'orders', namespace: 'db', labels: find(objs, 'ConfigMap').metadata.labels },
      // A member running but not ready is evicted only while the others are healthy.
      spec: { maxUnavailable: 1, selector: { matchLabels: SELECTOR }, unhealthyPodEvictionPolicy: 'IfHealthyBudget' },
    });
  });

  test('a preferred anti-affinity spreads the members over nodes', () => {
    for (const s of statefulSets(objs)) {
      expect(s.spec.template.spec.affinity).toEqual({
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: SELECTOR } } }],
        },
      });
    }
  });

  test('the objects, in order', () => {
    expect(names(objs)).toEqual([
      'ConfigMap/orders-config', 'Service/orders-pods', 'Service/orders', 'Service/orders-ro',
      'StatefulSet/orders', 'StatefulSet/orders-1', 'StatefulSet/orders-2', 'PodDisruptionBudget/orders',
    ]);
  });
});

describe.each(CONSTRUCTS)('%s', (_kind, make) => {
  test('replicas 1 (given or not) makes the same manifests, without any object or field of the standbys', () => {
    const given = newChart();
    const db = make(given, { replicas: 1, primaryMember: 0 });
    const omitted = newChart();
    make(omitted, {});
    const objs = synth(given);
    expect(objs).toEqual(synth(omitted));
    expect(names(objs)).toEqual(['ConfigMap/orders-config', 'Service/orders-pods', 'Service/orders', 'StatefulSet/orders']);
    // The manifests without the scripts (whose comments name the contract's every variable).
    const text = JSON.stringify(forSnapshot(objs));
    for (const absent of ['cdk8s-postgres-walg/member', 'cdk8s-postgres-walg/role', 'PG_WALG_ROLE', 'PG_WALG_PRIMARY_HOST', 'PG_WALG_REPLICATION_USER', 'hot_standby', 'max_wal_senders', 'replication"', 'affinity']) {
      expect(text).not.toContain(absent);
    }
    expect([db.readOnlyServiceName, db.readOnlyHost]).toEqual([undefined, undefined]);
    expect(db.memberNames).toEqual(['orders']);
    expect(db.memberStatefulSets).toEqual([db.statefulSet]);
  });

  test('primaryMember 2: member 2 is the primary, with the sidecar where there is an archive; the standbys stream from its pod', () => {
    const chart = newChart();
    make(chart, { replicas: 3, primaryMember: 2 });
    const objs = synth(chart);
    expect(statefulSets(objs).map((s) => [s.metadata.name, s.spec.template.metadata.labels[ROLE], s.spec.template.spec.containers.length])).toEqual([
      ['orders', 'standby', 1], ['orders-1', 'standby', 1], ['orders-2', 'primary', 2],
    ]);
    expect(['orders', 'orders-1', 'orders-2'].map((n) => envOf(container(objs, n)).PG_WALG_PRIMARY_HOST)).toEqual(['orders-2-0.orders-pods', 'orders-2-0.orders-pods', undefined]);
    // The selectors do not follow the role: the StatefulSets stay as they are, only the labels move.
    expect(statefulSets(objs)[0].spec.selector).toEqual({ matchLabels: SELECTOR });
  });

  test('a given affinity is kept as given, with no anti-affinity added', () => {
    const chart = newChart();
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } };
    make(chart, { replicas: 2, affinity });
    for (const s of statefulSets(synth(chart))) {
      expect(s.spec.template.spec.affinity).toEqual(affinity);
    }
  });

  test('ReplicationPassword.fromValue(): a Secret <name>-replication holds it (line ends at its end dropped), and nothing else does', () => {
    const chart = newChart();
    make(chart, { replicas: 2, replicationPassword: ReplicationPassword.fromValue('str3am-Pa55\n') });
    const objs = synth(chart);
    const secret = find(objs, 'Secret', 'orders-replication');
    expect(secret).toMatchObject({ type: 'Opaque', stringData: { REPLICATION_PASSWORD: 'str3am-Pa55' }, metadata: { labels: find(objs, 'ConfigMap').metadata.labels } });
    expect(JSON.stringify(objs.filter((o) => o.kind !== 'Secret'))).not.toContain('str3am-Pa55');
    for (const s of statefulSets(objs)) {
      expect(s.spec.template.spec.volumes.find((v: any) => v.name === 'replication').secret.secretName).toBe('orders-replication');
    }
  });

  test('ReplicationPassword.fromSecret() with a key: mounted as REPLICATION_PASSWORD, no Secret created', () => {
    const chart = newChart();
    make(chart, { replicas: 2, replicationPassword: ReplicationPassword.fromSecret('orders-streaming', 'password') });
    const objs = synth(chart);
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const s of statefulSets(objs)) {
      expect(s.spec.template.spec.volumes.find((v: any) => v.name === 'replication').secret)
        .toEqual({ secretName: 'orders-streaming', defaultMode: 0o440, items: [{ key: 'password', path: 'REPLICATION_PASSWORD' }] });
    }
  });

  test('a user\'s hot_standby and max_wal_senders come after the library\'s (PostgreSQL takes the last)', () => {
    const chart = newChart();
    make(chart, { replicas: 2, parameters: { max_wal_senders: '20', hot_standby: 'off' } });
    const conf: string = find(synth(chart), 'ConfigMap').data['postgresql.conf'];
    expect(conf.indexOf("max_wal_senders = '20'")).toBeGreaterThan(conf.indexOf('max_wal_senders = 10'));
    expect(conf.indexOf("hot_standby = 'off'")).toBeGreaterThan(conf.indexOf('hot_standby = on'));
  });
});

test('without a namespace, readOnlyHost is the read-only Service\'s name', () => {
  const chart = new Chart(Testing.app(), 'c', { disableResourceNameHashes: true });
  const db = new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, V), replicas: 2 });
  expect([db.host, db.readOnlyHost]).toEqual(['orders', 'orders-ro']);
});

test('every member gets the keyless identity\'s service account and pod labels', () => {
  const chart = newChart();
  const storage = WalStorage.azure(PostgresVersion.V17, { container: 'walg', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') });
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage, replicas: 2 });
  for (const s of statefulSets(synth(chart))) {
    expect(s.spec.template.spec.serviceAccountName).toBe('walg-azure');
    expect(s.spec.template.metadata.labels).toMatchObject({ 'azure.workload.identity/use': 'true' });
  }
});

test('a Local archive is mounted on every member, and on the primary\'s sidecar', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.LOCAL, V), replicas: 2 });
  const objs = synth(chart);
  for (const name of ['orders', 'orders-1']) {
    expect(container(objs, name).volumeMounts.map((m: any) => m.name)).toContain('archive-local');
  }
  expect(container(objs, 'orders', 'walg-backup').volumeMounts.map((m: any) => m.name)).toContain('archive-local');
});

test('a standby has none of the sidecar\'s own volumes (an OpenPGP passphrase only the sidecar mounts)', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    replicas: 2,
    storage: WalStorage.s3(PostgresVersion.V17, { bucket: 'walg', credentials: S3Credentials.fromSecret('s3'), encryption: WalEncryption.openPgp({ secretName: 'pgp', passphraseKey: 'passphrase' }) }),
  });
  const [primary, standby] = statefulSets(synth(chart)).map((s) => s.spec.template.spec.volumes.map((v: any) => v.name));
  expect(primary).toContain('archive-encryption-check');
  expect(standby).not.toContain('archive-encryption-check');
  expect(standby).toContain('archive-encryption');
  expect(primary.filter((v: string) => v !== 'archive-encryption-check')).toEqual(standby);
});
