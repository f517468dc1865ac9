// Prometheus metrics of an instance (the `metrics` option): the exporter container of every member's pod, its
// queries (a file of the ConfigMap), and the ServiceMonitor and PrometheusRule, built with the L1 classes that
// `npx projen import:crds` generates from the Prometheus Operator's CRDs (src/_imports).
import { Construct } from 'constructs';
import { hasPostgresFeature } from './_capabilities';
import { checkImage } from './_custom-version';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr, ServiceMonitor } from './_imports/monitoring.coreos.com';
import { DEFAULT_DATABASE, METRICS_PORT, METRICS_QUERIES_KEY, PATHS, PORT, REPORT_FILES, SUPERUSER } from './_pod-contract';
import { checkLabelKey, checkLabelValue, checkWholeSeconds, invalid, optionalBoolean } from './_validation';
import { MetricsOptions } from './metrics-options';
import { PostgresVersion } from './postgres-version';

/** The fields of MetricsOptions: a field it does not have is refused (it would be ignored). */
const FIELDS = ['image', 'serviceMonitor', 'scrapeInterval', 'alertRules', 'labels'];
/** Prometheus marks a series stale after 5 minutes without a sample: a longer scrape interval makes every series flap. */
const MAX_SCRAPE_SECONDS = 300;

/** What the `metrics` option asks for, checked. */
export interface MetricsPlan {
  readonly image: string;
  readonly serviceMonitor: boolean;
  /** Seconds, or undefined: Prometheus's own interval. */
  readonly scrapeInterval?: number;
  readonly alertRules: boolean;
  /** The labels of the ServiceMonitor and the PrometheusRule besides the instance's. */
  readonly labels: Record<string, string>;
}

/** Checks the `metrics` option; undefined when it is not set. */
export function checkMetrics(scope: Construct, given: MetricsOptions | undefined, version: PostgresVersion): MetricsPlan | undefined {
  if (given === undefined) {
    return undefined;
  }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    invalid(scope, 'metrics', given, 'expected MetricsOptions such as {} (the exporter only) or { serviceMonitor: true, alertRules: true }');
  }
  for (const [k, v] of Object.entries(given)) {
    if (!FIELDS.includes(k)) {
      invalid(scope, `metrics.${k}`, v, `expected a field of MetricsOptions: ${FIELDS.join(', ')}`);
    }
  }
  let image = version.exporterImage;
  if (given.image !== undefined) {
    checkImage(scope.node.path, 'metrics.image', given.image);
    image = given.image;
  }
  const serviceMonitor = optionalBoolean(scope, 'metrics.serviceMonitor', given.serviceMonitor) ?? false;
  let scrapeInterval: number | undefined;
  if (given.scrapeInterval !== undefined) {
    const expected = `expected a Duration of whole seconds from 1 to ${MAX_SCRAPE_SECONDS}, such as Duration.seconds(30) (Prometheus marks a series stale after 5 minutes without a sample)`;
    scrapeInterval = checkWholeSeconds(scope, 'metrics.scrapeInterval', given.scrapeInterval, expected);
    if (scrapeInterval > MAX_SCRAPE_SECONDS) {
      invalid(scope, 'metrics.scrapeInterval', given.scrapeInterval, expected);
    }
    if (!serviceMonitor) {
      invalid(scope, 'metrics.scrapeInterval', given.scrapeInterval, 'expected no scrapeInterval without serviceMonitor: true (it is the ServiceMonitor\'s scrape interval)');
    }
  }
  const alerts = optionalBoolean(scope, 'metrics.alertRules', given.alertRules) ?? false;
  if (alerts && !serviceMonitor) {
    invalid(scope, 'metrics.alertRules', true, 'expected serviceMonitor: true with alertRules: the alerts select this instance\'s series by the `service` '
      + 'label that the ServiceMonitor\'s scrape adds; with your own scrape configuration, write your own rules (the README has the expressions)');
  }
  return { image, serviceMonitor, scrapeInterval, alertRules: alerts, labels: checkMonitoringLabels(scope, given.labels) };
}

