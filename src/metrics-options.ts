import { Duration } from 'cdk8s';

/**
 * Prometheus metrics of an instance: a `metrics` sidecar (postgres_exporter) beside PostgreSQL in every member's
 * pod, with the library's queries for what an SRE alerts on (archiving failures, segments waiting to be
 * archived, seconds since the last archived segment, the last scheduled base backup), and optionally a
 * ServiceMonitor and a PrometheusRule for the Prometheus Operator. The README lists every metric and
 * example alert expressions.
 *
 * @see https://github.com/prometheus-community/postgres_exporter
 * @see https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ARCHIVER-VIEW
 */
export interface MetricsOptions {
  /**
   * The exporter image: a postgres_exporter that reads `DATA_SOURCE_NAME` and `PG_EXPORTER_EXTEND_QUERY_PATH`
   * and listens on port 9187 (every release from 0.4 does). One line, no spaces.
   *
   * @default - the version's `exporterImage` (`kubedb/postgres_exporter:v0.4.7` for the KubeDB catalog,
   *   `quay.io/prometheuscommunity/postgres-exporter:v0.17.1` for the modern versions)
   */
  readonly image?: string;
  /**
   * Make a ServiceMonitor `<name>` (monitoring.coreos.com/v1) that scrapes every member's exporter through the
   * headless Service `<name>-pods` (its port `metrics`). Needs the Prometheus Operator's CRDs in the cluster.
   *
   * @default false
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
   */
  readonly serviceMonitor?: boolean;
  /**
   * How often Prometheus scrapes the exporter (the ServiceMonitor's endpoint `interval`). Whole seconds, at
   * least 1; only with `serviceMonitor`.
   *
   * @default - Prometheus's own scrape interval
   */
  readonly scrapeInterval?: Duration;
  /**
   * Make a PrometheusRule `<name>` (monitoring.coreos.com/v1) with the library's alerts: WAL archiving
   * failing, WAL archiving stalled, base backups failing or stale (older than twice the base backup interval). Needs
   * the Prometheus Operator's CRDs in the cluster.
   *
   * @default false
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule
   */
  readonly alertRules?: boolean;
}
