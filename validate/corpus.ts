// The validation corpus: one small cdk8s app per case, covering both constructs × the six providers ×
// the main options (every recovery target kind, credentials by reference, by value and keyless, a
// MinIO endpoint with a custom CA, Local volumes from a PVC, an emptyDir, a hostPath and NFS, a
// custom PostgreSQL 17 version, every pod option, the NetworkPolicy, a three-instance cluster with hot standbys, metrics with a
// ServiceMonitor and alert rules). Shared by `npx projen validate` (validate/run.ts)
// and the unit tests test/security.test.ts and test/adversarial.test.ts.
import { App, Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import { Namespaces, NetworkPolicyIpBlock, PersistentVolumeClaim, Pods, ServiceType, Volume } from 'cdk8s-plus-27';
import {
  ArchivingPostgres, AzureCredentials, ExternalTrafficPolicy, GcsCredentials, LibsodiumKeyTransform, PostgresInstanceOptions, PostgresVersion, ReplicationPassword,
  S3Credentials, SuperuserPassword, SwiftCredentials, WalCompression, WalEncryption, WalProvider, WalRestoredPostgres, WalStorage,
} from '../src';
import { hasWalgFeature } from '../src/_capabilities';

/** A synthesized Kubernetes object. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [key: string]: any;
}

/** One case of the corpus: an app with one chart. */
export interface CorpusEntry {
  /** A short unique id, used as the file name (`<id>.yaml`). */
  readonly id: string;
  readonly description: string;
  /** The constructs the case uses. */
  readonly constructs: ReadonlyArray<'ArchivingPostgres' | 'WalRestoredPostgres'>;
  /** The providers the case uses. */
  readonly providers: readonly WalProvider[];
  /**
   * Whether the case mounts a hostPath Local volume on purpose. The Pod Security Standards
   * "restricted" and "baseline" forbid hostPath volumes: such a pod is only admitted in a
   * "privileged" namespace. Every other case must have no hostPath at all.
   */
  readonly hostPath: boolean;
  /**
   * Whether the case mounts an NFS Local volume on purpose. "restricted" allows only configMap, csi,
   * downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes, so such a
   * pod needs a "baseline" namespace (or the export behind a PersistentVolume and a claim).
   */
  readonly nfs: boolean;
  /**
   * The Pod Security Standard level the case's pods meet: "restricted" unless the case asks for a
   * hostPath ("privileged") or an NFS volume ("baseline").
   */
  readonly podSecurityLevel: 'restricted' | 'baseline' | 'privileged';
  /** The synthesized objects, in synthesis order. */
  readonly objects: KubeObject[];
}

export interface Corpus {
  readonly entries: CorpusEntry[];
  /** Every object of every entry. */
  readonly objects: KubeObject[];
  /**
   * The literal secret values the corpus gives in code (passwords, keys, tokens). They may appear
   * in Secrets only.
   */
  readonly secretValues: string[];
  /** The credential key names whose values are secret (KubeDB's names, as the Secrets use them). */
  readonly secretKeys: string[];
}

/** A self-signed test CA (EC P-256, CN=walg-corpus-test-ca): public data, only here to be embedded. */
export const TEST_CA_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBkDCCATegAwIBAgIUSgOH2mdtFV3zYtqrpgaO8mpzrrgwCgYIKoZIzj0EAwIw',
  'HjEcMBoGA1UEAwwTd2FsZy1jb3JwdXMtdGVzdC1jYTAeFw0yNjExMjMwNjQ3MjJa',
  'Fw0zNjExMjAwNjQ3MjJaMB4xHDAaBgNVBAMME3dhbGctY29ycHVzLXRlc3QtY2Ew',
  'WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT2hOGFkNlueSr9xCbxA6l6rqzs07VP',
  'oJp7lttvsvEuv2Ffkd78qNsNtqxu2G28VWQyV+yCsBO0egEcqXCySES9o1MwUTAd',
  'BgNVHQ4EFgQUI8jB8opgBfuq/Nqds4+dsxRHPa0wHwYDVR0jBBgwFoAUI8jB8opg',
  'Bfuq/Nqds4+dsxRHPa0wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBE',
  'AiBmZ0n5klIQ92CKOrS2IfMJbqxC+ltLxzTdvdHvmu46yAIgYG2fvHh2MuiYjytg',
  'Rb6J+4kXfWpncuq9IyvZ7uXbHq4=',
  '-----END CERTIFICATE-----',
  '',
].join('\n');

