// The `metrics` option (src/_metrics.ts, src/metrics-options.ts): off by default (nothing changes); on, a `metrics`
// container (postgres_exporter) in every member's pod with the library's queries in the ConfigMap, the exporter's
// port on the headless Service and in the NetworkPolicy; optionally a ServiceMonitor and a PrometheusRule made with
// the L1 classes imported from the Prometheus Operator's CRDs. The queries run against real PostgreSQL in the e2e
// scenario `metrics`.
import { Chart, Duration } from 'cdk8s';
import { Pods } from 'cdk8s-plus-27';
import { parse } from 'yaml';
import { ArchivingPostgres, MetricsOptions, PostgresInstanceOptions, PostgresVersion, WalProvider, WalRestoredPostgres } from '../src';
import { container, envOf, find, forSnapshot, newChart, Obj, storageFor, synth } from './util';
import { CATALOG, EXPORTER_IMAGE, MODERN_EXPORTER_IMAGE } from '../src/_catalog';
import { metricsQueries, renderMetricsQueries } from '../src/_metrics';

function orders(props: Partial<PostgresInstanceOptions> & { baseBackupInterval?: Duration } = {}, version = PostgresVersion.V17): Obj[] {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, version), ...props });
  return synth(chart);
}
const containersOf = (objs: Obj[], sts: string) => find(objs, 'StatefulSet', sts).spec.template.spec.containers.map((c: any) => c.name);

test('without metrics: no exporter, no queries, no metrics port, no ServiceMonitor or PrometheusRule', () => {
  const objs = orders();
  expect(containersOf(objs, 'orders')).toEqual(['postgres', 'walg-backup']);
  expect(Object.keys(find(objs, 'ConfigMap').data)).not.toContain('metrics-queries.yaml');
  expect(find(objs, 'Service', 'orders-pods').spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres' }]);
  expect(objs.filter((o) => o.metadata.name === 'orders' && ['ServiceMonitor', 'PrometheusRule'].includes(o.kind))).toEqual([]);
});

test('metrics {}: the exporter beside PostgreSQL, over the pod\'s socket, with the queries of the ConfigMap', () => {
  const objs = orders({ metrics: {} });
  expect(containersOf(objs, 'orders')).toEqual(['postgres', 'walg-backup', 'metrics']);
  const c = container(objs, 'orders', 'metrics');
  expect(c.image).toBe(MODERN_EXPORTER_IMAGE);
  expect(c.command).toBeUndefined();
  // No readiness probe: a failing exporter must not take the database out of its Services (a pod is ready only when
  // every container is).
  expect(c.readinessProbe).toBeUndefined();
  expect(envOf(c)).toEqual({
    DATA_SOURCE_NAME: 'host=/var/run/postgresql port=5432 user=postgres dbname=postgres sslmode=disable',
    PG_EXPORTER_EXTEND_QUERY_PATH: '/etc/pg-walg/config/metrics-queries.yaml',
  });
  expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9187, protocol: 'TCP' }]);
  expect(c.volumeMounts).toEqual([
    { name: 'config', mountPath: '/etc/pg-walg/config', readOnly: true },
    { name: 'run', mountPath: '/var/run/postgresql' },
  ]);
  // As strict as the database's own containers: no secret mounted, nothing written.
  expect(c.securityContext).toEqual(container(objs, 'orders').securityContext);
  expect(JSON.stringify(c)).not.toMatch(/secret|password/i);
  expect(find(objs, 'ConfigMap').data['metrics-queries.yaml']).toBe(renderMetricsQueries(PostgresVersion.V17));
  expect(find(objs, 'Service', 'orders-pods').spec.ports).toEqual([
    { name: 'postgres', port: 5432, targetPort: 'postgres' },
    { name: 'metrics', port: 9187, targetPort: 'metrics' },
  ]);
  // The client Service keeps PostgreSQL only.
  expect(find(objs, 'Service', 'orders').spec.ports).toEqual([{ name: 'postgres', port: 5432, targetPort: 'postgres' }]);
});

test('the exporter image: the version\'s (KubeDB\'s for the catalog), or the one given', () => {
  expect(container(orders({ metrics: {} }, PostgresVersion.V11_2_V1), 'orders', 'metrics').image).toBe(EXPORTER_IMAGE);
  expect(container(orders({ metrics: { image: 'registry.example/pg-exporter:1' } }), 'orders', 'metrics').image).toBe('registry.example/pg-exporter:1');
});

