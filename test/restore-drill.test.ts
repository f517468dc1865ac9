// The restore drill (src/_restore-drill.ts, src/restore-drill-options.ts; the `restoreDrill` option of an archive): a
// CronJob whose Job restores the archive into a scratch volume with the database's image, security contexts, ConfigMap
// and the archive's Secrets, read-only, and nothing of the live database. drill.sh itself runs under dash and busybox in
// test/scripts/drill.test.ts, and against real PostgreSQL and WAL-G in the e2e scenario `restore-drill`.
import { Chart, Cron, Duration, Size } from 'cdk8s';
import { Volume } from 'cdk8s-plus-27';
import {
  ArchivingPostgres, AzureCredentials, PostgresInstanceOptions, PostgresVersion, RestoreDrillOptions, S3Credentials, WalEncryption, WalProvider,
  WalRestoredPostgres, WalStorage,
} from '../src';
import { container, envOf, find, forSnapshot, newChart, Obj, storageFor, synth } from './util';
import { CATALOG, PROVIDERS } from '../src/_catalog';
import { CONFIG_CHECKSUM_ANNOTATION } from '../src/_pod-options';

const DAILY = { schedule: Cron.schedule({ minute: '30', hour: '3' }) };

function orders(drill: RestoreDrillOptions | undefined, props: Partial<PostgresInstanceOptions> = {}, version: PostgresVersion = PostgresVersion.V17,
  provider = WalProvider.S3): Obj[] {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, provider, version), restoreDrill: drill, ...props });
  return synth(chart);
}
const cronJob = (objs: Obj[], name = 'orders-restore-drill') => find(objs, 'CronJob', name);
const podSpec = (objs: Obj[], name?: string) => cronJob(objs, name).spec.jobTemplate.spec.template.spec;
const drillContainer = (objs: Obj[], name?: string) => podSpec(objs, name).containers[0];

test('without restoreDrill: no CronJob, no drill ConfigMap', () => {
  const objs = orders(undefined);
  expect(objs.filter((o) => o.kind === 'CronJob' || o.metadata.name.endsWith('-restore-drill'))).toEqual([]);
});

test('snapshot: a drill of PostgreSQL 17 on S3 (init container), and of KubeDB 11.2-v1 on a Local archive', () => {
  const pick = (objs: Obj[]) => objs.filter((o) => o.metadata.name.endsWith('-restore-drill'));
  expect(forSnapshot(pick(orders(DAILY)))).toMatchSnapshot();
  expect(forSnapshot(pick(orders({ ...DAILY, scratchStorageClassName: 'fast', checkQuery: 'SELECT count(*) FROM orders' }, {}, PostgresVersion.V11_2_V1, WalProvider.LOCAL))))
    .toMatchSnapshot();
});

test('the CronJob: one drill at a time, no retry, the time bound, a Job history for the alerts', () => {
  const objs = orders({ ...DAILY, timeZone: 'Europe/Berlin', timeout: Duration.hours(2) });
  const spec = cronJob(objs).spec;
  expect(spec).toMatchObject({
    schedule: '30 3 * * *',
    timeZone: 'Europe/Berlin',
    concurrencyPolicy: 'Forbid',
    startingDeadlineSeconds: 3600,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 3,
  });
  expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 7200 });
  expect(spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
  expect(orders(DAILY).find((o) => o.kind === 'CronJob')!.spec.jobTemplate.spec.activeDeadlineSeconds).toBe(21600);
  expect(cronJob(orders(DAILY)).spec.timeZone).toBeUndefined();
});

test('the drill\'s pod is selected by none of the database\'s Services, its PodDisruptionBudget or its NetworkPolicy', () => {
  const objs = orders(DAILY, { replicas: 2 });
  const labels = cronJob(objs).spec.jobTemplate.spec.template.metadata.labels;
  expect(labels).toMatchObject({ 'app.kubernetes.io/name': 'postgres-restore-drill', 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'restore-drill' });
  const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
  for (const s of objs.filter((o) => o.kind === 'Service')) expect([s.metadata.name, selects(s.spec.selector)]).toEqual([s.metadata.name, false]);
  for (const s of objs.filter((o) => o.kind === 'StatefulSet')) expect(selects(s.spec.selector.matchLabels)).toBe(false);
  expect(selects(find(objs, 'PodDisruptionBudget').spec.selector.matchLabels)).toBe(false);
});