/** The literal secrets the corpus uses: distinctive, so that a scan finds any copy of them. */
export const SECRETS = {
  superuserPassword: 'corpus-superuser-pw-Q7wZ3',
  replicationPassword: 'corpus-replication-pw-V4nB8',
  s3AccessKeyId: 'AKIACORPUSEXAMPLE0001',
  s3SecretAccessKey: 'corpus-s3-secret-Xk9fQ2vLm8Rt',
  gcsPrivateKeyId: 'corpus-gcs-private-key-id-7f3a9c',
  gcsPrivateKey: 'corpus-gcs-private-key-material-Hq2x',
  azureAccountKey: 'corpus-azure-account-key-Zm9vYmFyYmF6',
  swiftV1Key: 'corpus-swift-st-key-3j4k5l',
  swiftV2Password: 'corpus-swift-os-v2-password-8u7y',
  swiftV3Password: 'corpus-swift-os-v3-password-1q2w',
};

/** A Google service account JSON key (fake) that carries two of the secrets above. */
export const GCS_JSON_KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'corpus-project',
  private_key_id: SECRETS.gcsPrivateKeyId,
  private_key: `-----BEGIN PRIVATE KEY-----\n${SECRETS.gcsPrivateKey}\n-----END PRIVATE KEY-----\n`,
  client_email: 'walg@corpus-project.iam.gserviceaccount.com',
});

/** Credential keys whose values are secret. */
export const SECRET_KEYS = [
  'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AZURE_ACCOUNT_KEY', 'AZURE_STORAGE_ACCESS_KEY', 'AZURE_STORAGE_SAS_TOKEN',
  'OS_PASSWORD', 'OS_AUTH_TOKEN', 'ST_KEY', 'GOOGLE_SERVICE_ACCOUNT_JSON_KEY', 'POSTGRES_PASSWORD', 'REPLICATION_PASSWORD',
];

type Build = (chart: Chart) => void;

interface Case {
  readonly id: string;
  readonly description: string;
  readonly constructs: CorpusEntry['constructs'];
  readonly providers: readonly WalProvider[];
  readonly hostPath?: boolean;
  readonly nfs?: boolean;
  readonly build: Build;
}

const V = PostgresVersion;
/** A version outside the catalog: PostgreSQL 17 (recovery.signal style) with WAL-G 3 (WALG_ prefixes). */
const PG17 = PostgresVersion.custom({ name: '17.2-walg3', serverVersion: '17.2', image: 'example.com/postgres-walg:17.2-3.0.7', walgVersion: '3.0' });

const s3Ref = (v: PostgresVersion, prefix: string) =>
  WalStorage.s3(v, { bucket: 'walg-archive', prefix, region: 'eu-west-1', credentials: S3Credentials.fromSecret('s3-walg') });
const s3Value = (v: PostgresVersion, prefix: string) =>
  WalStorage.s3(v, {
    bucket: 'walg-archive',
    prefix,
    region: 'eu-central-1',
    endpoint: 'https://s3.eu-central-1.amazonaws.com',
    storageClass: 'STANDARD_IA',
    // maxRetries only where the version's WAL-G reads WALG_S3_MAX_RETRIES (1.1.2+): elsewhere it is refused.
    maxRetries: hasWalgFeature(v, 's3MaxRetries') ? 5 : undefined,
    credentials: S3Credentials.fromAccessKey(SECRETS.s3AccessKeyId, SECRETS.s3SecretAccessKey),
  });
const minio = (v: typeof V.V11_2_V1, prefix: string, creds = S3Credentials.fromSecret('minio-walg')) =>
  WalStorage.minio(v, { bucket: 'walg', prefix, endpoint: 'https://minio.storage.svc:9000', credentials: creds });
const minioCa = (v: typeof V.V11_2_V1, prefix: string) =>
  WalStorage.minio(v, {
    bucket: 'walg',
    prefix,
    endpoint: 'https://minio.internal.example:9000',
    caCertificate: TEST_CA_PEM,
    credentials: S3Credentials.fromAccessKey(SECRETS.s3AccessKeyId, SECRETS.s3SecretAccessKey),
  });
const gcsRef = (v: PostgresVersion, prefix: string) => WalStorage.gcs(v, { bucket: 'walg-archive', prefix, credentials: GcsCredentials.fromSecret('gcs-walg') });
const gcsValue = (v: PostgresVersion, prefix: string) => WalStorage.gcs(v, {
  bucket: 'walg_archive.example.com', prefix, maxRetries: hasWalgFeature(v, 'gcsMaxRetries') ? 0 : undefined, credentials: GcsCredentials.fromServiceAccountKey(GCS_JSON_KEY),
});
const azureRef = (v: typeof V.V10_6_V1, prefix: string) =>
  // A sovereign cloud needs AZURE_ENVIRONMENT_NAME (WAL-G 0.2.20+): the catalog's WAL-G reaches the public cloud only.
  WalStorage.azure(v, { container: 'walg', prefix, endpointSuffix: hasWalgFeature(v, 'azureEnvironmentName') ? 'core.chinacloudapi.cn' : 'core.windows.net', credentials: AzureCredentials.fromSecret('azure-walg') });
