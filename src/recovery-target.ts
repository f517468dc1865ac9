/**
 * Where a restore stops replaying WAL. Set at most one of `time`, `xid`, `name`, `lsn` and
 * `immediate`; with none, the restore replays all the WAL in the archive (the latest state).
 *
 * @see https://www.postgresql.org/docs/current/runtime-config-wal.html#RUNTIME-CONFIG-WAL-RECOVERY-TARGET
 */
export interface RecoveryTarget {
  /**
   * Stop at this time stamp (`recovery_target_time`), with an explicit time zone so that the pod's
   * time zone cannot shift it: "2026-11-23T10:15:00Z", "2026-11-23 10:15:00+01:00". Unless
   * `backupName` is given, the restore starts from the newest base backup that finished by it (to the second):
   * by the finish time WAL-G recorded in each backup where the version's WAL-G lists it (0.2.10 and later),
   * else by the storage's modification time, which a copied archive resets to the copy time.
   *
   * @default - no time target
   */
  readonly time?: string;
  /**
   * Stop at this transaction id (`recovery_target_xid`), e.g. "1234".
   *
   * @default - no xid target
   */
  readonly xid?: string;
  /**
   * Stop at this named restore point, created with `pg_create_restore_point()` (`recovery_target_name`).
   *
   * @default - no named target
   */
  readonly name?: string;
  /**
   * Stop at this WAL location (`recovery_target_lsn`, PostgreSQL 10 or later), e.g. "0/3000060".
   *
   * @default - no LSN target
   */
  readonly lsn?: string;
  /**
   * Stop as soon as the base backup is consistent (`recovery_target = 'immediate'`).
   *
   * @default false
   */
  readonly immediate?: boolean;
  /**
   * Whether to stop just after the target (true) or just before it (false)
   * (`recovery_target_inclusive`). Applies to time, xid and lsn targets.
   *
   * @default true
   */
  readonly inclusive?: boolean;
  /**
   * The timeline to recover along (`recovery_target_timeline`): "latest", "current" or a timeline
   * number. "latest" follows a restore that was itself restored and promoted.
   *
   * @default "latest"
   */
  readonly timeline?: string;
}