test('the database\'s image, security contexts and pull policy; no service account token, no service links', () => {
  const objs = orders(DAILY);
  const sts = find(objs, 'StatefulSet', 'orders').spec.template.spec;
  const spec = podSpec(objs);
  expect(spec.securityContext).toEqual(sts.securityContext);
  expect(spec.initContainers).toEqual(sts.initContainers);
  const c = drillContainer(objs);
  expect(c.name).toBe('restore-drill');
  expect(c.image).toBe(container(objs, 'orders').image);
  expect(c.securityContext).toEqual(container(objs, 'orders').securityContext);
  expect(c.command).toEqual(['/bin/sh', '/etc/pg-walg/config/drill.sh']);
  expect(spec).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false });
  expect(c.readinessProbe).toBeUndefined();
  expect(c.ports).toBeUndefined();
});

test('the env: the paths and storage settings, never archiving, and nothing of the restore or the database\'s first start', () => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', {
    name: 'copy',
    source: storageFor(chart, WalProvider.S3, PostgresVersion.V17, 'prod/orders'),
    archive: storageFor(chart, WalProvider.S3, PostgresVersion.V17, 'prod/copy'),
    backupName: 'base_000000010000000000000002',
    recoveryTarget: { time: '2026-11-30T10:00:00Z' },
    allowNonEmptyArchive: true,
    baseBackupTimeout: Duration.hours(1),
    restoreDrill: DAILY,
  });
  const objs = synth(chart);
  expect(envOf(drillContainer(objs, 'copy-restore-drill'))).toEqual({
    PGDATA: '/var/pv/data',
    PGHOST: '/var/run/postgresql',
    PGPORT: '5432',
    PGUSER: 'postgres',
    HOME: '/tmp',
    PG_WALG_CONFIG: '/etc/pg-walg/config',
    PG_WALG_SECRETS: '/etc/pg-walg/secrets',
    PG_WALG_STATE: '/var/pv/pg-walg',
    PG_WALG_PG_MAJOR: '17',
    PG_WALG_ATTEMPTS: '12',
    PG_WALG_RETRY_SECONDS: '5',
    PG_WALG_FETCH_NOT_FOUND_EXIT: '74',
    PG_WALG_WALG_DIR: '/opt/pg-walg/bin',
    PG_WALG_ARCHIVE: 'off',
    PG_WALG_RECOVERY_STYLE: 'recovery.signal',
    PG_WALG_DRILL_CONFIG: '/etc/pg-walg/drill',
  });
  // It drills the onward archive (archive.env, its credentials), not the source it was restored from.
  const mounts = drillContainer(objs, 'copy-restore-drill').volumeMounts.map((m: any) => m.name);
  expect(mounts).toContain('archive-credentials');
  expect(mounts).not.toContain('restore-credentials');
});

test('mounts: the ConfigMap, the archive\'s credentials and encryption read-only, a Local archive read-only; no password, no replication Secret', () => {
  const objs = orders(DAILY, { replicas: 2 }, PostgresVersion.V11_2_V1, WalProvider.LOCAL);
  const c = drillContainer(objs);
  expect(c.volumeMounts).toEqual([
    { name: 'data', mountPath: '/var/pv' },
    { name: 'config', mountPath: '/etc/pg-walg/config', readOnly: true },
    { name: 'run', mountPath: '/var/run/postgresql' },
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'archive-local', mountPath: '/var/walg-archive', readOnly: true },
    { name: 'shm', mountPath: '/dev/shm' },
    { name: 'drill', mountPath: '/etc/pg-walg/drill', readOnly: true },
  ]);
  const volumes = podSpec(objs).volumes.map((v: any) => v.name);
  expect(volumes).toEqual(['data', 'archive-local', 'config', 'run', 'tmp', 'shm', 'drill']);
  expect(JSON.stringify(podSpec(objs))).not.toMatch(/auth|replication|password/i);
  // The database's own claim is not mounted: the archive is the only shared volume.
  expect(JSON.stringify(podSpec(objs))).not.toContain('persistentVolumeClaim":{"claimName":"data');
});

