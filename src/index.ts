export * from './postgres-version';
export * from './wal-storage';
export * from './superuser-password';
export * from './replication-password';
export * from './recovery-target';
export * from './postgres-options';
export * from './archiving-postgres';
export * from './wal-restored-postgres';
