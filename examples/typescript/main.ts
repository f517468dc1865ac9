// The example app: an archiving PostgreSQL and a point-in-time copy restored from its archive.
// `npx projen example` synthesizes it into dist/example; the Python, Java and Go examples write the
// same app with the jsii bindings.
import { App, Chart } from 'cdk8s';
import { ArchivingPostgres, PostgresVersion, S3Credentials, SuperuserPassword, WalRestoredPostgres, WalStorage } from '../../src';

const app = new App({ outdir: process.env.CDK8S_OUTDIR ?? 'dist/example' });
const chart = new Chart(app, 'orders', { namespace: 'shop', disableResourceNameHashes: true });

// The archive: a MinIO bucket; the credentials stay in a Secret you create
// (kubectl create secret generic minio-walg --from-literal=AWS_ACCESS_KEY_ID=… --from-literal=AWS_SECRET_ACCESS_KEY=…).
const archive = WalStorage.minio(PostgresVersion.V11_2_V1, {
  bucket: 'walg',
  prefix: 'shop/orders',
  endpoint: 'https://minio.storage.svc:9000',
  credentials: S3Credentials.fromSecret('minio-walg'),
});

new ArchivingPostgres(chart, 'orders', {
  name: 'orders',
  storage: archive,
  superuserPassword: SuperuserPassword.fromSecret('orders-auth'),
  storageSize: '20Gi',
});

// A copy of the database as it was at 10:00 UTC, archiving onward to its own prefix.
new WalRestoredPostgres(chart, 'orders-copy', {
  name: 'orders-copy',
  source: archive,
  recoveryTarget: { time: '2026-11-23T10:00:00Z' },
  archive: WalStorage.minio(PostgresVersion.V11_2_V1, {
    bucket: 'walg',
    prefix: 'shop/orders-copy',
    endpoint: 'https://minio.storage.svc:9000',
    credentials: S3Credentials.fromSecret('minio-walg'),
  }),
  superuserPassword: SuperuserPassword.fromSecret('orders-copy-auth'),
});

app.synth();