test('an OpenPGP archive: the drill mounts the key with its passphrase (it decrypts), as the sidecar does, never the server\'s copy', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    restoreDrill: DAILY,
    storage: WalStorage.s3(PostgresVersion.V11_2_V1, {
      bucket: 'walg-archive', prefix: 'p', region: 'eu-west-1', credentials: S3Credentials.fromSecret('s3'), encryption: WalEncryption.openPgp({ secretName: 'pgp', passphraseKey: 'PASSPHRASE' }),
    }),
  });
  const objs = synth(chart);
  const sidecar = container(objs, 'orders', 'walg-backup').volumeMounts.find((m: any) => m.mountPath === '/etc/pg-walg/secrets/archive-encryption');
  expect(sidecar.name).toBe('archive-encryption-check');
  expect(drillContainer(objs).volumeMounts).toContainEqual({ ...sidecar, readOnly: true });
  expect(drillContainer(objs).volumeMounts.map((m: any) => m.name)).not.toContain('archive-encryption');
});

test('the scratch volume: an emptyDir of storageSize by default, counted in the container\'s ephemeral storage', () => {
  const objs = orders(DAILY, { storageSize: '20Gi' });
  expect(podSpec(objs).volumes[0]).toEqual({ name: 'data', emptyDir: { sizeLimit: '20480Mi' } });
  expect(drillContainer(objs).resources).toEqual({
    requests: { 'cpu': '250m', 'memory': '512Mi', 'ephemeral-storage': '20608Mi' },
    limits: { 'cpu': '1', 'memory': '1Gi', 'ephemeral-storage': '22528Mi' },
  });
});

test('the scratch volume of a StorageClass: a generic ephemeral volume of scratchSize, deleted with the pod', () => {
  const objs = orders({ ...DAILY, scratchSize: Size.gibibytes(50), scratchStorageClassName: 'fast-ssd', resources: { memoryLimit: '4Gi' } }, { resources: { cpuLimit: '2' } });
  expect(podSpec(objs).volumes[0]).toEqual({
    name: 'data',
    ephemeral: {
      volumeClaimTemplate: {
        metadata: { labels: { 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'restore-drill' } },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '51200Mi' } } },
      },
    },
  });
  // The instance's resources are the default, the drill's own win.
  expect(drillContainer(objs).resources).toEqual({
    requests: { 'cpu': '250m', 'memory': '512Mi', 'ephemeral-storage': '128Mi' },
    limits: { 'cpu': '2', 'memory': '4Gi', 'ephemeral-storage': '2048Mi' },
  });
});

test('the drill\'s ConfigMap: the recovery settings of the major, to the end of the archive; the check query', () => {
  const cm = (version: PostgresVersion, drill: RestoreDrillOptions = DAILY) => find(orders(drill, {}, version), 'ConfigMap', 'orders-restore-drill').data;
  expect(cm(PostgresVersion.V17)).toEqual({
    'recovery-settings.conf': '# Recovery settings for PostgreSQL 17 (cdk8s-postgres-walg).\n# PostgreSQL >= 12: included in postgresql.conf while recovery.signal exists.\n'
      + 'restore_command = \'sh "$PG_WALG_CONFIG/wal-fetch.sh" %f %p\'\nrecovery_target_timeline = \'latest\'\n',
    'check.sql': 'SELECT 1\n',
  });
  expect(cm(PostgresVersion.V11_2_V1)['recovery-settings.conf']).toContain('PostgreSQL <= 11: copied to PGDATA/recovery.conf');
  expect(cm(PostgresVersion.V17, { ...DAILY, checkQuery: 'SELECT count(*) FROM orders;\n' })['check.sql']).toBe('SELECT count(*) FROM orders;\n');
});

