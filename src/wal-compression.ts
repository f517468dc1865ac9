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
  /** LZ4: fast, light compression. WAL-G's default in every release. */
  public static readonly LZ4 = new WalCompression('lz4');

  /** LZMA: the smallest archive of the four and the slowest to write (single-threaded, CPU-bound). */
  public static readonly LZMA = new WalCompression('lzma');

  /**
   * Zstandard: close to LZMA's size at close to LZ4's speed. WAL-G writes it from 3.0.0 (earlier
   * releases read it but refuse to write it): refused for older versions.
   */
  public static readonly ZSTD = new WalCompression('zstd');

  /**
   * Brotli. Built into WAL-G up to 0.2.11; from 0.2.12 only into builds with the `brotli` build tag
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
