import { createHash } from 'crypto';
import { Chart, Duration, Testing } from 'cdk8s';
import { ServiceType } from 'cdk8s-plus-27';
import {
  ArchivingPostgres, ArchivingPostgresProps, AzureCredentials, GcsCredentials, PostgresVersion, S3Credentials, SuperuserPassword, SwiftCredentials,
  WalProvider, WalRestoredPostgres, WalStorage,
} from '../src';
import { container, envOf, everyPodOption, find, forSnapshot, newChart, Obj, parseEnvFile, PROVIDER_LIST, shippedScript, storageFor, synth } from './util';
import { CATALOG } from '../src/_catalog';
import { configChecksum } from '../src/_pod-options';
import { script } from '../src/_scripts';

describe.each(PROVIDER_LIST)('ArchivingPostgres archiving to %s', (provider) => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, provider, PostgresVersion.V11_2_V1) });
  const objs = synth(chart);

  test('matches the snapshot', () => {
    expect(forSnapshot(objs)).toMatchSnapshot();
  });

  test('synthesizes a StatefulSet, two Services and a ConfigMap, and no Secret for referenced credentials', () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/orders-config', 'Service/orders', 'Service/orders-pods', 'StatefulSet/orders',
    ]);
  });

  test('postgresql.conf archives with wal-g wal-push every 60 s', () => {
    const conf = find(objs, 'ConfigMap').data['postgresql.conf'];
    expect(conf).toContain("archive_command = 'wal-g wal-push %p'");
    expect(conf).toContain('archive_timeout = 60');
    expect(conf).toContain('archive_mode = on');
    expect(conf).toContain('wal_level = replica');
  });

  test('the WAL-G settings use the prefix name KubeDB\'s WAL-G 0.2 reads, and only settings WAL-G 0.2.13 reads', () => {
    const env = parseEnvFile(find(objs, 'ConfigMap').data['archive.env']);
    const expected: Record<string, Record<string, string>> = {
      s3: { WALE_S3_PREFIX: 's3://walg-archive/prod/orders', AWS_REGION: 'eu-west-1' },
      minio: {
        WALE_S3_PREFIX: 's3://walg/prod/orders',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT: 'https://minio.storage.svc:9000',
        AWS_S3_FORCE_PATH_STYLE: 'true',
      },
      gcs: { WALE_GS_PREFIX: 'gs://walg-archive/prod/orders' },
      azure: { WALE_AZ_PREFIX: 'azure://walg/prod/orders' },
      swift: { WALE_SWIFT_PREFIX: 'swift://walg/prod/orders' },
      local: { WALG_FILE_PREFIX: '/var/walg-archive/prod/orders' },
    };
    expect(env).toEqual(expected[provider]);
  });

  test('the pod runs the bootstrap script with the env contract of the scripts', () => {
    const c = container(objs, 'orders');
    expect(c.image).toBe('kubedb/postgres:11.2-v1');
    expect(c.command).toEqual(['/bin/sh', '/etc/pg-walg/config/bootstrap.sh']);
    expect(envOf(c)).toMatchObject({
      PGDATA: '/var/pv/data',
      PGHOST: '/var/run/postgresql',
      PG_WALG_CONFIG: '/etc/pg-walg/config',
      PG_WALG_SECRETS: '/etc/pg-walg/secrets',
      PG_WALG_BOOTSTRAP: 'initdb',
      PG_WALG_ARCHIVE: 'on',
      PG_WALG_PG_MAJOR: '11',
      PG_WALG_FETCH_NOT_FOUND_EXIT: '1',
    });
    const sidecar = container(objs, 'orders', 'walg-backup');
    expect(sidecar.command).toEqual(['/bin/sh', '/etc/pg-walg/config/backup.sh']);
    expect(envOf(sidecar)).toMatchObject({ PG_WALG_BACKUP_INTERVAL_SECONDS: '86400', PG_WALG_RETAIN_FULL: '7' });
  });

  test('volumes: PGDATA on a claim template, /dev/shm in memory, credentials read-only', () => {
    const sts = find(objs, 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    const mounts = Object.fromEntries(container(objs, 'orders').volumeMounts.map((m: any) => [m.mountPath, m]));
    expect(mounts['/var/pv'].name).toBe('data');
    expect(mounts['/dev/shm'].name).toBe('shm');
    const vols = Object.fromEntries(sts.spec.template.spec.volumes.map((v: any) => [v.name, v]));
    expect(vols.shm.emptyDir.medium).toBe('Memory');
    if (provider === WalProvider.LOCAL) {
      expect(mounts['/var/walg-archive'].name).toBe('archive-local');
      expect(vols['archive-local'].persistentVolumeClaim.claimName).toBe('walg-archive');
      expect(vols['archive-credentials']).toBeUndefined();
    } else {
      expect(mounts['/etc/pg-walg/secrets/archive']).toEqual({ name: 'archive-credentials', mountPath: '/etc/pg-walg/secrets/archive', readOnly: true });
      expect(vols['archive-credentials'].secret.defaultMode).toBe(0o440);
    }
  });

  test('the ConfigMap embeds the scripts verbatim, lib.sh with the Secret keys of its storage', () => {
    const data = find(objs, 'ConfigMap').data;
    for (const f of ['bootstrap.sh', 'backup.sh', 'wal-fetch.sh', 'lib.sh'] as const) {
      expect(shippedScript(data[f])).toBe(script(f));
    }
  });
});