test('changing the drill never rolls the database: its settings are in a ConfigMap of its own', () => {
  const checksum = (objs: Obj[]) => find(objs, 'StatefulSet', 'orders').spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
  expect(checksum(orders(DAILY))).toBe(checksum(orders(undefined)));
  expect(checksum(orders({ ...DAILY, checkQuery: 'SELECT 2' }))).toBe(checksum(orders(undefined)));
  expect(find(orders(undefined), 'ConfigMap', 'orders-config').data['drill.sh']).toBeDefined();
});

test('scheduling: the database\'s node selector, tolerations and image pull Secrets; not its affinity', () => {
  const objs = orders(DAILY, {
    nodeSelector: { pool: 'db' },
    tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
    imagePullSecrets: ['registry'],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
  });
  expect(podSpec(objs)).toMatchObject({
    nodeSelector: { pool: 'db' }, tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }], imagePullSecrets: [{ name: 'registry' }],
  });
  expect(podSpec(objs).affinity).toBeUndefined();
});

test('keyless identity: the drill runs as the storage\'s service account', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: WalStorage.azure(PostgresVersion.V17, { container: 'walg', prefix: 'p', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'acct') }),
    restoreDrill: DAILY,
  });
  const objs = synth(chart);
  expect(podSpec(objs).serviceAccountName).toBe('walg-azure');
  expect(cronJob(objs).spec.jobTemplate.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
});

test.each(CATALOG.map((e) => [e.name] as const))('%s: a drill with the version\'s image, init container and recovery style', (name) => {
  const version = PostgresVersion.of(name);
  const objs = orders(DAILY, {}, version);
  const c = drillContainer(objs);
  expect(c.image).toBe(version.image);
  expect(podSpec(objs).initContainers?.map((i: any) => i.name)).toEqual(version.walgImage ? ['walg-install'] : undefined);
  expect(envOf(c).PG_WALG_RECOVERY_STYLE).toBe(Number(version.majorVersion.split('.')[0]) >= 12 ? 'recovery.signal' : 'recovery.conf');
  expect(podSpec(objs).securityContext.runAsUser).toBe(version.uid);
});

test.each(PROVIDERS.map((p) => [p] as const))('%s: the drill mounts what the archive needs and no other Secret', (provider) => {
  const version = PostgresVersion.V17;
  const objs = orders(DAILY, {}, version, provider as WalProvider);
  const sts = find(objs, 'StatefulSet', 'orders').spec.template.spec;
  const sidecar = sts.containers.find((x: any) => x.name === 'walg-backup');
  const drillMounts = drillContainer(objs).volumeMounts.map((m: any) => m.name);
  for (const m of sidecar.volumeMounts) expect(drillMounts).toContain(m.name);
  expect(drillMounts.filter((n: string) => !sidecar.volumeMounts.some((m: any) => m.name === n))).toEqual(['shm', 'drill']);
});