/** metrics.labels: label keys and values, none of the library's own (which the objects carry anyway). */
function checkMonitoringLabels(scope: Construct, given: unknown): Record<string, string> {
  if (given === undefined) {
    return {};
  }
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    invalid(scope, 'metrics.labels', given, 'expected labels such as { release: "kube-prometheus-stack" }');
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    if (k.startsWith('app.kubernetes.io/')) {
      invalid(scope, 'metrics.labels', k, 'expected a label the library does not set: it sets the app.kubernetes.io/ labels of the instance on every object');
    }
    labels[checkLabelKey(scope, 'metrics.labels', k)] = checkLabelValue(scope, `metrics.labels.${k}`, v);
  }
  return labels;
}

/** One custom query of postgres_exporter: its metrics are `<key>_<column>`. */
interface Query {
  readonly key: string;
  readonly sql: string;
  readonly columns: ReadonlyArray<{ readonly name: string; readonly usage: 'GAUGE' | 'COUNTER'; readonly description: string }>;
}

/** The status directory of the archiver, relative to PGDATA: pg_xlog before PostgreSQL 10. */
function archiveStatusDir(version: PostgresVersion): string {
  return `${hasPostgresFeature(version, 'walDirectoryPgWal') ? 'pg_wal' : 'pg_xlog'}/archive_status`;
}

/**
 * The library's queries. Each works from PostgreSQL 9.6 on (pg_stat_archiver, pg_ls_dir and pg_read_file of a
 * path relative to PGDATA, for the superuser the exporter connects as), on a primary and on a hot standby.
 */
export function metricsQueries(version: PostgresVersion): Query[] {
  const f = REPORT_FILES.backupStatus;
  return [
    {
      key: 'pg_walg_server',
      sql: 'SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END AS in_recovery',
      columns: [{ name: 'in_recovery', usage: 'GAUGE', description: '1 while the server is in recovery (a hot standby, or a restore replaying), 0 on a primary' }],
    },
    {
      key: 'pg_walg_archiver',
      sql: 'SELECT archived_count, failed_count, '
        + 'coalesce(extract(epoch FROM last_archived_time), 0) AS last_archived_time_seconds, '
        + 'coalesce(extract(epoch FROM last_failed_time), 0) AS last_failed_time_seconds, '
        + 'CASE WHEN last_failed_time > coalesce(last_archived_time, \'-infinity\') THEN 1 ELSE 0 END AS failing, '
        + 'extract(epoch FROM now() - coalesce(last_archived_time, pg_postmaster_start_time())) AS seconds_since_last_archived '
        + 'FROM pg_stat_archiver',
      columns: [
        { name: 'archived_count', usage: 'COUNTER', description: 'WAL files archived (wal-g wal-push succeeded) since the statistics were reset' },
        { name: 'failed_count', usage: 'COUNTER', description: 'failed attempts to archive a WAL file since the statistics were reset' },
        { name: 'last_archived_time_seconds', usage: 'GAUGE', description: 'when the last WAL file was archived, Unix seconds (0: none yet)' },
        { name: 'last_failed_time_seconds', usage: 'GAUGE', description: 'when the last archiving attempt failed, Unix seconds (0: none yet)' },
        { name: 'failing', usage: 'GAUGE', description: '1 while the last archiving attempt failed (no success since the last failure), else 0' },
        { name: 'seconds_since_last_archived', usage: 'GAUGE', description: 'seconds since the last WAL file was archived, or since the server started when none was' },
      ],
    },
    {
      key: 'pg_walg_archive_status',
      sql: `SELECT count(*) AS ready_segments FROM pg_ls_dir('${archiveStatusDir(version)}') AS f WHERE f LIKE '%.ready'`,
      columns: [{ name: 'ready_segments', usage: 'GAUGE', description: 'WAL files waiting to be archived (.ready files in archive_status)' }],
    },
    reportFileQuery('pg_walg_backup', f, '^[01] [0-9]+ [0-9]+ -?[0-9]+ [0-9]+$', [
      { name: 'last_result', usage: 'GAUGE', description: 'the last base backup of this member\'s walg-backup sidecar (or first start): 1 pushed, 0 failed' },
      { name: 'last_end_time_seconds', usage: 'GAUGE', description: 'when the last base backup attempt ended, Unix seconds' },
      { name: 'last_success_time_seconds', usage: 'GAUGE', description: 'when the last base backup that was pushed ended, Unix seconds (0: none since the member began)' },
      { name: 'last_duration_seconds', usage: 'GAUGE', description: 'seconds the last base backup attempt took' },
      { name: 'count', usage: 'GAUGE', description: 'base backups in the archive after the last attempt (and its retention)' },
    ]),
    reportFileQuery('pg_walg_wal_verify', REPORT_FILES.walVerifyStatus, '^-?[0-2] -?[0-2] [0-9]+ [0-9]+ -?[0-9]+ [0-9]+ [0-9]+$', [
      { name: 'integrity', usage: 'GAUGE', description: 'the last WAL chain check (wal-g wal-verify integrity) of the primary\'s walg-backup sidecar: 0 OK (segments not archived yet aside), 2 FAILURE (segments lost), -1 it did not run' },
      { name: 'timeline', usage: 'GAUGE', description: 'the last timeline check (wal-g wal-verify timeline): 0 OK, 1 WARNING (undetermined), 2 FAILURE (the archive holds a higher timeline than the server\'s), -1 it did not run' },
      { name: 'last_end_time_seconds', usage: 'GAUGE', description: 'when the last WAL chain check ended, Unix seconds' },
      { name: 'last_ok_time_seconds', usage: 'GAUGE', description: 'when the last WAL chain check that found no segment lost and the timeline OK ended, Unix seconds (0: none since the member began)' },
      { name: 'last_duration_seconds', usage: 'GAUGE', description: 'seconds the last WAL chain check took' },
      { name: 'lost_segments', usage: 'GAUGE', description: 'WAL segments the last check found lost: missing from the archive and older than the last one PostgreSQL counts as archived' },
      { name: 'pending_segments', usage: 'GAUGE', description: 'WAL segments the last check found missing but newer than the last one PostgreSQL counts as archived (not archived yet: archiving lags)' },
    ]),
  ];
}

