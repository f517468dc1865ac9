import { Cron, Duration, Size } from 'cdk8s';
import { PostgresResources } from './postgres-options';

/**
 * A scheduled restore drill of an instance's archive (`restoreDrill`): a CronJob `<name>-restore-drill` whose
 * Job restores the archive's newest base backup (`LATEST`) into a scratch volume, replays its WAL to the end of
 * the archive, runs a check query on the restored server and reports the outcome — without touching the live
 * database and without writing to the archive.
 *
 * The Job's pod runs the database's image (and, for the modern versions, the same `walg-install` init
 * container) with the database's pod and container security contexts (Pod Security Standard "restricted"),
 * the instance's ConfigMap (scripts, `postgresql.conf`, the archive's WAL-G settings) and the archive's
 * credential and encryption Secrets, read-only; a Local archive's volume is mounted read-only. Its server
 * listens on its socket only (`listen_addresses = ''`), never archives (`archive_mode = off`), and needs no
 * password. It prints one line with the stable prefix `pg-walg-restore-drill:` (`result=passed` or
 * `result=failed`, the step, the base backup, the timeline and where replay ended, the duration and the reason) and exits 0 or
 * 1, so the Job succeeds or fails; kube-state-metrics exports that as the CronJob's and the Job's status, which
 * the alerts of `metrics.alertRules` watch (see the README's "Restore drills").
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
 * @see https://www.postgresql.org/docs/current/continuous-archiving.html#BACKUP-PITR-RECOVERY
 * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-fetch
 */
export interface RestoreDrillOptions {
  /**
   * When the drill runs (the CronJob's `schedule`), e.g. `Cron.schedule({ minute: '30', hour: '3', weekDay: '0' })`
   * for 03:30 every Sunday. A drill fetches a whole base backup and replays the WAL since: schedule it when the
   * storage and the node have room for that, and less often than it takes. A drill that is still running when the
   * next one is due keeps running, and that one is skipped (`concurrencyPolicy: Forbid`).
   *
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
   */
  readonly schedule: Cron;
  /**
   * The time zone of `schedule`, as an IANA time zone name such as "Europe/Berlin" (the CronJob's `timeZone`,
   * Kubernetes 1.27 and later).
   *
   * @default - the time zone of the kube-controller-manager (often UTC)
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
   */
  readonly timeZone?: string;
  /**
   * The size of the scratch volume that holds the restored PGDATA and the WAL replayed (a `Size`, at least
   * 1 GiB): room for the base backup restored and `max_wal_size` of WAL. A drill that outgrows an `emptyDir`'s
   * `sizeLimit` is evicted by the kubelet (the Job fails); one that fills a claim fails with "No space left on
   * device" in its log.
   *
   * @default - the instance's `storageSize` (10Gi unless set)
   */
  readonly scratchSize?: Size;
  /**
   * The StorageClass of the scratch volume. When set, the scratch volume is a generic ephemeral volume (a
   * PersistentVolumeClaim of this class and `scratchSize`, made for the drill's pod and deleted with it); when
   * not, an `emptyDir` on the node's disk whose `sizeLimit` is `scratchSize`. A DNS-1123 subdomain.
   *
   * @default - an emptyDir on the node
   * @see https://kubernetes.io/docs/concepts/storage/ephemeral-volumes/#generic-ephemeral-volumes
   */
  readonly scratchStorageClassName?: string;
  /**
   * The check that the restored server must pass once recovery has ended: SQL run with `psql -v ON_ERROR_STOP=1`
   * as the superuser over the drill's own socket, in the database `postgres`; the drill fails when it errors.
   * For example `SELECT count(*) FROM orders` (fails if the table is missing), or a query that raises an error
   * when a condition does not hold. It is a psql script (`psql -f`): several statements run one after the other,
   * and `\connect orders` first runs them in another database. Not empty, without a NUL byte, at most 64 KiB. It
   * runs on the drill's copy only, never on the live database.
   *
   * @default "SELECT 1": the restored server starts and answers
   * @see https://www.postgresql.org/docs/current/app-psql.html
   */
  readonly checkQuery?: string;
  /**
   * How long one drill may take in all (the Job's `activeDeadlineSeconds`): the fetch, the replay and the check.
   * A drill that runs longer is stopped and its Job fails (reason `DeadlineExceeded`). Whole seconds, at least
   * 60.
   *
   * @default Duration.hours(6)
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
   */
  readonly timeout?: Duration;
  /**
   * CPU and memory of the drill's container (Kubernetes quantities).
   *
   * @default - the instance's `resources` (requests 250m CPU and 512Mi memory, limits 1 CPU and 1Gi memory unless set)
   */
  readonly resources?: PostgresResources;
}