test('credentials given in code go into a Secret, never into the ConfigMap', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: WalStorage.s3(PostgresVersion.V10_6, { bucket: 'walg', credentials: S3Credentials.fromAccessKey('AKIAEXAMPLE', 'sekr3t/KEY') }),
    superuserPassword: SuperuserPassword.fromValue('pa55word'),
  });
  const objs = synth(chart);
  const secret = find(objs, 'Secret', 'orders-archive-credentials');
  expect(secret.stringData).toEqual({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'sekr3t/KEY' });
  expect(find(objs, 'Secret', 'orders-auth').stringData).toEqual({ POSTGRES_PASSWORD: 'pa55word' });
  const outside = JSON.stringify(objs.filter((o) => o.kind !== 'Secret'));
  expect(outside).not.toContain('sekr3t/KEY');
  expect(outside).not.toContain('pa55word');
  expect(outside).not.toContain('AKIAEXAMPLE');
});

// A value given in code goes into the Secret as the pod reads it: without the line ends at its end.
test.each([['nothing', ''], ['"\\n"', '\n'], ['"\\r\\n"', '\r\n']])('values given in code ending in %s: the Secrets hold them without the line ends', (_what, end) => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: WalStorage.s3(PostgresVersion.V10_6, { bucket: 'walg', credentials: S3Credentials.fromAccessKey(`AKIAEXAMPLE${end}`, `sekr3t/KEY${end}`) }),
    superuserPassword: SuperuserPassword.fromValue(`pa55word${end}`),
  });
  new ArchivingPostgres(chart, 'azure', { name: 'azure', storage: WalStorage.azure(PostgresVersion.V11_2_V1, { container: 'walg', credentials: AzureCredentials.fromAccountKey('walgaccount', `a2V5${end}`) }) });
  new ArchivingPostgres(chart, 'swift', {
    name: 'swift',
    storage: WalStorage.swift(PostgresVersion.V11_2_V1, { container: 'walg', credentials: SwiftCredentials.fromV1('https://swift.example.com/auth/v1.0', 'walg', `k3y${end}`) }),
  });
  const gcsKey = `{"type":"service_account","project_id":"walg-project${end.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"}${end}`;
  new ArchivingPostgres(chart, 'gcs', { name: 'gcs', storage: WalStorage.gcs(PostgresVersion.V11_2_V1, { bucket: 'walg', credentials: GcsCredentials.fromServiceAccountKey(gcsKey) }) });
  const objs = synth(chart);
  expect(find(objs, 'Secret', 'orders-archive-credentials').stringData).toEqual({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'sekr3t/KEY' });
  expect(find(objs, 'Secret', 'orders-auth').stringData).toEqual({ POSTGRES_PASSWORD: 'pa55word' });
  expect(find(objs, 'Secret', 'azure-archive-credentials').stringData).toEqual({ AZURE_ACCOUNT_NAME: 'walgaccount', AZURE_ACCOUNT_KEY: 'a2V5' });
  expect(find(objs, 'Secret', 'swift-archive-credentials').stringData).toEqual({ ST_KEY: 'k3y' });
  // The JSON key is a file WAL-G reads itself: it is kept exactly as given.
  expect(find(objs, 'Secret', 'gcs-archive-credentials').stringData).toEqual({ GOOGLE_SERVICE_ACCOUNT_JSON_KEY: gcsKey, GOOGLE_PROJECT_ID: 'walg-project' });
});

