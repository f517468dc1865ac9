import { Duration } from 'cdk8s';

/**
 * Prometheus metrics of an instance.
 *
 * A `metrics` sidecar (postgres_exporter) beside PostgreSQL in every member's pod, with the library's queries for
 * what an SRE alerts on (archiving failures, segments waiting to be archived, seconds since the last archived
 * segment, the last scheduled base backup); optionally a ServiceMonitor and a PrometheusRule for the Prometheus
 * Operator. The README lists every metric and the alerts' expressions.
 *
 * @see https://github.com/prometheus-community/postgres_exporter
 * @see https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ARCHIVER-VIEW
 */
export interface MetricsOptions {
  /**
   * The exporter image: a postgres_exporter that reads `DATA_SOURCE_NAME` and `PG_EXPORTER_EXTEND_QUERY_PATH`
   * and listens on port 9187, as every release from 0.4 to 0.17 does (0.13 and later log that the queries file
   * is deprecated, and still read it). An image reference: lowercase registry and path, optional `:tag` and
   * `@sha256:` digest.
   *
   * @default - the version's `exporterImage` (`kubedb/postgres_exporter:v0.4.7` for the KubeDB catalog,
   *   `quay.io/prometheuscommunity/postgres-exporter:v0.17.1` for the modern versions)
   */
  readonly image?: string;
  /**
   * Make a ServiceMonitor `<name>` (monitoring.coreos.com/v1) that scrapes every member's exporter through the
   * headless Service `<name>-pods` (its port `metrics`; the instance's other Services have no such port). Needs
   * the Prometheus Operator's CRDs in the cluster, and a Prometheus whose `serviceMonitorSelector` selects it
   * (see `labels`).
   *
   * @default false
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
   */
  readonly serviceMonitor?: boolean;
  /**
   * How often Prometheus scrapes the exporter (the ServiceMonitor's endpoint `interval`). Whole seconds, from 1 to
   * 300 (Prometheus marks a series stale after 5 minutes without a sample); only with `serviceMonitor`.
   *
   * @default - Prometheus's own scrape interval
   */
  readonly scrapeInterval?: Duration;
  /**
   * Make a PrometheusRule `<name>` (monitoring.coreos.com/v1) with the library's alerts: the exporter not scraped,
   * down or unable to query PostgreSQL; and for an instance that archives, WAL archiving failing or behind, and the
   * scheduled base backups failed, stale (none pushed in twice `baseBackupInterval`) or not reported. Needs
   * `serviceMonitor` (the alerts select the series by the `service` label its scrape adds: refused without it), the
   * Prometheus Operator's CRDs, and a Prometheus whose `ruleSelector` selects it (see `labels`).
   *
   * @default false
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule
   */
  readonly alertRules?: boolean;
  /**
   * Labels of the ServiceMonitor and the PrometheusRule, besides the instance's: what your Prometheus selects them by
   * (kube-prometheus-stack's default `serviceMonitorSelector` and `ruleSelector` ask for `release: <its release>`).
   * Kubernetes label keys and values; not the `app.kubernetes.io/` labels, which the library sets.
   *
   * @default - the instance's labels only
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusSpec
   */
  readonly labels?: { [key: string]: string };
}
