// The contract between the synthesized pod and its scripts (src/scripts): the container paths, the
// port and the storage roles. The scripts hard-code none of them: the environment names each one.

/** Container paths. */
export const PATHS = {
  dataMount: '/var/pv',
  pgdata: '/var/pv/data',
  state: '/var/pv/pg-walg',
  config: '/etc/pg-walg/config',
  secrets: '/etc/pg-walg/secrets',
  run: '/var/run/postgresql',
  shm: '/dev/shm',
  tmp: '/tmp',
  /** Where the walg-install init container copies wal-g, for a database image without it. */
  walg: '/opt/pg-walg/bin',
  /** The restore drill's own ConfigMap (its recovery settings and check query). */
  drillConfig: '/etc/pg-walg/drill',
};

/** Paths the pod uses itself; a Local archive must not be mounted over them. */
export const RESERVED_PATHS = [PATHS.dataMount, '/etc/pg-walg', PATHS.run, PATHS.shm, PATHS.tmp, '/opt/pg-walg'];

/** The PostgreSQL port, in the container and on the Services. */
export const PORT = 5432;

/** The superuser initdb creates (PGUSER of the pod), whose password the auth Secret holds. */
export const SUPERUSER = 'postgres';

/** The role hot standbys stream as (replicas > 1): the primary creates it with REPLICATION and LOGIN only. */
export const REPLICATION_USER = 'streaming_replica';

/** The database initdb creates, which every cluster has unless dropped. */
export const DEFAULT_DATABASE = 'postgres';

/**
 * What a storage is to the pod: the archive it pushes to, or the archive it is restored from. The role
 * names the storage's files: `<role>.env` and `<role>-ca.crt` in the ConfigMap, `<role>/` under the
 * Secret mounts.
 */
export type StorageRole = 'archive' | 'restore';

/**
 * Every environment variable the pod scripts read, with what it holds. `manifest` ones are set in the
 * container's env by the construct; `default` ones keep the scripts' own default in the manifests and
 * are set only by the unit tests and the e2e harness (or by a user patching the manifests). The header
 * of src/scripts/lib.sh lists the same names (a test keeps the three in step: TS, lib.sh, the scripts).
 */