describe('alerts with metrics.alertRules', () => {
  const rules = (objs: Obj[]) => find(objs, 'PrometheusRule').spec.groups[0].rules;
  test('three drill alerts on kube-state-metrics\' CronJob series, after the archive\'s', () => {
    const objs = orders({ ...DAILY, timeout: Duration.hours(3) }, { metrics: { serviceMonitor: true, alertRules: true } });
    const drill = rules(objs).filter((r: any) => r.alert.startsWith('PostgresRestoreDrill'));
    const sel = '{namespace="db", cronjob="orders-restore-drill"}';
    expect(drill.map((r: any) => [r.alert, r.expr, r.for, r.labels.severity])).toEqual([
      ['PostgresRestoreDrillFailed', `kube_cronjob_status_last_successful_time${sel} < kube_cronjob_status_last_schedule_time${sel}`, '10800s', 'critical'],
      ['PostgresRestoreDrillNeverSucceeded', `kube_cronjob_status_last_schedule_time${sel} unless kube_cronjob_status_last_successful_time${sel}`, '10800s', 'critical'],
      ['PostgresRestoreDrillNotMonitored', `absent(kube_cronjob_info${sel})`, '1h', 'warning'],
    ]);
    // After the archive's alerts (the WAL chain check's last: PostgreSQL 17's WAL-G 3.0.8 has wal-verify).
    expect(rules(objs).map((r: any) => r.alert).slice(-4)).toEqual(['PostgresWalChainCheckNotReported', 'PostgresRestoreDrillFailed', 'PostgresRestoreDrillNeverSucceeded', 'PostgresRestoreDrillNotMonitored']);
  });

  test('without a drill, no drill alert; without alertRules, no rule at all', () => {
    expect(rules(orders(undefined, { metrics: { serviceMonitor: true, alertRules: true } })).filter((r: any) => r.alert.includes('Drill'))).toEqual([]);
    expect(orders(DAILY, { metrics: { serviceMonitor: true } }).filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  });

  test('a chart without a namespace selects by the CronJob only', () => {
    const chart = new Chart(newChart().node.root as any, 'nons', { disableResourceNameHashes: true });
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V17), restoreDrill: DAILY, metrics: { serviceMonitor: true, alertRules: true } });
    const expr = rules(synth(chart)).find((r: any) => r.alert === 'PostgresRestoreDrillNotMonitored').expr;
    expect(expr).toBe('absent(kube_cronjob_info{cronjob="orders-restore-drill"})');
  });
});

