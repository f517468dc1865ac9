/**
 * How WAL-G compresses the WAL segments and base backups it uploads (`WALG_COMPRESSION_METHOD`). A
 * restore reads each file by its own extension, whatever the method set, so an archive may hold files
 * of several methods; the method only decides how new files are written.
 *
 * Set it on the storage (`compression`), so that an archive and the restores from it agree on what the
 * version's WAL-G must be able to read: a version whose WAL-G cannot write (or, built without brotli,
 * read) the method is refused at synth time.
 *
 * @see https://wal-g.readthedocs.io/#compression
 */
export class WalCompression {
  /**
   * LZ4: the fastest and the largest (about 40 % of the WAL in the restore bench's pgbench workload; the
   * README's Benchmarks section has the figures of all four). WAL-G's default in every release.
   */
  public static readonly LZ4 = new WalCompression('lz4');

  /**
   * LZMA: about 60 % of LZ4's size, but the slowest to write and to read (single-threaded, CPU-bound): in
   * the restore bench its `wal-push` fell behind a workload that LZ4 archived in step, and a restore
   * replayed at about half LZ4's speed.
   */
  public static readonly LZMA = new WalCompression('lzma');

  /**
   * Zstandard: about LZMA's size (60 % of LZ4's) within a fifth of LZ4's time to archive and to
   * replay, in the restore bench. WAL-G writes it from 3.0.0 (earlier
   * releases read it but refuse to write it): refused for older versions.
   */
  public static readonly ZSTD = new WalCompression('zstd');

  /**
   * Brotli: about zstd's size and speed in the restore bench. Built into WAL-G up to 0.2.11; from 0.2.12 only into builds with the `brotli` build tag
   * (KubeDB's images and WAL-G's own release binaries have it, `go install` builds do not): refused for a
   * `PostgresVersion.custom()` that does not declare `WalgBuildTag.BROTLI`.
   */
  public static readonly BROTLI = new WalCompression('brotli');

  /**
   * @param method the value of `WALG_COMPRESSION_METHOD`
   */
  private constructor(public readonly method: string) {}

  /** The method's name, as WAL-G spells it. */
  public toString(): string {
    return this.method;
  }
}