export const POD_ENV = {
  PGDATA: { set: 'manifest', holds: 'the data directory, on the data claim' },
  PGHOST: { set: 'manifest', holds: 'the socket directory (local connections)' },
  PGPORT: { set: 'manifest', holds: 'the server port' },
  PGUSER: { set: 'manifest', holds: 'the superuser name' },
  HOME: { set: 'manifest', holds: 'a writable home (an emptyDir): the root filesystem is read-only' },
  PG_WALG_CONFIG: { set: 'manifest', holds: 'the ConfigMap mount: the scripts, postgresql.conf, pg_hba.conf, <role>.env, <role>-ca.crt, recovery-settings.conf' },
  PG_WALG_SECRETS: { set: 'manifest', holds: 'the parent of the Secret mounts: auth/, archive/, restore/, archive-encryption/, restore-encryption/, replication/' },
  PG_WALG_STATE: { set: 'manifest', holds: 'the bootstrap state files, on the data claim outside PGDATA (never in a base backup)' },
  PG_WALG_BOOTSTRAP: { set: 'manifest', holds: 'how an empty PGDATA is filled: initdb or restore' },
  PG_WALG_ARCHIVE: { set: 'manifest', holds: 'on when the pod archives WAL, else off' },
  PG_WALG_PG_MAJOR: { set: 'manifest', holds: 'the PostgreSQL major of the image (a base backup of another major is refused)' },
  PG_WALG_ATTEMPTS: { set: 'manifest', holds: 'storageAttempts: tries of one storage operation (default 12)' },
  PG_WALG_RETRY_SECONDS: { set: 'manifest', holds: 'storageRetryInterval in seconds (default 5)' },
  PG_WALG_FETCH_NOT_FOUND_EXIT: { set: 'manifest', holds: 'the exit code of wal-fetch for a file not in the archive (1 before WAL-G 2.0, 74 since)' },
  PG_WALG_ALLOW_NONEMPTY_ARCHIVE: { set: 'manifest', holds: 'true to archive into a location that holds base backups (allowNonEmptyArchive)' },
  PG_WALG_RECOVERY_STYLE: { set: 'manifest', holds: 'recovery.conf (PostgreSQL up to 11) or recovery.signal (12 and later)' },
  PG_WALG_BACKUP_NAME: { set: 'manifest', holds: 'the base backup a restore fetches (backupName; unset: the newest)' },
  PG_WALG_TARGET_TIME_UTC: { set: 'manifest', holds: 'a time target in UTC: the base backup must have finished by it' },
  PG_WALG_LIST_DETAIL: { set: 'manifest', holds: 'with a time target or retainFor: on when the WAL-G lists finish times (backup-list --detail, 0.2.10 and later), else off (storage modification times)' },
  PG_WALG_WALG_VERSION: { set: 'manifest', holds: 'with a time target or retainFor: the WAL-G release the PostgresVersion declares (for messages)' },
  PG_WALG_BACKUP_INTERVAL_SECONDS: { set: 'manifest', holds: 'the sidecar: seconds between scheduled base backups (baseBackupInterval)' },
  PG_WALG_RETAIN_FULL: { set: 'manifest', holds: 'the sidecar: full base backups kept (retainBaseBackups; 0 keeps all)' },
  PG_WALG_RETAIN_SECONDS: { set: 'manifest', holds: 'the sidecar: retainFor in seconds, the window of point-in-time recovery kept (unset: retention by count only)' },
  PG_WALG_DELTA_MAX_STEPS: { set: 'manifest', holds: 'the sidecar: deltaMaxSteps, exported as WALG_DELTA_MAX_STEPS for its scheduled backup-push (unset: full backups only)' },
  PG_WALG_BASE_BACKUPS_FROM: { set: 'manifest', holds: 'the sidecars with baseBackupsFromStandby: standby (the primary\'s checks the archiving only; the standby\'s pushes the scheduled base backups while its server is in recovery; unset: the primary\'s pushes them)' },
  PG_WALG_WAL_VERIFY_SECONDS: { set: 'manifest', holds: 'the primary\'s sidecar: seconds between WAL chain checks, wal-g wal-verify integrity timeline (walVerifyInterval; unset: no check)' },
  PG_WALG_BACKUP_PUSH_TIMEOUT: { set: 'manifest', holds: 'seconds one backup-push may take (baseBackupTimeout; default 86400)' },
  PG_WALG_BACKUP_FETCH_TIMEOUT: { set: 'manifest', holds: 'seconds one backup-fetch may take (baseBackupFetchTimeout; default 86400)' },
  PG_WALG_WALG_DIR: { set: 'manifest', holds: 'where the init container copied wal-g (first on the PATH); unset when the image has wal-g on its PATH' },
  PG_WALG_ROLE: { set: 'manifest', holds: 'with replicas > 1: what the member is made at its first start, primary or standby (unset: primary); then its data says' },
  PG_WALG_PRIMARY_HOST: { set: 'manifest', holds: 'a standby member: the primary member\'s pod DNS name, which it streams from' },
  PG_WALG_REPLICATION_USER: { set: 'manifest', holds: 'with replicas > 1: the role standbys stream as (the primary creates it; its password is replication/REPLICATION_PASSWORD)' },
  PG_WALG_DRILL_CONFIG: { set: 'manifest', holds: 'the restore drill (restoreDrill): the mount of its own ConfigMap, with its recovery settings (recovery-settings.conf) and its check query (check.sql)' },
  PG_WALG_PRIMARY_PORT: { set: 'default', holds: 'a standby: the primary\'s port (default PGPORT; the e2e harness runs each pod on its own port)' },
  PG_WALG_LISTEN_ADDRESSES: { set: 'default', holds: 'listen_addresses of the server (default *; the e2e harness listens on loopback)' },
  PG_WALG_LIST_TIMEOUT: { set: 'default', holds: 'seconds one backup-list or probe read may take (default 60)' },
  PG_WALG_FETCH_TIMEOUT: { set: 'default', holds: 'seconds one wal-fetch of the restore_command may take (default 60)' },
  PG_WALG_FETCH_ATTEMPTS: { set: 'default', holds: 'tries of one WAL file in the restore_command (default PG_WALG_ATTEMPTS)' },
  PG_WALG_GAP_PROBE_SEGMENTS: { set: 'default', holds: 'segments after one that is not in the archive that the restore_command looks for before recovery may end there (default 16)' },
  PG_WALG_SERVE_PREFETCHED: { set: 'default', holds: 'off to fetch every WAL file with wal-g, even one that WAL-G\'s prefetch already downloaded (default on)' },
  PG_WALG_CHECK_SECONDS: { set: 'default', holds: 'the sidecar: seconds between archiving checks (default 60)' },
  PG_WALG_BEHIND_SEGMENTS: { set: 'default', holds: 'the sidecar: segments waiting in archive_status that make it warn (default 4)' },
  PG_WALG_WAL_VERIFY_TIMEOUT: { set: 'default', holds: 'the sidecar: seconds one wal-g wal-verify may take (default 3600)' },
  PG_WALG_DELETE_TIMEOUT: { set: 'default', holds: 'the sidecar: seconds one retention delete may take (default 3600)' },
} as const;