test('archive timeout, backup schedule, retention, storage and resources are configurable', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: storageFor(chart, WalProvider.S3, PostgresVersion.V11_1),
    archiveTimeout: Duration.seconds(30),
    baseBackupInterval: Duration.hours(6),
    retainBaseBackups: 3,
    storageSize: '50Gi',
    storageClassName: 'fast-ssd',
    resources: { cpuRequest: '1', memoryLimit: '4Gi' },
    parameters: { max_connections: '200', shared_buffers: '1GB' },
  });
  const objs = synth(chart);
  const conf = find(objs, 'ConfigMap').data['postgresql.conf'];
  expect(conf).toContain('archive_timeout = 30');
  expect(conf).toContain("max_connections = '200'");
  expect(conf).toContain("shared_buffers = '1GB'");
  expect(envOf(container(objs, 'orders', 'walg-backup'))).toMatchObject({ PG_WALG_BACKUP_INTERVAL_SECONDS: '21600', PG_WALG_RETAIN_FULL: '3' });
  const sts = find(objs, 'StatefulSet');
  expect(sts.spec.volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'fast-ssd', resources: { requests: { storage: '50Gi' } } });
  expect(container(objs, 'orders').resources).toEqual({
    requests: { 'cpu': '1', 'memory': '512Mi', 'ephemeral-storage': '128Mi' },
    limits: { 'cpu': '1', 'memory': '4Gi', 'ephemeral-storage': '2Gi' },
  });
});

describe('retention by age (retainFor) and delta backups (deltaMaxSteps)', () => {
  /** The walg-backup sidecar's env, the postgres container's, and the ConfigMap's archive settings, for `props`. */
  function pod(props: Partial<ArchivingPostgresProps>, version: PostgresVersion = PostgresVersion.V11_2_V1) {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, version), ...props });
    const objs = synth(chart);
    return { sidecar: envOf(container(objs, 'orders', 'walg-backup')), postgres: envOf(container(objs, 'orders')), config: find(objs, 'ConfigMap').data };
  }
  const RETENTION = ['PG_WALG_RETAIN_FULL', 'PG_WALG_RETAIN_SECONDS', 'PG_WALG_LIST_DETAIL', 'PG_WALG_WALG_VERSION', 'PG_WALG_DELTA_MAX_STEPS'];
  const pick = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => RETENTION.includes(k)));

  test('neither: the newest 7 full backups, no window, full backups only', () => {
    expect(pick(pod({}).sidecar)).toEqual({ PG_WALG_RETAIN_FULL: '7' });
  });
  test('retainFor alone: the window in seconds, at least the newest full backup, and how finish times are read', () => {
    expect(pick(pod({ retainFor: Duration.days(14) }).sidecar)).toEqual({
      PG_WALG_RETAIN_FULL: '1', PG_WALG_RETAIN_SECONDS: '1209600', PG_WALG_LIST_DETAIL: 'on', PG_WALG_WALG_VERSION: '0.2.13',
    });
  });
  test('retainFor with retainBaseBackups: both', () => {
    expect(pick(pod({ retainFor: Duration.days(14), retainBaseBackups: 3 }).sidecar)).toMatchObject({ PG_WALG_RETAIN_FULL: '3', PG_WALG_RETAIN_SECONDS: '1209600' });
  });
  test('retainFor equal to baseBackupInterval is the shortest window', () => {
    expect(pod({ retainFor: Duration.hours(6), baseBackupInterval: Duration.hours(6) }).sidecar).toMatchObject({ PG_WALG_RETAIN_SECONDS: '21600', PG_WALG_BACKUP_INTERVAL_SECONDS: '21600' });
  });
  test.each(CATALOG.map((e) => [e.name, e.walg] as const))('%s (WAL-G %s): finish times from the detailed list from WAL-G 0.2.10 on, else storage modification times', (name, walg) => {
    const v = (PostgresVersion as any)[`V${name.replace(/[.-]/g, '_').toUpperCase()}`] as PostgresVersion;
    const env = pod({ retainFor: Duration.days(7), deltaMaxSteps: 6 }, v).sidecar;
    expect(env).toMatchObject({ PG_WALG_LIST_DETAIL: walg === '0.2.13' || walg === '3.0.8' ? 'on' : 'off', PG_WALG_WALG_VERSION: walg, PG_WALG_DELTA_MAX_STEPS: '6' });
  });
  test('deltaMaxSteps: only the sidecar has it, as the script\'s setting; no WAL-G setting in any env or in the ConfigMap (the first base backup stays full)', () => {
    const p = pod({ deltaMaxSteps: 6 });
    expect(p.sidecar.PG_WALG_DELTA_MAX_STEPS).toBe('6');
    expect(p.postgres.PG_WALG_DELTA_MAX_STEPS).toBeUndefined();
    expect(Object.keys({ ...p.sidecar, ...p.postgres }).filter((k) => k.startsWith('WALG_'))).toEqual([]);
    expect(p.config['archive.env']).not.toContain('DELTA');
    expect(pick(p.sidecar)).toEqual({ PG_WALG_RETAIN_FULL: '7', PG_WALG_DELTA_MAX_STEPS: '6' });
  });
  test('the window and the delta steps reach only the sidecar: the postgres container\'s env is the same without them', () => {
    expect(pod({ retainFor: Duration.days(14), deltaMaxSteps: 3 }).postgres).toEqual(pod({}).postgres);
  });
  test('a restore that archives onward applies them to its sidecar', () => {
    const chart = newChart();
    new WalRestoredPostgres(chart, 'copy', {
      name: 'copy',
      source: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1),
      archive: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1, 'prod/copy'),
      retainFor: Duration.days(3),
      deltaMaxSteps: 2,
    });
    expect(pick(envOf(container(synth(chart), 'copy', 'walg-backup')))).toEqual({
      PG_WALG_RETAIN_FULL: '1', PG_WALG_RETAIN_SECONDS: '259200', PG_WALG_LIST_DETAIL: 'on', PG_WALG_WALG_VERSION: '0.2.13', PG_WALG_DELTA_MAX_STEPS: '2',
    });
  });
});

