import { WalCompression } from './wal-compression';
import { WalEncryption } from './wal-encryption';

/**
 * How WAL-G moves the archive's data: compression, client-side encryption and parallelism. They are set
 * on the storage, so that an archive and every restore from it use the same settings (a restore needs
 * the archive's encryption key), and each is checked against the version's WAL-G at synth time.
 *
 * @see https://wal-g.readthedocs.io/PostgreSQL/
 */
export interface WalDataPathOptions {
  /**
   * How new WAL segments and base backups are compressed (`WALG_COMPRESSION_METHOD`).
   * @default WalCompression.LZ4 (WAL-G's default; the setting is then not written)
   */
  readonly compression?: WalCompression;
  /**
   * Client-side encryption with a key from a Secret. Without it the storage's owner can read the data.
   * @default - no client-side encryption
   */
  readonly encryption?: WalEncryption;
  /**
   * How many files WAL-G uploads at once (`WALG_UPLOAD_CONCURRENCY`): the parts of a base backup, and
   * the WAL segments `wal-push` sends beside the one PostgreSQL asked for. A whole number from 1 to 64.
   * @default - WAL-G's default: 16 (10 for base backups in WAL-G 0.2.9 and earlier)
   * @see https://wal-g.readthedocs.io/#concurrency-settings
   */
  readonly uploadConcurrency?: number;
  /**
   * How many files WAL-G downloads at once (`WALG_DOWNLOAD_CONCURRENCY`): the parts of a base backup in
   * `backup-fetch`, and the WAL segments that `wal-fetch` prefetches ahead of replay (WAL-G prefetches
   * this many, and none at 1). A whole number from 1 to 64. The restore bench (README, Benchmarks) found
   * every setting from 2 to 16 within 2 % of WAL-G's default round by round (5 % by the medians), with
   * and without 50 ms added per round trip, and no prefetch (1) 1.3 to 1.4 times slower: the default is
   * kept.
   * @default - WAL-G's default: 10 (up to 10 for base backups and 8 segments ahead in WAL-G 0.2.9 and earlier)
   * @see https://wal-g.readthedocs.io/#concurrency-settings
   */
  readonly downloadConcurrency?: number;
}
