import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ARCHIVING_OPTIONS, checkKnownProps, WAL_RESTORED_POSTGRES_PROPS } from './_known-props';
import { InstancePlan, PostgresInstanceBase } from './_postgres-instance';
import { invalid } from './_validation';
import { ArchivingOptions, PostgresInstanceOptions } from './postgres-options';
import { RecoveryTarget } from './recovery-target';
import { WalStorage } from './wal-storage';

/** Properties of a WalRestoredPostgres. */
export interface WalRestoredPostgresProps extends PostgresInstanceOptions, ArchivingOptions {
  /**
   * The archive to restore from (written by an ArchivingPostgres, or by any WAL-G). Its
   * PostgresVersion decides the images; it must run the archive's PostgreSQL major.
   */
  readonly source: WalStorage;
  /**
   * The base backup to start from: a name from `wal-g backup-list`, or "LATEST", which is the same as
   * leaving it out. With a time target, a named backup must have finished by the target time (the
   * restore stops with an error naming both times otherwise: recovery cannot stop before the end of its
   * base backup). The time compared is the finish time WAL-G recorded in the backup where the version's
   * WAL-G lists it (0.2.10 and later), else the storage's modification time, which a copied archive
   * resets to the copy time; the log says which.
   *
   * @default - with a time target, the newest backup that finished by it (to the second); otherwise the newest backup
   * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-fetch
   */
  readonly backupName?: string;
  /**
   * How long one `wal-g backup-fetch` may run before it is stopped and tried again from an empty PGDATA
   * (up to `storageAttempts` times): a fetch that hangs on an unreachable store ends with an error instead
   * of holding the pod in its first start. Whole seconds, at least 1; set it above the longest fetch you
   * expect.
   *
   * @default Duration.hours(24)
   * @see https://wal-g.readthedocs.io/PostgreSQL/#backup-fetch
   */
  readonly baseBackupFetchTimeout?: Duration;
  /**
   * Where to stop replaying WAL.
   *
   * @default - replay everything in the archive (the latest state)
   */
  readonly recoveryTarget?: RecoveryTarget;
  /**
   * Where the restored server archives once it has promoted: a different location than `source`
   * (the same location is refused at synth time). The archiving options apply to it.
   *
   * @default - the restored server does not archive
   */
  readonly archive?: WalStorage;
}

/**
 * A new PostgreSQL server initialised from a WAL-G archive: base backup + WAL replay, to the latest
 * state or to a point in time, then promoted; optionally archiving onward to another location.
 *
 * On first start (empty PGDATA) the pod runs `wal-g backup-fetch`, writes the recovery configuration
 * for its PostgreSQL major (`recovery.conf` up to 11; `recovery.signal` and parameters from 12),
 * replays WAL with `restore_command` running `wal-g wal-fetch`, waits for promotion, sets the
 * superuser password from its Secret and starts serving. A wrong prefix or wrong credentials fail the
 * bootstrap after `storageAttempts` attempts with a message that names the location tried.
 *
 * @see https://www.postgresql.org/docs/current/continuous-archiving.html#BACKUP-PITR-RECOVERY
 */
export class WalRestoredPostgres extends PostgresInstanceBase {
  /** The archive restored from. */
  public readonly source: WalStorage;
  /** The onward archive, if any. */
  public readonly archive?: WalStorage;

  public constructor(scope: Construct, id: string, props: WalRestoredPostgresProps) {
    super(scope, id, props, (self) => restorePlan(self, props));
    this.source = props.source;
    this.archive = props.archive;
  }
}

/** What a restored instance adds: the source, and the onward archive if any. */
function restorePlan(self: Construct, props: WalRestoredPostgresProps): InstancePlan {
  if (!props || !(props.source instanceof WalStorage)) {
    invalid(self, 'source', props?.source, 'expected a WalStorage, e.g. WalStorage.s3(PostgresVersion.V11_2_V1, { … })');
  }
  checkKnownProps(self, 'WalRestoredPostgresProps', props, WAL_RESTORED_POSTGRES_PROPS);
  const source = props.source;
  if (props.archive !== undefined) {
    if (!(props.archive instanceof WalStorage)) {
      invalid(self, 'archive', props.archive, 'expected a WalStorage or nothing');
    }
    const a = props.archive.version;
    const s = source.version;
    const differs = (['image', 'walgImage', 'walgBinaryPath', 'walgVersion', 'uid'] as const).filter((k) => a[k] !== s[k]);
    if (differs.length > 0) {
      invalid(self, 'archive', a.name, `expected a WalStorage of the source's PostgresVersion ${s.name}: one pod runs one image and one WAL-G, ` +
        `but the archive's version differs in ${differs.map((k) => `${k} (${String(a[k])} instead of ${String(s[k])})`).join(', ')}`);
    }
  } else {
    for (const k of ARCHIVING_OPTIONS) {
      if (props[k] !== undefined) {
        invalid(self, k, props[k], 'expected no archiving option without an archive; set archive to archive onward');
      }
    }
  }
  return {
    kind: 'WalRestoredPostgres',
    version: source.version,
    restore: { storage: source, prop: 'source', backupName: props.backupName, target: props.recoveryTarget, fetchTimeout: props.baseBackupFetchTimeout },
    archive: props.archive ? { storage: props.archive, prop: 'archive', options: props } : undefined,
  };
}