test('a custom WAL-G 3 version uses the WALG_ prefix names and trusts exit code 74', () => {
  const chart = newChart();
  const v17 = PostgresVersion.custom({ name: '17-walg3', serverVersion: '17.2', image: 'example.com/pg:17' });
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.GCS, v17) });
  const objs = synth(chart);
  expect(parseEnvFile(find(objs, 'ConfigMap').data['archive.env'])).toEqual({ WALG_GS_PREFIX: 'gs://walg-archive/prod/orders', GCS_MAX_RETRIES: '3' });
  expect(envOf(container(objs, 'orders'))).toMatchObject({ PG_WALG_PG_MAJOR: '17', PG_WALG_FETCH_NOT_FOUND_EXIT: '74' });
});

test('two clusters archiving to one location in an app are refused', () => {
  const chart = newChart();
  const storage = storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1);
  new ArchivingPostgres(chart, 'a', { storage });
  expect(() => new ArchivingPostgres(chart, 'b', { storage })).toThrow(
    'Invalid storage "s3://walg-archive/prod/orders" in test/b: test/a already archives there; two clusters in one archive mix their WAL histories, so give each its own prefix.',
  );
});

test('synthesis is deterministic', () => {
  const make = () => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { storage: storageFor(chart, WalProvider.MINIO, PostgresVersion.V11_2_V1), superuserPassword: SuperuserPassword.fromValue('x') });
    return JSON.stringify(synth(chart));
  };
  expect(make()).toBe(make());
});

test('GCS: maxRetries and contextTimeout bound how long one storage operation can hang', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: WalStorage.gcs(PostgresVersion.custom({ name: '11-walg1', serverVersion: '11.22', image: 'example.com/pg:11', walgVersion: '1.1.3' }), {
      bucket: 'walg-archive', credentials: GcsCredentials.fromWorkloadIdentity('walg'), maxRetries: 1, contextTimeout: Duration.minutes(2),
    }),
  });
  const objs = synth(chart);
  expect(parseEnvFile(find(objs, 'ConfigMap').data['archive.env'])).toEqual({ WALG_GS_PREFIX: 'gs://walg-archive', GCS_MAX_RETRIES: '1', GCS_CONTEXT_TIMEOUT: '120' });
  // Keyless: the pod runs as the bound service account and mounts no credentials.
  const spec = find(objs, 'StatefulSet').spec.template.spec;
  expect(spec.serviceAccountName).toBe('walg');
  expect(spec.volumes.map((v: any) => v.name)).not.toContain('archive-credentials');
});