const azureValue = (v: typeof V.V10_6_V1, prefix: string) =>
  WalStorage.azure(v, { container: 'walg-archive', prefix, credentials: AzureCredentials.fromAccountKey('corpusaccount', SECRETS.azureAccountKey) });
const swift = (v: typeof V.V10_6_V1, prefix: string, credentials: SwiftCredentials) => WalStorage.swift(v, { container: 'walg', prefix, credentials });
const pvc = (chart: Chart, id: string, claim: string) => Volume.fromPersistentVolumeClaim(chart, id, PersistentVolumeClaim.fromClaimName(chart, `${id}-claim`, claim));
const nfs = (chart: Chart, id: string) => Volume.fromNfs(chart, id, 'walg-nfs', { server: 'nfs.storage.example', path: '/exports/walg' });

const CASES: Case[] = [
  // --- ArchivingPostgres × providers × credentials ---------------------------------------------------
  {
    id: 'archiving-s3-ref',
    description: 'S3, credentials by reference, PostgreSQL 9.6 (tier A)',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.S3],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'orders', storage: s3Ref(V.V9_6_V2, 'prod/orders') }),
  },
  {
    id: 'archiving-s3-value',
    description: 'S3 with a custom endpoint, storage class and access key by value, password by value',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.S3],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders', storage: s3Value(V.V10_6, 'prod/orders'), superuserPassword: SuperuserPassword.fromValue(SECRETS.superuserPassword),
    }),
  },
  {
    id: 'archiving-s3-pod-identity',
    description: 'S3 without keys (IRSA / EKS Pod Identity service account), WAL-G 3 (2.0+ reads the web identity)',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.S3],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders',
      storage: WalStorage.s3(PG17, { bucket: 'walg-archive', prefix: 'prod/orders', credentials: S3Credentials.fromPodIdentity('walg-irsa') }),
    }),
  },
  {
    id: 'archiving-minio-ref',
    description: 'MinIO, credentials by reference',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.MINIO],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'orders', storage: minio(V.V11_2_V1, 'shop/orders') }),
  },
  {
    id: 'archiving-minio-ca',
    description: 'MinIO with a custom CA, access key by value',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.MINIO],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'orders', storage: minioCa(V.V11_2_V1, 'shop/orders') }), // WAL-G 0.2.13 reads the CA (0.2.10+)
  },
  {
    id: 'archiving-minio-http',
    description: 'MinIO over plain http, explicitly allowed',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.MINIO],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders',
      storage: WalStorage.minio(V.V10_6_V2, {
        bucket: 'walg',
        prefix: 'dev/orders',
        endpoint: 'http://minio.dev.svc:9000',
        allowInsecureEndpoint: true,
        region: 'local-1',
        credentials: S3Credentials.fromSecret('minio-walg'),
      }),
    }),
  },
  {
    id: 'archiving-gcs-ref',
    description: 'GCS, credentials by reference',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.GCS],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'orders', storage: gcsRef(V.V10_2_V2, 'prod/orders') }),
  },
  {
    id: 'archiving-gcs-value',
    description: 'GCS, service account JSON key by value',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.GCS],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders', storage: gcsValue(V.V11_1, 'prod/orders'), superuserPassword: SuperuserPassword.fromValue(SECRETS.superuserPassword),
    }),
  },
  {
    id: 'archiving-gcs-workload-identity',
    description: 'GCS without a key (GKE Workload Identity)',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.GCS],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders',
      storage: WalStorage.gcs(V.V11_2_V1, { bucket: 'walg-archive', prefix: 'prod/orders', credentials: GcsCredentials.fromWorkloadIdentity('walg-gke') }),
    }),
  },
  {
    id: 'restore-azure-workload-identity',
    description: 'Azure without a key (Microsoft Entra Workload ID) on the restore path and the onward archive, PostgreSQL 17',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.AZURE],
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders',
      source: WalStorage.azure(V.V17, { container: 'walg', prefix: 'prod/orders', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }),
      archive: WalStorage.azure(V.V17, { container: 'walg', prefix: 'prod/orders-restored', credentials: AzureCredentials.fromWorkloadIdentity('walg-azure', 'walgarchive') }),
    }),
  },
  {
    id: 'archiving-azure-ref',
    description: 'Azure, credentials by reference, sovereign cloud endpoint suffix',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.AZURE],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'orders', storage: azureRef(V.V10_6_V1, 'prod/orders') }),
  },
  {
    id: 'archiving-azure-value',
    description: 'Azure, account key by value',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.AZURE],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'orders', storage: azureValue(V.V9_6_V3, 'prod/orders') }),
  },
  {
    id: 'archiving-swift-ref',
    description: 'Swift, credentials by reference',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.SWIFT],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'orders', storage: swift(V.V10_6_V1, 'prod/orders', SwiftCredentials.fromSecret('swift-walg')) }),
  },
  {
    id: 'archiving-swift-v1',
    description: 'Swift, v1 auth, key by value',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.SWIFT],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders', storage: swift(V.V11_1_V1, 'prod/orders', SwiftCredentials.fromV1('https://swift.example.com/auth/v1.0', 'walg:walg', SECRETS.swiftV1Key)),
    }),
  },
  {
    id: 'archiving-swift-keystone-v2',
    description: 'Swift, Keystone v2, password by value',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.SWIFT],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders',
      storage: swift(V.V11_2, 'prod/orders', SwiftCredentials.fromKeystoneV2({
        authUrl: 'https://keystone.example.com:5000/v2.0', username: 'walg', password: SECRETS.swiftV2Password, tenantName: 'db', region: 'RegionOne',
      })),
    }),
  },
  {
    id: 'archiving-swift-keystone-v3',
    description: 'Swift, Keystone v3, password by value',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.SWIFT],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders',
      storage: swift(V.V11_2_V1, 'prod/orders', SwiftCredentials.fromKeystoneV3({
        authUrl: 'https://keystone.example.com:5000/v3',
        username: 'walg',
        password: SECRETS.swiftV3Password,
        userDomainName: 'Default',
        projectName: 'db',
        projectDomainName: 'Default',
      })),
    }),
  },
  {
    id: 'archiving-local-pvc',
    description: 'Local, a PersistentVolumeClaim',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.LOCAL],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders', storage: WalStorage.local(V.V11_2_V1, { volume: pvc(c, 'archive', 'walg-archive'), mountPath: '/var/walg-archive', prefix: 'prod/orders' }),
    }),
  },
  {
    id: 'archiving-local-emptydir',
    description: 'Local, an emptyDir (throw-away archive, e.g. for tests)',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.LOCAL],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders', storage: WalStorage.local(V.V9_6_V4, { volume: Volume.fromEmptyDir(c, 'archive', 'walg-scratch'), mountPath: '/walg' }),
    }),
  },
  {
    id: 'archiving-local-hostpath',
    description: 'Local, a hostPath (needs a privileged namespace)',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.LOCAL],
    hostPath: true,
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders', storage: WalStorage.local(V.V10_2_V4, { volume: Volume.fromHostPath(c, 'archive', 'walg-host', { path: '/srv/walg' }), mountPath: '/srv/walg', prefix: 'orders' }),
    }),
  },
  {
    id: 'archiving-local-nfs',
    description: 'Local, an NFS export (needs a baseline namespace)',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.LOCAL],
    nfs: true,
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders', storage: WalStorage.local(V.V11_1_V3, { volume: nfs(c, 'archive'), mountPath: '/mnt/walg', prefix: 'prod/orders' }),
    }),
  },
  {
    id: 'archiving-pg17-options',
    description: 'A custom PostgreSQL 17 / WAL-G 3 version with every instance and archiving option',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.S3],
    build: (c) => new ArchivingPostgres(c, 'db', {
      name: 'orders',
      storage: s3Ref(PG17, 'prod/orders-17'),
      superuserPassword: SuperuserPassword.fromSecret('orders-admin', 'password'),
      storageSize: '50Gi',
      storageClassName: 'fast-ssd',
      resources: { cpuRequest: '500m', cpuLimit: '2', memoryRequest: '1Gi', memoryLimit: '2Gi' },
      labels: { 'team': 'payments', 'example.com/tier': 'db' },
      parameters: { max_connections: '200', shared_buffers: '256MB' },
      storageAttempts: 20,
      storageRetryInterval: Duration.seconds(3),
      archiveTimeout: Duration.seconds(30),
      baseBackupInterval: Duration.hours(6),
      retainBaseBackups: 14,
      allowNonEmptyArchive: false,
    }),
  },

  // --- WalRestoredPostgres × providers × recovery targets ---------------------------------------------
  {
    id: 'restored-s3-latest',
    description: 'S3 by reference, replay everything (no target)',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.S3],
    build: (c) => new WalRestoredPostgres(c, 'db', { name: 'orders-copy', source: s3Ref(V.V9_6_V2, 'prod/orders') }),
  },
  {
    id: 'restored-s3-time',
    description: 'S3 by value, time target (exclusive), password by value',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.S3],
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy',
      source: s3Value(V.V10_6, 'prod/orders'),
      recoveryTarget: { time: '2026-11-23 10:15:00+01:00', inclusive: false },
      superuserPassword: SuperuserPassword.fromValue(SECRETS.superuserPassword),
    }),
  },
  {
    id: 'restored-minio-xid',
    description: 'MinIO with a custom CA, xid target',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.MINIO],
    build: (c) => new WalRestoredPostgres(c, 'db', { name: 'orders-copy', source: minioCa(V.V11_2_V1, 'shop/orders'), recoveryTarget: { xid: '1234' } }),
  },
  {
    id: 'restored-gcs-name',
    description: 'GCS by value, named restore point',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.GCS],
    build: (c) => new WalRestoredPostgres(c, 'db', { name: 'orders-copy', source: gcsValue(V.V11_1, 'prod/orders'), recoveryTarget: { name: 'before-migration' } }),
  },
  {
    id: 'restored-azure-lsn',
    description: 'Azure by reference, LSN target on PostgreSQL 10',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.AZURE],
    build: (c) => new WalRestoredPostgres(c, 'db', { name: 'orders-copy', source: azureRef(V.V10_6_V1, 'prod/orders'), recoveryTarget: { lsn: '0/3000060', inclusive: true } }),
  },
  {
    id: 'restored-azure-value',
    description: 'Azure by value, immediate target, timeline "current"',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.AZURE],
    build: (c) => new WalRestoredPostgres(c, 'db', { name: 'orders-copy', source: azureValue(V.V11_1_V1, 'prod/orders'), recoveryTarget: { immediate: true, timeline: 'current' } }),
  },
  {
    id: 'restored-swift-immediate',
    description: 'Swift Keystone v3 by value, immediate target',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.SWIFT],
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy',
      source: swift(V.V11_2_V1, 'prod/orders', SwiftCredentials.fromKeystoneV3({
        authUrl: 'https://keystone.example.com:5000/v3',
        username: 'walg',
        password: SECRETS.swiftV3Password,
        userDomainName: 'Default',
        projectName: 'db',
        projectDomainName: 'Default',
        region: 'RegionOne',
      })),
      recoveryTarget: { immediate: true },
    }),
  },
  {
    id: 'restored-swift-ref',
    description: 'Swift by reference, named backup',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.SWIFT],
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy', source: swift(V.V10_6_V1, 'prod/orders', SwiftCredentials.fromSecret('swift-walg')), backupName: 'base_000000010000000000000002',
    }),
  },
  {
    id: 'restored-local-pvc',
    description: 'Local PVC, a named backup, time target, timeline 2',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.LOCAL],
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy',
      source: WalStorage.local(V.V11_2_V1, { volume: pvc(c, 'archive', 'walg-archive'), mountPath: '/var/walg-archive', prefix: 'prod/orders' }),
      backupName: 'base_000000010000000000000002_D_000000010000000000000001',
      recoveryTarget: { time: '2026-11-23T10:15:00Z', timeline: '2' },
    }),
  },
  {
    id: 'restored-local-hostpath',
    description: 'Local hostPath source (needs a privileged namespace)',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.LOCAL],
    hostPath: true,
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy',
      source: WalStorage.local(V.V10_2_V5, { volume: Volume.fromHostPath(c, 'archive', 'walg-host', { path: '/srv/walg' }), mountPath: '/srv/walg', prefix: 'orders' }),
    }),
  },
  {
    id: 'restored-local-nfs-onward-pvc',
    description: 'Local NFS source (needs a baseline namespace), archiving onward to a Local PVC',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.LOCAL],
    nfs: true,
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy',
      source: WalStorage.local(V.V11_1_V2, { volume: nfs(c, 'source'), mountPath: '/mnt/walg', prefix: 'prod/orders' }),
      archive: WalStorage.local(V.V11_1_V2, { volume: pvc(c, 'onward', 'walg-copy'), mountPath: '/var/walg-archive', prefix: 'prod/orders-copy' }),
      archiveTimeout: Duration.minutes(2),
    }),
  },
  {
    id: 'restored-s3-onward-gcs',
    description: 'S3 source by value, archiving onward to GCS by value (two credential Secrets), xid target',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.S3, WalProvider.GCS],
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy',
      source: s3Value(V.V11_2_V1, 'prod/orders'),
      archive: gcsValue(V.V11_2_V1, 'prod/orders-copy'),
      recoveryTarget: { xid: '98765', inclusive: false },
      superuserPassword: SuperuserPassword.fromValue(SECRETS.superuserPassword),
      retainBaseBackups: 0,
    }),
  },
  {
    id: 'restored-pg17-time',
    description: 'Custom PostgreSQL 17 (recovery.signal), time target, onward archive on the same bucket under another prefix',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.S3],
    build: (c) => new WalRestoredPostgres(c, 'db', {
      name: 'orders-copy',
      source: s3Ref(PG17, 'prod/orders-17'),
      archive: s3Ref(PG17, 'prod/orders-17-copy'),
      recoveryTarget: { time: '2026-02-28T23:59:59.123456-05:30', timeline: 'latest' },
    }),
  },
  {
    id: 'example-cluster-and-copy',
    description: 'The README example: a MinIO-archiving cluster and a point-in-time copy in one chart',
    constructs: ['ArchivingPostgres', 'WalRestoredPostgres'],
    providers: [WalProvider.MINIO],
    build: (c) => {
      const archive = minio(V.V11_2_V1, 'shop/orders');
      new ArchivingPostgres(c, 'orders', { name: 'orders', storage: archive, storageSize: '20Gi' });
      new WalRestoredPostgres(c, 'orders-copy', {
        name: 'orders-copy', source: archive, recoveryTarget: { time: '2026-11-23T10:00:00Z' }, archive: minio(V.V11_2_V1, 'shop/orders-copy'),
      });
    },
  },
  // --- the modern versions: the official images (uid 999) and the walg-install init container ---------
  {
    id: 'modern-archiving-azure',
    description: 'PostgreSQL 17 (PostgresVersion.V17), WAL-G 3.0.8 copied by an init container, Azure in a sovereign cloud',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.AZURE],
    build: (c) => new ArchivingPostgres(c, 'db', { name: 'invoices', storage: azureRef(V.V17, 'billing/invoices') }),
  },
  {
    id: 'modern-restore-local-onward-gcs',
    description: 'PostgreSQL 18 from mirrored images, restored from a Local PVC and archiving onward to GCS',
    constructs: ['WalRestoredPostgres'],
    providers: [WalProvider.LOCAL, WalProvider.GCS],
    build: (c) => {
      const v = V.V18.withImages({ image: 'registry.internal/library/postgres:18.4-trixie', walgImage: 'registry.internal/wal-g/cnpg-plugin-wal-g:0.3.0' });
      new WalRestoredPostgres(c, 'db', {
        name: 'invoices-copy',
        source: WalStorage.local(v, { volume: pvc(c, 'archive', 'walg-archive'), mountPath: '/var/walg-archive', prefix: 'billing/invoices' }),
        recoveryTarget: { lsn: '0/3000060' },
        archive: gcsRef(v, 'billing/invoices-copy'),
      });
    },
  },
  // --- the production pod options: scheduling, annotations, a LoadBalancer, image pull Secrets ------------
  {
    id: 'modern-pod-options',
    description: 'PostgreSQL 17 from a private registry with every pod option, and a copy restored from it with the same options',
    constructs: ['ArchivingPostgres', 'WalRestoredPostgres'],
    providers: [WalProvider.S3],
    build: (c) => {
      const v = V.V17.withImages({ image: 'registry.internal/library/postgres:17.10-trixie', walgImage: 'registry.internal/wal-g/cnpg-plugin-wal-g:0.3.0' });
      const archive = s3Ref(v, 'billing/ledger');
      new ArchivingPostgres(c, 'ledger', { name: 'ledger', storage: archive, ...podOptions() });
      new WalRestoredPostgres(c, 'ledger-copy', {
        name: 'ledger-copy', source: archive, archive: s3Ref(v, 'billing/ledger-copy'), recoveryTarget: { time: '2026-11-23T10:00:00Z' }, ...podOptions(),
      });
    },
  },
  // --- the NetworkPolicy: PostgreSQL admits the instance's pods and the clients named, egress open ----------
  {
    id: 'modern-network-policy',
    description: 'PostgreSQL 17 with a NetworkPolicy (an app\'s pods, a monitoring namespace, a VPN block), and a copy whose policy admits the app only',
    constructs: ['ArchivingPostgres', 'WalRestoredPostgres'],
    providers: [WalProvider.S3],
    build: (c) => {
      const archive = s3Ref(V.V17, 'billing/ledger');
      const api = Pods.select(c, 'ledger-api', { labels: { 'app.kubernetes.io/name': 'ledger-api' } });
      new ArchivingPostgres(c, 'ledger', {
        name: 'ledger',
        storage: archive,
        networkPolicy: {
          clients: [api, Namespaces.select(c, 'monitoring', { names: ['monitoring'] }), NetworkPolicyIpBlock.ipv4(c, 'vpn', '10.8.0.0/16', ['10.8.255.0/24'])],
        },
      });
      new WalRestoredPostgres(c, 'ledger-copy', {
        name: 'ledger-copy', source: archive, archive: s3Ref(V.V17, 'billing/ledger-copy'), networkPolicy: { clients: [api] },
      });
    },
  },
  // --- the data path: compression, client-side encryption (keys from Secrets), concurrency ------------------
  {
    id: 'modern-data-path',
    description: 'PostgreSQL 17 archiving zstd, libsodium-encrypted, with tuned concurrency; a copy restored with the key, archiving onward with OpenPGP',
    constructs: ['ArchivingPostgres', 'WalRestoredPostgres'],
    providers: [WalProvider.S3, WalProvider.MINIO],
    build: (c) => {
      const data = {
        compression: WalCompression.ZSTD,
        encryption: WalEncryption.libsodium({ secretName: 'ledger-walg-key', keyTransform: LibsodiumKeyTransform.BASE64 }),
        uploadConcurrency: 8,
        downloadConcurrency: 16,
      };
      const archive = WalStorage.s3(V.V17, { bucket: 'walg-archive', prefix: 'billing/ledger', region: 'eu-west-1', credentials: S3Credentials.fromSecret('s3-walg'), ...data });
      new ArchivingPostgres(c, 'ledger', { name: 'ledger', storage: archive });
      new WalRestoredPostgres(c, 'ledger-copy', {
        name: 'ledger-copy',
        source: archive,
        archive: WalStorage.minio(V.V17, {
          bucket: 'walg', prefix: 'billing/ledger-copy', endpoint: 'https://minio.storage.svc:9000', credentials: S3Credentials.fromSecret('minio-walg'),
          compression: WalCompression.BROTLI, encryption: WalEncryption.openPgp({ secretName: 'ledger-copy-pgp', passphraseKey: 'passphrase' }),
        }),
      });
    },
  },
  // --- hot standbys: three instances, the read-only Service, the PodDisruptionBudget, the anti-affinity ------
  {
    id: 'standbys-three-instances',
    description: 'A three-instance cluster (a primary and two hot standbys, replication password by value) on PostgreSQL 17, '
      + 'and a restored copy of two instances on KubeDB 11.2-v1 archiving onward (its member 1 the primary, the password from a Secret)',
    constructs: ['ArchivingPostgres', 'WalRestoredPostgres'],
    providers: [WalProvider.S3, WalProvider.MINIO],
    build: (c) => {
      new ArchivingPostgres(c, 'ledger', {
        name: 'ledger', storage: s3Ref(V.V17, 'billing/ledger'), replicas: 3, replicationPassword: ReplicationPassword.fromValue(SECRETS.replicationPassword),
      });
      new WalRestoredPostgres(c, 'orders-copy', {
        name: 'orders-copy',
        source: minio(V.V11_2_V1, 'shop/orders'),
        archive: minio(V.V11_2_V1, 'shop/orders-copy'),
        replicas: 2,
        primaryMember: 1,
        replicationPassword: ReplicationPassword.fromSecret('orders-copy-streaming', 'password'),
      });
    },
  },
  // --- monitoring: the exporter, the ServiceMonitor and the PrometheusRule (issue 15) ----------------------
  {
    id: 'monitoring-network-policy',
    description: 'Metrics on a three-instance cluster on PostgreSQL 17 (exporter in every member, ServiceMonitor every 30 s, '
      + 'the library\'s alerts, a NetworkPolicy admitting Prometheus) and on KubeDB 11.2-v1 restored (KubeDB\'s exporter image, labels for Prometheus\'s selectors)',
    constructs: ['ArchivingPostgres', 'WalRestoredPostgres'],
    providers: [WalProvider.S3, WalProvider.MINIO],
    build: (c) => {
      new ArchivingPostgres(c, 'ledger', {
        name: 'ledger', storage: s3Ref(V.V17, 'billing/ledger'), replicas: 3, replicationPassword: ReplicationPassword.fromSecret('ledger-streaming'),
        metrics: { serviceMonitor: true, scrapeInterval: Duration.seconds(30), alertRules: true },
        networkPolicy: { clients: [Namespaces.select(c, 'monitoring', { names: ['monitoring'] })] },
      });
      new WalRestoredPostgres(c, 'orders-copy', {
        name: 'orders-copy', source: minio(V.V11_2_V1, 'shop/orders'), metrics: { serviceMonitor: true, alertRules: true, labels: { release: 'kube-prometheus-stack' } },
        networkPolicy: { clients: [Namespaces.select(c, 'monitoring-copy', { names: ['monitoring'] })] },
      });
    },
  },
  // --- restore drills (issue 15): a CronJob per instance, with the monitoring that alerts on it --------------
  {
    id: 'monitoring-restore-drill',
    description: 'Restore drills with monitoring on: PostgreSQL 17 on S3 (metrics, ServiceMonitor and alerts with the drill\'s, a scratch '
      + 'generic ephemeral volume of a StorageClass, a check query, a time zone), KubeDB 11.2-v1 on a Local archive claim (mounted read-only '
      + 'in the drill, an emptyDir scratch volume) and a restore of it archiving onward to MinIO with its own drill',
    constructs: ['ArchivingPostgres', 'WalRestoredPostgres'],
    providers: [WalProvider.S3, WalProvider.LOCAL, WalProvider.MINIO],
    build: (c) => {
      new ArchivingPostgres(c, 'ledger', {
        name: 'ledger', storage: s3Ref(V.V17, 'billing/ledger'), storageSize: '50Gi',
        metrics: { serviceMonitor: true, alertRules: true },
        restoreDrill: {
          schedule: Cron.schedule({ minute: '30', hour: '3', weekDay: '0' }), timeZone: 'Europe/Berlin', scratchSize: Size.gibibytes(60),
          scratchStorageClassName: 'fast-ssd', checkQuery: 'SELECT count(*) FROM pg_class', timeout: Duration.hours(4),
        },
      });
      const archive = WalStorage.local(V.V11_2_V1, { volume: pvc(c, 'archive', 'walg-archive'), mountPath: '/var/walg-archive', prefix: 'prod/orders' });
      new ArchivingPostgres(c, 'orders', { name: 'orders', storage: archive, restoreDrill: { schedule: Cron.daily() } });
      new WalRestoredPostgres(c, 'orders-copy', {
        name: 'orders-copy', source: archive, archive: minio(V.V11_2_V1, 'shop/orders-copy'),
        metrics: { serviceMonitor: true, alertRules: true }, restoreDrill: { schedule: Cron.schedule({ minute: '0', hour: '4' }), resources: { memoryLimit: '2Gi' } },
      });
    },
  },
  {
    id: 'kubedb-openpgp',
    description: 'KubeDB 11.2-v1 (WAL-G 0.2.13) archiving brotli with OpenPGP to MinIO',
    constructs: ['ArchivingPostgres'],
    providers: [WalProvider.MINIO],
    build: (c) => {
      new ArchivingPostgres(c, 'orders', {
        name: 'orders',
        storage: WalStorage.minio(V.V11_2_V1, {
          bucket: 'walg', prefix: 'shop/orders', endpoint: 'https://minio.storage.svc:9000', credentials: S3Credentials.fromSecret('minio-walg'),
          compression: WalCompression.BROTLI, encryption: WalEncryption.openPgp({ secretName: 'orders-pgp' }),
        }),
      });
    },
  },
];