export type PodEnvName = keyof typeof POD_ENV;

/** The container environment: only the contract's names, each set by the manifests. */
export type PodEnv = { [K in PodEnvName as (typeof POD_ENV)[K]['set'] extends 'manifest' ? K : never]?: string };

/** The state files under PG_WALG_STATE (the scripts name them; a test checks that they use exactly these). */
export const STATE_FILES = {
  /** A restore has fetched its base backup and not yet promoted. */
  restorePending: 'restore-pending',
  /** A new archive's first base backup is still to be pushed before the server accepts clients. */
  firstBackupPending: 'first-backup-pending',
  /** PGDATA is being filled (initdb or backup-fetch): the next start empties it and begins again. */
  pgdataIncomplete: 'pgdata-incomplete',
  /** A new cluster sharing its archive (allowNonEmptyArchive) was found on a timeline no base backup or history file there is on. */
  archiveTimelineChecked: 'archive-timeline-checked',
  /** promote.sh is promoting this standby: wal-fetch.sh aborts recovery on a storage error rather than let it promote short. */
  promoting: 'promoting',
} as const;

/**
 * The report files the scripts write in PGDATA (not state: nothing reads them but the metrics exporter, through
 * `pg_read_file`, which every PostgreSQL of the catalog allows a superuser for a path relative to PGDATA; a
 * fetched base backup's copy is removed before its server starts, so a restored instance never reports its source's).
 */
export const REPORT_FILES = {
  /**
   * The last base backup the walg-backup sidecar (or the first start) pushed or tried to push, one line:
   * `<1 pushed | 0 failed> <end, Unix seconds> <end of the last pushed one, Unix seconds or 0> <seconds it took> <base backups listed after it>`.
   */
  backupStatus: 'pg-walg-backup-status',
  /**
   * The last WAL chain check of the primary's walg-backup sidecar (`wal-g wal-verify integrity timeline`), one line:
   * `<integrity> <timeline> <end, Unix seconds> <end of the last all-OK one, Unix seconds or 0> <seconds it took>
   * <segments lost> <segments not archived yet>`; integrity 0 OK or 2 FAILURE (segments lost), timeline 0 OK, 1 WARNING or 2 FAILURE, -1 not run (an error).
   */
  walVerifyStatus: 'pg-walg-wal-verify-status',
} as const;

/** The exporter's port (postgres_exporter's default, which every release listens on). */
export const METRICS_PORT = 9187;

/** The ConfigMap key of the exporter's queries (postgres_exporter's PG_EXPORTER_EXTEND_QUERY_PATH). */
export const METRICS_QUERIES_KEY = 'metrics-queries.yaml';

/** The ConfigMap key of the recovery settings: recovery.conf up to PostgreSQL 11, parameters from 12. */
export const RECOVERY_SETTINGS_KEY = 'recovery-settings.conf';