test('Azure workload identity: the service account, the webhook\'s pod label on the pod only, the account in the ConfigMap, no Secret', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: WalStorage.azure(PostgresVersion.V17, { container: 'walg', prefix: 'prod/orders', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }),
  });
  const objs = synth(chart);
  // WAL-G finds neither key nor SAS token, so it takes the SDK's default chain (the federated token).
  expect(parseEnvFile(find(objs, 'ConfigMap').data['archive.env'])).toEqual({ WALG_AZ_PREFIX: 'azure://walg/prod/orders', AZURE_STORAGE_ACCOUNT: 'walgarchive' });
  const sts = find(objs, 'StatefulSet');
  expect(sts.spec.template.spec.serviceAccountName).toBe('walg-azure');
  expect(sts.spec.template.metadata.labels['azure.workload.identity/use']).toBe('true');
  // The selector (immutable once applied) and the other objects do not carry it.
  expect(sts.spec.selector.matchLabels['azure.workload.identity/use']).toBeUndefined();
  expect(objs.filter((o) => o.metadata.labels?.['azure.workload.identity/use'])).toEqual([]);
  expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
  expect(sts.spec.template.spec.volumes.map((v: any) => v.name)).not.toContain('archive-credentials');
});

const walg = (v: string) => PostgresVersion.custom({ name: `11-walg${v.replace(/\./g, '-')}`, serverVersion: '11.22', image: 'example.com/pg:11', walgVersion: v });
test.each([
  ['core.windows.net', 'WAL-G 0.2.7 (the one host it knows)', PostgresVersion.V11_1_V1, { WALE_AZ_PREFIX: 'azure://walg', AZURE_ENDPOINT_SUFFIX: 'core.windows.net', AZURE_ENVIRONMENT_NAME: 'AzurePublicCloud' }],
  ['core.chinacloudapi.cn', 'WAL-G 1.1.3 (the named cloud)', walg('1.1.3'), { WALG_AZ_PREFIX: 'azure://walg', AZURE_ENDPOINT_SUFFIX: 'core.chinacloudapi.cn', AZURE_ENVIRONMENT_NAME: 'AzureChinaCloud' }],
  ['core.chinacloudapi.cn', 'WAL-G 3.0 (the suffix)', walg('3.0'), { WALG_AZ_PREFIX: 'azure://walg', AZURE_ENDPOINT_SUFFIX: 'core.chinacloudapi.cn', AZURE_ENVIRONMENT_NAME: 'AzureChinaCloud' }],
  ['blob.example.internal:8443', 'WAL-G 3.0 (the suffix)', walg('3.0'), { WALG_AZ_PREFIX: 'azure://walg', AZURE_ENDPOINT_SUFFIX: 'blob.example.internal:8443' }],
])('Azure endpoint suffix %s with %s', (suffix, _what, version, env) => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: WalStorage.azure(version, { container: 'walg', endpointSuffix: suffix, credentials: AzureCredentials.fromSecret('az') }),
  });
  expect(parseEnvFile(find(synth(chart), 'ConfigMap').data['archive.env'])).toEqual(env);
});

test.each([
  [WalProvider.S3, ['CA_CERT_DATA) export "WALG_S3_CA_CERT_FILE=$_file" ;;', 'AWS_*)']],
  [WalProvider.GCS, ['GOOGLE_SERVICE_ACCOUNT_JSON_KEY) export "GOOGLE_APPLICATION_CREDENTIALS=$_file" ;;', 'GOOGLE_PROJECT_ID)']],
  [WalProvider.AZURE, ['AZURE_ACCOUNT_NAME) export_secret AZURE_STORAGE_ACCOUNT "$_file" "$_role" ;;', 'AZURE_ACCOUNT_KEY) export_secret AZURE_STORAGE_ACCESS_KEY "$_file" "$_role" ;;', 'AZURE_*)']],
  [WalProvider.SWIFT, ['ST_* | OS_*)']],
  [WalProvider.LOCAL, []],
])('lib.sh of a pod archiving to %s knows the Secret keys of that storage only', (provider, arms) => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, provider, PostgresVersion.V11_2_V1) });
  const lib: string = find(synth(chart), 'ConfigMap').data['lib.sh'];
  const rendered = lib.split('\n').map((l) => l.trim()).filter((l) => /^[A-Z][A-Z0-9_]*\*?( \| [A-Z][A-Z0-9_]*\*?)*\)/.test(l));
  expect(rendered).toEqual(arms);
});

// --- pod options ---------------------------------------------------------------------------------------

const CHECKSUM = 'cdk8s-postgres-walg/config-checksum';
const SCHEDULING = ['nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints', 'priorityClassName', 'imagePullSecrets'];

/** An ArchivingPostgres "orders" (S3) with these props, synthesized. */
function orders(props: Partial<ArchivingPostgresProps> = {}, version: PostgresVersion = PostgresVersion.V11_2_V1): Obj[] {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, version), ...props });
  return synth(chart);
}

