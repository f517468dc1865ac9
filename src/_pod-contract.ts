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
};

/** Paths the pod uses itself; a Local archive must not be mounted over them. */
export const RESERVED_PATHS = [PATHS.dataMount, '/etc/pg-walg', PATHS.run, PATHS.shm, PATHS.tmp];

/** The PostgreSQL port, in the container and on the Services. */
export const PORT = 5432;

/**
 * What a storage is to the pod: the archive it pushes to, or the archive it is restored from. The role
 * names the storage's files: `<role>.env` and `<role>-ca.crt` in the ConfigMap, `<role>/` under the
 * Secret mounts.
 */
export type StorageRole = 'archive' | 'restore';
