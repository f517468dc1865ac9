// The example app (examples/typescript/main.ts) as `cdk8s init typescript-app` lays out an app: this
// file, cdk8s.yaml and package.json. `cdk8s synth` runs it and writes dist/orders.k8s.yaml, the same
// YAML as the example's; main.test.ts snapshot-tests the chart.
import { App, Chart, ChartProps } from 'cdk8s';
import { ArchivingPostgres, PostgresVersion, S3Credentials, SuperuserPassword, WalRestoredPostgres, WalStorage } from 'cdk8s-postgres-walg';
import { Construct } from 'constructs';

// An archiving PostgreSQL and a point-in-time copy restored from its archive.
export class OrdersChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = {}) {
    super(scope, id, { namespace: 'shop', disableResourceNameHashes: true, ...props });

    // The archive: a MinIO bucket; the credentials stay in a Secret you create
    // (kubectl create secret generic minio-walg --from-literal=AWS_ACCESS_KEY_ID=… --from-literal=AWS_SECRET_ACCESS_KEY=…).
    const archive = WalStorage.minio(PostgresVersion.V11_2_V1, {
      bucket: 'walg',
      prefix: 'shop/orders',
      endpoint: 'https://minio.storage.svc:9000',
      credentials: S3Credentials.fromSecret('minio-walg'),
    });

    new ArchivingPostgres(this, 'orders', {
      name: 'orders',
      storage: archive,
      superuserPassword: SuperuserPassword.fromSecret('orders-auth'),
      storageSize: '20Gi',
    });

    // A copy of the database as it was at 10:00 UTC, archiving onward to its own prefix.
    new WalRestoredPostgres(this, 'orders-copy', {
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
  }
}

// Only when run (`cdk8s synth`, `npx ts-node main.ts`): a test that imports OrdersChart writes nothing.
if (require.main === module) {
  const app = new App();
  new OrdersChart(app, 'orders');
  app.synth();
}