describe('ArchivingPostgres with every pod option (PostgreSQL 17, with its walg-install init container)', () => {
  const options = everyPodOption();
  const objs = orders(options, PostgresVersion.V17);
  const template = find(objs, 'StatefulSet').spec.template;

  test('matches the snapshot', () => {
    expect(forSnapshot(objs)).toMatchSnapshot();
  });

  test('the scheduling options are fields of the pod spec, as given', () => {
    expect(template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'node.example.com/pool': 'databases' });
    expect(template.spec.tolerations).toEqual(options.tolerations);
    expect(template.spec.affinity).toEqual(options.affinity);
    expect(template.spec.topologySpreadConstraints).toEqual(options.topologySpreadConstraints);
    expect(template.spec.priorityClassName).toBe('database-critical');
  });

  test('the image pull Secrets are on the pod spec: they pull the init container\'s image as well as the others', () => {
    expect(template.spec.imagePullSecrets).toEqual([{ name: 'registry-credentials' }, { name: 'mirror.credentials' }]);
    expect(template.spec.initContainers.map((c: any) => [c.name, c.image])).toEqual([['walg-install', 'ghcr.io/wal-g/cnpg-plugin-wal-g:0.3.0']]);
    expect(template.spec.containers.map((c: any) => c.name)).toEqual(['postgres', 'walg-backup']);
  });

  test('the pod annotations are on the pod template, next to the config checksum, and nowhere else', () => {
    expect(template.metadata.annotations).toEqual({ 'prometheus.io/scrape': 'false', 'example.com/owner': 'team-data', [CHECKSUM]: configChecksum(find(objs, 'ConfigMap').data) });
    expect(find(objs, 'StatefulSet').metadata.annotations).toBeUndefined();
    expect(find(objs, 'StatefulSet').spec.volumeClaimTemplates[0].metadata.annotations).toBeUndefined();
    expect(objs.filter((o) => o.metadata.annotations !== undefined).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Service/orders']);
  });

  test('the client Service is a LoadBalancer with the annotations and source ranges; the headless Service is unchanged', () => {
    const client = find(objs, 'Service', 'orders');
    expect(client.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' });
    expect(client.spec).toEqual({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      loadBalancerSourceRanges: ['10.0.0.0/8', '2001:db8::/32'],
      selector: { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'orders' },
      ports: [{ name: 'postgres', port: 5432, targetPort: 'postgres' }],
    });
    const plain = orders({ labels: options.labels }, PostgresVersion.V17);
    expect(find(objs, 'Service', 'orders-pods')).toEqual(find(plain, 'Service', 'orders-pods'));
  });

  test('the options change nothing else: the containers, volumes, claim templates and ConfigMap are those of the same instance without them', () => {
    const plain = orders({ labels: options.labels }, PostgresVersion.V17);
    const strip = (o: Obj) => {
      const t = o.spec.template;
      const spec = Object.fromEntries(Object.entries(t.spec).filter(([k]) => !SCHEDULING.includes(k)));
      return { ...o, spec: { ...o.spec, template: { metadata: { labels: t.metadata.labels }, spec } } };
    };
    expect(strip(find(objs, 'StatefulSet'))).toEqual(strip(find(plain, 'StatefulSet')));
    expect(find(objs, 'ConfigMap')).toEqual(find(plain, 'ConfigMap'));
    expect(template.metadata.annotations[CHECKSUM]).toBe(find(plain, 'StatefulSet').spec.template.metadata.annotations[CHECKSUM]);
  });
});

test('without pod options: a ClusterIP client Service without annotations, and no scheduling field on the pod spec', () => {
  const objs = orders();
  const client = find(objs, 'Service', 'orders');
  expect(client.spec.type).toBe('ClusterIP');
  expect(client.spec.loadBalancerSourceRanges).toBeUndefined();
  expect(client.metadata.annotations).toBeUndefined();
  const template = find(objs, 'StatefulSet').spec.template;
  expect(Object.keys(template.spec).filter((k) => SCHEDULING.includes(k))).toEqual([]);
  expect(Object.keys(template.metadata.annotations)).toEqual([CHECKSUM]);
});

test.each([
  [ServiceType.NODE_PORT, 'NodePort'],
  [ServiceType.CLUSTER_IP, 'ClusterIP'],
])('serviceType %s sets the client Service\'s type only', (serviceType, type) => {
  const objs = orders({ serviceType });
  expect(find(objs, 'Service', 'orders').spec.type).toBe(type);
  expect(find(objs, 'Service', 'orders-pods').spec).toEqual(find(orders(), 'Service', 'orders-pods').spec);
});

test('empty lists and maps are left out of the manifests', () => {
  const objs = orders({
    nodeSelector: {}, tolerations: [], topologySpreadConstraints: [], imagePullSecrets: [], podAnnotations: {}, serviceAnnotations: {},
  });
  expect(objs).toEqual(orders());
});

describe('the config checksum', () => {
  const checksumOf = (objs: Obj[]) => find(objs, 'StatefulSet').spec.template.metadata.annotations[CHECKSUM];
  const base = checksumOf(orders());

  test('is the sha256 of the ConfigMap\'s data as JSON with sorted keys, scripts included', () => {
    const objs = orders();
    const data: Record<string, string> = find(objs, 'ConfigMap').data;
    const sorted = Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k]]));
    expect(checksumOf(objs)).toBe(createHash('sha256').update(JSON.stringify(sorted)).digest('hex'));
    expect(Object.keys(data)).toEqual(expect.arrayContaining(['bootstrap.sh', 'backup.sh', 'wal-fetch.sh', 'lib.sh', 'postgresql.conf', 'archive.env']));
  });

  test('does not depend on the order of the keys', () => {
    const data: Record<string, string> = find(orders(), 'ConfigMap').data;
    expect(configChecksum(Object.fromEntries(Object.entries(data).reverse()))).toBe(configChecksum(data));
  });

  test('is the same in every synthesis', () => {
    expect(checksumOf(orders())).toBe(base);
  });

  test.each<[string, Partial<ArchivingPostgresProps>]>([
    ['a parameter', { parameters: { max_connections: '200' } }],
    ['the archive timeout', { archiveTimeout: Duration.seconds(30) }],
    ['the archive', { storage: WalStorage.s3(PostgresVersion.V11_2_V1, { bucket: 'walg-archive', prefix: 'prod/orders-2', region: 'eu-west-1', credentials: S3Credentials.fromSecret('s3-walg') }) }],
  ])('changes with %s', (_what, props) => {
    expect(checksumOf(orders(props))).not.toBe(base);
  });

  test('changes with any byte of a script', () => {
    const data: Record<string, string> = find(orders(), 'ConfigMap').data;
    expect(configChecksum(data)).toBe(base);
    expect(configChecksum({ ...data, 'backup.sh': `${data['backup.sh']}\n` })).not.toBe(base);
  });

  test.each<[string, Partial<ArchivingPostgresProps>]>([
    ['resources (they change the pod template themselves)', { resources: { cpuLimit: '2' } }],
    ['the pod options', everyPodOption()],
  ])('does not change with %s, which are not in the ConfigMap', (_what, props) => {
    expect(checksumOf(orders(props))).toBe(base);
  });
});