test('with replicas, every member has its exporter (a standby reports that it is in recovery)', () => {
  const objs = orders({ metrics: {}, replicas: 3 });
  expect(containersOf(objs, 'orders')).toEqual(['postgres', 'walg-backup', 'metrics']);
  expect(containersOf(objs, 'orders-1')).toEqual(['postgres', 'metrics']);
  expect(containersOf(objs, 'orders-2')).toEqual(['postgres', 'metrics']);
});

test('a WalRestoredPostgres without an onward archive has the exporter too', () => {
  const chart = newChart();
  new WalRestoredPostgres(chart, 'copy', { name: 'copy', source: storageFor(chart, WalProvider.S3, PostgresVersion.V17), metrics: { serviceMonitor: true, alertRules: true } });
  const objs = synth(chart);
  expect(containersOf(objs, 'copy')).toEqual(['postgres', 'metrics']);
  // It archives nothing and pushes no base backups: only the exporter's own alerts.
  expect(find(objs, 'PrometheusRule').spec.groups[0].rules.map((r: any) => r.alert)).toEqual(['PostgresMetricsAbsent', 'PostgresMetricsDown', 'PostgresExporterCannotQuery']);
});

test('serviceMonitor: scrapes the port `metrics` of the instance\'s Services (only the headless one has it)', () => {
  const objs = orders({ metrics: { serviceMonitor: true, scrapeInterval: Duration.seconds(30) } });
  const sm = find(objs, 'ServiceMonitor', 'orders');
  expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(sm.metadata.namespace).toBe('db');
  expect(sm.metadata.labels).toEqual(find(objs, 'StatefulSet', 'orders').metadata.labels);
  expect(sm.spec).toEqual({
    endpoints: [{ port: 'metrics', interval: '30s' }],
    selector: { matchLabels: { 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/name': 'postgres' } },
  });
  expect(objs.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
  expect(find(orders({ metrics: { serviceMonitor: true } }), 'ServiceMonitor').spec.endpoints).toEqual([{ port: 'metrics' }]);
});

test('alertRules: the library\'s alerts on this instance\'s series, the stale-backup bound at twice baseBackupInterval', () => {
  const objs = orders({ metrics: { serviceMonitor: true, alertRules: true }, baseBackupInterval: Duration.hours(6) } as any);
  const rule = find(objs, 'PrometheusRule', 'orders');
  expect(rule.spec.groups).toHaveLength(1);
  expect(rule.spec.groups[0].name).toBe('cdk8s-postgres-walg.orders');
  const rules = Object.fromEntries(rule.spec.groups[0].rules.map((r: any) => [r.alert, r]));
  expect(Object.keys(rules)).toEqual(['PostgresMetricsAbsent', 'PostgresMetricsDown', 'PostgresExporterCannotQuery', 'PostgresWalArchivingFailing',
    'PostgresWalArchivingBehind', 'PostgresBaseBackupFailed', 'PostgresBaseBackupStale', 'PostgresBaseBackupNotReported',
    // PostgreSQL 17's WAL-G (3.0.8) has wal-verify: the WAL chain check runs hourly by default.
    'PostgresWalChainBroken', 'PostgresWalTimelineConflict', 'PostgresWalChainCheckStale', 'PostgresWalChainCheckNotRunning', 'PostgresWalChainCheckNotReported']);
  const sel = '{namespace="db", service="orders-pods"}';
  expect(rules.PostgresMetricsAbsent.expr).toBe(`absent(up${sel})`);
  expect(rules.PostgresBaseBackupNotReported).toMatchObject({ expr: `absent(pg_walg_backup_last_result${sel})`, for: '43200s' });
  expect(rules.PostgresWalArchivingFailing.expr).toBe(`pg_walg_archiver_failing${sel} == 1`);
  expect(rules.PostgresBaseBackupStale.expr).toBe(`time() - pg_walg_backup_last_success_time_seconds${sel} > 43200 and pg_walg_backup_last_success_time_seconds${sel} > 0`);
  expect(rules.PostgresWalArchivingFailing.labels).toEqual({ severity: 'critical' });
  expect(rules.PostgresWalChainBroken).toMatchObject({ expr: `pg_walg_wal_verify_lost_segments${sel} > 0`, for: '0m', labels: { severity: 'critical' } });
  expect(rules.PostgresWalTimelineConflict.expr).toBe(`pg_walg_wal_verify_timeline${sel} == 2`);
  expect(rules.PostgresWalChainCheckStale.expr).toBe(`time() - pg_walg_wal_verify_last_ok_time_seconds${sel} > 10800 and pg_walg_wal_verify_last_ok_time_seconds${sel} > 0`);
  expect(rules.PostgresWalChainCheckNotRunning).toMatchObject({ expr: `pg_walg_wal_verify_integrity${sel} == -1`, for: '10800s' });
  expect(rules.PostgresWalChainCheckNotReported).toMatchObject({ expr: `absent(pg_walg_wal_verify_integrity${sel})`, for: '10800s' });
  // Every metric an alert names is one the queries make (or Prometheus's own `up`).
  const made = new Set(metricsQueries(PostgresVersion.V17).flatMap((q) => q.columns.map((c) => `${q.key}_${c.name}`)));
  for (const r of Object.values(rules) as any[]) {
    for (const m of String(r.expr).match(/\b[a-z_]+(?=\{)/g) ?? []) {
      expect(m === 'up' || m === 'pg_up' || made.has(m)).toBe(true);
    }
  }
});

test('the WAL chain check\'s alerts follow walVerifyInterval, and are not made where no check runs', () => {
  const alerts = (version: PostgresVersion, extra: object = {}) => {
    const chart = newChart();
    new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, version), metrics: { serviceMonitor: true, alertRules: true }, ...extra });
    return find(synth(chart), 'PrometheusRule').spec.groups[0].rules.map((r: any) => [r.alert, r.expr, r.for]);
  };
  expect(alerts(PostgresVersion.V17, { walVerifyInterval: Duration.minutes(10) })).toContainEqual(['PostgresWalChainCheckNotReported', 'absent(pg_walg_wal_verify_integrity{namespace="db", service="orders-pods"})', '1800s']);
  expect(alerts(PostgresVersion.V17, { walVerify: false }).map((r: any[]) => r[0]).filter((a: string) => a.startsWith('PostgresWalChain'))).toEqual([]);
  // The catalog's KubeDB versions bundle WAL-G 0.2.13 or older: no wal-verify with named checks.
  expect(alerts(PostgresVersion.V11_2_V1).map((r: any[]) => r[0]).filter((a: string) => a.startsWith('PostgresWalChain'))).toEqual([]);
});

test('a chart without a namespace: the alerts select by the headless Service only', () => {
  const chart = new Chart(newChart().node.root as any, 'nons', { disableResourceNameHashes: true });
  new ArchivingPostgres(chart, 'orders', { name: 'orders', storage: storageFor(chart, WalProvider.S3, PostgresVersion.V17), metrics: { serviceMonitor: true, alertRules: true } });
  const rule = find(synth(chart), 'PrometheusRule');
  expect(rule.spec.groups[0].rules[0].expr).toBe('absent(up{service="orders-pods"})');
});

test('metrics.labels: on the ServiceMonitor and the PrometheusRule only, besides the instance\'s (what a Prometheus selects them by)', () => {
  const objs = orders({ metrics: { serviceMonitor: true, alertRules: true, labels: { release: 'kube-prometheus-stack' } } });
  for (const kind of ['ServiceMonitor', 'PrometheusRule']) {
    expect(find(objs, kind).metadata.labels).toEqual({ release: 'kube-prometheus-stack', ...find(objs, 'StatefulSet', 'orders').metadata.labels });
  }
  expect(find(objs, 'StatefulSet', 'orders').metadata.labels?.release).toBeUndefined();
});

test('with a NetworkPolicy, the exporter\'s port is admitted from the same peers as PostgreSQL\'s', () => {
  const chart = newChart();
  new ArchivingPostgres(chart, 'orders', {
    name: 'orders',
    storage: storageFor(chart, WalProvider.S3, PostgresVersion.V17),
    metrics: {},
    networkPolicy: { clients: [Pods.select(chart, 'prom', { labels: { app: 'prometheus' } })] },
  });
  const np = find(synth(chart), 'NetworkPolicy');
  for (const r of np.spec.ingress) {
    expect(r.ports).toEqual([{ port: 5432, protocol: 'TCP' }, { port: 9187, protocol: 'TCP' }]);
  }
});

describe.each(CATALOG.map((e) => [e.name] as const))('the queries of PostgresVersion %s', (name) => {
  const version = PostgresVersion.of(name);
  test('are YAML that postgres_exporter reads: a query and its metrics per key, each with usage and description', () => {
    const doc = parse(renderMetricsQueries(version));
    expect(Object.keys(doc)).toEqual(['pg_walg_server', 'pg_walg_archiver', 'pg_walg_archive_status', 'pg_walg_backup', 'pg_walg_wal_verify']);
    for (const q of Object.values(doc) as any[]) {
      expect(typeof q.query).toBe('string');
      for (const m of q.metrics) {
        const [col, spec] = Object.entries(m)[0] as [string, any];
        expect(q.query).toContain(col);
        expect(['GAUGE', 'COUNTER']).toContain(spec.usage);
        expect(spec.description.length).toBeGreaterThan(10);
      }
    }
  });
  test('read the archiver\'s status directory of the major (pg_xlog before 10)', () => {
    const major = Number(version.serverVersion.split('.')[0]);
    expect(doc(version).pg_walg_archive_status.query).toContain(major < 10 ? "pg_ls_dir('pg_xlog/archive_status')" : "pg_ls_dir('pg_wal/archive_status')");
  });
});
const doc = (v: PostgresVersion) => parse(renderMetricsQueries(v));

test.each<[string, unknown, string]>([
  ['not an object', 'yes', 'Invalid metrics "yes" in test/orders: expected MetricsOptions such as {} (the exporter only) or { serviceMonitor: true, alertRules: true }.'],
  ['an unknown field', { port: 9100 }, 'Invalid metrics.port 9100 in test/orders: expected a field of MetricsOptions: image, serviceMonitor, scrapeInterval, alertRules, labels.'],
  ['an image with a space', { image: 'a b' }, 'Invalid metrics.image "a b" in test/orders: expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['an image in upper case', { image: 'Quay.IO/Foo:1' }, 'Invalid metrics.image "Quay.IO/Foo:1" in test/orders: expected an image reference such as "example.com/postgres-walg:17.2": lowercase registry and path, optional :tag and @sha256:digest, no spaces.'],
  ['alertRules without serviceMonitor', { alertRules: true }, 'Invalid metrics.alertRules true in test/orders: expected serviceMonitor: true with alertRules: the alerts select this instance\'s series by the `service` label that the ServiceMonitor\'s scrape adds; with your own scrape configuration, write your own rules (the README has the expressions).'],
  ['a scrapeInterval over 5 minutes', { serviceMonitor: true, scrapeInterval: Duration.minutes(10) }, 'Invalid metrics.scrapeInterval "600 seconds" in test/orders: expected a Duration of whole seconds from 1 to 300, such as Duration.seconds(30) (Prometheus marks a series stale after 5 minutes without a sample).'],
  ['a library label', { serviceMonitor: true, labels: { 'app.kubernetes.io/name': 'x' } }, 'Invalid metrics.labels "app.kubernetes.io/name" in test/orders: expected a label the library does not set: it sets the app.kubernetes.io/ labels of the instance on every object.'],
  ['a label value with a space', { serviceMonitor: true, labels: { release: 'a b' } }, 'Invalid metrics.labels.release "a b" in test/orders: expected a Kubernetes label value: at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit.'],
  ['serviceMonitor not a boolean', { serviceMonitor: 'yes' }, 'Invalid metrics.serviceMonitor "yes" in test/orders: expected true or false.'],
  ['scrapeInterval without serviceMonitor', { scrapeInterval: Duration.seconds(30) }, 'Invalid metrics.scrapeInterval "30 seconds" in test/orders: expected no scrapeInterval without serviceMonitor: true (it is the ServiceMonitor\'s scrape interval).'],
  ['scrapeInterval not whole seconds', { serviceMonitor: true, scrapeInterval: Duration.millis(1500) }, 'Invalid metrics.scrapeInterval "1.5 seconds" in test/orders: expected a Duration of whole seconds from 1 to 300, such as Duration.seconds(30) (Prometheus marks a series stale after 5 minutes without a sample).'],
])('refused: %s', (_what, metrics, message) => {
  expect(() => orders({ metrics: metrics as MetricsOptions })).toThrow(message);
});

test('snapshot: metrics with a ServiceMonitor and alert rules', () => {
  expect(forSnapshot(orders({ metrics: { serviceMonitor: true, alertRules: true } }))).toMatchSnapshot();
});