/** Every pod option, as a production cluster might set them. */
function podOptions(): PostgresInstanceOptions {
  const databases = { matchLabels: { 'example.com/tier': 'database' } };
  return {
    labels: { 'example.com/tier': 'database' },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'databases', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }],
        },
      },
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: databases } }],
      },
    },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: databases }],
    priorityClassName: 'database-critical',
    podAnnotations: { 'example.com/owner': 'team-billing' },
    serviceAnnotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' },
    serviceType: ServiceType.LOAD_BALANCER,
    loadBalancerSourceRanges: ['10.0.0.0/8', '2001:db8::/32'],
    externalTrafficPolicy: ExternalTrafficPolicy.LOCAL,
    imagePullSecrets: ['registry-internal'],
  };
}

/** Synthesizes one case: an app of its own, one chart in namespace "db". */
function synthCase(c: Case): CorpusEntry {
  const app = new App({ outdir: 'validate-results/cdk8s.out' }); // nothing is written: only toJson() is called
  const chart = new Chart(app, c.id, { namespace: 'db', disableResourceNameHashes: true });
  c.build(chart);
  return {
    id: c.id,
    description: c.description,
    constructs: c.constructs,
    providers: c.providers,
    hostPath: c.hostPath ?? false,
    nfs: c.nfs ?? false,
    podSecurityLevel: c.hostPath ? 'privileged' : c.nfs ? 'baseline' : 'restricted',
    objects: Testing.synth(chart) as KubeObject[],
  };
}

let cached: Corpus | undefined;

/** Builds (once per process) and returns the corpus. */
export function buildCorpus(): Corpus {
  if (!cached) {
    const entries = CASES.map(synthCase);
    cached = {
      entries,
      objects: entries.flatMap((e) => e.objects),
      secretValues: [...Object.values(SECRETS), GCS_JSON_KEY],
      secretKeys: SECRET_KEYS,
    };
  }
  return cached;
}

/** The pod templates of an entry's workloads. */
export function podTemplates(entry: CorpusEntry): Array<{ object: KubeObject; spec: any; metadata: any }> {
  return entry.objects
    .filter((o) => ['StatefulSet', 'Deployment', 'DaemonSet', 'Job', 'ReplicaSet', 'CronJob'].includes(o.kind) || o.kind === 'Pod')
    .map((o) => {
      if (o.kind === 'Pod') return { object: o, spec: o.spec, metadata: o.metadata };
      const template = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : o.spec.template;
      return { object: o, spec: template.spec, metadata: template.metadata };
    });
}