test('the claim template carries only the selector labels: a new version or label leaves it as applied (Kubernetes refuses to change it)', () => {
  const claimLabels = (version: PostgresVersion, labels?: Record<string, string>) => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, version), labels });
    return find(synth(chart), 'StatefulSet').spec.volumeClaimTemplates[0].metadata.labels;
  };
  const selector = { 'app.kubernetes.io/name': 'postgres', 'app.kubernetes.io/instance': 'orders' };
  expect(claimLabels(PostgresVersion.V11_1_V3)).toEqual(selector);
  expect(claimLabels(PostgresVersion.V11_2_V1, { 'example.com/tier': 'database' })).toEqual(selector);
});

test('one name in two namespaces is two instances; without a namespace, two charts share one', () => {
  const app = Testing.app();
  const a = new Chart(app, 'a', { namespace: 'shop' });
  const b = new Chart(app, 'b', { namespace: 'billing' });
  new ArchivingPostgres(a, 'orders', { name: 'orders', storage: storageFor(a, WalProvider.S3, PostgresVersion.V17, 'shop/orders') });
  expect(() => new ArchivingPostgres(b, 'orders', { name: 'orders', storage: storageFor(b, WalProvider.S3, PostgresVersion.V17, 'billing/orders') })).not.toThrow();
  const c = new Chart(app, 'c');
  const d = new Chart(app, 'd');
  new ArchivingPostgres(c, 'orders', { name: 'orders', storage: storageFor(c, WalProvider.S3, PostgresVersion.V17, 'c/orders') });
  expect(() => new ArchivingPostgres(d, 'orders', { name: 'orders', storage: storageFor(d, WalProvider.S3, PostgresVersion.V17, 'd/orders') })).toThrow(
    'Invalid name "orders" in d/orders: c/orders already has this name in charts without a namespace (the same namespace at `kubectl apply`); their StatefulSets, Services, ConfigMaps and Secrets would have the same names, so give each its own name.');
});

