/** Where in a bucket or container the archive lives. */
export interface WalStorageLocationOptions {
  /**
   * The path inside the bucket (or container, or volume) under which WAL-G keeps this archive, e.g.
   * "prod/orders". It is used exactly as given, for archiving and restoring alike: nothing is appended.
   * Give every cluster its own prefix; two clusters archiving to one prefix mix their WAL histories
   * (the constructs refuse that in one app, and a new cluster refuses a prefix that already holds backups).
   *
   * A relative path: no leading or trailing "/", no empty, "." or ".." segments, no control characters,
   * at most 512 characters. For S3, MinIO, GCS, Azure and Swift, WAL-G reads the prefix inside a URL
   * (`s3://bucket/prefix`) with Go's URL parser, so "#" (a fragment follows), "?" (a query follows) and "%"
   * (an escape: "%41" is "A") are refused at synth time: WAL-G would read another path than the one given
   * ("shop/orders#eu" and "shop/orders#us" would both be "shop/orders"), or fail to parse it. Local storage
   * takes them, as WAL-G uses its prefix as a plain path. Locations are compared (one archive per cluster in
   * an app, an onward archive other than the restore source) as WAL-G reads them.
   *
   * @default - the root of the bucket
   * @see https://wal-g.readthedocs.io/STORAGES/
   */
  readonly prefix?: string;
}
