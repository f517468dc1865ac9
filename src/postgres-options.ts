import { Duration } from 'cdk8s';
import { ImagePullPolicy } from 'cdk8s-plus-27';
import { SuperuserPassword } from './superuser-password';

/**
 * CPU and memory of the postgres container (Kubernetes quantities).
 *
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
 */
export interface PostgresResources {
  /** @default "250m" */
  readonly cpuRequest?: string;
  /** @default "1" */
  readonly cpuLimit?: string;
  /** @default "512Mi" */
  readonly memoryRequest?: string;
  /** @default "1Gi" */
  readonly memoryLimit?: string;
}

/** Options of every PostgreSQL instance this library synthesizes. */
export interface PostgresInstanceOptions {
  /**
   * The name of the StatefulSet, of the client Service and the prefix of the other objects' names.
   *
   * @default - derived from the construct path, unique in the app
   */
  readonly name?: string;
  /**
   * The password of the `postgres` superuser.
   *
   * @default - a Secret named "<name>-auth" that you create, with the key POSTGRES_PASSWORD
   */
  readonly superuserPassword?: SuperuserPassword;
  /**
   * The size of the data volume (a Kubernetes quantity).
   *
   * @default "10Gi"
   */
  readonly storageSize?: string;
  /**
   * The StorageClass of the data volume.
   *
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * CPU and memory of the postgres container.
   *
   * @default - requests 250m CPU and 512Mi memory, limits 1 CPU and 1Gi memory
   */
  readonly resources?: PostgresResources;
  /**
   * The image pull policy.
   *
   * @default ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /**
   * Extra labels on every object (and on the pod).
   *
   * @default - only the app.kubernetes.io labels
   */
  readonly labels?: { [key: string]: string };
  /**
   * Extra postgresql.conf parameters, e.g. `{ max_connections: '200' }`. The archiving and recovery
   * parameters are managed by the construct and cannot be set here.
   *
   * @default - none
   * @see https://www.postgresql.org/docs/current/runtime-config.html
   */
  readonly parameters?: { [name: string]: string };
  /**
   * How many times the pod tries a storage operation (listing, fetching or pushing a backup, and
   * fetching one WAL file during a restore's replay) before it fails with the last error. Bounds how long
   * a wrong prefix or wrong credentials go unnoticed. A WAL file that cannot be fetched after these
   * attempts (each bounded to 60 seconds) aborts recovery, and the restarted pod resumes replay: a
   * restore never ends early because the storage failed.
   *
   * @default 12
   */
  readonly storageAttempts?: number;
  /**
   * The pause between two storage attempts.
   *
   * @default Duration.seconds(5)
   */
  readonly storageRetryInterval?: Duration;
}

/** Options of continuous archiving. */
export interface ArchivingOptions {
  /**
   * `archive_timeout`: a WAL segment is archived at least this often, which bounds how much
   * committed data a lost volume can take with it. Whole seconds, at least 1.
   *
   * @default Duration.seconds(60)
   * @see https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-ARCHIVE-TIMEOUT
   */
  readonly archiveTimeout?: Duration;
  /**
   * How often the walg-backup sidecar pushes a base backup (the first one is pushed when the
   * cluster is created). Shorter intervals make restores replay less WAL.
   *
   * @default Duration.hours(24)
   * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-push
   */
  readonly baseBackupInterval?: Duration;
  /**
   * How many full base backups to keep: after each scheduled backup, older backups and the WAL only
   * they need are deleted (`wal-g delete retain FULL n --confirm`). 0 keeps everything.
   *
   * @default 7
   * @see https://wal-g.readthedocs.io/#delete
   */
  readonly retainBaseBackups?: number;
  /**
   * How long one `wal-g backup-push` may run before it is stopped (and, for the first base backup, tried
   * again up to `storageAttempts` times): a push that hangs on an unreachable store ends instead of
   * blocking the first start or the next scheduled backup. Stopping it is safe: WAL-G takes non-exclusive
   * backups, which PostgreSQL aborts when WAL-G's connection ends. Whole seconds, at least 1; set it above
   * the longest push you expect.
   *
   * @default Duration.hours(24)
   * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-push
   */
  readonly baseBackupTimeout?: Duration;
  /**
   * Let a new cluster archive into a location that already holds base backups. Off by default: two
   * clusters in one location mix their WAL histories, and a restore may then pick the wrong one. A new
   * cluster is an ArchivingPostgres's first start (before initdb) and a WalRestoredPostgres that archives
   * onward (checked before its base backup is fetched); without it, either stops with an error naming
   * the location and a backup found there.
   *
   * @default false
   */
  readonly allowNonEmptyArchive?: boolean;
}