describe('refused, naming the property, the value and what is valid', () => {
  const bad = (drill: unknown, props: Partial<PostgresInstanceOptions> = {}) => () => orders(drill as RestoreDrillOptions, props);
  test.each([
    ['no schedule', {}, 'Invalid restoreDrill.schedule (missing) in test/orders: expected a cdk8s Cron such as Cron.schedule({ minute: "30", hour: "3", weekDay: "0" }) (03:30 every Sunday).'],
    ['a schedule string', { schedule: '30 3 * * *' }, 'Invalid restoreDrill.schedule "30 3 * * *" in test/orders: expected a cdk8s Cron such as Cron.schedule({ minute: "30", hour: "3", weekDay: "0" }) (03:30 every Sunday).'],
    ['a time zone in the schedule', { schedule: { __proto__: Cron.prototype, expressionString: 'TZ=UTC 30 3 * * *' } },
      'Invalid restoreDrill.schedule "TZ=UTC 30 3 * * *" in test/orders: expected a cdk8s Cron such as Cron.schedule({ minute: "30", hour: "3", weekDay: "0" }) (03:30 every Sunday): five fields (minute, hour, day of month, month, day of week), the time zone in timeZone.'],
    ['a time zone that is no IANA name', { ...DAILY, timeZone: 'UTC+2 ' }, 'Invalid restoreDrill.timeZone "UTC+2 " in test/orders: expected an IANA time zone name such as "Europe/Berlin" or "Etc/UTC".'],
    ['a scratch size below 1 GiB', { ...DAILY, scratchSize: Size.mebibytes(512) }, 'Invalid restoreDrill.scratchSize "512 MiB" in test/orders: expected at least 1 GiB, such as Size.gibibytes(20): room for the base backup restored and the WAL replayed.'],
    ['a scratch size that is no Size', { ...DAILY, scratchSize: '20Gi' }, 'Invalid restoreDrill.scratchSize "20Gi" in test/orders: expected a cdk8s Size such as Size.gibibytes(20).'],
    ['a StorageClass that is no DNS subdomain', { ...DAILY, scratchStorageClassName: 'Fast SSD' }, 'Invalid restoreDrill.scratchStorageClassName "Fast SSD" in test/orders: expected a Kubernetes object name (DNS-1123 subdomain): lower-case letters, digits, "-" and ".", at most 253 characters.'],
    ['an empty check query', { ...DAILY, checkQuery: ' \n' }, 'Invalid restoreDrill.checkQuery " \\n" in test/orders: expected SQL such as "SELECT count(*) FROM orders": not empty, without a NUL byte, at most 64 KiB.'],
    ['a check query with a NUL byte', { ...DAILY, checkQuery: 'SELECT 1\0' }, 'Invalid restoreDrill.checkQuery "SELECT 1\\u0000" in test/orders: expected SQL such as "SELECT count(*) FROM orders": not empty, without a NUL byte, at most 64 KiB.'],
    ['a timeout under a minute', { ...DAILY, timeout: Duration.seconds(59) }, 'Invalid restoreDrill.timeout "59 seconds" in test/orders: expected a Duration of whole seconds, at least 60, such as Duration.hours(6): a drill fetches a base backup and replays WAL.'],
    ['a timeout of part of a second', { ...DAILY, timeout: Duration.millis(90500) }, 'Invalid restoreDrill.timeout "90.5 seconds" in test/orders: expected a Duration of whole seconds, at least 60, such as Duration.hours(6).'],
    ['a resource that is no quantity', { ...DAILY, resources: { memoryLimit: 'lots' } }, 'Invalid restoreDrill.resources.memoryLimit "lots" in test/orders: expected a positive Kubernetes quantity such as "1Gi".'],
    ['a misspelt option', { ...DAILY, checkQuerry: 'SELECT 1' }, 'Invalid checkQuerry "(an unknown property: its value is not shown)" in test/orders: expected a property of RestoreDrillOptions (did you mean "checkQuery"?); an unknown property would be ignored.'],
    ['not an object', 'daily', 'Invalid restoreDrill "daily" in test/orders: expected RestoreDrillOptions such as { schedule: Cron.schedule({ minute: "30", hour: "3", weekDay: "0" }) }.'],
  ])('%s', (_what, drill, message) => {
    expect(bad(drill)).toThrow(message);
  });

  test('a storageSize under 1 GiB without scratchSize', () => {
    expect(bad(DAILY, { storageSize: '512Mi' })).toThrow('Invalid restoreDrill.scratchSize "(the storageSize 512Mi)" in test/orders: expected at least 1 GiB: set restoreDrill.scratchSize, e.g. Size.gibibytes(10).');
    expect(bad({ ...DAILY, scratchSize: Size.gibibytes(1) }, { storageSize: '512Mi' })).not.toThrow();
  });

  test('a name too long for the CronJob (52 characters)', () => {
    const name = 'a'.repeat(39);
    expect(bad(DAILY, { name })).toThrow(`Invalid name "${name}" in test/orders: expected at most 38 characters with restoreDrill: its CronJob "${name}-restore-drill" would have 53, `
      + 'and Kubernetes takes at most 52 for a CronJob\'s name (it appends 11 characters to name each Job); give the instance a shorter name.');
    expect(bad(DAILY, { name: 'a'.repeat(38) })).not.toThrow();
  });

  test('a Local archive on an emptyDir: the drill\'s pod could never see it', () => {
    const chart = newChart();
    expect(() => new ArchivingPostgres(chart, 'orders', {
      name: 'orders',
      restoreDrill: DAILY,
      storage: WalStorage.local(PostgresVersion.V11_2_V1, { volume: Volume.fromEmptyDir(chart, 'archive', 'walg-scratch'), mountPath: '/walg' }),
    })).toThrow('Invalid restoreDrill "(a Local archive on the emptyDir volume archive-local)" in test/orders: expected an archive that the drill\'s pod can read: '
      + 'an emptyDir belongs to the database\'s pod, and the drill\'s pod would get an empty one of its own; put the archive on a PersistentVolumeClaim both pods can mount '
      + '(ReadWriteMany), NFS, or an object store.');
  });

  test('a restore without an onward archive has nothing to drill', () => {
    const chart = newChart();
    expect(() => new WalRestoredPostgres(chart, 'copy', { source: storageFor(chart, WalProvider.S3, PostgresVersion.V17), restoreDrill: DAILY }))
      .toThrow(/^Invalid restoreDrill .* in test\/copy: expected no archiving option without an archive; set archive to archive onward\.$/);
  });
});
