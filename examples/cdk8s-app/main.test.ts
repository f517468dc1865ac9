import { Testing } from 'cdk8s';
import { OrdersChart } from './main';

describe('OrdersChart', () => {
  // The manifests as cdk8s writes them, as objects, without writing files.
  const manifests = Testing.synth(new OrdersChart(Testing.app(), 'orders'));
  const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);

  test('the manifests are the reviewed ones', () => {
    // The first run writes __snapshots__/main.test.ts.snap; commit it. A change to the chart, or a new
    // release of cdk8s-postgres-walg that changes what it writes, fails here until `jest -u` and review.
    expect(manifests).toMatchSnapshot();
  });

  test('orders archives its WAL to its own prefix', () => {
    const config = find('ConfigMap', 'orders-config');
    expect(config.data['postgresql.conf']).toContain("archive_command = 'wal-g wal-push %p'");
    expect(config.data['archive.env']).toContain('WALE_S3_PREFIX=s3://walg/shop/orders\n');
  });

  test('orders-copy restores from the orders archive to 10:00 UTC', () => {
    const config = find('ConfigMap', 'orders-copy-config');
    expect(config.data['restore.env']).toContain('WALE_S3_PREFIX=s3://walg/shop/orders\n');
    expect(config.data['recovery-settings.conf']).toContain("recovery_target_time = '2026-11-23 10:00:00+00'");
  });

  test('no Secret is written: the passwords and storage keys are Secrets you create', () => {
    expect(manifests.filter((m) => m.kind === 'Secret')).toEqual([]);
  });
});
