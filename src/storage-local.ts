import { k8s, Volume } from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { RESERVED_PATHS } from './_pod-contract';
import { checkPrefix, StorageBinder, StorageBinding } from './_storage-binding';
import { checkAbsolutePath, invalid } from './_validation';
import { WalDataPathOptions } from './storage-data-path';
import { WalStorageLocationOptions } from './storage-location';

/** A volume mounted into the pod. */
export interface LocalStorageOptions extends WalStorageLocationOptions, WalDataPathOptions {
  /**
   * The volume that holds the archive: any volume source (a PersistentVolumeClaim, NFS, a hostPath, …).
   * To restore in another pod than the one that archives, the volume must be mountable by both
   * (e.g. a ReadWriteMany claim).
   */
  readonly volume: Volume;
  /** Where the volume is mounted in the pod, e.g. "/var/walg-archive". */
  readonly mountPath: string;
}

/** @internal How WalStorage.local() binds its options. */
export function localBinder(options: LocalStorageOptions): StorageBinder {
  return {
    location: () => (options.prefix ? `${options.mountPath}/${options.prefix}` : `${options.mountPath}`),
    bind: (scope, prop) => bindLocal(scope, prop, options),
  };
}

function bindLocal(scope: IConstruct, prop: string, o: LocalStorageOptions): StorageBinding {
  const mountPath = checkAbsolutePath(scope, `${prop}.mountPath`, o.mountPath);
  const clash = RESERVED_PATHS.find((p) => mountPath === p || mountPath.startsWith(`${p}/`) || p.startsWith(`${mountPath}/`));
  if (clash) {
    invalid(scope, `${prop}.mountPath`, o.mountPath, `expected a path outside ${RESERVED_PATHS.join(', ')} (the pod uses ${clash})`);
  }
  // cdk8s-plus renders a Volume only inside its own workloads (Volume._toKube(), @internal): this
  // library writes its StatefulSet with the k8s API, so it calls that one method, checked first.
  const volume = o.volume as unknown as { _toKube?: () => k8s.Volume } | undefined;
  if (!volume || typeof volume._toKube !== 'function') {
    invalid(scope, `${prop}.volume`, volume === undefined ? undefined : '(not a Volume)', 'expected a cdk8s-plus Volume, e.g. Volume.fromPersistentVolumeClaim(...)');
  }
  // WAL-G takes WALG_FILE_PREFIX as a plain path: "#", "?" and "%" are ordinary characters there.
  const prefix = checkPrefix(scope, prop, o.prefix, 'path');
  const kube = volume._toKube();
  const loc = prefix ? `${mountPath}/${prefix}` : mountPath;
  return {
    env: { WALG_FILE_PREFIX: loc },
    volume: kube,
    mountPath,
    identity: `local ${JSON.stringify({ ...kube, name: undefined })} ${prefix ?? ''}`,
  };
}
