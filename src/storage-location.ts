/** Where in a bucket or container the archive lives. */
export interface WalStorageLocationOptions {
  /**
   * The path inside the bucket (or container, or volume) under which WAL-G keeps this archive, e.g.
   * "prod/orders". It is used exactly as given, for archiving and restoring alike: nothing is appended.
   * Give every cluster its own prefix; two clusters archiving to one prefix mix their WAL histories
   * (the constructs refuse that in one app, and a new cluster refuses a prefix that already holds backups).
   *
   * @default - the root of the bucket
   */
  readonly prefix?: string;
}