/**
 * A query of a report file the scripts write in PGDATA (REPORT_FILES): one line of numbers, the columns in order,
 * read with pg_read_file (missing_ok: no file, no row) and taken only when the whole line matches `pattern`.
 */
function reportFileQuery(key: string, file: string, pattern: string, columns: Query['columns']): Query {
  const fields = columns.map((c, i) => `split_part(s, ' ', ${i + 1})::float8 AS ${c.name}`).join(', ');
  return {
    key,
    sql: `SELECT ${fields} FROM (SELECT btrim(pg_read_file('${file}', 0, 256, true), E' \\n') AS s) AS status WHERE s ~ '${pattern}'`,
    columns,
  };
}

/** The queries as postgres_exporter's YAML (PG_EXPORTER_EXTEND_QUERY_PATH): JSON strings, which YAML reads as they are. */
export function renderMetricsQueries(version: PostgresVersion): string {
  const lines = [`# ${METRICS_QUERIES_KEY} (cdk8s-postgres-walg): the metrics exporter's queries.`];
  for (const q of metricsQueries(version)) {
    lines.push(`${q.key}:`, `  query: ${JSON.stringify(q.sql)}`, '  metrics:');
    for (const c of q.columns) {
      lines.push(`    - ${c.name}:`, `        usage: ${JSON.stringify(c.usage)}`, `        description: ${JSON.stringify(c.description)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The exporter container: the image's own entrypoint, the pod's socket, the ConfigMap's queries. */
export function exporterContainer(
  plan: MetricsPlan, pullPolicy: string, securityContext: object, configMount: object, runMount: object,
): Record<string, unknown> {
  return {
    name: 'metrics',
    image: plan.image,
    imagePullPolicy: pullPolicy,
    env: [
      // The pod's own socket directory: pg_hba.conf trusts local connections (the pod itself), so no password.
      { name: 'DATA_SOURCE_NAME', value: `host=${PATHS.run} port=${PORT} user=${SUPERUSER} dbname=${DEFAULT_DATABASE} sslmode=disable` },
      { name: 'PG_EXPORTER_EXTEND_QUERY_PATH', value: `${PATHS.config}/${METRICS_QUERIES_KEY}` },
    ],
    ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
    resources: {
      requests: { 'cpu': '10m', 'memory': '32Mi', 'ephemeral-storage': '16Mi' },
      limits: { 'cpu': '200m', 'memory': '128Mi', 'ephemeral-storage': '64Mi' },
    },
    securityContext,
    volumeMounts: [configMount, runMount],
  };
}

/** Where the monitoring objects go and what they select. */
export interface MonitoringTarget {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  /** The headless Service, whose `metrics` port the ServiceMonitor scrapes. */
  readonly headlessService: string;
  /** The scheduled base backups' interval in seconds, when the instance archives (undefined: it does not). */
  readonly backupInterval?: number;
  /** The WAL chain check's interval in seconds, when it runs (undefined: it does not). */
  readonly walVerifyInterval?: number;
  /** The restore drill, when the instance has one: its CronJob's name and its time bound in seconds. */
  readonly drill?: { readonly cronJobName: string; readonly timeoutSeconds: number };
}

/** The ServiceMonitor and the PrometheusRule the plan asks for. */
export function addMonitoring(scope: Construct, plan: MetricsPlan, target: MonitoringTarget): void {
  if (plan.serviceMonitor) {
    new ServiceMonitor(scope, 'ServiceMonitor', {
      metadata: { name: target.name, labels: { ...plan.labels, ...target.labels } },
      spec: {
        selector: { matchLabels: target.selector },
        endpoints: [{ port: 'metrics', interval: plan.scrapeInterval === undefined ? undefined : `${plan.scrapeInterval}s` }],
      },
    });
  }
  if (plan.alertRules) {
    new PrometheusRule(scope, 'PrometheusRule', {
      metadata: { name: target.name, labels: { ...plan.labels, ...target.labels } },
      spec: { groups: [{ name: `cdk8s-postgres-walg.${target.name}`, rules: alertRules(target) }] },
    });
  }
}

/**
 * The library's alerts, on the series of this instance's members (its headless Service, and namespace when known). The
 * exporter's own health first, since every other alert is silent without its series; the archiving alerts and the
 * backup alerts only for an instance that archives.
 */
/** One alerting rule of the PrometheusRule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: PrometheusRuleSpecGroupsRulesExpr;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export function alertRules(target: MonitoringTarget): AlertRule[] {
  const sel = `{${target.namespace === undefined ? '' : `namespace=${JSON.stringify(target.namespace)}, `}service=${JSON.stringify(target.headlessService)}}`;
  // An alert on a series names the member's pod and the value; one on an absent series has neither.
  const rule = (alert: string, expr: string, forDuration: string, severity: string, summary: string, description?: string): AlertRule => ({
    alert,
    expr: PrometheusRuleSpecGroupsRulesExpr.fromString(expr),
    for: forDuration,
    labels: { severity },
    annotations: {
      summary: `${target.name}: ${summary}`,
      description: description ?? (expr.startsWith('absent(') ? `${target.name}: ${summary}` : `{{ $labels.pod }}: ${summary} (value: {{ $value }})`),
    },
  });
  const rules = [
    rule('PostgresMetricsAbsent', `absent(up${sel})`, '10m', 'warning',
      'no exporter of this instance is scraped (is the ServiceMonitor selected by Prometheus?): the other alerts cannot fire'),
    rule('PostgresMetricsDown', `up${sel} == 0`, '10m', 'warning', 'the metrics exporter cannot be scraped'),
    rule('PostgresExporterCannotQuery', `pg_up${sel} == 0`, '5m', 'warning', 'the metrics exporter cannot query PostgreSQL: the pg_walg_* series are missing'),
  ];
  if (target.backupInterval !== undefined) {
    const stale = 2 * target.backupInterval;
    rules.push(
      rule('PostgresWalArchivingFailing', `pg_walg_archiver_failing${sel} == 1`, '5m', 'critical',
        'WAL archiving is failing: WAL stays in pg_wal until it succeeds, and a restore would end at the last archived segment'),
      rule('PostgresWalArchivingBehind', `pg_walg_archive_status_ready_segments${sel} >= 4`, '15m', 'warning',
        'WAL segments are waiting to be archived: archiving is too slow or hanging'),
      rule('PostgresBaseBackupFailed', `pg_walg_backup_last_result${sel} == 0`, '0m', 'warning',
        'the last scheduled base backup failed (see the walg-backup container\'s log)'),
      rule('PostgresBaseBackupStale', `time() - pg_walg_backup_last_success_time_seconds${sel} > ${stale} and pg_walg_backup_last_success_time_seconds${sel} > 0`, '0m', 'warning',
        `no base backup was pushed in ${stale} s (twice baseBackupInterval): restores replay ever more WAL`),
      rule('PostgresBaseBackupNotReported', `absent(pg_walg_backup_last_result${sel})`, `${stale}s`, 'warning',
        `no member has reported a base backup for ${stale} s (twice baseBackupInterval): the member that pushes them is down, or has pushed none since it began`),
    );
  }
  if (target.walVerifyInterval !== undefined) {
    const late = 3 * target.walVerifyInterval;
    rules.push(
      rule('PostgresWalChainBroken', `pg_walg_wal_verify_lost_segments${sel} > 0`, '0m', 'critical',
        'the WAL chain check found WAL segments lost from the archive: a restore cannot replay past the first of them (see the walg-backup container\'s log); push a base backup'),
      rule('PostgresWalTimelineConflict', `pg_walg_wal_verify_timeline${sel} == 2`, '0m', 'critical',
        'the archive holds WAL of a higher timeline than the primary\'s: another server archives into this location'),
      rule('PostgresWalChainCheckStale', `time() - pg_walg_wal_verify_last_ok_time_seconds${sel} > ${late} and pg_walg_wal_verify_last_ok_time_seconds${sel} > 0`, '0m', 'warning',
        `no WAL chain check has passed in ${late} s (three times walVerifyInterval): it fails or cannot run (see the walg-backup container's log)`),
      rule('PostgresWalChainCheckNotRunning', `pg_walg_wal_verify_integrity${sel} == -1`, `${late}s`, 'warning',
        `the WAL chain check has not run for ${late} s (three times walVerifyInterval): wal-g wal-verify fails (see the walg-backup container's log)`),
      rule('PostgresWalChainCheckNotReported', `absent(pg_walg_wal_verify_integrity${sel})`, `${late}s`, 'warning',
        `the primary has reported no WAL chain check for ${late} s (three times walVerifyInterval): its walg-backup sidecar is down`),
    );
  }
  if (target.drill !== undefined) {
    rules.push(...drillAlerts(target, target.drill, rule));
  }
  return rules;
}

/**
 * The restore drill's alerts, on kube-state-metrics' series of its CronJob (labels `namespace` and `cronjob`): the
 * drill cannot write to the live pod's PGDATA, so its outcome is its Job's status. `kube_cronjob_status_last_schedule_time`
 * is when the last drill started, `kube_cronjob_status_last_successful_time` when the last one that succeeded ended (absent
 * until one has): a drill that started and has not succeeded within its time bound failed (or is still failing: the alert
 * stays until a drill succeeds).
 */
function drillAlerts(
  target: MonitoringTarget, drill: NonNullable<MonitoringTarget['drill']>, rule: (alert: string, expr: string, forDuration: string, severity: string, summary: string, description?: string) => AlertRule,
): AlertRule[] {
  const sel = `{${target.namespace === undefined ? '' : `namespace=${JSON.stringify(target.namespace)}, `}cronjob=${JSON.stringify(drill.cronJobName)}}`;
  const t = drill.timeoutSeconds;
  const where = `the restore drill ${drill.cronJobName}`;
  const see = '(kubectl logs job/<its last Job>: the line "pg-walg-restore-drill: result=failed" says the step and the reason)';
  return [
    rule('PostgresRestoreDrillFailed', `kube_cronjob_status_last_successful_time${sel} < kube_cronjob_status_last_schedule_time${sel}`, `${t}s`, 'critical',
      `the last scheduled restore drill did not succeed within its time bound (${t} s): the archive may not restore ${see}`,
      `{{ $labels.namespace }}/{{ $labels.cronjob }}: ${where} last succeeded before its last scheduled run, which has not succeeded in ${t} s`),
    rule('PostgresRestoreDrillNeverSucceeded', `kube_cronjob_status_last_schedule_time${sel} unless kube_cronjob_status_last_successful_time${sel}`, `${t}s`, 'critical',
      `no restore drill has succeeded since the first one started (${t} s ago or more): the archive may not restore ${see}`,
      `{{ $labels.namespace }}/{{ $labels.cronjob }}: ${where} has run and never succeeded`),
    rule('PostgresRestoreDrillNotMonitored', `absent(kube_cronjob_info${sel})`, '1h', 'warning',
      `kube-state-metrics reports no CronJob ${drill.cronJobName}: the restore drill's alerts cannot fire (is kube-state-metrics scraped, and the CronJob applied?)`),
  ];
}