test('three members (replicas 3): a primary and two hot standbys, matches the snapshot', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V11_2_V1), replicas: 3 });
  expect(forSnapshot(synth(chart))).toMatchSnapshot();
});

describe('the WAL chain check (walVerify, walVerifyInterval)', () => {
  const custom = (v: string) => PostgresVersion.custom({ name: `14-walg${v.replace(/\./g, '-')}`, serverVersion: '14.23', image: 'example.com/pg:14', walgVersion: v });
  /** The walg-backup sidecar's env, or the synth error. */
  function sidecar(props: Partial<ArchivingPostgresProps>, version: PostgresVersion) {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, version), ...props });
    return envOf(container(synth(chart), 'orders', 'walg-backup'));
  }
  const interval = (props: Partial<ArchivingPostgresProps>, version: PostgresVersion) => sidecar(props, version).PG_WALG_WAL_VERIFY_SECONDS;

  test.each(CATALOG.map((e) => [e.name, e.walg] as const))('%s (WAL-G %s): hourly by default where WAL-G has wal-verify with named checks (0.2.20 and later), else none', (name, bundled) => {
    const v = (PostgresVersion as any)[`V${name.replace(/[.-]/g, '_').toUpperCase()}`] as PostgresVersion;
    expect(interval({}, v)).toBe(bundled === '3.0.8' ? '3600' : undefined);
  });
  test.each([['0.2.19', undefined], ['0.2.20', '3600'], ['1.1.3', '3600']])('custom() with WAL-G %s: %s', (release, expected) => {
    expect(interval({}, custom(release))).toBe(expected);
  });
  test('walVerifyInterval sets it; walVerify: false turns it off; only the sidecar has it', () => {
    expect(interval({ walVerifyInterval: Duration.minutes(10) }, custom('1.1.3'))).toBe('600');
    expect(interval({ walVerify: false }, custom('1.1.3'))).toBeUndefined();
    // A shared archive: off unless asked for.
    expect(interval({ allowNonEmptyArchive: true }, custom('1.1.3'))).toBeUndefined();
    expect(interval({ allowNonEmptyArchive: true, walVerify: true }, custom('1.1.3'))).toBe('3600');
    expect(interval({ walVerify: true, walVerifyInterval: Duration.days(7) }, custom('1.1.3'))).toBe('604800');
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, custom('1.1.3')) });
    expect(envOf(container(synth(chart), 'orders')).PG_WALG_WAL_VERIFY_SECONDS).toBeUndefined();
  });
  test.each([
    [{ walVerify: true }, custom('0.2.19'), 'Invalid walVerify true in test/orders: PostgresVersion 14-walg0-2-19 bundles WAL-G 0.2.19, which lacks wal-verify integrity timeline (WAL chain check); WAL-G 0.2.20 and later have it. Leave walVerify out, or use a version whose WAL-G reads it: 14, 15, 16, 17, 18, or PostgresVersion.custom() with walgVersion "0.2.20" or later.'],
    [{ walVerifyInterval: Duration.hours(2) }, PostgresVersion.V11_2_V1, 'Invalid walVerifyInterval "7200 seconds" in test/orders: expected walVerifyInterval left out: PostgresVersion 11.2-v1 bundles WAL-G 0.2.13, which lacks wal-verify with named checks (WAL-G 0.2.20 and later have it), so no WAL chain check runs.'],
    [{ walVerify: false, walVerifyInterval: Duration.hours(2) }, custom('1.1.3'), 'Invalid walVerifyInterval "7200 seconds" in test/orders: expected walVerifyInterval left out: with walVerify: false (or allowNonEmptyArchive without walVerify: true) no WAL chain check runs.'],
    [{ walVerifyInterval: Duration.seconds(30) }, custom('1.1.3'), 'Invalid walVerifyInterval "30 seconds" in test/orders: expected a whole number of seconds from 60 to 604800 (7 days).'],
    [{ walVerifyInterval: Duration.days(8) }, custom('1.1.3'), 'Invalid walVerifyInterval "691200 seconds" in test/orders: expected a whole number of seconds from 60 to 604800 (7 days).'],
    [{ walVerify: 'yes' as any }, custom('1.1.3'), 'Invalid walVerify "yes" in test/orders: expected true or false.'],
  ])('refused: %o', (props, version, message) => {
    expect(() => sidecar(props as Partial<ArchivingPostgresProps>, version)).toThrow(message);
  });
});
