import { Construct } from 'constructs';
import { ARCHIVING_POSTGRES_PROPS, checkKnownProps } from './_known-props';
import { InstancePlan, PostgresInstanceBase } from './_postgres-instance';
import { invalid } from './_validation';
import { ArchivingOptions, PostgresInstanceOptions } from './postgres-options';
import { WalStorage } from './wal-storage';

/** Properties of an ArchivingPostgres. */
export interface ArchivingPostgresProps extends PostgresInstanceOptions, ArchivingOptions {
  /**
   * Where WAL and base backups go. Its PostgresVersion decides the images.
   *
   * @see https://wal-g.readthedocs.io/STORAGES/
   */
  readonly storage: WalStorage;
}

/**
 * A PostgreSQL server that archives its WAL continuously with WAL-G
 * (`archive_command = 'wal-g wal-push %p'`), and the base backups a restore needs.
 *
 * Synthesizes a StatefulSet (PGDATA on a volume claim template, a `walg-backup` sidecar for
 * scheduled base backups and retention), a client Service, a headless Service, a ConfigMap (WAL-G
 * settings, postgresql.conf, pg_hba.conf and the pod's scripts) and, for credentials given in code,
 * Secrets.
 *
 * On first start the pod checks that the archive holds no other cluster's backups, runs initdb and
 * pushes a base backup before it accepts clients, so the archive is restorable from the start.
 * When storage is unreachable, `wal-g wal-push` fails, PostgreSQL logs it, keeps the WAL and retries:
 * no WAL is lost, and the sidecar logs a warning every minute until archiving catches up.
 *
 * @see https://www.postgresql.org/docs/current/continuous-archiving.html
 */
export class ArchivingPostgres extends PostgresInstanceBase {
  /** The archive. */
  public readonly storage: WalStorage;

  public constructor(scope: Construct, id: string, props: ArchivingPostgresProps) {
    super(scope, id, props, (self) => archivingPlan(self, props));
    this.storage = props.storage;
  }
}

/** What an archiving instance adds: its archive. */
function archivingPlan(self: Construct, props: ArchivingPostgresProps): InstancePlan {
  if (!props || !(props.storage instanceof WalStorage)) {
    invalid(self, 'storage', props?.storage, 'expected a WalStorage, e.g. WalStorage.s3(PostgresVersion.V11_2_V1, { … })');
  }
  checkKnownProps(self, 'ArchivingPostgresProps', props, ARCHIVING_POSTGRES_PROPS);
  return {
    kind: 'ArchivingPostgres',
    version: props.storage.version,
    archive: { storage: props.storage, prop: 'storage', options: props },
  };
}
