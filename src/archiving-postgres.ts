import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { invalid } from './_validation';
import { renderWorkload } from './_workload';
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
export class ArchivingPostgres extends Construct {
  /** The StatefulSet's name (also the client Service's name). */
  public readonly name: string;
  /** The client Service: connect to `<serviceName>.<namespace>.svc:5432`. */
  public readonly serviceName: string;
  /** The headless Service that governs the StatefulSet. */
  public readonly headlessServiceName: string;
  /** The ConfigMap with the WAL-G settings, postgresql.conf and scripts. */
  public readonly configMapName: string;
  /** The Secret with the superuser password. */
  public readonly authSecretName: string;
  /** The archive. */
  public readonly storage: WalStorage;
  /** The StatefulSet, for escape hatches. */
  public readonly statefulSet: ApiObject;

  public constructor(scope: Construct, id: string, props: ArchivingPostgresProps) {
    super(scope, id);
    if (!props || !(props.storage instanceof WalStorage)) {
      invalid(this, 'storage', props?.storage, 'expected a WalStorage, e.g. WalStorage.s3(PostgresVersion.V11_2_V1, { … })');
    }
    const w = renderWorkload(this, props, {
      kind: 'ArchivingPostgres',
      version: props.storage.version,
      archive: { storage: props.storage, prop: 'storage', options: props },
    });
    this.name = w.name;
    this.serviceName = w.serviceName;
    this.headlessServiceName = w.headlessServiceName;
    this.configMapName = w.configMapName;
    this.authSecretName = w.authSecretName;
    this.statefulSet = w.statefulSet;
    this.storage = props.storage;
  }
}
